#include "engine/circuit_breaker.h"

#include <algorithm>

namespace taskexec {

AttemptVerdict VerdictOf(ExecutionStatus status, ErrorType error_type) {
  switch (status) {
    case ExecutionStatus::kCompleted:
    case ExecutionStatus::kNeedsInput:
      return AttemptVerdict::kSucceeded;
    case ExecutionStatus::kFailed:
    case ExecutionStatus::kTimedOut:
      break;
    default:  // active, cancelled, lost: not the agent's doing
      return AttemptVerdict::kNeutral;
  }
  switch (error_type) {
    case ErrorType::kCancelled:
    case ErrorType::kReleased:
    case ErrorType::kLost:
    case ErrorType::kBudgetExhausted:
    case ErrorType::kUsageLimit:       // the provider's quota: the agent is paused for it anyway
    case ErrorType::kSessionNotFound:  // retried fresh at once: a resume detail, not a fault
      return AttemptVerdict::kNeutral;
    default:
      return AttemptVerdict::kFailed;
  }
}

CircuitBreaker::CircuitBreaker(int failures_to_open, int64_t pause_ms, int64_t max_pause_ms)
    : failures_to_open_(failures_to_open),
      pause_ms_(pause_ms),
      max_pause_ms_(std::max(max_pause_ms, pause_ms)) {}

std::optional<AgentPause> CircuitBreaker::Record(const std::string& agent, AttemptVerdict verdict,
                                                 const std::string& what, TimeMs now) {
  if (failures_to_open_ <= 0 || verdict == AttemptVerdict::kNeutral) return std::nullopt;
  State& s = agents_[agent];
  if (verdict == AttemptVerdict::kSucceeded) {
    s = State{};
    return std::nullopt;
  }
  if (++s.consecutive < failures_to_open_) return std::nullopt;
  // Opens now, and again on every failure after the pause (half-open: one
  // more failure is enough) until an attempt succeeds.
  s.last_pause_ms = s.last_pause_ms == 0 ? pause_ms_ : std::min(s.last_pause_ms * 2, max_pause_ms_);
  AgentPause p;
  p.agent = agent;
  p.since = now;
  p.until = now + s.last_pause_ms;
  p.reason = PauseReason::kCircuit;
  p.pause_ms = s.last_pause_ms;
  p.message = std::to_string(s.consecutive) + " consecutive failed attempts (last: " + what + ")";
  return p;
}

void CircuitBreaker::Resumed(const std::string& agent) {
  auto it = agents_.find(agent);
  if (it != agents_.end()) it->second.consecutive = 0;
}

int CircuitBreaker::ConsecutiveFailures(const std::string& agent) const {
  auto it = agents_.find(agent);
  return it == agents_.end() ? 0 : it->second.consecutive;
}

}  // namespace taskexec
