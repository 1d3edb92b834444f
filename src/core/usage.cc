#include "core/usage.h"

namespace taskexec {

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
