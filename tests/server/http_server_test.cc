// End-to-end tests of the HTTP API on 127.0.0.1:<free port> against the
// in-memory FakeTaskService, through a real httplib client.
#include "server/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "server/api_handlers.h"
#include "server/fake_task_service.h"

namespace taskexec {
namespace {

using nlohmann::json;

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(const std::string& token = "") {
    ServerConfig cfg;
    cfg.listen = "127.0.0.1:0";
    cfg.token = token;
    cfg.max_body_bytes = 4096;
    cfg.threads = 2;
    cfg.allowed_hosts = allowed_hosts_;
    cfg.cors_origins = cors_origins_;
    server_ = std::make_unique<HttpServer>(cfg, &svc_);
    if (raw_) server_->HandleRaw("POST", "/webhooks/test", raw_);
    for (const ServiceProbe& p : probes_) server_->AddProbe(p);
    server_->SetArtifactRoots(artifact_roots_);
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_GT(server_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(30, 0);
    client_->set_connection_timeout(30, 0);
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  httplib::Result Get(const std::string& path, const httplib::Headers& h = {}) {
    return client_->Get(path.c_str(), h);
  }
  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::string& type = "application/json",
                       const httplib::Headers& h = {}) {
    return client_->Post(path.c_str(), h, body, type.c_str());
  }
  static json Body(const httplib::Result& r) { return json::parse(r->body); }
  static std::string ErrorCode(const httplib::Result& r) {
    return Body(r)["error"]["code"].get<std::string>();
  }
  static std::string ErrorMessage(const httplib::Result& r) {
    return Body(r)["error"]["message"].get<std::string>();
  }

  std::string AddTask(const std::string& title) {
    auto r = Post("/api/v1/tasks", json{{"title", title}}.dump());
    EXPECT_TRUE(r);
    EXPECT_EQ(r->status, 201);
    return Body(r)["id"].get<std::string>();
  }

  int Calls() {
    std::lock_guard<std::mutex> l(svc_.mu);
    return svc_.calls;
  }
  std::string Origin() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  FakeTaskService svc_;
  std::vector<std::string> allowed_hosts_;
  std::vector<std::string> cors_origins_;
  RawHandler raw_;
  std::vector<ServiceProbe> probes_;
  std::vector<std::string> artifact_roots_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpServerTest, Healthz) {
  StartServer();
  auto r = Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["status"], "ok");
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
}

// /readyz answers without a token: 200 while the store answers, the engine
// runs and every probe is ready; 503 naming what is not. Probes add to
// /metrics too.
TEST_F(HttpServerTest, ReadyzChecksTheStoreTheEngineAndTheProbes) {
  std::atomic<bool> notion_ok{true};
  ServiceProbe notion;
  notion.name = "notion";
  notion.ready = [&] {
    return notion_ok ? Status::OK() : Status::Unavailable("no answer from Notion for 301 s");
  };
  notion.metrics = [] { return std::string("taskexec_notion_ready 1\n"); };
  probes_.push_back(notion);
  svc_.status.executor_id = "host-1";
  svc_.status.engine_running = true;
  StartServer("s3cret");
  auto r = Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  json body = Body(r);
  EXPECT_EQ(body["status"], "ready");
  EXPECT_EQ(body["checks"]["store"]["ok"], true);
  EXPECT_EQ(body["checks"]["engine"]["ok"], true);
  EXPECT_EQ(body["checks"]["notion"]["ok"], true);
  EXPECT_TRUE(body["checks"]["store"]["ms"].is_number());

  notion_ok = false;
  r = Get("/readyz");
  EXPECT_EQ(r->status, 503);
  body = Body(r);
  EXPECT_EQ(body["status"], "not_ready");
  EXPECT_EQ(body["checks"]["notion"]["error"], "no answer from Notion for 301 s");
  EXPECT_EQ(body["checks"]["store"]["ok"], true);

  {
    std::lock_guard<std::mutex> l(svc_.mu);
    svc_.status.engine_running = false;
  }
  notion_ok = true;
  r = Get("/readyz");
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(Body(r)["checks"]["engine"]["error"], "the engine is not running");

  // Running but taking no new work (the store's disk is full).
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    svc_.status.engine_running = true;
    svc_.status.refusing_work = "the store refuses writes: claim: database or disk is full";
  }
  r = Get("/readyz");
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(Body(r)["checks"]["engine"]["ok"], true);
  EXPECT_EQ(Body(r)["checks"]["intake"]["error"],
            "no new work is taken: the store refuses writes: claim: database or disk is full");
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    svc_.status.engine_running = false;
    svc_.status.refusing_work.clear();
  }

  {
    std::lock_guard<std::mutex> l(svc_.mu);
    svc_.fail = Status::Unavailable("database is locked");
  }
  r = Get("/readyz");
  EXPECT_EQ(r->status, 503);
  body = Body(r);
  EXPECT_EQ(body["checks"]["store"]["error"], "database is locked");
  EXPECT_FALSE(body["checks"].contains("engine"));  // unknown without the store's answer
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    svc_.fail = Status::OK();
  }
  r = Get("/metrics", {{"Authorization", "Bearer s3cret"}});
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("taskexec_notion_ready 1\n"), std::string::npos) << r->body;
}

