#include "fakes/fake_notion_server.h"

#include <httplib.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>

#include "fakes/fake_notion_filter.h"

namespace taskexec::fakes {
namespace {

constexpr size_t kMaxText = 2000;
constexpr size_t kMaxItems = 100;

std::string Compact(const std::string& id) {
  std::string out;
  for (char c : id)
    if (c != '-') out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

// A text's length as Notion checks it: UTF-16 code units (JavaScript's
// String.length), so a character beyond U+FFFF, like most emoji, counts 2.
size_t Utf16Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;  // a character's first byte
    if ((c & 0xF8) == 0xF0) ++n;  // a 4-byte sequence: a surrogate pair
  }
  return n;
}

// A property id as Notion means it: ids are sent percent-encoded ("st%3A1")
// or not, in paths and queries.
std::string DecodeId(const std::string& id) {
  std::string out;
  for (size_t i = 0; i < id.size(); ++i) {
    if (id[i] == '%' && i + 2 < id.size() && std::isxdigit(static_cast<unsigned char>(id[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(id[i + 2]))) {
      out += static_cast<char>(std::stoi(id.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += id[i];
    }
  }
  return out;
}

Json Error(int status, const std::string& code, const std::string& message) {
  static std::atomic<int64_t> seq{1};
  char rid[48];
  snprintf(rid, sizeof rid, "req-%08lld", static_cast<long long>(seq.fetch_add(1)));
  return Json{{"object", "error"},
              {"status", status},
              {"code", code},
              {"message", message},
              {"request_id", rid}};
}

std::string Hmac(const std::string& key, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 0xF]);
  }
  return out;
}

Json RichTextStored(const std::string& content) {
  return Json{{"type", "text"},
              {"text", {{"content", content}, {"link", nullptr}}},
              {"plain_text", content},
              {"href", nullptr}};
}

Json Option(const std::string& name, const std::string& color) {
  return Json{{"id", Compact(name).substr(0, 4) + std::to_string(name.size())},
              {"name", name},
              {"color", color}};
}

// Validates a rich-text array as Notion does; fills `stored`.
bool NormalizeRichText(const std::string& path, const Json& v, Json* stored, std::string* err) {
  if (!v.is_array()) {
    *err = path + " should be an array";
    return false;
  }
  if (v.size() > kMaxItems) {
    *err = path + ".length should be ≤ `100`, instead was `" + std::to_string(v.size()) + "`.";
    return false;
  }
  *stored = Json::array();
  for (size_t i = 0; i < v.size(); ++i) {
    const Json& item = v[i];
    if (!item.is_object() || !item.contains("text") || !item["text"].is_object() ||
        !item["text"].value("content", Json()).is_string()) {
      *err = path + "[" + std::to_string(i) + "].text.content should be defined";
      return false;
    }
    std::string content = item["text"]["content"].get<std::string>();
    if (Utf16Length(content) > kMaxText) {
      *err = path + "[" + std::to_string(i) + "].text.content.length should be ≤ `2000`, " +
             "instead was `" + std::to_string(Utf16Length(content)) + "`.";
      return false;
    }
    stored->push_back(RichTextStored(content));
  }
  return true;
}

}  // namespace

struct FakeNotionServer::Page {
  std::string id;  // dashed
  int64_t created_ms = 0;
  int64_t edited_ms = 0;  // rounded to the minute
  bool archived = false;
  Json properties = Json::object();
};

FakeNotionServer::FakeNotionServer(FakeNotionOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : SystemClock::Default()) {
  const bool status_type = options_.status_type == "status";
  Json status_options = Json::array();
  for (const char* name :
       {"Backlog", "Pending Review", "To Do", "In Progress", "Review", "Done", "Blocked"})
    status_options.push_back(Option(name, "default"));
  Json status_prop = {{"id", "st%3A1"}, {"name", "Status"}, {"type", options_.status_type}};
  if (status_type) {
    Json ids = Json::array();
    status_prop["status"] = {
        {"options", status_options},
        {"groups",
         Json::array({{{"id", "g1"},
                       {"name", "To-do"},
                       {"color", "gray"},
                       {"option_ids", Json::array({status_options[0]["id"], status_options[1]["id"],
                                                   status_options[2]["id"]})}},
                      {{"id", "g2"},
                       {"name", "In progress"},
                       {"color", "blue"},
                       {"option_ids", Json::array({status_options[3]["id"], status_options[4]["id"],
                                                   status_options[6]["id"]})}},
                      {{"id", "g3"},
                       {"name", "Complete"},
                       {"color", "green"},
                       {"option_ids", Json::array({status_options[5]["id"]})}}})}};
  } else {
    status_prop["select"] = {{"options", status_options}};
  }
  Json priorities = Json::array();
  for (const char* p : {"P0", "P1", "P2", "P3"}) priorities.push_back(Option(p, "red"));
  Json agents = Json::array();
  for (const char* a : {"main", "mongke", "temujin", "chagatai", "jochi", "ogedei", "kublai"})
    agents.push_back(Option(a, "blue"));
  schema_ = {
      {"Name", {{"id", "title"}, {"name", "Name"}, {"type", "title"}, {"title", Json::object()}}},
      {"Status", status_prop},
      {"Priority",
       {{"id", "pr%3A1"},
        {"name", "Priority"},
        {"type", "select"},
        {"select", {{"options", priorities}}}}},
      {"Agent",
       {{"id", "ag%3A1"},
        {"name", "Agent"},
        {"type", "select"},
        {"select", {{"options", agents}}}}},
      {"Requester",
       {{"id", "rq%3A1"},
        {"name", "Requester"},
        {"type", options_.requester_type},
        {options_.requester_type, Json::object()}}},
      {"Neo4j Task ID",
       {{"id", "ti%3A1"},
        {"name", "Neo4j Task ID"},
        {"type", "rich_text"},
        {"rich_text", Json::object()}}},
      {"Description",
       {{"id", "de%3A1"},
        {"name", "Description"},
        {"type", "rich_text"},
        {"rich_text", Json::object()}}},
  };
  if (!options_.relation_property.empty()) {
    schema_[options_.relation_property] = {{"id", "bb%3A1"},
                                           {"name", options_.relation_property},
                                           {"type", "relation"},
                                           {"relation",
                                            {{"database_id", options_.database_id},
                                             {"data_source_id", options_.data_source_id},
                                             {"type", "single_property"},
                                             {"single_property", Json::object()}}}};
  }
  tokens_ = options_.burst;
  tokens_at_ms_ = MonotonicMs();
  trace_path_ = options_.trace_path;
  if (trace_path_.empty()) {
    const char* env = std::getenv("TASKEXEC_NOTION_TRACE");
    if (env != nullptr) trace_path_ = env;
  }
}

FakeNotionServer::~FakeNotionServer() { Stop(); }

Status FakeNotionServer::Start(const std::string& host, int port) {
  server_ = std::make_unique<httplib::Server>();
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { Route(req, &res); };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Patch(".*", handler);
  server_->Delete(".*", handler);
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
  } else {
    port_ = server_->bind_to_port(host, port) ? port : -1;
  }
  if (port_ <= 0) return Status::IOError("fake notion: cannot bind " + host);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // bind_to_any_port already listens, so connections queue until the
  // accept loop runs; still wait for it so Stop() right after is safe.
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return Status::OK();
}

void FakeNotionServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string FakeNotionServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/v1";
}

std::string FakeNotionServer::NewId() {
  char buf[40];
  snprintf(buf, sizeof buf, "%08llx-0000-4000-8000-%012llx",
           static_cast<unsigned long long>(0x5eed0000 + next_id_),
           static_cast<unsigned long long>(next_id_));
  ++next_id_;
  return buf;
}

int64_t FakeNotionServer::NowRounded() const {
  int64_t now = clock_->NowMs();
  return now - (now % 60000);  // Notion rounds last_edited_time to the minute
}

void FakeNotionServer::Touch(Page* page) { page->edited_ms = NowRounded(); }

FakeNotionServer::Page* FakeNotionServer::FindPage(const std::string& id) {
  auto it = pages_.find(Compact(id));
  return it == pages_.end() ? nullptr : it->second.get();
}

const FakeNotionServer::Page* FakeNotionServer::FindPage(const std::string& id) const {
  auto it = pages_.find(Compact(id));
  return it == pages_.end() ? nullptr : it->second.get();
}

Json FakeNotionServer::PageJson(const Page& p) const {
  const bool ds = false;
  (void)ds;
  Json props = Json::object();
  for (auto it = schema_.begin(); it != schema_.end(); ++it) {
    const std::string& name = it.key();
    const std::string type = it.value().value("type", "");
    Json v;
    if (p.properties.contains(name)) {
      v = p.properties[name];
    } else if (type == "title" || type == "rich_text" || type == "multi_select" ||
               type == "people" || type == "relation") {
      v = Json{{"type", type}, {type, Json::array()}};
    } else {
      v = Json{{"type", type}, {type, nullptr}};
    }
    v["id"] = it.value().value("id", "");
    v["type"] = type;
    // Page responses carry at most 25 related pages; the rest are read
    // from the property item endpoint.
    if (type == "relation") {
      constexpr size_t kShown = 25;
      const bool more = v["relation"].is_array() && v["relation"].size() > kShown;
      if (more) {
        Json first = Json::array();
        for (size_t i = 0; i < kShown; ++i) first.push_back(v["relation"][i]);
        v["relation"] = std::move(first);
      }
      v["has_more"] = more;
    }
    props[name] = v;
  }
  return Json{{"object", "page"},
              {"id", p.id},
              {"created_time", FormatIso8601(p.created_ms)},
              {"last_edited_time", FormatIso8601(p.edited_ms)},
              {"archived", p.archived},
              {"in_trash", p.archived},
              {"url", "https://www.notion.so/" + Compact(p.id)},
              {"parent", {{"type", "database_id"}, {"database_id", options_.database_id}}},
              {"properties", props}};
}

Json FakeNotionServer::DatabaseJson() const {
  return Json{{"object", "database"},
              {"id", options_.database_id},
              {"title", Json::array({RichTextStored("Tasks")})},
              {"properties", schema_}};
}

Json FakeNotionServer::DataSourceJson() const {
  return Json{{"object", "data_source"},
              {"id", options_.data_source_id},
              {"title", Json::array({RichTextStored("Tasks")})},
              {"parent", {{"type", "database_id"}, {"database_id", options_.database_id}}},
              {"properties", schema_}};
}

bool FakeNotionServer::TakeRateToken(double* retry_after_seconds) {
  if (options_.rate_per_second <= 0) return true;
  int64_t now = MonotonicMs();
  tokens_ = std::min(options_.burst, tokens_ + static_cast<double>(now - tokens_at_ms_) *
                                                   options_.rate_per_second / 1000.0);
  tokens_at_ms_ = now;
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return true;
  }
  *retry_after_seconds = std::ceil((1.0 - tokens_) / options_.rate_per_second);
  return false;
}

