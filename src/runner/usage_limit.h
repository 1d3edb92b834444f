// Provider usage limits in an agent's output: whether the attempt ended on
// the provider's usage or quota limit (not a transient rate limit), and when
// that limit resets, from the forms the agent CLIs print.
//
// The reset forms read, each tested in tests/runner/usage_limit_test.cc and
// listed in docs/runner.md ("Usage limits"):
//   "Claude AI usage limit reached|1767225600"   Claude Code: unix seconds
//   "resets at 3pm", "resets 3:30 PM", "reset at 15:00"  the next such local
//                                                 time (the service's zone)
//   "try again in 2 hours", "in 45 minutes", "in 1h 30m", "in 90 seconds"
//   "Retry-After: 120"                            seconds, or an HTTP date
//
// Thread-safety: pure functions (localtime_r/mktime read the zone).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace taskexec {

struct UsageLimitHit {
  std::string line;     // the line that said so (trimmed, at most 300 bytes)
  TimeMs reset_at = 0;  // when it resets; 0 = the output does not say
};

// The usage limit the output reports, if any; `now` anchors relative and
// time-of-day forms.
std::optional<UsageLimitHit> FindUsageLimit(std::string_view output, TimeMs now);

// The reset time one text gives (any form above), or 0.
TimeMs ParseUsageLimitReset(std::string_view text, TimeMs now);

}  // namespace taskexec