// Reads GET /api/v1/events as a server-sent event stream on its own
// connection until stop() (which takes effect at the next chunk).
class EventReader {
 public:
  EventReader(int port, httplib::Headers headers) : client_("127.0.0.1", port) {
    headers.emplace("Accept", "text/event-stream");
    client_.set_read_timeout(60, 0);
    thread_ = std::thread([this, headers] {
      auto r = client_.Get("/api/v1/events", headers, [this](const char* data, size_t n) {
        std::lock_guard<std::mutex> l(mu_);
        text_.append(data, n);
        return !stop_;
      });
      std::lock_guard<std::mutex> l(mu_);
      status_ = r ? r->status : -1;
    });
  }
  ~EventReader() {
    Stop();
    if (thread_.joinable()) thread_.join();
  }
  bool WaitFor(const std::string& needle) {
    for (int i = 0; i < 600; ++i) {
      {
        std::lock_guard<std::mutex> l(mu_);
        if (text_.find(needle) != std::string::npos) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  std::string text() {
    std::lock_guard<std::mutex> l(mu_);
    return text_;
  }
  // Closes the connection now (the server sees it at its next write).
  void Stop() {
    stop_ = true;
    client_.stop();
  }

 private:
  httplib::Client client_;
  std::mutex mu_;
  std::string text_;
  int status_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// With Accept: text/event-stream, GET /api/v1/events streams each change as a
// "task" event whose id is its cursor, from now on; one stream per two
// worker threads, more are refused.
TEST_F(HttpServerTest, EventStreamSendsEachChangeAsItHappens) {
  StartServer();
  AddTask("before the stream");  // changed long ago: not sent
  EventReader reader(server_->port(), {});
  ASSERT_TRUE(reader.WaitFor(": taskexec events from")) << reader.text();
  const TimeMs at = SystemClock::Default()->NowMs() + 1000;
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    Task t;
    t.id = "task-live";
    t.title = "changed while watched";
    t.updated_at = at;
    t.version = 3;
    svc_.tasks[t.id] = t;
  }
  ASSERT_TRUE(reader.WaitFor("task-live\"")) << reader.text();
  const std::string text = reader.text();
  EXPECT_NE(text.find("id: " + std::to_string(at) + ":task-live\nevent: task\ndata: {"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("before the stream"), std::string::npos) << text;
  EXPECT_NE(text.find("retry: 2000\n"), std::string::npos);
  // A writer whose clock lags puts its change behind what was sent: the
  // stream's look-back still finds it, once.
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    Task t;
    t.id = "task-late";
    t.title = "written by a lagging clock";
    t.updated_at = at - 1500;
    t.version = 2;
    svc_.tasks[t.id] = t;
  }
  ASSERT_TRUE(reader.WaitFor("task-late\"")) << reader.text();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // two more reads of the feed
  const std::string later = reader.text();
  EXPECT_EQ(later.find("task-late\""), later.rfind("task-late\"")) << later;
  EXPECT_EQ(later.find("task-live\""), later.rfind("task-live\"")) << later;

  auto r = Get("/api/v1/events", {{"Accept", "text/event-stream"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(ErrorMessage(r).find("too many event streams"), std::string::npos);
  // The JSON feed is not a stream and always answers.
  r = Get("/api/v1/events?after=now");
  EXPECT_EQ(r->status, 200);
  reader.Stop();
}

// A reconnecting client names the last event it saw (Last-Event-ID): what
// changed after it comes first, what it had is not sent again.
TEST_F(HttpServerTest, EventStreamResumesAfterTheLastEventId) {
  StartServer();
  const TimeMs at = SystemClock::Default()->NowMs();
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    for (int i = 0; i < 3; ++i) {
      Task t;
      t.id = "task-" + std::to_string(i);
      t.title = "change " + std::to_string(i);
      t.updated_at = at + i;
      t.version = 1;
      svc_.tasks[t.id] = t;
    }
  }
  EventReader reader(server_->port(), {{"Last-Event-ID", std::to_string(at) + ":task-0"}});
  ASSERT_TRUE(reader.WaitFor("task-2\"")) << reader.text();
  const std::string text = reader.text();
  EXPECT_EQ(text.find("\"id\":\"task-0\""), std::string::npos) << text;  // seen before
  EXPECT_LT(text.find("task-1\""), text.find("task-2\"")) << text;
  reader.Stop();

  auto r = Get("/api/v1/events", {{"Accept", "text/event-stream"}, {"Last-Event-ID", "yesterday"}});
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(ErrorMessage(r).find("Last-Event-ID"), std::string::npos);
}

// An artifact downloads as an attachment when it lies in the agents' work
// folder (links resolved) and has the size recorded; anything else an agent
// listed is refused.
TEST_F(HttpServerTest, ArtifactsDownloadFromTheWorkFolderOnly) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("taskexec-artifacts-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "work" / "task-1" / "out");
  auto write = [](const fs::path& p, const std::string& text) { std::ofstream(p) << text; };
  write(dir / "work" / "task-1" / "out" / "report.md", "hello report");
  write(dir / "secret.txt", "not for the API");
  fs::create_symlink(dir / "secret.txt", dir / "work" / "task-1" / "link.txt");
  artifact_roots_ = {(dir / "work").string() + "/"};
  StartServer();
  const std::string id = AddTask("t");
  auto artifact = [&](const std::string& art_id, const fs::path& path, int64_t size) {
    Artifact a;
    a.id = art_id;
    a.task_id = id;
    a.name = "out/" + path.filename().string();
    a.path = path.string();
    a.size = size;
    a.sha256 = std::string(64, 'a');
    std::lock_guard<std::mutex> l(svc_.mu);
    svc_.artifacts.push_back(a);
  };
  artifact("art-report", dir / "work" / "task-1" / "out" / "report.md", 12);
  artifact("art-secret", dir / "secret.txt", 15);
  artifact("art-link", dir / "work" / "task-1" / "link.txt", 15);
  artifact("art-gone", dir / "work" / "task-1" / "gone.md", 3);

  const std::string base = "/api/v1/tasks/" + id + "/artifacts/";
  auto r = Get(base + "art-report");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, "hello report");
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/octet-stream");
  EXPECT_EQ(r->get_header_value("Content-Disposition"), "attachment; filename=\"report.md\"");
  EXPECT_EQ(r->get_header_value("X-Artifact-SHA256"), std::string(64, 'a'));
  for (const char* outside : {"art-secret", "art-link"}) {
    r = Get(base + outside);
    EXPECT_EQ(r->status, 403) << outside;
    EXPECT_NE(ErrorMessage(r).find("agent.work_dir"), std::string::npos) << outside;
  }
  EXPECT_EQ(Get(base + "art-gone")->status, 404);
  EXPECT_EQ(Get(base + "art-none")->status, 404);
  EXPECT_EQ(Get("/api/v1/tasks/task-none/artifacts/art-report")->status, 404);
  write(dir / "work" / "task-1" / "out" / "report.md", "rewritten since");
  r = Get(base + "art-report");
  EXPECT_EQ(r->status, 409);
  EXPECT_NE(ErrorMessage(r).find("changed since it was recorded"), std::string::npos);
  fs::remove_all(dir);
}

// The contract is served as it is in the repository, without a token, and
// names exactly the routes the server has: each documented operation reaches
// a handler, and an undocumented path is the router's 404.
TEST_F(HttpServerTest, OpenApiDocumentIsServedAndMatchesTheRoutes) {
  StartServer("s3cret");
  std::ifstream in(TASKEXEC_OPENAPI_PATH);
  ASSERT_TRUE(in) << TASKEXEC_OPENAPI_PATH;
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto r = Get("/api/v1/openapi.json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_TRUE(r->body == file) << "the served document is not docs/openapi.json";
  const json doc = json::parse(r->body);
  EXPECT_EQ(doc["openapi"], "3.1.0");

  int operations = 0;
  const httplib::Headers auth = {{"Authorization", "Bearer s3cret"}};
  for (const auto& [path, ops] : doc["paths"].items()) {
    // The Notion webhook is registered by the composition root (app/), not here.
    if (path == "/webhooks/notion") continue;
    std::string concrete = path;
    if (auto brace = concrete.find("{id}"); brace != std::string::npos)
      concrete.replace(brace, 4, "task-none");
    for (const auto& [method, op] : ops.items()) {
      ++operations;
      httplib::Result got = method == "get" ? client_->Get(concrete.c_str(), auth)
                            : method == "patch"
                                ? client_->Patch(concrete.c_str(), auth, "{}", "application/json")
                                : client_->Post(concrete.c_str(), auth, "{}", "application/json");
      ASSERT_TRUE(got) << method << " " << path;
      EXPECT_NE(got->status, 405) << method << " " << path;
      EXPECT_EQ(got->body.find("no endpoint"), std::string::npos) << method << " " << path;
    }
  }
  EXPECT_GE(operations, 13);
  r = Get("/api/v1/openapi", auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(r->body.find("no endpoint"), std::string::npos);
}

// The dashboard's three files come from this server only (no CDN, no other
// host), without inline code, and insert data as text.
TEST_F(HttpServerTest, DashboardIsSelfContained) {
  StartServer();
  auto r = Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(r->body.find("<title>taskexec</title>"), std::string::npos);
  EXPECT_EQ(r->body.find("http://"), std::string::npos);
  EXPECT_EQ(r->body.find("https://"), std::string::npos);
  EXPECT_EQ(r->body.find("<script>"), std::string::npos) << "inline script breaks the CSP";
  EXPECT_EQ(r->body.find("<style>"), std::string::npos) << "inline style breaks the CSP";
  const std::string csp = r->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  auto js = Get("/dashboard.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_NE(js->body.find("/api/v1/status"), std::string::npos);
  EXPECT_NE(js->body.find("/api/v1/tasks"), std::string::npos);
  EXPECT_EQ(js->body.find("innerHTML"), std::string::npos);
  EXPECT_EQ(js->body.find("https://"), std::string::npos);
  auto css = Get("/dashboard.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200);
  EXPECT_EQ(css->body.find("url("), std::string::npos);
}

TEST_F(HttpServerTest, AddTaskReturns201WithTask) {
  StartServer();
  auto r = Post("/api/v1/tasks",
                R"({"title":"Research X","priority":"high","assigned_to":"mongke",
                    "context":{"a":1}})",
                "application/json; charset=utf-8");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  json t = Body(r);
  EXPECT_EQ(t["title"], "Research X");
  EXPECT_EQ(t["priority"], "high");
  EXPECT_EQ(t["source"], "api");
  EXPECT_EQ(t["status"], "pending");
  EXPECT_EQ(r->get_header_value("Location"), "/api/v1/tasks/" + t["id"].get<std::string>());
  std::lock_guard<std::mutex> l(svc_.mu);
  EXPECT_EQ(svc_.last_new_task.source, "api");
  EXPECT_EQ(json::parse(svc_.last_new_task.context_json), json({{"a", 1}}));
}

TEST_F(HttpServerTest, ATaskCarriesItsOwnBudget) {
  StartServer();
  auto r = Post("/api/v1/tasks",
                R"({"title":"capped","max_cost_usd":1.5,"max_tokens":200000,
                    "max_attempts":3,"max_seconds":600})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  json t = Body(r);
  EXPECT_EQ(t["max_cost_usd"], 1.5);
  EXPECT_EQ(t["max_tokens"], 200000);
  EXPECT_EQ(t["max_attempts"], 3);
  EXPECT_EQ(t["max_seconds"], 600);
  EXPECT_EQ(t["attempts"], 0);
  EXPECT_EQ(t["run_ms"], 0);
  EXPECT_EQ(t["requested_force"], false);
  r = Post("/api/v1/tasks", R"({"title":"x","max_cost_usd":-1})");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(ErrorMessage(r), "max_cost_usd: must be a number 0..1000000000 (0 = the setting's)");
  r = Post("/api/v1/tasks", R"({"title":"x","max_attempts":1.5})");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(ErrorMessage(r), "max_attempts: must be an integer");
  r = Post("/api/v1/tasks", R"({"title":"x","max_cost_usd":"1"})");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(ErrorMessage(r), "max_cost_usd: must be a number");
}

TEST_F(HttpServerTest, AddingACardsTaskTwiceReturnsTheFirst) {
  StartServer();
  auto r = Post("/api/v1/tasks",
                R"({"title":"Card","notion_page_id":"1f2e3d4c5b6a49788a9b0c1d2e3f4a5b"})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const std::string id = Body(r)["id"];
  EXPECT_EQ(Body(r)["notion_page_id"], "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b");

  r = Post("/api/v1/tasks", R"({"title":"Card again","id":"task-other",
                                "notion_page_id":"1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["id"], id);
  EXPECT_EQ(Body(r)["title"], "Card");
  EXPECT_EQ(r->get_header_value("Location"), "/api/v1/tasks/" + id);
  std::lock_guard<std::mutex> l(svc_.mu);
  EXPECT_EQ(svc_.tasks.size(), 1u);
}

TEST_F(HttpServerTest, EventsPageThroughChangesByCursor) {
  StartServer();
  for (const char* id : {"task-b", "task-a", "task-c"}) {
    ASSERT_EQ(Post("/api/v1/tasks", json{{"title", id}, {"id", id}}.dump())->status, 201);
  }
  auto r = Get("/api/v1/events?limit=2");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json page = Body(r);
  ASSERT_EQ(page["events"].size(), 2u);
  EXPECT_EQ(page["events"][0]["task"]["id"], "task-a");  // same time: by id
  EXPECT_EQ(page["events"][0]["cursor"], "1764067321123:task-a");
  EXPECT_EQ(page["events"][1]["task"]["id"], "task-b");
  EXPECT_EQ(page["next"], "1764067321123:task-b");

  r = Get("/api/v1/events?after=1764067321123:task-b");
  page = Body(r);
  ASSERT_EQ(page["events"].size(), 1u);
  EXPECT_EQ(page["events"][0]["task"]["id"], "task-c");
  r = Get("/api/v1/events?after=" + page["next"].get<std::string>());
  page = Body(r);
  EXPECT_TRUE(page["events"].empty());
  EXPECT_EQ(page["next"], "1764067321123:task-c");  // an empty page keeps the cursor

  r = Get("/api/v1/events?after=now");
  page = Body(r);
  EXPECT_TRUE(page["events"].empty());  // the fake's tasks changed in 2025
  const std::string now = page["next"];
  ASSERT_EQ(now.back(), ':');
  EXPECT_GT(std::stoll(now), 1764067321123);

  for (const char* bad :
       {"after=yesterday", "after=12", "after=-1:x", "limit=0", "limit=1001", "since=now"}) {
    r = Get(std::string("/api/v1/events?") + bad);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_EQ(ErrorCode(r), "invalid_argument") << bad;
  }
}

TEST_F(HttpServerTest, AddTaskErrors) {
  StartServer();
  auto r = Post("/api/v1/tasks", R"({"title": "x",)");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(ErrorCode(r), "invalid_argument");
  EXPECT_NE(ErrorMessage(r).find("malformed JSON at byte"), std::string::npos);
  // Well-formed, but a number no double holds (found by api_fuzz).
  r = Post("/api/v1/tasks", R"({"title": "x", "context": {"n": 1e999}})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(ErrorMessage(r).find("malformed JSON"), std::string::npos) << r->body;

  r = Post("/api/v1/tasks", R"({"title": "x", "priority": "asap"})");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(ErrorMessage(r).find("priority"), std::string::npos);

  r = Post("/api/v1/tasks", R"(["title"])");
  EXPECT_EQ(r->status, 400);

  r = Post("/api/v1/tasks", "", "application/json");
  EXPECT_EQ(r->status, 400);

  r = Post("/api/v1/tasks", "title=x", "application/x-www-form-urlencoded");
  EXPECT_EQ(r->status, 415);
  EXPECT_EQ(ErrorCode(r), "unsupported_media_type");

  r = Post("/api/v1/tasks", R"({"title":"dup","id":"task-dup"})");
  EXPECT_EQ(r->status, 201);
  r = Post("/api/v1/tasks", R"({"title":"dup","id":"task-dup"})");
  EXPECT_EQ(r->status, 409);
  EXPECT_EQ(ErrorCode(r), "conflict");
}

TEST_F(HttpServerTest, OversizeBodyIs413) {
  StartServer();
  std::string big = R"({"title":")" + std::string(8000, 'x') + R"("})";
  auto r = Post("/api/v1/tasks", big);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(ErrorCode(r), "payload_too_large");
  std::lock_guard<std::mutex> l(svc_.mu);
  EXPECT_EQ(svc_.calls, 0);  // refused before reaching the service
}

TEST_F(HttpServerTest, ListTasksWithFilters) {
  StartServer();
  AddTask("a");
  AddTask("b");
  auto r = Get("/api/v1/tasks");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r).size(), 2u);

  r = Get("/api/v1/tasks?status=in_progress&agent=mongke&limit=1");
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(Body(r).is_array());
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    ASSERT_TRUE(svc_.last_filter.status.has_value());
    EXPECT_EQ(*svc_.last_filter.status, TaskStatus::kInProgress);
    EXPECT_EQ(svc_.last_filter.agent, "mongke");
    EXPECT_EQ(svc_.last_filter.limit, 1);
  }
  r = Get("/api/v1/tasks?limit=1");
  EXPECT_EQ(Body(r).size(), 1u);

  r = Get("/api/v1/tasks?status=sleeping");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(ErrorMessage(r).find("sleeping"), std::string::npos);
  r = Get("/api/v1/tasks?limit=-3");
  EXPECT_EQ(r->status, 400);
  r = Get("/api/v1/tasks?limit=ten");
  EXPECT_EQ(r->status, 400);
  r = Get("/api/v1/tasks?colour=red");
  EXPECT_EQ(r->status, 400);
}

// Pages of at most 1000, 100 by default, continued with after= from
// X-Next-After; "any" lists the unassigned.
TEST_F(HttpServerTest, ListTasksPages) {
  StartServer();
  AddTask("a");
  AddTask("b");
  auto r = Get("/api/v1/tasks");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_header("X-Next-After"));  // not a full page
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    EXPECT_EQ(svc_.last_filter.limit, 100);
  }
  r = Get("/api/v1/tasks?limit=1");
  ASSERT_EQ(Body(r).size(), 1u);
  EXPECT_EQ(r->get_header_value("X-Next-After"), Body(r)[0]["id"]);
  r = Get("/api/v1/tasks?limit=1&after=task-1&agent=any");
  EXPECT_EQ(r->status, 200);
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    EXPECT_EQ(svc_.last_filter.after, "task-1");
    EXPECT_EQ(svc_.last_filter.agent, "any");  // the service reads it as unassigned
  }
  for (const char* bad : {"0", "1001", "1000000"}) {
    r = Get(std::string("/api/v1/tasks?limit=") + bad);
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_NE(ErrorMessage(r).find("after="), std::string::npos) << bad;
  }
  r = Get("/api/v1/tasks?limit=1000");
  EXPECT_EQ(r->status, 200);
}

// Newest first by default; sort, order, offset, type and q reach the
// filter; the total rides in X-Total-Count; bad values name the parameter.
TEST_F(HttpServerTest, ListTasksSortsFiltersAndCounts) {
  StartServer();
  AddTask("a");
  AddTask("b");
  AddTask("c");
  auto r = Get("/api/v1/tasks?limit=2");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("X-Total-Count"), "3");
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    EXPECT_TRUE(svc_.last_filter.descending);
    EXPECT_EQ(svc_.last_filter.sort, TaskSortKey::kCreated);
    EXPECT_EQ(svc_.last_filter.offset, 0);
  }
  r = Get("/api/v1/tasks?sort=priority&order=asc&offset=4&type=ops&q=Login%20bug&limit=5");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_FALSE(r->has_header("X-Next-After"));
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    EXPECT_FALSE(svc_.last_filter.descending);
    EXPECT_EQ(svc_.last_filter.sort, TaskSortKey::kPriority);
    EXPECT_EQ(svc_.last_filter.offset, 4);
    EXPECT_EQ(svc_.last_filter.type, "ops");
    EXPECT_EQ(svc_.last_filter.text, "Login bug");
  }
  for (const auto& [query, named] : std::vector<std::pair<std::string, std::string>>{
           {"sort=colour", "sort: unknown key"},
           {"order=up", "order: must be asc or desc"},
           {"offset=-1", "offset"},
           {"q=" + std::string(201, 'x'), "q: longer than 200 bytes"},
           {"sort=title&after=task-1", "after: a page cursor only pages"},
           {"offset=2&after=task-1", "after: a page cursor and an offset"}}) {
    r = Get("/api/v1/tasks?" + query);
    EXPECT_EQ(r->status, 400) << query;
    EXPECT_NE(ErrorMessage(r).find(named), std::string::npos) << query << ": " << ErrorMessage(r);
  }
}

