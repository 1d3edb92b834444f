// The CLI test fixture: RunCli in-process over a CliContext whose config
// loader, service factory and runner are fakes (FakeTaskService, or a real
// store-only service over SQLite), with what each fake saw.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "cli/cli.h"
#include "cli/output.h"
#include "core/clock.h"
#include "engine/store_service.h"
#include "routing/agent_router.h"
#include "server/fake_task_service.h"
#include "store/sqlite/sqlite_store.h"

namespace taskexec::cli_test {

using nlohmann::json;

// Hands the fixture's FakeTaskService out as an owned TaskService.
class ForwardingService : public TaskService {
 public:
  explicit ForwardingService(TaskService* t) : t_(t) {}
  Status AddTask(const NewTask& n, Task* o) override { return t_->AddTask(n, o); }
  Status AddTasks(const std::vector<NewTask>& n, std::vector<Status>* o) override {
    return t_->AddTasks(n, o);
  }
  Status GetTask(const std::string& id, TaskDetails* o) override { return t_->GetTask(id, o); }
  Status UpdateTask(const std::string& id, const TaskPatch& p, Task* o) override {
    return t_->UpdateTask(id, p, o);
  }
  Status ListTasks(const TaskFilter& f, std::vector<Task>* o) override {
    return t_->ListTasks(f, o);
  }
  Status CountTasks(const TaskFilter& f, int64_t* n) override { return t_->CountTasks(f, n); }
  Status Execute(const std::string& id, const std::string& a, bool f, std::string* o) override {
    return t_->Execute(id, a, f, o);
  }
  Status Cancel(const std::string& id, Task* o) override { return t_->Cancel(id, o); }
  Status Reply(const std::string& id, const std::string& m, Task* o) override {
    return t_->Reply(id, m, o);
  }
  Status GetStatus(ServiceStatus* o) override { return t_->GetStatus(o); }
  Status Route(const Task& t, RouteDecision* o) override { return t_->Route(t, o); }
  Status FindByNotionPage(const std::string& page_id, Task* o) override {
    return t_->FindByNotionPage(page_id, o);
  }
  Status GetExecution(const std::string& id, SessionExecution* o) override {
    return t_->GetExecution(id, o);
  }
  Status Prune(const PruneRequest& r, PruneReport* o) override { return t_->Prune(r, o); }
  Status ListAgents(std::vector<AgentState>* o) override { return t_->ListAgents(o); }
  Status ResumeAgent(const std::string& a, AgentState* o) override { return t_->ResumeAgent(a, o); }
  Status ListWorkspaces(std::vector<WorkspaceInfo>* o) override { return t_->ListWorkspaces(o); }
  Status CollectWorkspaces(bool dry_run, WorkspaceGcReport* o) override {
    return t_->CollectWorkspaces(dry_run, o);
  }

 private:
  TaskService* t_;
};

inline std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("taskexec-cli-test-" + std::to_string(getpid()) + "-" + name))
      .string();
}

// The real StoreTaskService over a fresh SQLite file (the default
// configuration), deleted again at the end.
class SqliteService {
 public:
  explicit SqliteService(const std::string& name) : db_(TempPath(name)) {
    Remove();
    Status s = SqliteStore::Open(db_, cfg_.store, &store_);
    EXPECT_TRUE(s.ok()) << s.ToString();
    router_ = std::make_unique<AgentRouter>(cfg_.routing);
    service_ =
        std::make_unique<StoreTaskService>(store_.get(), router_.get(), SystemClock::Default());
  }
  ~SqliteService() {
    service_.reset();
    store_.reset();
    Remove();
  }
  SqliteStore* store() { return store_.get(); }
  StoreTaskService* service() { return service_.get(); }

 private:
  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_ + suffix);
  }
  const std::string db_;
  Config cfg_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<AgentRouter> router_;
  std::unique_ptr<StoreTaskService> service_;
};

class CliTest : public ::testing::Test {
 protected:
  // A service runs on the fake store unless a test says otherwise.
  CliTest() {
    ExecutorRecord r;
    r.executor_id = "exec-host-1";
    r.host = "host";
    r.pid = 4242;
    svc_.status.executors.push_back(r);
  }

  int Run(std::vector<std::string> args, const std::string& stdin_text = "") {
    out_.str("");
    err_.str("");
    std::istringstream in(stdin_text);
    CliDeps deps;
    deps.load_config = [this](const std::string& path, const std::map<std::string, std::string>&,
                              const ConfigOverrides& overrides, Config* cfg) {
      ++loads_;
      loaded_path_ = path;
      loaded_overrides_ = overrides;
      static const std::set<std::string> kKnown = {"store.db_path", "server.listen",
                                                   "executor.max_retries"};
      for (const auto& [k, v] : overrides) {
        if (!kKnown.count(k))
          return Status::InvalidArgument("unknown configuration key \"" + k + "\"");
      }
      if (overrides.count("store.db_path")) cfg->store.db_path = overrides.at("store.db_path");
      if (overrides.count("server.listen")) cfg->server.listen = overrides.at("server.listen");
      cfg->source_file = path;
      return Status::OK();
    };
    deps.open_service = [this](const Config& cfg, StoreUse use, std::unique_ptr<TaskService>* out) {
      opened_db_ = cfg.store.db_path;
      opened_use_ = use;
      if (throw_on_open_) throw std::runtime_error("boom");
      if (!open_error_.ok()) return open_error_;
      *out = std::make_unique<ForwardingService>(real_service_ ? real_service_ : &svc_);
      return Status::OK();
    };
    deps.run_service = [this](const Config& cfg) {
      served_listen_ = cfg.server.listen;
      return 3;
    };
    deps.check_config = [this](const Config&, std::ostream& out) {
      out << "store: ok\n";
      return check_result_;
    };
    deps.describe_config = [](const Config& cfg, bool redact) {
      return "store.db_path = \"" + cfg.store.db_path +
             "\"\nredacted = " + (redact ? "yes" : "no") + "\n";
    };
    deps.sleep_ms = [this](int ms) {
      ++sleeps_;
      last_sleep_ms_ = ms;
      if (on_sleep_) on_sleep_();
    };
    CliContext ctx(std::move(deps), out_, err_, in, env_);
    ctx.extra_groups = extra_groups_;
    std::vector<const char*> argv = {"taskexec"};
    for (const auto& a : args) argv.push_back(a.c_str());
    return RunCli(static_cast<int>(argv.size()), argv.data(), ctx);
  }

  std::string out() const { return out_.str(); }
  std::string err() const { return err_.str(); }

  std::string AddTask(const std::string& title) {
    NewTask nt;
    nt.title = title;
    Task t;
    EXPECT_TRUE(svc_.AddTask(nt, &t).ok());
    return t.id;
  }

  FakeTaskService svc_;
  TaskService* real_service_ = nullptr;  // used instead of svc_ when set
  std::ostringstream out_;
  std::ostringstream err_;
  std::map<std::string, std::string> env_;
  std::vector<CommandRegistrar> extra_groups_;
  Status open_error_;
  Status check_result_;
  bool throw_on_open_ = false;
  int loads_ = 0;
  std::string loaded_path_;
  ConfigOverrides loaded_overrides_;
  std::string opened_db_;
  StoreUse opened_use_ = StoreUse::kWrite;
  std::string served_listen_;
  int sleeps_ = 0;
  int last_sleep_ms_ = 0;
  std::function<void()> on_sleep_;
};

}  // namespace taskexec::cli_test
