#include "engine/slots.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace taskexec {
namespace {

TEST(Slots, AgentCapsAndTheGlobalCapBothBound) {
  const std::map<std::string, int> limits = {{"kublai", 1}};
  Slots slots(/*max_global=*/4, /*per_agent_limit=*/2, limits);
  slots.CountRunning("mongke");
  EXPECT_EQ(slots.FreeGlobal(), 3);
  EXPECT_EQ(slots.FreeFor("mongke"), 1);
  EXPECT_EQ(slots.FreeFor("jochi"), 2);
  EXPECT_EQ(slots.FreeFor("kublai"), 1);  // its own limit
  EXPECT_TRUE(slots.Take("mongke"));
  EXPECT_FALSE(slots.Take("mongke"));  // at its cap: nothing taken
  EXPECT_EQ(slots.FreeGlobal(), 2);
  EXPECT_TRUE(slots.Take("jochi"));
  EXPECT_TRUE(slots.Take("kublai"));
  EXPECT_EQ(slots.FreeGlobal(), 0);
  EXPECT_EQ(slots.FreeFor("jochi"), 0);  // the global cap now
  EXPECT_FALSE(slots.Take("chagatai"));
}

// A launch that did not start gives its slot back: the agent's, the
// global one and its type's; giving what was never taken changes nothing.
TEST(Slots, AGivenBackSlotIsFreeAgain) {
  Slots slots(/*max_global=*/2, /*per_agent_limit=*/1, {}, {{"Deploy", 1}});
  EXPECT_TRUE(slots.Take("mongke", "deploy"));
  EXPECT_EQ(slots.FreeFor("mongke"), 0);
  EXPECT_FALSE(slots.TypeHasRoom("DEPLOY"));
  slots.Give("mongke", "deploy");
  EXPECT_EQ(slots.FreeFor("mongke"), 1);
  EXPECT_EQ(slots.FreeGlobal(), 2);
  EXPECT_TRUE(slots.TypeHasRoom("deploy"));
  slots.Give("jochi", "deploy");  // never taken
  EXPECT_EQ(slots.FreeGlobal(), 2);
  EXPECT_TRUE(slots.Take("jochi", "deploy"));
  EXPECT_FALSE(slots.Take("mongke", "deploy"));  // the type's cap
}

TEST(Slots, NeverNegativeWhenMoreRunThanTheCapsAllow) {
  // A lowered cap after a restart: more run than allowed; nothing is free.
  Slots slots(1, 1, {});
  slots.CountRunning("a");
  slots.CountRunning("a");
  EXPECT_EQ(slots.FreeFor("a"), 0);
  EXPECT_EQ(slots.FreeFor("b"), 0);
}

TEST(Slots, QueueOrderIsPriorityThenAgeThenId) {
  auto task = [](const char* id, Priority priority, TimeMs created) {
    Task t;
    t.id = id;
    t.priority = priority;
    t.created_at = created;
    return t;
  };
  std::vector<Task> q = {task("d", Priority::kNormal, 5), task("c", Priority::kNormal, 5),
                         task("b", Priority::kLow, 1), task("a", Priority::kCritical, 9)};
  std::sort(q.begin(), q.end(), QueueBefore);
  EXPECT_EQ(q[0].id, "a");
  EXPECT_EQ(q[1].id, "c");
  EXPECT_EQ(q[2].id, "d");
  EXPECT_EQ(q[3].id, "b");
}

}  // namespace
}  // namespace taskexec
