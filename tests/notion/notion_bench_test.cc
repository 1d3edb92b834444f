// The request budget, measured by the fake (docs/benchmarks.md):
//   * an idle poll costs one request;
//   * 1,000 status changes across 100 pages cost no more updates than pages.
// Prints the numbers; the assertions are the budget.
#include <gtest/gtest.h>

#include <cstdio>

#include "notion_test_support.h"

namespace taskexec::notion_test {
namespace {

TEST(NotionBench, RequestsUsed) {
  Harness h;
  std::vector<std::string> pages;
  for (int i = 0; i < 100; ++i)
    pages.push_back(h.fake.AddTaskPage("B" + std::to_string(i), "To Do"));
  auto* sync = h.NewSync();
  ASSERT_TRUE(sync->Init().ok());
  h.fake.ResetRequests();
  ASSERT_TRUE(sync->SyncOnce().ok());
  const int64_t import_requests = h.fake.RequestCount();

  h.clock.Advance(5 * 60 * 1000);
  ASSERT_TRUE(sync->SyncOnce().ok());  // the board has been quiet for 5 minutes
  h.fake.ResetRequests();
  ASSERT_TRUE(sync->SyncOnce().ok());
  const int64_t idle_requests = h.fake.RequestCount();
  EXPECT_EQ(idle_requests, 1);

  // 1,000 status changes: 10 per page, ending held in Backlog.
  const TimeMs now = SystemClock::Default()->NowMs();
  for (const auto& p : pages) {
    Task t = h.TaskForPage(p);
    for (int k = 0; k < 10; ++k) {
      Task out;
      ASSERT_TRUE(h.store
                      ->SetStatus(t.id, k % 2 ? TaskStatus::kPending : TaskStatus::kSuspended,
                                  "bench", now, &out)
                      .ok());
    }
    Task out;
    ASSERT_TRUE(h.store->SetStatus(t.id, TaskStatus::kSuspended, "bench", now, &out).ok());
  }
  h.fake.ResetRequests();
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(sync->SyncOnce().ok());
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  const int64_t patches = h.CountRequests("PATCH");
  const int64_t total = h.fake.RequestCount();
  EXPECT_LE(patches, 100);
  std::printf(
      "notion bench: import of 100 pages = %lld requests; idle poll = %lld request(s); 1000 "
      "status changes on 100 pages = %lld PATCH + %lld other = %lld requests (%lld ms at "
      "unlimited rate)\n",
      static_cast<long long>(import_requests), static_cast<long long>(idle_requests),
      static_cast<long long>(patches), static_cast<long long>(total - patches),
      static_cast<long long>(total), static_cast<long long>(ms));
}

}  // namespace
}  // namespace taskexec::notion_test
