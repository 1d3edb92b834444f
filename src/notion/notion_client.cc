#include "notion/notion_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <set>

#include "core/retry_after.h"

namespace taskexec::notion {
namespace {

constexpr size_t kMaxRichTextChars = 2000;  // UTF-16 code units, as Notion counts

bool IsRetryableServerStatus(int status) {
  return status == 500 || status == 502 || status == 503 || status == 504;
}

// Length in bytes of the longest UTF-8 prefix of `s` from `pos` that is at
// most `max_units` long as Notion counts text: in UTF-16 code units, where a
// character beyond U+FFFF (a 4-byte sequence: most emoji) counts 2. Never
// splits a character.
size_t Utf8Prefix(const std::string& s, size_t pos, size_t max_units) {
  size_t i = pos;
  size_t units = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 1;
    const size_t width = len == 4 ? 2 : 1;
    if (units + width > max_units) break;
    i = std::min(s.size(), i + len);
    units += width;
  }
  return i - pos;
}

std::string Shorten(const std::string& s, size_t max) {
  return s.size() <= max ? s : s.substr(0, max) + "...";
}

}  // namespace

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string PercentEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string FilterPropertiesQuery(const std::vector<std::string>& ids) {
  std::string q;
  for (const std::string& id : ids)
    q += (q.empty() ? "?" : "&") + std::string("filter_properties=") +
         PercentEncode(PercentDecode(id));
  return q;
}

const ApiVersionTraits* KnownVersionOrLatest(const std::string& name) {
  const ApiVersionTraits* v = FindApiVersion(name);
  return v != nullptr ? v : FindApiVersion(kLatestApiVersion);
}

bool UsesStatusGroupFilter(const Json& filter) {
  if (!filter.is_object()) return false;
  for (const char* compound : {"and", "or"})
    if (filter.contains(compound) && filter[compound].is_array())
      for (const Json& f : filter[compound])
        if (UsesStatusGroupFilter(f)) return true;
  return filter.contains("status") && filter["status"].is_object() &&
         filter["status"].contains("group");
}