TEST_F(HttpServerTest, PruneChecksItsBodyAndReportsTheService) {
  StartServer();
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    svc_.prune_report.tasks = 3;
    svc_.prune_report.kept = 1;
    svc_.prune_report.kept_reasons = {"task-9: not on Notion yet"};
  }
  auto r = Post("/api/v1/prune", R"({"finished_before": "2026-11-01T00:00:00Z", "dry_run": true})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  json body = Body(r);
  EXPECT_EQ(body["tasks"], 3);
  EXPECT_EQ(body["kept"], 1);
  EXPECT_EQ(body["kept_reasons"][0], "task-9: not on Notion yet");
  EXPECT_EQ(body["finished_before"], "2026-11-01T00:00:00.000Z");
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    EXPECT_TRUE(svc_.last_prune.dry_run);
    EXPECT_EQ(svc_.last_prune.finished_before, 1793491200000);  // 2026-11-01Z
  }
  const int calls = svc_.calls;
  for (const char* bad :
       {R"({})", R"({"finished_before": "yesterday"})", R"({"finished_before": 5})",
        R"({"finished_before": "2026-11-01T00:00:00Z", "dry_run": "yes"})",
        R"({"finished_before": "2026-11-01T00:00:00Z", "force": true})"}) {
    r = Post("/api/v1/prune", bad);
    EXPECT_EQ(r->status, 400) << bad;
  }
  EXPECT_EQ(svc_.calls, calls);  // refused before reaching the service
}

