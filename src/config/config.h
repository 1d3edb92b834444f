// Config: every setting of taskexec in one validated value.
//
// Sources, highest precedence first: command-line flags > environment
// variables > the TOML file > built-in defaults. The variables existing
// deployments set keep their names and defaults (TASK_EXECUTOR_MAX_RETRIES=3,
// TASK_EXECUTOR_RETRY_DELAY_SECONDS=30, TASK_EXECUTOR_POLL_INTERVAL=30,
// NOTION_*, NEO4J_*); everything else is TASKEXEC_<SECTION>_<KEY>. See
// docs/configuration.md for the full table.
//
// Thread-safety: a Config is an immutable value once loaded.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace taskexec {

struct StoreConfig {
  std::string backend = "sqlite";       // sqlite | postgres | neo4j
  std::string db_path = "taskexec.db";  // sqlite file
  int busy_timeout_ms = 5000;
};

struct ExecutorConfig {
  int max_retries = 3;                 // TASK_EXECUTOR_MAX_RETRIES: retries after the first attempt
  int retry_delay_seconds = 30;        // TASK_EXECUTOR_RETRY_DELAY_SECONDS: first retry delay
  int retry_max_delay_seconds = 3600;  // backoff cap
  double retry_jitter = 0.2;           // +-20% of each delay
  int poll_interval_seconds = 30;  // TASK_EXECUTOR_POLL_INTERVAL: full sweep (leases, due retries)
  int store_poll_ms = 1000;        // cheap check for tasks added by other processes
  bool auto_assign = true;         // false: tasks wait for `execute`
  int max_concurrent = 8;          // global limit of running sessions
  int per_agent_limit = 4;         // default limit per agent
  std::map<std::string, int> agent_limits;  // overrides per agent
  // Task type (compared case-insensitively) -> how many of its tasks may
  // run here at once; types not listed have no cap of their own.
  std::map<std::string, int> max_concurrent_by_type;
  int lease_seconds = 30;           // lease length; renewed every lease_seconds/3
  int shutdown_grace_seconds = 10;  // on stop, wait this long before releasing sessions
  std::string executor_id;          // empty = generated per process
};

// Where an attempt's agent works (runner/workspace.h, docs/runner.md
// "Workspaces"). Its keys are "workspace.*"; it lives in AgentConfig because
// the runner that makes the workspaces is given only that.
struct WorkspaceConfig {
  // task: <agent.work_dir>/<task id>/, made once and kept across the task's
  // attempts; attempt: <agent.work_dir>/<execution id>/, fresh each time.
  std::string mode = "task";
  std::string git_repo;  // a local repository or a URL: workspaces become its worktrees
  std::string git_base;  // what a new task branch starts from; empty = the repository's HEAD
  // Hook commands (argv, no shell), run in the workspace with the attempt's
  // environment; empty = none.
  std::vector<std::string> after_create;   // once, when the workspace is made
  std::vector<std::string> before_run;     // before every attempt
  std::vector<std::string> after_run;      // after every attempt (TASKEXEC_OUTCOME set)
  std::vector<std::string> before_remove;  // before a workspace is removed
  int hook_timeout_seconds = 120;
  // Which finished tasks' workspaces are kept (engine/workspace_janitor.h):
  // failed (those of failed and cancelled tasks), always, never; and for
  // how many days after the task ended (0 = for good).
  std::string keep = "failed";
  int max_age_days = 14;
};

