// Conformance: creating, reading, listing and editing tasks; people's status
// changes and cancellation; stats; meta; byte-exact strings.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/store_conformance.h"

namespace taskexec::store_test {
namespace {

using S = TaskStatus;

TEST_P(StoreConformanceTest, AddAndGetRoundTripEveryField) {
  NewTask nt;
  nt.id = "task-1";
  nt.title = "Write the report";
  nt.description = "all of it";
  nt.type = "research";
  nt.priority = Priority::kHigh;
  nt.assigned_to = "mongke";
  nt.source = "api";
  nt.notion_page_id = "page-1";
  nt.notion_url = "https://notion.so/page-1";
  nt.context_json = R"({"k":1})";
  nt.max_retries = 5;
  Task added = Add(nt, kT0);
  Task t = Get("task-1");
  for (const Task* x : {&added, &t}) {
    EXPECT_EQ(x->id, "task-1");
    EXPECT_EQ(x->title, "Write the report");
    EXPECT_EQ(x->description, "all of it");
    EXPECT_EQ(x->type, "research");
    EXPECT_EQ(x->priority, Priority::kHigh);
    EXPECT_EQ(x->assigned_to, "mongke");
    EXPECT_EQ(x->status, S::kPending);
    EXPECT_EQ(x->source, "api");
    EXPECT_EQ(x->notion_page_id, "page-1");
    EXPECT_EQ(x->notion_url, "https://notion.so/page-1");
    EXPECT_EQ(x->context_json, R"({"k":1})");
    EXPECT_EQ(x->max_retries, 5);
    EXPECT_EQ(x->retry_count, 0);
    EXPECT_EQ(x->next_attempt_at, 0);
    EXPECT_EQ(x->claimed_by, "");
    EXPECT_EQ(x->lease_owner, "");
    EXPECT_FALSE(x->cancel_requested);
    EXPECT_EQ(x->created_at, kT0);
    EXPECT_EQ(x->updated_at, kT0);
    EXPECT_EQ(x->completed_at, 0);
    EXPECT_EQ(x->version, 1);
  }
}

TEST_P(StoreConformanceTest, AddGeneratesDistinctIdsAndDefaults) {
  NewTask nt;
  nt.title = "a";
  nt.context_json = "";
  Task a = Add(nt);
  Task b = Add("b");
  EXPECT_FALSE(a.id.empty());
  EXPECT_NE(a.id, b.id);
  EXPECT_EQ(a.priority, Priority::kNormal);
  EXPECT_EQ(a.context_json, "{}");
  EXPECT_EQ(Get(a.id).title, "a");
}

TEST_P(StoreConformanceTest, AddValidatesInput) {
  Task t;
  for (const char* title : {"", "   ", " \n\t "}) {
    NewTask nt;
    nt.title = title;
    Status s = store_->AddTask(nt, kT0, &t);
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.message().find("title is required"), std::string::npos) << s.message();
  }
  for (S st : {S::kAssigned, S::kClaimed, S::kInProgress, S::kRetrying}) {
    NewTask nt;
    nt.title = "x";
    nt.status = st;
    EXPECT_TRUE(store_->AddTask(nt, kT0, &t).IsInvalidArgument()) << ToString(st);
  }
  std::vector<Task> all;
  ASSERT_TRUE(store_->ListTasks({}, &all).ok());
  EXPECT_TRUE(all.empty());
}

TEST_P(StoreConformanceTest, AddAcceptsHeldBoardAndFinalStates) {
  NewTask nt;
  nt.title = "from the board";
  nt.status = S::kSuspended;
  EXPECT_EQ(Add(nt).status, S::kSuspended);
  nt.status = S::kCompleted;
  Task done = Add(nt, kT0 + 5);
  EXPECT_EQ(done.status, S::kCompleted);
  EXPECT_EQ(done.completed_at, kT0 + 5);
}

TEST_P(StoreConformanceTest, DuplicateIdIsConflict) {
  NewTask nt;
  nt.id = "dup";
  nt.title = "first";
  Add(nt);
  nt.title = "second";
  Task t;
  EXPECT_TRUE(store_->AddTask(nt, kT0, &t).IsConflict());
  EXPECT_EQ(Get("dup").title, "first");
}

// AddTasks: one result per task, as AddTask would give; refusals (an id
// already stored or repeated in the batch, a Notion page taken, an empty
// title) do not stop the others.
TEST_P(StoreConformanceTest, AddTasksReportsEachTaskAndKeepsTheGoodOnes) {
  NewTask existing;
  existing.id = "old";
  existing.title = "already here";
  Add(existing);
  std::vector<NewTask> batch(6);
  batch[0].title = "fresh";
  batch[0].routed_agent = "jochi";
  batch[1].id = "old";
  batch[1].title = "clash with the store";
  batch[2].id = "twice";
  batch[2].title = "first of two";
  batch[3].id = "twice";
  batch[3].title = "second of two";
  batch[4].title = "";
  batch[5].title = "with a page";
  batch[5].notion_page_id = "page-42";
  std::vector<Status> results;
  ASSERT_TRUE(store_->AddTasks(batch, kT0, &results).ok());
  ASSERT_EQ(results.size(), 6u);
  EXPECT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_TRUE(results[1].IsConflict()) << results[1].ToString();
  EXPECT_TRUE(results[2].ok()) << results[2].ToString();
  EXPECT_TRUE(results[3].IsConflict()) << results[3].ToString();
  EXPECT_TRUE(results[4].IsInvalidArgument()) << results[4].ToString();
  EXPECT_TRUE(results[5].ok()) << results[5].ToString();
  EXPECT_EQ(Get("old").title, "already here");
  EXPECT_EQ(Get("twice").title, "first of two");
  std::vector<Task> all;
  ASSERT_TRUE(store_->ListTasks(TaskFilter{}, &all).ok());
  EXPECT_EQ(all.size(), 4u);
  Task page;
  ASSERT_TRUE(store_->FindByNotionPage("page-42", &page).ok());
  EXPECT_EQ(page.title, "with a page");
  for (const Task& t : all) {
    if (t.title == "fresh") {
      EXPECT_EQ(t.routed_agent, "jochi");
    }
  }
  ASSERT_TRUE(store_->AddTasks({}, kT0, &results).ok());
  EXPECT_TRUE(results.empty());
}

TEST_P(StoreConformanceTest, NotionPageIsUniqueAndFindable) {
  NewTask nt;
  nt.title = "a";
  nt.notion_page_id = "page-7";
  Task a = Add(nt);
  Task t;
  nt.title = "b";
  EXPECT_TRUE(store_->AddTask(nt, kT0, &t).IsConflict());
  // Many tasks without a page are fine.
  Add("no page 1");
  Add("no page 2");
  ASSERT_TRUE(store_->FindByNotionPage("page-7", &t).ok());
  EXPECT_EQ(t.id, a.id);
  EXPECT_TRUE(store_->FindByNotionPage("page-8", &t).IsNotFound());
  EXPECT_TRUE(store_->FindByNotionPage("", &t).IsNotFound());
}

TEST_P(StoreConformanceTest, GetUnknownIsNotFound) {
  Task t;
  EXPECT_TRUE(store_->GetTask("nope", &t).IsNotFound());
}

TEST_P(StoreConformanceTest, ListTasksFiltersAndOrdersOldestFirst) {
  NewTask nt;
  nt.title = "a";
  nt.source = "notion";
  nt.assigned_to = "jochi";
  Task a = Add(nt, kT0 + 1);
  nt.title = "b";
  nt.source = "cli";
  nt.assigned_to = "";
  Task b = Add(nt, kT0 + 2);
  Task c = Add("c", kT0 + 3);
  Claim claimed = MustClaim(c);  // claimed_by temujin

  std::vector<Task> out;
  ASSERT_TRUE(store_->ListTasks({}, &out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].id, a.id);
  EXPECT_EQ(out[1].id, b.id);
  EXPECT_EQ(out[2].id, c.id);

  TaskFilter f;
  f.status = S::kInProgress;
  ASSERT_TRUE(store_->ListTasks(f, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, c.id);

  f = {};
  f.agent = "jochi";  // matches assigned_to
  ASSERT_TRUE(store_->ListTasks(f, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, a.id);
  f.agent = "temujin";  // matches claimed_by
  ASSERT_TRUE(store_->ListTasks(f, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, c.id);

  f = {};
  f.source = "notion";
  ASSERT_TRUE(store_->ListTasks(f, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, a.id);

  f = {};
  f.limit = 2;
  ASSERT_TRUE(store_->ListTasks(f, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].id, b.id);
}

TEST_P(StoreConformanceTest, UpdateTaskPatchesAndChecksVersion) {
  Task t = Add("old");
  TaskPatch p;
  p.title = "new";
  p.priority = Priority::kCritical;
  p.assigned_to = "ogedei";
  Task u;
  ASSERT_TRUE(store_->UpdateTask(t.id, p, t.version, kT0 + 10, &u).ok());
  EXPECT_EQ(u.title, "new");
  EXPECT_EQ(u.priority, Priority::kCritical);
  EXPECT_EQ(u.assigned_to, "ogedei");
  EXPECT_EQ(u.description, t.description);  // unset fields stay
  EXPECT_EQ(u.version, t.version + 1);
  EXPECT_EQ(u.updated_at, kT0 + 10);
  EXPECT_EQ(Get(t.id).title, "new");

  // Stale version.
  EXPECT_TRUE(store_->UpdateTask(t.id, p, t.version, kT0, &u).IsConflict());
  // -1 skips the check.
  TaskPatch d;
  d.description = "described";
  ASSERT_TRUE(store_->UpdateTask(t.id, d, -1, kT0 + 11, &u).ok());
  EXPECT_EQ(u.description, "described");
  EXPECT_EQ(u.title, "new");

  TaskPatch blank;
  blank.title = " ";
  EXPECT_TRUE(store_->UpdateTask(t.id, blank, -1, kT0, &u).IsInvalidArgument());
  EXPECT_TRUE(store_->UpdateTask("nope", d, -1, kT0, &u).IsNotFound());

  MustClaim(Get(t.id));
  EXPECT_TRUE(store_->UpdateTask(t.id, d, -1, kT0, &u).IsConflict());
}

TEST_P(StoreConformanceTest, SetStatusFollowsTheTransitionTable) {
  Task t = Add("t");
  Task u;
  ASSERT_TRUE(store_->SetStatus(t.id, S::kSuspended, "backlog", kT0 + 1, &u).ok());
  EXPECT_EQ(u.status, S::kSuspended);
  EXPECT_EQ(u.version, t.version + 1);
  EXPECT_EQ(u.updated_at, kT0 + 1);
  // Same status again: accepted, nothing written.
  ASSERT_TRUE(store_->SetStatus(t.id, S::kSuspended, "", kT0 + 2, &u).ok());
  EXPECT_EQ(u.version, t.version + 1);
  // Refused: a person cannot start a task by hand.
  Status s = store_->SetStatus(t.id, S::kInProgress, "", kT0, &u);
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_EQ(Get(t.id).status, S::kSuspended);
  ASSERT_TRUE(store_->SetStatus(t.id, S::kPending, "", kT0 + 3, &u).ok());
  ASSERT_TRUE(store_->SetStatus(t.id, S::kCompleted, "done by hand", kT0 + 4, &u).ok());
  EXPECT_EQ(u.completed_at, kT0 + 4);
  EXPECT_TRUE(store_->SetStatus(t.id, S::kFailed, "", kT0, &u).IsConflict());
  EXPECT_TRUE(store_->SetStatus("nope", S::kPending, "", kT0, &u).IsNotFound());
}

TEST_P(StoreConformanceTest, SetStatusPendingClearsRetryState) {
  Task t = Add("t");
  Claim c = MustClaim(t);
  AttemptOutcome o = OutcomeFor(c, S::kFailed, ExecutionStatus::kFailed, kT0 + 5);
  o.error_type = ErrorType::kExecutionError;
  o.error_message = "boom";
  o.retry_count = 3;
  o.next_attempt_at = kT0 + 99;
  ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  Task u;
  ASSERT_TRUE(store_->SetStatus(t.id, S::kPending, "re-queue", kT0 + 6, &u).ok());
  EXPECT_EQ(u.status, S::kPending);
  EXPECT_EQ(u.retry_count, 0);
  EXPECT_EQ(u.next_attempt_at, 0);
  EXPECT_EQ(u.error_type, ErrorType::kNone);
  EXPECT_EQ(u.error_message, "");
  EXPECT_EQ(Get(t.id).retry_count, 0);
}

TEST_P(StoreConformanceTest, SetStatusRefusesHeldTasks) {
  Task t = Add("t");
  MustClaim(t);
  Task u;
  Status s = store_->SetStatus(t.id, S::kPending, "", kT0, &u);
  EXPECT_TRUE(s.IsConflict()) << s.ToString();
  EXPECT_NE(s.message().find("cancel it first"), std::string::npos) << s.message();
  EXPECT_EQ(Get(t.id).status, S::kInProgress);
}

TEST_P(StoreConformanceTest, CancelUnheldTaskAtOnce) {
  Task t = Add("t");
  Task u;
  ASSERT_TRUE(store_->RequestCancel(t.id, "not needed", kT0 + 7, &u).ok());
  EXPECT_EQ(u.status, S::kCancelled);
  EXPECT_EQ(u.completed_at, kT0 + 7);
  EXPECT_FALSE(u.cancel_requested);
  EXPECT_EQ(u.error_message, "not needed");
  EXPECT_EQ(Get(t.id).status, S::kCancelled);
  // Idempotent.
  ASSERT_TRUE(store_->RequestCancel(t.id, "again", kT0 + 8, &u).ok());
  EXPECT_EQ(u.completed_at, kT0 + 7);
  // A finished task cannot be cancelled.
  NewTask nt;
  nt.title = "done";
  nt.status = S::kCompleted;
  Task done = Add(nt);
  EXPECT_TRUE(store_->RequestCancel(done.id, "", kT0, &u).IsConflict());
  EXPECT_TRUE(store_->RequestCancel("nope", "", kT0, &u).IsNotFound());
}

TEST_P(StoreConformanceTest, CancelHeldTaskIsRequestedOfTheLeaseOwner) {
  Task t = Add("t");
  Task other = Add("other");
  Claim c = MustClaim(t, "exec-A");
  MustClaim(other, "exec-A");
  Task u;
  ASSERT_TRUE(store_->RequestCancel(t.id, "stop", kT0 + 1, &u).ok());
  EXPECT_EQ(u.status, S::kInProgress);
  EXPECT_TRUE(u.cancel_requested);
  std::vector<std::string> ids;
  ASSERT_TRUE(store_->ListCancelRequests("exec-A", &ids).ok());
  EXPECT_EQ(ids, std::vector<std::string>{t.id});
  ASSERT_TRUE(store_->ListCancelRequests("exec-B", &ids).ok());
  EXPECT_TRUE(ids.empty());

  AttemptOutcome o = OutcomeFor(c, S::kCancelled, ExecutionStatus::kCancelled, kT0 + 2);
  ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  Task done = Get(t.id);
  EXPECT_EQ(done.status, S::kCancelled);
  EXPECT_FALSE(done.cancel_requested);
  EXPECT_EQ(done.completed_at, kT0 + 2);
  ASSERT_TRUE(store_->ListCancelRequests("exec-A", &ids).ok());
  EXPECT_TRUE(ids.empty());
}

TEST_P(StoreConformanceTest, StatsCountStatusesAgentsAndActiveExecutions) {
  NewTask nt;
  nt.title = "assigned to jochi";
  nt.assigned_to = "jochi";
  Add(nt);
  nt.title = "any";
  nt.assigned_to = "any";
  Add(nt);
  Add("unassigned");
  Task run = Add("runs");
  MustClaim(run);  // claimed_by temujin
  nt.title = "held";
  nt.assigned_to = "";
  nt.status = S::kBlocked;
  Add(nt);

  StoreStats st;
  ASSERT_TRUE(store_->GetStats(&st).ok());
  EXPECT_EQ(st.by_status["pending"], 3);
  EXPECT_EQ(st.by_status["in_progress"], 1);
  EXPECT_EQ(st.by_status["blocked"], 1);
  EXPECT_EQ(st.by_status.count("completed"), 0u);
  EXPECT_EQ(st.by_agent["jochi"], 1);
  EXPECT_EQ(st.by_agent["temujin"], 1);
  EXPECT_EQ(st.by_agent["unassigned"], 3);
  EXPECT_EQ(st.active_executions, 1);
}

TEST_P(StoreConformanceTest, MetaGetSetOverwrite) {
  std::string v;
  EXPECT_TRUE(store_->GetMeta("notion.watermark", &v).IsNotFound());
  ASSERT_TRUE(store_->SetMeta("notion.watermark", "2026-11-25T10:00:00Z").ok());
  ASSERT_TRUE(store_->GetMeta("notion.watermark", &v).ok());
  EXPECT_EQ(v, "2026-11-25T10:00:00Z");
  const std::string raw = "{\"cursor\": \"a'b\"}\n\xff";
  ASSERT_TRUE(store_->SetMeta("notion.watermark", raw).ok());
  ASSERT_TRUE(store_->GetMeta("notion.watermark", &v).ok());
  EXPECT_EQ(v, raw);
  ASSERT_TRUE(store_->SetMeta("other", "").ok());
  ASSERT_TRUE(store_->GetMeta("other", &v).ok());
  EXPECT_EQ(v, "");
}

// Read-modify-write of one key from many threads loses no update.
TEST_P(StoreConformanceTest, UpdateMetaAppliesConcurrentUpdatesOneAfterTheOther) {
  std::string v;
  auto increment = [](const std::string* old) {
    return std::to_string(old == nullptr ? 1 : std::stoi(*old) + 1);
  };
  ASSERT_TRUE(store_->UpdateMeta("counter", increment, &v).ok());
  EXPECT_EQ(v, "1");
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        std::string out;
        if (!store_->UpdateMeta("counter", increment, &out).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE(store_->GetMeta("counter", &v).ok());
  EXPECT_EQ(v, "101");
}

TEST_P(StoreConformanceTest, NastyStringsRoundTripByteForByte) {
  const std::vector<std::string> nasty = {
      "it's \"quoted\" \\ back\\slash",
      "line1\nline2\r\nline3\ttab",
      "$(rm -rf /) `uname -a` ${HOME} %s %n",
      "'; DROP TABLE tasks; --",
      std::string("\xff\xfe\xc3\x28 invalid utf-8 \xe2\x82", 17),
      "emoji \xf0\x9f\x98\x80 and \xe4\xb8\xad\xe6\x96\x87",
  };
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>(1 + (i % 250));
  for (const std::string& s : nasty) {
    NewTask nt;
    nt.title = "t " + s;
    nt.description = s;
    nt.type = s;
    nt.context_json = s;
    nt.notion_url = s;
    nt.assigned_to = s;
    Task t = Add(nt);
    Task back = Get(t.id);
    EXPECT_EQ(back.title, "t " + s);
    EXPECT_EQ(back.description, s);
    EXPECT_EQ(back.type, s);
    EXPECT_EQ(back.context_json, s);
    EXPECT_EQ(back.notion_url, s);
    EXPECT_EQ(back.assigned_to, s);
  }
  NewTask nt;
  nt.title = "big";
  nt.description = big;
  Task t = Add(nt);
  EXPECT_TRUE(Get(t.id).description == big) << "1 MB description changed";

  // Through an attempt: the outcome's strings and an artifact's path.
  Claim c = MustClaim(Get(t.id));
  AttemptOutcome o = OutcomeFor(c, S::kFailed, ExecutionStatus::kFailed, kT0 + 1);
  o.error_message = nasty[4];
  o.summary = big;
  o.session_id = nasty[1];
  Artifact a;
  a.name = nasty[5];
  a.path = "/tmp/" + nasty[0];
  a.sha256 = "ab";
  o.artifacts.push_back(a);
  ASSERT_TRUE(store_->FinishAttempt(o, nullptr).ok());
  SessionExecution e;
  ASSERT_TRUE(store_->GetExecution(c.execution.id, &e).ok());
  EXPECT_EQ(e.error, nasty[4]);
  EXPECT_TRUE(e.summary == big);
  EXPECT_EQ(e.session_id, nasty[1]);
  Task after = Get(t.id);
  EXPECT_EQ(after.error_message, nasty[4]);
  EXPECT_TRUE(after.output_summary == big);
  std::vector<Artifact> arts;
  ASSERT_TRUE(store_->ListArtifacts(t.id, &arts).ok());
  ASSERT_EQ(arts.size(), 1u);
  EXPECT_EQ(arts[0].name, nasty[5]);
  EXPECT_EQ(arts[0].path, "/tmp/" + nasty[0]);
}

// Every write to a task; recording a pid (MarkStarted on a running task) is
// a write to its execution, and leaves the task as it was.
TEST_P(StoreConformanceTest, EveryWriteBumpsVersionAndUpdatedAt) {
  Task t = Add("t", kT0);
  std::set<int64_t> versions = {t.version};
  Task u;
  ASSERT_TRUE(store_->RequestExecution(t.id, "exec-m", "", /*force=*/false, kT0 + 1, &u).ok());
  versions.insert(u.version);
  EXPECT_EQ(u.updated_at, kT0 + 1);
  Claim c;
  ClaimRequest r = ClaimFor(u, "exec-A", kT0 + 2);
  r.manual = true;
  r.execution_id = "exec-m";
  ASSERT_TRUE(store_->Claim(r, &c).ok());
  versions.insert(c.task.version);
  EXPECT_EQ(c.task.updated_at, kT0 + 2);
  ASSERT_TRUE(store_->MarkStarted(t.id, "exec-m", "exec-A", 42, kT0 + 3).ok());
  Task started = Get(t.id);
  EXPECT_EQ(started.version, c.task.version);
  EXPECT_EQ(started.updated_at, kT0 + 2);
  std::vector<std::string> held;
  ASSERT_TRUE(store_->RenewLeases("exec-A", kT0 + 60'000, kT0 + 4, &held).ok());
  Task renewed = Get(t.id);
  versions.insert(renewed.version);
  EXPECT_EQ(renewed.updated_at, kT0 + 4);
  ASSERT_TRUE(store_
                  ->FinishAttempt(
                      OutcomeFor(c, S::kCompleted, ExecutionStatus::kCompleted, kT0 + 5), nullptr)
                  .ok());
  Task done = Get(t.id);
  versions.insert(done.version);
  EXPECT_EQ(done.updated_at, kT0 + 5);
  EXPECT_EQ(versions.size(), 5u);
  EXPECT_EQ(done.version, t.version + 4);
}

TEST_P(StoreConformanceTest, ChangeCounterMovesOnWriteWhenSupported) {
  int64_t before = 0;
  Status s = store_->ChangeCounter(&before);
  if (s.IsNotFound()) GTEST_SKIP() << "backend has no change counter";
  ASSERT_TRUE(s.ok()) << s.ToString();
  int64_t same = 0;
  ASSERT_TRUE(store_->ChangeCounter(&same).ok());
  EXPECT_EQ(same, before) << "no write happened";
  Add("t");
  // A backend that hears of commits asynchronously (PostgreSQL's NOTIFY)
  // moves the counter a moment after the commit: look until it has.
  int64_t after = before;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (after == before && std::chrono::steady_clock::now() < give_up) {
    ASSERT_TRUE(store_->ChangeCounter(&after).ok());
    if (after == before) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_NE(after, before);
}

// The change feed: every write moves a task behind the cursor of a reader
// that saw it, in (updated_at, id) order, ties broken by id.
TEST_P(StoreConformanceTest, ListChangedFollowsEveryWriteInOrder) {
  Task a = Add("a", kT0 + 10);
  Task b = Add("b", kT0 + 10);  // same millisecond: ordered by id
  Task c = Add("c", kT0 + 5);
  std::vector<Task> out;
  ASSERT_TRUE(store_->ListChanged({}, 10, &out).ok());
  std::vector<std::string> tied = {a.id, b.id};
  std::sort(tied.begin(), tied.end());
  EXPECT_EQ(Ids(out), (std::vector<std::string>{c.id, tied[0], tied[1]}));

  // Paging: from the last task seen, limit 1.
  ASSERT_TRUE(store_->ListChanged({out[0].updated_at, out[0].id}, 1, &out).ok());
  EXPECT_EQ(Ids(out), std::vector<std::string>{tied[0]});
  ChangeCursor cursor{kT0 + 10, tied[1]};
  ASSERT_TRUE(store_->ListChanged(cursor, 10, &out).ok());
  EXPECT_TRUE(out.empty());

  // A claim, a finished attempt and a cancel each bring their task back; a
  // pid recorded on its execution does not.
  Claim claimed = MustClaim(c, "exec-A", kT0 + 20);
  ASSERT_TRUE(store_->ListChanged(cursor, 10, &out).ok());
  ASSERT_EQ(Ids(out), std::vector<std::string>{c.id});
  EXPECT_EQ(out[0].status, S::kInProgress);
  cursor = {out[0].updated_at, out[0].id};
  ASSERT_TRUE(store_->MarkStarted(c.id, claimed.execution.id, "exec-A", 42, kT0 + 25).ok());
  ASSERT_TRUE(
      store_
          ->FinishAttempt(OutcomeFor(claimed, S::kCompleted, ExecutionStatus::kCompleted, kT0 + 30),
                          nullptr)
          .ok());
  ASSERT_TRUE(store_->RequestCancel(a.id, "stop", kT0 + 40, nullptr).ok());
  ASSERT_TRUE(store_->ListChanged(cursor, 10, &out).ok());
  ASSERT_EQ(Ids(out), (std::vector<std::string>{c.id, a.id}));
  EXPECT_EQ(out[0].status, S::kCompleted);
  EXPECT_EQ(out[0].updated_at, kT0 + 30);
  EXPECT_EQ(out[1].status, S::kCancelled);

  EXPECT_TRUE(store_->ListChanged({}, 0, &out).IsInvalidArgument());
}

}  // namespace
}  // namespace taskexec::store_test
