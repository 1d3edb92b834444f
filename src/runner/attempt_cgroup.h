// Per-attempt cgroup v2 scopes: what holds an attempt's processes when the
// process group cannot. An agent may start children in their own session
// (setsid), with a scrubbed environment, double-forked: they leave the
// process group and carry no TASKEXEC_EXECUTION_ID, but they cannot leave the
// cgroup they were born in, and writing "1" to its cgroup.kill ends them all.
//
// Layout: <cgroup2 mount><this process's cgroup>/taskexec-<pid>-<n>/attempt-<m>
// (n: one root per supervisor of the process; m: one scope per attempt),
// created only where this process may write (root, or a delegated cgroup);
// elsewhere Detect() says why and the process group alone holds the attempt.
// The child is born in its scope (CreateScope, then SpawnInCgroup). Where the
// kernel cannot do that it is moved in right after posix_spawn returns
// (MoveInto), then whatever it forked before the move is found by its parent
// links in /proc and moved too; only a process that was forked and orphaned
// (double fork) inside that window stays outside.
//
// A scope its attempt left empty is kept for the next attempt (Recycle)
// instead of being removed and made again: a cgroup's creation allocates the
// state of every enabled controller and its removal frees it through the
// kernel's workers, which together cost a served attempt more than any other
// step of its start but the store's. A kept scope holds nothing: the kernel
// reports it unpopulated only once its last process has exited.
//
// Thread-safety: Detect() and the free functions are safe from any thread;
// so are an AttemptCgroups' methods (the kept scopes are under a mutex).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/mutex.h"
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

  // An empty attempt scope, kept from an earlier attempt or made now: *path
  // is its directory and *dir_fd (close-on-exec, the caller's to close) is
  // open on it, for a child to be born inside (SpawnInCgroup).
  Status CreateScope(std::string* path, int* dir_fd);

  // The attempt that used the scope at `path` is over. An empty scope is
  // kept for CreateScope (up to kKeptScopes; beyond that it is removed);
  // true then, and when it is gone already. False when processes still run
  // in it: the caller kills them and removes it (KillCgroup, RemoveCgroup).
  bool Recycle(const std::string& path);

  // The most empty scopes kept at once: more than the attempts one service
  // starts together, fewer than would matter if it stopped starting any.
  static constexpr size_t kKeptScopes = 64;

  // Moves `pid`, and what it forked before the move, into the scope at
  // `path`: for a child that was started outside (where the kernel cannot
  // start one inside).
  static Status MoveInto(const std::string& path, int64_t pid);

 private:
  explicit AttemptCgroups(std::string root) : root_(std::move(root)) {}
  std::string root_;
  std::atomic<uint64_t> next_scope_{0};
  Mutex mu_;
  std::vector<std::string> kept_ GUARDED_BY(mu_);  // empty scopes, newest last
};

// Whether the scope at `path` has no process left in it (its cgroup.events
// says "populated 0"); false when it cannot be read.
bool CgroupIsEmpty(const std::string& path);

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