struct AgentConfig {
  std::vector<std::string> command;  // argv template; empty = the preset's
  // openclaw-local | openclaw | openclaw-exec | claude | codex | opencode | seed
  // (runner/presets.cc)
  std::string preset = "openclaw-local";
  int timeout_seconds = 300;    // per attempt
  int kill_grace_seconds = 10;  // TERM -> KILL
  // An attempt whose agent writes nothing to stdout or stderr for this long
  // is stopped like a timeout and recorded as "stalled"; 0 = never.
  int stall_seconds = 600;
  // How many nice levels below the service's an attempt's processes run
  // (its supervisor, the agent and all it starts; 0..19, 0 = the same), so
  // the service's dispatch, lease renewals and API are not queued behind
  // agents that keep every core busy.
  int nice = 10;
  std::string work_dir = "var/work";       // per-execution working dirs below this
  std::string log_dir = "var/logs";        // per-execution logs
  std::string prompt_template;             // empty = the built-in prompt (runner/prompt.h)
  std::string stdin_mode = "none";         // none | prompt: also write the prompt to stdin
  std::map<std::string, std::string> env;  // extra environment for the child
  // Variables of the service's environment an agent also inherits, beyond
  // the allow-list of runner/agent_env.h: names or "PREFIX_*" globs.
  // taskexec's own secrets are withheld even when matched.
  std::vector<std::string> pass_env;
  // Arguments appended to the command when an attempt continues the task's
  // earlier session ({resume_session_id} = that session); empty = the
  // preset's.
  std::vector<std::string> resume_args;
  // When an attempt continues the earlier session (engine/resume_policy.h):
  // never | on_reply | on_retry | always.
  std::string resume = "on_reply";
  // What an agent may do that would need a person's approval, given to the
  // preset's CLI so it never waits for one: deny | allow-listed | bypass.
  std::string approvals = "deny";
  // This many consecutive failed attempts of one agent (across its tasks)
  // pause it for circuit_pause_seconds, doubling on each further opening up
  // to circuit_max_pause_seconds; 0 = never (engine/circuit_breaker.h).
  int circuit_failures = 5;
  int circuit_pause_seconds = 300;
  int circuit_max_pause_seconds = 3600;
  // How long an agent whose provider reported its usage limit is paused
  // when the output does not say when the limit resets.
  int usage_limit_pause_seconds = 900;
  WorkspaceConfig workspace;
  // Run in the workspace after an attempt reported completion (argv, no
  // shell); a non-zero exit fails the attempt as verification_failed.
  std::vector<std::string> verify;
  int verify_timeout_seconds = 300;
  // A completion that changed nothing in the workspace fails the same way.
  bool require_changes = false;
};

// What one task may spend before the engine stops starting it (core/budget.h);
// 0 = no limit. A task's own limits replace these for that task.
struct BudgetConfig {
  double task_max_cost_usd = 0;  // summed cost the agents reported
  int task_max_tokens = 0;       // summed tokens of every kind
  int task_max_attempts = 0;     // attempts started, whatever reset the retry counter
  int task_max_seconds = 0;      // summed run time
  // What one agent's attempts may cost per UTC day (every executor's); at
  // it the agent is paused until the next UTC midnight.
  double agent_daily_cost_usd = 0;
};

struct RoutingConfig {
  std::string default_agent = "main";
  // Custom keyword -> agent entries, in order. With mode "extend" they are
  // checked before the built-in table; "replace" drops the built-in table.
  std::vector<std::pair<std::string, std::string>> mapping;
  std::string mode = "extend";
  // Agents taskexec may route to; an assignment or mapping naming another is
  // refused. Defaults to main and the six OpenClaw agents.
  std::vector<std::string> agents = {"main",  "mongke", "temujin", "chagatai",
                                     "jochi", "ogedei", "kublai"};
};

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";  // host:port; empty = no HTTP server
  std::string token;                      // bearer token; required beyond loopback
  // Host names (besides this server's addresses and localhost) requests may
  // carry in Host: "name", ".example.com" (and subdomains), "*" (any).
  std::vector<std::string> allowed_hosts;
  // Origins ("https://ui.example.com") allowed to call the API from a browser:
  // they pass the Origin check and get CORS headers. Empty = same-origin only.
  std::vector<std::string> cors_origins;
  size_t max_body_bytes = 2 * 1024 * 1024;
  int threads = 16;  // half may hold event streams (GET /api/v1/events)
};

struct NotionConfig {
  bool enabled = false;                                    // true when token and database are set
  std::string token;                                       // NOTION_TOKEN
  std::string database_id;                                 // NOTION_TASK_DATABASE_ID
  std::string api_base_url = "https://api.notion.com/v1";  // NOTION_API_BASE_URL
  std::string api_version = "2026-12-01";                  // or 2022-06-28, 2025-09-03, 2026-03-11
  int poll_interval_seconds = 60;                          // NOTION_POLL_INTERVAL_SECONDS
  double requests_per_second = 3.0;
  // How often a running attempt's progress comment on its card is updated
  // (created at the start, closed at the end); 0 = no progress comments.
  int progress_interval_seconds = 30;
  std::string webhook_secret;  // verification token for X-Notion-Signature
  // Property names and status options (defaults: docs/notion.md's board).
  std::string title_property;  // empty = the database's title property
  std::string status_property = "Status";
  std::string status_property_type = "select";  // select | status
  std::string priority_property = "Priority";
  std::string agent_property = "Agent";
  std::string requester_property = "Requester";
  std::string task_id_property = "Neo4j Task ID";
  // A relation column of the board to itself naming the cards a card waits
  // for (Notion's "Blocked by"); read into Task::blocked_by. Empty = none.
  std::string blocked_by_property;
  std::map<std::string, std::string> status_options;  // store status -> Notion option name
};

