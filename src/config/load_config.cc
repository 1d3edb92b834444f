// LoadConfig: defaults < TOML file < environment < flags, then validation.
#include <unistd.h>

#include <cstring>

#include "config/config.h"
#include "config/key_registry.h"
#include "config/toml_source.h"
#include "config/validate.h"
#include "config/value_parse.h"

extern char** environ;

namespace taskexec {
namespace {

using config_internal::AllKeys;
using config_internal::CheckValue;
using config_internal::FindKey;
using config_internal::KeyError;
using config_internal::KeySpec;
using config_internal::Origins;
using config_internal::ParseInto;

// The "seed" preset's command after its program words
// (`openclaw sessions_spawn --agent {agent} --label task-{task_id}
// --context {context_json} --prompt {prompt}`); it must stay in step with the
// runner's "seed" preset.
const std::vector<std::string>& SeedCommandArguments() {
  static const std::vector<std::string> kArgs = {"--agent",        "{agent}",   "--label",
                                                 "task-{task_id}", "--context", "{context_json}",
                                                 "--prompt",       "{prompt}"};
  return kArgs;
}

constexpr const char* kSpawnCmdEnv = "OPENCLAW_SESSIONS_SPAWN_CMD";

Status SetFromText(const KeySpec& spec, const std::string& text, const std::string& origin,
                   Config* config, Origins* origins) {
  std::string problem = ParseInto(spec.field(config), text);
  if (problem.empty()) problem = CheckValue(spec, *config);
  if (!problem.empty()) return Status::InvalidArgument(KeyError(spec.name, origin, problem));
  (*origins)[std::string(spec.name)] = origin;
  return Status::OK();
}

// OPENCLAW_SESSIONS_SPAWN_CMD, as existing deployments set it: the words
// that start the seed preset's command (default "openclaw sessions_spawn"). Split on
// whitespace, no quoting. A deployment that sets it runs a sessions_spawn
// wrapper, so it selects the seed preset unless a source chose another one;
// agent.command from any source always wins.
Status ApplySpawnCommand(const std::map<std::string, std::string>& env, Config* config,
                         Origins* origins) {
  auto it = env.find(kSpawnCmdEnv);
  if (it == env.end() || origins->count("agent.command") != 0) return Status::OK();
  if (origins->count("agent.preset") == 0) {
    config->agent.preset = "seed";
    (*origins)["agent.preset"] = kSpawnCmdEnv;
  }
  if (config->agent.preset != "seed") return Status::OK();
  std::vector<std::string> argv;
  const std::string& text = it->second;
  size_t i = 0;
  while (i < text.size()) {
    i = text.find_first_not_of(" \t\r\n", i);
    if (i == std::string::npos) break;
    size_t end = text.find_first_of(" \t\r\n", i);
    if (end == std::string::npos) end = text.size();
    argv.push_back(text.substr(i, end - i));
    i = end;
  }
  if (argv.empty()) {
    return Status::InvalidArgument(KeyError("agent.command", kSpawnCmdEnv,
                                            "an empty spawn command is not allowed; expected "
                                            "the program and its first words, e.g. "
                                            "\"openclaw sessions_spawn\""));
  }
  argv.insert(argv.end(), SeedCommandArguments().begin(), SeedCommandArguments().end());
  config->agent.command = std::move(argv);
  (*origins)["agent.command"] = kSpawnCmdEnv;
  return Status::OK();
}

}  // namespace

Status LoadConfig(const std::string& path, const std::map<std::string, std::string>& env,
                  const ConfigOverrides& overrides, Config* out) {
  Config config;
  Origins origins;
  if (!path.empty()) {
    Status s = config_internal::ApplyTomlFile(path, &config, &origins);
    if (!s.ok()) return s;
    config.source_file = path;
  }
  for (const KeySpec& spec : AllKeys()) {
    auto it = env.find(std::string(spec.env));
    if (it == env.end()) continue;
    Status s = SetFromText(spec, it->second, std::string(spec.env), &config, &origins);
    if (!s.ok()) return s;
  }
  for (const auto& [key, value] : overrides) {
    const KeySpec* spec = FindKey(key);
    if (spec == nullptr) {
      return Status::InvalidArgument(KeyError(key, "flag", "unknown key"));
    }
    Status s = SetFromText(*spec, value, "flag " + key, &config, &origins);
    if (!s.ok()) return s;
  }
  Status s = ApplySpawnCommand(env, &config, &origins);
  if (!s.ok()) return s;
  config.notion.enabled = !config.notion.token.empty() && !config.notion.database_id.empty();
  s = config_internal::ValidateWithOrigins(config, &origins);
  if (!s.ok()) return s;
  *out = std::move(config);
  return Status::OK();
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const char* eq = std::strchr(*entry, '=');
    if (eq == nullptr) continue;
    const char* name = *entry;
    env.emplace(std::string(name, eq), std::string(eq + 1));
  }
  return env;
}

Status ValidateConfig(const Config& config) {
  return config_internal::ValidateWithOrigins(config, nullptr);
}

}  // namespace taskexec
