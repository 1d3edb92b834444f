// The launchers `taskexec serve` gives the engine (app/service_factory.cc),
// for benches that measure the service as it is served: each launcher with
// its attempt watchdog, each agent started through the per-attempt
// supervisor `shim` ("" = none: agents as the service's own children).
#pragma once

#include <cstdlib>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/clock.h"
#include "engine/engine.h"
#include "runner/agent_env.h"
#include "runner/attempt_watchdog.h"
#include "runner/process_launcher.h"

namespace taskexec::bench {

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
