#include "engine/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace taskexec {

RetryPolicy::RetryPolicy(const ExecutorConfig& config)
    : max_retries_(config.max_retries),
      delay_ms_(static_cast<int64_t>(config.retry_delay_seconds) * 1000),
      max_delay_ms_(static_cast<int64_t>(config.retry_max_delay_seconds) * 1000),
      jitter_(config.retry_jitter) {}

int64_t RetryPolicy::BaseDelayMs(int retry_count) const {
  // Doubling saturates long before 2^30; clamp the exponent to avoid overflow.
  int exponent = std::clamp(retry_count, 0, 30);
  double delay = static_cast<double>(delay_ms_) * std::pow(2.0, exponent);
  return static_cast<int64_t>(std::min(delay, static_cast<double>(max_delay_ms_)));
}

RetryDecision RetryPolicy::Decide(const Task& task, bool retryable, const std::string& error,
                                  TimeMs now, double unit_random) const {
  RetryDecision d;
  int max = MaxRetriesFor(task);
  d.new_retry_count = task.retry_count;
  if (!retryable || task.retry_count >= max) {
    d.retry = false;
    d.message = error;
    return d;
  }
  d.retry = true;
  d.new_retry_count = task.retry_count + 1;
  double base = static_cast<double>(BaseDelayMs(task.retry_count));
  double factor = 1.0 + jitter_ * (2.0 * unit_random - 1.0);
  d.next_attempt_at = now + static_cast<int64_t>(std::max(0.0, base * factor));
  d.message =
      "Retry " + std::to_string(d.new_retry_count) + "/" + std::to_string(max) + ": " + error;
  return d;
}

}  // namespace taskexec
