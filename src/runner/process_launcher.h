// ProcessLauncher: the production AgentLauncher -- real agent CLI sessions
// as child processes (AgentRunner over a ProcessSupervisor it owns), and
// orphans killed through /proc (orphans.h).
//
// Thread-safety: as AgentLauncher.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "core/clock.h"
#include "runner/agent_env.h"
#include "runner/agent_launcher.h"
#include "runner/agent_runner.h"
#include "runner/process_supervisor.h"

namespace taskexec {

class ProcessLauncher final : public AgentLauncher {
 public:
  ProcessLauncher(const AgentConfig& config, const Clock* clock, AgentEnvironment environment);
  ~ProcessLauncher() override;  // Shutdown(0) (idempotent)

  std::string LogPath(const std::string& execution_id) const override;
  Status Start(const AgentJob& job, DoneCallback done, int64_t* pid) override;
  Status Cancel(const std::string& execution_id) override;
  void Shutdown(int64_t grace_ms) override;
  bool KillOrphan(const SessionExecution& execution) override;

 private:
  // Declared first: destroyed last, after the runner that uses it.
  std::unique_ptr<ProcessSupervisor> supervisor_;
  std::unique_ptr<AgentRunner> runner_;
};

}  // namespace taskexec
