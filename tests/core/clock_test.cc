#include "core/clock.h"

#include <gtest/gtest.h>

#include "core/ids.h"

namespace taskexec {
namespace {

TEST(Clock, Iso8601RoundTrip) {
  TimeMs t = 1764067321123;  // 2025-11-25T10:42:01.123Z
  std::string s = FormatIso8601(t);
  EXPECT_EQ(s, "2025-11-25T10:42:01.123Z");
  TimeMs back = 0;
  ASSERT_TRUE(ParseIso8601(s, &back));
  EXPECT_EQ(back, t);
}

TEST(Clock, ParsesNotionTimestampsAndOffsets) {
  TimeMs t = 0;
  ASSERT_TRUE(ParseIso8601("2025-11-25T10:42:00.000Z", &t));
  TimeMs u = 0;
  ASSERT_TRUE(ParseIso8601("2025-11-25T12:42+02:00", &u));
  EXPECT_EQ(t, u);
  EXPECT_FALSE(ParseIso8601("yesterday", &t));
  EXPECT_FALSE(ParseIso8601("2025-13-01T00:00Z", &t));
  EXPECT_FALSE(ParseIso8601("2025-11-25T10:42", &t));  // no zone
}

TEST(Clock, ManualClockMovesOnlyWhenTold) {
  ManualClock c(1000);
  EXPECT_EQ(c.NowMs(), 1000);
  c.Advance(500);
  EXPECT_EQ(c.NowMs(), 1500);
}

TEST(Ids, UuidShapeAndUniqueness) {
  std::string a = NewUuid(), b = NewUuid();
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(a, b);
  EXPECT_EQ(NewId("task").rfind("task-", 0), 0u);
}

}  // namespace
}  // namespace taskexec
