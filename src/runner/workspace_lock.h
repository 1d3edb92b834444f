// WorkspaceLock: who may use a task's workspace, across every process on
// this machine. Each attempt holds a shared lock on its workspace folder
// (flock on the folder itself) from its first hook to its last; the
// janitor removes a workspace only under the exclusive lock. Neither ever
// waits: a lock that is taken elsewhere is an Unavailable status, so an
// attempt never waits on a removal (it fails, retryably) and a removal
// never waits on an attempt (it skips the workspace).
//
// The lock lives and dies with the folder: there is no lock file to leave
// behind, and a folder made again after a removal is a new lock.
//
// Thread-safety: a WorkspaceLock is owned by one thread at a time.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"

namespace taskexec {

class WorkspaceLock {
 public:
  enum class Mode { kShared, kExclusive };

  // Locks the folder `path` without waiting. NotFound when it does not
  // exist, InvalidArgument when it is not a folder (a symbolic link is not
  // followed), Unavailable when the other mode holds it.
  static Status Take(const std::string& path, Mode mode, std::unique_ptr<WorkspaceLock>* out);

  ~WorkspaceLock();  // releases it, unless a copy of fd() is still open

  // The locked folder's descriptor. The lock belongs to the open folder,
  // not to this descriptor: a copy of it (dup, or passed to a child
  // process) keeps the lock after this object is gone, until every copy is
  // closed.
  int fd() const { return fd_; }
  WorkspaceLock(const WorkspaceLock&) = delete;
  WorkspaceLock& operator=(const WorkspaceLock&) = delete;

 private:
  explicit WorkspaceLock(int fd) : fd_(fd) {}
  const int fd_;
};

}  // namespace taskexec