void FakeNotionServer::Route(const httplib::Request& req, httplib::Response* res) {
  if (req.path.rfind("/_control/", 0) == 0) {
    Control(req, res);
    return;
  }
  int latency = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    latency = latency_ms_;
  }
  if (latency > 0) std::this_thread::sleep_for(std::chrono::milliseconds(latency));

  std::unique_lock<std::mutex> lock(mu_);
  RequestRecord logged;
  logged.at_ms = MonotonicMs();
  logged.method = req.method;
  logged.path = req.path;
  logged.body = req.body;
  requests_.push_back(std::move(logged));
  size_t record = requests_.size() - 1;
  auto reply = [&](int status, const Json& body) {
    requests_[record].status = status;
    res->status = status;
    res->set_header("x-notion-request-id", body.value("request_id", "req-ok"));
    res->set_content(body.dump(), "application/json");
  };

  if (outage_) {
    reply(503, Error(503, "service_unavailable", "Notion is unavailable, please try again later."));
    return;
  }
  if (injected_left_ > 0) {
    --injected_left_;
    int s = injected_status_;
    if (s == 502) {
      requests_[record].status = 502;
      res->status = 502;
      res->set_content("<html><body>502 Bad Gateway</body></html>", "text/html");
      return;
    }
    const char* code = s == 500   ? "internal_server_error"
                       : s == 503 ? "service_unavailable"
                       : s == 504 ? "gateway_timeout"
                       : s == 409 ? "conflict_error"
                       : s == 429 ? "rate_limited"
                                  : "invalid_request";
    if (s == 429) res->set_header("Retry-After", "1");
    reply(s, Error(s, code, "injected fault"));
    return;
  }
  double retry_after = 0;
  if (rate_limited_left_ > 0) {
    --rate_limited_left_;
    if (retry_after_as_date_) {
      const std::time_t at = std::time(nullptr) + retry_after_seconds_;
      std::tm tm{};
      gmtime_r(&at, &tm);
      char date[64];
      std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
      res->set_header("Retry-After", date);
    } else {
      res->set_header("Retry-After", std::to_string(retry_after_seconds_));
    }
    reply(429, Error(429, "rate_limited", "You have been rate limited. Please try again later."));
    return;
  }
  if (!TakeRateToken(&retry_after)) {
    res->set_header("Retry-After", std::to_string(static_cast<int>(retry_after)));
    reply(429, Error(429, "rate_limited", "You have been rate limited. Please try again later."));
    return;
  }
  if (req.get_header_value("Authorization") != "Bearer " + options_.token) {
    reply(401, Error(401, "unauthorized", "API token is invalid."));
    return;
  }
  const std::string version = req.get_header_value("Notion-Version");
  if (version.empty()) {
    reply(400, Error(400, "missing_version",
                     "Notion-Version header failed validation: Notion-Version header should be "
                     "defined, instead was `undefined`."));
    return;
  }
  if (version != "2022-06-28" && version != "2025-09-03" && version != "2026-03-11" &&
      version != "2026-12-01") {
    reply(400, Error(400, "validation_error",
                     "Notion-Version header failed validation: unsupported version " + version));
    return;
  }
  Json body;
  if (!req.body.empty()) {
    body = Json::parse(req.body, nullptr, false);
    if (body.is_discarded()) {
      reply(400, Error(400, "invalid_json", "Error parsing JSON body."));
      return;
    }
  }
  ApiRequest api{req.method, req.path, version, req.get_header_value("Notion-Beta"), {}, body};
  for (const auto& [k, v] : req.params) api.params.emplace_back(k, v);
  requests_[record].params = api.params;
  requests_[record].notion_version = api.version;
  requests_[record].notion_beta = api.beta;
  Json out;
  int status = HandleApi(api, &out);
  reply(status, out);
  if (!trace_path_.empty()) {
    Json query = Json::array();
    for (const auto& [k, v] : api.params) query.push_back(Json::array({k, v}));
    std::ofstream trace(trace_path_, std::ios::app);
    trace << Json{{"method", api.method},   {"path", api.path}, {"query", query},
                  {"version", api.version}, {"beta", api.beta}, {"body", api.body},
                  {"status", status}}
                 .dump()
          << "\n";
  }
}

int FakeNotionServer::HandleApi(const ApiRequest& req, Json* out) {
  const std::string& method = req.method;
  const std::string& path = req.path;
  const Json& body = req.body;
  std::map<std::string, std::string> query;
  for (const auto& [k, v] : req.params) query[k] = v;
  const bool data_sources = req.version >= "2025-09-03";
  auto not_found = [&](const std::string& id) {
    *out = Error(404, "object_not_found",
                 "Could not find object with ID: " + id +
                     ". Make sure the relevant pages and databases are shared with your "
                     "integration.");
    return 404;
  };
  auto bad_url = [&]() {
    *out = Error(400, "invalid_request_url", "Invalid request URL.");
    return 400;
  };
  std::vector<std::string> parts;
  {
    size_t pos = 1;
    while (pos <= path.size()) {
      size_t next = path.find('/', pos);
      if (next == std::string::npos) next = path.size();
      parts.push_back(path.substr(pos, next - pos));
      pos = next + 1;
    }
  }
  if (parts.empty() || parts[0] != "v1") return bad_url();
  if (parts.size() >= 3 && parts[1] == "databases") {
    if (Compact(parts[2]) != Compact(options_.database_id)) return not_found(parts[2]);
    if (parts.size() == 3 && method == "GET") {
      if (data_sources) {
        *out = DatabaseJson();
        out->erase("properties");
        (*out)["data_sources"] =
            Json::array({{{"id", options_.data_source_id}, {"name", "Tasks"}}});
      } else {
        *out = DatabaseJson();
      }
      return 200;
    }
    if (parts.size() == 4 && parts[3] == "query" && method == "POST") {
      if (data_sources) {
        *out = Error(400, "invalid_request_url",
                     "Databases are queried through their data sources in this API version: "
                     "use POST /v1/data_sources/{id}/query.");
        return 400;
      }
      return Query(req, out);
    }
    return bad_url();
  }
  if (parts.size() >= 3 && parts[1] == "data_sources") {
    if (!data_sources) return bad_url();
    if (Compact(parts[2]) != Compact(options_.data_source_id)) return not_found(parts[2]);
    if (parts.size() == 3 && method == "GET") {
      *out = DataSourceJson();
      return 200;
    }
    if (parts.size() == 4 && parts[3] == "query" && method == "POST") return Query(req, out);
    return bad_url();
  }
  if (parts.size() == 2 && parts[1] == "pages" && method == "POST") return CreatePage(body, out);
  if (parts.size() == 3 && parts[1] == "pages") {
    Page* p = FindPage(parts[2]);
    if (p == nullptr) return not_found(parts[2]);
    if (method == "GET") {
      Json page = PageJson(*p);
      if (data_sources) {
        page["parent"] = {{"type", "data_source_id"},
                          {"data_source_id", options_.data_source_id},
                          {"database_id", options_.database_id}};
      }
      const int status = ShapePage(req, /*list=*/false, &page, out);
      if (status == 200) *out = std::move(page);
      return status;
    }
    if (method == "PATCH") return PatchPage(parts[2], body, out);
    return bad_url();
  }
  if (parts.size() == 5 && parts[1] == "pages" && parts[3] == "properties" && method == "GET") {
    const Page* p = FindPage(parts[2]);
    if (p == nullptr) return not_found(parts[2]);
    return PropertyItems(*p, parts[4], query, out);
  }
  if (parts.size() == 3 && parts[1] == "comments" && method == "PATCH")
    return UpdateComment(parts[2], body, out);
  if (parts.size() == 2 && parts[1] == "comments") {
    if (method == "POST") return CreateComment(body, out);
    if (method == "GET") {
      auto it = query.find("block_id");
      if (it == query.end()) {
        *out = Error(400, "validation_error", "block_id should be defined");
        return 400;
      }
      return ListComments(it->second, query, out);
    }
  }
  return bad_url();
}

