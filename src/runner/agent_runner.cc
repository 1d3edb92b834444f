#include "runner/agent_runner.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

#include "runner/artifacts.h"
#include "runner/command_template.h"
#include "runner/error_classifier.h"
#include "runner/presets.h"
#include "runner/prompt.h"

namespace taskexec {

namespace fs = std::filesystem;

namespace {

std::string Absolute(const std::string& dir) {
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec);
  return ec ? dir : p.lexically_normal().string();
}

// Execution ids become directory and file names.
Status CheckExecutionId(const std::string& id) {
  if (id.empty() || id == "." || id == ".." || id.find('/') != std::string::npos ||
      id.find('\0') != std::string::npos || id.size() > 200) {
    return Status::InvalidArgument("execution id \"" + id + "\" cannot be used as a file name");
  }
  return Status::OK();
}

Status WriteFile(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  f.close();
  if (!f) return Status::IOError("cannot write " + path);
  return Status::OK();
}

}  // namespace

AgentRunner::AgentRunner(const AgentConfig& config, ProcessSupervisor* supervisor,
                         const Clock* clock, AgentEnvironment environment)
    : config_(config),
      environment_(std::move(environment)),
      work_dir_(Absolute(config.work_dir)),
      log_dir_(Absolute(config.log_dir)),
      supervisor_(supervisor),
      clock_(clock) {
  template_status_ = ValidateConfig(config_);
  if (!config_.command.empty()) {
    template_ = config_.command;
  } else if (const Preset* preset = FindPreset(config_.preset)) {
    template_ = preset->argv;
    prompt_on_stdin_ = preset->prompt_on_stdin;
  }
  if (config_.stdin_mode == "prompt") prompt_on_stdin_ = true;
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
  return Status::OK();
}

std::string AgentRunner::LogPath(const std::string& execution_id) const {
  return (fs::path(log_dir_) / (execution_id + ".log")).string();
}

std::string AgentRunner::WorkDir(const std::string& execution_id) const {
  return (fs::path(work_dir_) / execution_id).string();
}

std::string AgentRunner::ArtifactsDir(const std::string& execution_id) const {
  return (fs::path(WorkDir(execution_id)) / "artifacts").string();
}

size_t AgentRunner::running() const {
  MutexLock lock(&mu_);
  return handles_.size();
}

Status AgentRunner::Start(const AgentJob& job, DoneCallback done, int64_t* pid) {
  if (!template_status_.ok()) return template_status_;
  if (!done) return Status::InvalidArgument("no completion callback");
  const std::string& exec_id = job.execution.id;
  if (Status s = CheckExecutionId(exec_id); !s.ok()) return s;

  const std::string cwd = WorkDir(exec_id);
  const std::string artifacts_dir = ArtifactsDir(exec_id);
  const std::string log_path = LogPath(exec_id);
  const std::string prompt_file = (fs::path(cwd) / "prompt.md").string();
  std::error_code ec;
  fs::create_directories(artifacts_dir, ec);
  if (ec) return Status::IOError("cannot create " + artifacts_dir + ": " + ec.message());
  fs::create_directories(log_dir_, ec);
  if (ec) return Status::IOError("cannot create " + log_dir_ + ": " + ec.message());

  const std::string prompt =
      BuildPrompt(job.task, job.execution, job.checkpoint_json, config_.prompt_template);
  if (Status s = WriteFile(prompt_file, prompt); !s.ok()) return s;

  const std::string agent = job.execution.agent.empty() ? "main" : job.execution.agent;
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
      {"prompt_file", prompt_file},
      {"context_json", job.task.context_json.empty() ? "{}" : job.task.context_json},
      {"timeout_seconds", std::to_string(config_.timeout_seconds)},
      {"work_dir", cwd},
      {"artifacts_dir", artifacts_dir},
      {"log_path", log_path},
  };
  ProcessSpec spec;
  if (Status s = ExpandCommandTemplate(template_, values, &spec.argv); !s.ok()) return s;
  spec.env = environment_.ForAttempt({{"TASKEXEC_TASK_ID", job.task.id},
                                      {"TASKEXEC_EXECUTION_ID", exec_id},
                                      {"TASKEXEC_ATTEMPT", attempt},
                                      {"TASKEXEC_AGENT", agent},
                                      {"TASKEXEC_ARTIFACTS_DIR", artifacts_dir},
                                      {"TASKEXEC_PROMPT_FILE", prompt_file},
                                      {"TASKEXEC_LOG", log_path},
                                      {"TASKEXEC_WORK_DIR", cwd}});
  if (Status s = CheckExecLimits(template_, spec.argv, spec.env); !s.ok()) {
    return s;
  }
  spec.cwd = cwd;
  spec.log_path = log_path;
  if (prompt_on_stdin_) spec.stdin_data = prompt;
  spec.timeout_ms = static_cast<int64_t>(config_.timeout_seconds) * 1000;
  spec.kill_grace_ms = static_cast<int64_t>(config_.kill_grace_seconds) * 1000;

  const std::string task_id = job.task.id;
  auto on_exit = [this, task_id, exec_id, cwd, artifacts_dir,
                  done = std::move(done)](const ProcessResult& process) {
    ParsedOutcome parsed = ParseOutcome(process, {task_id, exec_id});
    ArtifactSource source;
    source.artifacts_dir = artifacts_dir;
    source.listed_paths = parsed.artifact_paths;
    source.cwd = cwd;
    source.task_id = task_id;
    source.execution_id = exec_id;
    source.now = clock_->NowMs();
    ArtifactCollection collected = CollectArtifacts(source);
    parsed.result.artifacts = std::move(collected.artifacts);
    for (auto& w : collected.warnings) {
      spdlog::warn("execution {}: {}", exec_id, w);
      parsed.result.warnings.push_back(std::move(w));
    }
    {
      MutexLock lock(&mu_);
      handles_.erase(exec_id);
    }
    done(parsed.result);
  };

  // Held across the spawn so a child that exits at once cannot run its
  // callback (which erases the handle) before the handle is recorded.
  MutexLock lock(&mu_);
  if (handles_.count(exec_id) != 0) {
    return Status::Conflict("execution " + exec_id + " is already running");
  }
  uint64_t handle = 0;
  int64_t child_pid = 0;
  if (Status s = supervisor_->Start(spec, std::move(on_exit), &handle, &child_pid); !s.ok()) {
    return s;
  }
  handles_[exec_id] = handle;
  if (pid != nullptr) *pid = child_pid;
  spdlog::info("execution {} of task {}: started {} (pid {}, agent {})", exec_id, task_id,
               spec.argv[0], child_pid, agent);
  return Status::OK();
}

Status AgentRunner::Cancel(const std::string& execution_id) {
  uint64_t handle = 0;
  {
    MutexLock lock(&mu_);
    auto it = handles_.find(execution_id);
    if (it == handles_.end())
      return Status::NotFound("execution " + execution_id + " is not running here");
    handle = it->second;
  }
  return supervisor_->Cancel(handle);
}

}  // namespace taskexec
