// AgentRunner: runs one agent CLI session per attempt.
//
// Start() expands the argv template (agent.command, else the preset's; plus
// the resume arguments when the job continues a session) with the attempt's
// values, creates the attempt's folder <work_dir>/<execution_id>/ (its
// artifacts folder with a task's workspace, else the agent's folder, with
// artifacts/ inside), writes the prompt to <log_dir>/<execution_id>.prompt.md
// when the agent reads it from a file, and runs the attempt:
//   1. the workspace (workspace.h): made when missing (a folder, or a git
//      worktree), then workspace.after_create once, then
//      workspace.before_run -- a failure ends the attempt as
//      workspace_error;
//   2. the agent, through the ProcessSupervisor, in the workspace, with
//      TASKEXEC_TASK_ID, TASKEXEC_EXECUTION_ID, TASKEXEC_ATTEMPT,
//      TASKEXEC_AGENT, TASKEXEC_ARTIFACTS_DIR, TASKEXEC_PROMPT_FILE (when
//      written), TASKEXEC_LOG, TASKEXEC_WORK_DIR (after agent.env, which they
//      override) on top of the AgentEnvironment it was given (agent_env.h:
//      an allow-list, never taskexec's secrets); stdout+stderr appended to
//      <log_dir>/<execution_id>.log; the prompt also on stdin when
//      agent.stdin_mode = "prompt" or the preset reads stdin; the per-task
//      timeout and the stall limit (agent.stall_seconds without output; TERM
//      to the group, KILL after agent.kill_grace_seconds);
//   3. when the agent is gone: its output parsed (outcome.h), artifacts
//      collected with sha256 (artifacts.h); a completion checked
//      (agent.require_changes, agent.verify: verification_failed);
//   4. workspace.after_run with TASKEXEC_OUTCOME (a failure is a warning);
//      then `done`, once.
// Every helper command of steps 1, 3 and 4 runs with the attempt's
// environment, in the workspace, bounded (workspace.hook_timeout_seconds,
// agent.verify_timeout_seconds), its output in the attempt's log. Nothing
// waits on a child: each step starts the next from its exit, on the
// runner's own completion thread, so neither the caller of Start() nor the
// supervisor watching the other children is ever held up by a hook, a
// large output or an artifact.
//
// Thread-safety: all methods may be called from any thread. `done` runs on
// the runner's completion thread (or, for an attempt with nothing to run
// before its agent whose agent cannot start, never: Start() says why). The
// runner must outlive every started attempt: shut the supervisor down
// before destroying the runner (the destructor then waits for the results
// still being made).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/domain.h"
#include "core/mutex.h"
#include "core/status.h"
#include "runner/agent_env.h"
#include "runner/agent_launcher.h"
#include "runner/completion_queue.h"
#include "runner/outcome.h"
#include "runner/process_supervisor.h"
#include "runner/workspace.h"
#include "runner/workspace_lock.h"

namespace taskexec {

class AgentRunner {
 public:
  using DoneCallback = std::function<void(const AgentResult&)>;

  // Relative work_dir/log_dir are resolved against the current directory
  // now. An invalid template or preset is reported by every Start(). Every
  // child gets `environment` plus its attempt's TASKEXEC_* variables.
  AgentRunner(const AgentConfig& config, ProcessSupervisor* supervisor, const Clock* clock,
              AgentEnvironment environment);

  // Returns OK exactly when `done` will be called (once); *pid = the agent's
  // process (group) id, or 0 when steps run before it (the agent then
  // starts later; a failure to start it is its result). Otherwise `done` is
  // not called and:
  //  - InvalidArgument: the template is bad (unknown placeholder, empty), an
  //    expanded argument is over 128 KiB or argv+env over ARG_MAX (the
  //    message names the element and placeholder), a bad execution id, or a
  //    program that is not executable;
  //  - NotFound: the program does not exist;
  //  - Conflict: this execution id is already running;
  //  - IOError/Unavailable: directories, files or the supervisor failed.
  // FailedToStart() (agent_launcher.h) turns such a status into an
  // AgentResult.
  Status Start(const AgentJob& job, DoneCallback done, int64_t* pid);

