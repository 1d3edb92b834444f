#include "app/notion_probe.h"

#include <sstream>

namespace taskexec::notion {

ServiceProbe NotionProbe(NotionSync* sync) {
  ServiceProbe probe;
  probe.name = "notion";
  probe.metrics = [sync] {
    const ClientStats stats = sync->client()->stats();
    std::ostringstream o;
    o << "# HELP taskexec_notion_requests_total Requests sent to Notion, retries included, by "
         "the HTTP status answered (0: no answer).\n"
      << "# TYPE taskexec_notion_requests_total counter\n";
    for (const auto& [status, n] : stats.by_status)
      o << "taskexec_notion_requests_total{status=\"" << status << "\"} " << n << '\n';
    o << "# HELP taskexec_notion_ready 1 while the board's schema matches and Notion answers.\n"
      << "# TYPE taskexec_notion_ready gauge\n"
      << "taskexec_notion_ready " << (sync->Health().ok() ? 1 : 0) << '\n';
    return o.str();
  };
  probe.ready = [sync] { return sync->Health(); };
  return probe;
}

}  // namespace taskexec::notion
