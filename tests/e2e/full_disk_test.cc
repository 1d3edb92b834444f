// End-to-end tests of a service whose disk fills up or goes read-only: the
// real `taskexec` binary and SQLite store on a real tmpfs of a few MiB
// (mounted here, so these tests need CAP_SYS_ADMIN and skip, saying so,
// without it), the scripted fake agent.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "e2e/e2e_util.h"
#include "store/sqlite/sqlite_store.h"

namespace taskexec::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A tmpfs of `megabytes` at `path` for the object's life.
class Tmpfs {
 public:
  Tmpfs(std::string path, int megabytes) : path_(std::move(path)) {
    fs::create_directories(path_);
    const std::string options = "size=" + std::to_string(megabytes) + "m";
    if (mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      error_ = "cannot mount a tmpfs at " + path_ + ": " + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~Tmpfs() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  // Remounts it read-only (true) or writable (false).
  bool SetReadOnly(bool read_only) {
    return mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT | (read_only ? MS_RDONLY : 0),
                 nullptr) == 0;
  }

 private:
  std::string path_;
  std::string error_;
  bool mounted_ = false;
};

// Writes zeros to `file` until its file system has no room for a byte more.
void FillUp(const std::string& file) {
  const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  std::vector<char> zeros(1 << 16, 0);
  for (size_t chunk : {size_t{1} << 16, size_t{4096}, size_t{1}}) {
    while (write(fd, zeros.data(), chunk) == static_cast<ssize_t>(chunk)) {
    }
  }
  close(fd);
}

class FullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("full_disk");
    port_ = FreePort();
  }
  void TearDown() override {
    store_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // A config with the store at `db_path`, attempts' files under `data`.
  std::string WriteConfig(const std::string& db_path, const std::string& data) {
    db_path_ = db_path;
    const std::string path = dir_ + "/taskexec.toml";
    WriteFile(path, "[store]\ndb_path = \"" + db_path +
                        "\"\n\n[executor]\nmax_retries = 2\nretry_delay_seconds = 0\n"
                        "store_poll_ms = 100\npoll_interval_seconds = 1\nlease_seconds = 3\n"
                        "max_concurrent = 4\nper_agent_limit = 4\nshutdown_grace_seconds = 2\n\n"
                        "[agent]\ncommand = [\"" +
                        SourceDir() +
                        "/tests/fakes/fake_agent.sh\", \"--agent\", \"{agent}\", \"--prompt\", "
                        "\"{prompt}\"]\npass_env = [\"FAKE_AGENT_*\"]\nwork_dir = \"" +
                        data + "/work\"\nlog_dir = \"" + data +
                        "/logs\"\ntimeout_seconds = 120\nkill_grace_seconds = 1\n\n"
                        "[server]\nlisten = \"127.0.0.1:" +
                        std::to_string(port_) + "\"\n");
    return path;
  }

  SqliteStore* Store() {
    if (!store_) {
      StoreConfig sc;
      Status s = SqliteStore::Open(db_path_, sc, &store_);
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    return store_.get();
  }

  Task Get(const std::string& id) {
    Task t;
    EXPECT_TRUE(Store()->GetTask(id, &t).ok());
    return t;
  }

  std::vector<SessionExecution> Executions(const std::string& id) {
    std::vector<SessionExecution> e;
    EXPECT_TRUE(Store()->ListExecutions(id, &e).ok());
    return e;
  }

  std::string AddTask(const std::string& config, const std::string& title) {
    CommandResult r = Cli(config, {"task", "add", "--title", title});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string id = r.out;
    while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) id.pop_back();
    return id;
  }

  // Adds a task whose agent works until dir_/go exists, and waits until it
  // runs and its start is recorded (a start the full disk refuses to record
  // is stopped and released, a case of its own). The task's id, or "".
  std::string AddWaitingTask(const std::string& config) {
    const std::string id = AddTask(config, "Write the report fake-mode=wait-file");
    const bool running = WaitFor(
        [&] {
          std::vector<SessionExecution> e = Executions(id);
          return e.size() == 1 && !ProcessesOfAttempt(e[0].id).empty() &&
                 Get(id).status == TaskStatus::kInProgress;
        },
        60);
    EXPECT_TRUE(running) << ReadFile(dir_ + "/service.log");
    return running ? id : "";
  }

  // Fills the store's disk, lets the waiting agent finish, and waits until
  // the service keeps its outcome (the store refused it). /metrics then.
  std::string FinishOnAFullDisk() {
    FillUp(dir_ + "/disk/filler");
    WriteFile(dir_ + "/go", "");  // the agent finishes its work now
    std::string metrics;
    EXPECT_TRUE(WaitFor(
        [&] {
          metrics = Metrics();
          return metrics.find("taskexec_kept_outcomes 1\n") != std::string::npos;
        },
        60))
        << metrics << ReadFile(dir_ + "/service.log");
    return metrics;
  }

  // Starts `service` and waits until its API answers.
  bool StartReady(Service& service) {
    service.Start();
    const bool ready = WaitFor([&] { return Ready(); }, 60);
    EXPECT_TRUE(ready) << ReadFile(dir_ + "/service.log");
    return ready;
  }

  std::string Metrics() {
    httplib::Client http("127.0.0.1", port_);
    auto r = http.Get("/metrics");
    return r && r->status == 200 ? r->body : "";
  }

  bool Ready() {
    httplib::Client http("127.0.0.1", port_);
    auto r = http.Get("/readyz");
    return r && r->status == 200;
  }

  std::string dir_;
  std::string db_path_;
  int port_ = 0;
  std::unique_ptr<SqliteStore> store_;
};

