#include "api/pruner.h"

#include <filesystem>
#include <utility>

#include "api/json_codec.h"
#include "core/folder_name.h"
#include "core/outcome_path.h"

namespace taskexec {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxKeptReasons = 20;

// "" for an empty (unset) path, never the current directory.
std::string Canonical(const std::string& path) {
  if (path.empty()) return "";
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? std::string() : p.string();
}

// `path` names an entry directly inside `dir` (both canonical, non-empty).
bool DirectlyInside(const std::string& path, const std::string& dir) {
  if (path.empty() || dir.empty()) return false;
  return fs::path(path).parent_path() == fs::path(dir);
}

// An execution id usable as one path component.
bool PlainName(const std::string& id) {
  return !id.empty() && id != "." && id != ".." && id.find('/') == std::string::npos &&
         id.find('\0') == std::string::npos;
}

}  // namespace

struct Pruner::Dirs {
  std::string log;   // canonical, "" = remove no logs
  std::string work;  // canonical, "" = remove no work dirs
};

struct Pruner::Doomed {
  Task task;
  std::vector<SessionExecution> executions;
  std::vector<Artifact> artifacts;
};

Pruner::Pruner(TaskStore* store, PruneSetup setup) : store_(store), setup_(std::move(setup)) {}

Status Pruner::Run(const PruneRequest& request, PruneReport* report) const {
  *report = PruneReport();
  if (request.finished_before <= 0)
    return Status::InvalidArgument("prune: a date is required (finished_before)");
  if (request.batch <= 0) return Status::InvalidArgument("prune: batch must be at least 1");
  const Dirs dirs{Canonical(setup_.log_dir), Canonical(setup_.work_dir)};
  FinishedCursor cursor;
  for (;;) {
    std::vector<Task> tasks;
    Status s = store_->ListFinishedBefore(request.finished_before, cursor, request.batch, &tasks);
    if (!s.ok()) return s;
    if (tasks.empty()) return Status::OK();
    cursor = {tasks.back().completed_at, tasks.back().id};
    if (s = Batch(request, dirs, tasks, report); !s.ok()) return s;
    if (static_cast<int>(tasks.size()) < request.batch) return Status::OK();
  }
}

Status Pruner::Load(const Task& task, Doomed* out) const {
  out->task = task;
  if (Status s = store_->ListExecutions(task.id, &out->executions); !s.ok()) return s;
  return store_->ListArtifacts(task.id, &out->artifacts);
}

Status Pruner::Batch(const PruneRequest& request, const Dirs& dirs, const std::vector<Task>& tasks,
                     PruneReport* report) const {
  std::vector<Doomed> doomed;
  std::vector<TaskDeletion> deletions;
  for (const Task& task : tasks) {
    std::string why;
    if (setup_.keep && setup_.keep(task, &why)) {
      ++report->kept;
      if (report->kept_reasons.size() < kMaxKeptReasons)
        report->kept_reasons.push_back(task.id + ": " + why);
      continue;
    }
    Doomed d;
    if (Status s = Load(task, &d); !s.ok()) return s;
    TaskDeletion del{task.id, task.version, {}};
    if (setup_.meta_keys) del.meta_keys = setup_.meta_keys(task, d.executions);
    deletions.push_back(std::move(del));
    doomed.push_back(std::move(d));
  }
  if (request.dry_run) {
    for (const Doomed& d : doomed) {
      ++report->tasks;
      report->executions += static_cast<int64_t>(d.executions.size());
      report->artifacts += static_cast<int64_t>(d.artifacts.size());
    }
    return Status::OK();
  }
  if (request.archive != nullptr) {
    for (const Doomed& d : doomed) {
      nlohmann::json line = {{"task", ToJson(d.task)},
                             {"executions", nlohmann::json::array()},
                             {"artifacts", nlohmann::json::array()}};
      for (const auto& e : d.executions) line["executions"].push_back(ToJson(e));
      for (const auto& a : d.artifacts) line["artifacts"].push_back(ToJson(a));
      *request.archive << DumpJson(line) << '\n';
    }
    request.archive->flush();
    if (!*request.archive) return Status::IOError("prune: cannot write the archive");
  }
  std::vector<std::string> deleted;
  if (Status s = store_->DeleteTasks(deletions, &deleted); !s.ok()) return s;
  size_t next = 0;  // `deleted` is in the order of `deletions`
  for (const Doomed& d : doomed) {
    if (next >= deleted.size() || deleted[next] != d.task.id) {
      ++report->kept;  // changed since it was listed
      continue;
    }
    ++next;
    ++report->tasks;
    report->executions += static_cast<int64_t>(d.executions.size());
    report->artifacts += static_cast<int64_t>(d.artifacts.size());
    RemoveFiles(d, dirs, report);
  }
  return Status::OK();
}

void Pruner::RemoveFiles(const Doomed& doomed, const Dirs& dirs, PruneReport* report) const {
  std::vector<std::string> paths;
  for (const SessionExecution& e : doomed.executions) {
    const std::string log = e.log_path.empty() ? std::string() : Canonical(e.log_path);
    if (DirectlyInside(log, dirs.log)) {
      paths.push_back(log);
      paths.push_back(OutcomeFilePath(log));  // left when its outcome never landed
      paths.push_back(ExitRecordPath(log));
      paths.push_back(PromptFilePath(log));
    }
    if (PlainName(e.id) && !dirs.work.empty())
      paths.push_back((fs::path(dirs.work) / e.id).string());
  }
  // The task's workspace (workspace.mode = "task"), when there is one.
  const std::string folder = WorkspaceFolderName(doomed.task.id);
  if (PlainName(folder) && !dirs.work.empty())
    paths.push_back((fs::path(dirs.work) / folder).string());
  {
    for (const std::string& path : paths) {
      std::error_code ec;
      const std::uintmax_t n = fs::remove_all(path, ec);
      if (ec) {
        report->file_errors.push_back(path + ": " + ec.message());
      } else if (n > 0) {
        ++report->files;
      }
    }
  }
}

}  // namespace taskexec
