// AgentEnvironment: the environment an agent session gets. It is built, not
// inherited, so taskexec's own secrets never reach an agent (which may run
// arbitrary shell commands and print what it sees).
//
// An agent gets, in this order (later entries override earlier ones):
//  1. from the service's environment, the variables on the allow-list
//     (kDefaultAllowList: PATH, HOME, LANG, LC_*, TERM, USER, LOGNAME,
//     SHELL, TMPDIR, TZ) and those named by agent.pass_env (names or
//     "PREFIX_*" globs, e.g. "ANTHROPIC_API_KEY", "OPENAI_*");
//  2. the preset's own settings when the command is the preset's (e.g.
//     OPENCLAW_NO_RESPAWN=1, so OpenClaw stays in the attempt's process
//     group instead of re-spawning itself detached);
//  3. agent.env (set in the config, passed as written);
//  4. the attempt's TASKEXEC_* variables (agent_runner.h).
// Withheld always, even when a glob or the allow-list matches: the variables
// taskexec reads its secrets from (NOTION_TOKEN, TASKEXEC_SERVER_TOKEN,
// TASKEXEC_NOTION_WEBHOOK_SECRET, NEO4J_PASSWORD) and any inherited variable
// whose value equals one of taskexec's secrets (server.token, notion.token,
// notion.webhook_secret, neo4j.password), whatever it is called. Other
// TASKEXEC_* variables of the service (TASKEXEC_DB, ...) are not inherited.
//
// Thread-safety: immutable after construction; const methods may be called
// from any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace taskexec {

// The inherited names every agent gets by default.
extern const std::vector<std::string_view> kDefaultAllowList;

// True when `pattern` ("NAME" exact, or "PREFIX*" any name starting with
// PREFIX) matches `name`.
bool EnvPatternMatches(std::string_view pattern, std::string_view name);

struct AgentEnvPolicy {
  std::vector<std::string> pass_env;              // agent.pass_env
  std::map<std::string, std::string> preset_env;  // the preset's settings (runner/presets.h)
  std::map<std::string, std::string> extra;       // agent.env
  std::vector<std::string> secret_names;          // variables never inherited
  std::vector<std::string> secret_values;         // values never inherited (non-empty only)
};

// One variable an agent gets, and why (for `config check`).
struct AgentEnvEntry {
  std::string name;
  std::string
      source;  // "allow-list", "agent.pass_env \"OPENAI_*\"", "agent.preset \"x\"", "agent.env"
};

class AgentEnvironment {
 public:
  // Nothing inherited, nothing added: for tests that set everything by hand.
  AgentEnvironment() = default;
  // `parent`: the service's environment (ProcessEnvironment()).
  AgentEnvironment(const std::map<std::string, std::string>& parent, const AgentEnvPolicy& policy);

  // The policy of a whole Config: its agent.pass_env and agent.env, and its
  // secrets (config.h's SecretEnvironmentNames and SecretValues).
  static AgentEnvironment FromConfig(const Config& config,
                                     const std::map<std::string, std::string>& parent);

  // The child's whole environment ("K=V", sorted by name) with `attempt`
  // (TASKEXEC_* of this attempt) added last.
  std::vector<std::string> ForAttempt(const std::map<std::string, std::string>& attempt) const;

  // What an agent gets (names only; values may be the user's own keys),
  // sorted by name.
  const std::vector<AgentEnvEntry>& entries() const { return entries_; }
  // Inherited names that matched the allow-list or agent.pass_env but were
  // withheld as taskexec secrets, sorted.
  const std::vector<std::string>& withheld() const { return withheld_; }

 private:
  std::map<std::string, std::string> base_;  // name -> value, before the attempt's
  std::vector<AgentEnvEntry> entries_;
  std::vector<std::string> withheld_;
};

}  // namespace taskexec
