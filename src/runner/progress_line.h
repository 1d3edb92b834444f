// The line of a running agent's output worth showing a person as its
// progress (the Notion card's progress comment, the dashboard).
//
// Agents print a mix of prose, tool chatter, terminal control codes and
// machine-readable event streams (JSON lines). LastMeaningfulLine() walks the
// recent output backwards and returns the last line that says something:
//  - terminal escape sequences and control characters are dropped, and of a
//    line redrawn with carriage returns (a progress bar) only the last
//    drawing counts;
//  - a completion marker (TASK_COMPLETE:, TASK_FAILED:, TASK_NEEDS_INPUT:)
//    is dropped and its text kept;
//  - a JSON line shows only the text it carries (the first string under
//    "text", "message", "content", "result", "summary" or "delta", at any
//    depth up to 4) or is skipped when it carries none;
//  - lines without a letter or digit (rules, blank lines) are skipped.
// The result is valid UTF-8 of at most `max_chars` code points (cut ones
// end with "…"); empty when nothing qualifies.
//
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace taskexec {

constexpr size_t kProgressLineMaxChars = 500;

std::string LastMeaningfulLine(std::string_view recent_output,
                               size_t max_chars = kProgressLineMaxChars);

// The same for output of which `tail` is only the end, without the rest:
// true with *line (what LastMeaningfulLine of the whole would give) when the
// tail decides it, that is when a meaningful line begins inside it after
// its first newline; false when the line may begin before the tail.
bool LastMeaningfulLineOfTail(std::string_view tail, std::string* line,
                              size_t max_chars = kProgressLineMaxChars);

}  // namespace taskexec
