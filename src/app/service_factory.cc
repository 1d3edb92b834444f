#include "app/service_factory.h"

#include <pthread.h>
#include <signal.h>
#include <algorithm>
#include <chrono>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "app/notion_probe.h"
#include "app/webhook_route.h"
#include "config/conninfo.h"
#include "core/writable_dir.h"
#include "engine/budget_rules.h"
#include "engine/engine_service.h"
#include "engine/store_service.h"
#include "notion/notion_sync.h"
#include "notion/prune_rules.h"
#include "runner/agent_env.h"
#include "runner/agent_runner.h"
#include "runner/attempt_watchdog.h"
#include "runner/descriptor_budget.h"
#include "runner/exit_record.h"
#include "runner/presets.h"
#include "runner/process_launcher.h"
#include "runner/program_probe.h"
#include "server/http_server.h"
#include "store/store_factory.h"

namespace taskexec {
namespace {

// Owns the store for a StoreTaskService handed out to the CLI.
class OwningStoreService : public StoreTaskService {
 public:
  OwningStoreService(std::unique_ptr<TaskStore> store, std::unique_ptr<AgentRouter> router)
      : StoreTaskService(store.get(), router.get(), SystemClock::Default()),
        store_(std::move(store)),
        router_(std::move(router)) {}

  TaskStore* store() const { return store_.get(); }

