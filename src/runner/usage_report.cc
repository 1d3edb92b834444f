#include "runner/usage_report.h"

#include <cmath>
#include <initializer_list>
#include <optional>
#include <string>

#include "runner/json_path.h"

namespace taskexec {

namespace {

using nlohmann::json;

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

// Claude Code: the Anthropic usage object; models are modelUsage's keys.
void ReadClaude(const json& j, AgentUsage* u) {
  const json& usage = *JsonAt(j, {"usage"});
  u->input_tokens = Count(JsonAt(usage, {"input_tokens"}));
  u->output_tokens = Count(JsonAt(usage, {"output_tokens"}));
  u->cache_read_tokens = Count(JsonAt(usage, {"cache_read_input_tokens"}));
  u->cache_write_tokens = Count(JsonAt(usage, {"cache_creation_input_tokens"}));
  u->cost_usd = Price(JsonAt(j, {"total_cost_usd"}));
  u->num_turns = static_cast<int>(std::min<int64_t>(Count(JsonAt(j, {"num_turns"})), INT32_MAX));
  const json* models = JsonAt(j, {"modelUsage"});
  if (models != nullptr && models->is_object()) {
    for (const auto& [name, ignored] : models->items()) {
      if (!u->model.empty()) u->model += ",";
      u->model += name;
    }
  }
}

// OpenClaw: {input, output, cacheRead, cacheWrite, cost: {total}}.
void ReadOpenClaw(const json& usage, const json* meta, AgentUsage* u) {
  u->input_tokens = Count(JsonAt(usage, {"input"}));
  u->output_tokens = Count(JsonAt(usage, {"output"}));
  u->cache_read_tokens = Count(JsonAt(usage, {"cacheRead"}));
  u->cache_write_tokens = Count(JsonAt(usage, {"cacheWrite"}));
  // costUsd is the documented run total (per-call prices, cache included);
  // usage.cost.total is the older estimate.
  if (meta != nullptr) u->cost_usd = Price(JsonAt(*meta, {"costUsd"}));
  if (!u->cost_usd) u->cost_usd = Price(JsonAt(usage, {"cost", "total"}));
  if (meta == nullptr) return;
  u->num_turns =
      static_cast<int>(std::min<int64_t>(Count(JsonAt(*meta, {"assistantTurns"})), INT32_MAX));
  u->model = JsonStringAt(*meta, {"model"});
}

// Gemini CLI: stats.models.<model>.tokens per model it called (the main
// model and the small ones it routes with), each request one turn.
void ReadGemini(const json& models, AgentUsage* u) {
  for (const auto& [name, stats] : models.items()) {
    if (!stats.is_object()) continue;
    AgentUsage one;
    const json* tokens = JsonAt(stats, {"tokens"});
    if (tokens != nullptr && tokens->is_object()) {
      one.cache_read_tokens = Count(JsonAt(*tokens, {"cached"}));
      // "input" is the prompt without the cached part; older versions print
      // only "prompt", cache included.
      const json* input = JsonAt(*tokens, {"input"});
      one.input_tokens =
          input != nullptr
              ? Count(input)
              : std::max<int64_t>(Count(JsonAt(*tokens, {"prompt"})) - one.cache_read_tokens, 0);
      one.output_tokens =
          Count(JsonAt(*tokens, {"candidates"})) + Count(JsonAt(*tokens, {"thoughts"}));
    }
    one.num_turns = static_cast<int>(
        std::min<int64_t>(Count(JsonAt(stats, {"api", "totalRequests"})), INT32_MAX));
    u->Add(one);
    if (!name.empty()) u->model += (u->model.empty() ? "" : ",") + name;
  }
}

}  // namespace

AgentUsage UsageFromResult(const json& j) {
  AgentUsage u;
  if (!j.is_object()) return u;
  const json* gemini_models = JsonAt(j, {"stats", "models"});
  if (gemini_models != nullptr && gemini_models->is_object()) {
    ReadGemini(*gemini_models, &u);
    return u;
  }
  const json* usage = JsonAt(j, {"usage"});
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
    const json* meta = JsonAt(j, path);
    if (meta == nullptr || !meta->is_object()) continue;
    const json* nested = JsonAt(*meta, {"usage"});
    if (nested != nullptr && nested->is_object()) ReadOpenClaw(*nested, meta, &u);
    return u;
  }
  return u;
}

void AddCodexTurnUsage(const json& event, AgentUsage* total) {
  const json* usage = JsonAt(event, {"usage"});
  if (usage == nullptr || !usage->is_object()) return;
  AgentUsage turn;
  const int64_t input = Count(JsonAt(*usage, {"input_tokens"}));
  turn.cache_read_tokens = Count(JsonAt(*usage, {"cached_input_tokens"}));
  turn.input_tokens = std::max<int64_t>(input - turn.cache_read_tokens, 0);
  turn.cache_write_tokens = Count(JsonAt(*usage, {"cache_write_input_tokens"}));
  turn.output_tokens = Count(JsonAt(*usage, {"output_tokens"}));
  turn.num_turns = 1;
  total->Add(turn);
}

void AddOpenCodeStepUsage(const json& event, AgentUsage* total) {
  const json* tokens = JsonAt(event, {"part", "tokens"});
  if (tokens == nullptr || !tokens->is_object()) return;
  AgentUsage step;
  step.input_tokens = Count(JsonAt(*tokens, {"input"}));
  step.output_tokens = Count(JsonAt(*tokens, {"output"}));
  step.cache_read_tokens = Count(JsonAt(*tokens, {"cache", "read"}));
  step.cache_write_tokens = Count(JsonAt(*tokens, {"cache", "write"}));
  step.cost_usd = Price(JsonAt(event, {"part", "cost"}));
  step.num_turns = 1;
  total->Add(step);
}

}  // namespace taskexec
