// Pruner: deletes old finished tasks with their executions, artifacts
// records, meta keys, log files and work dirs (`taskexec prune`,
// POST /api/v1/prune), optionally writing each task to an archive first.
//
// Walks TaskStore::ListFinishedBefore with its cursor, a batch at a time:
// for each batch it archives (and flushes) the tasks, deletes them in one
// store transaction (a task changed since it was read is kept by the store),
// then removes their files. Files are removed only after the store no
// longer names them, and only inside the configured log and work dirs, so a
// path recorded by another tool never makes the pruner delete outside them.
//
// Thread-safety: one Run at a time per Pruner; the store may be shared.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/domain.h"
#include "core/status.h"
#include "store/task_store.h"

namespace taskexec {

struct PruneRequest {
  TimeMs finished_before = 0;  // tasks whose completed_at is earlier
  bool dry_run = false;        // count what would go; change nothing
  int batch = 500;             // tasks per store transaction
  // When set, each task is written as one JSON line {"task", "executions",
  // "artifacts"} and flushed before it is deleted.
  std::ostream* archive = nullptr;
};

struct PruneReport {
  int64_t tasks = 0;                      // deleted (or, dry run, that would be)
  int64_t executions = 0;                 // their attempts
  int64_t artifacts = 0;                  // their artifact records
  int64_t files = 0;                      // log files and work dirs removed
  int64_t kept = 0;                       // finished before the date but kept (see reasons)
  std::vector<std::string> kept_reasons;  // "<task id>: <why>", the first 20
  std::vector<std::string> file_errors;   // files that could not be removed
};

// What a deployment adds to pruning: where attempts keep their files, and
// integrations that keep or own state for a task.
struct PruneSetup {
  std::string log_dir;  // absolute or relative to the current directory
  // <work_dir>/<execution id> is an attempt's dir, <work_dir>/<task id> a
  // task's workspace.
  std::string work_dir;
  // Returns true (and why) to keep a task, e.g. its final state has not
  // reached Notion yet. Unset = keep nothing.
  std::function<bool(const Task&, std::string* why)> keep;
  // Meta keys that belong to a task and go with it. Unset = none.
  std::function<std::vector<std::string>(const Task&, const std::vector<SessionExecution>&)>
      meta_keys;
};

class Pruner {
 public:
  // The store must outlive the pruner.
  Pruner(TaskStore* store, PruneSetup setup);

  // Fails with InvalidArgument on a bad request (no date, batch <= 0), or
  // with the store's or the archive's error; *report says what was done
  // up to then.
  Status Run(const PruneRequest& request, PruneReport* report) const;

 private:
  struct Doomed;
  struct Dirs;  // the setup's dirs, resolved once per Run
  Status Batch(const PruneRequest& request, const Dirs& dirs, const std::vector<Task>& tasks,
               PruneReport* report) const;
  Status Load(const Task& task, Doomed* out) const;
  void RemoveFiles(const Doomed& doomed, const Dirs& dirs, PruneReport* report) const;

  TaskStore* const store_;
  const PruneSetup setup_;
};

}  // namespace taskexec
