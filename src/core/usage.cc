#include "core/usage.h"

#include <cstdio>

namespace taskexec {

std::string UsageTokensText(const AgentUsage& u) {
  if (u.TotalTokens() == 0) return "-";
  std::string out = std::to_string(u.input_tokens) + " in, ";
  if (u.cache_read_tokens != 0) out += std::to_string(u.cache_read_tokens) + " cached, ";
  if (u.cache_write_tokens != 0) out += std::to_string(u.cache_write_tokens) + " cache writes, ";
  return out + std::to_string(u.output_tokens) + " out";
}

std::string UsageCostText(const AgentUsage& u) {
  if (!u.cost_usd) return "-";
  char buf[32];
  // Cents hide what a cheap run cost; from a dollar on they are enough.
  if (*u.cost_usd < 1.0) {
    std::snprintf(buf, sizeof buf, "$%.4f", *u.cost_usd);
  } else {
    std::snprintf(buf, sizeof buf, "$%.2f", *u.cost_usd);
  }
  return buf;
}

std::string UsageText(const AgentUsage& u) {
  if (!u.Reported()) return "";
  std::string out = UsageTokensText(u) + "; cost " + UsageCostText(u);
  if (u.num_turns != 0) {
    out += "; " + std::to_string(u.num_turns) + (u.num_turns == 1 ? " turn" : " turns");
  }
  if (!u.model.empty()) out += "; model " + u.model;
  return out;
}

bool AgentUsage::Reported() const {
  return input_tokens != 0 || output_tokens != 0 || cache_read_tokens != 0 ||
         cache_write_tokens != 0 || cost_usd.has_value() || !model.empty() || num_turns != 0;
}

void AgentUsage::Add(const AgentUsage& other) {
  input_tokens += other.input_tokens;
  output_tokens += other.output_tokens;
  cache_read_tokens += other.cache_read_tokens;
  cache_write_tokens += other.cache_write_tokens;
  if (other.cost_usd) cost_usd = cost_usd.value_or(0.0) + *other.cost_usd;
  if (!other.model.empty()) model = other.model;
  num_turns += other.num_turns;
}

int64_t AgentUsage::TotalTokens() const {
  return input_tokens + output_tokens + cache_read_tokens + cache_write_tokens;
}

bool operator==(const AgentUsage& a, const AgentUsage& b) {
  return a.input_tokens == b.input_tokens && a.output_tokens == b.output_tokens &&
         a.cache_read_tokens == b.cache_read_tokens &&
         a.cache_write_tokens == b.cache_write_tokens && a.cost_usd == b.cost_usd &&
         a.model == b.model && a.num_turns == b.num_turns;
}

}  // namespace taskexec
