#include "runner/workspace.h"

#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <thread>
#include <utility>

namespace taskexec {

namespace fs = std::filesystem;

namespace {

bool LooksLikeUrl(const std::string& repo) {
  return repo.find("://") != std::string::npos ||
         (repo.find('@') != std::string::npos && repo.find(':') != std::string::npos &&
          repo.find('/') > repo.find(':'));  // scp-like user@host:path
}

// A stable short name for a URL's clone (FNV-1a, 64 bits).
std::string HashName(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

WorkspaceLayout::WorkspaceLayout(WorkspaceConfig config, std::string work_dir)
    : config_(std::move(config)), work_dir_(std::move(work_dir)) {}

std::string WorkspaceLayout::AttemptDir(const std::string& execution_id) const {
  return (fs::path(work_dir_) / execution_id).string();
}

std::string WorkspaceLayout::PathFor(const std::string& task_id,
                                     const std::string& execution_id) const {
  return per_task() ? (fs::path(work_dir_) / WorkspaceFolderName(task_id)).string()
                    : AttemptDir(execution_id);
}

bool WorkspaceLayout::RepositoryIsUrl() const { return LooksLikeUrl(config_.git_repo); }

std::string WorkspaceLayout::Repository() const {
  if (RepositoryIsUrl()) {
    return (fs::path(work_dir_) / ".repos" / (HashName(config_.git_repo) + ".git")).string();
  }
  std::error_code ec;
  fs::path p = fs::absolute(config_.git_repo, ec);
  return ec ? config_.git_repo : p.lexically_normal().string();
}

std::string WorkspaceLayout::BranchFor(const std::string& task_id) { return "taskexec/" + task_id; }

StepCommand WorkspaceLayout::CloneRepository(const std::string& into) const {
  return {
      "git clone", {"git", "clone", "--bare", "--quiet", "--", config_.git_repo, into}, work_dir_};
}

StepCommand WorkspaceLayout::BranchExists(const std::string& task_id) const {
  return {"git rev-parse",
          {"git", "-C", Repository(), "rev-parse", "--verify", "--quiet",
           "refs/heads/" + BranchFor(task_id)},
          work_dir_};
}

StepCommand WorkspaceLayout::PruneWorktrees() const {
  return {"git worktree prune", {"git", "-C", Repository(), "worktree", "prune"}, work_dir_};
}

StepCommand WorkspaceLayout::AddWorktree(const std::string& task_id, bool branch_exists) const {
  const std::string path = PathFor(task_id, "");
  StepCommand c{
      "git worktree add", {"git", "-C", Repository(), "worktree", "add", "--quiet"}, work_dir_};
  if (branch_exists) {
    c.argv.push_back(path);
    c.argv.push_back(BranchFor(task_id));
  } else {
    c.argv.push_back("-b");
    c.argv.push_back(BranchFor(task_id));
    c.argv.push_back(path);
    c.argv.push_back(config_.git_base.empty() ? "HEAD" : config_.git_base);
  }
  return c;
}

StepCommand WorkspaceLayout::RemoveWorktree(const std::string& path) const {
  return {"git worktree remove",
          {"git", "-C", Repository(), "worktree", "remove", "--force", path},
          work_dir_};
}

StepCommand WorkspaceLayout::Status(const std::string& workspace) const {
  return {"git status",
          {"git", "-C", workspace, "status", "--porcelain=v2", "--branch", "--untracked-files=all"},
          workspace};
}

Status CheckPathComponent(const std::string& what, const std::string& id) {
  if (id.empty() || id == "." || id == ".." || id.find('/') != std::string::npos ||
      id.find('\0') != std::string::npos || id.size() > 200) {
    return Status::InvalidArgument(what + " \"" + id + "\" cannot be used as a file name");
  }
  return Status::OK();
}

GitStatus ParseGitStatus(const std::string& output) {
  GitStatus out;
  std::istringstream in(output);
  std::string line;
  const std::string oid = "# branch.oid ";
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind(oid, 0) == 0) {
      out.head = line.substr(oid.size());
    } else if (line[0] != '#') {
      out.entries.push_back(line);  // 1/2 (changed), u (unmerged), ? (untracked)
    }
  }
  return out;
}

fs::file_time_type FileStampNow() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  const auto since_epoch = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  return std::chrono::file_clock::from_sys(std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch)));
}

fs::file_time_type NextFileStamp() {
  const fs::file_time_type now = FileStampNow();
  for (;;) {
    const fs::file_time_type t = FileStampNow();
    if (t > now) return t;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool ChangedSince(const std::string& dir, fs::file_time_type since) {
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::file_status st = it->symlink_status(ec);
    if (ec) break;
    if (fs::is_directory(st) && it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    if (!fs::is_regular_file(st)) continue;
    const fs::file_time_type mtime = it->last_write_time(ec);
    if (!ec && mtime >= since) return true;
    ec.clear();
  }
  return false;
}

}  // namespace taskexec
