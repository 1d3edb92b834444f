#include "runner/agent_runner.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include <spdlog/spdlog.h>

#include "core/make_dir.h"
#include "core/outcome_path.h"
#include "core/writable_dir.h"
#include "core/write_all.h"
#include "runner/artifacts.h"
#include "runner/command_template.h"
#include "runner/error_classifier.h"
#include "runner/exit_record.h"
#include "runner/presets.h"
#include "runner/progress_line.h"
#include "runner/prompt.h"
#include "runner/stdout_copy.h"
#include "runner/usage_limit.h"

namespace taskexec {

namespace fs = std::filesystem;

namespace {

std::string Absolute(const std::string& dir) {
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec);
  return ec ? dir : p.lexically_normal().string();
}

}  // namespace

AgentRunner::AgentRunner(const AgentConfig& config, ProcessSupervisor* supervisor,
                         const Clock* clock, AgentEnvironment environment)
    : config_(config),
      environment_(std::move(environment)),
      work_dir_(Absolute(config.work_dir)),
      log_dir_(Absolute(config.log_dir)),
      layout_(config.workspace, work_dir_),
      supervisor_(supervisor),
      clock_(clock) {
  template_status_ = ValidateConfig(config_);
  if (!config_.command.empty()) {
    template_ = config_.command;
  } else if (const Preset* preset = FindPreset(config_.preset)) {
    template_ = preset->argv;
    prompt_on_stdin_ = preset->prompt_on_stdin;
    const std::vector<std::string> approvals = ApprovalArgs(config_);
    template_.insert(template_.end(), approvals.begin(), approvals.end());
  }
  resume_args_ = ResumeArgs(config_);
  if (config_.stdin_mode == "prompt") prompt_on_stdin_ = true;
  // The prompt file is for an agent that reads the prompt from a file: one
  // whose command names it, or one given the prompt neither in its argv nor
  // on stdin (it has TASKEXEC_PROMPT_FILE). Otherwise it is not written: a
  // file fewer per attempt.
  auto names = [this](const char* placeholder) {
    return TemplateNames(template_, placeholder) || TemplateNames(resume_args_, placeholder);
  };
  writes_prompt_file_ = names("prompt_file") || !(prompt_on_stdin_ || names("prompt"));
}

Status AgentRunner::ValidateTemplate(const std::vector<std::string>& argv) {
  return ValidateCommandTemplate(argv);
}

Status AgentRunner::ValidateConfig(const AgentConfig& config) {
  if (config.command.empty()) {
    Status s;
    PresetCommand(config.preset, &s);
    if (!s.ok()) return s;
  } else if (Status s = ValidateCommandTemplate(config.command); !s.ok()) {
    return s;
  }
  if (Status s = ValidateTemplateArgs(config.resume_args, "agent.resume_args"); !s.ok()) return s;
  if (config.stdin_mode != "none" && config.stdin_mode != "prompt") {
    return Status::InvalidArgument("agent.stdin_mode: \"" + config.stdin_mode +
                                   "\" is not allowed; expected none or prompt");
  }
  if (config.timeout_seconds < 0) {
    return Status::InvalidArgument("agent.timeout_seconds must be >= 0 (0 = no timeout)");
  }
  if (config.kill_grace_seconds < 0) {
    return Status::InvalidArgument("agent.kill_grace_seconds must be >= 0");
  }
  if (config.stall_seconds < 0) {
    return Status::InvalidArgument("agent.stall_seconds must be >= 0 (0 = never)");
  }
  return Status::OK();
}

std::string AgentRunner::LogPath(const std::string& execution_id) const {
  return (fs::path(log_dir_) / (execution_id + ".log")).string();
}

std::string AgentRunner::WorkDir(const std::string& execution_id) const {
  return layout_.AttemptDir(execution_id);
}

std::string AgentRunner::WorkspaceOf(const AgentJob& job) const {
  return layout_.PathFor(job.task.id, job.execution.id);
}

