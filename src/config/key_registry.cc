#include "config/key_registry.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

#include "config/conninfo.h"

namespace taskexec::config_internal {
namespace {

// A captureless lambda returning the address of a Config member.
#define TE_FIELD(member) [](Config* c) -> FieldPtr { return &c->member; }

std::string CheckListen(const std::string& value) {
  // Empty disables the HTTP server.
  if (value.empty()) return "";
  const std::string allowed =
      "host:port with a port 1..65535 (e.g. 127.0.0.1:8080, [::1]:8080), or empty";
  size_t colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == value.size()) return allowed;
  std::string host = value.substr(0, colon);
  if (host.front() == '[' && host.back() != ']') return allowed;
  if (host.front() != '[' && host.find(':') != std::string::npos) return allowed;  // bare IPv6
  std::string_view port = std::string_view(value).substr(colon + 1);
  int number = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (ec != std::errc() || ptr != port.data() + port.size() || number < 1 || number > 65535) {
    return allowed;
  }
  return "";
}

std::string CheckHttpUrl(const std::string& value) {
  if (value.rfind("https://", 0) == 0 || value.rfind("http://", 0) == 0) {
    if (value.find_first_of(" \t\r\n") == std::string::npos) return "";
  }
  return "an http:// or https:// URL";
}

std::string CheckNeo4jUri(const std::string& value) {
  if (value.empty()) return "";
  for (const char* scheme :
       {"bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://"}) {
    if (value.rfind(scheme, 0) == 0 && value.size() > std::string_view(scheme).size()) return "";
  }
  return "a URI with scheme bolt, bolt+s, bolt+ssc, neo4j, neo4j+s or neo4j+ssc "
         "(e.g. bolt://localhost:7687), or empty";
}

std::string CheckNoWhitespace(const std::string& value) {
  if (value.find_first_of(" \t\r\n") == std::string::npos) return "";
  return "a name without whitespace (or empty to generate one)";
}

bool HostChars(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string CheckAllowedHost(const std::string& value) {
  std::string_view v = value;
  if (v == "*") return "";
  if (!v.empty() && v.front() == '.') v.remove_prefix(1);
  if (v.size() > 2 && v.front() == '[' && v.back() == ']') return "";  // IPv6 literal
  if (HostChars(v)) return "";
  return "a host name without scheme or port (\"tasks.example.com\"), \".example.com\" for a "
         "domain and its subdomains, or \"*\"";
}

std::string CheckCorsOrigin(const std::string& value) {
  const std::string expected =
      "an origin: http:// or https://, a host and an optional port, no path "
      "(\"https://ui.example.com\", \"http://localhost:3000\")";
  std::string_view v = value;
  if (v.rfind("https://", 0) == 0) {
    v.remove_prefix(8);
  } else if (v.rfind("http://", 0) == 0) {
    v.remove_prefix(7);
  } else {
    return expected;
  }
  size_t colon = v.rfind(':');
  if (colon != std::string_view::npos && v.find(']') == std::string_view::npos) {
    std::string_view port = v.substr(colon + 1);
    int number = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc() || ptr != port.data() + port.size() || number < 1 || number > 65535) {
      return expected;
    }
    v = v.substr(0, colon);
  }
  if (v.size() > 2 && v.front() == '[' && v.find(']') != std::string_view::npos) return "";
  return HostChars(v) ? "" : expected;
}

std::string CheckEnvPattern(const std::string& value) {
  std::string_view v = value;
  if (!v.empty() && v.back() == '*') v.remove_suffix(1);
  bool ok = !v.empty() || value == "*";
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) ok = false;
  }
  if (ok) return "";
  return "an environment variable name (\"ANTHROPIC_API_KEY\") or a prefix glob "
         "(\"OPENAI_*\")";
}

