// Retry-After in both of HTTP's forms.
#include "core/retry_after.h"

#include <gtest/gtest.h>

namespace taskexec {
namespace {

// 2026-12-05T14:10:00Z
constexpr TimeMs kNow = 1'796'479'800'000;

TEST(RetryAfter, SecondsOrAnHttpDate) {
  EXPECT_EQ(RetryAfterDelayMs("120", kNow), 120'000);
  EXPECT_EQ(RetryAfterDelayMs(" 0.5 ", kNow), 500);
  EXPECT_EQ(RetryAfterDelayMs("0", kNow), 0);
  EXPECT_EQ(RetryAfterDelayMs("Sat, 05 Dec 2026 14:12:30 GMT", kNow), 150'000);
  EXPECT_EQ(RetryAfterDelayMs("Sat, 05 Dec 2026 14:00:00 GMT", kNow), 0);  // already past
}

TEST(RetryAfter, AnythingElseIsNoValue) {
  for (const char* bad : {"", "  ", "-5", "soon", "12abc", "nan", "Sat, 05 Dec 2026 14:12:30 CET",
                          "Saturday, 05-Dec-26 14:12:30"}) {
    EXPECT_FALSE(RetryAfterDelayMs(bad, kNow)) << bad;
  }
}

}  // namespace
}  // namespace taskexec