std::string AgentRunner::ArtifactsDir(const std::string& execution_id) const {
  // In a task's workspace the agent works elsewhere: the attempt's folder
  // holds its artifacts alone, one folder (and one ext4 block) fewer.
  if (layout_.per_task()) return WorkDir(execution_id);
  return (fs::path(WorkDir(execution_id)) / "artifacts").string();
}

std::string AgentRunner::PromptFile(const std::string& execution_id) const {
  return PromptFilePath(LogPath(execution_id));
}

size_t AgentRunner::running() const {
  MutexLock lock(&mu_);
  return handles_.size();
}

AgentRunner::AttemptFiles AgentRunner::FilesFor(const AgentJob& job) const {
  const std::string& execution_id = job.execution.id;
  AttemptFiles f;
  f.work_dir = WorkDir(execution_id);
  f.workspace = WorkspaceOf(job);
  f.artifacts_dir = ArtifactsDir(execution_id);
  f.log_path = LogPath(execution_id);
  f.stdout_path = (fs::path(log_dir_) / (execution_id + ".stdout")).string();
  if (writes_prompt_file_) f.prompt_file = PromptFilePath(f.log_path);
  return f;
}

Status AgentRunner::PrepareFiles(const AttemptFiles& files, const std::string& prompt) const {
  if (Status s = MakeDir(files.work_dir); !s.ok()) return s;
  if (files.artifacts_dir != files.work_dir) {
    if (Status s = MakeDir(files.artifacts_dir); !s.ok()) return s;
  }
  if (files.prompt_file.empty()) return Status::OK();
  // Beside the log: the first file there makes the folder (as the log does).
  return WriteWholeFileMakingFolder(files.prompt_file, prompt);
}

bool AgentRunner::StepsBeforeAgent(const AttemptFiles& files) const {
  const WorkspaceConfig& w = layout_.config();
  if (layout_.uses_git() || !w.before_run.empty()) return true;
  std::error_code ec;
  return !w.after_create.empty() && layout_.per_task() && !fs::exists(files.workspace, ec);
}

Status AgentRunner::BuildSpec(const AgentJob& job, const AttemptFiles& files,
                              const std::string& prompt, ProcessSpec* spec) const {
  const std::string& exec_id = job.execution.id;
  const std::string agent = AgentName(job);
  const std::string attempt = std::to_string(job.execution.attempt);
  const std::map<std::string, std::string> values = {
      {"agent", agent},
      {"task_id", job.task.id},
      {"execution_id", exec_id},
      {"attempt", attempt},
      {"label",
       job.execution.session_label.empty() ? "task-" + job.task.id : job.execution.session_label},
      {"title", job.task.title},
      {"prompt", prompt},
      {"prompt_file", files.prompt_file},
      {"context_json", job.task.context_json.empty() ? "{}" : job.task.context_json},
      {"timeout_seconds", std::to_string(config_.timeout_seconds)},
      {"work_dir", files.workspace},
      {"artifacts_dir", files.artifacts_dir},
      {"log_path", files.log_path},
      {"resume_session_id", job.resume_session_id},
  };
  std::vector<std::string> tmpl = template_;
  if (!job.resume_session_id.empty()) {
    tmpl.insert(tmpl.end(), resume_args_.begin(), resume_args_.end());
  }
  if (Status s = ExpandCommandTemplate(tmpl, values, &spec->argv); !s.ok()) return s;
  std::map<std::string, std::string> attempt_env = {{"TASKEXEC_TASK_ID", job.task.id},
                                                    {"TASKEXEC_EXECUTION_ID", exec_id},
                                                    {"TASKEXEC_ATTEMPT", attempt},
                                                    {"TASKEXEC_AGENT", agent},
                                                    {"TASKEXEC_ARTIFACTS_DIR", files.artifacts_dir},
                                                    {"TASKEXEC_LOG", files.log_path},
                                                    {"TASKEXEC_WORK_DIR", files.workspace}};
  if (!files.prompt_file.empty()) attempt_env["TASKEXEC_PROMPT_FILE"] = files.prompt_file;
  spec->env = environment_.ForAttempt(attempt_env);
  if (Status s = CheckExecLimits(tmpl, spec->argv, spec->env); !s.ok()) return s;
  spec->cwd = files.workspace;
  spec->log_path = files.log_path;
  spec->stdout_path = files.stdout_path;
  if (!shim_.empty()) {
    spec->shim = shim_;
    spec->exit_record = ExitRecordPath(files.log_path);
  }
  if (prompt_on_stdin_) spec->stdin_data = prompt;
  spec->timeout_ms = static_cast<int64_t>(config_.timeout_seconds) * 1000;
  spec->kill_grace_ms = static_cast<int64_t>(config_.kill_grace_seconds) * 1000;
  spec->stall_ms = static_cast<int64_t>(config_.stall_seconds) * 1000;
  spec->nice = config_.nice;
  return Status::OK();
}

