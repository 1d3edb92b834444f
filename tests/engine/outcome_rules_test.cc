// The engine's outcome rules as pure functions: no store, no clock, no
// children.
#include "engine/outcome_rules.h"
#include "engine/budget_rules.h"
#include "engine/usage_limit_pause.h"

#include <gtest/gtest.h>

namespace taskexec {
namespace {

constexpr TimeMs kNow = 1'800'000'000'000;

class OutcomeRulesTest : public ::testing::Test {
 protected:
  OutcomeRulesTest() : retry_(Config()) {
    task_.id = "task-1";
    task_.retry_count = 0;
    task_.max_retries = 2;
    task_.lease_owner = "host-1-ab";
  }
  static ExecutorConfig Config() {
    ExecutorConfig c;
    c.retry_delay_seconds = 10;
    c.retry_jitter = 0;
    c.max_retries = 3;
    return c;
  }
  AttemptOutcome Decide(const AgentResult& r, bool releasing = false) {
    AttemptEnd end;
    end.budget = budget_;
    end.started_at = kNow - run_ms_;
    end.task = &task_;
    end.execution_id = "exec-1";
    end.executor_id = "host-1-ab";
    end.result = &r;
    end.releasing = releasing;
    end.now = kNow;
    return DecideOutcome(end, retry_);
  }
  static AgentResult Result(ExecutionStatus status, ErrorType type, bool retryable) {
    AgentResult r;
    r.status = status;
    r.error_type = type;
    r.error = type == ErrorType::kNone ? "" : "boom";
    r.retryable = retryable;
    r.summary = "did it";
    r.exit_code = status == ExecutionStatus::kCompleted ? 0 : 1;
    return r;
  }