TEST_F(HttpServerTest, GetTaskDetails) {
  StartServer();
  std::string id = AddTask("with history");
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    SessionExecution e;
    e.id = "exec-a";
    e.task_id = id;
    e.agent = "mongke";
    svc_.executions[e.id] = e;
    Artifact a;
    a.id = "art-a";
    a.task_id = id;
    a.name = "out.txt";
    svc_.artifacts.push_back(a);
  }
  auto r = Get("/api/v1/tasks/" + id);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  json d = Body(r);
  EXPECT_EQ(d["id"], id);
  ASSERT_EQ(d["executions"].size(), 1u);
  EXPECT_EQ(d["executions"][0]["id"], "exec-a");
  ASSERT_EQ(d["artifacts"].size(), 1u);
  EXPECT_EQ(d["artifacts"][0]["name"], "out.txt");

  r = Get("/api/v1/tasks/task-missing");
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(ErrorCode(r), "not_found");
  EXPECT_NE(ErrorMessage(r).find("task-missing"), std::string::npos);
}

TEST_F(HttpServerTest, AgentsAndResume) {
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    AgentState kublai;
    kublai.name = "kublai";
    kublai.running = 1;
    kublai.limit = 4;
    kublai.pause = AgentPause{"kublai",
                              1'800'000'300'000,
                              1'800'000'000'000,
                              PauseReason::kUsageLimit,
                              "Claude AI usage limit reached",
                              300'000};
    AgentState mongke;
    mongke.name = "mongke";
    mongke.limit = 4;
    svc_.agents = {kublai, mongke};
  }
  StartServer();
  auto r = Get("/api/v1/agents");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json agents = Body(r)["agents"];
  ASSERT_EQ(agents.size(), 2u);
  EXPECT_EQ(agents[0]["name"], "kublai");
  EXPECT_EQ(agents[0]["running"], 1);
  EXPECT_EQ(agents[0]["paused"]["reason"], "usage_limit");
  EXPECT_EQ(agents[0]["paused"]["until"], "2027-01-15T08:05:00.000Z");
  EXPECT_EQ(agents[0]["paused"]["message"], "Claude AI usage limit reached");
  EXPECT_TRUE(agents[1]["paused"].is_null());

  r = Post("/api/v1/agents/kublai/resume", "");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["name"], "kublai");
  EXPECT_TRUE(Body(r)["paused"].is_null());
  r = Post("/api/v1/agents/kublai/resume", "{}");
  EXPECT_EQ(r->status, 409);
  EXPECT_EQ(ErrorMessage(r), "agent kublai is not paused");
  r = Post("/api/v1/agents/genghis/resume", "");
  EXPECT_EQ(r->status, 400);
  r = Post("/api/v1/agents/mongke/resume", R"({"now":true})");
  EXPECT_EQ(r->status, 400);
}

