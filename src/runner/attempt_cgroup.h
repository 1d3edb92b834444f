// Per-attempt cgroup v2 scopes: what holds an attempt's processes when the
// process group cannot. An agent may start children in their own session
// (setsid), with a scrubbed environment, double-forked: they leave the
// process group and carry no TASKEXEC_EXECUTION_ID, but they cannot leave the
// cgroup they were born in, and writing "1" to its cgroup.kill ends them all.
//
// Layout: <cgroup2 mount><this process's cgroup>/taskexec-<pid>-<n>/attempt-<child
// pid> (n: one root per supervisor of the process), created only where this process may write
// (root, or a delegated cgroup); elsewhere Detect() says why and the process group alone holds the
// attempt. The child is moved into its scope right after posix_spawn returns
// (after its exec), then whatever it forked before the move is found by its
// parent links in /proc and moved too; only a process that was forked and
// orphaned (double fork) inside that window stays outside.
//
// Thread-safety: Detect() and the free functions are safe from any thread;
// an AttemptCgroups is immutable after Detect().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

namespace taskexec {

class AttemptCgroups {
 public:
  // The scope root for this process, created under its own cgroup v2 cgroup,
  // or nullptr with *why saying what is missing (no cgroup2 mount, no write
  // access). Empty roots left by dead taskexec processes are removed.
  static std::unique_ptr<AttemptCgroups> Detect(std::string* why);
  // Removes the (then empty) root.
  ~AttemptCgroups();
  AttemptCgroups(const AttemptCgroups&) = delete;
  AttemptCgroups& operator=(const AttemptCgroups&) = delete;

  const std::string& root() const { return root_; }

  // Creates the scope of the attempt whose leader is `pid` and moves `pid`,
  // and what it forked before the move, into it; *path is the scope's
  // directory.
  Status Adopt(int64_t pid, std::string* path) const;

 private:
  explicit AttemptCgroups(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

// Kills every process in the scope at `path` (cgroup.kill; SIGKILL to each
// listed process where the kernel has no cgroup.kill). Returns how many were
// listed before the kill.
int KillCgroup(const std::string& path);

// Removes the scope once its processes are gone, waiting up to `wait_ms` for
// the kernel to empty it after a kill. False if it still holds processes.
bool RemoveCgroup(const std::string& path, int64_t wait_ms);

// Kills what runs in every attempt scope of the taskexec process `pid` (its
// roots taskexec-<pid>-<n> beside the caller's own cgroup: the caller is a
// sibling process, e.g. the attempt watchdog) and removes the scopes and
// roots; returns how many processes were listed. For when `pid` died.
int KillScopesOf(int64_t pid);

// The pids in the scope at `path` (empty when it is gone).
std::string CgroupProcs(const std::string& path);

}  // namespace taskexec
