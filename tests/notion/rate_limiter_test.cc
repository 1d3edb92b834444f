#include "notion/rate_limiter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "store/temp_dir.h"

namespace taskexec::notion {
namespace {

// Sleeping advances the manual clock, so time only passes when asked.
class ClockSleeper final : public Sleeper {
 public:
  explicit ClockSleeper(ManualClock* clock) : clock_(clock) {}
  void SleepMs(int64_t ms) override { clock_->Advance(ms); }

 private:
  ManualClock* clock_;
};

TEST(RateLimiter, BurstThenSteadyRate) {
  ManualClock clock(0);
  ClockSleeper sleeper(&clock);
  RateLimiter limiter(2.0, 3, &clock, &sleeper);
  EXPECT_EQ(limiter.Reserve(), 0);
  EXPECT_EQ(limiter.Reserve(), 0);
  EXPECT_EQ(limiter.Reserve(), 0);
  EXPECT_EQ(limiter.Reserve(), 500);   // 1 token short at 2/s
  EXPECT_EQ(limiter.Reserve(), 1000);  // queued behind the previous one
  clock.Advance(1000);
  EXPECT_EQ(limiter.Reserve(), 500);
}

TEST(RateLimiter, RefillsUpToCapacityOnly) {
  ManualClock clock(0);
  ClockSleeper sleeper(&clock);
  RateLimiter limiter(3.0, 3, &clock, &sleeper);
  clock.Advance(60000);  // a long idle time saves at most `capacity` tokens
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Reserve(), 0);
  EXPECT_GT(limiter.Reserve(), 0);
}

TEST(RateLimiter, PauseUntilDelaysEveryoneAndRestartsEmpty) {
  ManualClock clock(10000);
  ClockSleeper sleeper(&clock);
  RateLimiter limiter(3.0, 3, &clock, &sleeper);
  limiter.PauseUntil(12000);
  EXPECT_EQ(limiter.Reserve(), 2000 + 334);  // after the pause, no saved burst
  clock.Set(20000);
  // Refill counts from the end of the pause only.
  EXPECT_EQ(limiter.Reserve(), 0);
}

// The guarantee the sync relies on: with rate 0.9 * 3 and capacity 3, no
// 10-second window ever holds more than 30 request starts.
TEST(RateLimiter, NeverMoreThan30StartsInAny10sWindow) {
  ManualClock clock(0);
  ClockSleeper sleeper(&clock);
  RateLimiter limiter(2.7, 3, &clock, &sleeper);
  std::vector<TimeMs> starts;
  for (int i = 0; i < 1000; ++i) {
    limiter.Acquire();
    starts.push_back(clock.NowMs());
    if (i % 97 == 0) clock.Advance(4000);  // idle gaps let the bucket refill
  }
  size_t lo = 0;
  size_t worst = 0;
  for (size_t hi = 0; hi < starts.size(); ++hi) {
    while (starts[hi] - starts[lo] > 10000) ++lo;  // closed window [t, t + 10 s]
    worst = std::max(worst, hi - lo + 1);
  }
  EXPECT_LE(worst, 30u);
}

TEST(RateLimiter, ThreadsShareOneBucket) {
  ManualClock clock(0);
  ClockSleeper sleeper(&clock);
  RateLimiter limiter(1.0, 1, &clock, &sleeper);
  std::vector<int64_t> waits(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) threads.emplace_back([&, i] { waits[i] = limiter.Reserve(); });
  for (auto& t : threads) t.join();
  std::sort(waits.begin(), waits.end());
  for (int i = 0; i < 8; ++i) EXPECT_EQ(waits[i], i * 1000);  // one per second, none shared
}

}  // namespace
}  // namespace taskexec::notion

namespace taskexec::notion {
namespace {

// Two processes on one token: two limiters over two handles of one store
// file draw from one bucket, and a Retry-After paces both.
TEST(RateLimiterShared, TwoProcessesOnOneTokenShareOneBucket) {
  store_test::TempDir dir;
  std::unique_ptr<SqliteStore> a_store, b_store;
  ASSERT_TRUE(SqliteStore::Open(dir.File("t.db"), StoreConfig{}, &a_store).ok());
  ASSERT_TRUE(SqliteStore::Open(dir.File("t.db"), StoreConfig{}, &b_store).ok());
  ManualClock clock(1'000'000);
  ClockSleeper sleeper(&clock);
  RateLimiter a(10, 3, &clock, &sleeper), b(10, 3, &clock, &sleeper);
  const std::string key = SharedBucketKey("secret_token");
  EXPECT_EQ(key.rfind("notion.rate.", 0), 0u);
  EXPECT_EQ(key.find("secret"), std::string::npos) << "the token itself is never stored";
  a.ShareThrough(a_store.get(), key);
  b.ShareThrough(b_store.get(), key);
  // The burst of 3 is spent by both together: b's first request waits.
  EXPECT_EQ(a.Reserve(), 0);
  EXPECT_EQ(b.Reserve(), 0);
  EXPECT_EQ(a.Reserve(), 0);
  EXPECT_EQ(b.Reserve(), 100);
  EXPECT_EQ(a.Reserve(), 200);
  // A 429 one process saw pauses the other too.
  clock.Advance(1000);
  EXPECT_EQ(b.Reserve(), 0);  // refilled
  a.PauseUntil(clock.NowMs() + 5000);
  EXPECT_EQ(b.Reserve(), 5000 + 100);
  // Another token has a bucket of its own.
  RateLimiter c(10, 3, &clock, &sleeper);
  c.ShareThrough(b_store.get(), SharedBucketKey("another_token"));
  EXPECT_EQ(c.Reserve(), 0);
}

// A bucket last refilled by a process whose clock runs ahead still refills
// on this process's clock.
TEST(RateLimiterShared, AClockAheadInAnotherProcessDoesNotStopTheRefill) {
  store_test::TempDir dir;
  std::unique_ptr<SqliteStore> store;
  ASSERT_TRUE(SqliteStore::Open(dir.File("t.db"), StoreConfig{}, &store).ok());
  const std::string key = SharedBucketKey("tok");
  ASSERT_TRUE(store->SetMeta(key, R"({"tokens": -1, "last_ms": 9000000, "paused_until": 0})").ok());
  ManualClock clock(1'000'000);
  ClockSleeper sleeper(&clock);
  RateLimiter a(10, 3, &clock, &sleeper);
  a.ShareThrough(store.get(), key);
  EXPECT_EQ(a.Reserve(), 200);
  clock.Advance(1000);
  EXPECT_EQ(a.Reserve(), 0);
}

TEST(RateLimiterShared, AnUnreadableBucketStartsFull) {
  store_test::TempDir dir;
  std::unique_ptr<SqliteStore> store;
  ASSERT_TRUE(SqliteStore::Open(dir.File("t.db"), StoreConfig{}, &store).ok());
  const std::string key = SharedBucketKey("tok");
  ASSERT_TRUE(store->SetMeta(key, "not json").ok());
  ManualClock clock(1'000'000);
  ClockSleeper sleeper(&clock);
  RateLimiter a(10, 2, &clock, &sleeper);
  a.ShareThrough(store.get(), key);
  EXPECT_EQ(a.Reserve(), 0);
  EXPECT_EQ(a.Reserve(), 0);
  EXPECT_EQ(a.Reserve(), 100);
}

}  // namespace
}  // namespace taskexec::notion
