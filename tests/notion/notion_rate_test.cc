// Real time, real limits: the fake enforces Notion's average of 3 requests
// per second (429 + Retry-After beyond it), the sync runs with the default
// requests_per_second = 3, and the fake measures the rate it received.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>

#include "comment_kinds.h"
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
    EXPECT_EQ(WithoutProgress(h.fake.Comments(p)).size(), 1u);
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

namespace taskexec::notion_test {
namespace {

// `serve`, `notion sync --once` and `notion check` on one token are separate
// processes: each paces itself at the configured rate, and only the bucket
// they share through the store keeps them under Notion's limit together.
// Two clients with limiters of their own, over two handles of one store
// file, each at 9 requests/s against a Notion that allows 10/s: alone they
// would send 18/s and be answered 429.
TEST(NotionRate, TwoProcessesOnOneTokenStayUnderTheLimitTogether) {
  fakes::FakeNotionOptions fo;
  fo.rate_per_second = 10;
  fo.burst = 10;
  fakes::FakeNotionServer fake(fo);
  ASSERT_TRUE(fake.Start().ok());
  const std::string page = fake.AddTaskPage("Shared budget", "To Do");
  store_test::TempDir dir;
  std::vector<std::unique_ptr<SqliteStore>> stores(2);
  std::vector<std::unique_ptr<notion::RateLimiter>> limiters;
  std::vector<std::unique_ptr<notion::NotionClient>> clients;
  notion::CurlTransport transport;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(SqliteStore::Open(dir.File("shared.db"), StoreConfig{}, &stores[i]).ok());
    limiters.push_back(std::make_unique<notion::RateLimiter>(9, 3, SystemClock::Default(),
                                                             notion::RealSleeper::Default()));
    limiters.back()->ShareThrough(stores[i].get(), notion::SharedBucketKey(fo.token));
    notion::NotionClientOptions co;
    co.base_url = fake.base_url();
    co.token = fo.token;
    co.database_id = fo.database_id;
    clients.push_back(std::make_unique<notion::NotionClient>(co, &transport, limiters.back().get(),
                                                             SystemClock::Default(),
                                                             notion::RealSleeper::Default()));
  }
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 30; ++n) {
        notion::Json out;
        if (!clients[i]->GetPage(page, &out).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  int64_t limited = 0;
  for (const auto& r : fake.Requests())
    if (r.status == 429) ++limited;
  EXPECT_EQ(limited, 0) << "the two clients together went over Notion's limit";
  EXPECT_EQ(fake.RequestCount(), 60);
  std::printf("shared budget: 60 requests, at most %lld in any 1 s window\n",
              static_cast<long long>(fake.MaxRequestsInWindow(1000)));
}

}  // namespace
}  // namespace taskexec::notion_test
