// ManualLoopClock: a LoopClock that moves only when the test says so, for
// engine tests of timers (retry wake-ups, lease renewal, the shutdown grace)
// that run in no time and cannot be late on a loaded machine.
//
// Advance() moves the loop's time (and the store's ManualClock with it, when
// given, so wall-clock deadlines the engine computed stay in step) and wakes
// the loop if it waits. AwaitIdle() returns once the loop has handled every
// Advance so far and waits again: a test then checks what did *not* happen
// without sleeping.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "core/clock.h"
#include "core/loop_clock.h"

namespace taskexec {

class ManualLoopClock final : public LoopClock {
 public:
  explicit ManualLoopClock(ManualClock* wall = nullptr) : wall_(wall) {}

  int64_t NowMs() const override {
    std::lock_guard<std::mutex> l(m_);
    return now_;
  }

  bool WaitUntil(CondVar* cv, Mutex* mu, int64_t deadline_ms, const std::function<bool()>& done)
      REQUIRES(mu) override {
    {
      std::lock_guard<std::mutex> l(m_);
      waiter_cv_ = cv;
      waiter_mu_ = mu;
    }
    bool finished = false;
    // Checked with `mu` held, and Advance signals with `mu` held: an
    // Advance between a check and the wait cannot be missed.
    cv->Wait(mu, [&] {
      finished = done();
      std::lock_guard<std::mutex> l(m_);
      if (finished || now_ >= deadline_ms) return true;
      idle_epoch_ = epoch_;  // about to wait, having seen every Advance
      idle_cv_.notify_all();
      return false;
    });
    return finished;
  }

  void Advance(int64_t ms) {
    CondVar* cv = nullptr;
    Mutex* mu = nullptr;
    {
      std::lock_guard<std::mutex> l(m_);
      now_ += ms;
      ++epoch_;
      if (wall_ != nullptr) wall_->Advance(ms);
      cv = waiter_cv_;
      mu = waiter_mu_;
    }
    if (mu != nullptr) {
      MutexLock lk(mu);
      cv->SignalAll();
    }
  }

  // Waits (at most 60 s) until the loop waits again after the last Advance.
  bool AwaitIdle() {
    std::unique_lock<std::mutex> l(m_);
    return idle_cv_.wait_for(l, std::chrono::seconds(60), [&] { return idle_epoch_ == epoch_; });
  }

 private:
  ManualClock* const wall_;
  mutable std::mutex m_;
  std::condition_variable idle_cv_;
  int64_t now_ = 1'000'000;
  int64_t epoch_ = 0;
  int64_t idle_epoch_ = -1;
  CondVar* waiter_cv_ = nullptr;
  Mutex* waiter_mu_ = nullptr;
};

}  // namespace taskexec
