#include "engine/budget_rules.h"

namespace taskexec {

TaskLimits ConfiguredLimits(const BudgetConfig& budget) {
  TaskLimits limits;
  limits.max_cost_usd = budget.task_max_cost_usd;
  limits.max_tokens = budget.task_max_tokens;
  limits.max_attempts = budget.task_max_attempts;
  limits.max_seconds = budget.task_max_seconds;
  return limits;
}

BudgetSpent TaskSpent(const Task& task) {
  BudgetSpent spent;
  spent.cost_usd = task.usage.cost_usd;
  spent.tokens = task.usage.TotalTokens();
  spent.attempts = task.attempts;
  spent.run_ms = task.run_ms;
  return spent;
}

std::string BudgetStopMessage(const std::string& task_id, const std::string& why) {
  return why + "; raise the limit, or run `taskexec execute " + task_id +
         " --force` for one more attempt";
}

TimeMs UtcDayStart(TimeMs now) {
  constexpr TimeMs kDayMs = 24LL * 3600 * 1000;
  return now - ((now % kDayMs) + kDayMs) % kDayMs;
}

std::optional<AgentPause> DailyBudgetPause(const std::string& agent, double spent_today,
                                           double daily_limit, TimeMs now) {
  if (daily_limit <= 0 || spent_today < daily_limit) return std::nullopt;
  AgentPause p;
  p.agent = agent;
  p.since = now;
  p.until = UtcDayStart(now) + 24LL * 3600 * 1000;
  p.pause_ms = p.until - now;
  p.reason = PauseReason::kDailyBudget;
  p.message = "spent " + FormatDollars(spent_today) + " today (UTC), the daily limit of " +
              FormatDollars(daily_limit) +
              " (budget.agent_daily_cost_usd); starts again at 00:00 UTC, or raise the limit";
  return p;
}

}  // namespace taskexec
