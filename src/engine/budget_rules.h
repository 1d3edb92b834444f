// A task's budget as the engine and the services check it (the limits and
// the check itself are core/budget.h).
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"
#include "core/agent_pause.h"
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

// The start of the UTC day `now` falls in: an agent's daily cost counts the
// attempts that ended since then.
TimeMs UtcDayStart(TimeMs now);

// The pause of an agent whose attempts cost `spent_today` of its daily
// limit (budget.agent_daily_cost_usd; 0 = none): until the next UTC
// midnight once the limit is reached, else nullopt.
std::optional<AgentPause> DailyBudgetPause(const std::string& agent, double spent_today,
                                           double daily_limit, TimeMs now);

}  // namespace taskexec