// Builders for the table below. The value's type comes from the field
// pointer; these only add the rules.
KeySpec Ranged(std::string_view name, std::string_view env, FieldPtr (*field)(Config*), double min,
               double max) {
  KeySpec spec;
  spec.name = name;
  spec.env = env;
  spec.field = field;
  spec.min = min;
  spec.max = max;
  spec.has_range = true;
  return spec;
}

KeySpec Key(std::string_view name, std::string_view env, FieldPtr (*field)(Config*),
            std::vector<std::string_view> allowed = {}) {
  KeySpec spec;
  spec.name = name;
  spec.env = env;
  spec.field = field;
  spec.allowed = std::move(allowed);
  return spec;
}

KeySpec NonEmpty(KeySpec spec) {
  spec.non_empty = true;
  return spec;
}

KeySpec Secret(KeySpec spec) {
  spec.secret = true;
  return spec;
}

// A connection string: checked, printed with its password hidden, and
// withheld from agents.
KeySpec ConnInfo(KeySpec spec) {
  spec.check_string = CheckConnInfo;
  spec.redact = RedactConnInfo;
  spec.secret_part = ConnInfoPassword;
  return spec;
}

KeySpec Checked(KeySpec spec, std::string (*check)(const std::string&)) {
  spec.check_string = check;
  return spec;
}

