// AgentRunner: runs one agent CLI session per attempt.
//
// Start() expands the argv template (agent.command, else the preset's; plus
// the resume arguments when the job continues a session) with the attempt's
// values, writes the prompt to <work_dir>/<execution_id>/
// prompt.md, creates that directory (the child's cwd) and its artifacts/
// subdirectory, and starts the child through the ProcessSupervisor with:
//   TASKEXEC_TASK_ID, TASKEXEC_EXECUTION_ID, TASKEXEC_ATTEMPT, TASKEXEC_AGENT,
//   TASKEXEC_ARTIFACTS_DIR, TASKEXEC_PROMPT_FILE, TASKEXEC_LOG,
//   TASKEXEC_WORK_DIR (after agent.env, which they override), on top of the
//   AgentEnvironment it was given (agent_env.h: an allow-list, never
//   taskexec's secrets);
// stdout+stderr appended to <log_dir>/<execution_id>.log; the prompt also on
// stdin when agent.stdin_mode = "prompt" or the preset reads stdin; the
// per-task timeout and the stall limit (agent.stall_seconds without output;
// TERM to the group, KILL after agent.kill_grace_seconds).
// When the child is gone, its output is parsed (outcome.h), artifacts are
// collected with sha256 (artifacts.h) and `done` is called once -- on the
// runner's own completion thread, so a large output or artifact never holds
// up the supervisor watching the other children.
//
// Thread-safety: all methods may be called from any thread. `done` runs on
// the runner's completion thread. The runner must outlive every started
// attempt: shut the supervisor down before destroying the runner (the
// destructor then waits for the results still being made).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
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

namespace taskexec {

class AgentRunner {
 public:
  using DoneCallback = std::function<void(const AgentResult&)>;

  // Relative work_dir/log_dir are resolved against the current directory
  // now. An invalid template or preset is reported by every Start(). Every
  // child gets `environment` plus its attempt's TASKEXEC_* variables.
  AgentRunner(const AgentConfig& config, ProcessSupervisor* supervisor, const Clock* clock,
              AgentEnvironment environment);

  // Returns OK exactly when `done` will be called (once). Otherwise `done` is
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

  // Returns once `done` has been called for every attempt whose process had
  // exited before the call (after ProcessSupervisor::Shutdown: for all).
  void WaitForResults();

  // TERM the attempt's group (KILL after the grace); `done` then reports
  // kCancelled. NotFound when the attempt is not running here.
  Status Cancel(const std::string& execution_id);

  // When the running attempt's agent last wrote to stdout or stderr (this
  // runner's clock); 0 before its first output or when it is not running.
  TimeMs LastOutputAt(const std::string& execution_id) const;

  std::string LogPath(const std::string& execution_id) const;       // <log_dir>/<id>.log
  std::string WorkDir(const std::string& execution_id) const;       // <work_dir>/<id>
  std::string ArtifactsDir(const std::string& execution_id) const;  // <work_dir>/<id>/artifacts

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
    std::string work_dir;
    std::string artifacts_dir;
    std::string log_path;
    std::string stdout_path;  // stdout alone, parsed when larger than the tail, then removed
    std::string prompt_file;
  };
  AttemptFiles FilesFor(const std::string& execution_id) const;
  // Creates the attempt's folders and writes its prompt file.
  Status PrepareFiles(const AttemptFiles& files, const std::string& prompt) const;
  // The command (template expanded), environment and limits of the attempt.
  Status BuildSpec(const AgentJob& job, const AttemptFiles& files, const std::string& prompt,
                   ProcessSpec* spec) const;
  // The attempt's outcome from its process result, with its artifacts.
  AgentResult ResultOf(const AgentJob& job, const AttemptFiles& files,
                       const ProcessResult& process) const;
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
  Status template_status_;
  std::string work_dir_;
  std::string log_dir_;
  ProcessSupervisor* supervisor_;
  const Clock* clock_;

  // A running attempt: its supervisor handle, and when it was started.
  struct Attempt {
    uint64_t handle = 0;
    TimeMs started_at = 0;
  };
  mutable Mutex mu_;
  std::map<std::string, Attempt> handles_ GUARDED_BY(mu_);  // by execution id
  // Last: destroyed first, finishing the results that use the members above.
  CompletionQueue completions_;
};

}  // namespace taskexec
