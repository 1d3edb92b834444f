// AgentPause: an agent taskexec does not start attempts on until a time --
// its circuit breaker opened after consecutive failures, or its provider's
// usage limit was reached. Kept in the store (one meta entry per agent, see
// AgentPauseKey) so every executor and a restarted service honour it, and
// lifted early by `taskexec agent resume NAME`.
//
// Thread-safety: plain value and pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace taskexec {

enum class PauseReason {
  kCircuit,      // agent.circuit_failures consecutive failed attempts
  kUsageLimit,   // the provider's usage or quota limit
  kDailyBudget,  // budget.agent_daily_cost_usd spent today (UTC)
};

std::string_view ToString(PauseReason reason);  // "circuit", "usage_limit", "daily_budget"
std::optional<PauseReason> ParsePauseReason(std::string_view text);

struct AgentPause {
  std::string agent;
  TimeMs until = 0;  // no attempt starts before this
  TimeMs since = 0;  // when it was paused
  PauseReason reason = PauseReason::kCircuit;
  std::string message;  // why, for people: what failed, the limit's text
  // The circuit's current pause length: the next opening without a success
  // in between doubles it (up to agent.circuit_max_pause_seconds).
  int64_t pause_ms = 0;

  bool ActiveAt(TimeMs now) const { return until > now; }
};

bool operator==(const AgentPause& a, const AgentPause& b);

// The store meta key of an agent's pause: "agent.pause.<agent>". An empty
// value means not paused (the stores offer no delete).
std::string AgentPauseKey(std::string_view agent);

// The stored form (a JSON object) and back. Parsing an empty text gives
// nullopt with an empty error (not paused); bad text gives nullopt and what
// is wrong in *error.
std::string EncodeAgentPause(const AgentPause& pause);
std::optional<AgentPause> DecodeAgentPause(std::string_view agent, std::string_view text,
                                           std::string* error);

}  // namespace taskexec
