// CompletionQueue: one worker thread that runs posted jobs in order.
//
// The supervisor's thread watches every child's pipes and deadlines, so it
// must never wait on a slow step; turning an exited attempt into its result
// (parsing a stdout copy of up to 32 MiB, hashing artifacts) is handed to
// this queue instead.
//
// Thread-safety: Post() and Drain() may be called from any thread, also
// from a job (Post only: a job that drains waits for itself). The
// destructor drains, then joins the worker.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>

#include "core/mutex.h"
#include "core/thread_annotations.h"

namespace taskexec {

class CompletionQueue {
 public:
  using Job = std::function<void()>;

  CompletionQueue();
  ~CompletionQueue();
  CompletionQueue(const CompletionQueue&) = delete;
  CompletionQueue& operator=(const CompletionQueue&) = delete;

  // Runs `job` on the worker after every job posted before it.
  void Post(Job job);

  // Returns once every job posted before the call has finished.
  void Drain();

  // Jobs posted and not yet finished.
  size_t pending() const;

 private:
  void Run();

  mutable Mutex mu_;
  CondVar changed_;
  std::deque<Job> jobs_ GUARDED_BY(mu_);
  size_t running_ GUARDED_BY(mu_) = 0;  // 0 or 1: the job the worker is in
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread worker_;  // last: started once the members above exist
};

}  // namespace taskexec
