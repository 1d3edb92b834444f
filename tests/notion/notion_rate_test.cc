// Real time, real limits: the fake enforces Notion's average of 3 requests
// per second (429 + Retry-After beyond it), the sync runs with the default
// requests_per_second = 3, and the fake measures the rate it received.
#include <gtest/gtest.h>

#include <cstdio>

#include "notion_test_support.h"

namespace taskexec::notion_test {
namespace {

TEST(NotionRate, NeverAbove3PerSecondOverAny10sWindowEvenThroughA429Storm) {
  fakes::FakeNotionOptions fo;  // rate 3/s, burst 10, like Notion
  Harness h(fo, "2022-06-28", /*requests_per_second=*/3);
  std::vector<std::string> pages;
  for (int i = 0; i < 15; ++i)
    pages.push_back(h.fake.AddTaskPage("T" + std::to_string(i), "To Do"));
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  h.fake.InjectRateLimited(3, 2);  // a storm in the middle of the import
  ASSERT_TRUE(sync->SyncOnce().ok());
  for (const auto& p : pages) {
    Task t = h.TaskForPage(p);
    ASSERT_FALSE(t.id.empty());
    std::string e = StartTask(h.store.get(), t.id, "mongke");
    FinishTask(h.store.get(), t.id, e, ExecutionStatus::kCompleted, TaskStatus::kCompleted, "ok",
               "");
  }
  ASSERT_TRUE(sync->SyncOnce().ok());
  for (const auto& p : pages) {
    EXPECT_EQ(h.fake.StatusOf(p), "Done");
    EXPECT_EQ(h.fake.Comments(p).size(), 1u);
  }
  int64_t limited_by_fake = 0;
  for (const auto& r : h.fake.Requests())
    if (r.status == 429) ++limited_by_fake;
  EXPECT_EQ(limited_by_fake, 3) << "only the injected storm; our own pace never trips the limit";
  const int64_t worst = h.fake.MaxRequestsInWindow(10000);
  std::printf("notion rate: %lld requests, at most %lld in any 10 s window\n",
              static_cast<long long>(h.fake.RequestCount()), static_cast<long long>(worst));
  EXPECT_LE(worst, 30) << "more than 3 requests/s on average over a 10 s window";
  EXPECT_GE(h.fake.RequestCount(), 45);  // schema + query + 15 imports, updates, comments
}

}  // namespace
}  // namespace taskexec::notion_test
