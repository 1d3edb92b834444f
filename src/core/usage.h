// AgentUsage: what an agent session used, as the agent's CLI reported it.
// One per execution (the attempt's figures) and one per task (the sum over
// its attempts). The meaning of each figure is the same whichever CLI
// reported it (docs/runner.md, "Usage"): input_tokens never include tokens
// read from the prompt cache, which are counted apart.
//
// Thread-safety: plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace taskexec {

struct AgentUsage {
  int64_t input_tokens = 0;        // input not served from the prompt cache
  int64_t output_tokens = 0;       // including reasoning tokens
  int64_t cache_read_tokens = 0;   // input served from the prompt cache
  int64_t cache_write_tokens = 0;  // input written to the prompt cache
  // Priced by the agent (Claude Code, OpenClaw); nullopt when it did not say
  // (Codex prints no price), which is not the same as free.
  std::optional<double> cost_usd;
  std::string model;  // as the agent named it; for a task, the latest attempt's
  int num_turns = 0;  // model turns the agent took

  // True when the agent reported anything at all.
  bool Reported() const;
  // Adds another attempt's figures to these totals: counts add up, a cost
  // stays unknown only while no attempt priced itself, the model becomes
  // the other's when it names one.
  void Add(const AgentUsage& other);
  int64_t TotalTokens() const;
};

bool operator==(const AgentUsage& a, const AgentUsage& b);

// Token counts: "1200 in, 800 cached, 34 out" (cache writes only when there
// were some), or "-" when the agent reported none.
std::string UsageTokensText(const AgentUsage& usage);
// "$0.0056" ("$12.34" from a dollar on), or "-" when the agent did not price its run.
std::string UsageCostText(const AgentUsage& usage);
// All of it on one line: "1200 in, 800 cached, 34 out; cost $0.0056; 1 turn;
// model m", or "" when nothing was reported.
std::string UsageText(const AgentUsage& usage);

}  // namespace taskexec
