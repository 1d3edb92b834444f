// Conformance: the executor's path -- runnable listing, claims (including
// racing claimers), manual execution requests, leases and fenced outcomes.
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/store_conformance.h"

namespace taskexec::store_test {
namespace {

using E = ExecutionStatus;
using S = TaskStatus;

// A recovery's outcome: `executor`'s attempt of `task_id` lost after its
// lease expired, retried once and at once.
AttemptOutcome LostByRecovery(const std::string& task_id, const std::string& executor, TimeMs now) {
  AttemptOutcome o;
  o.task_id = task_id;  // no execution id: every active execution
  o.executor_id = executor;
  o.require_expired_lease = true;
  o.execution_status = E::kLost;
  o.task_status = S::kRetrying;
  o.error_type = ErrorType::kLost;
  o.retry_count = 1;
  o.next_attempt_at = now;  // due again at once
  o.now = now;
  return o;
}

TEST_P(StoreConformanceTest, RunnableOrderRequestThenPriorityThenAge) {
  NewTask nt;
  nt.title = "low old";
  nt.priority = Priority::kLow;
  Task low = Add(nt, kT0 + 1);
  nt.title = "normal old";
  nt.priority = Priority::kNormal;
  Task normal_old = Add(nt, kT0 + 2);
  nt.title = "critical";
  nt.priority = Priority::kCritical;
  Task critical = Add(nt, kT0 + 3);
  nt.title = "normal new";
  nt.priority = Priority::kNormal;
  Task normal_new = Add(nt, kT0 + 4);
  nt.title = "requested low";
  nt.priority = Priority::kLow;
  Task requested = Add(nt, kT0 + 5);
  ASSERT_TRUE(
      store_->RequestExecution(requested.id, "exec-r", "", /*force=*/false, kT0 + 6, nullptr).ok());

  std::vector<Task> out;
  ASSERT_TRUE(store_->ListRunnable(kT0 + 10, 0, false, &out).ok());
  EXPECT_EQ(Ids(out), (std::vector<std::string>{requested.id, critical.id, normal_old.id,
                                                normal_new.id, low.id}));
  ASSERT_TRUE(store_->ListRunnable(kT0 + 10, 2, false, &out).ok());
  EXPECT_EQ(Ids(out), (std::vector<std::string>{requested.id, critical.id}));
  ASSERT_TRUE(store_->ListRunnable(kT0 + 10, 0, true, &out).ok());
  EXPECT_EQ(Ids(out), std::vector<std::string>{requested.id});
}

// Pending and due retrying tasks form one queue: a limit keeps the best of
// both, in priority then age order, whichever status they are in.
TEST_P(StoreConformanceTest, RunnableMergesPendingAndRetryingUnderALimit) {
  NewTask nt;
  nt.title = "normal pending";
  Task normal_pending = Add(nt, kT0 + 1);
  nt.title = "high retrying";
  nt.priority = Priority::kHigh;
  Task high = Add(nt, kT0 + 2);
  nt.title = "low pending";
  nt.priority = Priority::kLow;
  Add(nt, kT0 + 3);
  nt.title = "high pending";
  nt.priority = Priority::kHigh;
  Task high_pending = Add(nt, kT0 + 4);
  Claim c = MustClaim(high);
  AttemptOutcome o = OutcomeFor(c, S::kRetrying, E::kFailed, kT0 + 5);
  o.retry_count = 1;
  o.next_attempt_at = kT0 + 6;
  ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());

