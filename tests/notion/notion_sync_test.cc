// NotionSync end to end in-process: the fake Notion server over HTTP, the
// real SqliteStore, and the engine's moves simulated on the store.
#include "notion/notion_sync.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "comment_kinds.h"
#include "notion/webhook.h"
#include "notion_test_support.h"

namespace taskexec::notion_test {
namespace {

using notion::Json;

TEST(NotionSync, InitRefusesAMissingOrMistypedProperty) {
  Harness h;
  ASSERT_TRUE(h.fake.RenameProperty("Neo4j Task ID", "Task Ref").ok());
  Status st = h.NewSync()->Init();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("\"Neo4j Task ID\""), std::string::npos) << st.message();

  Harness bad_type;
  bad_type.config.status_property_type = "status";  // the board has a select
  st = bad_type.NewSync()->Init();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("expected type status, found select"), std::string::npos)
      << st.message();
}

TEST(NotionSync, InitReportsAnUnknownDatabaseAndABadToken) {
  Harness h;
  h.config.database_id = "11111111-2222-3333-4444-555555555555";
  Status st = h.NewSync()->Init();
  EXPECT_TRUE(st.IsNotFound()) << st.ToString();
  EXPECT_NE(st.message().find("not shared with the integration"), std::string::npos);
  Harness t;
  t.config.token = "secret_nope";
  st = t.NewSync()->Init();
  EXPECT_NE(st.message().find("unauthorized"), std::string::npos) << st.ToString();
}

TEST(NotionSync, NewPagesBecomeTasksOnceAndGetTheirIdsBack) {
  Harness h;
  std::vector<std::string> pages;
  for (int i = 0; i < 250; ++i)
    pages.push_back(h.fake.AddTaskPage("Task " + std::to_string(i), "To Do", i % 2 ? "P0" : "P3",
                                       i % 5 == 0 ? "temujin" : ""));
  h.fake.AddTaskPage("Old finished card", "Done");
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  h.fake.ResetRequests();
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.service->adds.load(), 250);
  int64_t queries = 0;
  for (const auto& r : h.fake.Requests())
    if (r.path.find("/query") != std::string::npos) ++queries;
  EXPECT_EQ(queries, 3);                     // 250 cards = three result pages
  EXPECT_EQ(h.CountRequests("PATCH"), 250);  // one write-back per new card
  for (int i = 0; i < 250; ++i) {
    Task t = h.TaskForPage(pages[i]);
    ASSERT_FALSE(t.id.empty()) << i;
    EXPECT_EQ(t.source, "notion");
    EXPECT_EQ(t.type, "notion_task");
    EXPECT_EQ(t.priority, i % 2 ? Priority::kCritical : Priority::kLow);
    EXPECT_EQ(t.assigned_to, i % 5 == 0 ? "temujin" : "");
    EXPECT_EQ(h.fake.TextOf(pages[i], "Neo4j Task ID"), t.id);
    EXPECT_EQ(h.fake.StatusOf(pages[i]), "To Do");
  }
  // Idempotent: the next rounds (and a restarted sync) create nothing.
  ASSERT_TRUE(sync->SyncOnce().ok());
  ASSERT_TRUE(h.NewSync()->Init().ok());
  ASSERT_TRUE(h.sync->SyncOnce(/*full_scan=*/true).ok());
  EXPECT_EQ(h.service->adds.load(), 250);
  std::vector<Task> all;
  ASSERT_TRUE(h.store->ListTasks(TaskFilter{}, &all).ok());
  EXPECT_EQ(all.size(), 250u);
}

TEST(NotionSync, AnIdlePollCostsOneRequest) {
  Harness h;
  for (int i = 0; i < 150; ++i) h.fake.AddTaskPage("Task " + std::to_string(i), "To Do");
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  h.clock.Advance(5 * 60 * 1000);  // the board stays quiet for five minutes
  ASSERT_TRUE(sync->SyncOnce().ok());
  h.fake.ResetRequests();
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.fake.RequestCount(), 1);
}

// An agent's question reaches the card as a comment (the card stays In
// Progress on a board without a Needs Input column); a person's comment
// after it answers the task, which goes back to the queue with the answer.
// Comments before the question, taskexec's own and blank ones are not
// answers.
TEST(NotionSync, APersonsCommentAnswersTheAgentsQuestion) {
  Harness h;
  std::string page = h.fake.AddTaskPage("Paint the shelves", "To Do");
  notion::NotionSyncOptions options = h.Options();
  options.reply_interval_ms = 0;
  h.sync = std::make_unique<notion::NotionSync>(options, h.store.get(), h.service.get(), nullptr,
                                                &h.clock);
  auto* sync = h.sync.get();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  Task task = h.TaskForPage(page);
  ASSERT_TRUE(h.fake.AddPersonComment(page, "Early thoughts: keep it cheap").ok());
  std::string exec = StartTask(h.store.get(), task.id, "kublai");
  AttemptOutcome asked;
  asked.task_id = task.id;
  asked.execution_id = exec;
  asked.executor_id = kExecutor;
  asked.execution_status = ExecutionStatus::kNeedsInput;
  asked.task_status = TaskStatus::kNeedsInput;
  asked.question = "Which colour should the shelves be?";
  asked.now = SystemClock::Default()->NowMs();
  ASSERT_TRUE(h.store->FinishAttempt(asked, nullptr).ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.fake.StatusOf(page), "In Progress");
  auto comments = WithoutProgress(h.fake.Comments(page));
  ASSERT_EQ(comments.size(), 2u);
  const std::string question = notion::PlainText(comments[1]["rich_text"]);
  EXPECT_NE(question.find("Question: Which colour should the shelves be?"), std::string::npos)
      << question;
  EXPECT_EQ(h.TaskForPage(page).status, TaskStatus::kNeedsInput);  // the early comment is no answer

  ASSERT_TRUE(h.fake.AddPersonComment(page, "   ").ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.TaskForPage(page).status, TaskStatus::kNeedsInput);
  ASSERT_TRUE(h.fake.AddPersonComment(page, "Sea blue, please.").ok());
  ASSERT_TRUE(h.fake.AddPersonComment(page, "Or green.").ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  Task answered = h.TaskForPage(page);
  EXPECT_EQ(answered.status, TaskStatus::kPending);
  EXPECT_EQ(answered.reply, "Sea blue, please.");
  EXPECT_EQ(answered.question, "Which colour should the shelves be?");
  EXPECT_EQ(h.service->replies.load(), 1);
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.service->replies.load(), 1);  // answered once
}

