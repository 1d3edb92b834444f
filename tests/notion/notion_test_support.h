// Test support for the Notion sync tests: a store-backed TaskService test
// double, engine simulation over the real SqliteStore (claim, start, finish,
// carry out cancels), and a fixture wiring a FakeNotionServer, a SqliteStore
// in a temp dir and a NotionSync together.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "api/task_service.h"
#include "core/ids.h"
#include "fakes/fake_notion_server.h"
#include "notion/notion_sync.h"
#include "store/sqlite/sqlite_store.h"
#include "store/temp_dir.h"

namespace taskexec::notion_test {

// TaskService over a store, as the CLI's store-only service behaves (no
// engine to wake). Counts calls so tests can check what the sync asked for.
class StoreBackedService final : public TaskService {
 public:
  explicit StoreBackedService(TaskStore* store) : store_(store) {}
  Status AddTask(const NewTask& task, Task* out) override {
    ++adds;
    return store_->AddTask(task, SystemClock::Default()->NowMs(), out);
  }
  Status GetTask(const std::string& id, TaskDetails* out) override {
    return store_->GetTask(id, &out->task);
  }
  Status ListTasks(const TaskFilter& filter, std::vector<Task>* out) override {
    return store_->ListTasks(filter, out);
  }
  Status CountTasks(const TaskFilter& filter, int64_t* total) override {
    return store_->CountTasks(filter, total);
  }
  Status Execute(const std::string& task_id, const std::string& agent, bool force,
                 std::string* attempt_id) override {
    ++executes;
    *attempt_id = NewId("exec");
    Task out;
    return store_->RequestExecution(task_id, *attempt_id, agent, force,
                                    SystemClock::Default()->NowMs(), &out);
  }
  Status Cancel(const std::string& id, Task* out) override {
    ++cancels;
    return store_->RequestCancel(id, "cancelled from Notion", SystemClock::Default()->NowMs(), out);
  }
  Status Reply(const std::string& id, const std::string& message, Task* out) override {
    ++replies;
    return store_->Reply(id, message, SystemClock::Default()->NowMs(), out);
  }
  Status GetStatus(ServiceStatus*) override { return Status::Internal("not in the test double"); }
  Status Route(const Task&, RouteDecision*) override {
    return Status::Internal("not in the test double");
  }
  Status FindByNotionPage(const std::string& page_id, Task* out) override {
    return store_->FindByNotionPage(page_id, out);
  }
  Status GetExecution(const std::string& id, SessionExecution* out) override {
    return store_->GetExecution(id, out);
  }
  std::atomic<int> adds{0}, executes{0}, cancels{0}, replies{0};

 private:
  TaskStore* store_;
};

inline constexpr const char* kExecutor = "notion-test-executor";

// System time plus an adjustable offset: lets a test skip minutes of idle
// time while rate limiters still see real time pass.
class OffsetClock final : public Clock {
 public:
  TimeMs NowMs() const override { return SystemClock::Default()->NowMs() + offset_.load(); }
  void Advance(TimeMs ms) { offset_.fetch_add(ms); }