 private:
  std::unique_ptr<TaskStore> store_;
  std::unique_ptr<AgentRouter> router_;
};

// Where the store is, for people to read: never a password.
std::string StoreLocation(const Config& cfg) {
  if (cfg.store.backend == "postgres") return RedactConnInfo(cfg.postgres.url);
  if (cfg.store.backend == "neo4j") return cfg.neo4j.uri;
  return cfg.store.db_path;
}

}  // namespace

Status OpenExistingStoreService(const Config& cfg, std::unique_ptr<TaskService>* out) {
  if (cfg.store.backend == "sqlite" && cfg.store.db_path != ":memory:") {
    std::error_code ec;
    if (!std::filesystem::exists(cfg.store.db_path, ec)) {
      return Status::NotFound("no task store at " + cfg.store.db_path +
                              ": nothing was added here yet (taskexec task add or serve makes "
                              "it); --db or store.db_path names another");
    }
  }
  return OpenStoreService(cfg, out);
}

Status OpenStoreService(const Config& cfg, std::unique_ptr<TaskService>* out) {
  std::unique_ptr<TaskStore> store;
  if (Status s = OpenStore(cfg, &store); !s.ok()) return s;
  PruneSetup prune = notion::PruneRules(store.get(), cfg.notion.enabled);
  prune.log_dir = cfg.agent.log_dir;
  prune.work_dir = cfg.agent.work_dir;
  auto service = std::make_unique<OwningStoreService>(std::move(store),
                                                      std::make_unique<AgentRouter>(cfg.routing));
  service->SetPruneSetup(std::move(prune));
  service->SetWorkspaceJanitor(
      std::make_shared<WorkspaceJanitor>(cfg.agent, service->store(), SystemClock::Default(),
                                         AgentEnvironment::FromConfig(cfg, ProcessEnvironment())));
  service->SetBudget(ConfiguredLimits(cfg.budget));
  service->SetAgentLimits(cfg.executor.per_agent_limit, cfg.executor.agent_limits);
  service->SetDailyCostLimit(cfg.budget.agent_daily_cost_usd);
  *out = std::move(service);
  return Status::OK();
}

// taskexec-attempt beside this program, or "" when there is none.
static std::string AttemptShimOfThisProgram() {
  std::error_code ec;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  return ec ? std::string() : AttemptShimBeside(self);
}

// Real agent processes, each watched by a helper that stops it if this
// process dies (runner/attempt_watchdog.h). Without the helper (it could not
// start) attempts still run; a restarted service then kills what it finds.
static Engine::LauncherFactory WatchedProcessLaunchers(const Config& cfg) {
  return [&cfg]() -> std::unique_ptr<AgentLauncher> {
    std::unique_ptr<AttemptWatchdog> watchdog;
    std::error_code ec;
    const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    Status s = ec ? Status::IOError("cannot find this program: " + ec.message())
                  : AttemptWatchdog::Start(self, cfg.agent.kill_grace_seconds * 1000LL, &watchdog);
    if (!s.ok()) spdlog::error("{}; attempts are not watched", s.ToString());
    std::string shim = ec ? std::string() : AttemptShimBeside(self);
    if (shim.empty()) {
      spdlog::warn(
          "no taskexec-attempt beside {}: an agent that ends while this service is down "
          "or frozen is run again",
          self);
    }
    return std::make_unique<ProcessLauncher>(
        cfg.agent, SystemClock::Default(), AgentEnvironment::FromConfig(cfg, ProcessEnvironment()),
        std::move(watchdog), std::move(shim));
  };
}

// Takes every descriptor the hard limit allows, and runs no more sessions
// at once than those can hold (runner/descriptor_budget.h).
static void FitSessionsToDescriptors(Config* cfg, bool supervised) {
  const uint64_t per_attempt = DescriptorsPerAttempt(cfg->agent, supervised);
  OpenFileLimit limit;
  if (Status s = RaiseOpenFileLimit(&limit); !s.ok()) {
    spdlog::warn("cannot raise the open-file limit: {}", s.ToString());
    if (!ReadOpenFileLimit(&limit).ok()) return;
  } else if (limit.soft > limit.before) {
    spdlog::info("open-file limit raised from {} to {}", limit.before, limit.soft);
  }
  const std::string problem = SessionLimitProblem(cfg->executor.max_concurrent, limit, per_attempt);
  if (problem.empty()) return;
  spdlog::error("{}", problem);
  cfg->executor.max_concurrent = MaxSessionsFor(limit.soft, per_attempt);
}

int RunService(const Config& given) {
  Config cfg = given;
  FitSessionsToDescriptors(&cfg, !AttemptShimOfThisProgram().empty());
  const int configured_sessions = given.executor.max_concurrent;
  const int session_limit = cfg.executor.max_concurrent;
  // SIGINT/SIGTERM are taken by sigwait() below; block them before any
  // thread starts so every thread inherits the mask. (The runner resets the
  // mask in each child.)
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<TaskStore> store;
  // The one place (with `schema apply`) that applies the Neo4j schema; CLI
  // commands open without it.
  if (Status s = OpenStoreAndApplySchema(cfg, &store); !s.ok()) {
    spdlog::critical("cannot open the store: {}", s.ToString());
    return 1;
  }
  EngineService engine_service(cfg, store.get(), SystemClock::Default(),
                               WatchedProcessLaunchers(cfg));
  engine_service.SetPruneHooks(notion::PruneRules(store.get(), cfg.notion.enabled));
  // Notion next: a board whose schema does not match the mapping is refused
  // before any work is claimed.
  std::unique_ptr<notion::NotionSync> sync;
  if (cfg.notion.enabled) {
    sync = std::make_unique<notion::NotionSync>(notion::SyncOptionsFromConfig(cfg.notion),
                                                store.get(), &engine_service);
    if (Status s = sync->Init(); !s.ok()) {
      spdlog::critical("Notion: {}", s.ToString());
      return 1;
    }
  }
  // The HTTP server before the engine: if its port is taken, stop before
  // claiming work.
  std::unique_ptr<HttpServer> server;
  if (!cfg.server.listen.empty()) {
    server = std::make_unique<HttpServer>(cfg.server, &engine_service);
    server->SetArtifactRoots({cfg.agent.work_dir});
    ServiceProbe sessions;
    sessions.name = "sessions";  // metrics only: no readiness check
    sessions.metrics = [configured_sessions, session_limit] {
      return SessionLimitMetrics(configured_sessions, session_limit);
    };
    server->AddProbe(sessions);
    if (sync) {
      notion::RegisterWebhook(*server, sync.get());
      server->AddProbe(notion::NotionProbe(sync.get()));
    }
    if (Status s = server->Start(); !s.ok()) {
      spdlog::critical("cannot start the HTTP server on {}: {}", cfg.server.listen, s.ToString());
      return 1;
    }
    spdlog::info("HTTP API and dashboard on http://{}/ (port {})", cfg.server.listen,
                 server->port());
  }
  if (!server) spdlog::info("HTTP API off (server.listen is empty)");
  if (Status s = engine_service.Start(); !s.ok()) {
    spdlog::critical("cannot start the engine: {}", s.ToString());
    return 1;
  }
  if (sync) {
    if (Status s = sync->Start(); !s.ok()) {
      spdlog::critical("Notion sync: {}", s.ToString());
      engine_service.Stop();
      return 1;
    }
    spdlog::info("Notion sync running for database {}", cfg.notion.database_id);
  }
  spdlog::info("taskexec running (store {} at {}); Ctrl-C stops", cfg.store.backend,
               StoreLocation(cfg));

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("signal {} received: stopping (grace {} s)", sig,
               cfg.executor.shutdown_grace_seconds);
  if (sync) sync->Stop();
  if (server) server->Stop();
  engine_service.Stop();
  // A last outbox flush so the board shows the final states. Bounded, so a
  // slow or throttling Notion cannot hold the shutdown: what it does not
  // write stays in the store's outbox for the next start.
  if (sync) {
    if (Status s = sync->FlushOutbox(std::chrono::seconds(10)); !s.ok())
      spdlog::warn("Notion: final flush incomplete: {}", s.ToString());
  }
  return 0;
}

// How long `config check` waits for the agent program's --version (Node
// CLIs take a few seconds to start on a loaded machine).
constexpr int64_t kProgramProbeMs = 20000;

Status CheckConfig(const Config& cfg, std::ostream& out, std::unique_ptr<TaskStore>* store_out) {
  if (Status s = ValidateConfig(cfg); !s.ok()) return s;
  out << "configuration: ok" << (cfg.source_file.empty() ? "" : " (" + cfg.source_file + ")")
      << "\n";
  std::vector<std::string> command = cfg.agent.command;
  if (command.empty()) {
    Status s;
    command = PresetCommand(cfg.agent.preset, &s);
    if (!s.ok()) return s;
  }
  if (Status s = AgentRunner::ValidateTemplate(command); !s.ok()) return s;
  out << "agent command:";
  for (const auto& a : command) out << " " << a;
  out << "\n";
  // Names only: pass_env values are often the user's own API keys.
  AgentEnvironment environment = AgentEnvironment::FromConfig(cfg, ProcessEnvironment());
  out << "agent environment (plus the attempt's TASKEXEC_* variables):";
  for (const AgentEnvEntry& e : environment.entries()) out << " " << e.name;
  out << "\n";
  if (!environment.withheld().empty()) {
    out << "agent environment withheld (taskexec's secrets):";
    for (const std::string& name : environment.withheld()) out << " " << name;
    out << "\n";
  }
  ProgramProbe probe;
  if (Status s = ProbeAgentProgram(command, environment.ForAttempt({}),
                                   cfg.agent.command.empty() ? cfg.agent.preset : "",
                                   kProgramProbeMs, &probe);
      !s.ok()) {
    return s;
  }
  out << "agent program: " << probe.path << " (" << probe.version << ")\n";
  if (!probe.gateway.empty()) {
    out << "OpenClaw Gateway: " << probe.gateway << "\n";
    // The turn runs in the Gateway; only a CLI that gets TERM aborts it.
    if (cfg.agent.kill_grace_seconds == 0) {
      out << "warning: agent.kill_grace_seconds = 0: a stopped attempt's OpenClaw CLI is killed "
             "before it can abort its turn, which runs on in the Gateway; give it a few "
             "seconds\n";
    }
  }
  if (cfg.agent.stall_seconds > 0 && cfg.agent.stall_seconds < cfg.agent.timeout_seconds &&
      SilentUntilDone(cfg.agent)) {
    out << "warning: agent.stall_seconds = " << cfg.agent.stall_seconds
        << " is below agent.timeout_seconds = " << cfg.agent.timeout_seconds << ", and the "
        << cfg.agent.preset
        << " preset's CLI writes nothing until its turn ends: a turn longer than "
        << cfg.agent.stall_seconds
        << " s is stopped as stalled; raise agent.stall_seconds or set it to 0\n";
  }
  OpenFileLimit limit;
  if (ReadOpenFileLimit(&limit).ok()) {
    limit.soft = std::max(limit.soft, limit.hard);  // serve raises it so
    const std::string problem =
        SessionLimitProblem(cfg.executor.max_concurrent, limit,
                            DescriptorsPerAttempt(cfg.agent, !AttemptShimOfThisProgram().empty()));
    if (problem.empty()) {
      out << "open files: serve may open " << limit.soft << ", enough for "
          << cfg.executor.max_concurrent << " sessions at once (executor.max_concurrent)\n";
    } else {
      out << "warning: " << problem << "\n";
    }
  }
  std::error_code ec;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (const std::string shim = ec ? std::string() : AttemptShimBeside(self); !shim.empty()) {
    out << "attempt supervisor: " << shim << "\n";
  } else {
    out << "warning: no taskexec-attempt beside " << self
        << ": an agent that ends while the service is down or frozen is run again\n";
  }
  for (const auto& [key, dir] :
       {std::pair<const char*, const std::string&>{"agent.work_dir", cfg.agent.work_dir},
        {"agent.log_dir", cfg.agent.log_dir}}) {
    if (Status s = CheckWritableDir(key, dir); !s.ok()) return s;
    out << key << ": " << dir << " writable\n";
  }
  std::unique_ptr<TaskStore> store;
  if (Status s = OpenStore(cfg, &store); !s.ok()) return s;
  StoreStats stats;
  if (Status s = store->GetStats(&stats); !s.ok()) return s;
  int64_t total = 0;
  for (const auto& [k, v] : stats.by_status) total += v;
  out << "store: " << cfg.store.backend << " ok (" << total << " tasks)\n";
  AgentRouter router(cfg.routing);
  out << "agents:";
  for (const auto& a : router.agents()) out << " " << a;
  out << "\n";
  if (store_out != nullptr) *store_out = std::move(store);
  return Status::OK();
}

}  // namespace taskexec
