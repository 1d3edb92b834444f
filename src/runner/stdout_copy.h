// The whole stdout of an attempt, for outcome parsing.
//
// The supervisor keeps only a bounded tail of a child's output in memory, but
// some agents print a result document far larger than that (OpenClaw echoes
// the whole prompt and its system prompt report inside its `--json` result).
// So the runner asks for a stdout-only copy on disk (ProcessSpec::stdout_path)
// and parses from it whenever the tail was cut.
//
// Thread-safety: pure functions over files the caller owns.
#pragma once

#include <cstddef>
#include <string>

#include "runner/process_supervisor.h"

namespace taskexec {

// Larger outputs are parsed from their last this-many bytes: a result
// document is at the end, and parsing stays bounded in memory and time.
constexpr size_t kMaxParsedStdoutBytes = 32 * 1024 * 1024;

// The stdout to parse: `process.stdout_tail` when it holds all of stdout,
// else the copy at `copy_path` (its last `max_bytes`). When the copy is
// missing or shorter than what was read (a failed write), falls back to the
// tail and says why in `*warning`.
std::string StdoutForParsing(const ProcessResult& process, const std::string& copy_path,
                             size_t max_bytes, std::string* warning);

}  // namespace taskexec