  std::vector<Task> out;
  ASSERT_TRUE(store_->ListRunnable(kT0 + 10, 3, false, &out).ok());
  EXPECT_EQ(Ids(out), (std::vector<std::string>{high.id, high_pending.id, normal_pending.id}));
}

// A cancel that lands while an attempt ends wins over a retry, decided in
// FinishAttempt's own transaction; completion still wins over the cancel.
TEST_P(StoreConformanceTest, FinishAttemptSettlesAPendingCancel) {
  Task t = Add("t");
  Claim c = MustClaim(t);
  ASSERT_TRUE(store_->RequestCancel(t.id, "stop", kT0 + 50, nullptr).ok());
  AttemptOutcome o = OutcomeFor(c, S::kRetrying, E::kFailed, kT0 + 100);
  o.error_type = ErrorType::kConnectionError;
  o.error_message = "retry 1/3";
  o.retry_count = 1;
  o.next_attempt_at = kT0 + 30'000;
  Task after;
  ASSERT_TRUE(store_->FinishAttempt(o, &after).ok());
  EXPECT_EQ(after.status, S::kCancelled);
  EXPECT_EQ(after.retry_count, 0);
  EXPECT_EQ(after.error_type, ErrorType::kCancelled);
  EXPECT_FALSE(after.cancel_requested);
  EXPECT_EQ(Get(t.id).status, S::kCancelled);
  SessionExecution e;
  ASSERT_TRUE(store_->GetExecution(c.execution.id, &e).ok());
  EXPECT_EQ(e.status, E::kCancelled);

  Task done = Add("done anyway");
  Claim c2 = MustClaim(done);
  ASSERT_TRUE(store_->MarkStarted(done.id, c2.execution.id, "exec-A", 42, kT0 + 120).ok());
  ASSERT_TRUE(store_->RequestCancel(done.id, "stop", kT0 + 150, nullptr).ok());
  Status s = store_->FinishAttempt(OutcomeFor(c2, S::kCompleted, E::kCompleted, kT0 + 200), &after);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(after.status, S::kCompleted);
}

TEST_P(StoreConformanceTest, RunnableIncludesExplicitAssigneeAndExcludesOthers) {
  NewTask nt;
  nt.title = "assigned to kublai";
  nt.assigned_to = "kublai";
  Task explicit_agent = Add(nt);
  Task held = Add("held");
  MustClaim(held);
  nt.assigned_to = "";
  nt.title = "blocked";
  nt.status = S::kBlocked;
  Add(nt);
  nt.title = "done";
  nt.status = S::kCompleted;
  Add(nt);
  std::vector<Task> out;
  ASSERT_TRUE(store_->ListRunnable(kT0, 0, false, &out).ok());
  EXPECT_EQ(Ids(out), std::vector<std::string>{explicit_agent.id});
}

TEST_P(StoreConformanceTest, RetryWaitsForNextAttemptAt) {
  Task t = Add("t");
  Claim c = MustClaim(t);
  AttemptOutcome o = OutcomeFor(c, S::kRetrying, E::kFailed, kT0 + 100);
  o.error_type = ErrorType::kExecutionError;
  o.error_message = "exit 1";
  o.retry_count = 1;
  o.next_attempt_at = kT0 + 30'000;
  o.exit_code = 1;
  ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  Task r = Get(t.id);
  EXPECT_EQ(r.status, S::kRetrying);
  EXPECT_EQ(r.retry_count, 1);
  EXPECT_EQ(r.next_attempt_at, kT0 + 30'000);
  EXPECT_EQ(r.last_retry_at, kT0 + 100);
  EXPECT_EQ(r.error_type, ErrorType::kExecutionError);
  EXPECT_EQ(r.error_message, "exit 1");
  EXPECT_EQ(r.completed_at, 0);
  EXPECT_EQ(r.lease_owner, "");

  std::vector<Task> out;
  ASSERT_TRUE(store_->ListRunnable(kT0 + 29'999, 0, false, &out).ok());
  EXPECT_TRUE(out.empty());
  Claim early;
  EXPECT_TRUE(store_->Claim(ClaimFor(r, "exec-A", kT0 + 29'999), &early).IsConflict());
  ASSERT_TRUE(store_->ListRunnable(kT0 + 30'000, 0, false, &out).ok());
  EXPECT_EQ(Ids(out), std::vector<std::string>{t.id});
  Claim second = MustClaim(r, "exec-B", kT0 + 30'000);
  EXPECT_EQ(second.execution.attempt, 2);
  EXPECT_EQ(second.task.lease_owner, "exec-B");
}

// The task keeps the latest session its agent reported; an attempt that
// continues it says so; a session the agent refused is forgotten.
TEST_P(StoreConformanceTest, SessionsAreKeptAndAResumedAttemptSaysWhich) {
  Task t = Add("t");
  Claim first = MustClaim(t, "exec-A", kT0);
  EXPECT_EQ(first.execution.resumed_session_id, "");
  AttemptOutcome o = OutcomeFor(first, S::kRetrying, E::kTimedOut, kT0 + 100);
  o.error_type = ErrorType::kTimeoutError;
  o.retry_count = 1;
  o.session_id = "sess-1";
  ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  Task mid = Get(t.id);
  EXPECT_EQ(mid.session_id, "sess-1");

  ClaimRequest req = ClaimFor(mid, "exec-A", kT0 + 200);
  req.resumed_session_id = "sess-1";
  Claim second;
  ASSERT_TRUE(store_->Claim(req, &second).ok());
  EXPECT_EQ(second.execution.resumed_session_id, "sess-1");
  SessionExecution stored;
  ASSERT_TRUE(store_->GetExecution(second.execution.id, &stored).ok());
  EXPECT_EQ(stored.resumed_session_id, "sess-1");

  AttemptOutcome refused = OutcomeFor(second, S::kRetrying, E::kFailed, kT0 + 300);
  refused.error_type = ErrorType::kSessionNotFound;
  refused.retry_count = 1;
  ASSERT_TRUE(store_->FinishAttempt(refused, nullptr).ok());
  Task after = Get(t.id);
  EXPECT_EQ(after.session_id, "");
  EXPECT_EQ(after.error_type, ErrorType::kSessionNotFound);
}

// Each attempt keeps the usage its agent reported; the task keeps the sum,
// written in the same transaction, and a cost stays unknown (null) until an
// attempt prices itself.
TEST_P(StoreConformanceTest, UsageIsRecordedPerAttemptAndSummedOnTheTask) {
  Task t = Add("t");
  Claim first = MustClaim(t, "exec-A", kT0);
  AttemptOutcome o = OutcomeFor(first, S::kRetrying, E::kFailed, kT0 + 100);
  o.error_type = ErrorType::kApiError;
  o.retry_count = 1;
  o.next_attempt_at = kT0 + 200;
  o.usage.input_tokens = 400;
  o.usage.cache_read_tokens = 800;
  o.usage.output_tokens = 34;
  o.usage.num_turns = 1;
  ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  Task mid = Get(t.id);
  EXPECT_EQ(mid.usage, o.usage);
  EXPECT_FALSE(mid.usage.cost_usd.has_value());

  Claim second = MustClaim(mid, "exec-A", kT0 + 300);
  ASSERT_TRUE(store_->MarkStarted(t.id, second.execution.id, "exec-A", 99, kT0 + 301).ok());
  AttemptOutcome o2 = OutcomeFor(second, S::kCompleted, E::kCompleted, kT0 + 400);
  o2.usage.input_tokens = 1200;
  o2.usage.cache_write_tokens = 7;
  o2.usage.output_tokens = 66;
  o2.usage.cost_usd = 0.00564;
  o2.usage.model = "claude-opus-5-5";
  o2.usage.num_turns = 3;
  Status fs = store_->FinishAttempt(o2, nullptr);
  ASSERT_TRUE(fs.ok()) << fs.ToString();

  SessionExecution e1;
  SessionExecution e2;
  ASSERT_TRUE(store_->GetExecution(first.execution.id, &e1).ok());
  ASSERT_TRUE(store_->GetExecution(second.execution.id, &e2).ok());
  EXPECT_EQ(e1.usage, o.usage);
  EXPECT_EQ(e2.usage, o2.usage);
  Task done = Get(t.id);
  EXPECT_EQ(done.usage.input_tokens, 1600);
  EXPECT_EQ(done.usage.cache_read_tokens, 800);
  EXPECT_EQ(done.usage.cache_write_tokens, 7);
  EXPECT_EQ(done.usage.output_tokens, 100);
  ASSERT_TRUE(done.usage.cost_usd.has_value());
  EXPECT_DOUBLE_EQ(*done.usage.cost_usd, 0.00564);
  EXPECT_EQ(done.usage.model, "claude-opus-5-5");
  EXPECT_EQ(done.usage.num_turns, 4);
  // Listing reads the same totals.
  std::vector<Task> listed;
  ASSERT_TRUE(store_->ListTasks(TaskFilter{}, &listed).ok());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].usage, done.usage);
}

// A running attempt's last output only moves forward, only for the
// executor running it, and only while it runs; the task is not touched.
TEST_P(StoreConformanceTest, OutputTimesOfRunningAttemptsOnlyMoveForward) {
  Task t = Add("t");
  Task other = Add("other");
  Claim c = MustClaim(t, "exec-A", kT0);
  Claim theirs = MustClaim(other, "exec-B", kT0);
  const int64_t version = Get(t.id).version;
  auto last_output = [&](const Claim& of) {
    SessionExecution e;
    EXPECT_TRUE(store_->GetExecution(of.execution.id, &e).ok());
    return e.last_output_at;
  };

  int written = -1;
  ASSERT_TRUE(store_->RecordOutputTimes("exec-A", {}, &written).ok());
  EXPECT_EQ(written, 0);
  auto last_line = [&](const Claim& of) {
    SessionExecution e;
    EXPECT_TRUE(store_->GetExecution(of.execution.id, &e).ok());
    return e.last_output_line;
  };
  ASSERT_TRUE(store_
                  ->RecordOutputTimes("exec-A",
                                      {{c.execution.id, kT0 + 500, "reading the parser"},
                                       {theirs.execution.id, kT0 + 500, "not mine"},  // exec-B's
                                       {"no-such-execution", kT0 + 500, ""}},
                                      &written)
                  .ok());
  EXPECT_EQ(written, 1);
  EXPECT_EQ(last_output(c), kT0 + 500);
  EXPECT_EQ(last_line(c), "reading the parser");
  EXPECT_EQ(last_output(theirs), 0);
  EXPECT_EQ(last_line(theirs), "");
  EXPECT_EQ(Get(t.id).version, version);  // no task write

  ASSERT_TRUE(
      store_->RecordOutputTimes("exec-A", {{c.execution.id, kT0 + 400, "older"}}, &written).ok());
  EXPECT_EQ(written, 0);
  EXPECT_EQ(last_output(c), kT0 + 500);  // never back
  EXPECT_EQ(last_line(c), "reading the parser");
  // Output with nothing worth showing moves the time and keeps the line.
  ASSERT_TRUE(
      store_->RecordOutputTimes("exec-A", {{c.execution.id, kT0 + 600, ""}}, &written).ok());
  EXPECT_EQ(written, 1);
  EXPECT_EQ(last_output(c), kT0 + 600);
  EXPECT_EQ(last_line(c), "reading the parser");
  // A line with quotes and non-ASCII text round-trips.
  const std::string quoted = "it's \"done\" — ünïcode";
  ASSERT_TRUE(
      store_->RecordOutputTimes("exec-A", {{c.execution.id, kT0 + 650, quoted}}, &written).ok());
  EXPECT_EQ(last_line(c), quoted);
  EXPECT_TRUE(store_->RecordOutputTimes("", {{c.execution.id, kT0 + 900, ""}}, nullptr)
                  .IsInvalidArgument());

  // The end keeps the later of the two; after it nothing moves.
  AttemptOutcome o = OutcomeFor(c, S::kRetrying, E::kTimedOut, kT0 + 1000);
  o.error_type = ErrorType::kStalled;
  o.retry_count = 1;
  o.last_output_at = kT0 + 700;
  o.last_output_line = "waiting for the network";
  ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  EXPECT_EQ(last_output(c), kT0 + 700);
  EXPECT_EQ(last_line(c), "waiting for the network");
  EXPECT_EQ(Get(t.id).error_type, ErrorType::kStalled);
  ASSERT_TRUE(
      store_->RecordOutputTimes("exec-A", {{c.execution.id, kT0 + 900, "late"}}, &written).ok());
  EXPECT_EQ(written, 0);
  EXPECT_EQ(last_output(c), kT0 + 700);
  EXPECT_EQ(last_line(c), "waiting for the network");
}

// A question parks the task (no retry spent, nothing runnable); a reply
// re-queues it with the answer beside the question; the end clears both.
TEST_P(StoreConformanceTest, AQuestionWaitsForAReply) {
  Task t = Add("t");
  Claim c = MustClaim(t, "exec-A", kT0);
  ASSERT_TRUE(store_->MarkStarted(t.id, c.execution.id, "exec-A", 42, kT0 + 1).ok());
  EXPECT_TRUE(store_->Reply(t.id, "too early", kT0 + 2, nullptr).IsConflict());
  AttemptOutcome asked = OutcomeFor(c, S::kNeedsInput, E::kNeedsInput, kT0 + 100);
  asked.question = "Which colour?";
  asked.session_id = "sess-q";
  ASSERT_TRUE(store_->FinishAttempt(asked, nullptr).ok());
  Task parked = Get(t.id);
  EXPECT_EQ(parked.status, S::kNeedsInput);
  EXPECT_EQ(parked.question, "Which colour?");
  EXPECT_EQ(parked.reply, "");
  EXPECT_EQ(parked.retry_count, 0);
  EXPECT_EQ(parked.lease_owner, "");
  EXPECT_EQ(parked.completed_at, 0);
  SessionExecution e;
  ASSERT_TRUE(store_->GetExecution(c.execution.id, &e).ok());
  EXPECT_EQ(e.status, E::kNeedsInput);
  EXPECT_EQ(e.summary, "Which colour?");
  std::vector<Task> runnable;
  ASSERT_TRUE(store_->ListRunnable(kT0 + 200, 0, false, &runnable).ok());
  EXPECT_TRUE(runnable.empty());

  EXPECT_TRUE(store_->Reply(t.id, "  \n", kT0 + 300, nullptr).IsInvalidArgument());
  EXPECT_TRUE(store_->Reply("no-such-task", "blue", kT0 + 300, nullptr).IsNotFound());
  Task answered;
  ASSERT_TRUE(store_->Reply(t.id, "blue", kT0 + 300, &answered).ok());
  EXPECT_EQ(answered.status, S::kPending);
  EXPECT_EQ(answered.reply, "blue");
  EXPECT_EQ(Get(t.id).reply, "blue");
  EXPECT_EQ(Get(t.id).question, "Which colour?");
  EXPECT_TRUE(store_->Reply(t.id, "red", kT0 + 301, nullptr).IsConflict());  // answered already

  Claim next = MustClaim(Get(t.id), "exec-A", kT0 + 400);
  EXPECT_EQ(next.task.reply, "blue");  // the claimed task carries the exchange to the prompt
  ASSERT_TRUE(store_->MarkStarted(t.id, next.execution.id, "exec-A", 43, kT0 + 401).ok());
  AttemptOutcome done = OutcomeFor(next, S::kCompleted, E::kCompleted, kT0 + 500);
  ASSERT_TRUE(store_->FinishAttempt(done, nullptr).ok());
  EXPECT_EQ(Get(t.id).question, "");
  EXPECT_EQ(Get(t.id).reply, "");
}

TEST_P(StoreConformanceTest, ClaimSetsLeaseAndRecordsTheAttempt) {
  Task t = Add("t");
  ClaimRequest r = ClaimFor(t, "exec-A", kT0 + 5, 30'000);
  Claim c;
  ASSERT_TRUE(store_->Claim(r, &c).ok());
  EXPECT_EQ(c.task.status, S::kInProgress);  // the claim starts the attempt
  EXPECT_EQ(c.task.started_at, kT0 + 5);
  EXPECT_EQ(c.task.claimed_by, "temujin");
  EXPECT_EQ(c.task.lease_owner, "exec-A");
  EXPECT_EQ(c.task.lease_expires_at, kT0 + 30'005);
  EXPECT_EQ(c.task.version, t.version + 1);
  EXPECT_EQ(c.execution.id, r.execution_id);
  EXPECT_EQ(c.execution.task_id, t.id);
  EXPECT_EQ(c.execution.agent, "temujin");
  EXPECT_EQ(c.execution.attempt, 1);
  EXPECT_EQ(c.execution.status, E::kActive);
  EXPECT_EQ(c.execution.executor_id, "exec-A");
  EXPECT_EQ(c.execution.session_label, r.session_label);
  EXPECT_EQ(c.execution.log_path, r.log_path);
  EXPECT_EQ(c.execution.started_at, kT0 + 5);
  EXPECT_FALSE(c.execution.manual);

  EXPECT_EQ(c.execution.pid, 0);  // no process yet
  Task stored = Get(t.id);
  EXPECT_EQ(stored.status, S::kInProgress);
  EXPECT_EQ(stored.started_at, kT0 + 5);
  EXPECT_EQ(stored.lease_owner, "exec-A");
  EXPECT_EQ(stored.version, c.task.version);
  SessionExecution e;
  ASSERT_TRUE(store_->GetExecution(r.execution_id, &e).ok());
  EXPECT_EQ(e.attempt, 1);
  EXPECT_EQ(e.executor_id, "exec-A");
  EXPECT_EQ(e.log_path, r.log_path);
  std::vector<SessionExecution> active;
  ASSERT_TRUE(store_->ListActiveExecutions(&active).ok());
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].id, r.execution_id);
}

TEST_P(StoreConformanceTest, ClaimIsCompareAndSet) {
  Task t = Add("t");
  Task u;
  ASSERT_TRUE(store_->UpdateTask(t.id, TaskPatch{}, -1, kT0 + 1, &u).ok());
  Claim c;
  // Stale version from the earlier read.
  EXPECT_TRUE(store_->Claim(ClaimFor(t, "exec-A"), &c).IsConflict());
  ClaimRequest first = ClaimFor(u, "exec-A");
  ClaimRequest second = ClaimFor(u, "exec-B");  // same read, different claimer
  ASSERT_TRUE(store_->Claim(first, &c).ok());
  EXPECT_TRUE(store_->Claim(second, &c).IsConflict());
  Task now = Get(t.id);
  EXPECT_EQ(now.lease_owner, "exec-A");
  // Even at the current version, a held task cannot be claimed again.
  EXPECT_TRUE(store_->Claim(ClaimFor(now, "exec-B"), &c).IsConflict());
  SessionExecution e;
  EXPECT_TRUE(store_->GetExecution(second.execution_id, &e).IsNotFound());
  std::vector<SessionExecution> execs;
  ASSERT_TRUE(store_->ListExecutions(t.id, &execs).ok());
  EXPECT_EQ(execs.size(), 1u);
}

// Several claims made together: each is granted or refused as it would be
// on its own; one lost to a stale read costs the others nothing.
TEST_P(StoreConformanceTest, ClaimsMadeTogetherAreGrantedOrRefusedEachOnItsOwn) {
  Task a = Add("a");
  Task b = Add("b");
  Task c = Add("c");
  Task b_now;
  ASSERT_TRUE(store_->UpdateTask(b.id, TaskPatch{}, -1, kT0 + 1, &b_now).ok());
  std::vector<ClaimRequest> requests = {ClaimFor(a, "exec-A"), ClaimFor(b, "exec-A"),
                                        ClaimFor(c, "exec-A")};  // b's version is stale
  std::vector<ClaimResult> results;
  store_->ClaimTasks(requests, &results);
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(results[0].status.ok()) << results[0].status.ToString();
  EXPECT_TRUE(results[1].status.IsConflict()) << results[1].status.ToString();
  ASSERT_TRUE(results[2].status.ok()) << results[2].status.ToString();
  EXPECT_EQ(results[0].claim.task.id, a.id);
  EXPECT_EQ(results[0].claim.task.status, S::kInProgress);
  EXPECT_EQ(results[0].claim.execution.id, requests[0].execution_id);
  EXPECT_EQ(results[2].claim.task.lease_owner, "exec-A");
  EXPECT_EQ(Get(a.id).status, S::kInProgress);
  EXPECT_EQ(Get(b.id).status, S::kPending);
  EXPECT_EQ(Get(c.id).status, S::kInProgress);
  SessionExecution e;
  EXPECT_TRUE(store_->GetExecution(requests[1].execution_id, &e).IsNotFound());

  // All granted together; a task claimed twice in one batch is claimed once.
  Task d = Add("d");
  std::vector<ClaimRequest> again = {ClaimFor(b_now, "exec-B"), ClaimFor(d, "exec-B"),
                                     ClaimFor(d, "exec-C")};
  store_->ClaimTasks(again, &results);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].status.ok()) << results[0].status.ToString();
  EXPECT_TRUE(results[1].status.ok()) << results[1].status.ToString();
  EXPECT_TRUE(results[2].status.IsConflict()) << results[2].status.ToString();
  EXPECT_EQ(Get(d.id).lease_owner, "exec-B");
  std::vector<SessionExecution> execs;
  ASSERT_TRUE(store_->ListExecutions(d.id, &execs).ok());
  EXPECT_EQ(execs.size(), 1u);
}

TEST_P(StoreConformanceTest, ClaimRefusesWhatIsNotRunnable) {
  Claim c;
  NewTask nt;
  nt.title = "done";
  nt.status = S::kCompleted;
  Task done = Add(nt);
  EXPECT_TRUE(store_->Claim(ClaimFor(done, "exec-A"), &c).IsConflict());
  nt.title = "suspended";
  nt.status = S::kSuspended;
  Task susp = Add(nt);
  EXPECT_TRUE(store_->Claim(ClaimFor(susp, "exec-A"), &c).IsConflict());
  Task missing;
  missing.id = "nope";
  EXPECT_TRUE(store_->Claim(ClaimFor(missing, "exec-A"), &c).IsNotFound());
  // A manual claim needs an execution request.
  Task plain = Add("plain");
  ClaimRequest r = ClaimFor(plain, "exec-A");
  r.manual = true;
  EXPECT_TRUE(store_->Claim(r, &c).IsConflict());
  // An execution id may be used once.
  Claim ok = MustClaim(plain);
  Task other = Add("other");
  ClaimRequest dup = ClaimFor(other, "exec-A");
  dup.execution_id = ok.execution.id;
  EXPECT_TRUE(store_->Claim(dup, &c).IsConflict());
  EXPECT_EQ(Get(other.id).status, S::kPending);
}

TEST_P(StoreConformanceTest, RacingClaimersEachClaimATaskOnce) {
  constexpr int kTasks = 120;
  constexpr int kThreads = 4;
  for (int i = 0; i < kTasks; ++i) Add("t" + std::to_string(i), kT0 + i);
  std::mutex mu;
  std::map<std::string, int> wins;  // task id -> successful claims
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      const std::string executor = "exec-" + std::to_string(w);
      for (int round = 0; round < 10'000; ++round) {
        std::vector<Task> runnable;
        if (!store_->ListRunnable(kT0 + 1'000'000, 16, false, &runnable).ok()) {
          ++errors;
          return;
        }
        if (runnable.empty()) return;
        for (const Task& t : runnable) {
          ClaimRequest r;
          r.task_id = t.id;
          r.expected_version = t.version;
          r.executor_id = executor;
          r.agent = "main";
          r.execution_id = "x-" + t.id + "-" + executor + "-" + std::to_string(round);
          r.now = kT0 + 1'000'000;
          r.lease_expires_at = r.now + 30'000;
          Claim c;
          Status s = store_->Claim(r, &c);
          if (s.ok()) {
            std::lock_guard<std::mutex> lock(mu);
            ++wins[t.id];
          } else if (!s.IsConflict()) {
            ++errors;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(wins.size(), static_cast<size_t>(kTasks));
  for (const auto& [id, n] : wins) EXPECT_EQ(n, 1) << id;
  std::vector<SessionExecution> active;
  ASSERT_TRUE(store_->ListActiveExecutions(&active).ok());
  EXPECT_EQ(active.size(), static_cast<size_t>(kTasks));
}

TEST_P(StoreConformanceTest, ManualExecutionRequest) {
  NewTask nt;
  nt.title = "t";
  nt.assigned_to = "jochi";
  Task t = Add(nt);
  Task u;
  EXPECT_TRUE(store_->RequestExecution(t.id, "", "", /*force=*/false, kT0, &u).IsInvalidArgument());
  ASSERT_TRUE(
      store_->RequestExecution(t.id, "exec-manual", "chagatai", /*force=*/false, kT0 + 1, &u).ok());
  EXPECT_EQ(u.requested_execution_id, "exec-manual");
  EXPECT_EQ(u.requested_agent, "chagatai");
  EXPECT_EQ(u.status, S::kPending);
  // A second request while one is pending.
  Task v;
  EXPECT_TRUE(
      store_->RequestExecution(t.id, "exec-other", "", /*force=*/false, kT0 + 2, &v).IsConflict());

  Claim c;
  // The dispatcher cannot take a requested task.
  EXPECT_TRUE(store_->Claim(ClaimFor(u, "exec-A", kT0 + 3), &c).IsConflict());
  ClaimRequest wrong = ClaimFor(u, "exec-A", kT0 + 3);
  wrong.manual = true;
  wrong.execution_id = "exec-guess";
  EXPECT_TRUE(store_->Claim(wrong, &c).IsConflict());
  ClaimRequest right = ClaimFor(u, "exec-A", kT0 + 3);
  right.manual = true;
  right.execution_id = "exec-manual";
  right.agent = "chagatai";
  ASSERT_TRUE(store_->Claim(right, &c).ok());
  EXPECT_EQ(c.task.requested_execution_id, "");
  EXPECT_EQ(c.task.requested_agent, "");
  EXPECT_EQ(c.task.claimed_by, "chagatai");
  EXPECT_TRUE(c.execution.manual);
  EXPECT_EQ(c.execution.id, "exec-manual");
  // Held: no new request.
  EXPECT_TRUE(
      store_->RequestExecution(t.id, "exec-2", "", /*force=*/false, kT0 + 4, &v).IsConflict());
  EXPECT_TRUE(
      store_->RequestExecution("nope", "exec-3", "", /*force=*/false, kT0, &v).IsNotFound());
}

TEST_P(StoreConformanceTest, ManualRequestRequeuesFinishedAndSkipsBackoff) {
  Task t = Add("t");
  Claim c = MustClaim(t);
  AttemptOutcome o = OutcomeFor(c, S::kFailed, E::kFailed, kT0 + 1);
  o.retry_count = 3;
  o.error_message = "gave up";
  ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  Task u;
  // An attempt id that already exists cannot be requested again.
  EXPECT_TRUE(store_->RequestExecution(t.id, c.execution.id, "", /*force=*/false, kT0 + 2, &u)
                  .IsConflict());
  ASSERT_TRUE(store_->RequestExecution(t.id, "exec-again", "", /*force=*/false, kT0 + 2, &u).ok());
  EXPECT_EQ(u.status, S::kPending);
  EXPECT_EQ(u.retry_count, 0);
  EXPECT_EQ(u.error_message, "");

  // A retrying task waiting for its backoff is runnable at once when requested.
  Task w = Add("waiting");
  Claim wc = MustClaim(w);
  AttemptOutcome wo = OutcomeFor(wc, S::kRetrying, E::kFailed, kT0 + 1);
  wo.retry_count = 1;
  wo.next_attempt_at = kT0 + 3'600'000;
  ASSERT_TRUE(store_->FinishAttempt(wo, nullptr).ok());
  ASSERT_TRUE(store_->RequestExecution(w.id, "exec-now", "", /*force=*/false, kT0 + 2, &u).ok());
  EXPECT_EQ(u.status, S::kRetrying);
  EXPECT_EQ(u.retry_count, 1);
  std::vector<Task> out;
  ASSERT_TRUE(store_->ListRunnable(kT0 + 3, 0, true, &out).ok());
  EXPECT_EQ(Ids(out), (std::vector<std::string>{t.id, w.id}));
  ClaimRequest r = ClaimFor(u, "exec-A", kT0 + 3);
  r.manual = true;
  r.execution_id = "exec-now";
  Claim mc;
  ASSERT_TRUE(store_->Claim(r, &mc).ok());
  EXPECT_EQ(mc.execution.attempt, 2);
}

// The claim starts an attempt before its process exists; an attempt that
// ends before its pid was recorded has it written with its outcome, and a
// pid recorded while it ran is kept.
TEST_P(StoreConformanceTest, TheOutcomeRecordsThePidWhenNoneWasRecorded) {
  Task t = Add("t");
  Claim c = MustClaim(t, "exec-A", kT0);
  AttemptOutcome o = OutcomeFor(c, S::kRetrying, E::kFailed, kT0 + 1);
  o.pid = 4321;
  o.retry_count = 1;
  ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  SessionExecution e;
  ASSERT_TRUE(store_->GetExecution(c.execution.id, &e).ok());
  EXPECT_EQ(e.pid, 4321);

  Claim next = MustClaim(Get(t.id), "exec-A", kT0 + 2);
  EXPECT_EQ(next.task.status, S::kInProgress);
  EXPECT_EQ(next.task.started_at, kT0 + 2);
  ASSERT_TRUE(store_->MarkStarted(t.id, next.execution.id, "exec-A", 77, kT0 + 3).ok());
  o = OutcomeFor(next, S::kCompleted, E::kCompleted, kT0 + 4);
  o.pid = 78;
  ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  ASSERT_TRUE(store_->GetExecution(next.execution.id, &e).ok());
  EXPECT_EQ(e.pid, 77);
}

TEST_P(StoreConformanceTest, MarkStartedIsFencedOnTheLease) {
  Task t = Add("t");
  Claim c = MustClaim(t, "exec-A", kT0);
  EXPECT_TRUE(store_->MarkStarted(t.id, c.execution.id, "exec-B", 7, kT0 + 1).IsConflict());
  EXPECT_EQ(Get(t.id).status, S::kInProgress);
  ASSERT_TRUE(store_->MarkStarted(t.id, c.execution.id, "exec-A", 4242, kT0 + 2).ok());
  Task s = Get(t.id);
  EXPECT_EQ(s.status, S::kInProgress);
  EXPECT_EQ(s.started_at, kT0);  // the claim's: recording the pid does not move it
  EXPECT_EQ(s.version, c.task.version);
  SessionExecution e;
  ASSERT_TRUE(store_->GetExecution(c.execution.id, &e).ok());
  EXPECT_EQ(e.pid, 4242);
  EXPECT_EQ(e.status, E::kActive);
  EXPECT_TRUE(store_->MarkStarted(t.id, "exec-unknown", "exec-A", 1, kT0 + 3).IsNotFound());
}

TEST_P(StoreConformanceTest, LeasesRenewAndExpire) {
  Task a = Add("a");
  Task b = Add("b");
  Task other = Add("other");
  MustClaim(a, "exec-A", kT0);  // lease until kT0 + 30 s
  MustClaim(b, "exec-A", kT0);
  MustClaim(other, "exec-B", kT0);
  std::vector<Task> expired;
  ASSERT_TRUE(store_->ListExpiredLeases(kT0 + 30'000, &expired).ok());
  EXPECT_TRUE(expired.empty()) << "a lease is live until its expiry time";
  ASSERT_TRUE(store_->ListExpiredLeases(kT0 + 30'001, &expired).ok());
  EXPECT_EQ(expired.size(), 3u);

  std::vector<std::string> held;
  ASSERT_TRUE(store_->RenewLeases("exec-A", kT0 + 90'000, kT0 + 20'000, &held).ok());
  std::sort(held.begin(), held.end());  // in no particular order
  std::vector<std::string> want = {a.id, b.id};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(held, want);
  EXPECT_EQ(Get(a.id).lease_expires_at, kT0 + 90'000);
  EXPECT_EQ(Get(other.id).lease_expires_at, kT0 + 30'000);
  ASSERT_TRUE(store_->ListExpiredLeases(kT0 + 30'001, &expired).ok());
  EXPECT_EQ(Ids(expired), std::vector<std::string>{other.id});
  ASSERT_TRUE(store_->RenewLeases("exec-C", kT0 + 90'000, kT0 + 20'000, &held).ok());
  EXPECT_TRUE(held.empty());
}

TEST_P(StoreConformanceTest, FinishCompletedPersistsExecutionAndArtifacts) {
  Task t = Add("t");
  Claim c = MustClaim(t, "exec-A", kT0);
  ASSERT_TRUE(store_->MarkStarted(t.id, c.execution.id, "exec-A", 99, kT0 + 1).ok());
  AttemptOutcome o = OutcomeFor(c, S::kCompleted, E::kCompleted, kT0 + 50);
  o.summary = "all done";
  o.session_id = "sess-123";
  o.exit_code = 0;
  Artifact a1;
  a1.id = "art-1";
  a1.name = "report.md";
  a1.path = "/work/report.md";
  a1.size = 1234;
  a1.sha256 = std::string(64, 'a');
  Artifact a2;
  a2.name = "data.csv";
  a2.path = "/work/data.csv";
  a2.type = "data";
  o.artifacts = {a1, a2};
  ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());

  Task done = Get(t.id);
  EXPECT_EQ(done.status, S::kCompleted);
  EXPECT_EQ(done.completed_at, kT0 + 50);
  EXPECT_EQ(done.output_summary, "all done");
  EXPECT_EQ(done.error_type, ErrorType::kNone);
  EXPECT_EQ(done.error_message, "");
  EXPECT_EQ(done.lease_owner, "");
  EXPECT_EQ(done.lease_expires_at, 0);
  EXPECT_EQ(done.claimed_by, "temujin");

  SessionExecution e;
  ASSERT_TRUE(store_->GetExecution(c.execution.id, &e).ok());
  EXPECT_EQ(e.status, E::kCompleted);
  EXPECT_EQ(e.ended_at, kT0 + 50);
  EXPECT_EQ(e.exit_code, std::optional<int>(0));
  EXPECT_EQ(e.term_signal, std::nullopt);
  EXPECT_EQ(e.summary, "all done");
  EXPECT_EQ(e.session_id, "sess-123");
  EXPECT_EQ(e.pid, 99);
  std::vector<SessionExecution> active;
  ASSERT_TRUE(store_->ListActiveExecutions(&active).ok());
  EXPECT_TRUE(active.empty());

  std::vector<Artifact> arts;
  ASSERT_TRUE(store_->ListArtifacts(t.id, &arts).ok());
  ASSERT_EQ(arts.size(), 2u);
  EXPECT_EQ(arts[0].id, "art-1");
  EXPECT_EQ(arts[0].name, "report.md");
  EXPECT_EQ(arts[0].size, 1234);
  EXPECT_EQ(arts[0].sha256, std::string(64, 'a'));
  EXPECT_EQ(arts[0].task_id, t.id);
  EXPECT_EQ(arts[0].execution_id, c.execution.id);
  EXPECT_EQ(arts[0].created_at, kT0 + 50);
  EXPECT_FALSE(arts[1].id.empty());
  EXPECT_EQ(arts[1].type, "data");
  ASSERT_TRUE(store_->ListArtifacts("nope", &arts).ok());
  EXPECT_TRUE(arts.empty());
}

TEST_P(StoreConformanceTest, FinishIsFencedOnTheLeaseOwner) {
  Task t = Add("t");
  Claim c = MustClaim(t, "exec-A", kT0);
  AttemptOutcome o = OutcomeFor(c, S::kCompleted, E::kCompleted, kT0 + 1);
  o.executor_id = "exec-B";
  Artifact a;
  a.name = "x";
  o.artifacts = {a};
  EXPECT_TRUE(store_->FinishAttempt(o, nullptr).IsConflict());
  EXPECT_EQ(Get(t.id).status, S::kInProgress);
  std::vector<Artifact> arts;
  ASSERT_TRUE(store_->ListArtifacts(t.id, &arts).ok());
  EXPECT_TRUE(arts.empty()) << "a fenced write must not leave artifacts behind";
  // A transition the table refuses (in_progress -> suspended) is rejected whole.
  o.executor_id = "exec-A";
  o.task_status = S::kSuspended;
  EXPECT_TRUE(store_->FinishAttempt(o, nullptr).IsInvalidArgument());
  EXPECT_EQ(Get(t.id).status, S::kInProgress);
  ASSERT_TRUE(store_->ListArtifacts(t.id, &arts).ok());
  EXPECT_TRUE(arts.empty());
  o.task_status = S::kCompleted;
  ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  // Once finished, the same outcome cannot be written twice.
  EXPECT_TRUE(store_->FinishAttempt(o, nullptr).IsConflict());
  ASSERT_TRUE(store_->ListArtifacts(t.id, &arts).ok());
  EXPECT_EQ(arts.size(), 1u);
}

// Several outcomes written together: each lands or is refused as it would
// on its own, and one refusal (a fenced write among them) neither loses the
// others nor leaves its own artifacts behind.
TEST_P(StoreConformanceTest, OutcomesWrittenTogetherLandOrFailEachOnItsOwn) {
  Task first = Add("first");
  Task second = Add("second");
  Task third = Add("third");
  Claim c1 = MustClaim(first);
  Claim c2 = MustClaim(second);
  Claim c3 = MustClaim(third);
  AttemptOutcome done = OutcomeFor(c1, S::kCompleted, E::kCompleted, kT0 + 1);
  Artifact a;
  a.name = "report.txt";
  done.artifacts = {a};
  AttemptOutcome fenced = OutcomeFor(c2, S::kCompleted, E::kCompleted, kT0 + 1);
  fenced.executor_id = "exec-B";
  fenced.artifacts = {a};
  AttemptOutcome retry = OutcomeFor(c3, S::kRetrying, E::kFailed, kT0 + 1);
  retry.retry_count = 1;
  retry.next_attempt_at = kT0 + 1000;

  std::vector<FinishResult> results;
  store_->FinishAttempts({done, fenced, retry}, &results);
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(results[0].status.ok()) << results[0].status.ToString();
  EXPECT_EQ(results[0].task.status, S::kCompleted);
  EXPECT_TRUE(results[1].status.IsConflict()) << results[1].status.ToString();
  ASSERT_TRUE(results[2].status.ok()) << results[2].status.ToString();
  EXPECT_EQ(results[2].task.status, S::kRetrying);
  EXPECT_EQ(results[2].task.retry_count, 1);
  EXPECT_EQ(Get(first.id).status, S::kCompleted);
  EXPECT_EQ(Get(second.id).status, S::kInProgress);
  EXPECT_EQ(Get(third.id).status, S::kRetrying);
  std::vector<Artifact> arts;
  ASSERT_TRUE(store_->ListArtifacts(first.id, &arts).ok());
  EXPECT_EQ(arts.size(), 1u);
  ASSERT_TRUE(store_->ListArtifacts(second.id, &arts).ok());
  EXPECT_TRUE(arts.empty()) << "a fenced write must not leave artifacts behind";

  // All landing: one write, every task as written.
  Task fourth = Add("fourth");
  Task fifth = Add("fifth");
  Claim c4 = MustClaim(fourth);
  Claim c5 = MustClaim(fifth);
  store_->FinishAttempts({OutcomeFor(c4, S::kCompleted, E::kCompleted, kT0 + 2),
                          OutcomeFor(c5, S::kCompleted, E::kCompleted, kT0 + 2)},
                         &results);
  ASSERT_EQ(results.size(), 2u);
  for (const FinishResult& r : results) {
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.task.status, S::kCompleted);
  }
  EXPECT_EQ(results[0].task.id, fourth.id);
  EXPECT_EQ(results[1].task.id, fifth.id);
  SessionExecution e;
  ASSERT_TRUE(store_->GetExecution(c5.execution.id, &e).ok());
  EXPECT_EQ(e.status, E::kCompleted);
  store_->FinishAttempts({}, &results);
  EXPECT_TRUE(results.empty());
}

// Outcomes and the claims that take their slots, written together: each
// result is what FinishAttempts then ClaimTasks would answer, and a refusal
// on either side costs no other item its write.
TEST_P(StoreConformanceTest, OutcomesAndClaimsWrittenTogetherLandOrFailEachOnItsOwn) {
  Task ran = Add("ran");
  Task next = Add("next");
  Task later = Add("later");
  Claim c1 = MustClaim(ran);
  std::vector<FinishResult> finished;
  std::vector<ClaimResult> claimed;
  store_->FinishAttemptsAndClaim({OutcomeFor(c1, S::kCompleted, E::kCompleted, kT0 + 1)},
                                 {ClaimFor(next, "exec-A", kT0 + 1)}, &finished, &claimed);
  ASSERT_EQ(finished.size(), 1u);
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_TRUE(finished[0].status.ok()) << finished[0].status.ToString();
  EXPECT_EQ(finished[0].task.status, S::kCompleted);
  ASSERT_TRUE(claimed[0].status.ok()) << claimed[0].status.ToString();
  EXPECT_EQ(claimed[0].claim.task.id, next.id);
  EXPECT_EQ(claimed[0].claim.task.status, S::kInProgress);
  EXPECT_EQ(Get(ran.id).status, S::kCompleted);
  EXPECT_EQ(Get(next.id).lease_owner, "exec-A");

  // A claim refused (its version is stale): the outcome still lands.
  Claim c2 = claimed[0].claim;
  store_->FinishAttemptsAndClaim({OutcomeFor(c2, S::kCompleted, E::kCompleted, kT0 + 2)},
                                 {ClaimFor(next, "exec-A", kT0 + 2)}, &finished, &claimed);
  ASSERT_TRUE(finished[0].status.ok()) << finished[0].status.ToString();
  EXPECT_TRUE(claimed[0].status.IsConflict()) << claimed[0].status.ToString();
  EXPECT_EQ(Get(next.id).status, S::kCompleted);

  // An outcome refused (fenced: another executor's): the claim still lands.
  Task other = Add("other");
  Claim c3 = MustClaim(other, "exec-B");
  AttemptOutcome fenced = OutcomeFor(c3, S::kCompleted, E::kCompleted, kT0 + 3);
  fenced.executor_id = "exec-A";
  store_->FinishAttemptsAndClaim({fenced}, {ClaimFor(later, "exec-A", kT0 + 3)}, &finished,
                                 &claimed);
  EXPECT_TRUE(finished[0].status.IsConflict()) << finished[0].status.ToString();
  ASSERT_TRUE(claimed[0].status.ok()) << claimed[0].status.ToString();
  EXPECT_EQ(Get(other.id).status, S::kInProgress);
  EXPECT_EQ(Get(later.id).lease_owner, "exec-A");

  // Either list may be empty.
  store_->FinishAttemptsAndClaim({}, {}, &finished, &claimed);
  EXPECT_TRUE(finished.empty());
  EXPECT_TRUE(claimed.empty());
}

TEST_P(StoreConformanceTest, ExpiredLeaseRecoveryOnlyWhenExpired) {
  Task t = Add("t");
  Claim c = MustClaim(t, "exec-dead", kT0);  // lease until kT0 + 30 s
  ASSERT_TRUE(store_->MarkStarted(t.id, c.execution.id, "exec-dead", 5, kT0 + 1).ok());
  AttemptOutcome o;
  o.task_id = t.id;  // no execution id: every active execution
  o.executor_id = "exec-dead";
  o.require_expired_lease = true;
  o.execution_status = E::kLost;
  o.task_status = S::kRetrying;
  o.error_type = ErrorType::kLost;
  o.error_message = "executor lease expired";
  o.retry_count = 1;
  o.next_attempt_at = kT0 + 60'000;
  o.now = kT0 + 30'000;
  EXPECT_TRUE(store_->FinishAttempt(o, nullptr).IsConflict()) << "lease still live";
  EXPECT_EQ(Get(t.id).status, S::kInProgress);
  o.now = kT0 + 30'001;
  ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  Task r = Get(t.id);
  EXPECT_EQ(r.status, S::kRetrying);
  EXPECT_EQ(r.retry_count, 1);
  EXPECT_EQ(r.lease_owner, "");
  SessionExecution e;
  ASSERT_TRUE(store_->GetExecution(c.execution.id, &e).ok());
  EXPECT_EQ(e.status, E::kLost);
  EXPECT_EQ(e.error_type, ErrorType::kLost);
  EXPECT_EQ(e.ended_at, kT0 + 30'001);
  // The dead executor waking up cannot overwrite the recovery.
  AttemptOutcome late = OutcomeFor(c, S::kCompleted, E::kCompleted, kT0 + 40'000);
  EXPECT_TRUE(store_->FinishAttempt(late, nullptr).IsConflict());
  EXPECT_TRUE(store_->MarkStarted(t.id, c.execution.id, "exec-dead", 5, kT0 + 40'000).IsConflict());
  std::vector<SessionExecution> execs;
  ASSERT_TRUE(store_->ListExecutions(t.id, &execs).ok());
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].status, E::kLost);
}

// An executor frozen past its lease (SIGSTOP, a long GC pause, a VM
// migration) comes back after its attempt was recorded lost and after it
// claimed the task again: the old attempt's end (the agent it stopped when
// it saw the lease gone) must not end the new attempt's task.
TEST_P(StoreConformanceTest, AnEndedAttemptsOutcomeCannotEndTheTasksNextAttempt) {
  Task t = Add("t");
  Claim first = MustClaim(t, "exec-A", kT0);
  ASSERT_TRUE(store_->MarkStarted(t.id, first.execution.id, "exec-A", 5, kT0 + 1).ok());
  ASSERT_TRUE(store_->FinishAttempt(LostByRecovery(t.id, "exec-A", kT0 + 30'001), nullptr).ok());
  Task retrying = Get(t.id);
  Claim second = MustClaim(retrying, "exec-A", kT0 + 31'000);
  ASSERT_TRUE(store_->MarkStarted(t.id, second.execution.id, "exec-A", 6, kT0 + 31'001).ok());

  AttemptOutcome stale = OutcomeFor(first, S::kFailed, E::kCancelled, kT0 + 31'500);
  stale.error_type = ErrorType::kCancelled;
  stale.error_message = "cancelled on request";
  EXPECT_TRUE(store_->FinishAttempt(stale, nullptr).IsConflict());
  Task now = Get(t.id);
  EXPECT_EQ(now.status, S::kInProgress);
  EXPECT_EQ(now.error_type, ErrorType::kLost);  // the recovery's, untouched
  SessionExecution e;
  ASSERT_TRUE(store_->GetExecution(first.execution.id, &e).ok());
  EXPECT_EQ(e.status, E::kLost);
  ASSERT_TRUE(store_->GetExecution(second.execution.id, &e).ok());
  EXPECT_EQ(e.status, E::kActive);

  ASSERT_TRUE(
      store_->FinishAttempt(OutcomeFor(second, S::kCompleted, E::kCompleted, kT0 + 32'000), nullptr)
          .ok());
  EXPECT_EQ(Get(t.id).status, S::kCompleted);
}

TEST_P(StoreConformanceTest, RenewedLeaseDefeatsRecovery) {
  Task t = Add("t");
  MustClaim(t, "exec-A", kT0);
  std::vector<std::string> held;
  ASSERT_TRUE(store_->RenewLeases("exec-A", kT0 + 60'000, kT0 + 29'000, &held).ok());
  EXPECT_TRUE(
      store_->FinishAttempt(LostByRecovery(t.id, "exec-A", kT0 + 30'001), nullptr).IsConflict());
  EXPECT_EQ(Get(t.id).lease_owner, "exec-A");
}

TEST_P(StoreConformanceTest, ReleaseAtShutdownReturnsToPendingWithoutSpendingRetry) {
  Task t = Add("t");
  Claim c = MustClaim(t, "exec-A", kT0);
  ASSERT_TRUE(store_->MarkStarted(t.id, c.execution.id, "exec-A", 5, kT0 + 1).ok());
  AttemptOutcome o = OutcomeFor(c, S::kPending, E::kCancelled, kT0 + 2);
  o.error_type = ErrorType::kReleased;
  ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  Task r = Get(t.id);
  EXPECT_EQ(r.status, S::kPending);
  EXPECT_EQ(r.retry_count, 0);
  EXPECT_EQ(r.completed_at, 0);
  Claim again = MustClaim(r, "exec-B", kT0 + 3);
  EXPECT_EQ(again.execution.attempt, 1);
  std::vector<SessionExecution> execs;
  ASSERT_TRUE(store_->ListExecutions(t.id, &execs).ok());
  ASSERT_EQ(execs.size(), 2u);
  EXPECT_EQ(execs[0].status, E::kCancelled);
  EXPECT_EQ(execs[1].status, E::kActive);
}

}  // namespace
}  // namespace taskexec::store_test
