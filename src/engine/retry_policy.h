// RetryPolicy: decides whether a failed attempt is retried and when.
//
// The delay doubles each retry (retry_delay * 2^retry_count) and at most
// max_retries retries follow the first attempt. Each delay gets +-jitter so that tasks failing
// together do not retry in lock step, and a cap keeps the doubling bounded.
//
// Thread-safety: Decide() is const and uses a caller-supplied random value,
// so one policy may be shared by threads.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "core/clock.h"
#include "core/domain.h"

namespace taskexec {

struct RetryDecision {
  bool retry = false;
  int new_retry_count = 0;
  TimeMs next_attempt_at = 0;
  std::string message;  // "Retry 1/3: <error>" or the final error
};

class RetryPolicy {
 public:
  explicit RetryPolicy(const ExecutorConfig& config);

  // The delay before retry number `retry_count + 1`, before jitter.
  int64_t BaseDelayMs(int retry_count) const;

  // `unit_random` in [0, 1) picks the jitter; tests pass fixed values.
  RetryDecision Decide(const Task& task, bool retryable, const std::string& error, TimeMs now,
                       double unit_random) const;

  int MaxRetriesFor(const Task& task) const {
    return task.max_retries >= 0 ? task.max_retries : max_retries_;
  }

 private:
  int max_retries_;
  int64_t delay_ms_;
  int64_t max_delay_ms_;
  double jitter_;
};

}  // namespace taskexec
