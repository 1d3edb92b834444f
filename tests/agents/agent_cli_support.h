// Support for the tests that run the real agent CLIs (installed from npm by
// scripts/install-agent-clis.sh) through the whole `taskexec serve`, against
// the local model stand-in (tests/fakes/model_server.py).
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/domain.h"
#include "e2e/e2e_util.h"
#include "store/sqlite/sqlite_store.h"

namespace taskexec::agents {

// The PATH entries holding node and the CLIs; empty with `*skip_reason` set
// when the npm registry cannot be reached (the only reason to skip).
std::string InstalledCliPath(std::string* skip_reason);

// The model stand-in, running until destroyed (and exiting by itself if this
// process dies first).
class ModelServer {
 public:
  explicit ModelServer(const std::string& dir);
  ~ModelServer();
  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The requests so far, one JSON object per line.
  std::string Log() const;

 private:
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// An OpenClaw Gateway (`openclaw gateway run`) for the `openclaw` preset,
// reading the openclaw.json at `config_path` (which names its port and
// token), with its own HOME under `dir`; ready once it logged "ready".
// Killed with its whole process group when destroyed: a model request it
// still waits on (the hanging model) ends with it.
class OpenClawGateway {
 public:
  OpenClawGateway(const std::string& dir, const std::string& cli_path,
                  const std::string& config_path);
  ~OpenClawGateway();
  bool ready() const { return ready_; }
  std::string Log() const;

 private:
  std::string log_path_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

using e2e::ProcessesOfAttempt;

// One `taskexec serve` with its own database and folders under a temp dir.
class ServiceUnderTest {
 public:
  // `agent_toml`: the [agent] section's lines after the common ones.
  // `kill_grace_seconds`: how long a stopped attempt gets between TERM and KILL.
  ServiceUnderTest(const std::string& name, const std::string& cli_path,
                   const std::string& agent_toml, int max_retries = 1, int kill_grace_seconds = 1);
  ~ServiceUnderTest();

  std::string AddTask(const std::string& title, const std::string& description);
  // `taskexec cancel <id>` and `taskexec execute <id>`, as a user would.
  void Cancel(const std::string& id);
  void Execute(const std::string& id);
  // `taskexec task reply <id> --message <message>`, as a user would.
  void Reply(const std::string& id, const std::string& message);
  // Waits until the task is in a final state (completed, failed, cancelled).
  Task WaitFinal(const std::string& id, int seconds);
  // Waits until the task is in `status`.
  Task WaitStatus(const std::string& id, TaskStatus status, int seconds);
  // Waits until `done` holds for the task.
  Task WaitTask(const std::string& id, const std::function<bool(const Task&)>& done, int seconds);
  // A store meta entry (e.g. an agent's pause); false when unset.
  bool Meta(const std::string& key, std::string* value);
  std::vector<SessionExecution> Executions(const std::string& id);  // in start order
  const std::string& dir() const { return dir_; }
  std::string ServiceLog() const;

 private:
  SqliteStore* Store();
  std::string dir_;
  std::string config_;
  std::unique_ptr<e2e::Service> service_;
  std::unique_ptr<SqliteStore> store_;
};

// Fixture base: installs the CLIs (or skips, loudly, without npm) and runs
// one model stand-in per test suite.
class RealCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  static const std::string& cli_path() { return *cli_path_; }
  static ModelServer& model() { return *model_; }

 private:
  static std::string* cli_path_;
  static std::string* skip_reason_;
  static std::string* model_dir_;
  static ModelServer* model_;
};

// A fresh temp directory, removed with everything in it when destroyed.
struct ScopedTempDir {
  explicit ScopedTempDir(const std::string& name) : path(e2e::MakeTempDir(name)) {}
  ~ScopedTempDir();
  const std::string path;
};

// True when the stand-in's log has a request body bigger than `bytes`.
bool LoggedRequestOver(const std::string& log, size_t bytes);

}  // namespace taskexec::agents
