// Runs the dashboard's script in Node against the real HttpServer (over the
// fake service), with a minimal DOM stand-in, to catch runtime errors in the
// page's rendering and API code. Skipped when `node` (>= 18, for fetch) is
// not installed.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "server/fake_task_service.h"
#include "server/http_server.h"

namespace taskexec {
namespace {

using nlohmann::json;

// Globals the page expects from a browser, reduced to what it uses.
constexpr const char kPrelude[] = R"JS(
const BASE = "@BASE@";
const registry = {};
class Node {}
class TextNode extends Node {
  constructor(t) { super(); this.data = String(t); }
  get textContent() { return this.data; }
}
class Element extends Node {
  constructor(tag) {
    super();
    this.tagName = tag.toUpperCase(); this.children = []; this.attributes = {};
    this.listeners = {}; this.className = ""; this.value = ""; this.data = "";
    this.scrollTop = 0; this.scrollHeight = 0;
    const self = this;
    this.classList = {
      toggle(c, on) {
        const s = new Set(self.className.split(/\s+/).filter(Boolean));
        if (on === undefined) on = !s.has(c);
        if (on) s.add(c); else s.delete(c);
        self.className = [...s].join(" ");
      },
      contains(c) { return self.className.split(/\s+/).includes(c); },
    };
  }
  append(...cs) { for (const c of cs) this.children.push(c instanceof Node ? c : new TextNode(c)); }
  replaceChildren(...cs) { this.children = []; this.append(...cs); }
  setAttribute(k, v) { this.attributes[k] = String(v); if (k === "id") registry[v] = this; }
  addEventListener(t, f) { this.listeners[t] = f; }
  get textContent() { return this.data + this.children.map(c => c.textContent).join("|"); }
  set textContent(v) { this.data = String(v); this.children = []; }
}
Object.defineProperty(Element.prototype, "options", {
  get() { return this.children.filter(c => c.tagName === "OPTION"); } });
Element.prototype.getAttribute = function (k) { return k in this.attributes ? this.attributes[k] : null; };
Element.prototype.focus = function () {};
Element.prototype.contains = function () { return false; };
const STATIC_IDS = ["engine", "auth", "token", "updated", "by-status", "filter", "task-count",
                    "tasks", "detail", "active", "by-agent", "add", "add-msg", "search",
                    "agent-filter", "type-filter", "prev", "next", "detail-close", "detail-section",
                    "task-table", "view-table", "view-board", "table-view", "board"];
for (const id of STATIC_IDS) { const e = new Element("div"); e.setAttribute("id", id); }
const document = {
  getElementById: (id) => registry[id] || null,
  createElement: (tag) => new Element(tag),
  createTextNode: (t) => new TextNode(t),
  querySelectorAll: () => [],
  querySelector: () => null,
  addEventListener: () => {},
  activeElement: null,
  body: new Element("body"),
};
const window = { addEventListener() {}, getSelection: () => null };
const location = { hash: "" };
const history = { replaceState(state, title, hash) { location.hash = hash; } };
const CSS = { escape: (s) => s };
const store = new Map();
const sessionStorage = { getItem: (k) => store.has(k) ? store.get(k) : null, setItem: (k, v) => store.set(k, String(v)) };
const realFetch = globalThis.fetch;
// The event stream never opens here (it would keep Node running after the
// checks): the page then works as it does while the stream is down.
globalThis.fetch = (path, init) =>
    init && init.headers && init.headers.Accept === "text/event-stream"
        ? new Promise(() => {}) : realFetch(BASE + path, init);
globalThis.setInterval = () => 0;
globalThis.confirm = () => true;
)JS";

constexpr const char kDriver[] = R"JS(
function find(node, pred) {
  if (pred(node)) return node;
  for (const c of node.children || []) { const f = find(c, pred); if (f) return f; }
  return null;
}
(async () => {
  const sleep = (ms) => new Promise(r => setTimeout(r, ms));
  const settle = async () => {
    const end = Date.now() + 60000;
    await sleep(20);
    while (busy && Date.now() < end) await sleep(10);
  };
  const r = {};
  await settle();  // the first refresh() ran without a token
  r.authShown = registry.auth.classList.contains("show");
  sessionStorage.setItem("taskexec-token", "@TOKEN@");
  await refresh();
  r.authHidden = !registry.auth.classList.contains("show");
  r.engine = registry.engine.textContent;
  r.counts = registry["by-status"].textContent;
  r.tasks = registry.tasks.textContent;
  r.active = registry.active.textContent;
  r.agents = registry["by-agent"].textContent;
  const resume = find(registry["by-agent"], n => n.tagName === "BUTTON" && n.textContent === "Resume");
  r.resumeOffered = !!resume;
  if (resume) { await resume.listeners.click(); await settle(); }
  await selectTask("@TASK@");
  await settle();
  r.detail = registry.detail.textContent;
  r.log = registry.log ? registry.log.textContent : null;
  const force = registry["execute-force"];
  r.forceOffered = !!force;
  if (force) force.checked = true;
  const button = find(registry.detail, n => n.tagName === "BUTTON" && n.textContent === "Execute");
  if (!button) throw new Error("no Execute button in the detail: " + r.detail);
  await button.listeners.click();
  await settle();
  r.afterExecute = find(registry.detail, n => n.className === "msg ok" || n.className === "msg err");
  r.afterExecute = r.afterExecute ? r.afterExecute.className + ":" + r.afterExecute.textContent : null;
  console.log("RESULT " + JSON.stringify(r));
})().catch(e => { console.log("RESULT " + JSON.stringify({error: String(e && e.stack || e)})); });
)JS";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

