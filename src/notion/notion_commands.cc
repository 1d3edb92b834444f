#include "notion/notion_commands.h"

namespace taskexec::notion {

Status NotionCheck(const Config& config, std::ostream& out, TaskStore* store) {
  const NotionConfig& c = config.notion;
  if (c.token.empty()) return Status::InvalidArgument("notion: NOTION_TOKEN is not set");
  if (c.database_id.empty())
    return Status::InvalidArgument("notion: NOTION_TASK_DATABASE_ID is not set");
  CurlTransport transport;
  RateLimiter limiter(c.requests_per_second * 0.9, 3, SystemClock::Default(),
                      RealSleeper::Default());
  if (store != nullptr) limiter.ShareThrough(store, SharedBucketKey(c.token));
  NotionClientOptions o;
  o.base_url = c.api_base_url;
  while (!o.base_url.empty() && o.base_url.back() == '/') o.base_url.pop_back();
  o.token = c.token;
  o.api_version = c.api_version;
  o.database_id = c.database_id;
  o.max_attempts = 2;
  NotionClient client(o, &transport, &limiter, SystemClock::Default(), RealSleeper::Default());

  std::string table;
  Status st = client.TableId(&table);
  if (!st.ok()) {
    out << "FAIL database " << c.database_id << ": " << st.message() << "\n";
    return st;
  }
  Json props;
  st = client.RetrieveSchema(&props);
  if (!st.ok()) {
    out << "FAIL token/database: " << st.message() << "\n";
    return st;
  }
  out << "ok   token accepted, database " << c.database_id << " readable (Notion-Version "
      << c.api_version << ")\n";
  const std::string advice = ApiVersionAdvice(c.api_version);
  if (!advice.empty()) out << "warn " << advice << "\n";
  if (client.uses_data_sources()) out << "ok   data source " << table << "\n";
  PropertyMapping mapping = PropertyMapping::FromConfig(c);
  std::vector<std::string> warnings;
  st = mapping.ValidateSchema(props, &warnings);
  for (const auto& w : warnings) out << "warn " << w << "\n";
  if (!st.ok()) {
    out << "FAIL " << st.message() << "\n";
    return st;
  }
  out << "ok   schema: \"" << mapping.status_property() << "\" (" << mapping.status_type()
      << "), \"" << mapping.task_id_property() << "\" (rich_text)"
      << (mapping.has_agent() ? ", \"" + mapping.agent_property() + "\"" : std::string()) << "\n";
  return Status::OK();
}

Status NotionSyncOnce(const Config& config, TaskStore* store, TaskService* service,
                      std::ostream& out) {
  NotionSync sync(SyncOptionsFromConfig(config.notion), store, service);
  Status st = sync.Init();
  if (!st.ok()) return st;
  st = sync.SyncOnce(/*full_scan=*/true);
  const InboundStats& in = sync.inbound_stats();
  const OutboundStats& ob = sync.outbound_stats();
  out << "pages read " << in.pages_seen << ", tasks created " << in.tasks_created << ", updated "
      << in.tasks_updated << ", board moves " << in.board_moves << ", cancelled " << in.cancelled
      << ", bad pages " << in.bad_pages << "\n";
  out << "pages updated " << ob.patches << ", comments " << ob.comments << ", refused "
      << ob.given_up << "; requests " << sync.client()->stats().requests << "\n";
  return st;
}

}  // namespace taskexec::notion