int FakeNotionServer::PropertyItems(const Page& page, const std::string& property_id,
                                    const std::map<std::string, std::string>& query,
                                    Json* out) const {
  std::string name;
  for (auto it = schema_.begin(); it != schema_.end(); ++it) {
    const std::string id = it.value().value("id", "");
    if (id == property_id || DecodeId(id) == DecodeId(property_id)) name = it.key();
  }
  if (name.empty()) {
    *out = Error(404, "object_not_found", "Could not find property with id: " + property_id);
    return 404;
  }
  if (schema_[name].value("type", "") != "relation") {
    *out = Error(400, "validation_error", "this fake serves property items of relations only");
    return 400;
  }
  size_t size = 25;
  if (auto it = query.find("page_size"); it != query.end()) {
    size = static_cast<size_t>(std::atoi(it->second.c_str()));
    if (size < 1 || size > 100) {
      *out = Error(400, "validation_error", "page_size should be between 1 and 100");
      return 400;
    }
  }
  size_t start = 0;
  if (auto it = query.find("start_cursor"); it != query.end()) {
    start = static_cast<size_t>(std::atoi(it->second.c_str()));
  }
  const Json all = page.properties.contains(name) && page.properties[name]["relation"].is_array()
                       ? page.properties[name]["relation"]
                       : Json::array();
  Json results = Json::array();
  for (size_t i = start; i < all.size() && i < start + size; ++i) {
    results.push_back({{"object", "property_item"},
                       {"id", schema_[name].value("id", "")},
                       {"type", "relation"},
                       {"relation", {{"id", all[i]["id"]}}}});
  }
  const bool more = start + size < all.size();
  *out = {{"object", "list"},
          {"results", results},
          {"next_cursor", more ? Json(std::to_string(start + size)) : Json()},
          {"has_more", more},
          {"type", "property_item"},
          {"property_item",
           {{"id", schema_[name].value("id", "")},
            {"next_url", nullptr},
            {"type", "relation"},
            {"relation", Json::object()}}}};
  return 200;
}