// With a Needs Input column on the board, a waiting task's card goes there.
TEST(NotionSync, AWaitingTaskMovesToTheNeedsInputColumnWhenTheBoardHasOne) {
  Harness h;
  h.config.status_options["needs_input"] = "Needs Input";
  std::string page = h.fake.AddTaskPage("Paint the shelves", "To Do");
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  Task task = h.TaskForPage(page);
  std::string exec = StartTask(h.store.get(), task.id, "kublai");
  FinishTask(h.store.get(), task.id, exec, ExecutionStatus::kNeedsInput, TaskStatus::kNeedsInput,
             "", "");
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.fake.StatusOf(page), "Needs Input");
  ASSERT_TRUE(sync->SyncOnce().ok());  // our own write read back: no move
  EXPECT_EQ(h.TaskForPage(page).status, TaskStatus::kNeedsInput);
}

TEST(NotionSync, RunsWriteStatusAgentAndResultComments) {
  Harness h;
  std::string ok_page = h.fake.AddTaskPage("Build the parser", "To Do");
  std::string bad_page = h.fake.AddTaskPage("Deploy it", "To Do");
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  Task ok_task = h.TaskForPage(ok_page);
  Task bad_task = h.TaskForPage(bad_page);

  std::string e1 = StartTask(h.store.get(), ok_task.id, "temujin");
  std::string e2 = StartTask(h.store.get(), bad_task.id, "ogedei");
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.fake.StatusOf(ok_page), "In Progress");
  EXPECT_EQ(h.fake.TextOf(ok_page, "Agent"), "temujin");
  EXPECT_EQ(h.fake.TextOf(bad_page, "Agent"), "ogedei");

  Artifact a;
  a.name = "parser.cc";
  a.path = "/work/out/parser.cc";
  a.size = 1234;
  FinishTask(h.store.get(), ok_task.id, e1, ExecutionStatus::kCompleted, TaskStatus::kCompleted,
             "parser done", "", {a});
  FinishTask(h.store.get(), bad_task.id, e2, ExecutionStatus::kFailed, TaskStatus::kFailed, "",
             "permission denied on deploy host");
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.fake.StatusOf(ok_page), "Done");
  EXPECT_EQ(h.fake.StatusOf(bad_page), "Blocked");
  auto ok_comments = WithoutProgress(h.fake.Comments(ok_page));
  ASSERT_EQ(ok_comments.size(), 1u);
  std::string text = notion::PlainText(ok_comments[0]["rich_text"]);
  EXPECT_NE(text.find("parser done"), std::string::npos) << text;
  EXPECT_NE(text.find("/work/out/parser.cc"), std::string::npos) << text;
  auto bad_comments = WithoutProgress(h.fake.Comments(bad_page));
  ASSERT_EQ(bad_comments.size(), 1u);
  EXPECT_NE(notion::PlainText(bad_comments[0]["rich_text"]).find("permission denied"),
            std::string::npos);
  // Nothing is posted twice.
  ASSERT_TRUE(sync->SyncOnce().ok());
  ASSERT_TRUE(h.NewSync()->Init().ok());
  ASSERT_TRUE(h.sync->SyncOnce().ok());
  EXPECT_EQ(WithoutProgress(h.fake.Comments(ok_page)).size(), 1u);
  EXPECT_EQ(WithoutProgress(h.fake.Comments(bad_page)).size(), 1u);
}

// A card whose task the engine ended before an attempt (its budget was
// spent: FailQueued) says why, once, across restarts.
TEST(NotionSync, ATaskStoppedBeforeAnAttemptSaysWhyOnItsCard) {
  Harness h;
  std::string page = h.fake.AddTaskPage("Summarise the logs", "To Do");
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  Task task = h.TaskForPage(page);
  Task after;
  ASSERT_TRUE(h.store
                  ->FailQueued(task.id, task.version, ErrorType::kBudgetExhausted,
                               "budget exhausted: 3 attempts reached the limit of 3",
                               SystemClock::Default()->NowMs(), &after)
                  .ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.fake.StatusOf(page), "Blocked");
  auto comments = WithoutProgress(h.fake.Comments(page));
  ASSERT_EQ(comments.size(), 1u);
  const std::string text = notion::PlainText(comments[0]["rich_text"]);
  EXPECT_NE(text.find("taskexec: task " + task.id +
                      " stopped before its next attempt\nTask stopped: budget exhausted: 3 "
                      "attempts reached the limit of 3"),
            std::string::npos)
      << text;
  ASSERT_TRUE(h.NewSync()->Init().ok());
  ASSERT_TRUE(h.sync->SyncOnce().ok());
  EXPECT_EQ(WithoutProgress(h.fake.Comments(page)).size(), 1u);
  // An attempt's own comment already says it: no second one.
  std::vector<SessionExecution> executions(1);
  executions[0].ended_at = after.completed_at;
  EXPECT_EQ(notion::StopComment(after, executions), "");
  after.error_type = ErrorType::kExecutionError;
  EXPECT_EQ(notion::StopComment(after, {}), "");
}

TEST(NotionSync, ManyChangesToOnePageCoalesceIntoOneUpdate) {
  Harness h;
  std::vector<std::string> pages;
  for (int i = 0; i < 10; ++i)
    pages.push_back(h.fake.AddTaskPage("T" + std::to_string(i), "To Do"));
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  h.fake.ResetRequests();
  // 1,000 status changes: each task flips pending <-> suspended 100 times
  // and ends held in Backlog.
  const TimeMs now = SystemClock::Default()->NowMs();
  for (const auto& p : pages) {
    Task t = h.TaskForPage(p);
    for (int k = 0; k < 100; ++k) {
      Task out;
      ASSERT_TRUE(h.store
                      ->SetStatus(t.id, k % 2 ? TaskStatus::kPending : TaskStatus::kSuspended,
                                  "test", now, &out)
                      .ok());
    }
    Task out;
    ASSERT_TRUE(h.store->SetStatus(t.id, TaskStatus::kSuspended, "test", now, &out).ok());
  }
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_LE(h.CountRequests("PATCH"), 10);
  for (const auto& p : pages) EXPECT_EQ(h.fake.StatusOf(p), "Backlog");
}