  // Starts every agent through the per-attempt supervisor at `shim`
  // (exit_record.h), so its end is recorded even when this process is not
  // there to see it. Call before the first Start(); "" (the default):
  // agents are this process's own children.
  void SetAttemptShim(std::string shim) { shim_ = std::move(shim); }
  // The lease fence's deadline (MonotonicMs; 0 = none): an agent whose start
  // comes later, through the shim, is not started (ProcessSpec::start_by_ms).
  void SetStartDeadline(int64_t steady_ms) { start_by_ms_.store(steady_ms); }

  // Whether an attempt's exit record alone gives its whole result: agents
  // start through the shim, and no step follows the agent (no
  // agent.require_changes, agent.verify, workspace.after_run) whose verdict
  // only the service's own outcome file would keep.
  bool ExitRecordSuffices() const;

  // The result of an attempt whose agent ended while no service watched it,
  // from its exit record (exit_record.h), computed as Start()'s would be
  // from the same output: false when there is none, or it does not stand
  // for the agent's own end (it was stopped and did not report its work
  // done), or a step that follows the agent would have had to run
  // (agent.require_changes and agent.verify judging a completion,
  // workspace.after_run after any end), which a recovery does not do.
  bool ResultFromExitRecord(const SessionExecution& execution, AgentResult* result) const;

  // Returns once `done` has been called for every attempt whose process had
  // exited before the call (after ProcessSupervisor::Shutdown: for all).
  void WaitForResults();

  // TERM the attempt's group (KILL after the grace); `done` then reports
  // kCancelled. NotFound when the attempt is not running here.
  Status Cancel(const std::string& execution_id);

  // When the running attempt's agent last wrote to stdout or stderr (this
  // runner's clock; 0 before its first output or when it is not running),
  // and the last line of that output worth showing (progress_line.h).
  AttemptProgress Progress(const std::string& execution_id) const;

  // Whether the log and work dirs take a file now (core/writable_dir.h).
  Status CheckFiles() const;

  std::string LogPath(const std::string& execution_id) const;  // <log_dir>/<id>.log
  std::string WorkDir(const std::string& execution_id) const;  // <work_dir>/<id>
  // <work_dir>/<id> with a task's workspace (workspace.mode = "task"),
  // else <work_dir>/<id>/artifacts (the agent works in <work_dir>/<id>).
  std::string ArtifactsDir(const std::string& execution_id) const;
  // <log_dir>/<id>.prompt.md; written only for an agent that reads it
  // (WritesPromptFile).
  std::string PromptFile(const std::string& execution_id) const;
  // Whether attempts get a prompt file: the command names {prompt_file}, or
  // it gets the prompt neither as {prompt} in its argv nor on stdin.
  bool WritesPromptFile() const { return writes_prompt_file_; }
  // Where the job's agent works (workspace.h).
  std::string WorkspaceOf(const AgentJob& job) const;
  const WorkspaceLayout& workspaces() const { return layout_; }

  // The template in use (agent.command or the preset's).
  const std::vector<std::string>& command_template() const { return template_; }
  size_t running() const;

  // Unknown placeholders, empty template (for `config check`).
  static Status ValidateTemplate(const std::vector<std::string>& argv);
  // Checks a whole AgentConfig: preset name, template, stdin_mode.
  static Status ValidateConfig(const AgentConfig& config);

 private:
  // Where one attempt's files live (under agent.work_dir and agent.log_dir).
  struct AttemptFiles {
    std::string work_dir;   // the attempt's own folder
    std::string workspace;  // where the agent works (may be work_dir)
    std::string artifacts_dir;
    std::string log_path;
    std::string stdout_path;  // stdout alone, parsed when larger than the tail, then removed
    std::string prompt_file;  // "" when none is written (WritesPromptFile)
  };
  // One attempt on its way through its steps; shared by the closures that
  // continue it. Only the thread running its current step touches it.
  struct Chain {
    AgentJob job;
    AttemptFiles files;
    ProcessSpec agent;  // the agent's command; its env is every step's
    DoneCallback done;
    bool workspace_made = false;                    // this attempt made the workspace
    bool agent_ran = false;                         // the agent started
    GitStatus git_before;                           // require_changes in a git workspace
    std::filesystem::file_time_type agent_start{};  // require_changes: files newer than this
    TimeMs started_at = 0;
    AgentResult result;
    // Held from the first step in the workspace to the last (per-task
    // workspaces): the janitor does not remove it meanwhile.
    std::unique_ptr<WorkspaceLock> lock;
  };
  using ChainPtr = std::shared_ptr<Chain>;
  // How a helper command ended; `process` is null when it did not start
  // (`status` says why).
  using StepDone = std::function<void(const ProcessResult* process, const Status& status)>;