int FakeNotionServer::ShapePage(const ApiRequest& req, bool list, Json* page, Json* err) const {
  std::vector<std::string> wanted;  // decoded property ids
  bool named = false;
  for (const auto& [k, v] : req.params)
    if (k == "filter_properties") {
      named = true;
      wanted.push_back(v);
    }
  auto decoded_id = [](const Json& prop) {
    std::string id = prop.value("id", ""), out;
    for (size_t i = 0; i < id.size(); ++i) {
      if (id[i] == '%' && i + 2 < id.size()) {
        out += static_cast<char>(std::stoi(id.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        out += id[i];
      }
    }
    return out;
  };
  for (const std::string& id : wanted) {
    bool known = false;
    for (auto it = schema_.begin(); it != schema_.end(); ++it)
      if (decoded_id(it.value()) == id) known = true;
    if (!known) {
      *err = Error(400, "validation_error",
                   "body failed validation: filter_properties names a property that does not "
                   "exist: " +
                       id + ".");
      return 400;
    }
  }
  const bool title_only = list && !named && req.version >= "2026-12-01";
  Json& props = (*page)["properties"];
  Json kept = Json::object();
  for (auto it = props.begin(); it != props.end(); ++it) {
    const bool keep =
        named ? std::find(wanted.begin(), wanted.end(), decoded_id(it.value())) != wanted.end()
              : !title_only || it.value().value("type", "") == "title";
    if (!keep) continue;
    Json v = it.value();
    if (req.version >= "2026-12-01" && v.value("type", "") == "people" && v["people"].is_array())
      for (auto& person : v["people"]) person["name"] = nullptr;  // names may be null now
    kept[it.key()] = v;
  }
  props = kept;
  return 200;
}

int FakeNotionServer::Query(const ApiRequest& req, Json* out) {
  const Json& body = req.body;
  FilterRules rules;
  rules.status_group_operators =
      req.version >= "2026-12-01" || req.beta == "status-group-filters-2026-10-06";
  rules.status_equals_matches_group = req.version < "2026-12-01";
  const Json filter = body.is_object() && body.contains("filter") ? body["filter"] : Json();
  const Json sorts = body.is_object() && body.contains("sorts") ? body["sorts"] : Json();
  int page_size = 100;
  if (body.is_object() && body.contains("page_size")) {
    if (!body["page_size"].is_number_integer() || body["page_size"].get<int>() < 1 ||
        body["page_size"].get<int>() > 100) {
      *out = Error(400, "validation_error",
                   "body failed validation: body.page_size should be ≤ `100`.");
      return 400;
    }
    page_size = body["page_size"].get<int>();
  }
  std::vector<Json> matched;
  for (const auto& [id, page] : pages_) {
    if (page->archived) continue;  // queries never list trashed pages
    Json pj = PageJson(*page);
    bool match = true;
    std::string err;
    if (!filter.is_null() && !EvalFilter(filter, schema_, pj, &match, &err, rules)) {
      *out = Error(400, "validation_error", err);
      return 400;
    }
    if (match) matched.push_back(std::move(pj));
  }
  std::string err;
  bool ok = true;
  std::stable_sort(matched.begin(), matched.end(), [&](const Json& a, const Json& b) {
    int r = 0;
    if (!ComparePages(sorts, schema_, a, b, &r, &err)) ok = false;
    return r < 0;
  });
  if (!ok) {
    *out = Error(400, "validation_error", err);
    return 400;
  }
  size_t start = 0;
  if (body.is_object() && body.contains("start_cursor") && body["start_cursor"].is_string()) {
    // Cursors are the id of the first page of the next batch (opaque to
    // clients, like Notion's).
    const std::string cursor = body["start_cursor"].get<std::string>();
    auto it = std::find_if(matched.begin(), matched.end(),
                           [&](const Json& p) { return Compact(p["id"]) == Compact(cursor); });
    if (it == matched.end()) {
      *out = Error(400, "validation_error",
                   "body failed validation: start_cursor should be a valid cursor, instead was `" +
                       cursor + "`.");
      return 400;
    }
    start = static_cast<size_t>(it - matched.begin());
  }
  Json results = Json::array();
  size_t end = std::min(matched.size(), start + static_cast<size_t>(page_size));
  for (size_t i = start; i < end; ++i) {
    Json page = matched[i];
    const int status = ShapePage(req, /*list=*/true, &page, out);
    if (status != 200) return status;
    results.push_back(std::move(page));
  }
  const bool more = end < matched.size();
  *out = Json{{"object", "list"},
              {"results", results},
              {"next_cursor", more ? Json(matched[end]["id"]) : Json(nullptr)},
              {"has_more", more},
              {"type", "page_or_database"},
              {"page_or_database", Json::object()}};
  return 200;
}

int FakeNotionServer::NormalizeValue(const std::string& name, const Json& value, Json* stored,
                                     Json* err) {
  if (!schema_.contains(name)) {
    *err = Error(400, "validation_error", name + " is not a property that exists.");
    return 400;
  }
  Json& prop = schema_[name];
  const std::string type = prop.value("type", "");
  const std::string path = "body.properties." + name + "." + type;
  std::string msg;
  if (!value.is_object() || !value.contains(type)) {
    *err =
        Error(400, "validation_error",
              "body failed validation: " + path + " should be defined, instead was `undefined`.");
    return 400;
  }
  const Json& v = value[type];
  Json s = Json{{"type", type}};
  if (type == "title" || type == "rich_text") {
    Json items;
    if (!NormalizeRichText(path, v, &items, &msg)) {
      *err = Error(400, "validation_error", "body failed validation: " + msg);
      return 400;
    }
    s[type] = items;
  } else if (type == "select" || type == "status") {
    if (v.is_null()) {
      s[type] = nullptr;
    } else {
      std::string option = v.is_object() ? v.value("name", "") : "";
      if (option.empty()) {
        *err = Error(400, "validation_error",
                     "body failed validation: " + path + ".name should be defined");
        return 400;
      }
      Json& options = prop[type]["options"];
      Json found;
      for (const auto& o : options)
        if (o.value("name", "") == option) found = o;
      if (found.is_null()) {
        if (type == "status") {
          *err = Error(400, "validation_error",
                       "Invalid status option. Status option \"" + option + "\" does not exist.");
          return 400;
        }
        // A select gets the new option, as Notion does on write.
        found = Option(option, "default");
        options.push_back(found);
      }
      s[type] = found;
    }
  } else if (type == "relation") {
    bool valid = v.is_array() && v.size() <= 100;
    Json list = Json::array();
    for (const auto& item : valid ? v : Json::array()) {
      if (!item.is_object() || !item.contains("id") || !item["id"].is_string()) valid = false;
      if (valid) list.push_back(Json{{"id", item["id"]}});
    }
    if (!valid) {
      *err = Error(400, "validation_error",
                   "body failed validation: " + path +
                       " should be an array of at most 100 page references ({\"id\": ...})");
      return 400;
    }
    s[type] = list;
  } else if (type == "multi_select") {
    if (!v.is_array()) {
      *err =
          Error(400, "validation_error", "body failed validation: " + path + " should be an array");
      return 400;
    }
    Json list = Json::array();
    for (const auto& o : v) list.push_back(Option(o.value("name", ""), "default"));
    s[type] = list;
  } else {
    s[type] = v;
  }
  *stored = s;
  return 200;
}

int FakeNotionServer::PatchPage(const std::string& id, const Json& body, Json* out) {
  Page* p = FindPage(id);
  if (!body.is_object()) {
    *out = Error(400, "validation_error", "body failed validation: body should be an object");
    return 400;
  }
  bool unarchive = (body.contains("archived") && body["archived"] == false) ||
                   (body.contains("in_trash") && body["in_trash"] == false);
  if (p->archived && !unarchive) {
    *out = Error(400, "validation_error",
                 "Can't edit block that is archived. You must unarchive the block before editing.");
    return 400;
  }
  Json updates = Json::object();
  if (body.contains("properties")) {
    if (!body["properties"].is_object()) {
      *out = Error(400, "validation_error",
                   "body failed validation: body.properties should be an object");
      return 400;
    }
    for (auto it = body["properties"].begin(); it != body["properties"].end(); ++it) {
      Json stored;
      int st = NormalizeValue(it.key(), it.value(), &stored, out);
      if (st != 200) return st;
      updates[it.key()] = stored;
    }
  }
  for (auto it = updates.begin(); it != updates.end(); ++it) p->properties[it.key()] = it.value();
  if (body.contains("archived") && body["archived"].is_boolean()) p->archived = body["archived"];
  if (body.contains("in_trash") && body["in_trash"].is_boolean()) p->archived = body["in_trash"];
  Touch(p);
  *out = PageJson(*p);
  return 200;
}

int FakeNotionServer::CreatePage(const Json& body, Json* out) {
  if (!body.is_object() || !body.contains("parent") || !body["parent"].is_object()) {
    *out = Error(400, "validation_error", "body failed validation: body.parent should be defined");
    return 400;
  }
  const Json& parent = body["parent"];
  std::string target = parent.value("database_id", parent.value("data_source_id", ""));
  if (Compact(target) != Compact(options_.database_id) &&
      Compact(target) != Compact(options_.data_source_id))
    return (*out = Error(404, "object_not_found", "Could not find database with ID: " + target)),
           404;
  auto page = std::make_unique<Page>();
  if (body.contains("properties") && body["properties"].is_object()) {
    for (auto it = body["properties"].begin(); it != body["properties"].end(); ++it) {
      Json stored;
      int st = NormalizeValue(it.key(), it.value(), &stored, out);
      if (st != 200) return st;
      page->properties[it.key()] = stored;
    }
  }
  page->id = NewId();
  page->created_ms = NowRounded();
  page->edited_ms = page->created_ms;
  *out = PageJson(*page);
  pages_[Compact(page->id)] = std::move(page);
  return 200;
}

int FakeNotionServer::CreateComment(const Json& body, Json* out) {
  if (!body.is_object() || !body.contains("parent") || !body["parent"].is_object()) {
    *out = Error(400, "validation_error", "body failed validation: body.parent should be defined");
    return 400;
  }
  std::string page_id = body["parent"].value("page_id", "");
  Page* p = FindPage(page_id);
  if (p == nullptr) {
    *out = Error(404, "object_not_found", "Could not find page with ID: " + page_id);
    return 404;
  }
  Json items;
  std::string msg;
  if (!NormalizeRichText("body.rich_text", body.value("rich_text", Json()), &items, &msg)) {
    *out = Error(400, "validation_error", "body failed validation: " + msg);
    return 400;
  }
  *out = AddComment(*p, items, "bot-taskexec");
  return 200;
}

int FakeNotionServer::UpdateComment(const std::string& comment_id, const Json& body, Json* out) {
  // Notion's reference, "Update a comment": exactly one of rich_text and
  // markdown; only the integration's own comments (others are 404).
  if (!body.is_object() || (body.contains("rich_text") == body.contains("markdown"))) {
    *out = Error(400, "validation_error",
                 "body failed validation: exactly one of body.rich_text or body.markdown should "
                 "be defined");
    return 400;
  }
  for (const auto& [key, value] : body.items()) {
    if (key != "rich_text" && key != "markdown") {
      *out = Error(400, "validation_error",
                   "body failed validation: body." + key + " should be not present");
      return 400;
    }
  }
  Json* comment = nullptr;
  for (Json& c : comments_)
    if (Compact(c.value("id", "")) == Compact(comment_id)) comment = &c;
  if (comment == nullptr || (*comment)["created_by"].value("id", "") != "bot-taskexec") {
    *out = Error(404, "object_not_found", "Could not find comment with ID: " + comment_id);
    return 404;
  }
  Json items;
  std::string msg;
  if (body.contains("markdown")) {
    if (!body["markdown"].is_string()) {
      *out = Error(400, "validation_error",
                   "body failed validation: body.markdown should be a string");
      return 400;
    }
    items = Json::array({RichTextStored(body["markdown"].get<std::string>())});
  } else if (!NormalizeRichText("body.rich_text", body["rich_text"], &items, &msg)) {
    *out = Error(400, "validation_error", "body failed validation: " + msg);
    return 400;
  }
  (*comment)["rich_text"] = items;
  (*comment)["last_edited_time"] = FormatIso8601(NowRounded());
  ++comment_updates_;
  *out = *comment;
  return 200;
}

int FakeNotionServer::ListComments(const std::string& block_id,
                                   const std::map<std::string, std::string>& query, Json* out) {
  if (FindPage(block_id) == nullptr) {
    *out = Error(404, "object_not_found", "Could not find block with ID: " + block_id);
    return 404;
  }
  std::vector<Json> mine;
  for (const auto& c : comments_)
    if (Compact(c["parent"].value("page_id", "")) == Compact(block_id)) mine.push_back(c);
  size_t start = 0;
  auto cur = query.find("start_cursor");
  if (cur != query.end()) {
    while (start < mine.size() && mine[start].value("id", "") != cur->second) ++start;
  }
  size_t page_size = 100;
  auto ps = query.find("page_size");
  if (ps != query.end()) page_size = std::clamp<size_t>(std::stoul(ps->second), 1, 100);
  size_t end = std::min(mine.size(), start + page_size);
  Json results = Json::array();
  for (size_t i = start; i < end; ++i) results.push_back(mine[i]);
  bool more = end < mine.size();
  *out = Json{{"object", "list"},
              {"results", results},
              {"next_cursor", more ? Json(mine[end]["id"]) : Json(nullptr)},
              {"has_more", more},
              {"type", "comment"},
              {"comment", Json::object()}};
  return 200;
}

// ---- Control API (C++) ----

std::string FakeNotionServer::AddTaskPage(const std::string& title, const std::string& status,
                                          const std::string& priority, const std::string& agent,
                                          const std::string& description) {
  Json props = Json::object();
  auto text = [](const std::string& s) {
    Json items = Json::array();
    for (size_t pos = 0; pos < s.size(); pos += kMaxText)
      items.push_back({{"text", {{"content", s.substr(pos, kMaxText)}}}});
    return items;
  };
  if (!title.empty()) props["Name"] = {{"title", text(title)}};
  std::string status_type;
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_type = schema_.contains("Status") ? schema_["Status"].value("type", "select") : "select";
  }
  if (!status.empty()) props["Status"] = {{status_type, {{"name", status}}}};
  if (!priority.empty()) props["Priority"] = {{"select", {{"name", priority}}}};
  if (!agent.empty()) props["Agent"] = {{"select", {{"name", agent}}}};
  if (!description.empty()) props["Description"] = {{"rich_text", text(description)}};
  return CreatePageRaw(props);
}

std::string FakeNotionServer::CreatePageRaw(const Json& properties) {
  std::string id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto page = std::make_unique<Page>();
    page->id = NewId();
    page->created_ms = NowRounded();
    page->edited_ms = page->created_ms;
    for (auto it = properties.begin(); it != properties.end(); ++it) {
      Json stored;
      Json err;
      // A person's UI allows what the API would refuse (e.g. 100k text):
      // store the value even when it fails API validation.
      if (NormalizeValue(it.key(), it.value(), &stored, &err) != 200) {
        std::string type = schema_.contains(it.key()) ? schema_[it.key()].value("type", "") : "";
        stored = Json{{"type", type}};
        if (type == "title" || type == "rich_text") {
          Json items = Json::array();
          for (const auto& item : it.value()[type])
            items.push_back(RichTextStored(item["text"].value("content", "")));
          stored[type] = items;
        } else {
          stored[type] = it.value().contains(type) ? it.value()[type] : Json();
        }
      }
      page->properties[it.key()] = stored;
    }
    id = page->id;
    pages_[Compact(id)] = std::move(page);
  }
  NotifyWebhook(id);
  return id;
}

