#include "core/loop_clock.h"

#include <algorithm>

#include "core/clock.h"

namespace taskexec {

int64_t SteadyLoopClock::NowMs() const { return MonotonicMs(); }

bool SteadyLoopClock::WaitUntil(CondVar* cv, Mutex* mu, int64_t deadline_ms,
                                const std::function<bool()>& done) {
  // A far deadline (none due) is cut to an hour: the caller waits again, and
  // the standard library's deadline arithmetic never overflows.
  constexpr int64_t kLongestWaitMs = 3'600'000;
  const int64_t wait_ms = std::clamp<int64_t>(deadline_ms - NowMs(), 0, kLongestWaitMs);
  return cv->WaitFor(mu, wait_ms, done);
}

SteadyLoopClock* SteadyLoopClock::Default() {
  static SteadyLoopClock clock;
  return &clock;
}

}  // namespace taskexec
