#include "runner/process_launcher.h"

#include <utility>

#include "runner/orphans.h"

namespace taskexec {

ProcessLauncher::ProcessLauncher(const AgentConfig& config, const Clock* clock,
                                 AgentEnvironment environment)
    : supervisor_(std::make_unique<ProcessSupervisor>()),
      runner_(std::make_unique<AgentRunner>(config, supervisor_.get(), clock,
                                            std::move(environment))) {}

ProcessLauncher::~ProcessLauncher() { Shutdown(0); }

std::string ProcessLauncher::LogPath(const std::string& execution_id) const {
  return runner_->LogPath(execution_id);
}

Status ProcessLauncher::Start(const AgentJob& job, DoneCallback done, int64_t* pid) {
  return runner_->Start(job, std::move(done), pid);
}

Status ProcessLauncher::Cancel(const std::string& execution_id) {
  return runner_->Cancel(execution_id);
}

void ProcessLauncher::Shutdown(int64_t grace_ms) {
  supervisor_->Shutdown(grace_ms);
  runner_->WaitForResults();  // each exited attempt's `done` has been called
}

bool ProcessLauncher::KillOrphan(const SessionExecution& execution) {
  return KillOrphanedExecution(execution);
}

}  // namespace taskexec