Status FakeNotionServer::SetRawProperty(const std::string& page_id, const std::string& name,
                                        const Json& value) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Page* p = FindPage(page_id);
    if (p == nullptr) return Status::NotFound(page_id);
    Json stored, err;
    if (NormalizeValue(name, value, &stored, &err) != 200)
      return Status::InvalidArgument(err.value("message", ""));
    p->properties[name] = stored;
    Touch(p);
  }
  NotifyWebhook(page_id);
  return Status::OK();
}

Status FakeNotionServer::MoveCard(const std::string& page_id, const std::string& option) {
  std::string type;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!schema_.contains("Status")) return Status::NotFound("no Status property");
    type = schema_["Status"].value("type", "select");
  }
  return SetRawProperty(page_id, "Status", Json{{type, {{"name", option}}}});
}

Status FakeNotionServer::SetTitle(const std::string& page_id, const std::string& title) {
  return SetRawProperty(page_id, "Name", Json{{"title", {{{"text", {{"content", title}}}}}}});
}

Status FakeNotionServer::ArchivePage(const std::string& page_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Page* p = FindPage(page_id);
    if (p == nullptr) return Status::NotFound(page_id);
    p->archived = true;
    Touch(p);
  }
  NotifyWebhook(page_id);
  return Status::OK();
}

