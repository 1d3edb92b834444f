// The steps of one attempt around its agent (agent_runner.h): the
// workspace, its hooks, the agent, the completion check. Each step starts
// the next from its end; none waits on a child.
#include <filesystem>
#include <fstream>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/join.h"
#include "core/make_dir.h"
#include "runner/agent_runner.h"
#include "runner/descriptor_budget.h"
#include "runner/error_classifier.h"
#include "runner/progress_line.h"

namespace taskexec {

namespace fs = std::filesystem;

namespace {

// The tail of a helper command's output that goes into an error message.
constexpr size_t kStepOutputChars = 1500;

std::string Joined(const std::vector<std::string>& argv) { return Join(argv, " "); }

bool Succeeded(const ProcessResult* p) { return p != nullptr && p->exit_code == 0; }

}  // namespace

void AgentRunner::LogLine(const AttemptFiles& files, const std::string& line) {
  std::ofstream log(files.log_path, std::ios::app);
  log << "[taskexec] " << line << '\n';
}

std::string AgentRunner::StepFailure(const StepCommand& command, const ProcessResult* process,
                                     const Status& status) {
  if (process == nullptr) return command.what + " did not start: " + status.message();
  std::string how;
  if (process->timed_out) {
    how = "timed out";
  } else if (process->cancelled) {
    how = "was stopped";
  } else if (process->term_signal) {
    how = "was killed by signal " + std::to_string(*process->term_signal);
  } else {
    how = "exited with " + std::to_string(process->exit_code.value_or(-1));
  }
  std::string output = process->stderr_tail;
  if (!process->stdout_tail.empty()) {
    if (!output.empty() && output.back() != '\n') output += '\n';
    output += process->stdout_tail;
  }
  if (output.size() > kStepOutputChars) output = output.substr(output.size() - kStepOutputChars);
  std::string text = command.what + " " + how;
  if (!output.empty()) text += ": " + output;
  return SanitizeText(text, kMaxErrorChars);
}

void AgentRunner::RunStep(const ChainPtr& c, const StepCommand& command, int64_t timeout_ms,
                          const std::vector<std::string>& extra_env, bool before_agent,
                          StepDone then) {
  ProcessSpec spec;
  spec.argv = command.argv;
  spec.cwd = command.cwd;
  spec.env = c->agent.env;
  spec.env.insert(spec.env.end(), extra_env.begin(), extra_env.end());
  spec.log_path = c->files.log_path;
  spec.timeout_ms = timeout_ms;
  spec.kill_grace_ms = c->agent.kill_grace_ms;
  spec.tail_bytes = 16 * 1024;
  LogLine(c->files, command.what + ": " + Joined(command.argv));
  auto on_exit = [this, c, then](const ProcessResult& process) {
    completions_.Post([this, c, then, process] {
      {
        MutexLock lock(&mu_);
        auto it = handles_.find(c->job.execution.id);
        if (it != handles_.end()) it->second.handle = 0;
      }
      then(&process, Status::OK());
    });
  };
  Status started;
  {
    // Held across the spawn so the exit cannot clear the handle before it
    // is recorded, and a Cancel() either sees the flag or the handle.
    MutexLock lock(&mu_);
    Attempt& attempt = handles_[c->job.execution.id];
    if (before_agent && attempt.cancelled) {
      started = Status::Unavailable("the attempt was cancelled");
    } else {
      uint64_t handle = 0;
      started = supervisor_->Start(spec, std::move(on_exit), &handle, nullptr);
      if (started.ok()) attempt.handle = handle;
    }
  }
  if (!started.ok()) then(nullptr, started);
}

bool AgentRunner::Cancelled(const ChainPtr& c) const {
  MutexLock lock(&mu_);
  auto it = handles_.find(c->job.execution.id);
  return it != handles_.end() && it->second.cancelled;
}

void AgentRunner::FailBeforeAgent(const ChainPtr& c, ErrorType type, const std::string& error) {
  AgentResult r;
  if (Cancelled(c)) {
    r.status = ExecutionStatus::kCancelled;
    r.error_type = ErrorType::kCancelled;
    r.error = "cancelled before the agent started";
  } else {
    r.status = ExecutionStatus::kFailed;
    r.error_type = type;
    r.error = SanitizeText(error, kMaxErrorChars);
  }
  r.retryable = IsRetryable(r.error_type);
  spdlog::warn("execution {} of task {}: {}", c->job.execution.id, c->job.task.id, r.error);
  LogLine(c->files, r.error);
  c->result = std::move(r);
  AfterRun(c);
}

Status AgentRunner::LockWorkspace(const ChainPtr& c) const {
  if (!layout_.per_task() || c->lock) return Status::OK();
  return WorkspaceLock::Take(c->files.workspace, WorkspaceLock::Mode::kShared, &c->lock);
}

void AgentRunner::PrepareWorkspace(const ChainPtr& c) {
  std::error_code ec;
  if (fs::exists(c->files.workspace, ec)) {
    if (Status s = LockWorkspace(c); !s.ok()) {
      return FailBeforeAgent(c, ErrorType::kWorkspaceError, s.message());
    }
    return BeforeRun(c);
  }
  if (layout_.uses_git()) return MakeWorktree(c);
  if (Status s = MakeDir(c->files.workspace); !s.ok()) {
    return FailBeforeAgent(c, ErrorType::kWorkspaceError, s.message());
  }
  c->workspace_made = true;
  AfterCreate(c);
}

void AgentRunner::MakeWorktree(const ChainPtr& c) {
  const int64_t timeout = layout_.config().hook_timeout_seconds * 1000LL;
  const std::string& task_id = c->job.task.id;
  auto add = [this, c, timeout, task_id] {
    const StepCommand exists = layout_.BranchExists(task_id);
    RunStep(c, layout_.PruneWorktrees(), timeout, {}, true,
            [this, c, timeout, task_id, exists](const ProcessResult*, const Status&) {
              RunStep(c, exists, timeout, {}, true,
                      [this, c, timeout, task_id, exists](const ProcessResult* p, const Status& s) {
                        if (p == nullptr || (p->exit_code != 0 && p->exit_code != 1)) {
                          return FailBeforeAgent(c, ErrorType::kWorkspaceError,
                                                 StepFailure(exists, p, s));
                        }
                        const StepCommand worktree = layout_.AddWorktree(task_id, Succeeded(p));
                        RunStep(c, worktree, timeout, {}, true,
                                [this, c, worktree](const ProcessResult* p, const Status& s) {
                                  if (!Succeeded(p)) {
                                    return FailBeforeAgent(c, ErrorType::kWorkspaceError,
                                                           StepFailure(worktree, p, s));
                                  }
                                  c->workspace_made = true;
                                  AfterCreate(c);
                                });
                      });
            });
  };
  std::error_code ec;
  if (!layout_.RepositoryIsUrl() || fs::exists(layout_.Repository(), ec)) return add();
  // A URL: clone it once, under a name of this attempt's, then move it into
  // place; when another attempt's clone got there first, use that one.
  const std::string repo = layout_.Repository();
  const std::string partial = repo + ".partial-" + c->job.execution.id;
  fs::remove_all(partial, ec);
  fs::create_directories(fs::path(repo).parent_path(), ec);
  const StepCommand clone = layout_.CloneRepository(partial);
  RunStep(c, clone, timeout, {}, true,
          [this, c, clone, repo, partial, add](const ProcessResult* p, const Status& s) {
            std::error_code ec;
            if (!Succeeded(p)) {
              fs::remove_all(partial, ec);
              return FailBeforeAgent(c, ErrorType::kWorkspaceError, StepFailure(clone, p, s));
            }
            fs::rename(partial, repo, ec);
            if (ec) fs::remove_all(partial, ec);
            add();
          });
}

void AgentRunner::AfterCreate(const ChainPtr& c) {
  if (Status s = LockWorkspace(c); !s.ok()) {
    return FailBeforeAgent(c, ErrorType::kWorkspaceError, s.message());
  }
  const WorkspaceConfig& w = layout_.config();
  if (!c->workspace_made || w.after_create.empty()) return BeforeRun(c);
  const StepCommand hook{"workspace.after_create", w.after_create, c->files.workspace};
  RunStep(c, hook, w.hook_timeout_seconds * 1000LL, {}, true,
          [this, c, hook](const ProcessResult* p, const Status& s) {
            if (!Succeeded(p)) {
              // Made but not set up: the next attempt makes it again.
              if (!layout_.uses_git()) {
                c->lock.reset();
                std::error_code ec;
                fs::remove_all(c->files.workspace, ec);
              }
              return FailBeforeAgent(c, ErrorType::kWorkspaceError, StepFailure(hook, p, s));
            }
            BeforeRun(c);
          });
}

void AgentRunner::BeforeRun(const ChainPtr& c) {
  const WorkspaceConfig& w = layout_.config();
  if (w.before_run.empty()) return NoteStartingState(c);
  const StepCommand hook{"workspace.before_run", w.before_run, c->files.workspace};
  RunStep(c, hook, w.hook_timeout_seconds * 1000LL, {}, true,
          [this, c, hook](const ProcessResult* p, const Status& s) {
            if (!Succeeded(p)) {
              return FailBeforeAgent(c, ErrorType::kWorkspaceError, StepFailure(hook, p, s));
            }
            NoteStartingState(c);
          });
}

void AgentRunner::NoteStartingState(const ChainPtr& c) {
  auto launch = [this, c] {
    Status s = LaunchAgent(c, nullptr, true);
    if (s.ok()) return;
    if (Cancelled(c)) return FailBeforeAgent(c, ErrorType::kCancelled, "");
    c->result = FailedToStart(s);
    LogLine(c->files, c->result.error);
    AfterRun(c);
  };
  if (!config_.require_changes || !layout_.uses_git()) return launch();
  const StepCommand status = layout_.Status(c->files.workspace);
  RunStep(c, status, layout_.config().hook_timeout_seconds * 1000LL, {}, true,
          [this, c, status, launch](const ProcessResult* p, const Status& s) {
            if (!Succeeded(p)) {
              return FailBeforeAgent(c, ErrorType::kWorkspaceError, StepFailure(status, p, s));
            }
            c->git_before = ParseGitStatus(p->stdout_tail);
            launch();
          });
}

Status AgentRunner::LaunchAgent(const ChainPtr& c, int64_t* pid, bool queued) {
  const std::string& exec_id = c->job.execution.id;
  // With require_changes, files the preparation wrote in this clock tick
  // (a checkout) must look older than the start.
  c->agent_start = config_.require_changes ? NextFileStamp() : FileStampNow();
  c->started_at = clock_->NowMs();
  auto on_exit = [this, c](const ProcessResult& process) {
    completions_.Post([this, c, process] { AgentExited(c, process); });
  };
  // Held across the spawn so a child that exits at once cannot run its
  // callback (which clears the handle) before the handle is recorded.
  MutexLock lock(&mu_);
  auto it = handles_.find(exec_id);
  if (!queued) {
    if (it != handles_.end())
      return Status::Conflict("execution " + exec_id + " is already running");
    it = handles_.emplace(exec_id, Attempt{}).first;
  } else if (it == handles_.end()) {
    return Status::Internal("execution " + exec_id + " is not recorded");
  } else if (it->second.cancelled) {
    return Status::Unavailable("the attempt was cancelled before its agent started");
  }
  uint64_t handle = 0;
  int64_t child_pid = 0;
  c->agent.start_by_ms = start_by_ms_.load();
  // The supervisor holds the workspace's lock for the agent's run when
  // nothing after it needs ours: one descriptor fewer here per session,
  // and the workspace stays locked while an agent that outlived its
  // service still works there.
  const bool hand_over =
      !c->agent.shim.empty() && c->lock != nullptr && SupervisorHoldsWorkspaceLock(config_);
  c->agent.held_fd = hand_over ? c->lock->fd() : -1;
  if (Status s = supervisor_->Start(c->agent, std::move(on_exit), &handle, &child_pid); !s.ok()) {
    if (!queued) handles_.erase(exec_id);  // Start() reports it; no `done`
    return s;
  }
  if (hand_over) c->lock.reset();
  c->agent_ran = true;
  it->second.handle = handle;
  it->second.agent_running = true;
  it->second.started_at = c->started_at;
  if (pid != nullptr) *pid = child_pid;
  spdlog::info("execution {} of task {}: started {} (pid {}, agent {})", exec_id, c->job.task.id,
               c->agent.argv[0], child_pid, AgentName(c->job));
  return Status::OK();
}

void AgentRunner::AgentExited(const ChainPtr& c, const ProcessResult& process) {
  c->result = ResultOf(c->job, c->files, process);
  if (process.last_output_ms >= 0)
    c->result.last_output_at = c->started_at + process.last_output_ms;
  c->result.last_output_line = LastMeaningfulLine(process.recent_output);
  {
    MutexLock lock(&mu_);
    auto it = handles_.find(c->job.execution.id);
    if (it != handles_.end()) {
      it->second.handle = 0;
      it->second.agent_running = false;
    }
  }
  CheckChanges(c);
}

void AgentRunner::CheckChanges(const ChainPtr& c) {
  if (!config_.require_changes || c->result.status != ExecutionStatus::kCompleted) {
    return Verify(c);
  }
  const bool files_changed = ChangedSince(c->files.workspace, c->agent_start);
  auto judge = [this, c](bool changed) {
    if (!changed) {
      c->result.status = ExecutionStatus::kFailed;
      c->result.error_type = ErrorType::kVerificationFailed;
      c->result.retryable = true;
      c->result.error =
          "the agent reported completion but changed nothing in its workspace "
          "(agent.require_changes)";
      LogLine(c->files, c->result.error);
      return AfterRun(c);
    }
    Verify(c);
  };
  if (files_changed || !layout_.uses_git()) return judge(files_changed);
  // Outside the file times: a commit, a deletion, a new untracked file with
  // an old time.
  const StepCommand status = layout_.Status(c->files.workspace);
  RunStep(c, status, layout_.config().hook_timeout_seconds * 1000LL, {}, false,
          [this, c, status, judge](const ProcessResult* p, const Status& s) {
            if (!Succeeded(p)) {
              // Cannot tell: the completion stands, with a warning.
              c->result.warnings.push_back(StepFailure(status, p, s));
              return Verify(c);
            }
            judge(!(ParseGitStatus(p->stdout_tail) == c->git_before));
          });
}

void AgentRunner::Verify(const ChainPtr& c) {
  if (config_.verify.empty() || c->result.status != ExecutionStatus::kCompleted) {
    return AfterRun(c);
  }
  const StepCommand verify{"agent.verify", config_.verify, c->files.workspace};
  RunStep(c, verify, config_.verify_timeout_seconds * 1000LL, {}, false,
          [this, c, verify](const ProcessResult* p, const Status& s) {
            if (p != nullptr && p->cancelled) {
              c->result.status = ExecutionStatus::kCancelled;
              c->result.error_type = ErrorType::kCancelled;
              c->result.retryable = false;
              c->result.error = "cancelled while agent.verify ran";
            } else if (!Succeeded(p)) {
              c->result.status = ExecutionStatus::kFailed;
              c->result.error_type = ErrorType::kVerificationFailed;
              c->result.retryable = true;
              c->result.error = StepFailure(verify, p, s);
              LogLine(c->files, c->result.error);
            }
            AfterRun(c);
          });
}

void AgentRunner::AfterRun(const ChainPtr& c) {
  const WorkspaceConfig& w = layout_.config();
  std::error_code ec;
  // Not in a task workspace this attempt does not hold: it may be being
  // removed.
  const bool held = c->lock != nullptr || !layout_.per_task();
  if (w.after_run.empty() || !held || !fs::is_directory(c->files.workspace, ec)) return Finish(c);
  const StepCommand hook{"workspace.after_run", w.after_run, c->files.workspace};
  const std::string outcome = "TASKEXEC_OUTCOME=" + std::string(ToString(c->result.status));
  RunStep(c, hook, w.hook_timeout_seconds * 1000LL, {outcome}, false,
          [this, c, hook](const ProcessResult* p, const Status& s) {
            if (!Succeeded(p)) {
              const std::string warning = StepFailure(hook, p, s);
              spdlog::warn("execution {}: {}", c->job.execution.id, warning);
              c->result.warnings.push_back(warning);
            }
            Finish(c);
          });
}

void AgentRunner::Finish(const ChainPtr& c) {
  c->lock.reset();
  {
    MutexLock lock(&mu_);
    handles_.erase(c->job.execution.id);
  }
  c->done(c->result);
}

}  // namespace taskexec
