// Conformance: dependencies (Task::blocked_by) -- waiting, blocking on a
// failed or cancelled dependency, release, unblock, cycles, and the
// listings that leave waiting tasks out.
#include <string>
#include <vector>

#include "store/store_conformance.h"

namespace taskexec::store_test {
namespace {

using E = ExecutionStatus;
using S = TaskStatus;
using IdList = std::vector<std::string>;

NewTask Behind(const std::string& id, const IdList& blocked_by, const std::string& agent = "") {
  NewTask nt;
  nt.id = id;
  nt.title = "task " + id;
  nt.blocked_by = blocked_by;
  nt.routed_agent = agent;
  return nt;
}

TEST_P(StoreConformanceTest, ATaskWaitsUntilEveryDependencyCompletes) {
  Task a = Add(Behind("a", {}));
  Task b = Add(Behind("b", {}));
  Task c = Add(Behind("c", {"a", "b"}, "temujin"));
  EXPECT_EQ(c.status, S::kPending);
  EXPECT_EQ(c.blocked_by, (IdList{"a", "b"}));
  EXPECT_EQ(c.waiting_on, (IdList{"a", "b"}));
  EXPECT_EQ(Get("c").waiting_on, (IdList{"a", "b"}));

  std::vector<Task> listed;
  ASSERT_TRUE(store_->ListRunnable(kT0 + 1, 10, false, &listed).ok());
  EXPECT_EQ(Ids(listed), (IdList{"a", "b"}));
  ASSERT_TRUE(store_->ListRunnableFor("temujin", kT0 + 1, 10, {}, &listed).ok());
  EXPECT_TRUE(listed.empty());
  Status s = store_->Claim(ClaimFor(Get("c"), "exec-A", kT0 + 1), nullptr);
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_NE(s.message().find("waits on a, b"), std::string::npos) << s.ToString();
  ASSERT_TRUE(store_->ListDependents("a", &listed).ok());
  EXPECT_EQ(Ids(listed), (IdList{"c"}));

  // One dependency ends by its attempt, the other by a person.
  Claim ca = MustClaim(a, "exec-A", kT0 + 2);
  ASSERT_TRUE(store_->MarkStarted(ca.task.id, ca.execution.id, "exec-A", 42, kT0 + 3).ok());
  Status finished =
      store_->FinishAttempt(OutcomeFor(ca, S::kCompleted, E::kCompleted, kT0 + 3), nullptr);
  ASSERT_TRUE(finished.ok()) << finished.ToString();
  Task mid = Get("c");
  EXPECT_EQ(mid.waiting_on, (IdList{"b"}));
  EXPECT_GT(mid.version, c.version);  // the change feed sees it
  ASSERT_TRUE(store_->SetStatus("b", S::kCompleted, "", kT0 + 4, nullptr).ok());
  EXPECT_TRUE(Get("c").waiting_on.empty());
  ASSERT_TRUE(store_->ListRunnableFor("temujin", kT0 + 5, 10, {}, &listed).ok());
  EXPECT_EQ(Ids(listed), (IdList{"c"}));
  MustClaim(Get("c"), "exec-A", kT0 + 6);
}

TEST_P(StoreConformanceTest, AFailedDependencyBlocksUntilItIsReRunAndCompletes) {
  Task a = Add(Behind("a", {}));
  Add(Behind("b", {"a"}, "temujin"));
  Claim ca = MustClaim(a, "exec-A", kT0 + 1);
  AttemptOutcome failed = OutcomeFor(ca, S::kFailed, E::kFailed, kT0 + 2);
  failed.error_type = ErrorType::kExecutionError;
  failed.error_message = "tests do not pass";
  ASSERT_TRUE(store_->MarkStarted("a", ca.execution.id, "exec-A", 42, kT0 + 1).ok());
  ASSERT_TRUE(store_->FinishAttempt(failed, nullptr).ok());
  Task b = Get("b");
  EXPECT_EQ(b.status, S::kBlocked);
  EXPECT_EQ(b.error_type, ErrorType::kDependencyFailed);
  EXPECT_EQ(b.error_message, "dependency a failed: tests do not pass");
  EXPECT_EQ(b.waiting_on, (IdList{"a"}));

  // A person cannot just queue it again while a stays failed.
  Status s = store_->SetStatus("b", S::kPending, "", kT0 + 3, nullptr);
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_NE(s.message().find("--unblock"), std::string::npos) << s.ToString();
  s = store_->RequestExecution("b", "exec-b", "", false, kT0 + 3, nullptr);
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_EQ(Get("b").status, S::kBlocked);

  // Re-running a puts b back to waiting; a's completion releases it.
  ASSERT_TRUE(store_->RequestExecution("a", "exec-a2", "", false, kT0 + 4, nullptr).ok());
  b = Get("b");
  EXPECT_EQ(b.status, S::kPending);
  EXPECT_EQ(b.error_type, ErrorType::kNone);
  EXPECT_EQ(b.waiting_on, (IdList{"a"}));
  ClaimRequest again = ClaimFor(Get("a"), "exec-A", kT0 + 5);
  again.manual = true;
  again.execution_id = "exec-a2";
  Claim ca2;
  ASSERT_TRUE(store_->Claim(again, &ca2).ok());
  ASSERT_TRUE(store_->MarkStarted(ca2.task.id, ca2.execution.id, "exec-A", 42, kT0 + 6).ok());
  Status finished =
      store_->FinishAttempt(OutcomeFor(ca2, S::kCompleted, E::kCompleted, kT0 + 6), nullptr);
  ASSERT_TRUE(finished.ok()) << finished.ToString();
  std::vector<Task> listed;
  ASSERT_TRUE(store_->ListRunnableFor("temujin", kT0 + 7, 10, {}, &listed).ok());
  EXPECT_EQ(Ids(listed), (IdList{"b"}));
}

TEST_P(StoreConformanceTest, ACancelledDependencyBlocksAndUnblockDropsTheDependencies) {
  Add(Behind("a", {}));
  Add(Behind("b", {"a"}, "temujin"));
  ASSERT_TRUE(store_->RequestCancel("a", "not needed", kT0 + 1, nullptr).ok());
  Task b = Get("b");
  EXPECT_EQ(b.status, S::kBlocked);
  EXPECT_EQ(b.error_message, "dependency a cancelled: not needed");

  TaskPatch unblock;
  unblock.blocked_by = IdList{};
  Task out;
  ASSERT_TRUE(store_->UpdateTask("b", unblock, -1, kT0 + 2, &out).ok());
  EXPECT_EQ(out.status, S::kPending);
  EXPECT_TRUE(out.blocked_by.empty());
  EXPECT_TRUE(out.waiting_on.empty());
  EXPECT_EQ(out.error_type, ErrorType::kNone);
  std::vector<Task> listed;
  ASSERT_TRUE(store_->ListDependents("a", &listed).ok());
  EXPECT_TRUE(listed.empty());
  ASSERT_TRUE(store_->ListRunnableFor("temujin", kT0 + 3, 10, {}, &listed).ok());
  EXPECT_EQ(Ids(listed), (IdList{"b"}));
}

TEST_P(StoreConformanceTest, AddedBehindFinishedTasksATaskStartsRunnableOrBlocked) {
  Add(Behind("done", {}));
  ASSERT_TRUE(store_->SetStatus("done", S::kCompleted, "", kT0 + 1, nullptr).ok());
  Add(Behind("gone", {}));
  ASSERT_TRUE(store_->SetStatus("gone", S::kFailed, "no longer wanted", kT0 + 1, nullptr).ok());
  Task ready = Add(Behind("ready", {"done"}), kT0 + 2);
  EXPECT_EQ(ready.status, S::kPending);
  EXPECT_TRUE(ready.waiting_on.empty());
  Task stuck = Add(Behind("stuck", {"done", "gone"}), kT0 + 2);
  EXPECT_EQ(stuck.status, S::kBlocked);
  EXPECT_EQ(stuck.waiting_on, (IdList{"gone"}));
  EXPECT_EQ(Get("stuck").status, S::kBlocked);
}

TEST_P(StoreConformanceTest, BadDependencyListsAreRefusedNamingTheProblem) {
  Add(Behind("a", {}));
  Add(Behind("b", {"a"}));
  Add(Behind("c", {"b"}));
  TaskPatch p;
  p.blocked_by = IdList{"c"};
  Status s = store_->UpdateTask("a", p, -1, kT0 + 1, nullptr);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("a -> c -> b -> a"), std::string::npos) << s.ToString();
  EXPECT_TRUE(Get("a").blocked_by.empty());
  p.blocked_by = IdList{"a"};
  s = store_->UpdateTask("a", p, -1, kT0 + 1, nullptr);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  s = store_->AddTask(Behind("d", {"a", "nope"}), kT0 + 1, nullptr);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("no task nope"), std::string::npos) << s.ToString();
  Task none;
  EXPECT_TRUE(store_->GetTask("d", &none).IsNotFound());
  Task e = Add(Behind("e", {" a ", "b", "a"}));
  EXPECT_EQ(e.blocked_by, (IdList{"a", "b"}));
}

