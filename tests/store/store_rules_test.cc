// store_rules: the backend-independent rules, checked directly (the
// conformance suite checks them again through each backend).
#include "store/store_rules.h"

#include <gtest/gtest.h>

#include <string>

namespace taskexec::store_rules {
namespace {

Task HeldTask(const std::string& owner) {
  Task t;
  t.id = "t1";
  t.status = TaskStatus::kInProgress;
  t.lease_owner = owner;
  t.lease_expires_at = 5000;
  t.version = 3;
  return t;
}

TEST(StoreRulesTest, IsBlank) {
  EXPECT_TRUE(IsBlank(""));
  EXPECT_TRUE(IsBlank(" \t\r\n\f\v"));
  EXPECT_FALSE(IsBlank(" x "));
}

TEST(StoreRulesTest, HeldConflictNamesTheStatus) {
  Status s = HeldConflict(HeldTask("ex1"));
  EXPECT_TRUE(s.IsConflict());
  EXPECT_EQ(s.message(), "task t1 is running (in_progress); cancel it first");
}

TEST(StoreRulesTest, RequeueIsAFreshStart) {
  Task t;
  t.status = TaskStatus::kFailed;
  t.retry_count = 2;
  t.next_attempt_at = 99;
  t.error_type = ErrorType::kApiError;
  t.error_message = "y";
  t.completed_at = 7;
  t.cancel_requested = true;
  Requeue(&t);
  EXPECT_EQ(t.status, TaskStatus::kPending);
  EXPECT_EQ(t.retry_count, 0);
  EXPECT_EQ(t.next_attempt_at, 0);
  EXPECT_TRUE(t.error_type == ErrorType::kNone);
  EXPECT_TRUE(t.error_message.empty());
  EXPECT_EQ(t.completed_at, 0);
  EXPECT_FALSE(t.cancel_requested);
}

TEST(StoreRulesTest, BuildTaskValidatesAndFillsDefaults) {
  NewTask in;
  in.title = "  ";
  Task t;
  EXPECT_EQ(BuildTask(in, 10, &t).message(), "title is required");

  in.title = "Write";
  in.source = "";
  in.context_json = "";
  ASSERT_TRUE(BuildTask(in, 10, &t).ok());
  EXPECT_FALSE(t.id.empty());
  EXPECT_EQ(t.priority, Priority::kNormal);
  EXPECT_EQ(t.source, "cli");
  EXPECT_EQ(t.context_json, "{}");
  EXPECT_EQ(t.created_at, 10);
  EXPECT_EQ(t.updated_at, 10);
  EXPECT_EQ(t.completed_at, 0);
  EXPECT_EQ(t.version, 1);

  in.id = "given";
  in.status = TaskStatus::kCompleted;
  ASSERT_TRUE(BuildTask(in, 20, &t).ok());
  EXPECT_EQ(t.id, "given");
  EXPECT_EQ(t.completed_at, 20);

  in.status = TaskStatus::kRetrying;
  Status s = BuildTask(in, 20, &t);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(),
            "a new task cannot start as retrying; expected pending, a held board state or a "
            "final state");
  in.status = TaskStatus::kAssigned;
  EXPECT_TRUE(BuildTask(in, 20, &t).IsInvalidArgument());
}

TEST(StoreRulesTest, ExistsConflicts) {
  EXPECT_EQ(TaskExists("t1").message(), "task t1 already exists");
  EXPECT_EQ(NotionPageTaken("p1", "t2").message(), "notion page p1 already has task t2");
  EXPECT_EQ(ExecutionExists("e1").message(), "execution e1 already exists");
  EXPECT_EQ(ArtifactExists("a1").message(), "artifact a1 already exists");
  EXPECT_TRUE(ArtifactExists("a1").IsConflict());
}

TEST(StoreRulesTest, PatchChecksAndApplies) {
  TaskPatch patch;
  EXPECT_TRUE(CheckPatch(patch).ok());
  patch.title = " ";
  EXPECT_TRUE(CheckPatch(patch).IsInvalidArgument());
  patch.title = "New";
  patch.priority = Priority::kHigh;
  patch.context_json = "";
  ASSERT_TRUE(CheckPatch(patch).ok());

  Task t;
  t.id = "t1";
  t.description = "kept";
  t.version = 4;
  EXPECT_TRUE(CheckEditable(t, 4).ok());
  EXPECT_TRUE(CheckEditable(t, -1).ok());
  EXPECT_EQ(CheckEditable(t, 3).message(), "task t1 changed: version 4, expected 3");
  EXPECT_TRUE(CheckEditable(HeldTask("ex1"), -1).IsConflict());

  ApplyPatch(patch, &t);
  EXPECT_EQ(t.title, "New");
  EXPECT_EQ(t.priority, Priority::kHigh);
  EXPECT_EQ(t.context_json, "{}");
  EXPECT_EQ(t.description, "kept");
}

TEST(StoreRulesTest, StatusChange) {
  Task t;
  t.id = "t1";
  t.status = TaskStatus::kPending;
  t.requested_execution_id = "e1";
  bool changed = true;
  ASSERT_TRUE(ApplyStatusChange(TaskStatus::kPending, "", 5, &t, &changed).ok());
  EXPECT_FALSE(changed);

  ASSERT_TRUE(ApplyStatusChange(TaskStatus::kBlocked, "waits on X", 5, &t, &changed).ok());
  EXPECT_TRUE(changed);
  EXPECT_EQ(t.status, TaskStatus::kBlocked);
  EXPECT_EQ(t.error_message, "waits on X");
  EXPECT_TRUE(t.requested_execution_id.empty());

  ASSERT_TRUE(ApplyStatusChange(TaskStatus::kCompleted, "", 6, &t, &changed).ok());
  EXPECT_EQ(t.completed_at, 6);

  Status s = ApplyStatusChange(TaskStatus::kFailed, "", 7, &t, &changed);
  EXPECT_TRUE(s.IsConflict());
  EXPECT_FALSE(changed);
  EXPECT_EQ(s.message(), "cannot move task t1 from completed to failed");

  ASSERT_TRUE(ApplyStatusChange(TaskStatus::kPending, "", 8, &t, &changed).ok());
  EXPECT_EQ(t.status, TaskStatus::kPending);
  EXPECT_EQ(t.completed_at, 0);
  EXPECT_TRUE(t.error_message.empty());

  Task held = HeldTask("ex1");
  EXPECT_TRUE(ApplyStatusChange(TaskStatus::kPending, "", 8, &held, &changed).IsConflict());
  EXPECT_FALSE(changed);
}

TEST(StoreRulesTest, CancelDecision) {
  Task t;
  t.id = "t1";
  t.status = TaskStatus::kPending;
  t.requested_execution_id = "e1";
  bool changed = false;
  ASSERT_TRUE(ApplyCancelRequest("", 9, &t, &changed).ok());
  EXPECT_TRUE(changed);
  EXPECT_EQ(t.status, TaskStatus::kCancelled);
  EXPECT_EQ(t.error_type, ErrorType::kCancelled);
  EXPECT_EQ(t.error_message, "cancelled");
  EXPECT_EQ(t.completed_at, 9);
  EXPECT_TRUE(t.requested_execution_id.empty());

  ASSERT_TRUE(ApplyCancelRequest("again", 10, &t, &changed).ok());  // already cancelled
  EXPECT_FALSE(changed);
  EXPECT_EQ(t.error_message, "cancelled");

  Task held = HeldTask("ex1");
  ASSERT_TRUE(ApplyCancelRequest("stop", 10, &held, &changed).ok());
  EXPECT_TRUE(changed);
  EXPECT_TRUE(held.cancel_requested);
  EXPECT_EQ(held.status, TaskStatus::kInProgress);
  ASSERT_TRUE(ApplyCancelRequest("stop", 11, &held, &changed).ok());  // already cancelling
  EXPECT_FALSE(changed);

  Task done;
  done.id = "t2";
  done.status = TaskStatus::kCompleted;
  Status s = ApplyCancelRequest("", 12, &done, &changed);
  EXPECT_TRUE(s.IsConflict());
  EXPECT_EQ(s.message(), "task t2 is completed");
}

TEST(StoreRulesTest, ExecutionRequest) {
  EXPECT_EQ(CheckExecutionRequest("").message(), "execution id is required");
  EXPECT_TRUE(CheckExecutionRequest("e1").ok());

  Task t;
  t.id = "t1";
  t.status = TaskStatus::kFailed;
  t.retry_count = 3;
  t.cancel_requested = true;
  ASSERT_TRUE(CheckCanRequestExecution(t).ok());
  ApplyExecutionRequest("e1", "claude", /*force=*/false, &t);
  EXPECT_EQ(t.status, TaskStatus::kPending);
  EXPECT_EQ(t.retry_count, 0);
  EXPECT_FALSE(t.cancel_requested);
  EXPECT_EQ(t.requested_execution_id, "e1");
  EXPECT_EQ(t.requested_agent, "claude");
  EXPECT_EQ(CheckCanRequestExecution(t).message(), "task t1 already has an execution request (e1)");

  Task retrying;
  retrying.status = TaskStatus::kRetrying;
  retrying.retry_count = 2;
  ApplyExecutionRequest("e2", "", /*force=*/false, &retrying);
  EXPECT_EQ(retrying.status, TaskStatus::kRetrying);  // runnable: keeps status and retries
  EXPECT_EQ(retrying.retry_count, 2);

  EXPECT_TRUE(CheckCanRequestExecution(HeldTask("ex1")).IsConflict());
}

TEST(StoreRulesTest, ClaimChecks) {
  ClaimRequest req;
  EXPECT_EQ(CheckClaimRequest(req).message(),
            "claim needs task_id, executor_id, execution_id and agent");
  req.task_id = "t1";
  req.executor_id = "ex1";
  req.execution_id = "e1";
  req.agent = "claude";
  req.expected_version = 2;
  req.now = 100;
  ASSERT_TRUE(CheckClaimRequest(req).ok());

  Task t;
  t.id = "t1";
  t.status = TaskStatus::kPending;
  t.version = 2;
  EXPECT_TRUE(CheckClaimable(t, req).ok());
  EXPECT_EQ(ClaimRefusal(t, req).message(), "task t1 is not due yet");

  t.next_attempt_at = 200;
  EXPECT_EQ(CheckClaimable(t, req).message(), "task t1 is not due yet");
  t.next_attempt_at = 0;

  t.version = 3;
  EXPECT_EQ(CheckClaimable(t, req).message(), "task t1 changed: version 3, expected 2");
  t.version = 2;

  t.status = TaskStatus::kSuspended;
  EXPECT_EQ(CheckClaimable(t, req).message(), "task t1 is not runnable (suspended)");
  t.status = TaskStatus::kPending;

  t.cancel_requested = true;
  EXPECT_EQ(CheckClaimable(t, req).message(), "task t1 has a cancel request");
  t.cancel_requested = false;

  req.manual = true;
  EXPECT_EQ(CheckClaimable(t, req).message(), "task t1 has no execution request");
  t.requested_execution_id = "e1";
  EXPECT_TRUE(CheckClaimable(t, req).ok());
  EXPECT_EQ(ClaimRefusal(t, req).message(), "task t1 is reserved for requested execution e1");
  req.execution_id = "e9";
  EXPECT_EQ(CheckClaimable(t, req).message(), "task t1 is reserved for requested execution e1");
  req.manual = false;
  EXPECT_TRUE(CheckClaimable(t, req).IsConflict());

  Task held = HeldTask("");
  EXPECT_EQ(CheckClaimable(held, req).message(), "task t1 is held by another executor");
  EXPECT_EQ(ClaimRefusal(HeldTask("ex2"), req).message(), "task t1 is held by ex2");
}

TEST(StoreRulesTest, LeaseFence) {
  EXPECT_EQ(CheckExecutorId("").message(), "executor id is required");
  EXPECT_TRUE(CheckLease(HeldTask("ex1"), "ex1").ok());
  EXPECT_EQ(CheckLease(HeldTask("ex2"), "ex1").message(),
            "lease on task t1 is held by ex2, not ex1");
  EXPECT_EQ(CheckLease(HeldTask(""), "ex1").message(),
            "lease on task t1 is held by nobody, not ex1");
  Task pending;
  pending.id = "t1";
  EXPECT_EQ(CheckLease(pending, "ex1").message(), "task t1 is not running (pending)");
}

TEST(StoreRulesTest, ApplyStarted) {
  Task t = HeldTask("ex1");
  t.status = TaskStatus::kAssigned;
  SessionExecution e;
  e.id = "e1";
  e.task_id = "t1";
  bool moved = false;
  ASSERT_TRUE(ApplyStarted(42, 50, &t, &e, &moved).ok());  // a claim of an earlier version
  EXPECT_EQ(e.pid, 42);
  EXPECT_EQ(t.status, TaskStatus::kInProgress);
  EXPECT_EQ(t.started_at, 50);
  EXPECT_TRUE(moved);
  ASSERT_TRUE(ApplyStarted(43, 60, &t, &e, &moved).ok());  // already in progress
  EXPECT_EQ(e.pid, 43);
  EXPECT_EQ(t.started_at, 50);
  EXPECT_FALSE(moved) << "a pid alone is the execution's";

  e.task_id = "t9";
  Status s = ApplyStarted(1, 70, &t, &e, &moved);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(), "execution e1 belongs to task t9");
  e.task_id = "t1";
  e.status = ExecutionStatus::kCompleted;
  EXPECT_EQ(ApplyStarted(1, 70, &t, &e, &moved).message(), "execution e1 already ended");
}