Status FakeNotionServer::DeletePage(const std::string& page_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return pages_.erase(Compact(page_id)) ? Status::OK() : Status::NotFound(page_id);
}

Status FakeNotionServer::RenameProperty(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!schema_.contains(from)) return Status::NotFound(from);
  Json prop = schema_[from];
  prop["name"] = to;
  schema_.erase(from);
  schema_[to] = prop;
  for (auto& [id, page] : pages_) {
    if (page->properties.contains(from)) {
      page->properties[to] = page->properties[from];
      page->properties.erase(from);
    }
  }
  return Status::OK();
}

Status FakeNotionServer::GetPage(const std::string& page_id, Json* page) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Page* p = FindPage(page_id);
  if (p == nullptr) return Status::NotFound(page_id);
  *page = PageJson(*p);
  return Status::OK();
}

std::string FakeNotionServer::StatusOf(const std::string& page_id) const {
  return TextOf(page_id, "Status");
}

std::string FakeNotionServer::TextOf(const std::string& page_id,
                                     const std::string& property) const {
  Json page;
  if (!GetPage(page_id, &page).ok()) return "";
  return PropertyText(page["properties"].value(property, Json()));
}

Status FakeNotionServer::AddPersonComment(const std::string& page_id, const std::string& text,
                                          const std::string& user_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Page* p = FindPage(page_id);
  if (p == nullptr) return Status::NotFound("no page " + page_id);
  AddComment(*p, Json::array({RichTextStored(text)}), user_id);
  return Status::OK();
}

Json FakeNotionServer::AddComment(const Page& page, const Json& rich_text,
                                  const std::string& author) {
  Json c = {{"object", "comment"},
            {"id", NewId()},
            {"parent", {{"type", "page_id"}, {"page_id", page.id}}},
            {"discussion_id", NewId()},
            {"created_time", FormatIso8601(NowRounded())},
            {"last_edited_time", FormatIso8601(NowRounded())},
            {"created_by", {{"object", "user"}, {"id", author}}},
            {"rich_text", rich_text}};
  comments_.push_back(c);
  return c;
}

std::vector<Json> FakeNotionServer::Comments(const std::string& page_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Json> out;
  for (const auto& c : comments_)
    if (Compact(c["parent"].value("page_id", "")) == Compact(page_id)) out.push_back(c);
  return out;
}

int FakeNotionServer::CommentUpdates() const {
  std::lock_guard<std::mutex> lock(mu_);
  return comment_updates_;
}

std::vector<std::string> FakeNotionServer::PageIds() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> ids;
  for (const auto& [k, p] : pages_) ids.push_back(p->id);
  return ids;
}

Json FakeNotionServer::Schema() const {
  std::lock_guard<std::mutex> lock(mu_);
  return schema_;
}

void FakeNotionServer::InjectRateLimited(int count, int retry_after_seconds, bool as_http_date) {
  std::lock_guard<std::mutex> lock(mu_);
  rate_limited_left_ = count;
  retry_after_seconds_ = retry_after_seconds;
  retry_after_as_date_ = as_http_date;
}

void FakeNotionServer::InjectStatus(int count, int http_status) {
  std::lock_guard<std::mutex> lock(mu_);
  injected_left_ = count;
  injected_status_ = http_status;
}

void FakeNotionServer::SetOutage(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  outage_ = on;
}

void FakeNotionServer::SetLatencyMs(int ms) {
  std::lock_guard<std::mutex> lock(mu_);
  latency_ms_ = ms;
}

std::vector<RequestRecord> FakeNotionServer::Requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

int64_t FakeNotionServer::RequestCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(requests_.size());
}

void FakeNotionServer::ResetRequests() {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.clear();
}

