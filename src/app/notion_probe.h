// The Notion sync's part of /metrics (requests by HTTP status) and /readyz
// (NotionSync::Health), as a probe for the service's HTTP server. `sync`
// must outlive the server.
//
// Thread-safety: the probe's functions run on server threads; NotionSync's
// Health and its client's stats are thread-safe.
#pragma once

#include "notion/notion_sync.h"
#include "server/api_handlers.h"

namespace taskexec::notion {

ServiceProbe NotionProbe(NotionSync* sync);

}  // namespace taskexec::notion
