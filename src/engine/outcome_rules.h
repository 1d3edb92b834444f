// What an attempt's end means for its task: the store write (AttemptOutcome)
// the engine records for a session that ended here (DecideOutcome) or for
// one whose executor died (DecideLost). Pure functions of their inputs: the
// engine does the I/O, these decide, and the new lifecycle rules (budgets,
// stalls, questions to a person) land here as rules.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "core/clock.h"
#include "core/domain.h"
#include "engine/budget_rules.h"
#include "engine/retry_policy.h"
#include "runner/outcome.h"
#include "store/task_store.h"

namespace taskexec {

struct AttemptEnd {
  const Task* task = nullptr;  // as claimed (current but for cancel_requested)
  std::string execution_id;    // the attempt that ended
  std::string executor_id;     // this executor (the lease holder)
  const AgentResult* result = nullptr;
  bool releasing = false;      // stopped because this executor is stopping,
  std::string release_reason;  // or for this reason (the service's own fault)
  bool resumed = false;        // the attempt continued an earlier session
  TimeMs started_at = 0;       // when the attempt was claimed (its run time counts from there)
  TaskLimits budget;           // the budget.* limits (the task's own replace them)
  TimeMs now = 0;
  double unit_random = 0;  // in [0, 1): the retry jitter
};

// Completed -> task completed; released (at shutdown, or not started for a
// fault of the service's own) -> task pending again, its retries untouched
// (not the task's fault); a resumed attempt whose agent did not know the
// session -> retrying at once, its retries untouched (the next attempt is
// fresh: resume_policy.h); otherwise failed or retrying as `retry` decides,
// with the agent's error type and message. A cancel request is settled by
// the store in the same write (TaskStore::FinishAttempt). An attempt that
// ended on the provider's usage limit -> pending, its retries untouched (the
// engine pauses the agent until the limit resets).
//
// Then the budget: an attempt that would be retried but leaves the task at
// one of its limits (core/budget.h; counting this attempt's usage and run
// time) ends the task failed with error type budget_exhausted instead; the
// attempt keeps its own error.
AttemptOutcome DecideOutcome(const AttemptEnd& end, const RetryPolicy& retry);

// The attempt of a task held by an executor that stopped renewing its lease
// (`expired`) or that holds it without a running session: recorded `lost`
// (retryable) on every active execution, fenced on that holder.
AttemptOutcome DecideLost(const Task& task, bool expired, const RetryPolicy& retry, TimeMs now,
                          double unit_random);

// Execution `execution_id` of `task`, claimed by `executor_id` though the
// store's answer to the claim never came, so it never started: `released`,
// the task back to the queue with its retries untouched.
AttemptOutcome DecideUnstartedRelease(const Task& task, const std::string& execution_id,
                                      const std::string& executor_id, TimeMs now);

}  // namespace taskexec