AgentResult AgentRunner::ResultOf(const AgentJob& job, const AttemptFiles& files,
                                  const ProcessResult& process) const {
  const std::string& task_id = job.task.id;
  const std::string& exec_id = job.execution.id;
  // The log keeps the output for people; the stdout copy only serves this.
  std::string stdout_warning;
  ProcessResult whole = process;
  whole.stdout_tail =
      StdoutForParsing(process, files.stdout_path, kMaxParsedStdoutBytes, &stdout_warning);
  // The copy is made only once stdout outgrows its tail.
  if (!files.stdout_path.empty() &&
      process.stdout_bytes > static_cast<int64_t>(process.stdout_tail.size())) {
    std::error_code ec;
    fs::remove(files.stdout_path, ec);
  }
  ParsedOutcome parsed = ParseOutcome(whole, {task_id, exec_id});
  MarkUnknownSession(job, process, &parsed.result);
  MarkUsageLimit(process, whole.stdout_tail, clock_->NowMs(), &parsed.result);
  if (!stdout_warning.empty()) {
    spdlog::warn("execution {}: {}", exec_id, stdout_warning);
    parsed.result.warnings.push_back(stdout_warning);
  }
  ArtifactSource source;
  source.artifacts_dir = files.artifacts_dir;
  source.listed_paths = parsed.artifact_paths;
  source.cwd = files.workspace;
  source.task_id = task_id;
  source.execution_id = exec_id;
  source.now = clock_->NowMs();
  ArtifactCollection collected = CollectArtifacts(source);
  parsed.result.artifacts = std::move(collected.artifacts);
  for (auto& w : collected.warnings) {
    spdlog::warn("execution {}: {}", exec_id, w);
    parsed.result.warnings.push_back(std::move(w));
  }
  return parsed.result;
}

bool AgentRunner::ExitRecordSuffices() const {
  return !shim_.empty() && !config_.require_changes && config_.verify.empty() &&
         layout_.config().after_run.empty();
}

