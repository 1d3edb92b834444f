#include "core/task_status.h"

#include <gtest/gtest.h>

#include <set>

namespace taskexec {
namespace {

using S = TaskStatus;

TEST(TaskStatus, NamesRoundTripAndMatchTheOriginal) {
  const std::set<std::string> original = {"pending",   "assigned",       "claimed",  "in_progress",
                                          "completed", "failed",         "retrying", "cancelled",
                                          "suspended", "pending_review", "review",   "blocked"};
  std::set<std::string> ours;
  for (S s : AllTaskStatuses()) {
    std::string name(ToString(s));
    ours.insert(name);
    ASSERT_EQ(ParseTaskStatus(name), s) << name;
  }
  EXPECT_EQ(ours, original);
  EXPECT_FALSE(ParseTaskStatus("done").has_value());
  EXPECT_FALSE(ParseTaskStatus("").has_value());
}

TEST(TaskStatus, ExecutionStatusNames) {
  for (auto name : {"active", "completed", "failed", "timed_out", "cancelled", "lost"}) {
    auto s = ParseExecutionStatus(name);
    ASSERT_TRUE(s.has_value()) << name;
    EXPECT_EQ(ToString(*s), name);
  }
  EXPECT_FALSE(ParseExecutionStatus("running").has_value());
}

TEST(TaskStatus, AttemptPathIsAllowed) {
  EXPECT_TRUE(CanTransition(S::kPending, S::kAssigned));
  EXPECT_TRUE(CanTransition(S::kAssigned, S::kInProgress));
  EXPECT_TRUE(CanTransition(S::kInProgress, S::kCompleted));
  EXPECT_TRUE(CanTransition(S::kInProgress, S::kRetrying));
  EXPECT_TRUE(CanTransition(S::kRetrying, S::kAssigned));
  EXPECT_TRUE(CanTransition(S::kInProgress, S::kFailed));
  EXPECT_TRUE(CanTransition(S::kInProgress, S::kPending));  // released at stop
}

TEST(TaskStatus, TerminalStatesOnlyLeaveByPersonAction) {
  for (S from : {S::kCompleted, S::kFailed, S::kCancelled}) {
    for (S to : AllTaskStatuses()) {
      if (!CanTransition(from, to)) continue;
      // Nothing the engine does moves a finished task back into execution.
      EXPECT_NE(to, S::kAssigned) << ToString(from);
      EXPECT_NE(to, S::kInProgress) << ToString(from);
      EXPECT_NE(to, S::kRetrying) << ToString(from);
    }
  }
}

TEST(TaskStatus, ForbiddenTransitions) {
  EXPECT_FALSE(CanTransition(S::kPending, S::kInProgress));  // must be claimed first
  EXPECT_FALSE(CanTransition(S::kPending, S::kRetrying));
  EXPECT_FALSE(CanTransition(S::kCompleted, S::kFailed));
  EXPECT_FALSE(CanTransition(S::kCancelled, S::kCompleted));
  EXPECT_FALSE(CanTransition(S::kSuspended, S::kAssigned));  // held tasks are not claimed
  for (S s : AllTaskStatuses()) EXPECT_FALSE(CanTransition(s, s)) << ToString(s);
}

TEST(TaskStatus, EveryNonTerminalStateCanBeCancelled) {
  for (S s : AllTaskStatuses()) {
    if (IsTerminal(s)) continue;
    EXPECT_TRUE(CanTransition(s, S::kCancelled)) << ToString(s);
  }
}

TEST(TaskStatus, Predicates) {
  EXPECT_TRUE(IsRunnable(S::kPending));
  EXPECT_TRUE(IsRunnable(S::kRetrying));
  EXPECT_FALSE(IsRunnable(S::kBlocked));
  EXPECT_TRUE(IsHeld(S::kInProgress));
  EXPECT_TRUE(IsHeld(S::kClaimed));
  EXPECT_FALSE(IsHeld(S::kPending));
}

}  // namespace
}  // namespace taskexec
