// Killing what a dead executor left running on this machine: an attempt's
// process group, recognised by its pid, the host in its executor id and
// the TASKEXEC_EXECUTION_ID in the process's environment (so a pid reused
// by an unrelated process is never killed).
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "core/domain.h"

namespace taskexec {

// True if /proc/<pid>/environ names `execution_id`: the process is the very
// attempt we recorded (or one it started), not an unrelated process that
// reused the pid.
bool ProcessRunsExecution(int64_t pid, const std::string& execution_id);

// Sends `signal` to every process whose environment has
// TASKEXEC_EXECUTION_ID=<execution_id>, wherever it moved (its own session,
// a new process group); returns how many were signalled. Signal 0 counts.
int SignalAttemptProcesses(const std::string& execution_id, int signal);

// True when the execution's process group was running here and was sent
// SIGKILL. With no pid recorded (the attempt was still in its workspace
// steps), every process carrying its execution id is killed instead.
bool KillOrphanedExecution(const SessionExecution& execution);

}  // namespace taskexec