bool AgentRunner::ResultFromExitRecord(const SessionExecution& execution,
                                       AgentResult* result) const {
  AgentJob job;
  job.task.id = execution.task_id;
  job.execution = execution;
  AttemptFiles files = FilesFor(job);
  if (!execution.log_path.empty()) files.log_path = execution.log_path;
  const std::string path = ExitRecordPath(files.log_path);
  ExitRecord record;
  if (Status s = ReadExitRecord(path, &record); !s.ok()) {
    if (!s.IsNotFound()) spdlog::warn("execution {}: {}", execution.id, s.ToString());
    return false;
  }
  // The service that wrote the stdout copy may have died before its end:
  // the record's tail is what there is.
  files.stdout_path.clear();
  AgentResult r = ResultOf(job, files, record.process);
  // A stop and the agent's own end can cross: the stop reaches the
  // supervisor before it has seen the exit, or kills the agent as it exits
  // after its report. A stopped agent that reported its work done did it;
  // any other end of a stopped one is the stop's.
  if (record.stop_signal != 0 && r.status != ExecutionStatus::kCompleted) {
    if (!ReportsCompletion(record.process)) {
      spdlog::info("execution {}: its agent was stopped (signal {}) before it ended", execution.id,
                   record.stop_signal);
      return false;
    }
    ProcessResult reported = record.process;
    reported.term_signal.reset();
    reported.exit_code = 0;
    r = ResultOf(job, files, reported);
    if (r.status != ExecutionStatus::kCompleted) return false;
    r.warnings.push_back("stopped (signal " + std::to_string(record.stop_signal) +
                         ") just after it reported its work done");
  }
  if (r.status == ExecutionStatus::kCompleted &&
      (config_.require_changes || !config_.verify.empty())) {
    spdlog::warn(
        "execution {}: its agent reported completion while no service watched it; "
        "agent.require_changes / agent.verify were not run on it, so it is not taken",
        execution.id);
    return false;
  }
  if (!layout_.config().after_run.empty()) {
    spdlog::warn(
        "execution {}: its agent ended while no service watched it; workspace.after_run did "
        "not run after it, so its end is not taken",
        execution.id);
    return false;
  }
  r.warnings.push_back(
      "recorded from the attempt's exit record: its agent ended while no "
      "service watched it");
  if (record.log_failed) r.warnings.push_back("some of the agent's output is missing from the log");
  *result = std::move(r);
  return true;
}

void AgentRunner::MarkUnknownSession(const AgentJob& job, const ProcessResult& process,
                                     AgentResult* result) {
  if (job.resume_session_id.empty() || result->status != ExecutionStatus::kFailed) return;
  // The whole stderr tail: Codex prints a stack trace after the message.
  if (!MentionsUnknownSession(process.stderr_tail) && !MentionsUnknownSession(result->error)) {
    return;
  }
  result->error_type = ErrorType::kSessionNotFound;
  result->retryable = true;
  result->error = "the agent does not know session " + job.resume_session_id +
                  "; the next attempt starts a fresh one (" + result->error + ")";
  if (result->error.size() > kMaxErrorChars) result->error.resize(kMaxErrorChars);
}

void AgentRunner::MarkUsageLimit(const ProcessResult& process, const std::string& stdout_text,
                                 TimeMs now, AgentResult* result) {
  if (result->status != ExecutionStatus::kFailed ||
      result->error_type == ErrorType::kSessionNotFound) {
    return;
  }
  // Where the CLIs say it: the end of stdout (an event stream's last error),
  // stderr, and the error the outcome parser took (a JSON result's text).
  // Not the whole of stdout: the agent's own work may talk about limits.
  // The last line that says it is taken, so the parsed error comes last.
  constexpr size_t kStdoutEnd = 4096;
  std::string text = stdout_text.size() > kStdoutEnd
                         ? stdout_text.substr(stdout_text.size() - kStdoutEnd)
                         : stdout_text;
  text += "\n" + process.stderr_tail + "\n" + result->error;
  std::optional<UsageLimitHit> hit = FindUsageLimit(text, now);
  if (!hit) return;
  result->error_type = ErrorType::kUsageLimit;
  result->retryable = true;
  result->usage_limit_reset_at = hit->reset_at > now ? hit->reset_at : 0;
  const bool says_it = hit->line.find("usage limit") != std::string::npos ||
                       hit->line.find("Usage limit") != std::string::npos;
  result->error = SanitizeText(says_it ? hit->line : "usage limit: " + hit->line, kMaxErrorChars);
}

std::string AgentRunner::AgentName(const AgentJob& job) {
  return job.execution.agent.empty() ? "main" : job.execution.agent;
}