TEST(DashboardTest, ScriptRendersAgainstTheApi) {
  if (std::system(
          "node -e 'process.exit(typeof fetch === \"function\" ? 0 : 1)' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "node >= 18 not installed";
  }
  auto dir = std::filesystem::temp_directory_path() /
             ("taskexec-dashboard-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string log_path = (dir / "exec.log").string();
  std::ofstream(log_path) << "agent says hello\n";

  FakeTaskService svc;
  NewTask nt;
  nt.title = "<img src=x onerror=alert(1)> Research vector DBs";
  Task task;
  ASSERT_TRUE(svc.AddTask(nt, &task).ok());
  // It ran out of budget: the detail shows what it spent against its own
  // limits and offers to force one more attempt.
  svc.tasks[task.id].limits.max_cost_usd = 0.5;
  svc.tasks[task.id].limits.max_attempts = 4;
  svc.tasks[task.id].attempts = 2;
  svc.tasks[task.id].run_ms = 61'000;
  svc.tasks[task.id].error_type = ErrorType::kBudgetExhausted;
  SessionExecution e;
  e.id = "exec-dash";
  e.task_id = task.id;
  e.agent = "mongke";
  e.status = ExecutionStatus::kCompleted;
  e.exit_code = 0;
  e.log_path = log_path;
  svc.executions[e.id] = e;
  Artifact a;
  a.task_id = task.id;
  a.name = "report.md";
  a.sha256 = std::string(64, 'c');
  svc.artifacts.push_back(a);
  svc.status.engine_running = true;
  svc.status.executor_id = "host-1";
  ExecutorRecord service;
  service.executor_id = "host-1";
  service.host = "build-01";
  svc.status.executors = {service};
  svc.status.stats.by_status = {{"pending", 1}, {"failed", 2}};
  svc.status.stats.by_agent = {{"mongke", 1}};
  svc.status.active_executions = {e};
  // kublai is paused: the agents table says until when and offers Resume.
  AgentPause pause{"kublai",
                   1'800'000'300'000,
                   1'800'000'000'000,
                   PauseReason::kCircuit,
                   "5 consecutive failed attempts (last: crash)",
                   300'000};
  svc.status.paused_agents["kublai"] = pause;
  AgentState kublai;
  kublai.name = "kublai";
  kublai.pause = pause;
  kublai.cost_today_usd = 1.25;
  kublai.daily_limit_usd = 5;
  svc.agents = {kublai};

  ServerConfig cfg;
  cfg.listen = "127.0.0.1:0";
  cfg.token = "dash-token";
  HttpServer server(cfg, &svc);
  ASSERT_TRUE(server.Start().ok());
  httplib::Client client("127.0.0.1", server.port());
  // The page loads its script and stylesheet from this server, without a
  // token and under a policy that forbids inline code.
  auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("<script src=\"/dashboard.js\"></script>"), std::string::npos);
  EXPECT_NE(page->body.find("href=\"/dashboard.css\""), std::string::npos);
  EXPECT_EQ(page->body.find("style=\""), std::string::npos) << "inline styles break the CSP";
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("script-src 'self'"),
            std::string::npos);
  auto css = client.Get("/dashboard.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200);
  EXPECT_EQ(css->get_header_value("Content-Type"), "text/css; charset=utf-8");
  auto js_file = client.Get("/dashboard.js");
  ASSERT_TRUE(js_file);
  EXPECT_EQ(js_file->status, 200);
  EXPECT_EQ(js_file->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  std::string script = js_file->body;

  std::string js =
      Replace(kPrelude, "@BASE@", "http://127.0.0.1:" + std::to_string(server.port())) + script +
      Replace(Replace(kDriver, "@TOKEN@", "dash-token"), "@TASK@", task.id);
  std::string js_path = (dir / "harness.js").string();
  std::ofstream(js_path) << js;

  std::string output;
  FILE* p = popen(("timeout 120 node " + js_path + " 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
  pclose(p);
  server.Stop();
  std::filesystem::remove_all(dir);

  size_t at = output.rfind("RESULT ");
  ASSERT_NE(at, std::string::npos) << output;
  json r = json::parse(output.substr(at + 7));
  ASSERT_FALSE(r.contains("error")) << r["error"];
  EXPECT_TRUE(r["authShown"].get<bool>());
  EXPECT_TRUE(r["authHidden"].get<bool>());
  EXPECT_NE(r["engine"].get<std::string>().find("1 service running"), std::string::npos)
      << r["engine"];
  EXPECT_NE(r["counts"].get<std::string>().find("failed"), std::string::npos);
  EXPECT_NE(r["tasks"].get<std::string>().find(nt.title), std::string::npos) << r["tasks"];
  EXPECT_NE(r["active"].get<std::string>().find("mongke"), std::string::npos);
  EXPECT_NE(r["agents"].get<std::string>().find("mongke"), std::string::npos);
  EXPECT_NE(r["agents"].get<std::string>().find("(circuit)"), std::string::npos) << r["agents"];
  // What kublai's attempts cost today, against its daily limit.
  EXPECT_NE(r["agents"].get<std::string>().find("$1.25 of $5.00"), std::string::npos)
      << r["agents"];
  EXPECT_TRUE(r["resumeOffered"].get<bool>());
  {
    std::lock_guard<std::mutex> l(svc.mu);
    ASSERT_EQ(svc.agents.size(), 1u);
    EXPECT_FALSE(svc.agents[0].pause.has_value());  // the button lifted it
  }
  std::string detail = r["detail"].get<std::string>();
  EXPECT_NE(detail.find(nt.title), std::string::npos) << detail;
  EXPECT_NE(detail.find("report.md"), std::string::npos) << detail;
  EXPECT_NE(detail.find("completed"), std::string::npos) << detail;
  EXPECT_EQ(r["log"], "agent says hello\n");
  EXPECT_NE(detail.find("2 attempts · 61 s run time · own limits: $0.5000, 4 attempts"),
            std::string::npos)
      << detail;
  EXPECT_TRUE(r["forceOffered"].get<bool>());
  EXPECT_EQ(r["afterExecute"], "msg ok:attempt exec-2 requested") << r["afterExecute"];
  EXPECT_TRUE(svc.last_execute_force);
  EXPECT_EQ(svc.tasks[task.id].requested_execution_id, "exec-2");
}

}  // namespace
}  // namespace taskexec