int64_t FakeNotionServer::MaxRequestsInWindow(int64_t window_ms) const {
  std::vector<int64_t> times;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& r : requests_) times.push_back(r.at_ms);
  }
  std::sort(times.begin(), times.end());
  int64_t best = 0;
  size_t lo = 0;
  for (size_t hi = 0; hi < times.size(); ++hi) {
    while (times[hi] - times[lo] >= window_ms) ++lo;  // half-open window [t, t + w)
    best = std::max<int64_t>(best, static_cast<int64_t>(hi - lo + 1));
  }
  return best;
}

void FakeNotionServer::SetWebhookTarget(const std::string& url, const std::string& secret) {
  std::lock_guard<std::mutex> lock(mu_);
  webhook_url_ = url;
  webhook_secret_ = secret;
}

void FakeNotionServer::NotifyWebhook(const std::string& page_id) {
  bool on;
  {
    std::lock_guard<std::mutex> lock(mu_);
    on = !webhook_url_.empty();
  }
  if (on) SendWebhookEvent("page.properties_updated", page_id);
}

int FakeNotionServer::SendWebhookEvent(const std::string& type, const std::string& page_id,
                                       const std::string& event_id, const std::string& timestamp,
                                       const std::string& signature_override) {
  std::string url, secret, id = event_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    url = webhook_url_;
    secret = webhook_secret_;
    if (id.empty()) id = "evt-" + std::to_string(++event_seq_) + "-" + NewId();
  }
  if (url.empty()) return 0;
  Json event = {{"id", id},
                {"timestamp", timestamp.empty() ? FormatIso8601(clock_->NowMs()) : timestamp},
                {"workspace_id", "ws-fake"},
                {"subscription_id", "sub-fake"},
                {"integration_id", "int-fake"},
                {"type", type},
                {"authors", Json::array({{{"id", "person-1"}, {"type", "person"}}})},
                {"entity", {{"id", page_id}, {"type", "page"}}},
                {"data",
                 {{"parent", {{"id", options_.database_id}, {"type", "database"}}},
                  {"updated_properties", Json::array({"st%3A1"})}}},
                {"attempt_number", 1}};
  std::string body = event.dump();
  // url = http://host:port/path
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  std::string origin = slash == std::string::npos ? url : url.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : url.substr(slash);
  httplib::Client client(origin);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  httplib::Headers headers = {
      {"X-Notion-Signature", signature_override.empty() ? Hmac(secret, body) : signature_override}};
  auto res = client.Post(path.c_str(), headers, body, "application/json");
  return res ? res->status : 0;
}

// ---- Control API (HTTP, for the standalone binary) ----

void FakeNotionServer::Control(const httplib::Request& req, httplib::Response* res) {
  Json body = req.body.empty() ? Json::object() : Json::parse(req.body, nullptr, false);
  if (body.is_discarded()) body = Json::object();
  auto ok = [&](const Json& j) {
    res->status = 200;
    res->set_content(j.dump(), "application/json");
  };
  auto from_status = [&](const Status& st) {
    res->status = st.ok() ? 200 : (st.IsNotFound() ? 404 : 400);
    res->set_content(Json{{"ok", st.ok()}, {"message", st.message()}}.dump(), "application/json");
  };
  const std::string& p = req.path;
  std::string page =
      req.has_param("page_id") ? req.get_param_value("page_id") : body.value("page_id", "");
  if (p == "/_control/pages" && req.method == "POST") {
    if (body.contains("properties")) return ok({{"id", CreatePageRaw(body["properties"])}});
    std::string description = body.value("description", "");
    if (body.contains("description_length"))
      description = std::string(body["description_length"].get<size_t>(), 'x');
    return ok(
        {{"id", AddTaskPage(body.value("title", ""), body.value("status", ""),
                            body.value("priority", ""), body.value("agent", ""), description)}});
  }
  if (p == "/_control/pages/bulk" && req.method == "POST") {
    Json ids = Json::array();
    int n = body.value("count", 0);
    for (int i = 0; i < n; ++i)
      ids.push_back(AddTaskPage(body.value("title_prefix", "Task") + " " + std::to_string(i + 1),
                                body.value("status", "To Do"), body.value("priority", "P2")));
    return ok({{"ids", ids}});
  }
  if (p == "/_control/pages" && req.method == "GET") {
    Json pages = Json::array();
    for (const auto& id : PageIds()) {
      Json pj;
      if (GetPage(id, &pj).ok()) pages.push_back(pj);
    }
    return ok({{"pages", pages}});
  }
  if (p == "/_control/move") return from_status(MoveCard(page, body.value("status", "")));
  if (p == "/_control/title") return from_status(SetTitle(page, body.value("title", "")));
  if (p == "/_control/archive") return from_status(ArchivePage(page));
  if (p == "/_control/delete") return from_status(DeletePage(page));
  if (p == "/_control/rename")
    return from_status(RenameProperty(body.value("from", ""), body.value("to", "")));
  if (p == "/_control/comments") {
    return ok({{"comments", Comments(page)}});
  }
  if (p == "/_control/faults") {
    if (body.contains("rate_limited"))
      InjectRateLimited(body["rate_limited"].get<int>(), body.value("retry_after", 1));
    if (body.contains("status")) InjectStatus(body.value("count", 1), body["status"].get<int>());
    if (body.contains("outage")) SetOutage(body["outage"].get<bool>());
    if (body.contains("latency_ms")) SetLatencyMs(body["latency_ms"].get<int>());
    return ok({{"ok", true}});
  }
  if (p == "/_control/webhook") {
    SetWebhookTarget(body.value("url", ""), body.value("secret", ""));
    return ok({{"ok", true}});
  }
  if (p == "/_control/stats") {
    int64_t rl = 0;
    for (const auto& r : Requests())
      if (r.status == 429) ++rl;
    return ok({{"requests", RequestCount()},
               {"rate_limited", rl},
               {"max_in_10s", MaxRequestsInWindow(10000)}});
  }
  if (p == "/_control/reset_requests") {
    ResetRequests();
    return ok({{"ok", true}});
  }
  res->status = 404;
  res->set_content(R"({"message":"unknown control endpoint"})", "application/json");
}

}  // namespace taskexec::fakes
