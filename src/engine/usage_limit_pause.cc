#include "engine/usage_limit_pause.h"

#include <algorithm>

namespace taskexec {

AgentPause UsageLimitPause(const std::string& agent, const AgentResult& result, TimeMs now,
                           int64_t default_pause_ms) {
  AgentPause p;
  p.agent = agent;
  p.since = now;
  p.reason = PauseReason::kUsageLimit;
  const bool said = result.usage_limit_reset_at > now;
  p.until = said ? std::min(result.usage_limit_reset_at, now + kMaxUsageLimitPauseMs)
                 : now + default_pause_ms;
  p.pause_ms = p.until - now;
  p.message = result.error.empty() ? std::string("the provider's usage limit") : result.error;
  p.message += said ? " (resets " + FormatIso8601(p.until) + ")"
                    : " (no reset time given: paused for agent.usage_limit_pause_seconds)";
  return p;
}

}  // namespace taskexec