// The store's file system fills up while an agent runs. The service runs on,
// keeps the finished attempt's outcome and writes it once there is room
// again: one attempt, recorded completed, never run twice. Meanwhile it
// takes no new work and says why (/metrics, /readyz), and adding a task
// fails with an error that names the full file system.
TEST_F(FullDiskTest, TheServiceRidesOutAFullDiskAndLosesNoOutcome) {
  Tmpfs disk(dir_ + "/disk", 8);
  if (!disk.mounted()) GTEST_SKIP() << disk.error() << " (needs CAP_SYS_ADMIN)";
  const std::string config = WriteConfig(dir_ + "/disk/tasks.db", dir_ + "/disk");
  Service service(config, dir_ + "/service.log", {{"FAKE_AGENT_GO_FILE", dir_ + "/go"}});
  ASSERT_TRUE(StartReady(service));
  const std::string id = AddWaitingTask(config);
  ASSERT_FALSE(id.empty());
  const std::string execution = Executions(id)[0].id;

  std::string metrics = FinishOnAFullDisk();
  ASSERT_NE(metrics.find("taskexec_kept_outcomes 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("taskexec_refusing_work 1\n"), std::string::npos) << metrics;
  EXPECT_TRUE(ProcessesOfAttempt(execution).empty());

  httplib::Client http("127.0.0.1", port_);
  auto ready = http.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_NE(ready->body.find("no new work is taken: the store refuses writes"), std::string::npos)
      << ready->body;
  auto added = http.Post("/api/v1/tasks", R"({"title": "Plan the offsite"})", "application/json");
  ASSERT_TRUE(added);
  EXPECT_EQ(added->status, 503) << added->body;
  EXPECT_NE(added->body.find("\"unavailable\""), std::string::npos) << added->body;
  EXPECT_NE(added->body.find("is full"), std::string::npos) << added->body;
  CommandResult cli = Cli(config, {"task", "add", "--title", "Tidy the shelves"});
  EXPECT_NE(cli.exit_code, 0);
  EXPECT_NE(cli.err.find("/disk/tasks.db is full"), std::string::npos) << cli.err;
  // Not recorded lost nor run again while the disk stays full.
  EXPECT_EQ(Get(id).status, TaskStatus::kInProgress);
  ASSERT_EQ(Executions(id).size(), 1u);

  fs::remove(dir_ + "/disk/filler");  // room again
  ASSERT_TRUE(WaitFor([&] { return Get(id).status == TaskStatus::kCompleted; }, 60))
      << ReadFile(dir_ + "/service.log");
  std::vector<SessionExecution> executions = Executions(id);
  ASSERT_EQ(executions.size(), 1u);
  EXPECT_EQ(executions[0].status, ExecutionStatus::kCompleted);
  ASSERT_TRUE(WaitFor(
      [&] {
        metrics = Metrics();
        return metrics.find("taskexec_refusing_work 0\n") != std::string::npos &&
               metrics.find("taskexec_kept_outcomes 0\n") != std::string::npos;
      },
      30))
      << metrics;
  const std::string next = AddTask(config, "Tidy the shelves fake-mode=succeed");
  ASSERT_TRUE(WaitFor([&] { return Get(next).status == TaskStatus::kCompleted; }, 60))
      << ReadFile(dir_ + "/service.log");
  EXPECT_EQ(service.Terminate(), 0);
  const std::string log = ReadFile(dir_ + "/service.log");
  EXPECT_NE(log.find("refusing new work: the store refuses writes"), std::string::npos) << log;
  EXPECT_NE(log.find("taking new work again"), std::string::npos) << log;
}

// The store's disk fills while the agent works; the agent finishes, its
// outcome is kept, and then the service is killed. The next service records
// that outcome (kept beside the attempt's log, off the full disk) once the
// store has room: the agent's work is not done a second time.
TEST_F(FullDiskTest, AKeptOutcomeOutlivesItsServiceAndIsNotRunAgain) {
  Tmpfs disk(dir_ + "/disk", 8);
  if (!disk.mounted()) GTEST_SKIP() << disk.error() << " (needs CAP_SYS_ADMIN)";
  const std::string config = WriteConfig(dir_ + "/disk/tasks.db", dir_);
  Service service(config, dir_ + "/service.log", {{"FAKE_AGENT_GO_FILE", dir_ + "/go"}});
  ASSERT_TRUE(StartReady(service));
  const std::string id = AddWaitingTask(config);
  ASSERT_FALSE(id.empty());

  ASSERT_NE(FinishOnAFullDisk().find("taskexec_kept_outcomes 1\n"), std::string::npos);
  service.Kill9();
  fs::remove(dir_ + "/disk/filler");

  Service next(config, dir_ + "/next.log");
  next.Start();
  ASSERT_TRUE(WaitFor([&] { return Get(id).status == TaskStatus::kCompleted; }, 60))
      << ReadFile(dir_ + "/next.log");
  std::vector<SessionExecution> executions = Executions(id);
  ASSERT_EQ(executions.size(), 1u);  // the agent ran once
  EXPECT_EQ(executions[0].status, ExecutionStatus::kCompleted);
  EXPECT_EQ(Get(id).retry_count, 0);
  EXPECT_EQ(next.Terminate(), 0);
  const std::string log = ReadFile(dir_ + "/next.log");
  EXPECT_NE(log.find("while its service was down; its kept outcome is recorded"), std::string::npos)
      << log;
}

// The log dir goes read-only. The attempts that could not open their logs go
// back to the queue, their retries untouched; nothing more is claimed while
// the dir stays read-only (`status` says why); once it is writable again
// every task runs, each attempt once.
TEST_F(FullDiskTest, AnUnwritableLogDirHoldsIntakeAndLosesNoTask) {
  Tmpfs logs(dir_ + "/data/logs", 4);
  if (!logs.mounted()) GTEST_SKIP() << logs.error() << " (needs CAP_SYS_ADMIN)";
  const std::string config = WriteConfig(dir_ + "/tasks.db", dir_ + "/data");
  Service service(config, dir_ + "/service.log");
  ASSERT_TRUE(StartReady(service));
  ASSERT_TRUE(logs.SetReadOnly(true)) << std::strerror(errno);

  const std::string first = AddTask(config, "Write the report fake-mode=succeed");
  const std::string second = AddTask(config, "Plan the offsite fake-mode=succeed");
  // Two heartbeats that say why no work is taken, a second apart at least:
  // the engine went round with both tasks queued and claimed nothing more.
  std::string said, first_beat;
  ASSERT_TRUE(WaitFor(
      [&] {
        CommandResult r = Cli(config, {"--json", "status"});
        json st = json::parse(r.out, nullptr, false);
        if (!st.is_object() || !st["executors"].is_array() || st["executors"].empty()) return false;
        const json& self = st["executors"][0];
        said = self.value("refusing_work", "");
        if (said.empty()) return false;
        const std::string beat = self.value("heartbeat_at", "");
        if (first_beat.empty()) first_beat = beat;
        return beat != first_beat;
      },
      60))
      << said << ReadFile(dir_ + "/service.log");
  // The failed start's reason, then the probe's ("agent.log_dir: cannot write in ...").
  EXPECT_EQ(said.rfind("cannot start an attempt: ", 0), 0u) << said;
  EXPECT_NE(said.find("Read-only file system"), std::string::npos) << said;
  CommandResult text = Cli(config, {"status"});
  EXPECT_NE(text.out.find("takes no new work: cannot start an attempt"), std::string::npos)
      << text.out;

  std::vector<SessionExecution> held = Executions(first);
  const std::vector<SessionExecution> other = Executions(second);
  held.insert(held.end(), other.begin(), other.end());
  // The claim that found the dir read-only, and any made with it in the
  // same store write (a dispatch claims what fits at once): each released,
  // none run, and nothing claimed after them.
  ASSERT_GE(held.size(), 1u);
  ASSERT_LE(held.size(), 2u);
  for (const SessionExecution& e : held) {
    EXPECT_EQ(e.error_type, ErrorType::kReleased);
    EXPECT_NE(e.error.find("Read-only file system"), std::string::npos) << e.error;
  }
  EXPECT_EQ(Get(first).status, TaskStatus::kPending);
  EXPECT_EQ(Get(second).status, TaskStatus::kPending);
  // A task added while intake is held is not claimed: two more heartbeats
  // (the engine went round with it queued) and it has no attempt.
  const std::string third = AddTask(config, "File the receipts fake-mode=succeed");
  std::string last_beat = first_beat;
  for (int beats = 0; beats < 2; ++beats) {
    ASSERT_TRUE(WaitFor(
        [&] {
          json st = json::parse(Cli(config, {"--json", "status"}).out, nullptr, false);
          if (!st.is_object() || !st["executors"].is_array() || st["executors"].empty())
            return false;
          const std::string beat = st["executors"][0].value("heartbeat_at", "");
          if (beat.empty() || beat == last_beat) return false;
          last_beat = beat;
          return true;
        },
        60));
  }
  EXPECT_TRUE(Executions(third).empty());

  ASSERT_TRUE(logs.SetReadOnly(false)) << std::strerror(errno);
  ASSERT_TRUE(WaitFor(
      [&] {
        return Get(first).status == TaskStatus::kCompleted &&
               Get(second).status == TaskStatus::kCompleted &&
               Get(third).status == TaskStatus::kCompleted;
      },
      60))
      << ReadFile(dir_ + "/service.log");
  EXPECT_EQ(Executions(first).size() + Executions(second).size() + Executions(third).size(),
            held.size() + 3);
  EXPECT_EQ(Get(first).retry_count, 0);
  EXPECT_EQ(Get(second).retry_count, 0);
  EXPECT_EQ(Get(third).retry_count, 0);
  EXPECT_EQ(service.Terminate(), 0);
}

}  // namespace
}  // namespace taskexec::e2e
