// How many agent sessions this process's open-file limit allows.
//
// Each running attempt holds descriptors in the service: its workspace lock
// always; an agent that is the service's own child also a pidfd, the read
// ends of its stdout and stderr pipes and its log file, while one started
// through the per-attempt supervisor holds only the supervisor's channel
// (both streams as frames; the supervisor writes the log, and its end is the
// channel's end); its stdin socket while the prompt is written; the stdout
// copy once stdout outgrew the in-memory tail (ProcessSupervisor's ChildFds,
// WorkspaceLock). A service asked to run more sessions at
// once than its descriptors allow would fail spawns with EMFILE one after
// another; it starts with a cap it can keep instead, and says so.
//
// Thread-safety: RaiseOpenFileLimit changes the process's limit; call it
// once at start, before threads open files. The rest is pure.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace taskexec {

// The process's RLIMIT_NOFILE, before and after RaiseOpenFileLimit.
struct OpenFileLimit {
  uint64_t before = 0;  // the soft limit found at start
  uint64_t soft = 0;    // the soft limit now
  uint64_t hard = 0;    // the hard limit (only root may raise it)
};

// Raises the soft open-file limit to the hard limit (the most an
// unprivileged process may take; the kernel keeps the hard limit within
// fs.nr_open, so it is never unlimited).
Status RaiseOpenFileLimit(OpenFileLimit* limit);

// Reads the limit without changing it.
Status ReadOpenFileLimit(OpenFileLimit* limit);

// Descriptors one running attempt holds in the service, at most: an agent
// that is the service's own child, and one started through the per-attempt
// supervisor (taskexec-attempt): its channel, the lock, stdin, the copy.
constexpr uint64_t kDescriptorsPerAttempt = 7;
constexpr uint64_t kDescriptorsPerSupervisedAttempt = 4;
uint64_t DescriptorsPerAttempt(bool supervised);
// Descriptors kept for everything else: the store, the HTTP server's
// sockets and streams, the Notion client, the watchdog's pipe, log files.
constexpr uint64_t kDescriptorsReserved = 256;

// The most sessions `soft_limit` descriptors allow at once (at least 1);
// `supervised`: agents start through the per-attempt supervisor.
int MaxSessionsFor(uint64_t soft_limit, bool supervised = false);

// When `wanted` sessions at once do not fit `limit`: a message naming the
// limit, what fits and how to raise it; "" when they fit.
std::string SessionLimitProblem(int wanted, const OpenFileLimit& limit, bool supervised = false);

// The /metrics lines that say how many sessions run at most at once
// (`running`, after the open-file limit) and how many were configured
// (`configured`, executor.max_concurrent).
std::string SessionLimitMetrics(int configured, int running);

}  // namespace taskexec