TEST(NotionSync, MovedCardsDriveTheEngine) {
  Harness h;
  std::string running = h.fake.AddTaskPage("running", "To Do");
  std::string failed = h.fake.AddTaskPage("failed", "To Do");
  std::string waiting = h.fake.AddTaskPage("waiting", "To Do");
  std::string finish = h.fake.AddTaskPage("finish by hand", "To Do");
  std::string stop_done = h.fake.AddTaskPage("running, marked done", "To Do");
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  Task run = h.TaskForPage(running);
  StartTask(h.store.get(), run.id, "main");
  Task fail = h.TaskForPage(failed);
  std::string fe = StartTask(h.store.get(), fail.id, "main");
  FinishTask(h.store.get(), fail.id, fe, ExecutionStatus::kFailed, TaskStatus::kFailed, "", "boom");
  Task sd = h.TaskForPage(stop_done);
  StartTask(h.store.get(), sd.id, "main");
  ASSERT_TRUE(sync->SyncOnce().ok());
  ASSERT_EQ(h.fake.StatusOf(running), "In Progress");
  ASSERT_EQ(h.fake.StatusOf(failed), "Blocked");

  // A person moves cards.
  ASSERT_TRUE(h.fake.MoveCard(running, "To Do").ok());    // interrupt and re-queue
  ASSERT_TRUE(h.fake.MoveCard(failed, "To Do").ok());     // retry a failed task
  ASSERT_TRUE(h.fake.MoveCard(waiting, "Backlog").ok());  // hold
  ASSERT_TRUE(h.fake.MoveCard(finish, "Done").ok());      // done by hand
  ASSERT_TRUE(h.fake.MoveCard(stop_done, "Done").ok());   // stop the agent, then done
  ASSERT_TRUE(sync->SyncOnce().ok());

  Task t;
  ASSERT_TRUE(h.store->GetTask(run.id, &t).ok());
  EXPECT_TRUE(t.cancel_requested) << "the running session is stopped";
  ASSERT_TRUE(h.store->GetTask(fail.id, &t).ok());
  EXPECT_EQ(t.status, TaskStatus::kPending);
  EXPECT_EQ(h.TaskForPage(waiting).status, TaskStatus::kSuspended);
  EXPECT_EQ(h.TaskForPage(finish).status, TaskStatus::kCompleted);
  // The person's columns stay while the cancels are carried out.
  EXPECT_EQ(h.fake.StatusOf(running), "To Do");
  EXPECT_EQ(h.fake.StatusOf(stop_done), "Done");

  EXPECT_EQ(CarryOutCancels(h.store.get()), 2);  // the engine stops both sessions
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.TaskForPage(running).status, TaskStatus::kPending) << "re-queued";
  EXPECT_EQ(h.TaskForPage(stop_done).status, TaskStatus::kCompleted);
  EXPECT_EQ(h.fake.StatusOf(running), "To Do");
  EXPECT_EQ(h.fake.StatusOf(stop_done), "Done");

  // Backlog -> In Progress starts the held task at once.
  ASSERT_TRUE(h.fake.MoveCard(waiting, "In Progress").ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  Task w = h.TaskForPage(waiting);
  EXPECT_EQ(w.status, TaskStatus::kPending);
  EXPECT_FALSE(w.requested_execution_id.empty());
  EXPECT_EQ(h.fake.StatusOf(waiting), "In Progress");

  // A cancelled task moved back to To Do runs again.
  Task c = h.TaskForPage(finish);
  Task out;
  ASSERT_TRUE(h.store->SetStatus(c.id, TaskStatus::kPending, "t", 1, &out).ok());
  ASSERT_TRUE(h.store->RequestCancel(c.id, "t", 1, &out).ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.fake.StatusOf(finish), "Backlog");
  ASSERT_TRUE(h.fake.MoveCard(finish, "To Do").ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.TaskForPage(finish).status, TaskStatus::kPending);
}

