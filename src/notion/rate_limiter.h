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
// One budget per token across processes: ShareThrough(store, key) keeps the
// bucket in the store (meta `key`, updated in one write transaction per
// request), so every taskexec process on one Notion token (`serve`,
// `notion sync --once`, `notion check`) draws from the same bucket. If the
// store fails the limiter goes on with its own bucket (logged once).
//
// Thread-safety: all methods are safe from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/mutex.h"
#include "core/status.h"
#include "store/task_store.h"

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

// A token bucket's state and its arithmetic, shared by the in-process
// bucket and the one kept in the store.
struct BucketState {
  double tokens = 0;   // may be negative: reservations not yet due
  TimeMs last_ms = 0;  // when tokens was last refilled
  TimeMs paused_until = 0;
};
// Takes one token at `now`; returns the milliseconds to wait (>= 0).
int64_t ReserveToken(BucketState* b, TimeMs now, double rate, double capacity);
// The tokens the bucket holds at `now` without taking one: refilled, 0
// while paused, negative while reservations are not yet due.
double TokensAt(const BucketState& b, TimeMs now, double rate, double capacity);
// No request before `until`; saved tokens are dropped.
void PauseBucket(BucketState* b, TimeMs until, TimeMs now);
// The store's meta key for the bucket of a Notion token: a SHA-256
// fingerprint of the token, never the token itself.
std::string SharedBucketKey(const std::string& token);

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
  // The tokens available now (TokensAt), of the shared bucket when there is
  // one. Takes nothing: work that may use only spare budget (progress
  // comments) asks before each request and leaves a reserve, so that a
  // status write right after it does not wait.
  double Available();

  double rate_per_second() const { return rate_; }

  // From now on the bucket lives in `store` under `key` (see above). The
  // store must outlive the limiter; nullptr returns to the own bucket.
  void ShareThrough(TaskStore* store, std::string key);

 private:
  // The store holding the shared bucket (null: the own one) and its key.
  TaskStore* SharedBucket(std::string* key);
  // The shared bucket's answer, or an error when the store failed.
  Status ReserveShared(TaskStore* store, const std::string& key, int64_t* wait_ms);

  const double rate_;
  const double capacity_;
  const Clock* clock_;
  Sleeper* sleeper_;
  Mutex mu_;
  BucketState bucket_ GUARDED_BY(mu_);
  TaskStore* shared_store_ GUARDED_BY(mu_) = nullptr;
  std::string shared_key_ GUARDED_BY(mu_);
  bool warned_ GUARDED_BY(mu_) = false;
};

}  // namespace taskexec::notion
