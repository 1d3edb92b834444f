#include "notion/rate_limiter.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace taskexec::notion {

void RealSleeper::SleepMs(int64_t ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

RealSleeper* RealSleeper::Default() {
  static RealSleeper sleeper;
  return &sleeper;
}

void InterruptibleSleeper::SleepMs(int64_t ms) {
  MutexLock lock(&mu_);
  cv_.WaitFor(&mu_, std::max<int64_t>(0, ms), [this] {
    mu_.AssertHeld();
    return interrupted_;
  });
}

void InterruptibleSleeper::Interrupt(bool on) {
  {
    MutexLock lock(&mu_);
    interrupted_ = on;
  }
  cv_.SignalAll();
}

RateLimiter::RateLimiter(double rate_per_second, double capacity, const Clock* clock,
                         Sleeper* sleeper)
    : rate_(rate_per_second > 0 ? rate_per_second : 1.0),
      capacity_(std::max(1.0, capacity)),
      clock_(clock),
      sleeper_(sleeper),
      tokens_(std::max(1.0, capacity)),
      last_ms_(clock->NowMs()) {}

int64_t RateLimiter::Reserve() {
  MutexLock lock(&mu_);
  TimeMs now = clock_->NowMs();
  // While paused nothing refills: the bucket restarts empty at the end of the
  // pause, so a Retry-After is not followed by a burst.
  TimeMs refill_from = std::max(last_ms_, paused_until_);
  if (now > refill_from) {
    tokens_ =
        std::min(capacity_, tokens_ + static_cast<double>(now - refill_from) * rate_ / 1000.0);
    last_ms_ = now;
  }
  tokens_ -= 1.0;
  double wait = 0;
  if (tokens_ < 0) wait = -tokens_ * 1000.0 / rate_;
  TimeMs start = std::max(now, paused_until_);
  int64_t wait_ms = static_cast<int64_t>(std::ceil(wait)) + (start - now);
  return std::max<int64_t>(0, wait_ms);
}

void RateLimiter::Acquire() {
  int64_t wait = Reserve();
  if (wait > 0) sleeper_->SleepMs(wait);
}

void RateLimiter::PauseUntil(TimeMs until) {
  MutexLock lock(&mu_);
  if (until > paused_until_) {
    paused_until_ = until;
    // Drop saved tokens: after the pause requests restart at the steady rate.
    tokens_ = std::min(tokens_, 0.0);
    last_ms_ = std::max(last_ms_, clock_->NowMs());
  }
}

}  // namespace taskexec::notion
