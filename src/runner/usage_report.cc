#include "runner/usage_report.h"

#include <cmath>
#include <initializer_list>
#include <optional>
#include <string>

namespace taskexec {

namespace {

using nlohmann::json;

const json* At(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

// A token count: a non-negative integer (a float with no fraction counts).
int64_t Count(const json* v) {
  if (v == nullptr) return 0;
  if (v->is_number_unsigned())
    return static_cast<int64_t>(std::min<uint64_t>(v->get<uint64_t>(), INT64_MAX));
  if (v->is_number_integer()) return std::max<int64_t>(v->get<int64_t>(), 0);
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (std::isfinite(d) && d >= 0 && d < 9e18) return static_cast<int64_t>(d);
  }
  return 0;
}

std::optional<double> Price(const json* v) {
  if (v == nullptr || !v->is_number()) return std::nullopt;
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < 0) return std::nullopt;
  return d;
}

std::string Text(const json* v) {
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

// Claude Code: the Anthropic usage object; models are modelUsage's keys.
void ReadClaude(const json& j, AgentUsage* u) {
  const json& usage = *At(j, {"usage"});
  u->input_tokens = Count(At(usage, {"input_tokens"}));
  u->output_tokens = Count(At(usage, {"output_tokens"}));
  u->cache_read_tokens = Count(At(usage, {"cache_read_input_tokens"}));
  u->cache_write_tokens = Count(At(usage, {"cache_creation_input_tokens"}));
  u->cost_usd = Price(At(j, {"total_cost_usd"}));
  u->num_turns = static_cast<int>(std::min<int64_t>(Count(At(j, {"num_turns"})), INT32_MAX));
  const json* models = At(j, {"modelUsage"});
  if (models != nullptr && models->is_object()) {
    for (const auto& [name, ignored] : models->items()) {
      if (!u->model.empty()) u->model += ",";
      u->model += name;
    }
  }
}

// OpenClaw: {input, output, cacheRead, cacheWrite, cost: {total}}.
void ReadOpenClaw(const json& usage, const json* meta, AgentUsage* u) {
  u->input_tokens = Count(At(usage, {"input"}));
  u->output_tokens = Count(At(usage, {"output"}));
  u->cache_read_tokens = Count(At(usage, {"cacheRead"}));
  u->cache_write_tokens = Count(At(usage, {"cacheWrite"}));
  // costUsd is the documented run total (per-call prices, cache included);
  // usage.cost.total is the older estimate.
  if (meta != nullptr) u->cost_usd = Price(At(*meta, {"costUsd"}));
  if (!u->cost_usd) u->cost_usd = Price(At(usage, {"cost", "total"}));
  if (meta == nullptr) return;
  u->num_turns =
      static_cast<int>(std::min<int64_t>(Count(At(*meta, {"assistantTurns"})), INT32_MAX));
  u->model = Text(At(*meta, {"model"}));
}

}  // namespace

AgentUsage UsageFromResult(const json& j) {
  AgentUsage u;
  if (!j.is_object()) return u;
  const json* usage = At(j, {"usage"});
  if (usage != nullptr && usage->is_object() && usage->contains("input_tokens")) {
    ReadClaude(j, &u);
    return u;
  }
  if (usage != nullptr && usage->is_object()) {
    ReadOpenClaw(*usage, &j, &u);
    return u;
  }
  for (auto path :
       {std::initializer_list<const char*>{"result", "meta", "agentMeta"}, {"meta", "agentMeta"}}) {
    const json* meta = At(j, path);
    if (meta == nullptr || !meta->is_object()) continue;
    const json* nested = At(*meta, {"usage"});
    if (nested != nullptr && nested->is_object()) ReadOpenClaw(*nested, meta, &u);
    return u;
  }
  return u;
}

void AddCodexTurnUsage(const json& event, AgentUsage* total) {
  const json* usage = At(event, {"usage"});
  if (usage == nullptr || !usage->is_object()) return;
  AgentUsage turn;
  const int64_t input = Count(At(*usage, {"input_tokens"}));
  turn.cache_read_tokens = Count(At(*usage, {"cached_input_tokens"}));
  turn.input_tokens = std::max<int64_t>(input - turn.cache_read_tokens, 0);
  turn.cache_write_tokens = Count(At(*usage, {"cache_write_input_tokens"}));
  turn.output_tokens = Count(At(*usage, {"output_tokens"}));
  turn.num_turns = 1;
  total->Add(turn);
}

void AddOpenCodeStepUsage(const json& event, AgentUsage* total) {
  const json* tokens = At(event, {"part", "tokens"});
  if (tokens == nullptr || !tokens->is_object()) return;
  AgentUsage step;
  step.input_tokens = Count(At(*tokens, {"input"}));
  step.output_tokens = Count(At(*tokens, {"output"}));
  step.cache_read_tokens = Count(At(*tokens, {"cache", "read"}));
  step.cache_write_tokens = Count(At(*tokens, {"cache", "write"}));
  step.cost_usd = Price(At(event, {"part", "cost"}));
  step.num_turns = 1;
  total->Add(step);
}

}  // namespace taskexec
