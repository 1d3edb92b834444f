#include "engine/intake_hold.h"

#include <gtest/gtest.h>

#include <vector>

namespace taskexec {
namespace {

using Cause = IntakeHold::Cause;

TEST(IntakeHold, TakesWorkUntilACauseHoldsItAndAgainOnceEveryCauseCleared) {
  IntakeHold hold;
  EXPECT_FALSE(hold.held());
  EXPECT_EQ(hold.Reason(), "");
  EXPECT_TRUE(hold.Hold(Cause::kStore, "claim: database or disk is full", 0));
  EXPECT_FALSE(hold.Hold(Cause::kStore, "heartbeat: disk I/O error", 10));  // already held
  EXPECT_TRUE(hold.Hold(Cause::kFiles, "agent.log_dir: Read-only file system", 20));
  EXPECT_EQ(hold.Reason(),
            "the store refuses writes: heartbeat: disk I/O error; cannot start an attempt: "
            "agent.log_dir: Read-only file system");
  hold.Clear(Cause::kStore);
  EXPECT_TRUE(hold.held());
  EXPECT_FALSE(hold.Holds(Cause::kStore));
  hold.Clear(Cause::kFiles);
  EXPECT_FALSE(hold.held());
  EXPECT_EQ(hold.Reason(), "");
}

TEST(IntakeHold, TheStoreIsProbedEverySecond) {
  IntakeHold hold;
  EXPECT_FALSE(hold.ProbeDue(Cause::kStore, 0));  // not held
  hold.Hold(Cause::kStore, "full", 5'000);
  EXPECT_FALSE(hold.ProbeDue(Cause::kStore, 5'999));
  EXPECT_TRUE(hold.ProbeDue(Cause::kStore, 6'000));
  hold.ProbeFailed(Cause::kStore, "", 6'000);
  EXPECT_EQ(hold.Reason(), "the store refuses writes: full");  // an empty reason keeps it
  EXPECT_FALSE(hold.ProbeDue(Cause::kStore, 6'999));
  EXPECT_TRUE(hold.ProbeDue(Cause::kStore, 7'000));
}

// A fault the files probe cannot see (no process slot) is tried again after
// 1, 2, 4 ... 60 s, not every second; a clean start resets the back-off.
TEST(IntakeHold, TheFilesProbeBacksOffWhileStartsKeepFailing) {
  IntakeHold hold;
  int64_t now = 0;
  std::vector<int64_t> waits;
  for (int i = 0; i < 8; ++i) {
    hold.Hold(Cause::kFiles, "posix_spawn: EAGAIN", now);
    int64_t due = now;
    while (!hold.ProbeDue(Cause::kFiles, due)) due += 500;
    waits.push_back(due - now);
    hold.Clear(Cause::kFiles);  // the probe passed; the next start fails again
    now = due;
  }
  EXPECT_EQ(waits, (std::vector<int64_t>{1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000}));
  hold.Started();
  hold.Hold(Cause::kFiles, "posix_spawn: EAGAIN", now);
  EXPECT_TRUE(hold.ProbeDue(Cause::kFiles, now + 1000));
}

}  // namespace
}  // namespace taskexec