TEST_F(HttpServerTest, ExecuteAndCancel) {
  StartServer();
  std::string id = AddTask("run me");
  auto r = Post("/api/v1/tasks/" + id + "/execute", "", "");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 202) << r->body;
  EXPECT_EQ(Body(r)["task_id"], id);
  EXPECT_EQ(Body(r)["attempt_id"].get<std::string>().rfind("exec-", 0), 0u);

  r = Post("/api/v1/tasks/" + id + "/execute", "{}");
  EXPECT_EQ(r->status, 409);  // a request is pending already

  std::string id2 = AddTask("run me on temujin");
  r = Post("/api/v1/tasks/" + id2 + "/execute", R"({"agent":"temujin"})");
  EXPECT_EQ(r->status, 202);
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    EXPECT_EQ(svc_.last_execute_agent, "temujin");
  }
  r = Post("/api/v1/tasks/" + id2 + "/execute", R"({"agent":"nobody"})");
  EXPECT_EQ(r->status, 400);
  r = Post("/api/v1/tasks/" + id2 + "/execute", R"({"agnet":"temujin"})");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(ErrorMessage(r).find("agnet"), std::string::npos);
  r = Post("/api/v1/tasks/" + id2 + "/execute", R"({"agent":3})");
  EXPECT_EQ(r->status, 400);
  r = Post("/api/v1/tasks/" + id2 + "/execute", R"({"force":"yes"})");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(ErrorMessage(r), "force: must be true or false");
  std::string id3 = AddTask("run me past the budget");
  r = Post("/api/v1/tasks/" + id3 + "/execute", R"({"force":true})");
  EXPECT_EQ(r->status, 202) << r->body;
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    EXPECT_TRUE(svc_.last_execute_force);
  }
  r = Post("/api/v1/tasks/nope/execute", "");
  EXPECT_EQ(r->status, 404);

  // A reply answers a needs_input task; anything else is refused clearly.
  r = Post("/api/v1/tasks/" + id2 + "/reply", R"({"message":"blue"})");
  EXPECT_EQ(r->status, 409) << r->body;  // it asked nothing
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    svc_.tasks[id2].status = TaskStatus::kNeedsInput;
    svc_.tasks[id2].question = "Which colour?";
  }
  r = Post("/api/v1/tasks/" + id2 + "/reply", R"({"mesage":"blue"})");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(ErrorMessage(r).find("mesage"), std::string::npos);
  r = Post("/api/v1/tasks/" + id2 + "/reply", R"({})");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(ErrorMessage(r).find("message: required"), std::string::npos);
  r = Post("/api/v1/tasks/" + id2 + "/reply", R"({"message":7})");
  EXPECT_EQ(r->status, 400);
  r = Post("/api/v1/tasks/" + id2 + "/reply", R"({"message":"blue, like the sea"})");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["status"], "pending");
  EXPECT_EQ(Body(r)["question"], "Which colour?");
  EXPECT_EQ(Body(r)["reply"], "blue, like the sea");
  r = Post("/api/v1/tasks/nope/reply", R"({"message":"blue"})");
  EXPECT_EQ(r->status, 404);

  r = Post("/api/v1/tasks/" + id + "/cancel", "");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["status"], "cancelled");
  r = Post("/api/v1/tasks/nope/cancel", "");
  EXPECT_EQ(r->status, 404);
}

