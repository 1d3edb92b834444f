// The whole flow with the sync loop running: 250 cards (three result
// pages) become tasks, a simulated engine runs them (some fail), a person
// moves a few cards meanwhile, and the board ends with the right statuses,
// agents, errors and one result comment per run.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "comment_kinds.h"
#include "notion_test_support.h"

namespace taskexec::notion_test {
namespace {

TEST(NotionBoard, TwoHundredFiftyCardsRunAndReportBack) {
  Harness h;
  h.config.poll_interval_seconds = 1;
  std::vector<std::string> pages;
  for (int i = 0; i < 250; ++i)
    pages.push_back(h.fake.AddTaskPage("Card " + std::to_string(i), "To Do"));
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  ASSERT_TRUE(sync->Start().ok());

  // The engine: claims what is runnable; every 7th task fails for good.
  std::atomic<bool> stop{false};
  std::thread engine([&] {
    const char* agents[] = {"mongke", "temujin", "chagatai", "jochi", "ogedei", "kublai", "main"};
    while (!stop) {
      std::vector<Task> runnable;
      h.store->ListRunnable(SystemClock::Default()->NowMs(), 20, false, &runnable);
      for (const Task& t : runnable) {
        const int idx = std::stoi(t.title.substr(5));
        std::string e = StartTask(h.store.get(), t.id, agents[idx % 7]);
        if (idx % 7 == 3) {
          FinishTask(h.store.get(), t.id, e, ExecutionStatus::kFailed, TaskStatus::kFailed, "",
                     "syntax error in card " + std::to_string(idx));
        } else {
          FinishTask(h.store.get(), t.id, e, ExecutionStatus::kCompleted, TaskStatus::kCompleted,
                     "summary of card " + std::to_string(idx), "");
        }
      }
      CarryOutCancels(h.store.get());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });

  auto board_done = [&] {
    for (int i = 0; i < 250; ++i) {
      const std::string want = i % 7 == 3 ? "Blocked" : "Done";
      if (h.fake.StatusOf(pages[i]) != want) return false;
      if (WithoutProgress(h.fake.Comments(pages[i])).empty()) return false;
    }
    return true;
  };
  const bool finished = WaitFor(board_done, 120000);
  stop = true;
  engine.join();
  sync->Stop();
  ASSERT_TRUE(finished);

  const char* agents[] = {"mongke", "temujin", "chagatai", "jochi", "ogedei", "kublai", "main"};
  for (int i = 0; i < 250; ++i) {
    Task t = h.TaskForPage(pages[i]);
    EXPECT_EQ(h.fake.TextOf(pages[i], "Neo4j Task ID"), t.id);
    EXPECT_EQ(h.fake.TextOf(pages[i], "Agent"), agents[i % 7]);
    auto comments = WithoutProgress(h.fake.Comments(pages[i]));
    ASSERT_EQ(comments.size(), 1u) << i;
    std::string text = notion::PlainText(comments[0]["rich_text"]);
    if (i % 7 == 3) {
      EXPECT_NE(text.find("syntax error in card " + std::to_string(i)), std::string::npos);
    } else {
      EXPECT_NE(text.find("summary of card " + std::to_string(i)), std::string::npos);
    }
  }
  // The query that imported them was three result pages.
  int64_t first_queries = 0;
  for (const auto& r : h.fake.Requests()) {
    if (r.method == "PATCH") break;  // the imports' write-backs follow the poll
    if (r.path.find("/query") != std::string::npos) ++first_queries;
  }
  EXPECT_EQ(first_queries, 3);
}

}  // namespace
}  // namespace taskexec::notion_test