TEST(NotionSync, EditsBeforeStartUpdateTheTaskAndLaterEditsDoNot) {
  Harness h;
  std::string page = h.fake.AddTaskPage("Draft title", "To Do", "P2");
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  ASSERT_TRUE(h.fake.SetTitle(page, "Final title").ok());
  ASSERT_TRUE(h.fake.SetRawProperty(page, "Priority", Json{{"select", {{"name", "P0"}}}}).ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  Task t = h.TaskForPage(page);
  EXPECT_EQ(t.title, "Final title");
  EXPECT_EQ(t.priority, Priority::kCritical);
  StartTask(h.store.get(), t.id, "main");
  ASSERT_TRUE(h.fake.SetTitle(page, "Changed while running").ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.TaskForPage(page).title, "Final title");
}

TEST(NotionSync, ArchivedOrDeletedPagesCancelTheirTask) {
  Harness h;
  std::string archived = h.fake.AddTaskPage("to archive", "To Do");
  std::string deleted = h.fake.AddTaskPage("to delete while running", "To Do");
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  Task d = h.TaskForPage(deleted);
  StartTask(h.store.get(), d.id, "main");
  ASSERT_TRUE(h.fake.ArchivePage(archived).ok());
  ASSERT_TRUE(h.fake.DeletePage(deleted).ok());
  // Trashed pages leave query results; the full scan asks for them.
  ASSERT_TRUE(sync->SyncOnce(/*full_scan=*/true).ok());
  EXPECT_EQ(h.TaskForPage(archived).status, TaskStatus::kCancelled);
  EXPECT_TRUE(h.TaskForPage(deleted).cancel_requested);
  CarryOutCancels(h.store.get());
  // Writing to a deleted page is given up with a log line, not retried.
  EXPECT_TRUE(sync->SyncOnce().ok());
  EXPECT_GE(sync->outbound_stats().given_up, 1);
}

TEST(NotionSync, BadPagesAreLoggedAndNeverStopTheSync) {
  Harness h;
  std::string untitled = h.fake.AddTaskPage("", "To Do");
  std::string unknown = h.fake.AddTaskPage("Unknown column", "Someday");  // select creates it
  std::string huge = h.fake.AddTaskPage("Huge", "To Do", "P9", "", std::string(100000, 'x'));
  std::string good = h.fake.AddTaskPage("Good", "To Do");
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  EXPECT_TRUE(sync->SyncOnce().ok());
  EXPECT_TRUE(h.TaskForPage(untitled).id.empty());
  EXPECT_TRUE(h.TaskForPage(unknown).id.empty());
  Task big = h.TaskForPage(huge);
  ASSERT_FALSE(big.id.empty());
  EXPECT_EQ(big.description.size(), notion::kMaxDescriptionBytes);
  EXPECT_EQ(big.priority, Priority::kNormal);
  EXPECT_FALSE(h.TaskForPage(good).id.empty());
  EXPECT_GE(sync->inbound_stats().bad_pages, 2);
  // Fixing the page imports it.
  ASSERT_TRUE(h.fake.SetTitle(untitled, "Now titled").ok());
  EXPECT_TRUE(sync->SyncOnce().ok());
  EXPECT_FALSE(h.TaskForPage(untitled).id.empty());
}

TEST(NotionSync, APropertyRenamedWhileRunningPausesWritesUntilFixed) {
  Harness h;
  std::string page = h.fake.AddTaskPage("Rename victim", "To Do");
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  Task t = h.TaskForPage(page);
  ASSERT_TRUE(h.fake.RenameProperty("Status", "State").ok());
  std::string e = StartTask(h.store.get(), t.id, "main");
  FinishTask(h.store.get(), t.id, e, ExecutionStatus::kCompleted, TaskStatus::kCompleted, "ok", "");
  Status st = sync->SyncOnce();  // the write is refused: Notion names the property
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("Status is not a property that exists"), std::string::npos)
      << st.ToString();
  st = sync->SyncOnce();  // the schema is checked again and names what is missing
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("notion property \"Status\""), std::string::npos) << st.ToString();
  EXPECT_EQ(h.fake.StatusOf(page), "");
  // /readyz says so while it lasts.
  Status health = sync->Health();
  EXPECT_TRUE(health.IsUnavailable()) << health.ToString();
  EXPECT_NE(health.message().find("schema does not match"), std::string::npos) << health.ToString();
  ASSERT_TRUE(h.fake.RenameProperty("State", "Status").ok());
  EXPECT_TRUE(sync->SyncOnce().ok());
  EXPECT_TRUE(sync->Health().ok());
  EXPECT_EQ(h.fake.StatusOf(page), "Done");
  EXPECT_EQ(WithoutProgress(h.fake.Comments(page)).size(), 1u);
}

TEST(NotionSync, AnOutageAndARestartLoseNoUpdate) {
  Harness h;
  std::vector<std::string> pages;
  for (int i = 0; i < 20; ++i)
    pages.push_back(h.fake.AddTaskPage("T" + std::to_string(i), "To Do"));
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  h.fake.SetOutage(true);
  for (const auto& p : pages) {
    Task t = h.TaskForPage(p);
    std::string e = StartTask(h.store.get(), t.id, "jochi");
    FinishTask(h.store.get(), t.id, e, ExecutionStatus::kCompleted, TaskStatus::kCompleted,
               "result of " + t.title, "");
  }
  EXPECT_TRUE(sync->SyncOnce().IsUnavailable());
  // Not ready once Notion has not answered for five minutes.
  EXPECT_TRUE(sync->Health().ok());
  h.clock.Advance(notion::NotionSync::kUnreachableAfterMs);
  EXPECT_TRUE(sync->SyncOnce().IsUnavailable());
  Status health = sync->Health();
  EXPECT_TRUE(health.IsUnavailable()) << health.ToString();
  EXPECT_NE(health.message().find("no answer from Notion for 30"), std::string::npos)
      << health.ToString();
  EXPECT_TRUE(h.NewSync()->Init().IsUnavailable());  // restarted during the outage
  EXPECT_FALSE(h.sync->SyncOnce().ok());
  h.fake.SetOutage(false);
  h.OpenStore();  // and the process restarted once more: state is in the store
  ASSERT_TRUE(h.NewSync()->Init().ok());
  ASSERT_TRUE(h.sync->SyncOnce().ok());
  for (const auto& p : pages) {
    EXPECT_EQ(h.fake.StatusOf(p), "Done");
    EXPECT_EQ(h.fake.TextOf(p, "Agent"), "jochi");
    EXPECT_EQ(WithoutProgress(h.fake.Comments(p)).size(), 1u);
  }
}

TEST(NotionSync, ARateLimitStormLosesNothing) {
  Harness h;
  std::vector<std::string> pages;
  for (int i = 0; i < 5; ++i) pages.push_back(h.fake.AddTaskPage("T" + std::to_string(i), "To Do"));
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  h.fake.InjectRateLimited(4, 1);
  ASSERT_TRUE(sync->SyncOnce().ok());
  for (const auto& p : pages) EXPECT_FALSE(h.fake.TextOf(p, "Neo4j Task ID").empty());
  EXPECT_EQ(sync->client()->stats().rate_limited, 4);
}

TEST(NotionSync, DataSourceVersionWithAStatusTypedBoard) {
  fakes::FakeNotionOptions fo = Harness::Unlimited();
  fo.status_type = "status";
  Harness h(fo, "2025-09-03");
  std::string page = h.fake.AddTaskPage("Template board", "To Do");
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  Task t = h.TaskForPage(page);
  ASSERT_FALSE(t.id.empty());
  std::string e = StartTask(h.store.get(), t.id, "kublai");
  FinishTask(h.store.get(), t.id, e, ExecutionStatus::kCompleted, TaskStatus::kCompleted, "ok", "");
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.fake.StatusOf(page), "Done");
  bool data_source_query = false;
  for (const auto& r : h.fake.Requests())
    if (r.path.find("/v1/data_sources/") == 0 && r.path.find("/query") != std::string::npos)
      data_source_query = true;
  EXPECT_TRUE(data_source_query);
}