TEST(StoreRulesTest, FinishChecks) {
  AttemptOutcome o;
  o.task_id = "t1";
  o.execution_id = "e1";
  o.executor_id = "ex1";
  o.task_status = TaskStatus::kCompleted;
  o.now = 4000;
  EXPECT_TRUE(CheckFinish(HeldTask("ex1"), o).ok());
  EXPECT_TRUE(CheckFinish(HeldTask("ex2"), o).IsConflict());

  o.require_expired_lease = true;
  EXPECT_EQ(CheckFinish(HeldTask("ex1"), o).message(), "lease on task t1 has not expired");
  o.now = 6000;
  EXPECT_TRUE(CheckFinish(HeldTask("ex1"), o).ok());

  o.task_status = TaskStatus::kSuspended;
  Status s = CheckFinish(HeldTask("ex1"), o);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(), "an attempt cannot move task t1 from in_progress to suspended");

  SessionExecution e;
  e.task_id = "t1";
  EXPECT_TRUE(CheckOutcomeExecution(e, o).ok());
  e.task_id = "t2";
  EXPECT_EQ(CheckOutcomeExecution(e, o).message(), "execution e1 belongs to task t2, not t1");

  Artifact a;
  FillArtifactDefaults(o, &a);
  EXPECT_FALSE(a.id.empty());
  EXPECT_EQ(a.task_id, "t1");
  EXPECT_EQ(a.execution_id, "e1");
  EXPECT_EQ(a.created_at, 6000);
  Artifact named;
  named.id = "art-x";
  named.created_at = 1;
  FillArtifactDefaults(o, &named);
  EXPECT_EQ(named.id, "art-x");
  EXPECT_EQ(named.created_at, 1);
}

