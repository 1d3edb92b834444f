#include "agents/agent_cli_support.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

extern char** environ;

namespace taskexec::agents {
namespace fs = std::filesystem;

std::string InstalledCliPath(std::string* skip_reason) {
  e2e::CommandResult r = e2e::Run({"bash", e2e::SourceDir() + "/scripts/install-agent-clis.sh"});
  std::string out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  if (r.exit_code == 3) {
    *skip_reason =
        "SKIPPED LOUDLY: the npm registry cannot be reached, so the real agent CLIs "
        "cannot be installed: " +
        r.err;
    return "";
  }
  if (r.exit_code != 0 || out.empty()) {
    ADD_FAILURE() << "scripts/install-agent-clis.sh failed (exit " << r.exit_code << "): " << r.err;
    return "";
  }
  return out;
}

ModelServer::ModelServer(const std::string& dir) : log_path_(dir + "/model.log") {
  const std::string port_file = dir + "/model.port";
  fs::remove(port_file);
  std::vector<std::string> argv = {
      "python3",      e2e::SourceDir() + "/tests/fakes/model_server.py",
      "--port-file",  port_file,
      "--log",        log_path_,
      "--idle",       "900",
      "--parent-pid", std::to_string(getpid())};
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  int rc = posix_spawnp(&pid_, "python3", nullptr, nullptr, cargv.data(), environ);
  if (rc != 0) {
    ADD_FAILURE() << "cannot start the model stand-in";
    return;
  }
  e2e::WaitFor([&] { return fs::exists(port_file); }, 30);
  port_ = std::atoi(e2e::ReadFile(port_file).c_str());
  EXPECT_GT(port_, 0) << "the model stand-in wrote no port";
}

ModelServer::~ModelServer() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int st = 0;
  waitpid(pid_, &st, 0);
}

std::string ModelServer::Log() const { return e2e::ReadFile(log_path_); }

OpenClawGateway::OpenClawGateway(const std::string& dir, const std::string& cli_path,
                                 const std::string& config_path)
    : log_path_(dir + "/gateway.log") {
  fs::create_directories(dir + "/gateway-home");
  const char* path = getenv("PATH");
  std::vector<std::string> env = {"PATH=" + cli_path + ":" + (path ? path : "/usr/bin:/bin"),
                                  "HOME=" + dir + "/gateway-home",
                                  "OPENCLAW_CONFIG_PATH=" + config_path, "OPENCLAW_NO_RESPAWN=1"};
  std::vector<std::string> argv = {"openclaw", "gateway", "run", "--allow-unconfigured"};
  std::vector<char*> cargv, cenv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  for (auto& e : env) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  EXPECT_EQ(posix_spawn_file_actions_init(&actions), 0);
  EXPECT_EQ(posix_spawnattr_init(&attr), 0);
  EXPECT_EQ(posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(),
                                             O_WRONLY | O_CREAT | O_TRUNC, 0644),
            0);
  EXPECT_EQ(posix_spawn_file_actions_adddup2(&actions, 1, 2), 0);
  // Its own group, so that it and the helpers it starts die together.
  EXPECT_EQ(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP), 0);
  EXPECT_EQ(posix_spawnattr_setpgroup(&attr, 0), 0);
  const std::string program = cli_path.substr(cli_path.rfind(':') + 1) + "/openclaw";
  const int rc = posix_spawn(&pid_, program.c_str(), &actions, &attr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    pid_ = -1;
    ADD_FAILURE() << "cannot start " << program << ": " << strerror(rc);
    return;
  }
  // Start-up takes 10-25 s on 2 cores (plugins, its state database).
  ready_ = e2e::WaitFor([&] { return Log().find("[gateway] ready") != std::string::npos; }, 120);
  EXPECT_TRUE(ready_) << "the OpenClaw Gateway did not get ready:\n" << Log();
}

OpenClawGateway::~OpenClawGateway() {
  if (pid_ <= 0) return;
  // Its graceful stop drains for minutes; nothing of it is under test.
  kill(-pid_, SIGKILL);
  int st = 0;
  waitpid(pid_, &st, 0);
}

std::string OpenClawGateway::Log() const { return e2e::ReadFile(log_path_); }

ServiceUnderTest::ServiceUnderTest(const std::string& name, const std::string& cli_path,
                                   const std::string& agent_toml, int max_retries,
                                   int kill_grace_seconds)
    : dir_(e2e::MakeTempDir(name)) {
  fs::create_directories(dir_ + "/home");
  config_ = dir_ + "/taskexec.toml";
  e2e::WriteFile(config_,
                 "[store]\ndb_path = \"" + dir_ + "/tasks.db\"\n\n" +
                     "[executor]\nmax_retries = " + std::to_string(max_retries) +
                     "\nretry_delay_seconds = 0\nstore_poll_ms = 100\n"
                     "poll_interval_seconds = 1\nlease_seconds = 30\n"
                     "shutdown_grace_seconds = 2\n\n"
                     "[agent]\nwork_dir = \"" +
                     dir_ + "/work\"\nlog_dir = \"" + dir_ +
                     "/logs\"\nkill_grace_seconds = " + std::to_string(kill_grace_seconds) + "\n" +
                     agent_toml + "\n\n[server]\nlisten = \"\"\n");
  const char* path = getenv("PATH");
  service_ = std::make_unique<e2e::Service>(
      config_, dir_ + "/service.log",
      std::map<std::string, std::string>{
          {"PATH", cli_path + ":" + (path ? path : "/usr/bin:/bin")},
          // The CLIs keep their state under HOME: a fresh one per service.
          {"HOME", dir_ + "/home"}});
  service_->Start();
}

