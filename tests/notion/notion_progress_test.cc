// Live progress on the card: one comment per running attempt, created at its
// start, edited in place at most once per interval, closed at its end; only
// from spare request budget; durable across restarts and lost answers.
#include "notion/progress_comments.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "notion_test_support.h"

namespace taskexec::notion_test {
namespace {

using notion::Json;
using notion::PlainText;
using notion::ProgressComments;
using notion::ProgressMarker;

constexpr int64_t kInterval = 30'000;

class NotionProgressTest : public ::testing::Test {
 protected:
  NotionProgressTest() : clock_(SystemClock::Default()->NowMs()) {}

  // A card imported as a task, and its page id.
  std::string AddCard(const std::string& title, Task* task) {
    std::string page = h_.fake.AddTaskPage(title, "To Do");
    auto* sync = h_.NewSync();
    EXPECT_TRUE(sync->Init().ok());
    EXPECT_TRUE(sync->SyncOnce().ok());
    *task = h_.TaskForPage(page);
    EXPECT_FALSE(task->id.empty());
    return page;
  }

  std::unique_ptr<ProgressComments> Progress(std::function<bool()> may_send = nullptr,
                                             int per_tick = 2) {
    return std::make_unique<ProgressComments>(h_.sync->client(), h_.store.get(), kInterval,
                                              std::move(may_send), &clock_, per_tick);
  }

  void Output(const std::string& exec, TimeMs at, const std::string& line) {
    int written = 0;
    ASSERT_TRUE(h_.store->RecordOutputTimes(kExecutor, {{exec, at, line}}, &written).ok());
    ASSERT_EQ(written, 1);
  }

  std::vector<std::string> Texts(const std::string& page) {
    std::vector<std::string> out;
    for (const Json& c : h_.fake.Comments(page)) out.push_back(PlainText(c["rich_text"]));
    return out;
  }

