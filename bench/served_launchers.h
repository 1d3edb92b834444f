// The launchers `taskexec serve` gives the engine (app/service_factory.cc),
// for benches that measure the service as it is served: each launcher with
// its attempt watchdog, each agent started through the per-attempt
// supervisor `shim` ("" = none: agents as the service's own children).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/clock.h"
#include "engine/engine.h"
#include "runner/agent_env.h"
#include "runner/attempt_watchdog.h"
#include "runner/exit_record.h"
#include "runner/process_launcher.h"

namespace taskexec::bench {

// The taskexec binary and the per-attempt supervisor beside it, found from
// a bench's argv[0] (benches live in <build>/bench/); exits when the
// supervisor is missing.
struct ServedPrograms {
  std::string taskexec;
  std::string shim;
};
inline ServedPrograms FindServedPrograms(const char* argv0) {
  const std::filesystem::path here = std::filesystem::absolute(argv0).parent_path();
  ServedPrograms p;
  p.taskexec = (here.parent_path() / "taskexec").string();
  p.shim = AttemptShimBeside(p.taskexec);
  if (p.shim.empty()) {
    std::fprintf(stderr, "no taskexec-attempt beside %s\n", p.taskexec.c_str());
    std::exit(2);
  }
  return p;
}

// `taskexec` is the binary the watchdog runs; `c` must outlive the engine.
inline Engine::LauncherFactory ServedLaunchers(const Config& c, const std::string& taskexec,
                                               const std::string& shim) {
  return [&c, taskexec, shim]() -> std::unique_ptr<AgentLauncher> {
    std::unique_ptr<AttemptWatchdog> watchdog;
    if (!AttemptWatchdog::Start(taskexec, c.agent.kill_grace_seconds * 1000LL, &watchdog).ok())
      std::abort();
    return std::make_unique<ProcessLauncher>(c.agent, SystemClock::Default(),
                                             AgentEnvironment::FromConfig(c, ProcessEnvironment()),
                                             std::move(watchdog), shim);
  };
}

}  // namespace taskexec::bench
