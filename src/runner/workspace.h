// Workspaces: where an attempt's agent works, and the helper commands that
// make, prepare and check it (docs/runner.md "Workspaces").
//
// workspace.mode = "attempt": the agent works in the attempt's own folder,
// <work_dir>/<execution id>/, which also holds its artifacts/.
// workspace.mode = "task": the agent works in <work_dir>/<task id>/, made by
// the task's first attempt and reused by every later one. The attempt's
// folder <work_dir>/<execution id>/ is then its artifacts folder, so nothing
// of taskexec's lands among the task's files (or in a worktree's git
// status). A prompt file, when there is one, is beside the attempt's log.
// With workspace.git_repo the task's workspace is a git worktree of that
// repository on branch taskexec/<task id>, made from workspace.git_base
// (default the repository's HEAD), or from the branch itself when it exists
// (an earlier workspace of the task was removed, its branch kept). A URL is
// first cloned (bare) once into <work_dir>/.repos/.
//
// This file only plans: paths and the argv of each git command. The runner
// runs them (agent_runner.h), bounded like hooks.
//
// Thread-safety: WorkspaceLayout is immutable after construction; the free
// functions are pure or read the file system.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/folder_name.h"
#include "core/status.h"

namespace taskexec {

// One helper command of an attempt: git, a hook or the verification.
struct StepCommand {
  std::string what;  // names it in the log and in errors: "workspace.before_run"
  std::vector<std::string> argv;
  std::string cwd;
};

class WorkspaceLayout {
 public:
  // `work_dir` absolute (the runner resolves agent.work_dir once).
  WorkspaceLayout(WorkspaceConfig config, std::string work_dir);

  bool per_task() const { return config_.mode == "task"; }
  bool uses_git() const { return per_task() && !config_.git_repo.empty(); }
  const WorkspaceConfig& config() const { return config_; }

  // The attempt's own folder: its artifacts (per attempt, also the agent's
  // cwd, with the artifacts in artifacts/).
  std::string AttemptDir(const std::string& execution_id) const;
  // Where the agent works: the task's workspace, or the attempt's folder.
  std::string PathFor(const std::string& task_id, const std::string& execution_id) const;

  // The repository worktrees are made from: workspace.git_repo made
  // absolute, or the bare clone of a URL below <work_dir>/.repos/.
  std::string Repository() const;
  bool RepositoryIsUrl() const;
  static std::string BranchFor(const std::string& task_id);  // "taskexec/<task id>"

  // `git clone --bare <url> <into>` (into: a temporary name, renamed to
  // Repository() once complete, so a half-made clone is never used).
  StepCommand CloneRepository(const std::string& into) const;
  // Whether the task's branch exists (exit 0) or not (exit 1).
  StepCommand BranchExists(const std::string& task_id) const;
  // Forgets worktrees whose folders are gone, so a workspace removed by
  // hand can be made again.
  StepCommand PruneWorktrees() const;
  // Makes the task's worktree: on its existing branch, or on a new branch
  // from workspace.git_base.
  StepCommand AddWorktree(const std::string& task_id, bool branch_exists) const;
  // `git worktree remove --force <path>` (the branch is kept).
  StepCommand RemoveWorktree(const std::string& path) const;
  // HEAD and the changed files of a workspace, in one command.
  StepCommand Status(const std::string& workspace) const;

 private:
  WorkspaceConfig config_;
  std::string work_dir_;
};

// A task or execution id used as one path component: InvalidArgument
// (naming `what`) when it is empty, ".", "..", has '/' or NUL, or is over
// 200 bytes.
Status CheckPathComponent(const std::string& what, const std::string& id);

// Reads `git status --porcelain=v2 --branch` output: the HEAD commit
// ("# branch.oid", "(initial)" before the first commit) and one entry per
// changed, staged, unmerged or untracked file. Two readings differ when
// the agent committed, or changed which files differ from HEAD.
struct GitStatus {
  std::string head;
  std::vector<std::string> entries;  // the porcelain lines, in git's order
  bool operator==(const GitStatus&) const = default;
};
GitStatus ParseGitStatus(const std::string& output);

// True when a regular file below `dir` was modified at or after `since`
// (symbolic links are not followed; .git is skipped). Used outside git.
bool ChangedSince(const std::string& dir, std::filesystem::file_time_type since);
// Now as the kernel stamps a file written now: its coarse real-time clock,
// up to a tick behind the precise one, so a precise "now" could make a file
// written right after it look older. What ChangedSince's `since` is taken
// from.
std::filesystem::file_time_type FileStampNow();
// The next tick of that clock: waits (a tick is at most ~10 ms) until the
// clock moves past now, so every file written before the call looks older
// than the result and every file written after it does not -- what an
// attempt's start must be when a checkout just before it must not count as
// the agent's change.
std::filesystem::file_time_type NextFileStamp();

}  // namespace taskexec
