#include "engine/duties.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace taskexec {
namespace {

TEST(Duties, RunWhenDueInOrderAndRescheduleFromNow) {
  std::vector<std::string> ran;
  Duties d;
  d.Add("renew", 100, 0, [&] {
    ran.push_back("renew");
    return false;
  });
  d.Add("poll", 30, 50, [&] {
    ran.push_back("poll");
    return true;
  });
  EXPECT_EQ(d.NextDue(), 0);
  EXPECT_FALSE(d.RunDue(10));  // renew only; it asks for no dispatch
  EXPECT_EQ(ran, std::vector<std::string>{"renew"});
  EXPECT_EQ(d.NextDue(), 50);
  EXPECT_TRUE(d.RunDue(60));  // poll is due and asks for a dispatch
  EXPECT_EQ(d.NextDue(), 90);
  EXPECT_FALSE(d.RunDue(89));  // nothing due
  EXPECT_EQ(ran.size(), 2u);
  EXPECT_FALSE(d.RunDue(89, "renew"));  // forced though not due
  EXPECT_EQ(ran.back(), "renew");
  EXPECT_EQ(d.NextDue(), 90);
  EXPECT_FALSE(d.RunIfDue("renew", 100));  // rescheduled to 189 by the forced run
  EXPECT_TRUE(d.RunIfDue("poll", 100));
}

TEST(Duties, EmptyTableIsNeverDue) {
  Duties d;
  EXPECT_EQ(d.NextDue(), INT64_MAX);
  EXPECT_FALSE(d.RunDue(0));
}

}  // namespace
}  // namespace taskexec