  Task task_;
  RetryPolicy retry_;
  TaskLimits budget_;     // the budget.* settings
  TimeMs run_ms_ = 1000;  // how long the deciding attempt ran
};

TEST_F(OutcomeRulesTest, CompletionCompletesAndDropsAnyErrorText) {
  AgentResult r = Result(ExecutionStatus::kCompleted, ErrorType::kNone, false);
  r.error = "a warning the parser kept";
  AttemptOutcome o = Decide(r);
  EXPECT_EQ(o.task_status, TaskStatus::kCompleted);
  EXPECT_EQ(o.execution_status, ExecutionStatus::kCompleted);
  EXPECT_TRUE(o.error_message.empty());
  EXPECT_EQ(o.summary, "did it");
  EXPECT_EQ(o.executor_id, "host-1-ab");
  EXPECT_EQ(o.execution_id, "exec-1");
  EXPECT_FALSE(o.require_expired_lease);
}

TEST_F(OutcomeRulesTest, RetryableFailureRetriesWithBackoffUntilTheTaskLimit) {
  AttemptOutcome o = Decide(Result(ExecutionStatus::kFailed, ErrorType::kConnectionError, true));
  EXPECT_EQ(o.task_status, TaskStatus::kRetrying);
  EXPECT_EQ(o.retry_count, 1);
  EXPECT_EQ(o.next_attempt_at, kNow + 10'000);
  EXPECT_EQ(o.error_type, ErrorType::kConnectionError);
  task_.retry_count = 2;  // the task's own max_retries (2) is spent
  o = Decide(Result(ExecutionStatus::kFailed, ErrorType::kConnectionError, true));
  EXPECT_EQ(o.task_status, TaskStatus::kFailed);
}

TEST_F(OutcomeRulesTest, FatalFailureAndTimeoutKeepTheirExecutionStatus) {
  AttemptOutcome o = Decide(Result(ExecutionStatus::kFailed, ErrorType::kSyntaxError, false));
  EXPECT_EQ(o.task_status, TaskStatus::kFailed);
  EXPECT_EQ(o.retry_count, 0);
  o = Decide(Result(ExecutionStatus::kTimedOut, ErrorType::kTimeoutError, true));
  EXPECT_EQ(o.execution_status, ExecutionStatus::kTimedOut);
  EXPECT_EQ(o.task_status, TaskStatus::kRetrying);
}

TEST_F(OutcomeRulesTest, ReleaseAtShutdownRequeuesWithoutSpendingARetry) {
  AttemptOutcome o =
      Decide(Result(ExecutionStatus::kCancelled, ErrorType::kCancelled, false), true);
  EXPECT_EQ(o.task_status, TaskStatus::kPending);
  EXPECT_EQ(o.execution_status, ExecutionStatus::kCancelled);
  EXPECT_EQ(o.error_type, ErrorType::kReleased);
  EXPECT_EQ(o.retry_count, 0);
  // A session that completed while being released still completes.
  o = Decide(Result(ExecutionStatus::kCompleted, ErrorType::kNone, false), true);
  EXPECT_EQ(o.task_status, TaskStatus::kCompleted);
}

TEST_F(OutcomeRulesTest, AUsageLimitRequeuesWithoutSpendingARetry) {
  task_.retry_count = 2;  // none left: a usage limit still does not fail it
  AttemptOutcome o = Decide(Result(ExecutionStatus::kFailed, ErrorType::kUsageLimit, true));
  EXPECT_EQ(o.task_status, TaskStatus::kPending);
  EXPECT_EQ(o.execution_status, ExecutionStatus::kFailed);
  EXPECT_EQ(o.error_type, ErrorType::kUsageLimit);
  EXPECT_EQ(o.error_message, "boom");
  EXPECT_EQ(o.retry_count, 2);
  EXPECT_EQ(o.next_attempt_at, 0);
}

// The pause: until the reset the output gave (capped), else the setting.
TEST(UsageLimitPause, UntilTheResetOrForTheConfiguredPause) {
  AgentResult r;
  r.error_type = ErrorType::kUsageLimit;
  r.error = "usage limit: You've hit your usage limit. Try again in 2 hours.";
  r.usage_limit_reset_at = kNow + 7'200'000;
  AgentPause p = UsageLimitPause("mongke", r, kNow, 900'000);
  EXPECT_EQ(p.agent, "mongke");
  EXPECT_EQ(p.reason, PauseReason::kUsageLimit);
  EXPECT_EQ(p.since, kNow);
  EXPECT_EQ(p.until, kNow + 7'200'000);
  EXPECT_EQ(p.message.rfind(r.error, 0), 0u) << p.message;
  r.usage_limit_reset_at = 0;
  EXPECT_EQ(UsageLimitPause("mongke", r, kNow, 900'000).until, kNow + 900'000);
  r.usage_limit_reset_at = kNow - 1;  // already past: unsaid
  EXPECT_EQ(UsageLimitPause("mongke", r, kNow, 900'000).until, kNow + 900'000);
  r.usage_limit_reset_at = kNow + 400LL * 24 * 3'600'000;  // a misreading
  EXPECT_EQ(UsageLimitPause("mongke", r, kNow, 900'000).until, kNow + kMaxUsageLimitPauseMs);
}

// An agent's daily budget: paused until the next UTC midnight at the limit.
TEST(DailyBudgetPause, AtTheLimitUntilTheNextUtcMidnight) {
  const TimeMs day = 86'400'000;
  const TimeMs midnight = (kNow / day) * day;
  EXPECT_EQ(UtcDayStart(kNow), midnight);
  EXPECT_EQ(UtcDayStart(midnight), midnight);
  EXPECT_EQ(UtcDayStart(midnight - 1), midnight - day);
  EXPECT_FALSE(DailyBudgetPause("kublai", 0.99, 1.0, kNow));
  EXPECT_FALSE(DailyBudgetPause("kublai", 50.0, 0, kNow));  // no limit
  std::optional<AgentPause> p = DailyBudgetPause("kublai", 1.0, 1.0, kNow);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->reason, PauseReason::kDailyBudget);
  EXPECT_EQ(p->since, kNow);
  EXPECT_EQ(p->until, midnight + day);
  EXPECT_EQ(p->message,
            "spent $1.00 today (UTC), the daily limit of $1.00 (budget.agent_daily_cost_usd); "
            "starts again at 00:00 UTC, or raise the limit");
}

TEST_F(OutcomeRulesTest, LostAttemptsAreRetryableAndFencedOnTheDeadHolder) {
  AttemptOutcome o = DecideLost(task_, /*expired=*/true, retry_, kNow, 0);
  EXPECT_EQ(o.execution_status, ExecutionStatus::kLost);
  EXPECT_EQ(o.task_status, TaskStatus::kRetrying);
  EXPECT_EQ(o.error_type, ErrorType::kLost);
  EXPECT_TRUE(o.require_expired_lease);
  EXPECT_EQ(o.executor_id, "host-1-ab");
  EXPECT_TRUE(o.execution_id.empty());  // every active execution of the task
  EXPECT_NE(o.error_message.find("stopped renewing its lease"), std::string::npos);
  o = DecideLost(task_, /*expired=*/false, retry_, kNow, 0);
  EXPECT_FALSE(o.require_expired_lease);
  EXPECT_NE(o.error_message.find("without a running session"), std::string::npos);
}

TEST_F(OutcomeRulesTest, AClaimThatNeverStartedIsReleasedWithItsRetriesUntouched) {
  task_.retry_count = 1;
  const AttemptOutcome o = DecideUnstartedRelease(task_, "exec-9", "host-2-cd", kNow);
  EXPECT_EQ(o.execution_id, "exec-9");  // that claim's execution only
  EXPECT_EQ(o.executor_id, "host-2-cd");
  EXPECT_FALSE(o.require_expired_lease);
  EXPECT_EQ(o.execution_status, ExecutionStatus::kCancelled);
  EXPECT_EQ(o.task_status, TaskStatus::kPending);
  EXPECT_EQ(o.error_type, ErrorType::kReleased);
  EXPECT_EQ(o.retry_count, 1);
  EXPECT_EQ(o.now, kNow);
  EXPECT_NE(o.error_message.find("never started"), std::string::npos);
}

TEST_F(OutcomeRulesTest, AnAttemptThatSpendsTheBudgetEndsTheTaskInsteadOfARetry) {
  budget_.max_cost_usd = 1.0;
  task_.usage.cost_usd = 0.7;
  task_.attempts = 2;
  AgentResult r = Result(ExecutionStatus::kFailed, ErrorType::kConnectionError, true);
  r.usage.cost_usd = 0.2;  // 0.9 in all: within the limit, retried
  AttemptOutcome o = Decide(r);
  EXPECT_EQ(o.task_status, TaskStatus::kRetrying);
  EXPECT_EQ(o.task_error_type, ErrorType::kNone);

  r.usage.cost_usd = 0.3;  // 1.0 in all: the limit
  o = Decide(r);
  EXPECT_EQ(o.task_status, TaskStatus::kFailed);
  EXPECT_EQ(o.execution_status, ExecutionStatus::kFailed);
  EXPECT_EQ(o.retry_count, 0);  // no retry was spent
  EXPECT_EQ(o.next_attempt_at, 0);
  // The attempt keeps its own error; the task says which limit ended it.
  EXPECT_EQ(o.error_type, ErrorType::kConnectionError);
  EXPECT_EQ(o.error_message, "boom");
  EXPECT_EQ(o.task_error_type, ErrorType::kBudgetExhausted);
  EXPECT_EQ(o.task_error_message,
            "budget exhausted: cost $1.00 reached the limit of $1.00 (budget.task_max_cost_usd); "
            "raise the limit, or run `taskexec execute task-1 --force` for one more attempt");

  // The attempt's run time counts too, and the task's own limit wins.
  budget_ = TaskLimits{};
  task_.usage = AgentUsage{};
  task_.run_ms = 50'000;
  task_.limits.max_seconds = 60;
  run_ms_ = 9'999;
  EXPECT_EQ(Decide(r).task_status, TaskStatus::kRetrying);
  run_ms_ = 10'000;
  o = Decide(r);
  EXPECT_EQ(o.task_status, TaskStatus::kFailed);
  EXPECT_NE(o.task_error_message.find("60 s of run time reached the limit of 60 s (the task's "
                                      "max_seconds)"),
            std::string::npos)
      << o.task_error_message;
}

TEST_F(OutcomeRulesTest, TheBudgetNeverTurnsACompletionOrAQuestionIntoAFailure) {
  task_.attempts = 3;
  task_.limits.max_attempts = 3;
  AttemptOutcome o = Decide(Result(ExecutionStatus::kCompleted, ErrorType::kNone, false));
  EXPECT_EQ(o.task_status, TaskStatus::kCompleted);
  EXPECT_EQ(o.task_error_type, ErrorType::kNone);
  AgentResult asked = Result(ExecutionStatus::kNeedsInput, ErrorType::kNone, false);
  asked.question = "which branch?";
  EXPECT_EQ(Decide(asked).task_status, TaskStatus::kNeedsInput);
  // A failure that would not be retried anyway keeps its own error.
  o = Decide(Result(ExecutionStatus::kFailed, ErrorType::kExecutionError, false));
  EXPECT_EQ(o.task_status, TaskStatus::kFailed);
  EXPECT_EQ(o.task_error_type, ErrorType::kNone);
}

}  // namespace
}  // namespace taskexec
