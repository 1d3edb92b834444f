#include "runner/process_launcher.h"

#include <utility>

#include "runner/orphans.h"

namespace taskexec {

ProcessLauncher::ProcessLauncher(const AgentConfig& config, const Clock* clock,
                                 AgentEnvironment environment,
                                 std::unique_ptr<AttemptWatchdog> watchdog)
    : supervisor_(std::make_unique<ProcessSupervisor>()),
      runner_(
          std::make_unique<AgentRunner>(config, supervisor_.get(), clock, std::move(environment))),
      watchdog_(std::move(watchdog)) {}

ProcessLauncher::~ProcessLauncher() { Shutdown(0); }

std::string ProcessLauncher::LogPath(const std::string& execution_id) const {
  return runner_->LogPath(execution_id);
}

Status ProcessLauncher::Start(const AgentJob& job, DoneCallback done, int64_t* pid) {
  if (!watchdog_) return runner_->Start(job, std::move(done), pid);
  const std::string id = job.execution.id;
  auto unwatched = [this, id, done = std::move(done)](const AgentResult& result) {
    {
      MutexLock lock(&watch_mu_);
      watchdog_->Unwatch(id);
    }
    done(result);
  };
  MutexLock lock(&watch_mu_);
  Status s = runner_->Start(job, std::move(unwatched), pid);
  if (s.ok()) watchdog_->Watch(id);
  return s;
}

Status ProcessLauncher::Cancel(const std::string& execution_id) {
  return runner_->Cancel(execution_id);
}

AttemptProgress ProcessLauncher::Progress(const std::string& execution_id) const {
  return runner_->Progress(execution_id);
}

void ProcessLauncher::Shutdown(int64_t grace_ms) {
  supervisor_->Shutdown(grace_ms);
  runner_->WaitForResults();  // each exited attempt's `done` has been called
}

bool ProcessLauncher::KillOrphan(const SessionExecution& execution) {
  return KillOrphanedExecution(execution);
}

}  // namespace taskexec
