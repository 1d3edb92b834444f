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

}  // namespace taskexec
