#include "engine/retry_policy.h"

#include <gtest/gtest.h>

namespace taskexec {
namespace {

TEST(RetryPolicy, DoublesFromTheRetryDelayAsTheOriginal) {
  ExecutorConfig c;  // seed defaults: 3 retries, 30 s
  RetryPolicy p(c);
  EXPECT_EQ(p.BaseDelayMs(0), 30000);
  EXPECT_EQ(p.BaseDelayMs(1), 60000);
  EXPECT_EQ(p.BaseDelayMs(2), 120000);
  EXPECT_EQ(p.BaseDelayMs(40), 3600000);  // capped, no overflow
}

TEST(RetryPolicy, JitterStaysWithinBounds) {
  ExecutorConfig c;
  RetryPolicy p(c);
  Task t;
  auto lo = p.Decide(t, true, "x", 0, 0.0);
  auto hi = p.Decide(t, true, "x", 0, 0.999999);
  EXPECT_EQ(lo.next_attempt_at, 24000);
  EXPECT_NEAR(static_cast<double>(hi.next_attempt_at), 36000, 1);
}

TEST(RetryPolicy, StopsAfterMaxRetriesAndForNonRetryable) {
  ExecutorConfig c;
  RetryPolicy p(c);
  Task t;
  t.retry_count = 2;
  auto d = p.Decide(t, true, "boom", 1000, 0.5);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.new_retry_count, 3);
  EXPECT_EQ(d.message, "Retry 3/3: boom");
  t.retry_count = 3;
  EXPECT_FALSE(p.Decide(t, true, "boom", 1000, 0.5).retry);
  t.retry_count = 0;
  auto n = p.Decide(t, false, "syntax", 1000, 0.5);
  EXPECT_FALSE(n.retry);
  EXPECT_EQ(n.message, "syntax");
}

TEST(RetryPolicy, PerTaskMaxRetriesOverridesTheDefault) {
  ExecutorConfig c;
  RetryPolicy p(c);
  Task t;
  t.max_retries = 0;
  EXPECT_FALSE(p.Decide(t, true, "x", 0, 0.5).retry);
}

}  // namespace
}  // namespace taskexec
