// Killing what a dead executor left running on this machine: an attempt's
// process group, recognised by its pid, the host in its executor id and
// the TASKEXEC_EXECUTION_ID in the process's environment (so a pid reused
// by an unrelated process is never killed).
//
// Thread-safety: stateless; safe from any thread.
#pragma once

#include "core/domain.h"

namespace taskexec {

// True when the execution's process group was running here and was sent
// SIGKILL.
bool KillOrphanedExecution(const SessionExecution& execution);

}  // namespace taskexec
