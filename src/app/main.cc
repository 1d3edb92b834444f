// The `taskexec` binary: wires the real configuration loader and service
// factory into the CLI. Logs go to stderr so stdout stays parseable.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "app/service_factory.h"
#include "cli/cli.h"
#include "cli/notion_commands.h"
#include "cli/schema_command.h"
#include "runner/attempt_watchdog.h"
#include "store/neo4j/neo4j_store.h"
#include "store/postgres/pg_store.h"

int main(int argc, char** argv) {
  using namespace taskexec;
  // The attempt watchdog's helper process (runner/attempt_watchdog.h): not a
  // command for people, so not in the CLI.
  if (argc == 4 && std::string(argv[1]) == "__watchdog") {
    return RunAttemptWatchdog(std::atoll(argv[2]), std::atoll(argv[3]));
  }
  // Colours only on a terminal, and never when NO_COLOR is set to anything
  // but the empty string (no-color.org) or the terminal is dumb.
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  const bool colour_off = (no_color != nullptr && *no_color != '\0') ||
                          (term != nullptr && std::string(term) == "dumb");
  auto logger = spdlog::stderr_color_mt(
      "taskexec", colour_off ? spdlog::color_mode::never : spdlog::color_mode::automatic);
  spdlog::set_default_logger(logger);

  CliDeps deps;
  deps.load_config = [](const std::string& path, const std::map<std::string, std::string>& env,
                        const ConfigOverrides& overrides, Config* out) {
    Status s = LoadConfig(path, env, overrides, out);
    if (s.ok()) {
      auto level = spdlog::level::from_str(out->log_level);
      spdlog::set_level(level == spdlog::level::off && out->log_level != "off" ? spdlog::level::info
                                                                               : level);
    }
    return s;
  };
  deps.open_service = [](const Config& cfg, StoreUse use, std::unique_ptr<TaskService>* out) {
    return use == StoreUse::kReadExisting ? OpenExistingStoreService(cfg, out)
                                          : OpenStoreService(cfg, out);
  };
  deps.run_service = RunService;
  RegisterNeo4jStore();     // OpenStore's "neo4j" backend
  RegisterPostgresStore();  // and its "postgres" one
  deps.check_config = [](const Config& cfg, std::ostream& out) {
    std::unique_ptr<TaskStore> store;
    if (Status s = CheckConfig(cfg, out, &store); !s.ok()) return s;
    if (Status s = CheckPostgresServer(cfg, store.get(), out); !s.ok()) return s;
    return CheckNeo4jServer(cfg, store.get(), out);  // server agent and Bolt version
  };
  deps.describe_config = DescribeConfig;
  deps.sleep_ms = [](int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };

  CliContext ctx(std::move(deps), std::cout, std::cerr, std::cin, ProcessEnvironment());
  ctx.extra_groups.push_back(RegisterNotionCommands);
  ctx.extra_groups.push_back(RegisterSchemaCommands);
  return RunCli(argc, argv, ctx);
}
