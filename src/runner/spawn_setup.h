// SpawnSetup: the posix_spawn file actions and attributes for one agent
// child, every call's result checked (a failure names the call and errno).
// The child gets `stdin_fd` (or /dev/null when < 0), `stdout_fd` and
// `stderr_fd` as 0/1/2 and `extra_fds` as 3, 4, ... in order (a -1 there:
// /dev/null, so the numbers after it keep their places), starts in
// `cwd`, has every other descriptor closed,
// leads its own process group, and starts with an empty signal mask and the
// default disposition of the signals a service may catch or ignore.
//
// Thread-safety: one object per spawn, used by one thread.
#pragma once

#include <spawn.h>

#include <string>
#include <vector>

#include "core/status.h"

namespace taskexec {

class SpawnSetup {
 public:
  SpawnSetup() = default;
  ~SpawnSetup();
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  // Call once; the descriptors must stay open until posix_spawn returns.
  Status Build(int stdin_fd, int stdout_fd, int stderr_fd, const std::string& cwd,
               const std::vector<int>& extra_fds = {});

  const posix_spawn_file_actions_t* actions() const { return &actions_; }
  const posix_spawnattr_t* attributes() const { return &attr_; }

 private:
  Status BuildActions(int stdin_fd, int stdout_fd, int stderr_fd, const std::string& cwd,
                      const std::vector<int>& extra_fds);
  Status BuildAttributes();

  posix_spawn_file_actions_t actions_{};
  posix_spawnattr_t attr_{};
  bool have_actions_ = false;
  bool have_attr_ = false;
};

// "ENOENT (No such file or directory)" for an errno value.
std::string ErrnoText(int err);

}  // namespace taskexec
