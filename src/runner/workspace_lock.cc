#include "runner/workspace_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace taskexec {

Status WorkspaceLock::Take(const std::string& path, Mode mode,
                           std::unique_ptr<WorkspaceLock>* out) {
  const int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound("workspace " + path + " does not exist");
    if (err == ENOTDIR || err == ELOOP) {
      return Status::InvalidArgument("workspace " + path + " is not a folder");
    }
    return Status::IOError("cannot open workspace " + path + ": " + std::strerror(err));
  }
  const int op = (mode == Mode::kShared ? LOCK_SH : LOCK_EX) | LOCK_NB;
  int rc;
  do {
    rc = flock(fd, op);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    close(fd);
    if (err == EWOULDBLOCK) {
      return Status::Unavailable(mode == Mode::kShared
                                     ? "workspace " + path + " is being removed"
                                     : "workspace " + path + " is in use by a running attempt");
    }
    return Status::IOError("cannot lock workspace " + path + ": " + std::strerror(err));
  }
  out->reset(new WorkspaceLock(fd));
  return Status::OK();
}

WorkspaceLock::~WorkspaceLock() { close(fd_); }  // closing releases the flock

}  // namespace taskexec
