// Entry points that assemble taskexec from its configuration: the store-only
// service for CLI commands, the long-running service, and `config check`.
#pragma once

#include <memory>
#include <ostream>

#include "api/task_service.h"
#include "config/config.h"
#include "core/status.h"
#include "store/task_store.h"

namespace taskexec {

// Store-only TaskService over the configured store (CLI commands while the
// service may be down).
Status OpenStoreService(const Config& cfg, std::unique_ptr<TaskService>* out);
// The same for commands that only read: a SQLite store that does not exist
// is NotFound, naming the path and how one is made, and is not created.
Status OpenExistingStoreService(const Config& cfg, std::unique_ptr<TaskService>* out);

// Runs engine + HTTP server (+ Notion sync when configured) in the
// foreground until SIGINT/SIGTERM; returns the process exit code.
int RunService(const Config& cfg);

// `taskexec config check`: validates and probes everything configured (store
// opens, agent template valid, ...); prints a report to `out`; returns OK or
// the first error. On success, hands the opened store to `store_out` if given
// (so a later probe can reuse its connection instead of opening another).
Status CheckConfig(const Config& cfg, std::ostream& out,
                   std::unique_ptr<TaskStore>* store_out = nullptr);

}  // namespace taskexec
