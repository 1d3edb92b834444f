// AgentRouter: picks the agent for a task, as the original map_task_to_agent
// did (reference/original-system.md), and says which rule matched:
//   1. explicit assignment (assigned_to, unless empty or "any")
//   2. custom mapping from config (keyword -> agent), then the built-in
//      keyword table, in the original's order; matched on whole words of
//      "type description title" (lower-cased), fixing the original's
//      substring defects ("code" no longer hits "decode")
//   3. patterns: code -> temujin, research -> mongke, writing -> chagatai
//   4. the default agent
//
// Thread-safety: immutable after construction; Route() may be called from
// any thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/domain.h"

namespace taskexec {

struct RouteDecision {
  std::string agent;
  std::string rule;    // "explicit" | "custom" | "keyword" | "pattern:code" |
                       // "pattern:research" | "pattern:writing" | "default"
  std::string detail;  // what matched, e.g. the keyword "research" or "file extension .py"
};

class AgentRouter {
 public:
  explicit AgentRouter(const RoutingConfig& config);

  RouteDecision Route(const Task& task) const;
  // An agent override (CLI/API/explicit assignment) is refused unless known.
  bool IsKnownAgent(const std::string& agent) const;
  const std::vector<std::string>& agents() const { return agents_; }

 private:
  std::vector<std::pair<std::string, std::string>> table_;  // keyword -> agent, in order
  std::vector<std::string> custom_keywords_;                 // keywords that came from config
  std::vector<std::string> agents_;
  std::string default_agent_;
};

}  // namespace taskexec