 private:
  std::atomic<TimeMs> offset_{0};
};

// Claims and starts a task as the engine would; returns the execution id.
inline std::string StartTask(TaskStore* store, const std::string& task_id,
                             const std::string& agent) {
  Task t;
  EXPECT_TRUE(store->GetTask(task_id, &t).ok());
  const TimeMs now = SystemClock::Default()->NowMs();
  ClaimRequest req;
  req.task_id = task_id;
  req.expected_version = t.version;
  req.executor_id = kExecutor;
  req.agent = agent;
  req.execution_id = t.requested_execution_id.empty() ? NewId("exec") : t.requested_execution_id;
  req.manual = !t.requested_execution_id.empty();
  req.session_label = "task-" + task_id.substr(0, 13);
  req.now = now;
  req.lease_expires_at = now + 600000;
  Claim claim;
  Status st = store->Claim(req, &claim);
  EXPECT_TRUE(st.ok()) << st.ToString();
  st = store->MarkStarted(task_id, req.execution_id, kExecutor, 4242, now);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return req.execution_id;
}

inline void FinishTask(TaskStore* store, const std::string& task_id, const std::string& exec_id,
                       ExecutionStatus es, TaskStatus ts, const std::string& summary,
                       const std::string& error, std::vector<Artifact> artifacts = {}) {
  AttemptOutcome o;
  o.task_id = task_id;
  o.execution_id = exec_id;
  o.executor_id = kExecutor;
  o.execution_status = es;
  o.task_status = ts;
  o.summary = summary;
  o.error_message = error;
  o.error_type = error.empty() ? ErrorType::kNone : ErrorType::kExecutionError;
  o.now = SystemClock::Default()->NowMs();
  for (auto& a : artifacts) {
    a.task_id = task_id;
    a.execution_id = exec_id;
    if (a.id.empty()) a.id = NewId("art");
  }
  o.artifacts = std::move(artifacts);
  Status st = store->FinishAttempt(o, nullptr);
  EXPECT_TRUE(st.ok()) << st.ToString();
}

// The engine's side of a cancel: stops every task with a cancel request.
inline int CarryOutCancels(TaskStore* store) {
  std::vector<std::string> ids;
  EXPECT_TRUE(store->ListCancelRequests(kExecutor, &ids).ok());
  for (const auto& id : ids) {
    std::vector<SessionExecution> execs;
    store->ListExecutions(id, &execs);
    for (const auto& e : execs)
      if (e.status == ExecutionStatus::kActive)
        FinishTask(store, id, e.id, ExecutionStatus::kCancelled, TaskStatus::kCancelled, "",
                   "cancelled");
  }
  return static_cast<int>(ids.size());
}

// Waits for `cond` with a generous timeout (loaded CI machines).
inline bool WaitFor(const std::function<bool()>& cond, int timeout_ms = 20000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

struct Harness {
  explicit Harness(fakes::FakeNotionOptions fake_options = Unlimited(),
                   std::string api_version = "2022-06-28", double requests_per_second = 1000)
      : fake(WithClock(fake_options, &clock)) {
    EXPECT_TRUE(fake.Start().ok());
    config.enabled = true;
    config.token = fake.options().token;
    config.database_id = fake.options().database_id;
    config.api_base_url = fake.base_url();
    config.api_version = std::move(api_version);
    config.requests_per_second = requests_per_second;
    config.status_property_type = fake_options.status_type;
    config.poll_interval_seconds = 1;
    OpenStore();
  }

  static fakes::FakeNotionOptions Unlimited() {
    fakes::FakeNotionOptions o;
    o.rate_per_second = 0;
    return o;
  }
  static fakes::FakeNotionOptions WithClock(fakes::FakeNotionOptions o, const Clock* c) {
    o.clock = c;
    return o;
  }

  void OpenStore() {
    sync.reset();
    service.reset();
    store.reset();
    std::unique_ptr<SqliteStore> s;
    Status st = SqliteStore::Open(dir.File("taskexec.db"), StoreConfig{}, &s);
    EXPECT_TRUE(st.ok()) << st.ToString();
    store = std::move(s);
    service = std::make_unique<StoreBackedService>(store.get());
  }

  notion::NotionSyncOptions Options() {
    notion::NotionSyncOptions o = notion::SyncOptionsFromConfig(config);
    o.client.backoff_initial_ms = 20;  // keep retries quick in tests
    o.client.backoff_max_ms = 200;
    o.client.jitter_seed = 42;
    o.outbound_interval_ms = 50;
    o.full_scan_every = 0;
    return o;
  }

  // (Re)creates the sync, as a restarted process would.
  notion::NotionSync* NewSync() {
    sync.reset();
    sync = std::make_unique<notion::NotionSync>(Options(), store.get(), service.get(), nullptr,
                                                &clock);
    return sync.get();
  }

  Task TaskForPage(const std::string& page_id) {
    Task t;
    store->FindByNotionPage(page_id, &t);
    return t;
  }

  int64_t CountRequests(const std::string& method) {
    int64_t n = 0;
    for (const auto& r : fake.Requests())
      if (r.method == method) ++n;
    return n;
  }

  OffsetClock clock;
  store_test::TempDir dir;
  fakes::FakeNotionServer fake;
  NotionConfig config;
  std::unique_ptr<TaskStore> store;
  std::unique_ptr<StoreBackedService> service;
  std::unique_ptr<notion::NotionSync> sync;
};

// The real transport with hooks: `before` may answer a request itself
// (returns true), `after` may rewrite a response. Set before the sync runs.
class HookTransport final : public notion::HttpTransport {
 public:
  std::function<bool(const notion::HttpRequest&, notion::HttpResponse*)> before;
  std::function<void(const notion::HttpRequest&, notion::HttpResponse*)> after;
  Status Send(const notion::HttpRequest& request, notion::HttpResponse* response) override {
    if (before && before(request, response)) return Status::OK();
    Status st = inner_.Send(request, response);
    if (st.ok() && after) after(request, response);
    return st;
  }

 private:
  notion::CurlTransport inner_;
};

// A sync over `transport` (instead of the harness's own), with the
// harness's options, store and clock.
inline std::unique_ptr<notion::NotionSync> SyncWith(Harness& h, notion::HttpTransport* transport) {
  return std::make_unique<notion::NotionSync>(h.Options(), h.store.get(), h.service.get(),
                                              transport, &h.clock);
}

}  // namespace taskexec::notion_test