TEST(StoreRulesTest, ApplyOutcomeToExecutionAndTask) {
  AttemptOutcome o;
  o.execution_status = ExecutionStatus::kFailed;
  o.task_status = TaskStatus::kRetrying;
  o.error_type = ErrorType::kExecutionError;
  o.error_message = "exit 1";
  o.summary = "";
  o.exit_code = 1;
  o.retry_count = 1;
  o.next_attempt_at = 9000;
  o.now = 7000;

  SessionExecution e;
  e.session_id = "kept";
  ApplyOutcome(o, &e);
  EXPECT_EQ(e.status, ExecutionStatus::kFailed);
  EXPECT_EQ(e.ended_at, 7000);
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_FALSE(e.term_signal.has_value());
  EXPECT_EQ(e.error, "exit 1");
  EXPECT_EQ(e.session_id, "kept");

  Task t = HeldTask("ex1");
  t.output_summary = "previous";
  t.cancel_requested = true;
  ApplyOutcome(o, &t);
  EXPECT_EQ(t.status, TaskStatus::kRetrying);
  EXPECT_EQ(t.retry_count, 1);
  EXPECT_EQ(t.next_attempt_at, 9000);
  EXPECT_EQ(t.error_type, ErrorType::kExecutionError);
  EXPECT_EQ(t.output_summary, "previous");
  EXPECT_EQ(t.completed_at, 0);
  EXPECT_EQ(t.last_retry_at, 7000);
  EXPECT_TRUE(t.lease_owner.empty());
  EXPECT_EQ(t.lease_expires_at, 0);
  EXPECT_FALSE(t.cancel_requested);

  o.task_status = TaskStatus::kCompleted;
  o.summary = "done";
  o.session_id = "s2";
  ApplyOutcome(o, &e);
  EXPECT_EQ(e.session_id, "s2");
  ApplyOutcome(o, &t);
  EXPECT_TRUE(t.error_type == ErrorType::kNone);
  EXPECT_TRUE(t.error_message.empty());
  EXPECT_EQ(t.output_summary, "done");
  EXPECT_EQ(t.completed_at, 7000);
}

}  // namespace
}  // namespace taskexec::store_rules
