// Histogram: how many observations fell at or below each of fixed upper
// bounds, with their sum and count -- what a Prometheus histogram exposes
// (cumulative buckets, an implicit +Inf bucket, _sum, _count).
//
// Thread-safety: none; the owner's lock guards it. A copy is a snapshot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace taskexec {

class Histogram {
 public:
  Histogram();                                           // DurationBuckets()
  explicit Histogram(std::vector<double> upper_bounds);  // ascending

  void Observe(double value);

  const std::vector<double>& upper_bounds() const { return bounds_; }
  // Observations at or below upper_bounds()[i] (cumulative, as exposed).
  int64_t CumulativeCount(size_t i) const;
  int64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<int64_t> in_bucket_;  // per bucket, not cumulative; last = above every bound
  int64_t count_ = 0;
  double sum_ = 0;
};

// Bounds for durations in seconds, from a second to six hours: agent
// sessions take seconds to hours, queue waits milliseconds to hours.
const std::vector<double>& DurationBuckets();

}  // namespace taskexec
