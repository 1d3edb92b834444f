// LoopClock: the monotonic time a service loop schedules its timers by, and
// the loop's timed wait, behind one interface so a test can move the loop's
// timers by hand (tests/engine/manual_loop_clock.h) instead of sleeping
// through them. Times are monotonic milliseconds (never stored).
//
// Thread-safety: implementations must be safe to call from any thread.
#pragma once

#include <cstdint>
#include <functional>

#include "core/mutex.h"

namespace taskexec {

class LoopClock {
 public:
  virtual ~LoopClock() = default;
  virtual int64_t NowMs() const = 0;
  // Waits on `cv` (signalled by whoever makes `done` true) until `done()`,
  // checked with `mu` held, or until this clock reaches `deadline_ms`.
  // Returns done().
  virtual bool WaitUntil(CondVar* cv, Mutex* mu, int64_t deadline_ms,
                         const std::function<bool()>& done) REQUIRES(mu) = 0;
};

// The machine's steady clock (MonotonicMs) and real timed waits.
class SteadyLoopClock final : public LoopClock {
 public:
  int64_t NowMs() const override;
  bool WaitUntil(CondVar* cv, Mutex* mu, int64_t deadline_ms, const std::function<bool()>& done)
      REQUIRES(mu) override;
  static SteadyLoopClock* Default();
};

}  // namespace taskexec