struct Neo4jConfig {
  std::string uri;  // NEO4J_URI: bolt://, bolt+s://, bolt+ssc://, neo4j://...
  std::string user = "neo4j";
  std::string password;
  std::string database;  // empty = server default
};

struct PostgresConfig {
  // TASKEXEC_POSTGRES_URL: a libpq URI or key=value conninfo (sslmode and
  // every other libpq option honoured). A password in it is a secret.
  std::string url;
  std::string password;             // TASKEXEC_POSTGRES_PASSWORD; overrides the url's
  int pool_size = 8;                // connections per service, opened on demand
  int connect_timeout_seconds = 5;  // per connection attempt (config check, start)
  // How long one transaction retries a lost connection or a serialization
  // failure before it reports the store unavailable (the engine then keeps
  // outcomes in memory and holds intake until the store answers).
  int retry_seconds = 30;
};

struct Config {
  StoreConfig store;
  ExecutorConfig executor;
  AgentConfig agent;
  BudgetConfig budget;
  RoutingConfig routing;
  ServerConfig server;
  NotionConfig notion;
  Neo4jConfig neo4j;
  PostgresConfig postgres;
  std::string log_level = "info";
  std::string source_file;  // the TOML file it was read from, if any
};

// Command-line overrides, already split as key -> value with dotted keys
// ("executor.max_retries", "store.db_path", "server.listen").
using ConfigOverrides = std::map<std::string, std::string>;

// Loads defaults, then `path` (if not empty; missing file is an error), then
// the environment `env` (name -> value), then `overrides`, and validates the
// result. Errors name the key, where the value came from, the value and what
// is allowed, e.g.
//   executor.max_retries (from TASK_EXECUTOR_MAX_RETRIES): -1 is not allowed; expected an integer
//   0..100 executor.max_retries (from /etc/taskexec.toml line 4): expected an integer, got string
//   "three"
// Every value is checked when its source sets it, so a wrong value is refused
// even if a higher-precedence source overrides it. Unknown keys in the file
// or the overrides are refused; unknown environment variables are ignored.
// Environment and override values use the same text syntax (value_parse.h):
// lists and tables as JSON, e.g. TASKEXEC_AGENT_COMMAND='["a","{agent}"]'.
// OPENCLAW_SESSIONS_SPAWN_CMD (seed preset only, when agent.command is not
// set anywhere) replaces the words "openclaw sessions_spawn" of the seed
// command; it is split on whitespace. On error `out` is untouched.
Status LoadConfig(const std::string& path, const std::map<std::string, std::string>& env,
                  const ConfigOverrides& overrides, Config* out);

// The process environment as a map (for LoadConfig).
std::map<std::string, std::string> ProcessEnvironment();

// Checks every key's allowed values and the cross-field rules (agents named
// in mapping/default/limits exist, Notion token and database together, a
// Neo4j URI for the neo4j backend, a token for a non-loopback listen
// address, retry_max_delay_seconds >= retry_delay_seconds, ...). LoadConfig
// calls it; call it again after changing a Config by hand.
Status ValidateConfig(const Config& config);

// taskexec's own secrets, which no agent may see: the environment variables
// they are read from (NOTION_TOKEN, TASKEXEC_SERVER_TOKEN, ...) and the
// non-empty values `config` holds for them.
std::vector<std::string> SecretEnvironmentNames();
std::vector<std::string> SecretValues(const Config& config);

// The effective configuration as TOML (every key, in the order of
// docs/configuration.md), for `taskexec config check`. With redact_secrets,
// non-empty secrets (notion.token, notion.webhook_secret, neo4j.password,
// server.token) and the values of agent.env print as "***".
std::string DescribeConfig(const Config& config, bool redact_secrets);

}  // namespace taskexec