std::vector<KeySpec> BuildKeys() {
  // Order here is the order of DescribeConfig and of docs/configuration.md.
  // Environment names: the ones existing deployments already set (docs/
  // configuration.md) where there is one, otherwise
  // TASKEXEC_<SECTION>_<KEY> (upper-cased), plus TASKEXEC_DB for the path.
  return {
      Key("log_level", "TASKEXEC_LOG_LEVEL", TE_FIELD(log_level),
          {"trace", "debug", "info", "warn", "error"}),

      Key("store.backend", "TASKEXEC_STORE_BACKEND", TE_FIELD(store.backend),
          {"sqlite", "postgres", "neo4j"}),
      NonEmpty(Key("store.db_path", "TASKEXEC_DB", TE_FIELD(store.db_path))),
      Ranged("store.busy_timeout_ms", "TASKEXEC_STORE_BUSY_TIMEOUT_MS",
             TE_FIELD(store.busy_timeout_ms), 0, 600000),

      Ranged("executor.max_retries", "TASK_EXECUTOR_MAX_RETRIES", TE_FIELD(executor.max_retries), 0,
             100),
      Ranged("executor.retry_delay_seconds", "TASK_EXECUTOR_RETRY_DELAY_SECONDS",
             TE_FIELD(executor.retry_delay_seconds), 0, 86400),
      Ranged("executor.retry_max_delay_seconds", "TASKEXEC_EXECUTOR_RETRY_MAX_DELAY_SECONDS",
             TE_FIELD(executor.retry_max_delay_seconds), 0, 604800),
      Ranged("executor.retry_jitter", "TASKEXEC_EXECUTOR_RETRY_JITTER",
             TE_FIELD(executor.retry_jitter), 0, 1),
      Ranged("executor.poll_interval_seconds", "TASK_EXECUTOR_POLL_INTERVAL",
             TE_FIELD(executor.poll_interval_seconds), 1, 86400),
      Ranged("executor.store_poll_ms", "TASKEXEC_EXECUTOR_STORE_POLL_MS",
             TE_FIELD(executor.store_poll_ms), 10, 3600000),
      Key("executor.auto_assign", "TASKEXEC_EXECUTOR_AUTO_ASSIGN", TE_FIELD(executor.auto_assign)),
      Ranged("executor.max_concurrent", "TASKEXEC_EXECUTOR_MAX_CONCURRENT",
             TE_FIELD(executor.max_concurrent), 1, 10000),
      Ranged("executor.per_agent_limit", "TASKEXEC_EXECUTOR_PER_AGENT_LIMIT",
             TE_FIELD(executor.per_agent_limit), 1, 10000),
      Ranged("executor.agent_limits", "TASKEXEC_EXECUTOR_AGENT_LIMITS",
             TE_FIELD(executor.agent_limits), 1, 10000),
      Ranged("executor.max_concurrent_by_type", "TASKEXEC_EXECUTOR_MAX_CONCURRENT_BY_TYPE",
             TE_FIELD(executor.max_concurrent_by_type), 1, 10000),
      Ranged("executor.lease_seconds", "TASKEXEC_EXECUTOR_LEASE_SECONDS",
             TE_FIELD(executor.lease_seconds), 3, 86400),
      Ranged("executor.shutdown_grace_seconds", "TASKEXEC_EXECUTOR_SHUTDOWN_GRACE_SECONDS",
             TE_FIELD(executor.shutdown_grace_seconds), 0, 3600),
      Checked(Key("executor.executor_id", "TASKEXEC_EXECUTOR_EXECUTOR_ID",
                  TE_FIELD(executor.executor_id)),
              CheckNoWhitespace),

      Key("agent.command", "TASKEXEC_AGENT_COMMAND", TE_FIELD(agent.command)),
      Key("agent.preset", "TASKEXEC_AGENT_PRESET", TE_FIELD(agent.preset),
          {"openclaw-local", "openclaw", "openclaw-exec", "claude", "codex", "opencode", "gemini",
           "seed"}),
      Ranged("agent.timeout_seconds", "TASKEXEC_AGENT_TIMEOUT_SECONDS",
             TE_FIELD(agent.timeout_seconds), 1, 604800),
      Ranged("agent.kill_grace_seconds", "TASKEXEC_AGENT_KILL_GRACE_SECONDS",
             TE_FIELD(agent.kill_grace_seconds), 0, 3600),
      Ranged("agent.stall_seconds", "TASKEXEC_AGENT_STALL_SECONDS", TE_FIELD(agent.stall_seconds),
             0, 604800),
      Ranged("agent.nice", "TASKEXEC_AGENT_NICE", TE_FIELD(agent.nice), 0, 19),
      NonEmpty(Key("agent.work_dir", "TASKEXEC_AGENT_WORK_DIR", TE_FIELD(agent.work_dir))),
      NonEmpty(Key("agent.log_dir", "TASKEXEC_AGENT_LOG_DIR", TE_FIELD(agent.log_dir))),
      Key("agent.prompt_template", "TASKEXEC_AGENT_PROMPT_TEMPLATE",
          TE_FIELD(agent.prompt_template)),
      Key("agent.stdin_mode", "TASKEXEC_AGENT_STDIN_MODE", TE_FIELD(agent.stdin_mode),
          {"none", "prompt"}),
      Key("agent.env", "TASKEXEC_AGENT_ENV", TE_FIELD(agent.env)),
      Checked(Key("agent.pass_env", "TASKEXEC_AGENT_PASS_ENV", TE_FIELD(agent.pass_env)),
              CheckEnvPattern),
      Key("agent.resume_args", "TASKEXEC_AGENT_RESUME_ARGS", TE_FIELD(agent.resume_args)),
      Key("agent.resume", "TASKEXEC_AGENT_RESUME", TE_FIELD(agent.resume),
          {"never", "on_reply", "on_retry", "always"}),
      Key("agent.approvals", "TASKEXEC_AGENT_APPROVALS", TE_FIELD(agent.approvals),
          {"deny", "allow-listed", "bypass"}),

      Ranged("agent.circuit_failures", "TASKEXEC_AGENT_CIRCUIT_FAILURES",
             TE_FIELD(agent.circuit_failures), 0, 1000),
      Ranged("agent.circuit_pause_seconds", "TASKEXEC_AGENT_CIRCUIT_PAUSE_SECONDS",
             TE_FIELD(agent.circuit_pause_seconds), 1, 86400),
      Ranged("agent.circuit_max_pause_seconds", "TASKEXEC_AGENT_CIRCUIT_MAX_PAUSE_SECONDS",
             TE_FIELD(agent.circuit_max_pause_seconds), 1, 604800),
      Ranged("agent.usage_limit_pause_seconds", "TASKEXEC_AGENT_USAGE_LIMIT_PAUSE_SECONDS",
             TE_FIELD(agent.usage_limit_pause_seconds), 1, 604800),
      Key("agent.verify", "TASKEXEC_AGENT_VERIFY", TE_FIELD(agent.verify)),
      Ranged("agent.verify_timeout_seconds", "TASKEXEC_AGENT_VERIFY_TIMEOUT_SECONDS",
             TE_FIELD(agent.verify_timeout_seconds), 1, 86400),
      Key("agent.require_changes", "TASKEXEC_AGENT_REQUIRE_CHANGES",
          TE_FIELD(agent.require_changes)),

      Key("workspace.mode", "TASKEXEC_WORKSPACE_MODE", TE_FIELD(agent.workspace.mode),
          {"task", "attempt"}),
      Key("workspace.git_repo", "TASKEXEC_WORKSPACE_GIT_REPO", TE_FIELD(agent.workspace.git_repo)),
      Checked(Key("workspace.git_base", "TASKEXEC_WORKSPACE_GIT_BASE",
                  TE_FIELD(agent.workspace.git_base)),
              CheckNoWhitespace),
      Key("workspace.after_create", "TASKEXEC_WORKSPACE_AFTER_CREATE",
          TE_FIELD(agent.workspace.after_create)),
      Key("workspace.before_run", "TASKEXEC_WORKSPACE_BEFORE_RUN",
          TE_FIELD(agent.workspace.before_run)),
      Key("workspace.after_run", "TASKEXEC_WORKSPACE_AFTER_RUN",
          TE_FIELD(agent.workspace.after_run)),
      Key("workspace.before_remove", "TASKEXEC_WORKSPACE_BEFORE_REMOVE",
          TE_FIELD(agent.workspace.before_remove)),
      Ranged("workspace.hook_timeout_seconds", "TASKEXEC_WORKSPACE_HOOK_TIMEOUT_SECONDS",
             TE_FIELD(agent.workspace.hook_timeout_seconds), 1, 86400),
      Key("workspace.keep", "TASKEXEC_WORKSPACE_KEEP", TE_FIELD(agent.workspace.keep),
          {"failed", "always", "never"}),
      Ranged("workspace.max_age_days", "TASKEXEC_WORKSPACE_MAX_AGE_DAYS",
             TE_FIELD(agent.workspace.max_age_days), 0, 36500),

      Ranged("budget.task_max_cost_usd", "TASKEXEC_BUDGET_TASK_MAX_COST_USD",
             TE_FIELD(budget.task_max_cost_usd), 0, 1e9),
      Ranged("budget.task_max_tokens", "TASKEXEC_BUDGET_TASK_MAX_TOKENS",
             TE_FIELD(budget.task_max_tokens), 0, 2000000000),
      Ranged("budget.task_max_attempts", "TASKEXEC_BUDGET_TASK_MAX_ATTEMPTS",
             TE_FIELD(budget.task_max_attempts), 0, 100000),
      Ranged("budget.task_max_seconds", "TASKEXEC_BUDGET_TASK_MAX_SECONDS",
             TE_FIELD(budget.task_max_seconds), 0, 31536000),
      Ranged("budget.agent_daily_cost_usd", "TASKEXEC_BUDGET_AGENT_DAILY_COST_USD",
             TE_FIELD(budget.agent_daily_cost_usd), 0, 1e9),
      NonEmpty(Key("routing.default_agent", "TASKEXEC_ROUTING_DEFAULT_AGENT",
                   TE_FIELD(routing.default_agent))),
      Key("routing.mapping", "TASKEXEC_ROUTING_MAPPING", TE_FIELD(routing.mapping)),
      Key("routing.mode", "TASKEXEC_ROUTING_MODE", TE_FIELD(routing.mode), {"extend", "replace"}),
      Key("routing.agents", "TASKEXEC_ROUTING_AGENTS", TE_FIELD(routing.agents)),

      Checked(Key("server.listen", "TASKEXEC_SERVER_LISTEN", TE_FIELD(server.listen)), CheckListen),
      Secret(Key("server.token", "TASKEXEC_SERVER_TOKEN", TE_FIELD(server.token))),
      Checked(Key("server.allowed_hosts", "TASKEXEC_SERVER_ALLOWED_HOSTS",
                  TE_FIELD(server.allowed_hosts)),
              CheckAllowedHost),
      Checked(
          Key("server.cors_origins", "TASKEXEC_SERVER_CORS_ORIGINS", TE_FIELD(server.cors_origins)),
          CheckCorsOrigin),
      Ranged("server.max_body_bytes", "TASKEXEC_SERVER_MAX_BODY_BYTES",
             TE_FIELD(server.max_body_bytes), 1024, 1073741824),
      Ranged("server.threads", "TASKEXEC_SERVER_THREADS", TE_FIELD(server.threads), 1, 256),

      Secret(Key("notion.token", "NOTION_TOKEN", TE_FIELD(notion.token))),
      Key("notion.database_id", "NOTION_TASK_DATABASE_ID", TE_FIELD(notion.database_id)),
      Checked(Key("notion.api_base_url", "NOTION_API_BASE_URL", TE_FIELD(notion.api_base_url)),
              CheckHttpUrl),
      Key("notion.api_version", "TASKEXEC_NOTION_API_VERSION", TE_FIELD(notion.api_version),
          {"2022-06-28", "2025-09-03", "2026-03-11", "2026-12-01"}),
      Ranged("notion.poll_interval_seconds", "NOTION_POLL_INTERVAL_SECONDS",
             TE_FIELD(notion.poll_interval_seconds), 1, 86400),
      Ranged("notion.requests_per_second", "TASKEXEC_NOTION_REQUESTS_PER_SECOND",
             TE_FIELD(notion.requests_per_second), 0.1, 100),
      Ranged("notion.progress_interval_seconds", "TASKEXEC_NOTION_PROGRESS_INTERVAL_SECONDS",
             TE_FIELD(notion.progress_interval_seconds), 0, 86400),
      Secret(Key("notion.webhook_secret", "TASKEXEC_NOTION_WEBHOOK_SECRET",
                 TE_FIELD(notion.webhook_secret))),
      Key("notion.title_property", "TASKEXEC_NOTION_TITLE_PROPERTY",
          TE_FIELD(notion.title_property)),
      NonEmpty(Key("notion.status_property", "TASKEXEC_NOTION_STATUS_PROPERTY",
                   TE_FIELD(notion.status_property))),
      Key("notion.status_property_type", "TASKEXEC_NOTION_STATUS_PROPERTY_TYPE",
          TE_FIELD(notion.status_property_type), {"select", "status"}),
      NonEmpty(Key("notion.priority_property", "TASKEXEC_NOTION_PRIORITY_PROPERTY",
                   TE_FIELD(notion.priority_property))),
      NonEmpty(Key("notion.agent_property", "TASKEXEC_NOTION_AGENT_PROPERTY",
                   TE_FIELD(notion.agent_property))),
      NonEmpty(Key("notion.requester_property", "TASKEXEC_NOTION_REQUESTER_PROPERTY",
                   TE_FIELD(notion.requester_property))),
      NonEmpty(Key("notion.task_id_property", "TASKEXEC_NOTION_TASK_ID_PROPERTY",
                   TE_FIELD(notion.task_id_property))),
      Key("notion.blocked_by_property", "TASKEXEC_NOTION_BLOCKED_BY_PROPERTY",
          TE_FIELD(notion.blocked_by_property)),
      Key("notion.status_options", "TASKEXEC_NOTION_STATUS_OPTIONS",
          TE_FIELD(notion.status_options)),

      Checked(Key("neo4j.uri", "NEO4J_URI", TE_FIELD(neo4j.uri)), CheckNeo4jUri),
      NonEmpty(Key("neo4j.user", "NEO4J_USER", TE_FIELD(neo4j.user))),
      Secret(Key("neo4j.password", "NEO4J_PASSWORD", TE_FIELD(neo4j.password))),
      Key("neo4j.database", "NEO4J_DATABASE", TE_FIELD(neo4j.database)),

      ConnInfo(Key("postgres.url", "TASKEXEC_POSTGRES_URL", TE_FIELD(postgres.url))),
      Secret(Key("postgres.password", "TASKEXEC_POSTGRES_PASSWORD", TE_FIELD(postgres.password))),
      Ranged("postgres.pool_size", "TASKEXEC_POSTGRES_POOL_SIZE", TE_FIELD(postgres.pool_size), 1,
             256),
      Ranged("postgres.connect_timeout_seconds", "TASKEXEC_POSTGRES_CONNECT_TIMEOUT_SECONDS",
             TE_FIELD(postgres.connect_timeout_seconds), 1, 300),
      Ranged("postgres.retry_seconds", "TASKEXEC_POSTGRES_RETRY_SECONDS",
             TE_FIELD(postgres.retry_seconds), 1, 3600),
  };
}