std::string CompactId(const std::string& id) {
  std::string out;
  out.reserve(id.size());
  for (char c : id)
    if (c != '-') out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

Json RichText(const std::string& text, size_t max_items) {
  Json items = Json::array();
  size_t pos = 0;
  while (pos < text.size() && items.size() < max_items) {
    size_t len = Utf8Prefix(text, pos, kMaxRichTextChars);
    std::string chunk = text.substr(pos, len);
    pos += len;
    if (pos < text.size() && items.size() + 1 == max_items) {
      // Last allowed item and text remains: cut it visibly.
      const std::string marker = " [truncated]";
      chunk = chunk.substr(0, Utf8Prefix(chunk, 0, kMaxRichTextChars - marker.size())) + marker;
    }
    items.push_back({{"type", "text"}, {"text", {{"content", chunk}}}});
  }
  return items;
}

std::string PlainText(const Json& rich_text_array) {
  std::string out;
  if (!rich_text_array.is_array()) return out;
  for (const auto& item : rich_text_array) {
    if (item.contains("plain_text") && item["plain_text"].is_string()) {
      out += item["plain_text"].get<std::string>();
    } else if (item.contains("text") && item["text"].is_object() &&
               item["text"].value("content", Json()).is_string()) {
      out += item["text"]["content"].get<std::string>();
    }
  }
  return out;
}

NotionError ParseNotionError(int http_status, const std::string& body) {
  NotionError err;
  err.http_status = http_status;
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (JsonString(j, "object") == "error" && j.contains("code")) {
    err.code = JsonString(j, "code");
    err.message = JsonString(j, "message");
    err.request_id = JsonString(j, "request_id");
  } else {
    err.code = "unknown_http_error";
    err.message = Shorten(body, 200);
  }
  return err;
}

Status StatusFromNotionError(const NotionError& err) {
  std::string msg =
      "notion " + std::to_string(err.http_status) + " " + err.code + ": " + err.message;
  if (!err.request_id.empty()) msg += " [request " + err.request_id + "]";
  if (err.code == "transport_error") return Status::Unavailable(msg);
  switch (err.http_status) {
    case 404:
      return Status::NotFound(msg);
    case 400:
    case 401:
    case 403:
      return Status::InvalidArgument(msg);
    case 409:
      return Status::Conflict(msg);
    default:
      break;
  }
  if (err.http_status == 429 || err.http_status >= 500) return Status::Unavailable(msg);
  return Status::Internal(msg);
}

NotionClient::NotionClient(NotionClientOptions options, HttpTransport* transport,
                           RateLimiter* limiter, const Clock* clock, Sleeper* sleeper)
    : options_(std::move(options)),
      transport_(transport),
      limiter_(limiter),
      clock_(clock),
      sleeper_(sleeper),
      version_(KnownVersionOrLatest(options_.api_version)),
      uses_data_sources_(version_->data_sources),
      rng_(options_.jitter_seed != 0 ? options_.jitter_seed : std::random_device{}()) {}

ClientStats NotionClient::stats() const {
  MutexLock lock(&mu_);
  return stats_;
}

int64_t NotionClient::BackoffMs(int attempt) {
  // Exponential with "equal jitter": half fixed, half random, so retries from
  // many callers spread out but never collapse to zero.
  int64_t base = options_.backoff_initial_ms << std::min(attempt, 20);
  base = std::min(base, options_.backoff_max_ms);
  MutexLock lock(&mu_);
  std::uniform_int_distribution<int64_t> dist(0, std::max<int64_t>(1, base / 2));
  return base / 2 + dist(rng_);
}

int64_t NotionClient::RetryAfterMs(const HttpResponse& response) {
  auto it = response.headers.find("retry-after");
  int64_t ms = 1000;  // Notion always sends it; be polite when a proxy drops it
  if (it != response.headers.end()) {
    // Seconds, or an HTTP date (a proxy's or a later API's form).
    ms = RetryAfterDelayMs(it->second, clock_->NowMs()).value_or(ms);
  }
  return std::clamp<int64_t>(ms, 0, options_.retry_after_cap_ms);
}

Status NotionClient::Call(const std::string& method, const std::string& path, const Json* body,
                          bool idempotent, Json* out, NotionError* err_out,
                          const Headers& extra_headers) {
  HttpRequest req;
  req.method = method;
  req.url = options_.base_url + path;
  req.timeout_ms = options_.timeout_ms;
  req.headers = {{"Authorization", "Bearer " + options_.token},
                 {"Notion-Version", options_.api_version},
                 {"Content-Type", "application/json"},
                 {"User-Agent", "taskexec-notion/1"}};
  for (const auto& header : extra_headers) req.headers.push_back(header);
  // Messages name the route, not its (long) list of filter_properties.
  const std::string shown = path.substr(0, path.find('?'));
  if (body != nullptr) req.body = body->dump();

  int server_attempts = 0;
  int rate_limited = 0;
  bool conflict_retried = false;
  NotionError err;
  while (true) {
    if (cancelled_) {
      if (err_out != nullptr) *err_out = NotionError{0, "transport_error", "client stopped", ""};
      return Status::Unavailable("notion " + method + " " + shown + ": client stopped");
    }
    limiter_->Acquire();
    if (const int64_t deadline = deadline_ms_; deadline > 0) {
      const int64_t left = deadline - MonotonicMs();
      if (left <= 0) {
        if (err_out != nullptr) *err_out = NotionError{0, "transport_error", "deadline passed", ""};
        return Status::Unavailable("notion " + method + " " + shown + ": deadline passed");
      }
      req.timeout_ms = static_cast<int>(std::min<int64_t>(options_.timeout_ms, left));
    }
    HttpResponse resp;
    Status st = transport_->Send(req, &resp);
    {
      const int answered = st.ok() ? resp.status : 0;
      MutexLock lock(&mu_);
      ++stats_.requests;
      ++stats_.by_status[answered];
      // Reachable and serving (4xx is our request's fault, not Notion's).
      (answered > 0 && answered < 500 ? stats_.last_answer_at : stats_.last_failure_at) =
          clock_->NowMs();
    }
    if (st.ok() && resp.status >= 200 && resp.status < 300) {
      if (out != nullptr) {
        *out = Json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
        if (out->is_discarded())
          return Status::Corruption("notion " + method + " " + shown + ": response is not JSON");
      }
      return Status::OK();
    }
    bool retry = false;
    int64_t wait_ms = 0;
    if (!st.ok()) {
      err = NotionError{0, "transport_error", st.message(), ""};
      {
        MutexLock lock(&mu_);
        ++stats_.server_errors;
      }
      // A timeout on a POST may have committed; a request that never left
      // (the transport says so) did not.
      const bool surely_not_sent = !resp.request_sent;
      retry = (idempotent || surely_not_sent) && ++server_attempts < options_.max_attempts;
      wait_ms = BackoffMs(server_attempts);
    } else {
      err = ParseNotionError(resp.status, resp.body);
      if (resp.status == 429 || resp.status == 529) {
        {
          MutexLock lock(&mu_);
          ++stats_.rate_limited;
        }
        retry = ++rate_limited <= options_.max_rate_limited_retries;
        // Everyone on this token waits, not just this caller.
        limiter_->PauseUntil(clock_->NowMs() + RetryAfterMs(resp));
        wait_ms = 0;
      } else if (IsRetryableServerStatus(resp.status)) {
        {
          MutexLock lock(&mu_);
          ++stats_.server_errors;
        }
        // 503 means Notion did not process the request; others may have.
        bool may_repeat = idempotent || resp.status == 503;
        retry = may_repeat && ++server_attempts < options_.max_attempts;
        wait_ms = BackoffMs(server_attempts);
      } else if (resp.status == 409 && !conflict_retried) {
        conflict_retried = true;
        retry = idempotent;
      }
    }
    if (!retry) break;
    spdlog::debug("notion {} {}: {} {} - retrying", method, shown, err.http_status, err.code);
    if (const int64_t deadline = deadline_ms_; deadline > 0)
      wait_ms = std::min(wait_ms, std::max<int64_t>(0, deadline - MonotonicMs()));
    if (wait_ms > 0) sleeper_->SleepMs(wait_ms);
  }
  if (err_out != nullptr) *err_out = err;
  return StatusFromNotionError(err);
}

std::string NotionClient::ResolvedTableId() const {
  MutexLock lock(&mu_);
  return table_id_;
}

Status NotionClient::TableId(std::string* id) {
  {
    MutexLock lock(&mu_);
    if (!table_id_.empty()) {
      *id = table_id_;
      return Status::OK();
    }
  }
  std::string resolved = options_.database_id;
  if (uses_data_sources_) {
    Json db;
    Status st = Call("GET", "/databases/" + options_.database_id, nullptr, true, &db);
    if (!st.ok()) return st;
    const Json& sources = db.contains("data_sources") ? db["data_sources"] : Json();
    if (!sources.is_array() || sources.empty() || !sources[0].is_object() ||
        !sources[0].contains("id") || !sources[0]["id"].is_string())
      return Status::InvalidArgument("notion database " + options_.database_id +
                                     " has no data source (api version " + options_.api_version +
                                     ")");
    resolved = sources[0]["id"].get<std::string>();
    if (sources.size() > 1)
      spdlog::warn("notion: database {} has {} data sources; using the first, '{}'",
                   options_.database_id, sources.size(), JsonString(sources[0], "name"));
  }
  MutexLock lock(&mu_);
  table_id_ = resolved;
  *id = table_id_;
  return Status::OK();
}

Status NotionClient::RetrieveSchema(Json* properties) {
  std::string table;
  Status st = TableId(&table);
  if (!st.ok()) return st;
  Json obj;
  st = Call("GET", std::string(uses_data_sources_ ? "/data_sources/" : "/databases/") + table,
            nullptr, true, &obj);
  if (!st.ok()) return st;
  if (!obj.contains("properties") || !obj["properties"].is_object())
    return Status::Corruption("notion schema of " + table + " has no properties");
  *properties = obj["properties"];
  return Status::OK();
}

Status NotionClient::Query(const Json& filter, const Json& sorts, const std::string& start_cursor,
                           QueryPage* out, const std::vector<std::string>& properties) {
  std::string table;
  Status st = TableId(&table);
  if (!st.ok()) return st;
  Json body = {{"page_size", 100}};
  if (!filter.is_null()) body["filter"] = filter;
  if (!sorts.is_null()) body["sorts"] = sorts;
  if (!start_cursor.empty()) body["start_cursor"] = start_cursor;
  Headers beta;
  if (version_->status_groups == StatusGroupFilters::kBeta && UsesStatusGroupFilter(filter))
    beta.emplace_back("Notion-Beta", kStatusGroupBeta);
  Json resp;
  // A query is a read even though it is a POST.
  st = Call("POST",
            std::string(uses_data_sources_ ? "/data_sources/" : "/databases/") + table + "/query" +
                FilterPropertiesQuery(properties),
            &body, true, &resp, nullptr, beta);
  if (!st.ok()) return st;
  out->results.clear();
  if (resp.contains("results") && resp["results"].is_array())
    for (auto& r : resp["results"]) out->results.push_back(std::move(r));
  out->has_more = JsonBool(resp, "has_more");
  out->next_cursor = resp.contains("next_cursor") && resp["next_cursor"].is_string()
                         ? resp["next_cursor"].get<std::string>()
                         : "";
  return Status::OK();
}

Status NotionClient::QueryAll(const Json& filter, const Json& sorts, std::vector<Json>* pages,
                              const std::vector<std::string>& properties) {
  pages->clear();
  std::string cursor;
  std::set<std::string> seen;  // a cursor seen before would go round the same pages
  for (int guard = 0; guard < 10000; ++guard) {
    QueryPage page;
    Status st = Query(filter, sorts, cursor, &page, properties);
    if (!st.ok()) return st;
    for (auto& r : page.results) pages->push_back(std::move(r));
    if (!page.has_more) return Status::OK();
    if (page.next_cursor.empty() || !seen.insert(page.next_cursor).second)
      return Status::Corruption("notion query: has_more without a new next_cursor");
    cursor = page.next_cursor;
  }
  return Status::Corruption("notion query: too many result pages");
}

Status NotionClient::GetPage(const std::string& page_id, Json* page,
                             const std::vector<std::string>& properties) {
  return Call("GET", "/pages/" + page_id + FilterPropertiesQuery(properties), nullptr, true, page);
}

Status NotionClient::UpdatePage(const std::string& page_id, const Json& properties, Json* page) {
  Json body = {{"properties", properties}};
  // Property writes are absolute values, so repeating one is harmless.
  return Call("PATCH", "/pages/" + page_id, &body, true, page);
}

Status NotionClient::CreateComment(const std::string& page_id, const std::string& text,
                                   Json* comment) {
  Json body = {{"parent", {{"page_id", page_id}}}, {"rich_text", RichText(text)}};
  return Call("POST", "/comments", &body, /*idempotent=*/false, comment);
}

Status NotionClient::UpdateComment(const std::string& comment_id, const std::string& text,
                                   Json* comment) {
  Json body = {{"rich_text", RichText(text)}};
  return Call("PATCH", "/comments/" + PercentEncode(comment_id), &body, /*idempotent=*/true,
              comment);
}

Status NotionClient::GetRelation(const std::string& page_id, const std::string& property_id,
                                 std::vector<std::string>* related) {
  related->clear();
  std::string cursor;
  std::set<std::string> seen;
  for (int guard = 0; guard < 1000; ++guard) {
    std::string path = "/pages/" + page_id + "/properties/" +
                       PercentEncode(PercentDecode(property_id)) + "?page_size=100";
    if (!cursor.empty()) path += "&start_cursor=" + PercentEncode(cursor);
    Json resp;
    Status st = Call("GET", path, nullptr, true, &resp);
    if (!st.ok()) return st;
    if (!resp.contains("results") || !resp["results"].is_array())
      return Status::Corruption("notion property items of page " + page_id + ": no results list");
    for (const Json& item : resp["results"]) {
      const Json* rel = item.is_object() && item.contains("relation") ? &item["relation"] : nullptr;
      const std::string id = rel != nullptr ? JsonString(*rel, "id") : "";
      if (!id.empty()) related->push_back(id);
    }
    const bool more =
        resp.contains("has_more") && resp["has_more"].is_boolean() && resp["has_more"].get<bool>();
    if (!more || !resp.contains("next_cursor") || !resp["next_cursor"].is_string())
      return Status::OK();
    // A cursor seen before would read the same pages until the guard.
    if (!seen.insert(resp["next_cursor"].get<std::string>()).second)
      return Status::Corruption("notion property items of page " + page_id +
                                ": has_more without a new next_cursor");
    cursor = resp["next_cursor"].get<std::string>();
  }
  return Status::Corruption("notion property items of page " + page_id + ": too many pages");
}

Status NotionClient::ListComments(const std::string& page_id, std::vector<Json>* comments) {
  comments->clear();
  std::string cursor;
  std::set<std::string> seen;
  for (int guard = 0; guard < 1000; ++guard) {
    std::string path = "/comments?block_id=" + page_id + "&page_size=100";
    if (!cursor.empty()) path += "&start_cursor=" + cursor;
    Json resp;
    Status st = Call("GET", path, nullptr, true, &resp);
    if (!st.ok()) return st;
    if (resp.contains("results") && resp["results"].is_array())
      for (auto& c : resp["results"]) comments->push_back(std::move(c));
    if (!JsonBool(resp, "has_more") || !resp.contains("next_cursor") ||
        !resp["next_cursor"].is_string())
      return Status::OK();
    if (!seen.insert(resp["next_cursor"].get<std::string>()).second)
      return Status::Corruption("notion comments of page " + page_id +
                                ": has_more without a new next_cursor");
    cursor = resp["next_cursor"].get<std::string>();
  }
  return Status::Corruption("notion comments: too many result pages");
}

}  // namespace taskexec::notion
