#include "core/attempt_metrics.h"

#include <algorithm>

namespace taskexec {

void AttemptMetrics::Started(const std::string& agent, TimeMs due, TimeMs started) {
  // Clocks of different writers may disagree a little: never a negative wait.
  queue_wait_seconds[agent].Observe(static_cast<double>(std::max<TimeMs>(0, started - due)) /
                                    1000.0);
}

void AttemptMetrics::Ended(const std::string& agent, const std::string& outcome, TimeMs started,
                           TimeMs ended_at, bool retried) {
  ++ended[{agent, outcome}];
  if (started > 0) {
    run_seconds[agent].Observe(static_cast<double>(std::max<TimeMs>(0, ended_at - started)) /
                               1000.0);
  }
  if (retried) ++retries;
}

}  // namespace taskexec