#undef TE_FIELD

std::string FormatNumber(double value) {
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  std::string s = std::to_string(value);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  return s;
}

std::string Quote(const std::string& s) { return nlohmann::json(s).dump(); }

// Map keys in TOML inline tables: bare when they can be, quoted otherwise.
std::string TomlKey(const std::string& key) {
  bool bare = !key.empty();
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    bare = bare && ok;
  }
  return bare ? key : Quote(key);
}

std::string RangeText(const KeySpec& spec, std::string_view kind) {
  return std::string(kind) + " " + FormatNumber(spec.min) + ".." + FormatNumber(spec.max);
}

}  // namespace

const std::vector<KeySpec>& AllKeys() {
  static const std::vector<KeySpec> kKeys = BuildKeys();
  return kKeys;
}

const KeySpec* FindKey(std::string_view dotted_name) {
  for (const KeySpec& spec : AllKeys()) {
    if (spec.name == dotted_name) return &spec;
  }
  return nullptr;
}

FieldPtr FieldOf(const KeySpec& spec, const Config& config) {
  // The accessors take a mutable Config so the loaders can share them;
  // callers of FieldOf only read through the pointer.
  return spec.field(const_cast<Config*>(&config));
}

std::string KeyError(std::string_view key, const std::string& origin, const std::string& problem) {
  std::string out(key);
  if (!origin.empty()) out += " (from " + origin + ")";
  return out + ": " + problem;
}

