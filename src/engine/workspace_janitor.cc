#include "engine/workspace_janitor.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/task_status.h"
#include "runner/workspace_lock.h"

namespace taskexec {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kDayMs = 86'400'000;

std::string Absolute(const std::string& dir) {
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec);
  return ec ? dir : p.lexically_normal().string();
}

int64_t SizeOf(const fs::path& dir) {
  int64_t total = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code fec;
    if (it->is_regular_file(fec) && !it->is_symlink(fec)) {
      const std::uintmax_t n = it->file_size(fec);
      if (!fec) total += static_cast<int64_t>(n);
    }
  }
  return total;
}

TimeMs ModifiedAt(const fs::path& p) {
  std::error_code ec;
  const fs::file_time_type t = fs::last_write_time(p, ec);
  if (ec) return 0;
  const auto sys = std::chrono::file_clock::to_sys(t);
  return std::chrono::duration_cast<std::chrono::milliseconds>(sys.time_since_epoch()).count();
}

std::string Days(int64_t ms) { return std::to_string(ms / kDayMs) + " days"; }

}  // namespace

WorkspaceJanitor::WorkspaceJanitor(const AgentConfig& config, TaskStore* store, const Clock* clock,
                                   AgentEnvironment environment)
    : config_(config),
      work_dir_(Absolute(config.work_dir)),
      layout_(config.workspace, work_dir_),
      store_(store),
      clock_(clock),
      environment_(std::move(environment)) {}

WorkspaceJanitor::~WorkspaceJanitor() {
  if (supervisor_) supervisor_->Shutdown(0);
}

void WorkspaceJanitor::Judge(const Task* task, WorkspaceInfo* info) const {
  if (task == nullptr) {
    info->verdict = "keep";
    info->reason = "no task owns it";
    return;
  }
  info->has_task = true;
  info->status = std::string(ToString(task->status));
  if (!IsTerminal(task->status)) {
    info->verdict = "keep";
    info->reason = "task is " + info->status;
    return;
  }
  info->finished_at = task->completed_at != 0 ? task->completed_at : task->updated_at;
  const WorkspaceConfig& w = config_.workspace;
  const int64_t age = clock_->NowMs() - info->finished_at;
  const int64_t max_age = static_cast<int64_t>(w.max_age_days) * kDayMs;
  const bool old = max_age > 0 && age >= max_age;
  const bool kept_kind =
      w.keep == "always" || (w.keep == "failed" && task->status != TaskStatus::kCompleted);
  const std::string rule = " (workspace.keep = " + w.keep + ")";
  if (w.keep == "never" || !kept_kind) {
    info->verdict = "remove";
    info->reason = info->status + rule;
  } else if (old) {
    info->verdict = "remove";
    info->reason = info->status + " " + Days(age) +
                   " ago (workspace.max_age_days = " + std::to_string(w.max_age_days) + ")";
  } else {
    info->verdict = "keep";
    info->reason = info->status + rule +
                   (max_age > 0 ? ", removed in " + Days(max_age - age + kDayMs - 1) : "");
  }
}

Status WorkspaceJanitor::List(bool sizes, std::vector<WorkspaceInfo>* out) const {
  out->clear();
  if (!layout_.per_task()) return Status::OK();
  std::error_code ec;
  fs::directory_iterator it(work_dir_, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return Status::OK();
    return Status::IOError("cannot list " + work_dir_ + ": " + ec.message());
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return Status::IOError("cannot list " + work_dir_ + ": " + ec.message());
    const std::string name = it->path().filename().string();
    std::error_code sec;
    // Folders only; a link is not followed out of work_dir.
    if (name.empty() || name[0] == '.' || !fs::is_directory(it->symlink_status(sec))) continue;
    Task task;
    const std::string task_id = TaskIdOfFolder(name);
    Status s = store_->GetTask(task_id, &task);
    if (!s.ok() && !s.IsNotFound()) return s;
    if (s.IsNotFound()) {
      SessionExecution e;
      Status es = store_->GetExecution(name, &e);
      if (es.ok()) continue;  // an attempt's own folder (its artifacts)
      if (!es.IsNotFound()) return es;
    }
    WorkspaceInfo info;
    info.task_id = task_id;
    info.path = it->path().string();
    if (sizes) info.bytes = SizeOf(it->path());
    info.git_worktree = fs::is_regular_file(it->path() / ".git", sec);
    info.modified_at = ModifiedAt(it->path());
    Judge(s.ok() ? &task : nullptr, &info);
    if (info.verdict == "remove") {
      std::unique_ptr<WorkspaceLock> probe;
      if (WorkspaceLock::Take(info.path, WorkspaceLock::Mode::kExclusive, &probe).IsUnavailable()) {
        info.verdict = "in_use";
        info.reason = "an attempt of the task holds it";
      }
    }
    out->push_back(std::move(info));
  }
  std::sort(out->begin(), out->end(),
            [](const WorkspaceInfo& a, const WorkspaceInfo& b) { return a.task_id < b.task_id; });
  return Status::OK();
}