TEST(NotionSync, TheLoopActsOnAMovedCardWithinOnePollInterval) {
  Harness h;
  std::string page = h.fake.AddTaskPage("Loop", "To Do");
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return !h.TaskForPage(page).id.empty(); }));
  Task t = h.TaskForPage(page);
  StartTask(h.store.get(), t.id, "main");
  ASSERT_TRUE(WaitFor([&] { return h.fake.StatusOf(page) == "In Progress"; }));
  ASSERT_TRUE(h.fake.MoveCard(page, "Blocked").ok());
  // poll_interval_seconds = 1: allow generous slack on a loaded machine.
  EXPECT_TRUE(WaitFor([&] { return h.TaskForPage(page).cancel_requested; }, 10000));
  CarryOutCancels(h.store.get());
  EXPECT_TRUE(WaitFor([&] { return h.TaskForPage(page).status == TaskStatus::kBlocked; }, 10000));
  sync->Stop();
}

TEST(NotionSync, WebhookEventsActAtOnceAndForgedOnesChangeNothing) {
  Harness h;
  h.config.poll_interval_seconds = 3600;  // only webhooks can explain a reaction
  h.config.webhook_secret = "secret_webhook";
  std::string page = h.fake.AddTaskPage("Webhook", "To Do");
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  Task t = h.TaskForPage(page);
  StartTask(h.store.get(), t.id, "main");
  ASSERT_TRUE(sync->SyncOnce().ok());
  const int64_t before = h.fake.RequestCount();
  ASSERT_TRUE(sync->Start().ok());
  // The loop's first round polls at once; move the card after that poll so
  // only a webhook can make the sync notice it (the next poll is an hour away).
  ASSERT_TRUE(WaitFor([&] { return h.fake.RequestCount() > before; }));
  ASSERT_TRUE(h.fake.MoveCard(page, "To Do").ok());

  auto event = [&](const std::string& id, TimeMs at) {
    return Json{{"id", id},
                {"timestamp", FormatIso8601(at)},
                {"type", "page.properties_updated"},
                {"entity", {{"id", page}, {"type", "page"}}},
                {"data", Json::object()}}
        .dump();
  };
  const TimeMs now = h.clock.NowMs();
  std::string forged = event("evt-forged", now);
  auto r = sync->HandleWebhook({{"X-Notion-Signature", notion::NotionSignature("guess", forged)}},
                               forged);
  EXPECT_EQ(r.http_status, 401);
  // Nothing may happen for the refused event.
  EXPECT_FALSE(WaitFor([&] { return h.TaskForPage(page).cancel_requested; }, 500));

  std::string good = event("evt-good", now);
  auto start = std::chrono::steady_clock::now();
  r = sync->HandleWebhook({{"X-Notion-Signature", notion::NotionSignature("secret_webhook", good)}},
                          good);
  EXPECT_EQ(r.http_status, 200);
  ASSERT_TRUE(WaitFor([&] { return h.TaskForPage(page).cancel_requested; }, 5000));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(2));  // within a second, with slack for load
  sync->Stop();
}

}  // namespace
}  // namespace taskexec::notion_test

namespace taskexec::notion_test {
namespace {

TEST(NotionSync, TheLoopRidesOutAnOutageAndDeliversEverythingAfterwards) {
  Harness h;
  std::vector<std::string> pages;
  for (int i = 0; i < 10; ++i)
    pages.push_back(h.fake.AddTaskPage("O" + std::to_string(i), "To Do"));
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->Start().ok());
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& p : pages)
      if (h.fake.TextOf(p, "Neo4j Task ID").empty()) return false;
    return true;
  }));
  h.fake.SetOutage(true);
  for (const auto& p : pages) {
    Task t = h.TaskForPage(p);
    std::string e = StartTask(h.store.get(), t.id, "ogedei");
    FinishTask(h.store.get(), t.id, e, ExecutionStatus::kFailed, TaskStatus::kFailed, "",
               "connection reset");
  }
  // Several rounds fail while Notion is down; nothing is lost meanwhile.
  const int64_t before = h.fake.RequestCount();
  ASSERT_TRUE(WaitFor([&] { return h.fake.RequestCount() > before + 10; }));
  for (const auto& p : pages) EXPECT_EQ(h.fake.StatusOf(p), "To Do");
  h.fake.SetOutage(false);
  EXPECT_TRUE(WaitFor([&] {
    for (const auto& p : pages)
      if (h.fake.StatusOf(p) != "Blocked" || WithoutProgress(h.fake.Comments(p)).size() != 1)
        return false;
    return true;
  }));
  sync->Stop();
  for (const auto& p : pages) EXPECT_EQ(WithoutProgress(h.fake.Comments(p)).size(), 1u);
}

}  // namespace
}  // namespace taskexec::notion_test

namespace taskexec::notion_test {
namespace {

TEST(NotionSync, AQueuedCardDraggedToInProgressStaysThere) {
  Harness h;
  std::string page = h.fake.AddTaskPage("Queued", "To Do");
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  ASSERT_TRUE(h.fake.MoveCard(page, "In Progress").ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  Task t = h.TaskForPage(page);
  EXPECT_EQ(t.status, TaskStatus::kPending);
  EXPECT_FALSE(t.requested_execution_id.empty()) << "asked to run first";
  EXPECT_EQ(h.fake.StatusOf(page), "In Progress") << "not put back to To Do";
  EXPECT_EQ(h.service->executes.load(), 1);
}

}  // namespace
}  // namespace taskexec::notion_test

namespace taskexec::notion_test {
namespace {

TEST(NotionSync, StopDoesNotWaitOutARetryAfter) {
  Harness h;
  h.fake.AddTaskPage("Slow Notion", "To Do");
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  h.fake.InjectRateLimited(100, 60);  // every answer says: come back in a minute
  ASSERT_TRUE(sync->Start().ok());
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& r : h.fake.Requests())
      if (r.status == 429) return true;
    return false;
  }));
  auto t0 = std::chrono::steady_clock::now();
  sync->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  // Nothing was lost: the next start imports the card.
  h.fake.InjectRateLimited(0, 1);
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.service->adds.load(), 1);
}

}  // namespace
}  // namespace taskexec::notion_test

