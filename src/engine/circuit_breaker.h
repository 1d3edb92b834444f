// CircuitBreaker: counts each agent's consecutive failed attempts and says
// when to pause the agent (agent.circuit_failures in a row pause it for
// agent.circuit_pause_seconds; each further opening without a success in
// between doubles the pause, up to agent.circuit_max_pause_seconds). A
// success, or a question to a person, closes the circuit and forgets the
// doubling. Pure bookkeeping: the engine stores the pause (AgentPause) and
// skips the agent while it lasts.
//
// Counts are this executor's: with several executors each counts the
// attempts it ran, and the pause any of them stores holds for all.
//
// Thread-safety: a value owned by the engine thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/agent_pause.h"
#include "core/domain.h"

namespace taskexec {

// What an ended attempt means for its agent's circuit.
enum class AttemptVerdict {
  kSucceeded,  // completed, or asked a person a question
  kFailed,     // the agent's failure: an error, a crash, a timeout, a stall
  kNeutral,    // says nothing of the agent: cancelled, released, lost, budget, usage limit
};

// The verdict for an attempt that ended with this execution status and error type.
AttemptVerdict VerdictOf(ExecutionStatus status, ErrorType error_type);

class CircuitBreaker {
 public:
  // failures_to_open = 0 turns the breaker off.
  CircuitBreaker(int failures_to_open, int64_t pause_ms, int64_t max_pause_ms);

  // Records an attempt of `agent` that ended at `now`; `what` says what
  // failed (for the pause's message). Returns the pause to apply when this
  // failure opens the circuit.
  std::optional<AgentPause> Record(const std::string& agent, AttemptVerdict verdict,
                                   const std::string& what, TimeMs now);

  // A person lifted the agent's pause: count from zero, keep the doubling
  // (the next opening is longer unless an attempt succeeds first).
  void Resumed(const std::string& agent);

  int ConsecutiveFailures(const std::string& agent) const;

 private:
  struct State {
    int consecutive = 0;
    int64_t last_pause_ms = 0;  // 0 = never opened since the last success
  };
  const int failures_to_open_;
  const int64_t pause_ms_;
  const int64_t max_pause_ms_;
  std::map<std::string, State> agents_;
};

}  // namespace taskexec