  AttemptFiles FilesFor(const AgentJob& job) const;
  // Creates the attempt's folders and writes its prompt file (if any).
  Status PrepareFiles(const AttemptFiles& files, const std::string& prompt) const;
  // The command (template expanded), environment and limits of the attempt.
  Status BuildSpec(const AgentJob& job, const AttemptFiles& files, const std::string& prompt,
                   ProcessSpec* spec) const;
  // The attempt's outcome from its process result, with its artifacts.
  AgentResult ResultOf(const AgentJob& job, const AttemptFiles& files,
                       const ProcessResult& process) const;
  // Whether a helper command must run before the agent (then Start() only
  // queues the attempt).
  bool StepsBeforeAgent(const AttemptFiles& files) const;

  // The steps (attempt_steps.cc), in order.
  void PrepareWorkspace(const ChainPtr& c);
  // Takes the workspace's shared lock (per-task workspaces only).
  Status LockWorkspace(const ChainPtr& c) const;
  void MakeWorktree(const ChainPtr& c);
  void AfterCreate(const ChainPtr& c);
  void BeforeRun(const ChainPtr& c);
  void NoteStartingState(const ChainPtr& c);
  // `queued`: Start() returned already and recorded the attempt.
  Status LaunchAgent(const ChainPtr& c, int64_t* pid, bool queued);
  void AgentExited(const ChainPtr& c, const ProcessResult& process);
  void CheckChanges(const ChainPtr& c);
  void Verify(const ChainPtr& c);
  void AfterRun(const ChainPtr& c);
  void Finish(const ChainPtr& c);
  // Ends a step before the agent: the attempt fails with `type` (the
  // agent never runs), then after_run and `done`.
  void FailBeforeAgent(const ChainPtr& c, ErrorType type, const std::string& error);
  // Cancel() was called for the attempt.
  bool Cancelled(const ChainPtr& c) const;
  // Runs one helper command of the attempt; `then` runs on the completion
  // thread (or at once when it cannot start). `before_agent`: a cancelled
  // attempt starts nothing more.
  void RunStep(const ChainPtr& c, const StepCommand& command, int64_t timeout_ms,
               const std::vector<std::string>& extra_env, bool before_agent, StepDone then);
  // "workspace.before_run exited with 3: <its output>", for errors.
  static std::string StepFailure(const StepCommand& command, const ProcessResult* process,
                                 const Status& status);
  // Appends a line of taskexec's own to the attempt's log.
  static void LogLine(const AttemptFiles& files, const std::string& line);

  // A resumed attempt refused for an unknown session: kSessionNotFound.
  static void MarkUnknownSession(const AgentJob& job, const ProcessResult& process,
                                 AgentResult* result);
  // A failure on the provider's usage or quota limit (runner/usage_limit.h):
  // kUsageLimit, with the reset time when the output gives one.
  static void MarkUsageLimit(const ProcessResult& process, const std::string& stdout_text,
                             TimeMs now, AgentResult* result);
  static std::string AgentName(const AgentJob& job);

  AgentConfig config_;
  AgentEnvironment environment_;
  std::vector<std::string> template_;
  std::vector<std::string> resume_args_;  // appended for a job with a resume_session_id
  bool prompt_on_stdin_ = false;
  bool writes_prompt_file_ = true;
  Status template_status_;
  std::string work_dir_;
  std::string log_dir_;
  WorkspaceLayout layout_;
  ProcessSupervisor* supervisor_;
  const Clock* clock_;
  std::string shim_;  // SetAttemptShim; "" = none
  std::atomic<int64_t> start_by_ms_{0};

  // A running attempt: the child it waits on (a helper command or the
  // agent; 0 between steps), and when its agent started.
  struct Attempt {
    uint64_t handle = 0;
    bool agent_running = false;
    TimeMs started_at = 0;
    bool cancelled = false;  // Cancel() came: start nothing more before the agent
  };
  mutable Mutex mu_;
  std::map<std::string, Attempt> handles_ GUARDED_BY(mu_);  // by execution id
  // Last: destroyed first, finishing the results that use the members above.
  CompletionQueue completions_;
};

}  // namespace taskexec