std::string_view SectionOf(std::string_view name) {
  size_t dot = name.find('.');
  return dot == std::string_view::npos ? std::string_view() : name.substr(0, dot);
}

std::string_view LeafOf(std::string_view name) {
  size_t dot = name.find('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

std::string_view TypeName(const FieldPtr& field) {
  struct Visitor {
    std::string_view operator()(int*) const { return "an integer"; }
    std::string_view operator()(size_t*) const { return "a non-negative integer"; }
    std::string_view operator()(double*) const { return "a number"; }
    std::string_view operator()(bool*) const { return "a boolean (true or false)"; }
    std::string_view operator()(std::string*) const { return "a string"; }
    std::string_view operator()(std::vector<std::string>*) const { return "an array of strings"; }
    std::string_view operator()(StringMap*) const { return "a table of strings"; }
    std::string_view operator()(IntMap*) const { return "a table of integers"; }
    std::string_view operator()(StringPairs*) const { return "an array of [keyword, agent] pairs"; }
  };
  return std::visit(Visitor{}, field);
}

std::string FormatValue(const FieldPtr& field) {
  struct Visitor {
    std::string operator()(int* v) const { return std::to_string(*v); }
    std::string operator()(size_t* v) const { return std::to_string(*v); }
    std::string operator()(double* v) const { return FormatNumber(*v); }
    std::string operator()(bool* v) const { return *v ? "true" : "false"; }
    std::string operator()(std::string* v) const { return Quote(*v); }
    std::string operator()(std::vector<std::string>* v) const {
      std::string out = "[";
      for (size_t i = 0; i < v->size(); ++i) out += (i ? ", " : "") + Quote((*v)[i]);
      return out + "]";
    }
    std::string operator()(StringMap* v) const {
      std::string out = "{";
      for (const auto& [k, val] : *v) {
        out += (out.size() > 1 ? ", " : " ") + TomlKey(k) + " = " + Quote(val);
      }
      return out + (v->empty() ? "}" : " }");
    }
    std::string operator()(IntMap* v) const {
      std::string out = "{";
      for (const auto& [k, val] : *v) {
        out += (out.size() > 1 ? ", " : " ") + TomlKey(k) + " = " + std::to_string(val);
      }
      return out + (v->empty() ? "}" : " }");
    }
    std::string operator()(StringPairs* v) const {
      std::string out = "[";
      for (size_t i = 0; i < v->size(); ++i) {
        out += (i ? ", [" : "[") + Quote((*v)[i].first) + ", " + Quote((*v)[i].second) + "]";
      }
      return out + "]";
    }
  };
  return std::visit(Visitor{}, field);
}

std::string CheckValue(const KeySpec& spec, const Config& config) {
  FieldPtr field = FieldOf(spec, config);
  auto out_of_range = [&](double value, std::string_view kind) -> std::string {
    if (!spec.has_range || (value >= spec.min && value <= spec.max)) return "";
    return FormatNumber(value) + " is not allowed; expected " + RangeText(spec, kind);
  };
  if (auto* v = std::get_if<int*>(&field)) return out_of_range(**v, "an integer");
  if (auto* v = std::get_if<size_t*>(&field)) {
    return out_of_range(static_cast<double>(**v), "an integer");
  }
  if (auto* v = std::get_if<double*>(&field)) {
    if (!std::isfinite(**v)) return "a finite number is required";
    return out_of_range(**v, "a number");
  }
  if (auto* v = std::get_if<IntMap*>(&field)) {
    for (const auto& [key, value] : **v) {
      std::string problem = out_of_range(value, "an integer");
      if (!problem.empty()) return "entry " + TomlKey(key) + ": " + problem;
    }
    return "";
  }
  if (auto* v = std::get_if<std::string*>(&field)) {
    const std::string& value = **v;
    if (spec.non_empty && value.empty()) return "an empty value is not allowed";
    if (!spec.allowed.empty()) {
      for (std::string_view a : spec.allowed) {
        if (value == a) return "";
      }
      std::string list;
      for (std::string_view a : spec.allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return Quote(value) + " is not allowed; expected one of " + list;
    }
    if (spec.check_string != nullptr) {
      std::string expected = spec.check_string(value);
      if (!expected.empty()) return Quote(value) + " is not allowed; expected " + expected;
    }
  }
  if (auto* v = std::get_if<std::vector<std::string>*>(&field); v && spec.check_string) {
    for (size_t i = 0; i < (*v)->size(); ++i) {
      std::string expected = spec.check_string((**v)[i]);
      if (!expected.empty()) {
        return "entry " + std::to_string(i + 1) + ", " + Quote((**v)[i]) +
               ", is not allowed; expected " + expected;
      }
    }
  }
  return "";
}

}  // namespace taskexec::config_internal
