// Conformance: what budgets need from a store -- a task's own limits, the
// attempts it started (never reset) and its summed run time, the forced
// execution request, and ending a queued task without starting it.
#include <map>
#include <optional>
#include <string>

#include "store/store_conformance.h"

namespace taskexec::store_test {
namespace {

using E = ExecutionStatus;
using S = TaskStatus;

TEST_P(StoreConformanceTest, ATasksOwnLimitsAreKept) {
  NewTask nt;
  nt.title = "capped";
  nt.limits.max_cost_usd = 0.25;
  nt.limits.max_tokens = 5'000'000'000;  // beyond 32 bits
  nt.limits.max_attempts = 4;
  nt.limits.max_seconds = 900;
  Task t = Add(nt);
  EXPECT_EQ(t.limits, nt.limits);
  EXPECT_EQ(Get(t.id).limits, nt.limits);
  EXPECT_EQ(Get(Add("uncapped").id).limits, TaskLimits{});
}

TEST_P(StoreConformanceTest, AttemptsAndRunTimeAddUpAcrossRequeues) {
  Task t = Add("t");
  EXPECT_EQ(t.attempts, 0);
  EXPECT_EQ(t.run_ms, 0);
  Claim first = MustClaim(t, "exec-A", kT0 + 1000);
  EXPECT_EQ(first.task.attempts, 1);
  ASSERT_TRUE(store_->MarkStarted(t.id, first.execution.id, "exec-A", 42, kT0 + 1100).ok());
  AttemptOutcome failed = OutcomeFor(first, S::kFailed, E::kFailed, kT0 + 4000);
  ASSERT_TRUE(store_->FinishAttempt(failed, nullptr).ok());
  Task after = Get(t.id);
  EXPECT_EQ(after.attempts, 1);
  EXPECT_EQ(after.run_ms, 3000);  // from the claim to the outcome

  // A person re-queues it: retry_count starts over, attempts and run time do not.
  ASSERT_TRUE(store_->SetStatus(t.id, S::kPending, "", kT0 + 5000, nullptr).ok());
  Claim second = MustClaim(Get(t.id), "exec-A", kT0 + 6000);
  ASSERT_TRUE(store_->MarkStarted(t.id, second.execution.id, "exec-A", 43, kT0 + 6100).ok());
  EXPECT_EQ(second.task.attempts, 2);
  EXPECT_EQ(second.execution.attempt, 1);  // the retry count's numbering
  AttemptOutcome done = OutcomeFor(second, S::kCompleted, E::kCompleted, kT0 + 8500);
  ASSERT_TRUE(store_->FinishAttempt(done, nullptr).ok());
  after = Get(t.id);
  EXPECT_EQ(after.attempts, 2);
  EXPECT_EQ(after.run_ms, 5500);
}

TEST_P(StoreConformanceTest, AnOutcomeCanGiveTheTaskAnErrorOfItsOwn) {
  Task t = Add("t");
  Claim c = MustClaim(t, "exec-A", kT0);
  AttemptOutcome o = OutcomeFor(c, S::kFailed, E::kFailed, kT0 + 10);
  o.error_type = ErrorType::kConnectionError;
  o.error_message = "connection reset";
  o.task_error_type = ErrorType::kBudgetExhausted;
  o.task_error_message = "budget exhausted: 1 attempt reached the limit of 1";
  ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  Task after = Get(t.id);
  EXPECT_EQ(after.status, S::kFailed);
  EXPECT_EQ(after.error_type, ErrorType::kBudgetExhausted);
  EXPECT_EQ(after.error_message, "budget exhausted: 1 attempt reached the limit of 1");
  SessionExecution e;
  ASSERT_TRUE(store_->GetExecution(c.execution.id, &e).ok());
  EXPECT_EQ(e.error_type, ErrorType::kConnectionError);
  EXPECT_EQ(e.error, "connection reset");
}

TEST_P(StoreConformanceTest, AForcedRequestIsMarkedUntilItsClaim) {
  Task t = Add("t");
  Task requested;
  ASSERT_TRUE(
      store_->RequestExecution(t.id, "exec-f", "", /*force=*/true, kT0 + 1, &requested).ok());
  EXPECT_TRUE(requested.requested_force);
  EXPECT_TRUE(Get(t.id).requested_force);
  ClaimRequest r = ClaimFor(Get(t.id), "exec-A", kT0 + 2);
  r.manual = true;
  r.execution_id = "exec-f";
  Claim c;
  ASSERT_TRUE(store_->Claim(r, &c).ok());
  EXPECT_FALSE(c.task.requested_force);
  EXPECT_FALSE(Get(t.id).requested_force);

  // A plain request is not forced; cancelling drops a forced one.
  Task other = Add("other");
  ASSERT_TRUE(store_->RequestExecution(other.id, "exec-p", "", false, kT0 + 3, &requested).ok());
  EXPECT_FALSE(requested.requested_force);
  Task third = Add("third");
  ASSERT_TRUE(store_->RequestExecution(third.id, "exec-q", "", true, kT0 + 4, nullptr).ok());
  ASSERT_TRUE(store_->RequestCancel(third.id, "", kT0 + 5, nullptr).ok());
  EXPECT_FALSE(Get(third.id).requested_force);
}

TEST_P(StoreConformanceTest, FailQueuedEndsAQueuedTaskWithoutAnAttempt) {
  Task t = Add("t");
  ASSERT_TRUE(store_->RequestExecution(t.id, "exec-r", "", false, kT0 + 1, nullptr).ok());
  Task queued = Get(t.id);
  EXPECT_TRUE(store_
                  ->FailQueued(t.id, queued.version - 1, ErrorType::kBudgetExhausted, "spent",
                               kT0 + 2, nullptr)
                  .IsConflict());
  Task failed;
  ASSERT_TRUE(store_
                  ->FailQueued(t.id, queued.version, ErrorType::kBudgetExhausted,
                               "budget exhausted: spent", kT0 + 3, &failed)
                  .ok());
  EXPECT_EQ(failed.status, S::kFailed);
  Task read = Get(t.id);
  EXPECT_EQ(read.status, S::kFailed);
  EXPECT_EQ(read.error_type, ErrorType::kBudgetExhausted);
  EXPECT_EQ(read.error_message, "budget exhausted: spent");
  EXPECT_EQ(read.completed_at, kT0 + 3);
  EXPECT_EQ(read.requested_execution_id, "");
  EXPECT_EQ(read.attempts, 0);
  std::vector<SessionExecution> execs;
  ASSERT_TRUE(store_->ListExecutions(t.id, &execs).ok());
  EXPECT_TRUE(execs.empty());
  // Only a queued task: a failed or held one is refused, a missing one unknown.
  EXPECT_TRUE(
      store_->FailQueued(t.id, read.version, ErrorType::kBudgetExhausted, "again", kT0 + 4, nullptr)
          .IsConflict());
  Task held = Add("held");
  MustClaim(held, "exec-A", kT0 + 5);
  EXPECT_TRUE(store_
                  ->FailQueued(held.id, Get(held.id).version, ErrorType::kBudgetExhausted, "no",
                               kT0 + 6, nullptr)
                  .IsConflict());
  EXPECT_TRUE(
      store_->FailQueued("no-such-task", 1, ErrorType::kBudgetExhausted, "no", kT0 + 7, nullptr)
          .IsNotFound());
}

// An agent's cost since a time (its daily budget): every ended attempt's
// reported cost, by agent; attempts that ended earlier, priced nothing or
// still run add nothing.
TEST_P(StoreConformanceTest, CostByAgentSumsTheAttemptsEndedSinceATime) {
  auto run = [&](const std::string& agent, std::optional<double> cost, TimeMs end) {
    Task t = Add("t");
    ClaimRequest req = ClaimFor(t, "exec-A", end - 1000);
    req.agent = agent;
    Claim c;
    ASSERT_TRUE(store_->Claim(req, &c).ok());
    ASSERT_TRUE(store_->MarkStarted(t.id, c.execution.id, "exec-A", 42, end - 900).ok());
    AttemptOutcome o = OutcomeFor(c, S::kCompleted, E::kCompleted, end);
    o.usage.cost_usd = cost;
    o.usage.input_tokens = 10;
    ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  };
  const TimeMs midnight = kT0 + 3'600'000;
  run("mongke", 0.5, midnight - 1);  // yesterday
  run("mongke", 0.25, midnight);
  run("mongke", 0.125, midnight + 60'000);
  run("kublai", std::nullopt, midnight + 60'000);  // priced nothing
  run("temujin", 2.0, midnight + 120'000);
  Task running = Add("still running");
  MustClaim(running, "exec-A", midnight + 1000);

  std::map<std::string, double> cost;
  ASSERT_TRUE(store_->CostByAgentSince(midnight, &cost).ok());
  EXPECT_EQ(cost.size(), 2u);
  EXPECT_DOUBLE_EQ(cost["mongke"], 0.375);
  EXPECT_DOUBLE_EQ(cost["temujin"], 2.0);
  ASSERT_TRUE(store_->CostByAgentSince(midnight + 200'000, &cost).ok());
  EXPECT_TRUE(cost.empty());
}

}  // namespace
}  // namespace taskexec::store_test
