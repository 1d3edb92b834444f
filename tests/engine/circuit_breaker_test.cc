// The circuit breaker's counting and doubling, and the stored pause's form.
#include "engine/circuit_breaker.h"

#include <gtest/gtest.h>

namespace taskexec {
namespace {

constexpr TimeMs kNow = 1'800'000'000'000;
using V = AttemptVerdict;

TEST(CircuitBreaker, OpensAfterTheConsecutiveFailuresAndDoublesUpToTheCap) {
  CircuitBreaker b(3, 300'000, 1'000'000);
  EXPECT_FALSE(b.Record("kublai", V::kFailed, "api_error", kNow));
  EXPECT_FALSE(b.Record("kublai", V::kFailed, "api_error", kNow));
  EXPECT_FALSE(b.Record("jochi", V::kFailed, "crash", kNow));  // counted per agent
  std::optional<AgentPause> p = b.Record("kublai", V::kFailed, "crash: exit 139", kNow + 5);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->agent, "kublai");
  EXPECT_EQ(p->since, kNow + 5);
  EXPECT_EQ(p->until, kNow + 5 + 300'000);
  EXPECT_EQ(p->pause_ms, 300'000);
  EXPECT_EQ(p->reason, PauseReason::kCircuit);
  EXPECT_EQ(p->message, "3 consecutive failed attempts (last: crash: exit 139)");
  // Half-open after the pause: one more failure reopens it, twice as long.
  p = b.Record("kublai", V::kFailed, "crash", kNow + 400'000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->pause_ms, 600'000);
  p = b.Record("kublai", V::kFailed, "crash", kNow + 1'100'000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->pause_ms, 1'000'000);  // the cap
  // Neutral outcomes change nothing; a success closes it and forgets the doubling.
  EXPECT_FALSE(b.Record("kublai", V::kNeutral, "", kNow));
  EXPECT_EQ(b.ConsecutiveFailures("kublai"), 5);
  EXPECT_FALSE(b.Record("kublai", V::kSucceeded, "", kNow));
  EXPECT_EQ(b.ConsecutiveFailures("kublai"), 0);
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(b.Record("kublai", V::kFailed, "x", kNow));
  p = b.Record("kublai", V::kFailed, "x", kNow);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->pause_ms, 300'000);
}

TEST(CircuitBreaker, AResumeCountsFromZeroAndZeroFailuresTurnsItOff) {
  CircuitBreaker b(2, 1000, 8000);
  b.Record("a", V::kFailed, "x", kNow);
  ASSERT_TRUE(b.Record("a", V::kFailed, "x", kNow));
  b.Resumed("a");
  EXPECT_FALSE(b.Record("a", V::kFailed, "x", kNow));
  std::optional<AgentPause> p = b.Record("a", V::kFailed, "x", kNow);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->pause_ms, 2000);  // a resume is not a success: the doubling goes on
  CircuitBreaker off(0, 1000, 8000);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(off.Record("a", V::kFailed, "x", kNow));
}

TEST(CircuitBreaker, OnlyTheAgentsOwnFailuresCount) {
  using E = ExecutionStatus;
  EXPECT_EQ(VerdictOf(E::kCompleted, ErrorType::kNone), V::kSucceeded);
  EXPECT_EQ(VerdictOf(E::kNeedsInput, ErrorType::kNone), V::kSucceeded);
  EXPECT_EQ(VerdictOf(E::kFailed, ErrorType::kApiError), V::kFailed);
  EXPECT_EQ(VerdictOf(E::kTimedOut, ErrorType::kStalled), V::kFailed);
  EXPECT_EQ(VerdictOf(E::kFailed, ErrorType::kSpawnError), V::kFailed);
  EXPECT_EQ(VerdictOf(E::kCancelled, ErrorType::kCancelled), V::kNeutral);
  EXPECT_EQ(VerdictOf(E::kLost, ErrorType::kLost), V::kNeutral);
  EXPECT_EQ(VerdictOf(E::kFailed, ErrorType::kSessionNotFound), V::kNeutral);
  EXPECT_EQ(VerdictOf(E::kFailed, ErrorType::kUsageLimit), V::kNeutral);
}

TEST(AgentPause, StoredFormRoundTripsAndBadTextIsReported) {
  AgentPause p;
  p.agent = "kublai";
  p.until = kNow + 300'000;
  p.since = kNow;
  p.reason = PauseReason::kUsageLimit;
  p.message = "Claude AI usage limit reached \"quoted\"";
  p.pause_ms = 300'000;
  std::string error;
  std::optional<AgentPause> back = DecodeAgentPause("kublai", EncodeAgentPause(p), &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(*back, p);
  EXPECT_EQ(AgentPauseKey("kublai"), "agent.pause.kublai");
  EXPECT_FALSE(DecodeAgentPause("kublai", "", &error));
  EXPECT_EQ(error, "");
  EXPECT_FALSE(DecodeAgentPause("kublai", "{\"until\": \"soon\"}", &error));
  EXPECT_EQ(error, "agent kublai: stored pause is not valid (until is not an integer)");
  EXPECT_FALSE(DecodeAgentPause(
      "kublai", R"({"until": 1, "since": 0, "pause_ms": 1, "reason": "tired"})", &error));
  EXPECT_EQ(error, "agent kublai: stored pause is not valid (unknown reason \"tired\")");
}

}  // namespace
}  // namespace taskexec