// PATCH edits a task: the fields are checked at the edge (unknown, null and
// mistyped ones named), blocked_by goes to the service as given.
TEST_F(HttpServerTest, PatchEditsATaskAndItsDependencies) {
  StartServer();
  std::string first = AddTask("design the schema");
  std::string second = AddTask("build the api");
  auto patch = [&](const std::string& id, const std::string& body) {
    return client_->Patch(("/api/v1/tasks/" + id).c_str(), body, "application/json");
  };
  auto r = patch(second, json{{"blocked_by", {first}}, {"priority", "high"}}.dump());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["blocked_by"], json::array({first}));
  EXPECT_EQ(Body(r)["priority"], "high");
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    ASSERT_TRUE(svc_.last_patch.blocked_by.has_value());
    EXPECT_EQ(*svc_.last_patch.blocked_by, std::vector<std::string>{first});
    EXPECT_FALSE(svc_.last_patch.title.has_value());
  }
  r = patch(second, R"({"blocked_by":[]})");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["blocked_by"], json::array());
  r = patch(second, R"({"blocked_by":["task-nope"]})");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(ErrorMessage(r), "blocked_by: no task task-nope");
  r = patch(second, R"({"blocked_by":"task-1"})");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(ErrorMessage(r), "blocked_by: must be an array of strings");
  r = patch(second, R"({"blocked_by":null})");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(ErrorMessage(r).find("must not be null"), std::string::npos);
  r = patch(second, R"({"status":"completed"})");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(ErrorMessage(r).find("unknown field \"status\""), std::string::npos);
  r = patch(second, R"({"title":"  "})");
  EXPECT_EQ(r->status, 400);
  r = patch("nope", R"({"title":"x"})");
  EXPECT_EQ(r->status, 404);
  r = Post("/api/v1/tasks", json{{"title", "deploy"}, {"blocked_by", {first, second}}}.dump());
  ASSERT_EQ(r->status, 201) << r->body;
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    EXPECT_EQ(svc_.last_new_task.blocked_by, (std::vector<std::string>{first, second}));
  }
  r = Post("/api/v1/tasks", R"({"title":"deploy","blocked_by":[1]})");
  EXPECT_EQ(r->status, 400);
  r = Get("/api/v1/tasks?blocked=true");
  EXPECT_EQ(r->status, 200);
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    EXPECT_TRUE(svc_.last_filter.dependencies);
  }
  r = Get("/api/v1/tasks?blocked=maybe");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(ErrorMessage(r), "blocked: must be true or false");
}

class LogFile {
 public:
  explicit LogFile(const std::string& content) {
    path_ = (std::filesystem::temp_directory_path() /
             ("taskexec-server-test-" + std::to_string(getpid()) + "-" +
              std::to_string(counter_++) + ".log"))
                .string();
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~LogFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

TEST_F(HttpServerTest, ExecutionAndLog) {
  StartServer();
  LogFile log("hello\nworld\n");
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    SessionExecution e;
    e.id = "exec-log";
    e.task_id = "task-1";
    e.agent = "main";
    e.log_path = log.path();
    e.exit_code = 0;
    svc_.executions[e.id] = e;
    e.id = "exec-nolog";
    e.log_path = log.path() + ".missing";
    svc_.executions[e.id] = e;
  }
  auto r = Get("/api/v1/executions/exec-log");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["agent"], "main");
  EXPECT_EQ(Body(r)["exit_code"], 0);
  EXPECT_EQ(Get("/api/v1/executions/nope")->status, 404);

  r = Get("/api/v1/executions/exec-log/log");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello\nworld\n");
  EXPECT_EQ(r->get_header_value("X-Next-Offset"), "12");
  EXPECT_EQ(r->get_header_value("X-Execution-Status"), "active");
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; charset=utf-8");

  r = Get("/api/v1/executions/exec-log/log?offset=6");
  EXPECT_EQ(r->body, "world\n");
  EXPECT_EQ(r->get_header_value("X-Next-Offset"), "12");

  r = Get("/api/v1/executions/exec-log/log?offset=12");
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->get_header_value("X-Next-Offset"), "12");

  r = Get("/api/v1/executions/exec-log/log?offset=x");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Get("/api/v1/executions/nope/log")->status, 404);

  // Not created yet: empty, offset unchanged.
  r = Get("/api/v1/executions/exec-nolog/log?offset=0");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->get_header_value("X-Next-Offset"), "0");
}

TEST_F(HttpServerTest, LogIsChunkedAtOneMiB) {
  StartServer();
  std::string content(kMaxLogChunkBytes + 100, 'z');
  content[kMaxLogChunkBytes] = 'A';
  LogFile log(content);
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    SessionExecution e;
    e.id = "exec-big";
    e.log_path = log.path();
    svc_.executions[e.id] = e;
  }
  auto r = Get("/api/v1/executions/exec-big/log");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body.size(), kMaxLogChunkBytes);
  EXPECT_EQ(r->get_header_value("X-Next-Offset"), std::to_string(kMaxLogChunkBytes));
  r = Get("/api/v1/executions/exec-big/log?offset=" + std::to_string(kMaxLogChunkBytes));
  EXPECT_EQ(r->body.size(), 100u);
  EXPECT_EQ(r->body[0], 'A');
}

TEST_F(HttpServerTest, Route) {
  StartServer();
  auto r = Post("/api/v1/route", R"({"title":"research the market","type":"x"})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r), json({{"agent", "mongke"}, {"rule", "keyword"}, {"detail", "research"}}));
  r = Post("/api/v1/route", R"({"title":"x","assigned_to":"temujin"})");
  EXPECT_EQ(Body(r)["rule"], "explicit");
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    EXPECT_EQ(svc_.last_route_task.assigned_to, "temujin");
  }
  EXPECT_EQ(Post("/api/v1/route", R"({"title":"x","agent":"y"})")->status, 400);
  EXPECT_EQ(Post("/api/v1/route", R"({"title":1})")->status, 400);
}

TEST_F(HttpServerTest, StatusAndMetrics) {
  StartServer();
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    svc_.status.engine_running = true;
    svc_.status.stats.by_status = {{"pending", 4}};
    svc_.status.spawned_sessions = 3;
    svc_.status.refusing_work = "cannot start an attempt: agent.log_dir: Read-only file system";
    svc_.status.kept_outcomes = 2;
    svc_.status.store_write_errors = 7;
  }
  auto r = Get("/api/v1/status");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["engine_running"], true);
  EXPECT_EQ(Body(r)["stats"]["by_status"]["pending"], 4);

  r = Get("/metrics");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r->body.find("taskexec_tasks{status=\"pending\"} 4\n"), std::string::npos);
  EXPECT_NE(r->body.find("taskexec_spawned_sessions_total 3\n"), std::string::npos);
  EXPECT_NE(r->body.find("taskexec_refusing_work 1\n"), std::string::npos);
  EXPECT_NE(r->body.find("taskexec_kept_outcomes 2\n"), std::string::npos);
  EXPECT_NE(r->body.find("taskexec_store_write_errors_total 7\n"), std::string::npos);
}

