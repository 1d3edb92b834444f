#include "runner/process_launcher.h"

#include <unistd.h>

#include <utility>

#include <spdlog/spdlog.h>

#include "runner/orphans.h"
#include "runner/outcome_file.h"

namespace taskexec {

ProcessLauncher::ProcessLauncher(const AgentConfig& config, const Clock* clock,
                                 AgentEnvironment environment,
                                 std::unique_ptr<AttemptWatchdog> watchdog, std::string shim)
    : supervisor_(std::make_unique<ProcessSupervisor>()),
      runner_(
          std::make_unique<AgentRunner>(config, supervisor_.get(), clock, std::move(environment))),
      watchdog_(std::move(watchdog)) {
  runner_->SetAttemptShim(std::move(shim));
}

ProcessLauncher::~ProcessLauncher() { Shutdown(0); }

std::string ProcessLauncher::LogPath(const std::string& execution_id) const {
  return runner_->LogPath(execution_id);
}

Status ProcessLauncher::CheckFiles() const { return runner_->CheckFiles(); }

void ProcessLauncher::LeaseRenewed(int64_t fence_in_ms, int64_t grace_ms) {
  // The watchdog runs apart from this process, so the fence holds while
  // this process is frozen; so does the per-attempt supervisor, which
  // starts no agent after the fence.
  runner_->SetStartDeadline(MonotonicMs() + fence_in_ms);
  if (watchdog_) watchdog_->FenceIn(fence_in_ms, grace_ms);
}

std::string ProcessLauncher::OutcomePath(const SessionExecution& execution) const {
  return OutcomeFilePath(execution.log_path.empty() ? runner_->LogPath(execution.id)
                                                    : execution.log_path);
}

bool ProcessLauncher::EndedWhileAway(const SessionExecution& execution, AgentResult* result) {
  // The service's own result first: it went through every step. Else the
  // agent's end as its supervisor saw it, when the service never learnt it.
  const std::string path = OutcomePath(execution);
  Status s = ReadOutcomeFile(path, result);
  if (s.ok()) return true;
  if (!s.IsNotFound()) spdlog::warn("execution {}: {}", execution.id, s.ToString());
  return runner_->ResultFromExitRecord(execution, result);
}

void ProcessLauncher::OutcomeRecorded(const SessionExecution& execution) {
  const std::string log =
      execution.log_path.empty() ? runner_->LogPath(execution.id) : execution.log_path;
  // Left behind by a service that dies first, they are only litter: the
  // store has the outcome, so no recovery reads them (taskexec prune
  // removes them with the log).
  removals_.Post([outcome = OutcomeFilePath(log), record = ExitRecordPath(log)] {
    unlink(outcome.c_str());
    unlink(record.c_str());
  });
}

Status ProcessLauncher::Start(const AgentJob& job, DoneCallback done, int64_t* pid) {
  const std::string id = job.execution.id;
  // The result is kept on disk before anything else is done with it: a
  // service that dies from here on leaves it for the recovery to record.
  // Where the supervisor's exit record gives the same result, it is not
  // written again (a file per attempt less).
  const std::string outcome_path =
      runner_->ExitRecordSuffices() ? std::string() : OutcomePath(job.execution);
  auto kept = [outcome_path, id, done = std::move(done)](const AgentResult& result) {
    if (!result.service_fault && !outcome_path.empty()) {
      if (Status s = WriteOutcomeFile(outcome_path, result); !s.ok())
        spdlog::warn("execution {}: {}", id, s.ToString());
    }
    done(result);
  };
  if (!watchdog_) return runner_->Start(job, std::move(kept), pid);
  auto unwatched = [this, id, done = std::move(kept)](const AgentResult& result) {
    {
      MutexLock lock(&watch_mu_);
      watchdog_->Unwatch(id);
    }
    done(result);
  };
  MutexLock lock(&watch_mu_);
  // Watched before its process exists: this service may be killed or frozen
  // the moment after the spawn, and the helper must know what to stop.
  watchdog_->Watch(id);
  Status s = runner_->Start(job, std::move(unwatched), pid);
  if (!s.ok()) watchdog_->Unwatch(id);
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
  removals_.Drain();
}

bool ProcessLauncher::KillOrphan(const SessionExecution& execution) {
  return KillOrphanedExecution(execution);
}

}  // namespace taskexec
