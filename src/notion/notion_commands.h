// Entry points for the CLI: `taskexec notion check` and
// `taskexec notion sync --once`; and the path of the webhook endpoint (the
// route itself is registered by app/webhook_route.h).
//
// Thread-safety: each call builds its own client; none keeps state.
#pragma once

#include <ostream>

#include "api/task_service.h"
#include "config/config.h"
#include "core/status.h"
#include "notion/notion_sync.h"
#include "store/task_store.h"

namespace taskexec::notion {

// The path Notion posts integration webhook events to.
inline constexpr const char* kWebhookPath = "/webhooks/notion";

// Checks the token, the database (and its data source for 2025-09-03) and
// the schema mapping; prints one line per check to `out`. The error names
// the property when the schema does not fit. With `store`, its requests draw
// from the token's budget shared with every other process (rate_limiter.h).
Status NotionCheck(const Config& config, std::ostream& out, TaskStore* store = nullptr);

// One full sync round (import, board moves, outbox) against `store`,
// printing what was done. `service` is the TaskService changes go through.
Status NotionSyncOnce(const Config& config, TaskStore* store, TaskService* service,
                      std::ostream& out);

}  // namespace taskexec::notion
