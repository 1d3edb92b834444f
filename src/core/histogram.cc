#include "core/histogram.h"

#include <algorithm>
#include <utility>

namespace taskexec {

const std::vector<double>& DurationBuckets() {
  static const std::vector<double> bounds = {0.1, 0.5, 1,   5,    10,   30,    60,
                                             120, 300, 600, 1800, 3600, 10800, 21600};
  return bounds;
}

Histogram::Histogram() : Histogram(DurationBuckets()) {}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), in_bucket_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  // The first bound at or above the value ("le" is inclusive).
  const size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                       bounds_.begin());
  ++in_bucket_[i];
  ++count_;
  sum_ += value;
}

int64_t Histogram::CumulativeCount(size_t i) const {
  int64_t n = 0;
  for (size_t b = 0; b <= i && b < in_bucket_.size(); ++b) n += in_bucket_[b];
  return n;
}

}  // namespace taskexec
