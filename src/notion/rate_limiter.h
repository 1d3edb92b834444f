// RateLimiter: a token bucket shared by every caller of one Notion token, so
// the whole process stays under Notion's average of 3 requests per second.
//
// Reservation style: Reserve() takes a token at once (the bucket may go
// negative) and returns how long the caller must wait before sending. Waiting
// happens outside the lock, so callers queue fairly in reservation order.
// PauseUntil() implements a 429's Retry-After for everyone on the token.
//
// Guarantee: with rate r and capacity b, at most b + r*W requests start in
// any window of W seconds. NotionSync uses r = 0.9 * requests_per_second and
// b = 3, which keeps the average over any 10 s window at or under the limit.
//
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "core/clock.h"
#include "core/mutex.h"

namespace taskexec::notion {

// Blocks the calling thread; injectable so tests can advance a ManualClock.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void SleepMs(int64_t ms) = 0;
};

class RealSleeper final : public Sleeper {
 public:
  void SleepMs(int64_t ms) override;
  static RealSleeper* Default();
};

// Sleeps until the time passes or Interrupt(true) is called; while
// interrupted every sleep returns at once. Lets Stop() end retries quickly.
class InterruptibleSleeper final : public Sleeper {
 public:
  void SleepMs(int64_t ms) override;
  void Interrupt(bool on);

 private:
  Mutex mu_;
  CondVar cv_;
  bool interrupted_ GUARDED_BY(mu_) = false;
};

class RateLimiter {
 public:
  RateLimiter(double rate_per_second, double capacity, const Clock* clock, Sleeper* sleeper);

  // Takes one token; returns the milliseconds to wait before using it (>= 0).
  int64_t Reserve();
  // Reserve() and sleep for the returned time.
  void Acquire();
  // No request may start before `until` (a Retry-After); later reservations
  // are spaced from that point on.
  void PauseUntil(TimeMs until);

  double rate_per_second() const { return rate_; }

 private:
  const double rate_;
  const double capacity_;
  const Clock* clock_;
  Sleeper* sleeper_;
  Mutex mu_;
  double tokens_ GUARDED_BY(mu_);   // may be negative: reservations not yet due
  TimeMs last_ms_ GUARDED_BY(mu_);  // when tokens_ was last refilled
  TimeMs paused_until_ GUARDED_BY(mu_) = 0;
};

}  // namespace taskexec::notion
