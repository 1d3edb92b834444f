// ProcessLauncher: the production AgentLauncher -- real agent CLI sessions
// as child processes (AgentRunner over a ProcessSupervisor it owns), and
// orphans killed through /proc (orphans.h). Given an AttemptWatchdog, every
// running attempt is watched by it, so the attempts die with this process.
// Given the per-attempt supervisor (`shim`, exit_record.h), every agent is
// started through it, so an agent that ends while this process is dead or
// frozen has its end recorded for the recovery (EndedWhileAway).
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
#include "runner/attempt_watchdog.h"
#include "runner/completion_queue.h"
#include "runner/process_supervisor.h"

namespace taskexec {

class ProcessLauncher final : public AgentLauncher {
 public:
  ProcessLauncher(const AgentConfig& config, const Clock* clock, AgentEnvironment environment,
                  std::unique_ptr<AttemptWatchdog> watchdog = nullptr, std::string shim = "");
  ~ProcessLauncher() override;  // Shutdown(0) (idempotent)

  std::string LogPath(const std::string& execution_id) const override;
  Status Start(const AgentJob& job, DoneCallback done, int64_t* pid) override;
  Status CheckFiles() const override;
  void LeaseRenewed(int64_t fence_in_ms, int64_t grace_ms) override;
  bool EndedWhileAway(const SessionExecution& execution, AgentResult* result) override;
  void OutcomeRecorded(const SessionExecution& execution) override;
  Status Cancel(const std::string& execution_id) override;
  AttemptProgress Progress(const std::string& execution_id) const override;
  void Shutdown(int64_t grace_ms) override;
  bool KillOrphan(const SessionExecution& execution) override;

 private:
  // Where the attempt's outcome is kept (outcome_file.h).
  std::string OutcomePath(const SessionExecution& execution) const;

  // Declared first: destroyed last, after the runner that uses it.
  std::unique_ptr<ProcessSupervisor> supervisor_;
  std::unique_ptr<AgentRunner> runner_;
  std::unique_ptr<AttemptWatchdog> watchdog_;  // null = none
  // Held across a start and its Watch, so the attempt's end (which
  // unwatches it) cannot come first.
  Mutex watch_mu_;
  // Removes what OutcomeRecorded lets go, off the caller's thread (the
  // engine's): unlinking a written file frees its inode in the file
  // system's journal, a cost every attempt would pay on that thread.
  // Declared last: drained first.
  CompletionQueue removals_;
};

}  // namespace taskexec
