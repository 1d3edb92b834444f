#include "runner/completion_queue.h"

#include <utility>

namespace taskexec {

CompletionQueue::CompletionQueue() : worker_([this] { Run(); }) {}

CompletionQueue::~CompletionQueue() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  changed_.SignalAll();
  worker_.join();
}

void CompletionQueue::Post(Job job) {
  MutexLock lock(&mu_);
  jobs_.push_back(std::move(job));
  // Signalled under the lock: once the job has run, its `done` may let the
  // owner destroy this queue, which must not happen inside this call.
  changed_.SignalAll();
}

void CompletionQueue::Drain() {
  MutexLock lock(&mu_);
  changed_.Wait(&mu_, [this] {
    mu_.AssertHeld();
    return jobs_.empty() && running_ == 0;
  });
}

size_t CompletionQueue::pending() const {
  MutexLock lock(&mu_);
  return jobs_.size() + running_;
}

void CompletionQueue::Run() {
  MutexLock lock(&mu_);
  for (;;) {
    // Stopping still runs what was posted: each job calls a `done` that
    // someone waits for.
    changed_.Wait(&mu_, [this] {
      mu_.AssertHeld();
      return stopping_ || !jobs_.empty();
    });
    if (jobs_.empty()) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    running_ = 1;
    lock.Unlock();
    job();
    lock.Lock();
    running_ = 0;
    changed_.SignalAll();
  }
}

}  // namespace taskexec
