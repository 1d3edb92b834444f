// WorkspaceJanitor: lists the tasks' workspaces and removes those of
// finished tasks (`taskexec workspace list|gc`, GET /api/v1/workspaces,
// POST /api/v1/workspaces/gc, and the service's hourly sweep).
//
// Which are removed (workspace.keep, workspace.max_age_days; the age counts
// from the task's end):
//   keep = "never":  every finished task's workspace;
//   keep = "failed": a completed task's at once, a failed or cancelled
//                    one's once it is max_age_days old;
//   keep = "always": any finished task's once it is max_age_days old.
// max_age_days = 0 keeps the kept ones for good. A task that is not
// finished keeps its workspace; so does a folder no task owns (it is
// listed, never removed: taskexec did not make it, or `prune` forgot it).
//
// How: under the workspace's exclusive lock (runner/workspace_lock.h: no
// attempt or hook of the task runs there, in any process, and none can
// start meanwhile) and after reading the task again (still finished, not
// changed since it was judged), workspace.before_remove runs in it (a
// failure is reported, the removal goes on), a git worktree is removed with
// `git worktree remove --force` (its branch taskexec/<task id> is kept),
// and whatever is left is deleted. Only folders directly inside
// agent.work_dir are touched, and symbolic links are removed, never
// followed. In workspace.mode = "attempt" the agent's folders are the
// attempts' own (their artifacts live there): `prune` removes them, not
// this.
//
// Thread-safety: List and Collect may run from any thread, at once; the
// store must outlive the janitor.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/workspace_info.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/domain.h"
#include "core/mutex.h"
#include "core/status.h"
#include "runner/agent_env.h"
#include "runner/process_supervisor.h"
#include "runner/workspace.h"
#include "store/task_store.h"

namespace taskexec {

class WorkspaceJanitor {
 public:
  // `environment`: what hooks get (as agents do, runner/agent_env.h).
  WorkspaceJanitor(const AgentConfig& config, TaskStore* store, const Clock* clock,
                   AgentEnvironment environment);
  ~WorkspaceJanitor();

  // Every folder below agent.work_dir that is a task's workspace (or
  // looks like one: no task, not an attempt's folder), sorted by task id,
  // each with what gc would do.
  Status List(std::vector<WorkspaceInfo>* out) const { return List(/*sizes=*/true, out); }

  // Removes what List marks "remove" (dry_run: only reports it). Fails
  // only when the store cannot be read; per-workspace trouble goes to
  // report->errors.
  Status Collect(bool dry_run, WorkspaceGcReport* report);

 private:
  // `sizes`: walk every workspace for its size (Collect sizes only what it
  // removes: a sweep should not read every kept node_modules tree).
  Status List(bool sizes, std::vector<WorkspaceInfo>* out) const;
  // Decides `info.verdict` from the task.
  void Judge(const Task* task, WorkspaceInfo* info) const;
  // Removes one workspace judged "remove"; false (and an error) when not.
  bool Remove(const WorkspaceInfo& info, WorkspaceGcReport* report);
  // Runs a bounded helper command to its end.
  Status RunToEnd(const StepCommand& command, const std::string& task_id, ProcessResult* result);

  const AgentConfig config_;
  const std::string work_dir_;  // absolute
  const WorkspaceLayout layout_;
  TaskStore* const store_;
  const Clock* const clock_;
  const AgentEnvironment environment_;
  Mutex mu_;                                       // one Collect at a time
  std::unique_ptr<ProcessSupervisor> supervisor_;  // made on first need
};

}  // namespace taskexec
