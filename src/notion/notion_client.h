// NotionClient: typed calls to the Notion REST API with pagination, the
// shared rate limit, error-object parsing and the retry policy.
//
// Versions (notion/api_version.h): "2022-06-28" queries
// /v1/databases/{id}/query and reads the schema from the database;
// "2025-09-03" and later resolve the database's first data source
// (GET /v1/databases/{id} -> data_sources[0].id) and use
// /v1/data_sources/{id}/query and /v1/data_sources/{id} for the schema.
// Queries and page reads name the properties they want (filter_properties,
// by property id), which 2026-12-01 requires: it lists only titles
// otherwise. A filter with status `group` operators carries the Notion-Beta
// header on 2026-03-11, where those operators are a beta.
//
// Retry policy (docs/notion.md):
//   429 / 529  -> pause every caller of the limiter until Retry-After (1 s
//                 when absent), then retry; up to max_rate_limited_retries.
//   500/502/503/504, transport errors -> exponential backoff with jitter,
//                 capped, up to max_attempts; for non-idempotent calls
//                 (POST /v1/comments) only errors where the request surely
//                 did not commit (connection refused, 429, 503) are retried.
//   409        -> retried once (our page writes are absolute).
//   other 4xx  -> never retried; the Status carries Notion's code+message.
// Status mapping: 404 -> NotFound, 400/401/403 -> InvalidArgument,
// 409 -> Conflict, 429/5xx/transport -> Unavailable. The message reads
// "notion <http> <code>: <message> [request <id>]".
//
// Thread-safety: safe to call from several threads; the table id is resolved
// under a mutex; the limiter is shared.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/json_read.h"
#include "core/mutex.h"
#include "core/status.h"
#include "notion/api_version.h"
#include "notion/http_transport.h"
#include "notion/rate_limiter.h"

namespace taskexec::notion {

using Json = nlohmann::json;

struct NotionClientOptions {
  std::string base_url = "https://api.notion.com/v1";
  std::string token;
  std::string api_version = kLatestApiVersion;
  std::string database_id;
  int timeout_ms = 30000;
  int max_attempts = 5;               // for 5xx / transport errors
  int max_rate_limited_retries = 20;  // for 429 / 529
  int64_t backoff_initial_ms = 500;
  int64_t backoff_max_ms = 30000;
  int64_t retry_after_cap_ms = 120000;
  uint64_t jitter_seed = 0;  // 0 = random
};

// Notion's error object, as parsed from a non-2xx response.
struct NotionError {
  int http_status = 0;
  std::string code;  // "validation_error", ...; "transport_error" for network failures
  std::string message;
  std::string request_id;
};

// Parses an error body; bodies that are not Notion errors (HTML from a
// gateway) give code "unknown_http_error" and a shortened body as message.
NotionError ParseNotionError(int http_status, const std::string& body);
Status StatusFromNotionError(const NotionError& err);

struct QueryPage {
  std::vector<Json> results;
  bool has_more = false;
  std::string next_cursor;
};

// Counters for the benchmark and logs (since construction).
struct ClientStats {
  int64_t requests = 0;       // HTTP requests sent, retries included
  int64_t rate_limited = 0;   // 429/529 answers
  int64_t server_errors = 0;  // 5xx answers and transport failures
  // Requests by the HTTP status answered; 0 = no answer (transport failure).
  std::map<int, int64_t> by_status;
  TimeMs last_answer_at = 0;   // the clock's time of the last answer below 500
  TimeMs last_failure_at = 0;  // of the last 5xx answer or transport failure
};

class NotionClient {
 public:
  NotionClient(NotionClientOptions options, HttpTransport* transport, RateLimiter* limiter,
               const Clock* clock, Sleeper* sleeper);

  bool uses_data_sources() const { return uses_data_sources_; }
  // The table entry of the configured version (the latest's entry when the
  // version is not in the table, which config validation prevents).
  const ApiVersionTraits& version() const { return *version_; }
  // The table id once TableId() resolved it (Init() does); "" before.
  std::string ResolvedTableId() const;

