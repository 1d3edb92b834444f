// A task's budget as the engine and the services check it (the limits and
// the check itself are core/budget.h).
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "config/config.h"
#include "core/budget.h"
#include "core/domain.h"

namespace taskexec {

// The budget.* settings as limits.
TaskLimits ConfiguredLimits(const BudgetConfig& budget);

// What `task` has spent, as its budget counts it.
BudgetSpent TaskSpent(const Task& task);

// The message of a task that will not be started or retried because of
// `why` (BudgetExhausted's text): that, and how to go on.
std::string BudgetStopMessage(const std::string& task_id, const std::string& why);

}  // namespace taskexec
