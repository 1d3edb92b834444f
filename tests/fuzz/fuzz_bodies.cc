#include "fuzz/fuzz_bodies.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "config/toml_source.h"
#include "core/clock.h"
#include "engine/store_service.h"
#include "notion/http_transport.h"
#include "notion/notion_client.h"
#include "notion/property_mapping.h"
#include "notion/rate_limiter.h"
#include "notion/webhook.h"
#include "routing/agent_router.h"
#include "runner/command_template.h"
#include "runner/error_classifier.h"
#include "runner/outcome.h"
#include "runner/progress_line.h"
#include "runner/usage_limit.h"
#include "runner/usage_report.h"
#include "server/api_handlers.h"
#include "store/sqlite/sqlite_store.h"

namespace taskexec::fuzz {
namespace {

using Json = nlohmann::json;

std::string Text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Strict: throws on invalid UTF-8, as a request to Notion would.
bool DumpsAsJson(const std::string& text) {
  try {
    (void)Json(text).dump();
    return true;
  } catch (const Json::exception&) {
    return false;
  }
}

// A fixed clock: webhook lateness and usage-limit resets are computed from it.
const Clock* FuzzClock() {
  static ManualClock clock(1764067321000);
  return &clock;
}

}  // namespace

bool NotionOnce(const uint8_t* data, size_t size) {
  const std::string body = Text(data, size);
  const Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  NotionConfig config;
  config.token = "secret_fuzz";
  config.database_id = "0f3c6b4e1a2b4c3d8e4f5a6b7c8d9e01";
  notion::PropertyMapping mapping = notion::PropertyMapping::FromConfig(config);
  std::vector<std::string> warnings;
  if (j.is_object()) {
    if (j.contains("properties") && j["properties"].is_object())
      (void)mapping.ValidateSchema(j["properties"], &warnings);
    notion::NotionTaskFields fields = mapping.ParsePage(j, &warnings);
    if (fields.description.size() > notion::kMaxDescriptionBytes) return false;
    (void)mapping.OpenCardsFilter({});
  }
  const int status = size > 0 ? 100 + data[0] * 2 : 400;
  notion::NotionError error = notion::ParseNotionError(status, body);
  (void)notion::StatusFromNotionError(error);

  notion::WebhookOptions options;
  options.secret = "whsec_fuzz";
  notion::WebhookHandler handler(options, nullptr, FuzzClock());
  const bool sign = size > 0 && data[0] % 2 == 0;
  const std::string header = sign ? notion::NotionSignature(options.secret, body)
                                  : body.substr(0, std::min<size_t>(body.size(), 80));
  notion::WebhookResult result = handler.Handle({{"X-Notion-Signature", header}}, body);
  if (result.http_status < 200 || result.http_status > 599) return false;
  if (!sign && result.outcome == "accepted") return false;  // unsigned, yet taken
  return true;
}

namespace {

// Answers every request with the next body, then the last one again.
class ScriptedNotion final : public notion::HttpTransport {
 public:
  explicit ScriptedNotion(std::vector<std::string> bodies) : bodies_(std::move(bodies)) {}
  Status Send(const notion::HttpRequest&, notion::HttpResponse* response) override {
    ++requests;
    response->status = 200;
    response->headers = {{"content-type", "application/json"}};
    response->body = bodies_.empty() ? "" : bodies_[std::min(next_, bodies_.size() - 1)];
    ++next_;
    return Status::OK();
  }
  size_t requests = 0;

