// Budgets: the limits on what one task may spend, and the one check the
// engine makes before every start and after every attempt.
//
// The limits come from the budget.* settings and from the task itself (a
// task's own limit, when set, replaces the setting's for that task). A task
// that has reached any of them is not started again, by any path, until the
// limit is raised or a person forces one attempt (`execute --force`).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace taskexec {

// 0 = no limit (for a task's own limits: the setting's applies).
struct TaskLimits {
  double max_cost_usd = 0;  // summed cost the agents reported
  int64_t max_tokens = 0;   // summed tokens: input, output, cache reads and writes
  int max_attempts = 0;     // every attempt started, whatever reset the retry counter
  int64_t max_seconds = 0;  // summed run time of the attempts

  bool Any() const;
};

bool operator==(const TaskLimits& a, const TaskLimits& b);

// What a task has spent so far.
struct BudgetSpent {
  std::optional<double> cost_usd;  // nullopt: no attempt priced itself
  int64_t tokens = 0;
  int attempts = 0;
  int64_t run_ms = 0;
};

// The limits that apply: each of `own` that is set, else the configured one.
TaskLimits EffectiveLimits(const TaskLimits& own, const TaskLimits& configured);

// "" while `spent` is within every limit; otherwise the first limit reached,
// naming it and the figure, e.g. "budget exhausted: cost $1.23 reached the
// limit of $1.00 (budget.task_max_cost_usd)" or "... (the task's
// max_cost_usd)" when the task's own limit applied. A limit counts as
// reached at equality: the next attempt would go over it.
std::string BudgetExhausted(const TaskLimits& own, const TaskLimits& configured,
                            const BudgetSpent& spent);

// What a task spent against its limits, on one line for people:
// "cost $0.0120 of $0.0100; 2 attempts of 5 (the task's); 3 s run time".
// Cost and tokens appear when spent or limited; attempts and run time always.
std::string BudgetText(const TaskLimits& own, const TaskLimits& configured,
                       const BudgetSpent& spent);

// "$0.0120" below a dollar, "$1.23" from one on, "$0" for nothing: how
// budgets show money.
std::string FormatDollars(double usd);

}  // namespace taskexec
