// The outcome file: an ended attempt's result, written next to its log the
// moment it is known, so that it outlives the service.
//
// A service killed after its agent finished, but before the outcome reached
// the store, left an agent's work (a PR, a report) that a recovery would
// otherwise record `lost` and run again. The service writes the result here
// before anything else is done with it and removes the file once the store
// took the outcome; a recovering engine on the same machine reads it and
// records that outcome instead (engine.h, RecordLost). What is left uncovered
// is the moment between the agent's exit and this write (reaping the
// process and reading its output) and a recovery on another machine, which
// cannot see the file.
//
// The file is `<log path>.outcome` (JSON), written to a temporary name and
// renamed: a reader sees the whole result or none. It survives the
// service's death, not the machine's (no fsync, as the store's writes).
//
// Thread-safety: stateless; touches the file system only.
#pragma once

#include <string>

#include "core/outcome_path.h"
#include "core/status.h"
#include "runner/outcome.h"

namespace taskexec {

Status WriteOutcomeFile(const std::string& path, const AgentResult& result);
// NotFound when there is none; Corruption when it does not parse (fields of
// another type read as unset, never a throw).
Status ReadOutcomeFile(const std::string& path, AgentResult* result);

}  // namespace taskexec
