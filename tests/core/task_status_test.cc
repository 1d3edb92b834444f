#include "core/task_status.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace taskexec {
namespace {

using S = TaskStatus;

// The original's names, and needs_input, which taskexec adds (an agent's
// question waiting for a person).
TEST(TaskStatus, NamesRoundTripAndMatchTheOriginal) {
  const std::set<std::string> original = {"pending",    "assigned",       "claimed",  "in_progress",
                                          "completed",  "failed",         "retrying", "cancelled",
                                          "suspended",  "pending_review", "review",   "blocked",
                                          "needs_input"};
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
  for (auto name :
       {"active", "completed", "failed", "timed_out", "cancelled", "lost", "needs_input"}) {
    auto s = ParseExecutionStatus(name);
    ASSERT_TRUE(s.has_value()) << name;
    EXPECT_EQ(ToString(*s), name);
  }
  EXPECT_FALSE(ParseExecutionStatus("running").has_value());
}

// A question parks the task outside the queue; only a person moves it on.
TEST(TaskStatus, AQuestionWaitsForAPerson) {
  EXPECT_TRUE(CanTransition(S::kInProgress, S::kNeedsInput));
  EXPECT_TRUE(CanTransition(S::kNeedsInput, S::kPending));
  EXPECT_TRUE(CanTransition(S::kNeedsInput, S::kCancelled));
  EXPECT_TRUE(CanTransition(S::kNeedsInput, S::kCompleted));
  EXPECT_FALSE(CanTransition(S::kNeedsInput, S::kAssigned));
  EXPECT_FALSE(CanTransition(S::kNeedsInput, S::kRetrying));
  EXPECT_FALSE(CanTransition(S::kPending, S::kNeedsInput));
  EXPECT_FALSE(IsRunnable(S::kNeedsInput));
  EXPECT_FALSE(IsHeld(S::kNeedsInput));
  EXPECT_FALSE(IsTerminal(S::kNeedsInput));
}

TEST(TaskStatus, AttemptPathIsAllowed) {
  EXPECT_TRUE(CanTransition(S::kPending, S::kInProgress));  // the claim starts the attempt
  EXPECT_TRUE(CanTransition(S::kInProgress, S::kCompleted));
  EXPECT_TRUE(CanTransition(S::kInProgress, S::kRetrying));
  EXPECT_TRUE(CanTransition(S::kRetrying, S::kInProgress));
  // Two-step claims of earlier versions still finish.
  EXPECT_TRUE(CanTransition(S::kPending, S::kAssigned));
  EXPECT_TRUE(CanTransition(S::kAssigned, S::kInProgress));
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
  EXPECT_FALSE(CanTransition(S::kPending, S::kRetrying));      // an attempt must run first
  EXPECT_FALSE(CanTransition(S::kSuspended, S::kInProgress));  // held tasks are not claimed
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

// docs/engine.md draws the whole transition table; a move added to (or
// dropped from) the code without the drawing, or the other way round, fails
// here.
TEST(TaskStatusDocs, TheLifecycleDiagramIsTheTransitionTable) {
  const char* source = std::getenv("TASKEXEC_SOURCE_DIR");
  ASSERT_NE(source, nullptr) << "run through ctest (TASKEXEC_SOURCE_DIR)";
  std::ifstream in(std::string(source) + "/docs/engine.md");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const size_t begin = doc.find("```mermaid\nstateDiagram-v2\n");
  ASSERT_NE(begin, std::string::npos);
  const size_t end = doc.find("```", begin + 3);
  std::istringstream diagram(doc.substr(begin, end - begin));
  const std::regex arrow(R"(^    (\w+) --> (\w+): (.*) \(([^()]*)\)$)");
  std::multiset<std::string> drawn;
  std::set<std::string> statuses;
  for (std::string line; std::getline(diagram, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, arrow)) continue;
    drawn.insert(m[1].str() + " -> " + m[2].str() + ": " + m[3].str() + " (" + m[4].str() + ")");
    statuses.insert(m[1].str());
    statuses.insert(m[2].str());
  }
  std::multiset<std::string> coded;
  for (const Transition& t : Transitions()) {
    coded.insert(std::string(ToString(t.from)) + " -> " + std::string(ToString(t.to)) + ": " +
                 std::string(t.why) + " (" + std::string(t.who) + ")");
    EXPECT_TRUE(CanTransition(t.from, t.to));
  }
  EXPECT_EQ(drawn, coded);
  for (TaskStatus s : AllTaskStatuses()) {
    EXPECT_EQ(statuses.count(std::string(ToString(s))), 1u) << ToString(s) << " is not drawn";
  }
}

}  // namespace
}  // namespace taskexec
