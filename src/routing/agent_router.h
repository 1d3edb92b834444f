// AgentRouter: picks the agent for a task (docs/routing.md) and says which
// rule matched:
//   1. explicit assignment (assigned_to, unless empty or "any")
//   2. custom mapping from config (keyword -> agent), then the built-in
//      keyword table (routing/keyword_table.h), in its documented order;
//      matched on whole words of "type description title" (lower-cased),
//      so "code" does not hit "decode". With RoutingConfig::mode "replace" the built-in table is
//      skipped.
//   3. patterns (routing/patterns.h): code -> temujin, research -> mongke,
//      writing -> chagatai
//   4. the default agent (RoutingConfig::default_agent, "main" when empty)
// Route() is linear in the text length and never uses std::regex; any bytes
// (invalid UTF-8, NULs, megabytes of text) are safe. It does not check that
// an explicit assignment names a known agent: callers use IsKnownAgent().
//
// Thread-safety: immutable after construction; Route() may be called from
// any thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/domain.h"
#include "routing/phrase_matcher.h"

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
  // Routes on the text alone (rules 2-4), for `taskexec route` previews.
  RouteDecision RouteText(const std::string& type, const std::string& description,
                          const std::string& title) const;
  // An agent override (CLI/API/explicit assignment) is refused unless known.
  bool IsKnownAgent(const std::string& agent) const;
  const std::vector<std::string>& agents() const { return agents_; }
  // Every agent Route() can answer without an explicit assignment (custom
  // mapping, built-in table, patterns, default) plus agents(), sorted and
  // unique: the agents a dispatcher looks at without asking the store.
  std::vector<std::string> RoutableAgents() const;
  // Changes whenever Route() may answer differently for the same task: a
  // digest of the configuration and of kRulesVersion. Stored routes
  // (Task::routed_agent) made under another fingerprint are stale.
  std::string Fingerprint() const;
  // Bump whenever the built-in table, the patterns or the matching change.
  static constexpr int kRulesVersion = 1;

 private:
  struct CustomEntry {
    std::string keyword;
    std::string agent;
    routing::PhraseMatcher matcher;
  };
  std::vector<CustomEntry> custom_;  // from config, in order
  bool use_builtin_table_ = true;    // false with mode "replace"
  std::vector<std::string> agents_;
  std::string default_agent_;
};

}  // namespace taskexec
