#include "core/agent_pause.h"

#include <nlohmann/json.hpp>

namespace taskexec {

std::string_view ToString(PauseReason reason) {
  switch (reason) {
    case PauseReason::kUsageLimit:
      return "usage_limit";
    case PauseReason::kDailyBudget:
      return "daily_budget";
    case PauseReason::kCircuit:
      break;
  }
  return "circuit";
}

std::optional<PauseReason> ParsePauseReason(std::string_view text) {
  for (PauseReason r : {PauseReason::kCircuit, PauseReason::kUsageLimit, PauseReason::kDailyBudget})
    if (text == ToString(r)) return r;
  return std::nullopt;
}

bool operator==(const AgentPause& a, const AgentPause& b) {
  return a.agent == b.agent && a.until == b.until && a.since == b.since && a.reason == b.reason &&
         a.message == b.message && a.pause_ms == b.pause_ms;
}

std::string AgentPauseKey(std::string_view agent) { return "agent.pause." + std::string(agent); }

std::string EncodeAgentPause(const AgentPause& p) {
  nlohmann::json j{{"until", p.until},
                   {"since", p.since},
                   {"reason", std::string(ToString(p.reason))},
                   {"message", p.message},
                   {"pause_ms", p.pause_ms}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<AgentPause> DecodeAgentPause(std::string_view agent, std::string_view text,
                                           std::string* error) {
  error->clear();
  if (text.empty()) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& what) {
    *error = "agent " + std::string(agent) + ": stored pause is not valid (" + what + ")";
    return std::nullopt;
  };
  if (!j.is_object()) return bad("not a JSON object");
  AgentPause p;
  p.agent = std::string(agent);
  for (const char* k : {"until", "since", "pause_ms"}) {
    if (!j.contains(k) || !j[k].is_number_integer())
      return bad(std::string(k) + " is not an integer");
  }
  if (!j.contains("reason") || !j["reason"].is_string()) return bad("reason is not a string");
  auto reason = ParsePauseReason(j["reason"].get<std::string>());
  if (!reason) return bad("unknown reason \"" + j["reason"].get<std::string>() + "\"");
  p.until = j["until"].get<int64_t>();
  p.since = j["since"].get<int64_t>();
  p.pause_ms = j["pause_ms"].get<int64_t>();
  p.reason = *reason;
  if (j.contains("message") && j["message"].is_string())
    p.message = j["message"].get<std::string>();
  return p;
}

}  // namespace taskexec