Status WorkspaceJanitor::Collect(bool dry_run, WorkspaceGcReport* report) {
  *report = WorkspaceGcReport();
  MutexLock lock(&mu_);
  std::vector<WorkspaceInfo> all;
  if (Status s = List(/*sizes=*/false, &all); !s.ok()) return s;
  for (WorkspaceInfo& info : all) {
    if (info.verdict != "remove") {
      ++report->kept;
      continue;
    }
    info.bytes = SizeOf(info.path);
    if (!dry_run && !Remove(info, report)) {
      ++report->kept;
      continue;
    }
    report->bytes += info.bytes;
    report->removed.push_back(info);
  }
  return Status::OK();
}

bool WorkspaceJanitor::Remove(const WorkspaceInfo& info, WorkspaceGcReport* report) {
  std::unique_ptr<WorkspaceLock> lock;
  Status s = WorkspaceLock::Take(info.path, WorkspaceLock::Mode::kExclusive, &lock);
  if (s.IsUnavailable() || s.IsNotFound()) return false;  // started meanwhile, or gone
  if (!s.ok()) {
    report->errors.push_back(info.path + ": " + s.message());
    return false;
  }
  // Judged from a read before the lock: the task may have been re-run since.
  // Under the lock no attempt of it can start here, so this read stands.
  Task task;
  if (Status ts = store_->GetTask(info.task_id, &task); !ts.ok()) {
    if (!ts.IsNotFound()) report->errors.push_back(info.path + ": " + ts.message());
    return false;
  }
  WorkspaceInfo now = info;
  Judge(&task, &now);
  if (now.verdict != "remove") return false;

  const WorkspaceConfig& w = config_.workspace;
  ProcessResult result;
  if (!w.before_remove.empty()) {
    const StepCommand hook{"workspace.before_remove", w.before_remove, info.path};
    Status hs = RunToEnd(hook, info.task_id, &result);
    if (!hs.ok() || result.exit_code != 0) {
      report->errors.push_back(info.path + ": workspace.before_remove " +
                               (hs.ok()
                                    ? "exited with " + std::to_string(result.exit_code.value_or(-1))
                                    : "did not run: " + hs.message()) +
                               " (removed all the same)");
    }
  }
  if (info.git_worktree && layout_.uses_git()) {
    Status gs = RunToEnd(layout_.RemoveWorktree(info.path), info.task_id, &result);
    if (!gs.ok() || result.exit_code != 0) {
      // The folder goes all the same; the next `git worktree prune` (each
      // new workspace runs one) forgets it.
      report->errors.push_back(info.path + ": git worktree remove " +
                               (gs.ok() ? "failed: " + result.stderr_tail : gs.message()));
    }
  }
  std::error_code ec;
  fs::remove_all(info.path, ec);  // removes links, never what they point to
  if (ec) {
    report->errors.push_back(info.path + ": " + ec.message());
    return false;
  }
  spdlog::info("workspace of task {} removed ({})", info.task_id, now.reason);
  return true;
}

Status WorkspaceJanitor::RunToEnd(const StepCommand& command, const std::string& task_id,
                                  ProcessResult* result) {
  if (!supervisor_) supervisor_ = std::make_unique<ProcessSupervisor>();
  ProcessSpec spec;
  spec.argv = command.argv;
  spec.cwd = command.cwd;
  spec.env =
      environment_.ForAttempt({{"TASKEXEC_TASK_ID", task_id}, {"TASKEXEC_WORK_DIR", command.cwd}});
  spec.log_path = (fs::path(Absolute(config_.log_dir)) / "workspaces.log").string();
  spec.timeout_ms = config_.workspace.hook_timeout_seconds * 1000LL;
  spec.kill_grace_ms = config_.kill_grace_seconds * 1000LL;
  spec.tail_bytes = 16 * 1024;
  {
    std::ofstream log(spec.log_path, std::ios::app);
    log << "[taskexec] " << command.what << " (task " << task_id << ")\n";
  }
  return RunToExit(supervisor_.get(), spec, result);
}

}  // namespace taskexec
