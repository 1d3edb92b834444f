#include "config/validate.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/listen_address.h"
#include "core/task_status.h"

namespace taskexec::config_internal {
namespace {

std::string Quote(const std::string& s) { return nlohmann::json(s).dump(); }

std::string OriginOf(const Origins* origins, const std::string& key) {
  if (origins == nullptr) return "";
  auto it = origins->find(key);
  return it == origins->end() ? "default" : it->second;
}

bool IsAgentName(const std::string& name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool HasAlnum(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

class Checker {
 public:
  Checker(const Config& config, const Origins* origins) : c_(config), origins_(origins) {}

  Status Run() {
    for (const KeySpec& spec : AllKeys()) {
      std::string problem = CheckValue(spec, c_);
      if (!problem.empty()) return Fail(std::string(spec.name), problem);
    }
    Status s = CheckRouting();
    if (s.ok()) s = CheckExecutor();
    if (s.ok()) s = CheckAgent();
    if (s.ok()) s = CheckNotion();
    if (s.ok()) s = CheckStoreAndServer();
    return s;
  }

 private:
  Status Fail(const std::string& key, const std::string& problem) const {
    return Status::InvalidArgument(KeyError(key, OriginOf(origins_, key), problem));
  }

  // For a required value no source set: naming an origin ("default") would
  // only confuse, so the message says what is missing and how to set it.
  static Status Missing(const std::string& key, const std::string& why) {
    return Status::InvalidArgument(key + " is missing: " + why);
  }

  std::string KnownAgents() const {
    std::string list;
    for (const std::string& a : c_.routing.agents) list += (list.empty() ? "" : ", ") + a;
    return list;
  }

  bool IsKnown(const std::string& agent) const {
    const auto& agents = c_.routing.agents;
    return std::find(agents.begin(), agents.end(), agent) != agents.end();
  }

  Status CheckRouting() const {
    const RoutingConfig& r = c_.routing;
    if (r.agents.empty()) return Fail("routing.agents", "at least one agent is required");
    std::set<std::string> seen;
    for (const std::string& agent : r.agents) {
      if (!IsAgentName(agent) || agent == "any") {
        return Fail("routing.agents",
                    Quote(agent) +
                        " is not allowed; expected lower-case names of letters, digits, _ and - "
                        "(\"any\" is reserved)");
      }
      if (!seen.insert(agent).second) {
        return Fail("routing.agents", Quote(agent) + " is listed twice");
      }
    }
    if (!IsKnown(r.default_agent)) {
      return Fail("routing.default_agent", Quote(r.default_agent) +
                                               " is not allowed; expected one of routing.agents (" +
                                               KnownAgents() + ")");
    }
    for (size_t i = 0; i < r.mapping.size(); ++i) {
      const auto& [keyword, agent] = r.mapping[i];
      std::string entry =
          "entry " + std::to_string(i) + " [" + Quote(keyword) + ", " + Quote(agent) + "]: ";
      if (!HasAlnum(keyword)) {
        return Fail("routing.mapping", entry + "the keyword needs at least one letter or digit");
      }
      if (!IsKnown(agent)) {
        return Fail("routing.mapping", entry + "unknown agent; expected one of routing.agents (" +
                                           KnownAgents() + ")");
      }
    }
    return Status::OK();
  }

  Status CheckExecutor() const {
    const ExecutorConfig& e = c_.executor;
    for (const auto& [agent, limit] : e.agent_limits) {
      (void)limit;
      if (!IsKnown(agent)) {
        return Fail("executor.agent_limits", Quote(agent) +
                                                 " is not a known agent; expected one of "
                                                 "routing.agents (" +
                                                 KnownAgents() + ")");
      }
    }
    std::map<std::string, std::string> types;  // lower case -> as written
    for (const auto& [type, cap] : e.max_concurrent_by_type) {
      (void)cap;
      std::string lower = type;
      for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (lower.find_first_not_of(" \t") == std::string::npos) {
        return Fail("executor.max_concurrent_by_type", "a task type must not be blank");
      }
      auto [it, added] = types.emplace(lower, type);
      if (!added) {
        return Fail("executor.max_concurrent_by_type",
                    Quote(it->second) + " and " + Quote(type) +
                        " are the same type (types compare case-insensitively)");
      }
    }
    if (e.retry_max_delay_seconds < e.retry_delay_seconds) {
      return Fail("executor.retry_max_delay_seconds",
                  std::to_string(e.retry_max_delay_seconds) +
                      " is not allowed; expected at least executor.retry_delay_seconds (" +
                      std::to_string(e.retry_delay_seconds) + ")");
    }
    return Status::OK();
  }

  Status CheckAgent() const {
    const AgentConfig& a = c_.agent;
    if (!a.command.empty() && a.command.front().empty()) {
      return Fail("agent.command", "the program (first element) must not be empty");
    }
    for (const auto& [name, value] : a.env) {
      (void)value;
      if (name.empty() || name.find('=') != std::string::npos ||
          name.find('\0') != std::string::npos) {
        return Fail("agent.env", Quote(name) + " is not a valid environment variable name");
      }
    }
    // An agent can print anything it sees; taskexec's secrets must stay out.
    std::vector<std::string> secrets = SecretValues(c_);
    for (const auto& [name, value] : a.env) {
      if (!value.empty() && std::find(secrets.begin(), secrets.end(), value) != secrets.end()) {
        return Fail("agent.env", Quote(name) +
                                     " holds one of taskexec's own secrets (server.token, "
                                     "notion.token, notion.webhook_secret or neo4j.password); "
                                     "agents never get those");
      }
    }
    return CheckWorkspace();
  }

  // Commands run without a shell: the program must be named. git arguments
  // must not read as options.
  Status CheckWorkspace() const {
    const WorkspaceConfig& w = c_.agent.workspace;
    const std::pair<const char*, const std::vector<std::string>*> commands[] = {
        {"agent.verify", &c_.agent.verify},
        {"workspace.after_create", &w.after_create},
        {"workspace.before_run", &w.before_run},
        {"workspace.after_run", &w.after_run},
        {"workspace.before_remove", &w.before_remove}};
    for (const auto& [key, argv] : commands) {
      if (!argv->empty() && argv->front().empty()) {
        return Fail(key, "the program (first element) must not be empty");
      }
    }
    if (!w.git_repo.empty() && w.git_repo.front() == '-') {
      return Fail("workspace.git_repo", Quote(w.git_repo) + " must not start with '-'");
    }
    if (!w.git_base.empty() && w.git_base.front() == '-') {
      return Fail("workspace.git_base", Quote(w.git_base) + " must not start with '-'");
    }
    if (!w.git_repo.empty() && w.mode != "task") {
      return Fail("workspace.git_repo",
                  "a git workspace is kept across the task's attempts; it needs workspace.mode = "
                  "\"task\" (it is \"" +
                      w.mode + "\")");
    }
    return Status::OK();
  }

  Status CheckNotion() const {
    const NotionConfig& n = c_.notion;
    bool has_token = !n.token.empty();
    bool has_database = !n.database_id.empty();
    if (has_token && !has_database) {
      return Missing("notion.database_id",
                     "notion.token is set (from " + OriginOf(origins_, "notion.token") +
                         ") but Notion also needs the database; set NOTION_TASK_DATABASE_ID or "
                         "[notion] database_id");
    }
    if (has_database && !has_token) {
      return Missing("notion.token", "notion.database_id is set (from " +
                                         OriginOf(origins_, "notion.database_id") +
                                         ") but Notion also needs the token; set NOTION_TOKEN or "
                                         "[notion] token");
    }
    if (n.enabled && !(has_token && has_database)) {
      return Status::InvalidArgument(
          "notion.enabled is true but notion.token and notion.database_id are not set");
    }
    for (const auto& [status, option] : n.status_options) {
      if (!ParseTaskStatus(status).has_value()) {
        std::string list;
        for (TaskStatus s : AllTaskStatuses()) {
          list += (list.empty() ? "" : ", ") + std::string(ToString(s));
        }
        return Fail("notion.status_options",
                    "key " + Quote(status) + " is not a task status; expected one of " + list);
      }
      if (option.empty()) {
        return Fail("notion.status_options", "the option for " + Quote(status) + " is empty");
      }
    }
    return Status::OK();
  }

  Status CheckStoreAndServer() const {
    if (c_.store.backend == "neo4j" && c_.neo4j.uri.empty()) {
      return Missing("neo4j.uri", "store.backend is \"neo4j\" (from " +
                                      OriginOf(origins_, "store.backend") +
                                      "); set NEO4J_URI or [neo4j] uri");
    }
    if (c_.store.backend == "postgres" && c_.postgres.url.empty()) {
      return Missing("postgres.url", "store.backend is \"postgres\" (from " +
                                         OriginOf(origins_, "store.backend") +
                                         "); set TASKEXEC_POSTGRES_URL or [postgres] url");
    }
    if (c_.server.listen.empty()) return Status::OK();
    ListenAddress addr;
    if (Status s = ParseListenAddress(c_.server.listen, &addr); !s.ok()) {
      // The parser names the key itself; keep only what is wrong.
      const std::string& m = s.message();
      return Fail("server.listen",
                  m.substr(m.find(": ") == std::string::npos ? 0 : m.find(": ") + 2));
    }
    if (!IsLoopbackHost(addr.host) && c_.server.token.empty()) {
      return Missing("server.token", "server.listen " + Quote(c_.server.listen) +
                                         " is not a loopback address, so a bearer token is "
                                         "required; set TASKEXEC_SERVER_TOKEN or [server] token");
    }
    return Status::OK();
  }

  const Config& c_;
  const Origins* origins_;
};

}  // namespace

Status ValidateWithOrigins(const Config& config, const Origins* origins) {
  return Checker(config, origins).Run();
}

}  // namespace taskexec::config_internal