 private:
  std::vector<std::string> bodies_;
  size_t next_ = 0;
};

class NoSleep final : public notion::Sleeper {
 public:
  void SleepMs(int64_t) override {}
};

}  // namespace

bool NotionListsOnce(const uint8_t* data, size_t size) {
  if (size == 0) return true;
  std::vector<std::string> bodies;
  const std::string rest = Text(data + 1, size - 1);
  for (size_t start = 0;;) {
    const size_t nul = rest.find('\0', start);
    bodies.push_back(rest.substr(start, nul == std::string::npos ? nul : nul - start));
    if (nul == std::string::npos) break;
    start = nul + 1;
  }
  ScriptedNotion transport(bodies);
  NoSleep sleeper;
  notion::RateLimiter limiter(1e9, 1e9, FuzzClock(), &sleeper);
  notion::NotionClientOptions options;
  options.token = "secret_fuzz";
  options.database_id = "0f3c6b4e1a2b4c3d8e4f5a6b7c8d9e01";
  options.max_attempts = 1;
  options.jitter_seed = 1;
  if (data[0] % 2 == 0) options.api_version = "2022-06-28";
  notion::NotionClient client(options, &transport, &limiter, FuzzClock(), &sleeper);
  const size_t most = bodies.size() + 2;
  auto bounded = [&](auto&& list) {
    transport.requests = 0;
    list();
    return transport.requests <= most;
  };
  std::vector<Json> pages;
  if (!bounded([&] { (void)client.QueryAll(Json(), Json(), &pages); })) return false;
  for (const Json& page : pages) (void)page.dump();
  std::vector<std::string> related;
  if (!bounded([&] { (void)client.GetRelation("page-1", "%3Drel", &related); })) return false;
  for (const std::string& id : related) {
    if (id.empty()) return false;
  }
  std::vector<Json> comments;
  if (!bounded([&] { (void)client.ListComments("page-1", &comments); })) return false;
  return true;
}

namespace {

struct ApiHarness {
  ApiHarness() : router(RoutingConfig{}) {
    StoreConfig config;
    if (!SqliteStore::Open(":memory:", config, &store).ok()) std::abort();
    service = std::make_unique<StoreTaskService>(store.get(), &router, FuzzClock());
    handlers = std::make_unique<ApiHandlers>(service.get());
    NewTask seed;
    seed.title = "a task the requests may name";
    seed.id = "task-fuzz";
    Task out;
    (void)service->AddTask(seed, &out);
  }
  std::unique_ptr<SqliteStore> store;
  AgentRouter router;
  std::unique_ptr<StoreTaskService> service;
  std::unique_ptr<ApiHandlers> handlers;
};

std::map<std::string, std::string> ParseQuery(std::string_view text) {
  std::map<std::string, std::string> query;
  while (!text.empty()) {
    const size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    const size_t eq = pair.find('=');
    query.emplace(std::string(pair.substr(0, eq)),
                  eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp + 1);
  }
  return query;
}

}  // namespace

bool ApiOnce(const uint8_t* data, size_t size) {
  // A fresh store every 500 requests: the added tasks would otherwise make
  // each listing and prune slower than the one before.
  static std::unique_ptr<ApiHarness> harness;
  static int calls = 0;
  if (calls++ % 500 == 0) harness = std::make_unique<ApiHarness>();
  ApiHarness& h = *harness;
  if (size == 0) return true;
  const std::string rest = Text(data + 1, size - 1);
  const size_t nl = rest.find('\n');
  ApiRequest req;
  req.query = ParseQuery(std::string_view(rest).substr(0, nl));
  req.body = nl == std::string::npos ? "" : rest.substr(nl + 1);
  req.params = {data[0] & 0x80 ? "task-fuzz" : req.body.substr(0, 40)};
  ApiResponse resp;
  switch (data[0] % 8) {
    case 0:
      resp = h.handlers->ListTasks(req);
      break;
    case 1:
      resp = h.handlers->AddTask(req);
      break;
    case 2:
      resp = h.handlers->UpdateTask(req);
      break;
    case 3:
      resp = h.handlers->Execute(req);
      break;
    case 4:
      resp = h.handlers->Reply(req);
      break;
    case 5:
      resp = h.handlers->Prune(req);
      break;
    case 6:
      resp = h.handlers->Cancel(req);
      break;
    default:
      resp = h.handlers->GetTask(req);
      break;
  }
  if (resp.status < 200 || resp.status > 599) return false;
  if (resp.stream) return true;
  return !Json::parse(resp.body, nullptr, false).is_discarded();
}

bool ConfigOnce(const uint8_t* data, size_t size) {
  Config config;
  config_internal::Origins origins;
  Status st = config_internal::ApplyTomlText(Text(data, size), "fuzz.toml", &config, &origins);
  if (st.ok()) (void)ValidateConfig(config);
  return st.ok() || !st.message().empty();  // a refusal says why
}

bool AgentOutputOnce(const uint8_t* data, size_t size) {
  ProcessResult process;
  if (size > 0) {
    if (data[0] < 200) {
      process.exit_code = data[0] % 4 == 0 ? 0 : data[0];
    } else {
      process.term_signal = data[0] - 190;
    }
    process.timed_out = data[0] == 255;
  }
  const std::string rest = size > 0 ? Text(data + 1, size - 1) : "";
  const size_t nul = rest.find('\0');
  process.stdout_tail = rest.substr(0, nul);
  process.stdout_bytes = static_cast<int64_t>(process.stdout_tail.size());
  process.stderr_tail = nul == std::string::npos ? "" : rest.substr(nul + 1);
  process.recent_output = process.stdout_tail + process.stderr_tail;
  ParsedOutcome parsed = ParseOutcome(process, {"task-fuzz", "exec-fuzz"});
  const AgentResult& r = parsed.result;
  if (r.summary.size() > kMaxSummaryChars || r.error.size() > kMaxErrorChars ||
      r.question.size() > kMaxQuestionChars)
    return false;
  for (const std::string* text : {&r.summary, &r.error, &r.question, &r.session_id})
    if (!DumpsAsJson(*text)) return false;
  (void)ExtractSessionId(process.stdout_tail, {"task-fuzz"});
  (void)FindUsageLimit(rest, FuzzClock()->NowMs());
  (void)LastMeaningfulLine(rest, 200);
  (void)ClassifyError(rest);
  const Json j = Json::parse(process.stdout_tail, nullptr, false);
  if (!j.is_discarded()) {
    AgentUsage usage = UsageFromResult(j);
    AddCodexTurnUsage(j, &usage);
    AddOpenCodeStepUsage(j, &usage);
  }
  return true;
}

bool CommandTemplateOnce(const uint8_t* data, size_t size) {
  std::vector<std::string> tmpl;
  std::string current;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      tmpl.push_back(current);
      current.clear();
    } else {
      current.push_back(static_cast<char>(data[i]));
    }
  }
  tmpl.push_back(current);
  if (!ValidateCommandTemplate(tmpl).ok()) return true;
  std::map<std::string, std::string> values;
  size_t k = 0;
  for (const std::string& name : KnownPlaceholders())
    values[name] = k < tmpl.size() ? tmpl[k++] : name;
  std::vector<std::string> argv;
  if (!ExpandCommandTemplate(tmpl, values, &argv).ok()) return true;
  if (argv.size() != tmpl.size()) return false;
  (void)CheckExecLimits(tmpl, argv, {"PATH=/usr/bin"});
  return true;
}

const std::vector<Target>& Targets() {
  static const std::vector<Target> targets = {
      {"notion", &NotionOnce},
      {"notion_lists", &NotionListsOnce},
      {"api", &ApiOnce},
      {"config", &ConfigOnce},
      {"agent_output", &AgentOutputOnce},
      {"command_template", &CommandTemplateOnce},
  };
  return targets;
}

}  // namespace taskexec::fuzz
