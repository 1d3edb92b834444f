// CliContext: what every `taskexec` subcommand works with — the global
// options, the output streams, and the outside world (config loading, the
// TaskService, the service runner) as injectable functions, so parsing and
// dispatch run in-process in tests against a fake TaskService.
//
// Thread-safety: single-threaded (one CLI invocation).
#pragma once

#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "api/task_service.h"
#include "cli/output.h"
#include "config/config.h"
#include "core/status.h"

namespace CLI {
class App;
}

namespace taskexec {

class CliContext;

// What a command does with the store: a command that only reads never
// creates one (`taskexec tasks` in an empty folder must not leave a
// taskexec.db behind).
enum class StoreUse { kWrite, kReadExisting };

// Adds one group of subcommands to the app (see cli/commands.h).
using CommandRegistrar = std::function<void(CLI::App&, CliContext&)>;

// The CLI's dependencies. main.cc wires the real ones (LoadConfig,
// OpenStoreService, RunService, CheckConfig); tests wire fakes.
struct CliDeps {
  std::function<Status(const std::string& path, const std::map<std::string, std::string>& env,
                       const ConfigOverrides& overrides, Config* out)>
      load_config;
  std::function<Status(const Config&, StoreUse, std::unique_ptr<TaskService>*)> open_service;
  std::function<int(const Config&)> run_service;
  std::function<Status(const Config&, std::ostream&)> check_config;
  std::function<std::string(const Config&, bool redact_secrets)> describe_config;
  std::function<void(int ms)> sleep_ms;  // `logs --follow` polling
};

// Options valid before or after any subcommand.
struct GlobalOptions {
  std::string config_path;        // --config (else env TASKEXEC_CONFIG)
  std::string db_path;            // --db: overrides store.db_path
  std::vector<std::string> sets;  // --set key=value, repeatable
  bool json = false;              // --json: machine-readable output
};

class CliContext {
 public:
  CliContext(CliDeps deps, std::ostream& out, std::ostream& err, std::istream& in,
             std::map<std::string, std::string> env);

  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  std::istream& in() { return in_; }
  const std::map<std::string, std::string>& env() const { return env_; }
  const CliDeps& deps() const { return deps_; }

  // Loads the configuration from --config/TASKEXEC_CONFIG, the environment,
  // --set, --db and `overrides` (command-specific, e.g. serve --listen).
  // Loaded once; later calls return the same Config.
  Status LoadConfig(Config* out);
  // Loads the config and opens the store-only TaskService over it
  // (deps().open_service; with kReadExisting a store that does not exist
  // yet is NotFound instead of being created).
  Status OpenService(std::unique_ptr<TaskService>* out, StoreUse use = StoreUse::kWrite);
  // The loaded config (after LoadConfig/OpenService succeeded).
  const Config& config() const { return *config_; }

  // Prints "taskexec: error: <message>" to err() and returns exit code 1.
  int Fail(const Status& s);
  // After queueing work (task add, execute): a warning on err() when no
  // service runs on the store (no live heartbeat), since nothing would run
  // it until one starts. Silent when that cannot be told.
  void WarnWithoutService(TaskService& service);
  // Prints a table to out(), fitted to the terminal: COLUMNS from the
  // environment when set, else the width of the terminal out() is (when it
  // is std::cout on a terminal), else unfitted (pipes get whole cells).
  void PrintTable(const Table& table);
  size_t TerminalColumns() const;
  // Pretty JSON (invalid UTF-8 replaced, never throws) plus newline to out().
  void PrintJson(const nlohmann::json& j);

  GlobalOptions options;
  ConfigOverrides overrides;  // set by subcommands before LoadConfig
  // Groups beyond the built-in ones (commands that need other modules);
  // registered by RunCli after the built-ins.
  std::vector<CommandRegistrar> extra_groups;
  // Set by the chosen subcommand's parse callback; run after parsing.
  std::function<int()> action;
  int follow_poll_ms = 500;

 private:
  CliDeps deps_;
  std::ostream& out_;
  std::ostream& err_;
  std::istream& in_;
  std::map<std::string, std::string> env_;
  std::optional<Config> config_;
};

}  // namespace taskexec
