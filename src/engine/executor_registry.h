// ExecutorRegistry: which services run on a store, told by the store itself,
// so any process (`taskexec status`, `execute` warning that nothing will
// run the task, the API of another host) knows without asking the process.
//
// Each running engine writes a heartbeat into the store's meta key
// "executors" -- JSON {executor id: {"host", "pid", "started_at",
// "heartbeat_at", "lease_ms", "version"}} -- every lease renewal (a third
// of executor.lease_seconds), and removes its entry when it stops cleanly.
// A service that died (kill -9, a lost machine) stops beating: its entry
// counts as live until a whole lease passed since its last heartbeat, and
// is dropped by the next heartbeat of any engine once ten leases passed.
// Each write is one UpdateMeta (one transaction, any number of writers).
//
// Thread-safety: stateless functions over the store (as safe as it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/domain.h"
#include "core/status.h"
#include "store/task_store.h"

namespace taskexec {

// The meta key the records live under.
inline constexpr const char* kExecutorsKey = "executors";

// Writes (or refreshes) `self` with heartbeat_at = now, dropping entries
// silent for ten of their leases.
Status Heartbeat(TaskStore* store, const ExecutorRecord& self, TimeMs now);
// Removes the entry of `executor_id` (a clean stop).
Status Depart(TaskStore* store, const std::string& executor_id);
// The services whose last heartbeat is within their lease at `now`, by
// executor id.
Status LiveExecutors(TaskStore* store, TimeMs now, std::vector<ExecutorRecord>* out);

// This machine's name (gethostname), "" when unknown.
std::string HostName();

}  // namespace taskexec
