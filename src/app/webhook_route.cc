#include "app/webhook_route.h"

#include "notion/notion_commands.h"

namespace taskexec::notion {

void RegisterWebhook(HttpServer& server, NotionSync* sync) {
  server.HandleRaw("POST", kWebhookPath, [sync](const RawRequest& req, RawResponse* res) {
    WebhookResult r = sync->HandleWebhook(req.headers, req.body);
    res->status = r.http_status;
    res->content_type = "application/json";
    res->body = r.body;
  });
}

}  // namespace taskexec::notion
