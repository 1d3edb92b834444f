// What `taskexec workspace list|gc` and /api/v1/workspaces report about
// the tasks' workspaces (engine/workspace_janitor.h makes them).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"

namespace taskexec {

struct WorkspaceInfo {
  std::string task_id;  // the folder's name
  std::string path;
  int64_t bytes = 0;  // regular files below it (links not followed)
  bool git_worktree = false;
  bool has_task = false;   // false: no task owns it (status is then empty)
  std::string status;      // the task's status
  TimeMs finished_at = 0;  // when the task ended; 0 = not finished
  TimeMs modified_at = 0;  // the folder's own time
  // What gc does with it: "keep", "remove", "in_use" (an attempt holds it).
  std::string verdict;
  std::string reason;  // why, e.g. "task is in_progress", "completed (workspace.keep = failed)"
};

struct WorkspaceGcReport {
  std::vector<WorkspaceInfo> removed;  // (or, dry run, that would be)
  int64_t bytes = 0;                   // their size
  int64_t kept = 0;
  std::vector<std::string> errors;  // "<path>: <what failed>", incl. a failing before_remove
};

}  // namespace taskexec
