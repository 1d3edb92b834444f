// FakeNotionServer: an in-process HTTP server (cpp-httplib, 127.0.0.1) that
// behaves like the parts of the Notion API taskexec uses, as documented in
// /work/shared/reference/notion-api.md: bearer auth, Notion-Version,
// 2022-06-28 database routes and 2025-09-03 data-source routes, query
// filters/sorts/cursor pagination (page_size <= 100), last_edited_time
// rounded down to the minute, page PATCH validation, comments, Notion error
// bodies, a token-bucket rate limit answering 429 + Retry-After, and fault
// injection (429 storms, outages answering 503, scripted statuses, latency).
// Every API request is logged with its time so tests can check call counts
// and the request rate over any window.
//
// A control API drives the board "as a person": C++ methods for in-process
// tests and the same operations over HTTP under /_control/ for the
// standalone `fake_notion` binary (control requests are not logged or
// rate limited). See docs/notion.md for the control endpoints.
//
// Thread-safety: every public method is safe from any thread; requests are
// served on httplib's thread pool under one mutex.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/status.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace taskexec::fakes {

using Json = nlohmann::json;

struct FakeNotionOptions {
  std::string token = "secret_fake_token";
  std::string database_id = "0f3c6b4e-1a2b-4c3d-8e4f-5a6b7c8d9e01";
  std::string data_source_id = "7a1d2e3f-4b5c-4d6e-8f70-8192a3b4c5d6";
  std::string status_type = "select";        // select (original board) | status (Notion template)
  std::string requester_type = "rich_text";  // rich_text | people
  // A relation column of the board to itself under this name (Notion's
  // task dependencies: "Blocked by"); empty = the board has none.
  std::string relation_property;
  double rate_per_second = 3.0;  // Notion's average; 0 = unlimited
  double burst = 10;             // short bursts Notion allows
  const Clock* clock = nullptr;  // page timestamps; null = system clock
  // When set (else from $TASKEXEC_NOTION_TRACE), every API request is
  // appended to this file as one JSON line {method, path, query, version,
  // beta, body, status}: tests/node/notion_request_check.mjs validates
  // them against Notion's OpenAPI description and SDK types.
  std::string trace_path;
};

struct RequestRecord {
  int64_t at_ms = 0;  // MonotonicMs()
  std::string method;
  std::string path;
  int status = 0;
  // The query string as decoded pairs, in order (filter_properties repeats).
  std::vector<std::pair<std::string, std::string>> params;
  std::string notion_version;
  std::string notion_beta;  // the Notion-Beta header, "" when absent
  std::string body;
};

class FakeNotionServer {
 public:
  explicit FakeNotionServer(FakeNotionOptions options = {});
  ~FakeNotionServer();
  FakeNotionServer(const FakeNotionServer&) = delete;
  FakeNotionServer& operator=(const FakeNotionServer&) = delete;

  // Listens on host:port (0 = any free port) on a background thread.
  Status Start(const std::string& host = "127.0.0.1", int port = 0);
  void Stop();
  int port() const { return port_; }
  std::string base_url() const;  // "http://127.0.0.1:<port>/v1"
  const FakeNotionOptions& options() const { return options_; }

  // --- The board, as a person edits it (bumps last_edited_time). ---
  // Creates a card; empty strings leave the property unset.
  std::string AddTaskPage(const std::string& title, const std::string& status,
                          const std::string& priority = "", const std::string& agent = "",
                          const std::string& description = "");
  // Creates a page from raw property values (write shapes, unvalidated).
  std::string CreatePageRaw(const Json& properties);
  Status MoveCard(const std::string& page_id, const std::string& option);
  Status SetTitle(const std::string& page_id, const std::string& title);
  Status SetRawProperty(const std::string& page_id, const std::string& name, const Json& value);
  Status ArchivePage(const std::string& page_id);  // archived = in_trash = true
  Status DeletePage(const std::string& page_id);   // gone: 404 from now on
  Status RenameProperty(const std::string& from, const std::string& to);

  // --- Inspection. ---
  Status GetPage(const std::string& page_id, Json* page) const;
  std::string StatusOf(const std::string& page_id) const;
  std::string TextOf(const std::string& page_id, const std::string& property) const;
  std::vector<Json> Comments(const std::string& page_id) const;
  // How many comment edits (PATCH /v1/comments/{id}) were accepted.
  int CommentUpdates() const;
  // A comment a person (user `user_id`) writes on the page in Notion's UI.
  Status AddPersonComment(const std::string& page_id, const std::string& text,
                          const std::string& user_id = "user-ada");
  std::vector<std::string> PageIds() const;
  Json Schema() const;

