// Registers the Notion webhook endpoint (POST kWebhookPath) on the service's
// HTTP server as a raw handler: the body reaches the signature check byte
// for byte, and the server's bearer token does not apply (Notion signs
// instead). Call before HttpServer::Start(); `sync` must outlive the server.
//
// Thread-safety: the handler runs on server threads; NotionSync's
// HandleWebhook is thread-safe.
#pragma once

#include "notion/notion_sync.h"
#include "server/http_server.h"

namespace taskexec::notion {

void RegisterWebhook(HttpServer& server, NotionSync* sync);

}  // namespace taskexec::notion