  Harness h_;
  ManualClock clock_;
};

TEST_F(NotionProgressTest, OneCommentPerAttemptEditedInPlaceAndClosedAtTheEnd) {
  Task task;
  const std::string page = AddCard("Fix the parser", &task);
  const std::string exec = StartTask(h_.store.get(), task.id, "temujin");
  auto progress = Progress();
  h_.fake.ResetRequests();

  // Created at the start, before any output.
  ASSERT_TRUE(progress->Tick().ok());
  std::vector<std::string> texts = Texts(page);
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_NE(texts[0].find("attempt 1 of task " + task.id + " on temujin is running"),
            std::string::npos)
      << texts[0];
  EXPECT_NE(texts[0].find("Last output: none yet"), std::string::npos) << texts[0];
  EXPECT_NE(texts[0].find(ProgressMarker(exec)), std::string::npos);
  EXPECT_EQ(h_.fake.RequestCount(), 1);

  // Output within the interval: nothing is sent yet.
  Output(exec, clock_.NowMs() + 1000, "reading src/parser.cc");
  clock_.Advance(10'000);
  ASSERT_TRUE(progress->Tick().ok());
  EXPECT_EQ(h_.fake.RequestCount(), 1);

  // Once the interval passed: the same comment, edited.
  clock_.Advance(20'000);
  ASSERT_TRUE(progress->Tick().ok());
  EXPECT_EQ(h_.fake.RequestCount(), 2);
  EXPECT_EQ(h_.fake.CommentUpdates(), 1);
  texts = Texts(page);
  ASSERT_EQ(texts.size(), 1u);
  // The attempt started (system time) just after this clock's start.
  EXPECT_TRUE(texts[0].find("Elapsed: 30 s") != std::string::npos ||
              texts[0].find("Elapsed: 29 s") != std::string::npos)
      << texts[0];
  EXPECT_NE(texts[0].find("Last line: reading src/parser.cc"), std::string::npos) << texts[0];
  EXPECT_EQ(texts[0].find("none yet"), std::string::npos) << texts[0];

  // The end: one last edit saying how it ended, then nothing more.
  clock_.Advance(5'000);
  Output(exec, clock_.NowMs(), "all 41 tests pass");
  FinishTask(h_.store.get(), task.id, exec, ExecutionStatus::kCompleted, TaskStatus::kCompleted,
             "fixed", "");
  ASSERT_TRUE(progress->Tick().ok());
  EXPECT_EQ(h_.fake.CommentUpdates(), 2);
  texts = Texts(page);
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_NE(texts[0].find("ended completed after"), std::string::npos) << texts[0];
  EXPECT_NE(texts[0].find("Last line: all 41 tests pass"), std::string::npos) << texts[0];
  const int64_t requests = h_.fake.RequestCount();
  clock_.Advance(kInterval * 3);
  ASSERT_TRUE(progress->Tick().ok());
  EXPECT_EQ(h_.fake.RequestCount(), requests);

  // The result comment comes from the outbox, as a second comment.
  ASSERT_TRUE(h_.sync->SyncOnce().ok());
  texts = Texts(page);
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_NE(texts[1].find("Summary: fixed"), std::string::npos) << texts[1];
}

// However chatty the agent, an attempt costs at most one request per
// interval; a quiet one whose text did not change costs none.
TEST_F(NotionProgressTest, AtMostOneRequestPerAttemptPerInterval) {
  Task task;
  const std::string page = AddCard("Chatty agent", &task);
  const std::string exec = StartTask(h_.store.get(), task.id, "kublai");
  auto progress = Progress();
  h_.fake.ResetRequests();
  for (int second = 0; second < 120; ++second) {
    Output(exec, clock_.NowMs(), "line " + std::to_string(second));
    ASSERT_TRUE(progress->Tick().ok());
    clock_.Advance(1000);
  }
  // The first write plus one per 30 s of the 120 s.
  EXPECT_EQ(h_.fake.RequestCount(), 4);
  EXPECT_EQ(h_.fake.CommentUpdates(), 3);
  EXPECT_EQ(h_.fake.Comments(page).size(), 1u);
}

// Without spare budget nothing is sent; with it, at most `per_tick`
// requests a tick, the longest-running attempts first.
TEST_F(NotionProgressTest, OnlySpareBudgetAndABoundPerTick) {
  std::vector<std::string> pages;
  std::vector<Task> tasks(5);
  for (int i = 0; i < 5; ++i) pages.push_back(AddCard("Card " + std::to_string(i), &tasks[i]));
  for (const Task& t : tasks) StartTask(h_.store.get(), t.id, "jochi");
  bool spare = false;
  auto progress = Progress([&] { return spare; }, /*per_tick=*/2);
  h_.fake.ResetRequests();
  ASSERT_TRUE(progress->Tick().ok());
  EXPECT_EQ(h_.fake.RequestCount(), 0);
  EXPECT_GE(progress->stats().skipped, 1);
  spare = true;
  for (int tick = 1; tick <= 3; ++tick) {
    ASSERT_TRUE(progress->Tick().ok());
    EXPECT_EQ(h_.fake.RequestCount(), std::min(5, 2 * tick)) << tick;
  }
  for (const std::string& p : pages) EXPECT_EQ(h_.fake.Comments(p).size(), 1u);
  EXPECT_EQ(progress->stats().created, 5);
}

// A restarted process goes on editing the same comment.
TEST_F(NotionProgressTest, ARestartKeepsEditingTheSameComment) {
  Task task;
  const std::string page = AddCard("Long job", &task);
  const std::string exec = StartTask(h_.store.get(), task.id, "ogedei");
  ASSERT_TRUE(Progress()->Tick().ok());
  auto restarted = Progress();
  clock_.Advance(kInterval);
  Output(exec, clock_.NowMs(), "still compiling");
  ASSERT_TRUE(restarted->Tick().ok());
  const std::vector<std::string> texts = Texts(page);
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_NE(texts[0].find("Last line: still compiling"), std::string::npos) << texts[0];
}

// A POST whose answer was lost: the next tick finds the comment by its
// marker and edits it instead of posting a second one.
TEST_F(NotionProgressTest, ALostAnswerDoesNotPostTwice) {
  Task task;
  const std::string page = AddCard("Flaky network", &task);
  const std::string exec = StartTask(h_.store.get(), task.id, "mongke");
  HookTransport hook;
  int lost = 1;
  hook.after = [&](const notion::HttpRequest& r, notion::HttpResponse* resp) {
    if (r.method == "POST" && r.url.find("/comments") != std::string::npos && lost > 0) {
      --lost;
      resp->status = 502;  // it landed; the answer did not
      resp->body = R"({"object":"error","status":502,"code":"bad_gateway","message":"lost"})";
    }
  };
  auto sync = SyncWith(h_, &hook);
  ProgressComments progress(sync->client(), h_.store.get(), kInterval, nullptr, &clock_);
  EXPECT_TRUE(progress.Tick().IsUnavailable());
  ASSERT_EQ(h_.fake.Comments(page).size(), 1u);
  Output(exec, clock_.NowMs(), "retrying");
  ASSERT_TRUE(progress.Tick().ok());
  const std::vector<std::string> texts = Texts(page);
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_NE(texts[0].find("Last line: retrying"), std::string::npos) << texts[0];
  EXPECT_EQ(h_.fake.CommentUpdates(), 1);
}

// Tasks without a card cost no request; a card whose comment Notion will
// not take stops that attempt's progress, not the others'.
TEST_F(NotionProgressTest, TasksWithoutACardAndRefusalsCostNothingMore) {
  NewTask plain;
  plain.title = "local only";
  Task local;
  ASSERT_TRUE(h_.store->AddTask(plain, clock_.NowMs(), &local).ok());
  Task task;
  const std::string page = AddCard("Card", &task);
  StartTask(h_.store.get(), local.id, "chagatai");
  ASSERT_TRUE(h_.fake.DeletePage(page).ok());
  StartTask(h_.store.get(), task.id, "chagatai");
  auto progress = Progress();
  h_.fake.ResetRequests();
  ASSERT_TRUE(progress->Tick().ok());
  EXPECT_EQ(h_.fake.RequestCount(), 1);  // the refused POST only
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(kInterval);
    ASSERT_TRUE(progress->Tick().ok());
  }
  EXPECT_EQ(h_.fake.RequestCount(), 1);
}

TEST(ProgressText, SaysElapsedLastOutputAndLine) {
  SessionExecution e;
  e.id = "exec-1";
  e.task_id = "task-1";
  e.agent = "temujin";
  e.attempt = 2;
  e.status = ExecutionStatus::kActive;
  e.started_at = 1'800'000'000'000;
  std::string text = notion::ProgressText(e, e.started_at + 185'000);
  EXPECT_EQ(text,
            "taskexec: attempt 2 of task task-1 on temujin is running\n"
            "Elapsed: 3 min 05 s (since 2027-01-15T08:00:00.000Z)\n"
            "Last output: none yet\n"
            "[taskexec progress exec-1]");
  e.status = ExecutionStatus::kFailed;
  e.ended_at = e.started_at + 2 * 3600'000 + 60'000;
  e.last_output_at = e.started_at + 7'000;
  e.last_output_line = "tests do not pass";
  text = notion::ProgressText(e, e.ended_at + 5);
  EXPECT_NE(text.find("ended failed after 2 h 01 min\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Last line: tests do not pass\n"), std::string::npos) << text;
  EXPECT_NE(text.find("The result follows in the next comment."), std::string::npos) << text;
  EXPECT_EQ(FormatElapsed(-5), "0 s");
  EXPECT_EQ(FormatElapsed(59'999), "59 s");
}

}  // namespace
}  // namespace taskexec::notion_test
