#include "runner/spawn_setup.h"

#include <fcntl.h>
#include <signal.h>

#include <algorithm>
#include <cstring>

#include "runner/cgroup_spawn.h"

namespace taskexec {

namespace {

// posix_spawn_* return an errno value (0 on success) instead of setting errno.
Status Checked(int rc, const char* call) {
  if (rc == 0) return Status::OK();
  return Status::IOError(std::string(call) + ": " + ErrnoText(rc));
}

}  // namespace

std::string ErrnoText(int err) {
  const char* name = strerrorname_np(err);
  return std::string(name != nullptr ? name : "errno " + std::to_string(err)) + " (" +
         std::strerror(err) + ")";
}

SpawnSetup::~SpawnSetup() {
  if (have_actions_) posix_spawn_file_actions_destroy(&actions_);
  if (have_attr_) posix_spawnattr_destroy(&attr_);
}

Status SpawnSetup::Build(int stdin_fd, int stdout_fd, int stderr_fd, const std::string& cwd,
                         const std::vector<int>& extra_fds) {
  if (have_actions_ || have_attr_) return Status::Internal("SpawnSetup::Build called twice");
  if (Status s = BuildActions(stdin_fd, stdout_fd, stderr_fd, cwd, extra_fds); !s.ok()) return s;
  return BuildAttributes();
}

Status SpawnSetup::BuildActions(int stdin_fd, int stdout_fd, int stderr_fd, const std::string& cwd,
                                const std::vector<int>& extra_fds) {
  if (Status s = Checked(posix_spawn_file_actions_init(&actions_), "posix_spawn_file_actions_init");
      !s.ok()) {
    return s;
  }
  have_actions_ = true;
  Status s = stdin_fd >= 0
                 ? Checked(posix_spawn_file_actions_adddup2(&actions_, stdin_fd, 0),
                           "posix_spawn_file_actions_adddup2(stdin)")
                 : Checked(posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0),
                           "posix_spawn_file_actions_addopen(/dev/null)");
  if (!s.ok()) return s;
  s = Checked(posix_spawn_file_actions_adddup2(&actions_, stdout_fd, 1),
              "posix_spawn_file_actions_adddup2(stdout)");
  if (!s.ok()) return s;
  s = Checked(posix_spawn_file_actions_adddup2(&actions_, stderr_fd, 2),
              "posix_spawn_file_actions_adddup2(stderr)");
  if (!s.ok()) return s;
  s = Checked(posix_spawn_file_actions_addchdir_np(&actions_, cwd.c_str()),
              "posix_spawn_file_actions_addchdir_np");
  if (!s.ok()) return s;
  // The extras go to 3, 4, ... by way of slots above every source and
  // target, so placing one never overwrites another still to be placed.
  // A -1 among them holds its number with /dev/null.
  int above = 2 + static_cast<int>(extra_fds.size());
  for (int fd : extra_fds) above = std::max(above, fd);
  for (size_t i = 0; i < extra_fds.size() && s.ok(); ++i) {
    if (extra_fds[i] < 0) continue;
    s = Checked(
        posix_spawn_file_actions_adddup2(&actions_, extra_fds[i], above + 1 + static_cast<int>(i)),
        "posix_spawn_file_actions_adddup2(extra)");
  }
  for (size_t i = 0; i < extra_fds.size() && s.ok(); ++i) {
    const int target = 3 + static_cast<int>(i);
    s = extra_fds[i] < 0
            ? Checked(posix_spawn_file_actions_addopen(&actions_, target, "/dev/null", O_RDONLY, 0),
                      "posix_spawn_file_actions_addopen(/dev/null)")
            : Checked(posix_spawn_file_actions_adddup2(&actions_, above + 1 + static_cast<int>(i),
                                                       target),
                      "posix_spawn_file_actions_adddup2(extra)");
  }
  if (!s.ok()) return s;
  // No descriptor of another module leaks into an agent.
  return Checked(
      posix_spawn_file_actions_addclosefrom_np(&actions_, 3 + static_cast<int>(extra_fds.size())),
      "posix_spawn_file_actions_addclosefrom_np");
}

Status SpawnSetup::BuildAttributes() {
  if (Status s = Checked(posix_spawnattr_init(&attr_), "posix_spawnattr_init"); !s.ok()) return s;
  have_attr_ = true;
  // Own process group, led by the child: timeouts and cancels signal the
  // whole group.
  Status s = Checked(posix_spawnattr_setpgroup(&attr_, 0), "posix_spawnattr_setpgroup");
  if (!s.ok()) return s;
  sigset_t empty_mask, defaults;
  sigemptyset(&empty_mask);
  s = Checked(posix_spawnattr_setsigmask(&attr_, &empty_mask), "posix_spawnattr_setsigmask");
  if (!s.ok()) return s;
  sigemptyset(&defaults);
  for (int sig : kSignalsDefaultInChild) {
    sigaddset(&defaults, sig);
  }
  s = Checked(posix_spawnattr_setsigdefault(&attr_, &defaults), "posix_spawnattr_setsigdefault");
  if (!s.ok()) return s;
  return Checked(posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                      POSIX_SPAWN_SETSIGDEF),
                 "posix_spawnattr_setflags");
}

}  // namespace taskexec