  // The id queries and schema reads go to: the database (2022-06-28) or its
  // first data source (resolved once, on first use).
  Status TableId(std::string* id);
  // The table's schema: {name: {id, type, ...}}.
  Status RetrieveSchema(Json* properties);
  // One page of query results (page_size 100). `properties` are the
  // property ids the results should carry (sent as filter_properties, one
  // per id, as Notion's SDK sends them); empty = Notion's default.
  Status Query(const Json& filter, const Json& sorts, const std::string& start_cursor,
               QueryPage* out, const std::vector<std::string>& properties = {});
  // Every page of results, following next_cursor until has_more is false.
  Status QueryAll(const Json& filter, const Json& sorts, std::vector<Json>* pages,
                  const std::vector<std::string>& properties = {});
  Status GetPage(const std::string& page_id, Json* page,
                 const std::vector<std::string>& properties = {});
  Status UpdatePage(const std::string& page_id, const Json& properties, Json* page);
  // Posts `text` as a page comment, split into rich-text items of <= 2000
  // characters (at most 100 items; longer text is cut with a marker).
  Status CreateComment(const std::string& page_id, const std::string& text, Json* comment);
  // Replaces the text of a comment this integration made (PATCH
  // /v1/comments/{id}, split like CreateComment). Notion answers 404 for a
  // comment it did not make or that is gone. Repeating it is harmless, so an
  // unanswered request is retried like a read.
  Status UpdateComment(const std::string& comment_id, const std::string& text, Json* comment);
  // The page ids a page's relation property holds, all of them: the
  // property item endpoint, page by page (a page object lists 25 at most).
  Status GetRelation(const std::string& page_id, const std::string& property_id,
                     std::vector<std::string>* related);
  // Comments on a page (all pages of results).
  Status ListComments(const std::string& page_id, std::vector<Json>* comments);

  // The low-level call with the retry policy. `path` starts with "/".
  // `extra_headers` are sent besides the standard ones (Notion-Beta).
  using Headers = std::vector<std::pair<std::string, std::string>>;
  Status Call(const std::string& method, const std::string& path, const Json* body, bool idempotent,
              Json* out, NotionError* err = nullptr, const Headers& extra_headers = {});

  ClientStats stats() const;
  const NotionClientOptions& options() const { return options_; }
  // While set, calls fail at once with Unavailable (no new request, no
  // further retry): used to stop promptly at shutdown.
  void SetCancelled(bool cancelled) { cancelled_ = cancelled; }
  // While non-zero (a MonotonicMs() time), no request starts after it, each
  // request's timeout is cut to the time left and retry backoffs end there:
  // bounds a last flush at shutdown. 0 = no deadline.
  void SetDeadline(int64_t monotonic_ms) { deadline_ms_ = monotonic_ms; }

 private:
  int64_t BackoffMs(int attempt);
  int64_t RetryAfterMs(const HttpResponse& response);

  const NotionClientOptions options_;
  HttpTransport* transport_;
  RateLimiter* limiter_;
  const Clock* clock_;
  Sleeper* sleeper_;
  const ApiVersionTraits* const version_;
  const bool uses_data_sources_;
  std::atomic<bool> cancelled_{false};
  std::atomic<int64_t> deadline_ms_{0};
  mutable Mutex mu_;
  std::string table_id_ GUARDED_BY(mu_);
  std::mt19937_64 rng_ GUARDED_BY(mu_);
  ClientStats stats_ GUARDED_BY(mu_);
};

// "?filter_properties=<id>&filter_properties=<id>..." for `ids` (Notion's
// property ids are URL-encoded already; each is decoded and encoded once,
// as the SDK does); "" when `ids` is empty.
std::string FilterPropertiesQuery(const std::vector<std::string>& ids);
// The table entry of `name`, or of the latest version when taskexec does not
// speak `name` (config validation refuses such names before).
const ApiVersionTraits* KnownVersionOrLatest(const std::string& name);
// True when `filter` (a query filter, compounds included) uses a status
// `group` condition.
bool UsesStatusGroupFilter(const Json& filter);

// Splits text into Notion rich-text items of at most 2000 characters (UTF-8
// aware) and at most `max_items` items.
Json RichText(const std::string& text, size_t max_items = 100);
// Concatenated plain text of a title/rich_text array.
std::string PlainText(const Json& rich_text_array);
// Removes dashes: Notion accepts both forms; we compare ids in this form.
std::string CompactId(const std::string& id);

}  // namespace taskexec::notion
