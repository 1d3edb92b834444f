// Usage limits in agent output and every reset form docs/runner.md lists.
#include "runner/usage_limit.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <ctime>

namespace taskexec {
namespace {

// 2026-12-05T14:10:00Z
constexpr TimeMs kNow = 1'796'479'800'000;

class UsageLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = getenv("TZ");
    saved_tz_ = tz ? tz : "";
    had_tz_ = tz != nullptr;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (had_tz_) {
      setenv("TZ", saved_tz_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  std::string saved_tz_;
  bool had_tz_ = false;
};

TEST_F(UsageLimitTest, ClaudeCodesUnixForm) {
  auto hit = FindUsageLimit("Claude AI usage limit reached|1796486400\n", kNow);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->reset_at, 1'796'486'400'000);
  EXPECT_EQ(hit->line, "Claude AI usage limit reached|1796486400");
}

TEST_F(UsageLimitTest, TimeOfDayIsTheNextSuchTime) {
  EXPECT_EQ(ParseUsageLimitReset("5-hour limit reached ∙ resets 3pm", kNow),
            kNow + 50 * 60'000);  // 15:00 today
  EXPECT_EQ(ParseUsageLimitReset("resets at 3:30 PM", kNow), kNow + 80 * 60'000);
  EXPECT_EQ(ParseUsageLimitReset("limit resets at 09:00", kNow),
            kNow + (18 * 60 + 50) * 60'000);  // tomorrow 09:00
  EXPECT_EQ(ParseUsageLimitReset("resets 12am", kNow), kNow + (9 * 60 + 50) * 60'000);
  EXPECT_EQ(ParseUsageLimitReset("resets 5", kNow), 0);  // not a time
  EXPECT_EQ(ParseUsageLimitReset("resets at 13pm", kNow), 0);
}

TEST_F(UsageLimitTest, DurationsFromNow) {
  EXPECT_EQ(ParseUsageLimitReset("You've hit your usage limit. Try again in 2 hours.", kNow),
            kNow + 2 * 3'600'000);
  EXPECT_EQ(ParseUsageLimitReset("try again in 1h 30m", kNow), kNow + 90 * 60'000);
  EXPECT_EQ(ParseUsageLimitReset("please retry in 45 minutes", kNow), kNow + 45 * 60'000);
  EXPECT_EQ(ParseUsageLimitReset("try again in 2 hours and 5 minutes", kNow), kNow + 125 * 60'000);
  EXPECT_EQ(ParseUsageLimitReset("try again in 90 seconds", kNow), kNow + 90'000);
}

TEST_F(UsageLimitTest, RetryAfterInSecondsOrAsAnHttpDate) {
  EXPECT_EQ(ParseUsageLimitReset("Retry-After: 120", kNow), kNow + 120'000);
  EXPECT_EQ(ParseUsageLimitReset("retry-after: Sat, 05 Dec 2026 16:00:00 GMT", kNow),
            kNow + 110 * 60'000);
}

TEST_F(UsageLimitTest, TheResetMayStandOnALineOfItsOwn) {
  auto hit = FindUsageLimit(
      "error: 429 {\"error\":{\"type\":\"insufficient_quota\",\"message\":\"You exceeded your "
      "current quota\"}}\nRetry-After: 600\n",
      kNow);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->reset_at, kNow + 600'000);
  hit = FindUsageLimit("Quota exceeded for quota metric 'Generate Content requests'\n", kNow);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->reset_at, 0);  // unsaid: the configured pause applies
}

TEST_F(UsageLimitTest, ARateLimitOrOrdinaryTextIsNoUsageLimit) {
  EXPECT_FALSE(FindUsageLimit("429 Too Many Requests: rate limit, retry in 2 seconds", kNow));
  EXPECT_FALSE(FindUsageLimit("TASK_COMPLETE: documented the usage of limits", kNow));
  EXPECT_FALSE(FindUsageLimit("", kNow));
}

}  // namespace
}  // namespace taskexec