Status AgentRunner::CheckFiles() const {
  if (Status s = CheckWritableDir("agent.log_dir", log_dir_); !s.ok()) return s;
  return CheckWritableDir("agent.work_dir", work_dir_);
}

Status AgentRunner::Start(const AgentJob& job, DoneCallback done, int64_t* pid) {
  if (!template_status_.ok()) return template_status_;
  if (!done) return Status::InvalidArgument("no completion callback");
  const std::string& exec_id = job.execution.id;
  if (Status s = CheckPathComponent("execution id", exec_id); !s.ok()) return s;
  if (layout_.per_task()) {
    if (Status s = CheckPathComponent("task id", WorkspaceFolderName(job.task.id)); !s.ok()) {
      return s;
    }
  }

  auto c = std::make_shared<Chain>();
  c->job = job;
  c->files = FilesFor(job);
  c->done = std::move(done);
  const std::string prompt =
      BuildPrompt(job.task, job.execution, job.checkpoint_json, config_.prompt_template);
  if (Status s = PrepareFiles(c->files, prompt); !s.ok()) return s;
  if (Status s = BuildSpec(job, c->files, prompt, &c->agent); !s.ok()) return s;

  if (!StepsBeforeAgent(c->files)) {
    // Nothing to wait for: the agent starts now, and a failure to start it
    // is the caller's to record. (A workspace being removed right now is
    // left to the queued path, which reports it as a workspace_error.)
    if (Status s = MakeDir(c->files.workspace); !s.ok()) return s;
    if (LockWorkspace(c).ok()) return LaunchAgent(c, pid, false);
  }
  {
    MutexLock lock(&mu_);
    if (handles_.count(exec_id) != 0) {
      return Status::Conflict("execution " + exec_id + " is already running");
    }
    handles_[exec_id] = Attempt{};
  }
  if (pid != nullptr) *pid = 0;
  completions_.Post([this, c] { PrepareWorkspace(c); });
  return Status::OK();
}

void AgentRunner::WaitForResults() { completions_.Drain(); }

Status AgentRunner::Cancel(const std::string& execution_id) {
  uint64_t handle = 0;
  {
    MutexLock lock(&mu_);
    auto it = handles_.find(execution_id);
    if (it == handles_.end())
      return Status::NotFound("execution " + execution_id + " is not running here");
    it->second.cancelled = true;
    handle = it->second.handle;
  }
  if (handle == 0) return Status::OK();  // between steps: the next one sees the flag
  Status s = supervisor_->Cancel(handle);
  // The step ended meanwhile: the flag stops the attempt before its agent.
  return s.IsNotFound() ? Status::OK() : s;
}

AttemptProgress AgentRunner::Progress(const std::string& execution_id) const {
  Attempt attempt;
  {
    MutexLock lock(&mu_);
    auto it = handles_.find(execution_id);
    if (it == handles_.end() || !it->second.agent_running) return {};
    attempt = it->second;
  }
  int64_t ms_after_start = -1;
  if (!supervisor_->LastOutput(attempt.handle, &ms_after_start).ok() || ms_after_start < 0) {
    return {};
  }
  AttemptProgress progress;
  progress.last_output_at = attempt.started_at + ms_after_start;
  // Its end first: the last line is nearly always there, and thousands of
  // sessions are asked every few seconds.
  constexpr size_t kEndBytes = 1024;
  std::string recent;
  if (!supervisor_->RecentOutput(attempt.handle, &recent, kEndBytes).ok()) return progress;
  if (recent.size() < kEndBytes) {
    progress.last_line = LastMeaningfulLine(recent);  // all there is
  } else if (!LastMeaningfulLineOfTail(recent, &progress.last_line) &&
             supervisor_->RecentOutput(attempt.handle, &recent).ok()) {
    progress.last_line = LastMeaningfulLine(recent);
  }
  return progress;
}

}  // namespace taskexec
