// The pause an agent gets when an attempt ended on its provider's usage or
// quota limit (ErrorType::kUsageLimit): until the reset the output gave, or
// agent.usage_limit_pause_seconds from now when it gave none. A reset further
// away than kMaxUsageLimitPauseMs is taken for a misreading and capped there
// (the longest provider window, a week, plus a day).
//
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <string>

#include "core/agent_pause.h"
#include "runner/outcome.h"

namespace taskexec {

constexpr int64_t kMaxUsageLimitPauseMs = 8LL * 24 * 3600 * 1000;

AgentPause UsageLimitPause(const std::string& agent, const AgentResult& result, TimeMs now,
                           int64_t default_pause_ms);

}  // namespace taskexec
