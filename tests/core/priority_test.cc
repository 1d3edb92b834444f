#include "core/priority.h"

#include <gtest/gtest.h>

namespace taskexec {
namespace {

TEST(Priority, NamesRoundTripAndOrderTheQueue) {
  for (Priority p : {Priority::kCritical, Priority::kHigh, Priority::kNormal, Priority::kLow}) {
    EXPECT_EQ(ParsePriority(ToString(p)), p) << ToString(p);
  }
  EXPECT_GT(PriorityWeight(Priority::kCritical), PriorityWeight(Priority::kHigh));
  EXPECT_GT(PriorityWeight(Priority::kHigh), PriorityWeight(Priority::kNormal));
  EXPECT_GT(PriorityWeight(Priority::kNormal), PriorityWeight(Priority::kLow));
  EXPECT_EQ(PriorityWeight(Priority::kNormal), 2);  // the stores' default weight
}

TEST(Priority, UnknownTextIsRefusedAtTheEdgeAndReadsAsNormalFromAStore) {
  for (const char* bad : {"", "urgent", "High", "P0", " high"}) {
    EXPECT_FALSE(ParsePriority(bad).has_value()) << bad;
    EXPECT_EQ(PriorityOrNormal(bad), Priority::kNormal) << bad;
  }
  EXPECT_EQ(PriorityOrNormal("low"), Priority::kLow);
  EXPECT_EQ(PriorityNames(), "critical, high, normal, low");
}

}  // namespace
}  // namespace taskexec