TEST_F(HttpServerTest, ServiceErrorsMapToHttp) {
  StartServer();
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    svc_.fail = Status::Unavailable("store is down");
  }
  auto r = Get("/api/v1/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(ErrorCode(r), "unavailable");
  EXPECT_EQ(ErrorMessage(r), "store is down");
  EXPECT_EQ(Get("/metrics")->status, 503);
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    svc_.fail = Status::Corruption("bad row");
  }
  r = Get("/api/v1/tasks");
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(ErrorCode(r), "internal");
  // Health does not depend on the service.
  EXPECT_EQ(Get("/healthz")->status, 200);
}

TEST_F(HttpServerTest, UnknownPathAndWrongMethod) {
  StartServer();
  auto r = Get("/api/v1/nothing");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(ErrorCode(r), "not_found");

  r = client_->Delete("/api/v1/tasks");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(ErrorCode(r), "method_not_allowed");
  EXPECT_EQ(r->get_header_value("Allow"), "GET, POST");

  r = Get("/api/v1/route");
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->get_header_value("Allow"), "POST");
  r = client_->Put("/api/v1/tasks/x", "{}", "application/json");
  EXPECT_EQ(r->status, 405);
}

TEST_F(HttpServerTest, TokenRequiredWhenConfigured) {
  StartServer("s3cret-token");
  // Public: health and the dashboard page.
  EXPECT_EQ(Get("/healthz")->status, 200);
  EXPECT_EQ(Get("/")->status, 200);

  auto r = Get("/api/v1/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(ErrorCode(r), "unauthorized");
  EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(Get("/api/v1/status", {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(Get("/api/v1/status", {{"Authorization", "Bearer s3cret-toke"}})->status, 401);
  EXPECT_EQ(Get("/api/v1/status", {{"Authorization", "s3cret-token"}})->status, 401);
  EXPECT_EQ(Get("/metrics")->status, 401);
  EXPECT_EQ(Post("/api/v1/tasks", R"({"title":"x"})")->status, 401);
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    EXPECT_EQ(svc_.calls, 0);
  }
  EXPECT_EQ(Get("/api/v1/status", {{"Authorization", "Bearer s3cret-token"}})->status, 200);
  EXPECT_EQ(Get("/metrics", {{"Authorization", "bearer s3cret-token"}})->status, 200);
  EXPECT_EQ(Post("/api/v1/tasks", R"({"title":"x"})", "application/json",
                 {{"Authorization", "Bearer s3cret-token"}})
                ->status,
            201);
}

TEST_F(HttpServerTest, RawHandlerBypassesTokenAndMediaType) {
  RawRequest seen;
  raw_ = [&seen](const RawRequest& req, RawResponse* res) {
    seen = req;
    res->status = 202;
    res->content_type = "text/plain";
    res->body = "got " + std::to_string(req.body.size());
  };
  StartServer("tok");
  auto r = Post("/webhooks/test", "payload!", "text/plain", {{"X-Notion-Signature", "sha256=ab"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(r->body, "got 8");
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path, "/webhooks/test");
  EXPECT_EQ(seen.body, "payload!");
  EXPECT_EQ(seen.Header("x-notion-signature"), "sha256=ab");
  EXPECT_EQ(seen.Header("X-Missing"), "");
  EXPECT_EQ(seen.remote_addr, "127.0.0.1");
  EXPECT_EQ(Get("/webhooks/test")->status, 405);
  // The size limit still applies.
  EXPECT_EQ(Post("/webhooks/test", std::string(5000, 'x'), "text/plain")->status, 413);
}

// DNS rebinding: a Host that does not name this server reaches no handler,
// for reads and writes alike; loopback names and literals work.
TEST_F(HttpServerTest, ForeignHostIsMisdirected) {
  allowed_hosts_ = {"tasks.example.com", ".corp.example"};
  StartServer();
  std::string port = std::to_string(server_->port());
  for (const std::string& host : std::vector<std::string>{
           "localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "LOCALHOST.:" + port,
           "tasks.example.com", "a.corp.example", "corp.example:443"}) {
    auto r = Get("/api/v1/tasks", {{"Host", host}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << host;
  }
  int before = Calls();
  for (const std::string& host :
       std::vector<std::string>{"evil.example:" + port, "evil.example", "127.0.0.1.evil.example",
                                "notcorp.example", "10.1.2.3:" + port, "bad host"}) {
    auto r = Get("/api/v1/tasks", {{"Host", host}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 421) << host;
    EXPECT_EQ(ErrorCode(r), "misdirected_request");
    r = Post("/api/v1/tasks", json{{"title", "rebound"}}.dump(), "application/json",
             {{"Host", host}});
    EXPECT_EQ(r->status, 421) << host;
    r = Get("/healthz", {{"Host", host}});
    EXPECT_EQ(r->status, 421) << host;
  }
  EXPECT_EQ(Calls(), before);
  std::lock_guard<std::mutex> l(svc_.mu);
  EXPECT_TRUE(svc_.tasks.empty());
}

// CSRF: a state-changing request from another origin is refused whatever its
// body or content type; same-origin and Origin-less callers work.
TEST_F(HttpServerTest, CrossOriginWritesAreRefused) {
  StartServer();
  std::string id = AddTask("victim");
  int before = Calls();
  const std::vector<httplib::Headers> hostile = {
      {{"Origin", "http://evil.example"}},
      {{"Origin", "null"}},
      {{"Origin", "http://127.0.0.1:1"}},  // another port is another origin
      {{"Sec-Fetch-Site", "cross-site"}},
      {{"Sec-Fetch-Site", "same-site"}},
      {{"Referer", "http://evil.example/page.html"}},
  };
  for (const httplib::Headers& h : hostile) {
    std::string what = h.begin()->first + ": " + h.begin()->second;
    for (const char* type : {"", "text/plain", "application/x-www-form-urlencoded"}) {
      auto r = Post("/api/v1/tasks/" + id + "/cancel", "", type, h);
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 403) << what;
      EXPECT_EQ(ErrorCode(r), "cross_origin") << what;
      EXPECT_TRUE(r->get_header_value("Access-Control-Allow-Origin").empty());
    }
    auto r = Post("/api/v1/tasks", json{{"title", "forged"}}.dump(), "application/json", h);
    EXPECT_EQ(r->status, 403) << what;
    r = client_->Delete(("/api/v1/tasks/" + id).c_str(), h);
    EXPECT_EQ(r->status, 403) << what;
    r = client_->Put(("/api/v1/tasks/" + id).c_str(), h, "x", "text/plain");
    EXPECT_EQ(r->status, 403) << what;
  }
  EXPECT_EQ(Calls(), before);
  {
    std::lock_guard<std::mutex> l(svc_.mu);
    EXPECT_EQ(svc_.tasks.size(), 1u);
    EXPECT_NE(svc_.tasks.begin()->second.status, TaskStatus::kCancelled);
  }
  // Reading from another origin is answered without CORS headers, so the
  // browser keeps the body from the page.
  auto r = Get("/api/v1/tasks", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->get_header_value("Access-Control-Allow-Origin").empty());
  EXPECT_EQ(r->get_header_value("X-Frame-Options"), "DENY");

  // The dashboard's own calls and plain clients.
  r = Post("/api/v1/tasks", json{{"title", "same origin"}}.dump(), "application/json",
           {{"Origin", Origin()}, {"Sec-Fetch-Site", "same-origin"}});
  EXPECT_EQ(r->status, 201) << r->body;
  r = Post("/api/v1/tasks", json{{"title", "referer"}}.dump(), "application/json",
           {{"Referer", Origin() + "/"}});
  EXPECT_EQ(r->status, 201) << r->body;
  r = Post("/api/v1/tasks/" + id + "/cancel", "", "", {{"Sec-Fetch-Site", "none"}});
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(HttpServerTest, CorsOnlyForListedOrigins) {
  cors_origins_ = {"https://ui.example.com"};
  StartServer();
  auto r = client_->Options("/api/v1/tasks", {{"Origin", "https://ui.example.com"},
                                              {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "https://ui.example.com");
  EXPECT_NE(r->get_header_value("Access-Control-Allow-Headers").find("Authorization"),
            std::string::npos);
  r = Post("/api/v1/tasks", json{{"title", "from the ui"}}.dump(), "application/json",
           {{"Origin", "https://ui.example.com"}});
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(r->get_header_value("Access-Control-Allow-Origin"), "https://ui.example.com");
  r = client_->Options("/api/v1/tasks", {{"Origin", "https://other.example.com"},
                                         {"Access-Control-Request-Method", "POST"}});
  EXPECT_NE(r->status, 204);
  EXPECT_TRUE(r->get_header_value("Access-Control-Allow-Origin").empty());
  r = Post("/api/v1/tasks", json{{"title", "x"}}.dump(), "application/json",
           {{"Origin", "https://other.example.com"}});
  EXPECT_EQ(r->status, 403);
}

TEST_F(HttpServerTest, ConcurrentClients) {
  StartServer();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10;
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      httplib::Client c("127.0.0.1", server_->port());
      c.set_read_timeout(30, 0);
      for (int k = 0; k < kPerThread; ++k) {
        auto r = c.Post("/api/v1/tasks",
                        json{{"title", "t" + std::to_string(i) + "-" + std::to_string(k)}}.dump(),
                        "application/json");
        if (r && r->status == 201) created.fetch_add(1);
        auto g = c.Get("/api/v1/status");
        (void)g;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), kThreads * kPerThread);
  auto r = Get("/api/v1/tasks");
  EXPECT_EQ(Body(r).size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(HttpServerRawTest, HandlerExceptionIsJson500) {
  FakeTaskService svc;
  ServerConfig cfg;
  cfg.listen = "127.0.0.1:0";
  HttpServer server(cfg, &svc);
  server.HandleRaw("GET", "/boom",
                   [](const RawRequest&, RawResponse*) { throw std::runtime_error("kaboom"); });
  ASSERT_TRUE(server.Start().ok());
  httplib::Client c("127.0.0.1", server.port());
  auto r = c.Get("/boom");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  json body = json::parse(r->body);
  EXPECT_EQ(body["error"]["code"], "internal");
  EXPECT_EQ(body["error"]["message"], "kaboom");
  // The server keeps serving.
  EXPECT_EQ(c.Get("/healthz")->status, 200);
  server.Stop();
}

TEST(HttpServerStartTest, RefusesNonLoopbackWithoutToken) {
  FakeTaskService svc;
  ServerConfig cfg;
  cfg.listen = "0.0.0.0:0";
  HttpServer server(cfg, &svc);
  Status s = server.Start();
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("server.token"), std::string::npos);
  EXPECT_EQ(server.port(), 0);

  cfg.token = "t";
  HttpServer with_token(cfg, &svc);
  s = with_token.Start();
  EXPECT_TRUE(s.ok()) << s.ToString();
  with_token.Stop();
  with_token.Stop();  // idempotent
}

TEST(HttpServerStartTest, BadOrBusyAddress) {
  FakeTaskService svc;
  ServerConfig cfg;
  cfg.listen = "127.0.0.1";
  EXPECT_TRUE(HttpServer(cfg, &svc).Start().IsInvalidArgument());
  cfg.listen = "";
  EXPECT_TRUE(HttpServer(cfg, &svc).Start().IsInvalidArgument());

  cfg.listen = "127.0.0.1:0";
  HttpServer first(cfg, &svc);
  ASSERT_TRUE(first.Start().ok());
  cfg.listen = "127.0.0.1:" + std::to_string(first.port());
  HttpServer second(cfg, &svc);
  Status s = second.Start();
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  first.Stop();
}

TEST(HttpServerStartTest, StartStopRepeatedly) {
  FakeTaskService svc;
  ServerConfig cfg;
  cfg.listen = "127.0.0.1:0";
  for (int i = 0; i < 5; ++i) {
    HttpServer server(cfg, &svc);
    ASSERT_TRUE(server.Start().ok());
    server.Stop();
  }
}

// docs/http-api.md has a section for every endpoint the server answers.
TEST(HttpServerDocsTest, EveryRouteIsDocumented) {
  const char* source = std::getenv("TASKEXEC_SOURCE_DIR");
  ASSERT_NE(source, nullptr) << "run through ctest (TASKEXEC_SOURCE_DIR)";
  std::ifstream in(std::string(source) + "/docs/http-api.md");
  std::string docs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(docs.empty());
  FakeTaskService svc;
  ServerConfig cfg;
  cfg.listen = "127.0.0.1:0";
  HttpServer server(cfg, &svc);
  server.HandleRaw("POST", "/webhooks/extension", [](const RawRequest&, RawResponse*) {});
  std::vector<std::string> routes = server.Routes();
  EXPECT_GE(routes.size(), 12u);
  EXPECT_EQ(routes.back(), "POST /webhooks/extension");
  routes.pop_back();  // raw endpoints are documented where they are added
  for (const std::string& route : routes) {
    EXPECT_NE(docs.find("### `" + route), std::string::npos)
        << route << " has no \"### `" << route << "`\" section in docs/http-api.md";
  }
}

}  // namespace
}  // namespace taskexec
