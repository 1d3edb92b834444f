// Conformance: listing by agent and page cursor, and pruning history --
// finished tasks listed oldest first, deleted with their executions,
// artifacts and meta keys, and kept when they changed since they were read.
#include <algorithm>
#include <string>
#include <vector>

#include "store/store_conformance.h"

namespace taskexec::store_test {
namespace {

using E = ExecutionStatus;
using S = TaskStatus;

using Strings = std::vector<std::string>;

TEST_P(StoreConformanceTest, ListTasksByAgentUsesTheStatsAgent) {
  NewTask nt;
  nt.title = "any";
  nt.assigned_to = "any";
  Task any = Add(nt, kT0 + 1);
  nt.title = "jochi";
  nt.assigned_to = "jochi";
  Task jochi = Add(nt, kT0 + 2);
  Claim overridden = MustClaim(jochi);  // claimed by temujin: temujin's now
  Task plain = Add("plain", kT0 + 3);

  std::vector<Task> out;
  TaskFilter f;
  f.agent = "unassigned";
  ASSERT_TRUE(store_->ListTasks(f, &out).ok());
  EXPECT_EQ(Ids(out), (Strings{any.id, plain.id}));
  f.agent = "temujin";
  ASSERT_TRUE(store_->ListTasks(f, &out).ok());
  EXPECT_EQ(Ids(out), (Strings{overridden.task.id}));
  f.agent = "jochi";
  ASSERT_TRUE(store_->ListTasks(f, &out).ok());
  EXPECT_TRUE(out.empty());
  f.agent = "any";
  ASSERT_TRUE(store_->ListTasks(f, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST_P(StoreConformanceTest, ListTasksPagesWithACursor) {
  std::vector<std::string> all;
  // Two tasks share a created_at: the cursor must still separate them.
  for (int i = 0; i < 5; ++i) all.push_back(Add("t" + std::to_string(i), kT0 + i / 2).id);
  std::vector<std::string> seen;
  TaskFilter f;
  f.limit = 2;
  for (int page = 0; page < 4; ++page) {
    std::vector<Task> out;
    ASSERT_TRUE(store_->ListTasks(f, &out).ok());
    if (out.empty()) break;
    for (const Task& t : out) seen.push_back(t.id);
    f.after = out.back().id;
  }
  EXPECT_EQ(seen, all);

  f.after = "no-such-task";
  std::vector<Task> out;
  Status s = store_->ListTasks(f, &out);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
}

TEST_P(StoreConformanceTest, ListFinishedBeforeListsOldFinishedTasksOldestFirst) {
  Task done = Add("done", kT0);
  Claim c = MustClaim(done, "exec-A", kT0);
  ASSERT_TRUE(store_->MarkStarted(done.id, c.execution.id, "exec-A", 42, kT0 + 1).ok());
  ASSERT_TRUE(
      store_->FinishAttempt(OutcomeFor(c, S::kCompleted, E::kCompleted, kT0 + 30), nullptr).ok());
  Task cancelled = Add("cancelled", kT0);
  Task out;
  ASSERT_TRUE(store_->RequestCancel(cancelled.id, "no longer needed", kT0 + 10, &out).ok());
  NewTask failed_nt;
  failed_nt.title = "failed";
  failed_nt.status = S::kFailed;
  Task failed = Add(failed_nt, kT0 + 20);
  Task recent = Add("recent", kT0);
  ASSERT_TRUE(store_->RequestCancel(recent.id, "", kT0 + 100, &out).ok());
  Add("queued", kT0);
  Claim running = MustClaim(Add("running", kT0), "exec-A", kT0);

  std::vector<Task> listed;
  ASSERT_TRUE(store_->ListFinishedBefore(kT0 + 100, {}, 10, &listed).ok());
  EXPECT_EQ(Ids(listed), (Strings{cancelled.id, failed.id, done.id}));
  std::vector<Task> first_page;
  ASSERT_TRUE(store_->ListFinishedBefore(kT0 + 100, {}, 2, &first_page).ok());
  ASSERT_EQ(Ids(first_page), (Strings{cancelled.id, failed.id}));
  ASSERT_TRUE(store_->ListFinishedBefore(kT0 + 10, {}, 10, &listed).ok());
  EXPECT_TRUE(listed.empty());
  EXPECT_FALSE(store_->ListFinishedBefore(kT0, {}, 0, &listed).ok());
  ASSERT_TRUE(
      store_
          ->ListFinishedBefore(kT0 + 100,
                               FinishedCursor{first_page.back().completed_at, first_page.back().id},
                               10, &listed)
          .ok());
  EXPECT_EQ(Ids(listed), (Strings{done.id}));
  (void)running;
}

TEST_P(StoreConformanceTest, ListFinishedBeforePagesThroughTiesById) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    Task t = Add("t" + std::to_string(i), kT0);
    ASSERT_TRUE(store_->RequestCancel(t.id, "", kT0 + 10, nullptr).ok());  // same completed_at
    ids.push_back(t.id);
  }
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> seen;
  FinishedCursor cursor;
  for (int page = 0; page < 5; ++page) {
    std::vector<Task> out;
    ASSERT_TRUE(store_->ListFinishedBefore(kT0 + 11, cursor, 2, &out).ok());
    if (out.empty()) break;
    for (const Task& t : out) seen.push_back(t.id);
    cursor = {out.back().completed_at, out.back().id};
  }
  EXPECT_EQ(seen, ids);
}

TEST_P(StoreConformanceTest, DeleteTasksTakesExecutionsArtifactsAndMetaAlong) {
  Task t = Add("done", kT0);
  Claim c = MustClaim(t, "exec-A", kT0);
  ASSERT_TRUE(store_->MarkStarted(t.id, c.execution.id, "exec-A", 42, kT0 + 1).ok());
  AttemptOutcome o = OutcomeFor(c, S::kCompleted, E::kCompleted, kT0 + 5);
  Artifact a;
  a.name = "report.md";
  a.path = "/tmp/report.md";
  a.size = 3;
  o.artifacts.push_back(a);
  Task done;
  ASSERT_TRUE(store_->FinishAttempt(o, &done).ok());
  ASSERT_TRUE(store_->SetMeta("notion.synced." + t.id, "7").ok());
  ASSERT_TRUE(store_->SetMeta("keep.me", "1").ok());
  Task other = Add("other", kT0);
  StoreStats before;
  ASSERT_TRUE(store_->GetStats(&before).ok());

  std::vector<std::string> deleted;
  ASSERT_TRUE(
      store_
          ->DeleteTasks({TaskDeletion{done.id, done.version, {"notion.synced." + t.id}}}, &deleted)
          .ok());
  EXPECT_EQ(deleted, (Strings{done.id}));
  Task gone;
  EXPECT_TRUE(store_->GetTask(done.id, &gone).IsNotFound());
  SessionExecution e;
  EXPECT_TRUE(store_->GetExecution(c.execution.id, &e).IsNotFound());
  std::vector<SessionExecution> executions;
  ASSERT_TRUE(store_->ListExecutions(done.id, &executions).ok());
  EXPECT_TRUE(executions.empty());
  std::vector<Artifact> artifacts;
  ASSERT_TRUE(store_->ListArtifacts(done.id, &artifacts).ok());
  EXPECT_TRUE(artifacts.empty());
  std::string value;
  EXPECT_TRUE(store_->GetMeta("notion.synced." + t.id, &value).IsNotFound());
  ASSERT_TRUE(store_->GetMeta("keep.me", &value).ok());
  EXPECT_EQ(Get(other.id).id, other.id);
  StoreStats after;
  ASSERT_TRUE(store_->GetStats(&after).ok());
  EXPECT_EQ(after.by_status["completed"], before.by_status["completed"] - 1);
}

TEST_P(StoreConformanceTest, DeleteTasksKeepsTasksThatChangedOrAreNotFinished) {
  Task t = Add("cancelled", kT0);
  Task cancelled;
  ASSERT_TRUE(store_->RequestCancel(t.id, "", kT0 + 1, &cancelled).ok());
  Task requeued;  // moved back to the queue after it was listed
  ASSERT_TRUE(store_->SetStatus(t.id, S::kPending, "again", kT0 + 2, &requeued).ok());
  Task queued = Add("queued", kT0);

  std::vector<std::string> deleted = {"stale"};
  ASSERT_TRUE(store_
                  ->DeleteTasks({TaskDeletion{t.id, cancelled.version, {}},
                                 TaskDeletion{queued.id, queued.version, {}},
                                 TaskDeletion{"no-such-task", 1, {}}},
                                &deleted)
                  .ok());
  EXPECT_TRUE(deleted.empty());
  EXPECT_EQ(Get(t.id).status, S::kPending);
  EXPECT_EQ(Get(queued.id).status, S::kPending);
}

}  // namespace
}  // namespace taskexec::store_test
