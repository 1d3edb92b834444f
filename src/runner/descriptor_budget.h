// How many agent sessions this process's open-file limit allows.
//
// Each running attempt holds descriptors in the service. An agent that is
// the service's own child: a pidfd, the read ends of its stdout and stderr
// pipes and its log file. One started through the per-attempt supervisor:
// only the supervisor's channel (both streams as frames; the supervisor
// writes the log, and the channel's end is its exit). A per-task workspace's
// lock besides, unless the supervisor holds it for the agent's run. A helper
// command of the attempt (a workspace hook, git, a verify command) is a
// child of the service's own. Nothing else stays open per attempt: stdin is
// handed over whole at the start, the stdout copy is opened per write. A
// service asked to run more sessions at once than its descriptors allow
// would fail spawns with EMFILE one after another; it starts with a cap it
// can keep instead, and says so.
//
// Thread-safety: RaiseOpenFileLimit changes the process's limit; call it
// once at start, before threads open files. The rest is pure.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
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

// Whether the per-attempt supervisor, not the service, holds a per-task
// workspace's lock while the agent runs: when nothing after the agent
// needs the service to hold it (no workspace.after_run, agent.verify nor
// agent.require_changes, which run or look there after the agent ends).
bool SupervisorHoldsWorkspaceLock(const AgentConfig& agent);

// Descriptors one running attempt of `agent` holds in the service at most;
// `supervised`: agents start through the per-attempt supervisor.
uint64_t DescriptorsPerAttempt(const AgentConfig& agent, bool supervised);
// Descriptors kept for everything else: the store, the HTTP server's
// sockets and streams, the Notion client, the watchdog's pipe, log files.
constexpr uint64_t kDescriptorsReserved = 256;

// The most sessions `soft_limit` descriptors allow at once (at least 1),
// each holding `per_attempt`.
int MaxSessionsFor(uint64_t soft_limit, uint64_t per_attempt);

// When `wanted` sessions at once, each holding `per_attempt`, do not fit
// `limit`: a message naming the limit, what fits and how to raise it; ""
// when they fit.
std::string SessionLimitProblem(int wanted, const OpenFileLimit& limit, uint64_t per_attempt);

// The /metrics lines that say how many sessions run at most at once
// (`running`, after the open-file limit) and how many were configured
// (`configured`, executor.max_concurrent).
std::string SessionLimitMetrics(int configured, int running);

}  // namespace taskexec
