// AttemptMetrics: what an engine counted about the attempts it ran since it
// started -- the /metrics counters and histograms of attempts by agent and
// outcome, their run time, how long tasks waited for them, and retries.
//
// Thread-safety: none; the engine's lock guards it. A copy is a snapshot.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "core/clock.h"
#include "core/histogram.h"

namespace taskexec {

struct AttemptMetrics {
  // Attempts that ended, by (agent, outcome): the execution's end status
  // (completed, failed, timed_out, cancelled, lost, ...).
  std::map<std::pair<std::string, std::string>, int64_t> ended;
  std::map<std::string, Histogram> run_seconds;         // by agent: start to end
  std::map<std::string, Histogram> queue_wait_seconds;  // by agent: due to start
  int64_t retries = 0;  // attempts after which the task was scheduled to retry

  // An attempt starts on `agent`: the task was due at `due` (created, or its
  // retry time), started at `started`.
  void Started(const std::string& agent, TimeMs due, TimeMs started);
  // An attempt that started at `started` ended at `ended_at` with `outcome`.
  void Ended(const std::string& agent, const std::string& outcome, TimeMs started, TimeMs ended_at,
             bool retried);
};

}  // namespace taskexec
