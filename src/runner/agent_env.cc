#include "runner/agent_env.h"

#include "runner/presets.h"

#include <algorithm>

namespace taskexec {

const std::vector<std::string_view> kDefaultAllowList = {
    "PATH", "HOME", "LANG", "LC_*", "TERM", "USER", "LOGNAME", "SHELL", "TMPDIR", "TZ"};

bool EnvPatternMatches(std::string_view pattern, std::string_view name) {
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return name.substr(0, pattern.size()) == pattern;
  }
  return pattern == name;
}

AgentEnvironment::AgentEnvironment(const std::map<std::string, std::string>& parent,
                                   const AgentEnvPolicy& policy) {
  auto is_secret = [&](const std::string& name, const std::string& value) {
    bool named = std::find(policy.secret_names.begin(), policy.secret_names.end(), name) !=
                 policy.secret_names.end();
    bool holds = !value.empty() &&
                 std::find(policy.secret_values.begin(), policy.secret_values.end(), value) !=
                     policy.secret_values.end();
    return named || holds;
  };
  std::map<std::string, std::string> sources;
  for (const auto& [name, value] : parent) {
    std::string source;
    for (std::string_view pattern : kDefaultAllowList) {
      if (EnvPatternMatches(pattern, name)) source = "allow-list";
    }
    for (const std::string& pattern : policy.pass_env) {
      if (source.empty() && EnvPatternMatches(pattern, name)) {
        source = "agent.pass_env \"" + pattern + "\"";
      }
    }
    if (source.empty()) continue;
    if (is_secret(name, value)) {
      withheld_.push_back(name);
      continue;
    }
    base_[name] = value;
    sources[name] = source;
  }
  for (const auto& [name, value] : policy.preset_env) {
    base_[name] = value;
    sources[name] = "agent.preset";
  }
  for (const auto& [name, value] : policy.extra) {
    base_[name] = value;
    sources[name] = "agent.env";
  }
  for (const auto& [name, source] : sources) entries_.push_back({name, source});
  std::sort(withheld_.begin(), withheld_.end());
}

AgentEnvironment AgentEnvironment::FromConfig(const Config& config,
                                              const std::map<std::string, std::string>& parent) {
  AgentEnvPolicy policy;
  policy.pass_env = config.agent.pass_env;
  policy.extra = config.agent.env;
  if (config.agent.command.empty()) {
    if (const Preset* preset = FindPreset(config.agent.preset)) policy.preset_env = preset->env;
  }
  policy.secret_names = SecretEnvironmentNames();
  policy.secret_values = SecretValues(config);
  return AgentEnvironment(parent, policy);
}

std::vector<std::string> AgentEnvironment::ForAttempt(
    const std::map<std::string, std::string>& attempt) const {
  std::map<std::string, std::string> all = base_;
  for (const auto& [name, value] : attempt) all[name] = value;
  std::vector<std::string> out;
  out.reserve(all.size());
  for (const auto& [name, value] : all) out.push_back(name + "=" + value);
  return out;
}

}  // namespace taskexec
