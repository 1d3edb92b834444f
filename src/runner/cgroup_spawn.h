// SpawnInCgroup: starts a child the way posix_spawn with a SpawnSetup built
// from the same arguments does (0/1/2 and the extras as 3, 4, ..., cwd, every
// other descriptor closed, its own process group unless told otherwise, an
// empty signal mask and default dispositions), except that the child is born in a given cgroup v2
// cgroup (clone3 with CLONE_INTO_CGROUP, Linux >= 5.7).
//
// Why not posix_spawn and then a move: writing a pid into cgroup.procs takes
// the kernel's cgroup-wide threadgroup lock for writing, which waits for an
// RCU grace period: milliseconds per attempt, during which every fork on the
// machine waits too. A child born inside is never moved, and nothing it
// forks can be born outside.
//
// The child runs in this process's memory on a stack of its own until its
// exec (CLONE_VM | CLONE_VFORK, the calling thread suspended meanwhile, as
// posix_spawn's child does) on x86-64; elsewhere it is a copy-on-write copy
// of this process, which costs what this process has mapped (cheap for a
// small program, taskexec-attempt; not for the service). Either way it makes
// only raw system calls before its exec, so it is safe in a multithreaded
// process and under the sanitizers' interceptors.
//
// Thread-safety: safe from any thread; the descriptors passed must stay open
// until it returns.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace taskexec {

// The signals a child starts with at their default disposition, whatever
// its parent caught or ignored (the service ignores SIGPIPE, handles
// SIGTERM...): SpawnSetup's and SpawnInCgroup's children alike.
#include <signal.h>
inline constexpr int kSignalsDefaultInChild[] = {SIGPIPE, SIGINT,  SIGQUIT, SIGTERM, SIGHUP,
                                                 SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM};

struct ChildPlan {
  int stdin_fd = -1;  // < 0: /dev/null
  int stdout_fd = -1;
  int stderr_fd = -1;
  std::string cwd;
  std::vector<int> extra_fds;     // become 3, 4, ... in order
  bool own_process_group = true;  // false: the caller's process group
};

// Returns 0 with *pid set, or the errno value that stopped it: from the
// clone itself (then *clone_refused is true and the caller may fall back to
// posix_spawn and a move: ENOSYS on kernels before 5.3, EINVAL/E2BIG where
// CLONE_INTO_CGROUP is unknown, EBUSY/EOPNOTSUPP for a cgroup that may not
// hold processes, EACCES/EPERM without the right to place one there), or
// from the child before its exec (ENOENT, EACCES, ... as posix_spawn
// reports them; the child is reaped).
int SpawnInCgroup(const ChildPlan& plan, const char* exe, char* const argv[], char* const envp[],
                  int cgroup_fd, pid_t* pid, bool* clone_refused);

}  // namespace taskexec