  // --- Faults. ---
  // The next `count` API requests get 429 rate_limited with Retry-After.
  // With `as_http_date` the header is the wall-clock time that many seconds
  // ahead, as an HTTP date.
  void InjectRateLimited(int count, int retry_after_seconds, bool as_http_date = false);
  // The next `count` API requests get `http_status` with Notion's error body
  // (502 gets an HTML body, as gateways send).
  void InjectStatus(int count, int http_status);
  // While on, every API request gets 503 service_unavailable.
  void SetOutage(bool on);
  void SetLatencyMs(int ms);

  // --- Counting. ---
  std::vector<RequestRecord> Requests() const;
  int64_t RequestCount() const;
  void ResetRequests();
  // The largest number of requests that arrived within any `window_ms`.
  int64_t MaxRequestsInWindow(int64_t window_ms) const;

  // --- Webhooks: every control-API change also POSTs a signed
  // page.properties_updated event to `url` when set. ---
  void SetWebhookTarget(const std::string& url, const std::string& secret);
  // Sends one event now; returns the HTTP status (0 on transport failure).
  int SendWebhookEvent(const std::string& type, const std::string& page_id,
                       const std::string& event_id = "", const std::string& timestamp = "",
                       const std::string& signature_override = "");

 private:
  struct Page;
  // One API request as the handlers see it.
  struct ApiRequest {
    std::string method;
    std::string path;
    std::string version;
    std::string beta;
    std::vector<std::pair<std::string, std::string>> params;
    Json body;
  };
  void Route(const httplib::Request& req, httplib::Response* res);
  void Control(const httplib::Request& req, httplib::Response* res);
  // API handlers; return the HTTP status and fill `out` (requires mu_).
  int HandleApi(const ApiRequest& req, Json* out);
  int Query(const ApiRequest& req, Json* out);
  // The page as a response of `req` carries it: only the properties named
  // by filter_properties (only the title for a list on 2026-12-01 without
  // it), person names null on 2026-12-01. 400 for an unknown property id.
  int ShapePage(const ApiRequest& req, bool list, Json* page, Json* err) const;
  int PatchPage(const std::string& id, const Json& body, Json* out);
  // GET /v1/pages/{id}/properties/{property_id}: a relation's related pages
  // as a paginated property_item list (page_size <= 100, default 25).
  int PropertyItems(const Page& page, const std::string& property_id,
                    const std::map<std::string, std::string>& query, Json* out) const;
  int CreatePage(const Json& body, Json* out);
  int CreateComment(const Json& body, Json* out);
  // PATCH /v1/comments/{id}: the integration's own comments only.
  int UpdateComment(const std::string& comment_id, const Json& body, Json* out);
  // Stores a comment on `page` by user `author` (mu_ held); returns it.
  Json AddComment(const Page& page, const Json& rich_text, const std::string& author);
  int ListComments(const std::string& block_id, const std::map<std::string, std::string>& query,
                   Json* out);
  Json PageJson(const Page& page) const;
  Json DatabaseJson() const;
  Json DataSourceJson() const;
  // Validates and converts a written property value into the stored shape.
  int NormalizeValue(const std::string& name, const Json& value, Json* stored, Json* err);
  Json FindPageLocked(const std::string& id) const;
  Page* FindPage(const std::string& id);
  const Page* FindPage(const std::string& id) const;
  std::string NewId();
  int64_t NowRounded() const;
  void Touch(Page* page);
  void NotifyWebhook(const std::string& page_id);
  bool TakeRateToken(double* retry_after_seconds);

  FakeNotionOptions options_;
  const Clock* clock_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;

  mutable std::mutex mu_;
  Json schema_;                                         // name -> {id, name, type, ...}
  std::map<std::string, std::unique_ptr<Page>> pages_;  // compact id -> page
  std::vector<Json> comments_;
  int comment_updates_ = 0;  // PATCH /v1/comments/{id} answered 200
  std::vector<RequestRecord> requests_;
  int64_t next_id_ = 1;
  int rate_limited_left_ = 0;
  int retry_after_seconds_ = 1;
  bool retry_after_as_date_ = false;
  int injected_left_ = 0;
  int injected_status_ = 500;
  bool outage_ = false;
  int latency_ms_ = 0;
  double tokens_ = 0;
  int64_t tokens_at_ms_ = 0;
  std::string webhook_url_;
  std::string webhook_secret_;
  int64_t event_seq_ = 0;
  std::string trace_path_;
};

}  // namespace taskexec::fakes