namespace taskexec::notion_test {
namespace {

std::string SignedEvent(const std::string& event_id, const std::string& type,
                        const std::string& page_id, TimeMs at) {
  return Json{{"id", event_id},
              {"timestamp", FormatIso8601(at)},
              {"type", type},
              {"entity", {{"id", page_id}, {"type", "page"}}},
              {"data", Json::object()}}
      .dump();
}

notion::WebhookResult SendEvent(notion::NotionSync* sync, const std::string& body) {
  return sync->HandleWebhook({{"X-Notion-Signature", notion::NotionSignature("whsec", body)}},
                             body);
}

bool IsPageCall(const notion::HttpRequest& r, const std::string& method,
                const std::string& page_id) {
  return r.method == method && r.url.find("/pages/") != std::string::npos &&
         notion::CompactId(r.url).find(notion::CompactId(page_id)) != std::string::npos;
}

// Pages in `elsewhere` live in another database: GET /pages names that
// parent and the board's queries do not list them.
void MovePagesElsewhere(HookTransport* t, const std::set<std::string>* elsewhere,
                        bool strip_database_id) {
  t->after = [=](const notion::HttpRequest& req, notion::HttpResponse* resp) {
    if (resp->status != 200) return;
    Json body = Json::parse(resp->body);
    if (req.method == "POST" && req.url.find("/query") != std::string::npos) {
      Json kept = Json::array();
      for (const auto& p : body["results"])
        if (!elsewhere->count(notion::CompactId(p.value("id", "")))) kept.push_back(p);
      body["results"] = kept;
    } else if (req.method == "GET" && req.url.find("/pages/") != std::string::npos) {
      if (elsewhere->count(notion::CompactId(body.value("id", "")))) {
        body["parent"] = {{"type", "database_id"},
                          {"database_id", "1111111122224333844455555555555A"}};
      } else if (strip_database_id && body["parent"].contains("data_source_id")) {
        body["parent"].erase("database_id");  // the data source alone names the board
      }
    }
    resp->body = body.dump();
  };
}

TEST(NotionSync, AWebhookForAPageInAnotherDatabaseCreatesNoTask) {
  for (const char* version : {"2022-06-28", "2025-09-03"}) {
    SCOPED_TRACE(version);
    Harness h(Harness::Unlimited(), version);
    h.config.webhook_secret = "whsec";
    std::set<std::string> elsewhere;
    HookTransport transport;
    MovePagesElsewhere(&transport, &elsewhere, /*strip_database_id=*/true);
    std::string mine = h.fake.AddTaskPage("On the board", "To Do");
    std::string foreign = h.fake.AddTaskPage("In another database", "To Do");
    elsewhere.insert(notion::CompactId(foreign));
    auto sync = SyncWith(h, &transport);
    ASSERT_TRUE(sync->Init().ok());
    ASSERT_TRUE(sync->SyncOnce().ok());
    ASSERT_FALSE(h.TaskForPage(mine).id.empty());
    EXPECT_EQ(h.service->adds.load(), 1);

    const TimeMs now = h.clock.NowMs();
    EXPECT_EQ(SendEvent(sync.get(), SignedEvent("e1", "page.created", foreign, now)).http_status,
              200);
    // A board card is still accepted (by its data source alone on 2025-09-03).
    ASSERT_TRUE(h.fake.SetTitle(mine, "Renamed on the board").ok());
    EXPECT_EQ(
        SendEvent(sync.get(), SignedEvent("e2", "page.properties_updated", mine, now)).http_status,
        200);
    ASSERT_TRUE(sync->SyncOnce().ok());
    EXPECT_TRUE(h.TaskForPage(foreign).id.empty()) << "a page of another database became a task";
    EXPECT_EQ(h.service->adds.load(), 1);
    EXPECT_EQ(h.TaskForPage(mine).title, "Renamed on the board");

    // A card moved out of the board is gone from it: its task is cancelled.
    elsewhere.insert(notion::CompactId(mine));
    EXPECT_EQ(
        SendEvent(sync.get(), SignedEvent("e3", "page.properties_updated", mine, now)).http_status,
        200);
    ASSERT_TRUE(sync->SyncOnce().ok());
    EXPECT_EQ(h.TaskForPage(mine).status, TaskStatus::kCancelled);
  }
}

TEST(NotionSync, FlushOutboxReturnsWithinItsBudgetAndLosesNothing) {
  Harness h;
  std::vector<std::string> pages;
  for (int i = 0; i < 3; ++i) pages.push_back(h.fake.AddTaskPage("F" + std::to_string(i), "To Do"));
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  for (const auto& p : pages) {
    Task t = h.TaskForPage(p);
    std::string e = StartTask(h.store.get(), t.id, "main");
    FinishTask(h.store.get(), t.id, e, ExecutionStatus::kCompleted, TaskStatus::kCompleted, "ok",
               "");
  }
  const auto budget = std::chrono::milliseconds(300);
  auto timed = [&](Status* st) {
    auto t0 = std::chrono::steady_clock::now();
    *st = sync->FlushOutbox(budget);
    return std::chrono::steady_clock::now() - t0;
  };
  Status st;
  h.fake.SetLatencyMs(3000);  // slower than the budget: the request is cut
  EXPECT_LT(timed(&st), std::chrono::milliseconds(1500));
  EXPECT_TRUE(st.IsUnavailable()) << st.ToString();
  h.fake.SetLatencyMs(0);
  h.fake.InjectRateLimited(100, 60);  // come back in a minute
  EXPECT_LT(timed(&st), std::chrono::milliseconds(1500));
  EXPECT_TRUE(st.IsUnavailable()) << st.ToString();
  h.fake.InjectRateLimited(0, 1);
  h.clock.Advance(120 * 1000);  // past the Retry-After pause
  st = sync->FlushOutbox(std::chrono::seconds(20));
  ASSERT_TRUE(st.ok()) << st.ToString();
  for (const auto& p : pages) {
    EXPECT_EQ(h.fake.StatusOf(p), "Done");
    EXPECT_EQ(WithoutProgress(h.fake.Comments(p)).size(), 1u);
  }
}

// Notion's answer to a property value it refuses (a bad select option).
void RefuseAsInvalidOption(notion::HttpResponse* resp) {
  resp->status = 400;
  resp->body = Json{{"object", "error"},
                    {"status", 400},
                    {"code", "validation_error"},
                    {"message", "Invalid select option, commas not allowed."}}
                   .dump();
}

TEST(NotionSync, ABadValueForOneTaskDoesNotBlockTheOutbox) {
  Harness h;
  HookTransport transport;
  std::string bad = h.fake.AddTaskPage("Bad agent value", "To Do");
  std::string good = h.fake.AddTaskPage("Fine", "To Do");
  int refusals = 0;
  transport.before = [&](const notion::HttpRequest& req, notion::HttpResponse* resp) {
    if (!IsPageCall(req, "PATCH", bad) || refusals > 0) return false;
    ++refusals;
    // The task changes while its write is refused: that change is not lost.
    Task t;
    EXPECT_TRUE(h.store->FindByNotionPage(bad, &t).ok());
    TaskPatch patch;
    patch.description = "changed meanwhile";
    Task out;
    EXPECT_TRUE(h.store->UpdateTask(t.id, patch, -1, h.clock.NowMs(), &out).ok());
    RefuseAsInvalidOption(resp);
    return true;
  };
  auto sync = SyncWith(h, &transport);
  ASSERT_TRUE(sync->Init().ok());
  Status st = sync->SyncOnce();
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(refusals, 1);
  EXPECT_EQ(sync->outbound_stats().given_up, 1);
  Task g = h.TaskForPage(good);
  EXPECT_EQ(h.fake.TextOf(good, "Neo4j Task ID"), g.id) << "the rest of the outbox was written";
  // Writes were not paused, and the change made meanwhile is written next.
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(h.fake.TextOf(bad, "Neo4j Task ID"), h.TaskForPage(bad).id);
}

// A refused status PATCH does not drop the attempt's result comment.
TEST(NotionSync, ARefusedPropertyWriteStillPostsTheResultComment) {
  Harness h;
  HookTransport transport;
  std::string page = h.fake.AddTaskPage("Bad agent value", "To Do");
  bool refuse = false;
  transport.before = [&](const notion::HttpRequest& req, notion::HttpResponse* resp) {
    if (!refuse || !IsPageCall(req, "PATCH", page)) return false;
    RefuseAsInvalidOption(resp);
    return true;
  };
  auto sync = SyncWith(h, &transport);
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  Task task = h.TaskForPage(page);
  std::string e = StartTask(h.store.get(), task.id, "temujin");
  FinishTask(h.store.get(), task.id, e, ExecutionStatus::kCompleted, TaskStatus::kCompleted,
             "parser done", "");
  refuse = true;
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(sync->outbound_stats().given_up, 1);
  auto comments = WithoutProgress(h.fake.Comments(page));
  ASSERT_EQ(comments.size(), 1u);
  EXPECT_NE(notion::PlainText(comments[0]["rich_text"]).find("parser done"), std::string::npos);
  refuse = false;
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(WithoutProgress(h.fake.Comments(page)).size(), 1u);  // not posted twice
}

TEST(NotionSync, RepeatedWebhooksForOnePageCostOneFetch) {
  Harness h;
  h.config.webhook_secret = "whsec";
  HookTransport transport;
  std::string page = h.fake.AddTaskPage("Busy card", "To Do");
  int gets = 0;
  transport.after = [&](const notion::HttpRequest& req, notion::HttpResponse*) {
    if (IsPageCall(req, "GET", page)) ++gets;
  };
  auto sync = SyncWith(h, &transport);
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  const TimeMs now = h.clock.NowMs();
  for (int i = 0; i < 5; ++i) {
    std::string body =
        SignedEvent("busy-" + std::to_string(i), "page.properties_updated", page, now);
    EXPECT_EQ(SendEvent(sync.get(), body).http_status, 200);
  }
  ASSERT_TRUE(sync->SyncOnce().ok());
  EXPECT_EQ(gets, 1);
}

TEST(NotionSync, WebhookPagesWaitWhileTheSchemaIsBroken) {
  Harness h;
  h.config.poll_interval_seconds = 3600;  // only webhooks drive the loop
  h.config.webhook_secret = "whsec";
  HookTransport transport;
  std::string page = h.fake.AddTaskPage("Schema victim", "To Do");
  std::atomic<int> page_gets{0}, schema_gets{0};
  transport.after = [&](const notion::HttpRequest& req, notion::HttpResponse*) {
    if (IsPageCall(req, "GET", page)) ++page_gets;
    if (req.method == "GET" && req.url.find("/databases/") != std::string::npos) ++schema_gets;
  };
  auto sync = SyncWith(h, &transport);
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->SyncOnce().ok());
  const int64_t before = h.fake.RequestCount();
  ASSERT_TRUE(sync->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return h.fake.RequestCount() > before; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the first round is done
  ASSERT_TRUE(h.fake.RenameProperty("Status", "State").ok());
  const TimeMs now = h.clock.NowMs();
  const int schema_before = schema_gets.load();
  EXPECT_EQ(
      SendEvent(sync.get(), SignedEvent("s1", "database.schema_updated", page, now)).http_status,
      200);
  EXPECT_EQ(
      SendEvent(sync.get(), SignedEvent("p1", "page.properties_updated", page, now)).http_status,
      200);
  // The schema is checked (and found broken); the page is not read with a
  // stale mapping, and the loop does not spin on the queued page.
  ASSERT_TRUE(WaitFor([&] { return schema_gets.load() > schema_before; }, 5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(page_gets.load(), 0);
  EXPECT_LE(schema_gets.load() - schema_before, 2);
  // Fixed and announced: the queued page is read now.
  ASSERT_TRUE(h.fake.RenameProperty("State", "Status").ok());
  EXPECT_EQ(
      SendEvent(sync.get(), SignedEvent("s2", "database.schema_updated", page, now)).http_status,
      200);
  EXPECT_TRUE(WaitFor([&] { return page_gets.load() == 1; }, 5000));
  sync->Stop();
}

}  // namespace
}  // namespace taskexec::notion_test

namespace taskexec::notion {
namespace {

// The card's result comment says what the attempt used, when the agent said.
// The task and attempt a result comment is about, for the cases below.
Task CommentedTask() {
  Task task;
  task.id = "task-1";
  return task;
}
SessionExecution CommentedAttempt(ExecutionStatus status) {
  SessionExecution e;
  e.id = "exec-1";
  e.agent = "kublai";
  e.status = status;
  return e;
}

TEST(ResultCommentTest, CarriesTheAttemptsUsage) {
  Task task;
  task.id = "task-1";
  SessionExecution e;
  e.id = "exec-1";
  e.attempt = 2;
  e.agent = "kublai";
  e.status = ExecutionStatus::kCompleted;
  e.summary = "wrote it";
  EXPECT_EQ(ResultComment(task, e, {}).find("Usage:"), std::string::npos);
  e.usage.input_tokens = 1200;
  e.usage.cache_read_tokens = 800;
  e.usage.output_tokens = 34;
  e.usage.cost_usd = 0.00564;
  e.usage.num_turns = 2;
  e.usage.model = "claude-opus-5-5";
  const std::string text = ResultComment(task, e, {});
  EXPECT_NE(text.find("\nUsage: 1200 in, 800 cached, 34 out; cost $0.0056; 2 turns; model "
                      "claude-opus-5-5\n"),
            std::string::npos)
      << text;
}

// The attempt that spent the task's budget says so, with the limit and
// how to go on; an earlier failed attempt of the same task does not.
TEST(ResultCommentTest, SaysWhenTheAttemptSpentTheBudget) {
  Task task;
  task.id = "task-1";
  task.status = TaskStatus::kFailed;
  task.error_type = ErrorType::kBudgetExhausted;
  task.error_message = "budget exhausted: 3 attempts reached the limit of 3";
  task.completed_at = 1'800'000'000'000;
  SessionExecution e;
  e.id = "exec-3";
  e.attempt = 3;
  e.agent = "kublai";
  e.status = ExecutionStatus::kFailed;
  e.error_type = ErrorType::kApiError;
  e.error = "HTTP 529";
  e.ended_at = task.completed_at;
  std::string text = ResultComment(task, e, {});
  EXPECT_NE(text.find("Error (api_error): HTTP 529\nTask stopped: budget exhausted: 3 attempts "
                      "reached the limit of 3\n"),
            std::string::npos)
      << text;
  e.ended_at = task.completed_at - 60'000;  // an earlier attempt
  EXPECT_EQ(ResultComment(task, e, {}).find("Task stopped"), std::string::npos);
}

// An attempt that hit the provider's usage limit says the task waits for
// the reset instead of failing.
TEST(ResultCommentTest, AUsageLimitSaysTheTaskWaitsForTheReset) {
  Task task;
  task.id = "task-1";
  task.status = TaskStatus::kPending;
  SessionExecution e;
  e.id = "exec-1";
  e.attempt = 1;
  e.agent = "kublai";
  e.status = ExecutionStatus::kFailed;
  e.error_type = ErrorType::kUsageLimit;
  e.error = "Claude AI usage limit reached|1796486400";
  const std::string text = ResultComment(task, e, {});
  EXPECT_NE(text.find("Error (usage_limit): Claude AI usage limit reached|1796486400\nWaiting: "
                      "the agent's provider limit was reached; kublai is paused until it resets"),
            std::string::npos)
      << text;
}

// The card says which agent session the attempt ran in, and when it
// continued the task's earlier one.
TEST(ResultCommentTest, NamesTheSessionAndAResumedOne) {
  Task task;
  task.id = "task-1";
  SessionExecution e;
  e.id = "exec-1";
  e.agent = "kublai";
  e.status = ExecutionStatus::kCompleted;
  EXPECT_EQ(ResultComment(task, e, {}).find("ession"), std::string::npos);
  e.session_id = "sess-1";
  EXPECT_NE(ResultComment(task, e, {}).find("\nSession: sess-1\n"), std::string::npos);
  e.resumed_session_id = "sess-1";
  const std::string text = ResultComment(task, e, {});
  EXPECT_NE(text.find("\nContinued session sess-1\n"), std::string::npos) << text;
}

// An attempt that asked shows its question and how to answer it.
TEST(ResultCommentTest, AQuestionIsShownWithHowToAnswer) {
  const Task task = CommentedTask();
  SessionExecution e = CommentedAttempt(ExecutionStatus::kNeedsInput);
  e.summary = "Which colour?";
  const std::string text = ResultComment(task, e, {});
  EXPECT_NE(text.find(" needs_input\nQuestion: Which colour?\n"), std::string::npos) << text;
  EXPECT_NE(text.find("taskexec task reply task-1 --message"), std::string::npos) << text;
  EXPECT_EQ(text.find("Error"), std::string::npos) << text;
}

// A stalled attempt's comment says why and when its agent went quiet.
TEST(ResultCommentTest, AStalledAttemptSaysWhenItsAgentLastSpoke) {
  const Task task = CommentedTask();
  SessionExecution e = CommentedAttempt(ExecutionStatus::kCompleted);
  e.last_output_at = 1'800'000'000'000;
  EXPECT_EQ(ResultComment(task, e, {}).find("Last output"), std::string::npos);
  e.status = ExecutionStatus::kTimedOut;
  e.error_type = ErrorType::kStalled;
  e.error = "stalled: no output on stdout or stderr for 600 s before it was stopped";
  const std::string text = ResultComment(task, e, {});
  EXPECT_NE(text.find("Error (stalled): stalled: no output"), std::string::npos) << text;
  EXPECT_NE(text.find("\nLast output: " + FormatIso8601(e.last_output_at) + "\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace taskexec::notion