TEST_P(StoreConformanceTest, WaitingTasksAreListedByTheDependencyFilterAndRoutedOnceReleased) {
  Add(Behind("a", {}));
  Add(Behind("waits", {"a"}));  // not routed
  Add(Behind("free", {}));
  std::vector<Task> listed;
  ASSERT_TRUE(store_->ListUnrouted(10, &listed).ok());
  EXPECT_EQ(Ids(listed), (IdList{"a", "free"}));
  TaskFilter f;
  f.dependencies = true;
  ASSERT_TRUE(store_->ListTasks(f, &listed).ok());
  EXPECT_EQ(Ids(listed), (IdList{"waits"}));
  ASSERT_TRUE(store_->SetStatus("a", S::kCancelled, "", kT0 + 1, nullptr).ok());
  ASSERT_TRUE(store_->ListTasks(f, &listed).ok());
  EXPECT_EQ(Ids(listed), (IdList{"waits"}));  // now blocked
  ASSERT_TRUE(store_->SetStatus("a", S::kPending, "", kT0 + 2, nullptr).ok());
  ASSERT_TRUE(store_->SetStatus("a", S::kCompleted, "", kT0 + 3, nullptr).ok());
  ASSERT_TRUE(store_->ListTasks(f, &listed).ok());
  EXPECT_TRUE(listed.empty());
  ASSERT_TRUE(store_->ListUnrouted(10, &listed).ok());
  EXPECT_EQ(Ids(listed), (IdList{"waits", "free"}));
}

}  // namespace
}  // namespace taskexec::store_test
