#include "engine/outcome_rules.h"

namespace taskexec {

AttemptOutcome DecideOutcome(const AttemptEnd& end, const RetryPolicy& retry) {
  const Task& task = *end.task;
  const AgentResult& res = *end.result;
  AttemptOutcome o;
  o.task_id = task.id;
  o.execution_id = end.execution_id;
  o.executor_id = end.executor_id;
  o.now = end.now;
  o.summary = res.summary;
  o.session_id = res.session_id;
  o.usage = res.usage;
  o.last_output_at = res.last_output_at;
  o.last_output_line = res.last_output_line;
  o.exit_code = res.exit_code;
  o.term_signal = res.term_signal;
  o.pid = res.pid;
  o.artifacts = res.artifacts;
  o.error_type = res.error_type;
  o.error_message = res.error;
  o.retry_count = task.retry_count;

  if (res.status == ExecutionStatus::kCompleted) {
    o.execution_status = ExecutionStatus::kCompleted;
    o.task_status = TaskStatus::kCompleted;
    o.error_type = ErrorType::kNone;
    o.error_message.clear();
  } else if (res.status == ExecutionStatus::kNeedsInput) {
    // Parked for a person's answer; the retry count is untouched.
    o.execution_status = ExecutionStatus::kNeedsInput;
    o.task_status = TaskStatus::kNeedsInput;
    o.question = res.question;
    o.error_type = ErrorType::kNone;
    o.error_message.clear();
  } else if (end.releasing) {
    o.execution_status = ExecutionStatus::kCancelled;
    o.task_status = TaskStatus::kPending;
    o.error_type = ErrorType::kReleased;
    o.error_message = end.release_reason.empty() ? "released: executor " + end.executor_id +
                                                       " stopped before the session ended"
                                                 : "released: " + end.release_reason;
  } else if (res.error_type == ErrorType::kUsageLimit) {
    // The provider's limit, not the task's fault: back to the queue with its
    // retries untouched; the engine pauses the agent until the limit resets,
    // so the task runs after that.
    o.execution_status = res.status;
    o.task_status = TaskStatus::kPending;
  } else if (end.resumed && res.error_type == ErrorType::kSessionNotFound) {
    o.execution_status = res.status;
    o.task_status = TaskStatus::kRetrying;
    o.next_attempt_at = end.now;
  } else {
    o.execution_status = res.status;
    RetryDecision d = retry.Decide(task, res.retryable, res.error, end.now, end.unit_random);
    o.retry_count = d.new_retry_count;
    o.error_message = d.message;
    if (d.retry) {
      o.task_status = TaskStatus::kRetrying;
      o.next_attempt_at = d.next_attempt_at;
    } else {
      o.task_status = TaskStatus::kFailed;
    }
  }

  if (o.task_status == TaskStatus::kRetrying) {
    // The task's figures as they will be once this attempt is recorded.
    Task after = task;
    after.usage.Add(res.usage);
    if (end.started_at > 0 && end.now > end.started_at) after.run_ms += end.now - end.started_at;
    const std::string why = BudgetExhausted(task.limits, end.budget, TaskSpent(after));
    if (!why.empty()) {
      o.task_status = TaskStatus::kFailed;
      o.next_attempt_at = 0;
      o.retry_count = task.retry_count;
      o.error_message = res.error;  // the attempt's own, without the retry it will not get
      o.task_error_type = ErrorType::kBudgetExhausted;
      o.task_error_message = BudgetStopMessage(task.id, why);
    }
  }
  return o;
}

AttemptOutcome DecideLost(const Task& task, bool expired, const RetryPolicy& retry, TimeMs now,
                          double unit_random) {
  const std::string owner = task.lease_owner.empty() ? "(none)" : task.lease_owner;
  const std::string why = expired
                              ? "lost: executor " + owner + " stopped renewing its lease"
                              : "lost: executor " + owner + " holds it without a running session";
  RetryDecision d = retry.Decide(task, /*retryable=*/true, why, now, unit_random);
  AttemptOutcome o;
  o.task_id = task.id;
  o.executor_id = task.lease_owner;
  o.require_expired_lease = expired;
  o.execution_status = ExecutionStatus::kLost;
  o.error_type = ErrorType::kLost;
  o.now = now;
  o.retry_count = d.new_retry_count;
  o.error_message = d.message;
  o.task_status = d.retry ? TaskStatus::kRetrying : TaskStatus::kFailed;
  o.next_attempt_at = d.next_attempt_at;
  return o;
}

AttemptOutcome DecideUnstartedRelease(const Task& task, const std::string& execution_id,
                                      const std::string& executor_id, TimeMs now) {
  AttemptOutcome o;
  o.task_id = task.id;
  o.execution_id = execution_id;
  o.executor_id = executor_id;
  o.execution_status = ExecutionStatus::kCancelled;
  o.task_status = TaskStatus::kPending;
  o.error_type = ErrorType::kReleased;
  o.error_message =
      "released: the store did not answer the claim (it committed all the same); the attempt "
      "never started";
  o.retry_count = task.retry_count;
  o.now = now;
  return o;
}

}  // namespace taskexec