ServiceUnderTest::~ServiceUnderTest() {
  if (service_) {
    EXPECT_EQ(service_->Terminate(), 0) << ServiceLog();
  }
  store_.reset();
  if (!::testing::Test::HasFailure()) fs::remove_all(dir_);
}

std::string ServiceUnderTest::ServiceLog() const { return e2e::ReadFile(dir_ + "/service.log"); }

SqliteStore* ServiceUnderTest::Store() {
  if (!store_) {
    StoreConfig sc;
    Status s = SqliteStore::Open(dir_ + "/tasks.db", sc, &store_);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return store_.get();
}

std::string ServiceUnderTest::AddTask(const std::string& title, const std::string& description) {
  const std::string file = dir_ + "/description.txt";
  e2e::WriteFile(file, description);
  e2e::CommandResult r =
      e2e::Cli(config_, {"task", "add", "--title", title, "--description-file", file});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string id = r.out;
  while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) id.pop_back();
  return id;
}

void ServiceUnderTest::Cancel(const std::string& id) {
  e2e::CommandResult r = e2e::Cli(config_, {"cancel", id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

void ServiceUnderTest::Execute(const std::string& id) {
  e2e::CommandResult r = e2e::Cli(config_, {"execute", id});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

void ServiceUnderTest::Reply(const std::string& id, const std::string& message) {
  e2e::CommandResult r = e2e::Cli(config_, {"task", "reply", id, "--message", message});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

Task ServiceUnderTest::WaitStatus(const std::string& id, TaskStatus status, int seconds) {
  Task t;
  bool done =
      e2e::WaitFor([&] { return Store()->GetTask(id, &t).ok() && t.status == status; }, seconds);
  EXPECT_TRUE(done) << "task " << id << " is " << ToString(t.status) << ", not " << ToString(status)
                    << "\n"
                    << ServiceLog();
  return t;
}

Task ServiceUnderTest::WaitTask(const std::string& id, const std::function<bool(const Task&)>& done,
                                int seconds) {
  Task t;
  const bool held = e2e::WaitFor([&] { return Store()->GetTask(id, &t).ok() && done(t); }, seconds);
  EXPECT_TRUE(held) << "task " << id << " is " << ToString(t.status) << "\n" << ServiceLog();
  return t;
}

bool ServiceUnderTest::Meta(const std::string& key, std::string* value) {
  return Store()->GetMeta(key, value).ok();
}

Task ServiceUnderTest::WaitFinal(const std::string& id, int seconds) {
  Task t;
  bool done =
      e2e::WaitFor([&] { return Store()->GetTask(id, &t).ok() && IsTerminal(t.status); }, seconds);
  EXPECT_TRUE(done) << "task " << id << " is still " << ToString(t.status) << "\n" << ServiceLog();
  return t;
}

std::vector<SessionExecution> ServiceUnderTest::Executions(const std::string& id) {
  std::vector<SessionExecution> e;
  EXPECT_TRUE(Store()->ListExecutions(id, &e).ok());
  // In the order they started (`execute` of a finished task may number its
  // attempt 1 again).
  std::sort(e.begin(), e.end(), [](const auto& a, const auto& b) {
    return a.started_at != b.started_at ? a.started_at < b.started_at : a.attempt < b.attempt;
  });
  return e;
}

std::string* RealCliTest::cli_path_ = nullptr;
std::string* RealCliTest::skip_reason_ = nullptr;
std::string* RealCliTest::model_dir_ = nullptr;
ModelServer* RealCliTest::model_ = nullptr;

void RealCliTest::SetUpTestSuite() {
  skip_reason_ = new std::string;
  cli_path_ = new std::string(InstalledCliPath(skip_reason_));
  model_dir_ = new std::string(e2e::MakeTempDir("model"));
  model_ = new ModelServer(*model_dir_);
}

void RealCliTest::TearDownTestSuite() {
  delete model_;
  fs::remove_all(*model_dir_);
  delete model_dir_;
  delete cli_path_;
  delete skip_reason_;
}

void RealCliTest::SetUp() {
  if (!skip_reason_->empty()) GTEST_SKIP() << *skip_reason_;
  ASSERT_FALSE(cli_path_->empty());
  ASSERT_GT(model_->port(), 0);
}

ScopedTempDir::~ScopedTempDir() { fs::remove_all(path); }

bool LoggedRequestOver(const std::string& log, size_t bytes) {
  for (size_t pos = 0; (pos = log.find("\"bytes\": ", pos)) != std::string::npos;) {
    pos += 9;
    if (std::stoull(log.substr(pos, 12)) > bytes) return true;
  }
  return false;
}

}  // namespace taskexec::agents
