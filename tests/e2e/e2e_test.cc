// End-to-end tests: the real `taskexec` binary, the real SQLite store and the
// scripted fake agent (tests/fakes/fake_agent.sh). The test reads the final
// state straight from the database file the services share.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <set>

#include "core/clock.h"
#include "e2e/e2e_util.h"
#include "runner/attempt_cgroup.h"
#include "runner/exit_record.h"
#include "store/sqlite/sqlite_store.h"

namespace taskexec::e2e {
namespace {

namespace fs = std::filesystem;

struct Options {
  std::string command;  // TOML array; empty = the fake agent in the seed form
  int max_concurrent = 8;
  int timeout_seconds = 2;
  int lease_seconds = 3;
  int max_retries = 2;
  int circuit_failures = 5;  // agent.circuit_failures, the default
  std::string listen;        // server.listen; empty = no HTTP API
};

class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("e2e"); }
  void TearDown() override {
    store_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::string FakeAgent() const { return SourceDir() + "/tests/fakes/fake_agent.sh"; }

  std::string WriteConfig(const Options& o, const std::string& name = "taskexec.toml") {
    std::string command = o.command;
    if (command.empty())
      command = "[\"" + FakeAgent() +
                "\", \"--agent\", \"{agent}\", \"--label\", \"task-{task_id}\", \"--context\", "
                "\"{context_json}\", \"--prompt\", \"{prompt}\"]";
    std::string path = dir_ + "/" + name;
    WriteFile(
        path,
        "[store]\ndb_path = \"" + dir_ + "/tasks.db\"\n\n" + "[executor]\nmax_retries = " +
            std::to_string(o.max_retries) + "\nretry_delay_seconds = 0\nstore_poll_ms = 100\n" +
            "poll_interval_seconds = 1\nlease_seconds = " + std::to_string(o.lease_seconds) +
            "\nmax_concurrent = " + std::to_string(o.max_concurrent) +
            "\nper_agent_limit = " + std::to_string(o.max_concurrent) +
            "\nshutdown_grace_seconds = 2\n\n" + "[agent]\ncommand = " + command +
            // The fake agent's knobs (FAKE_AGENT_SLEEP, ...) come from the
            // service's environment, passed on purpose as a user passes a
            // model key: agents inherit nothing else.
            "\npass_env = [\"FAKE_AGENT_*\"]" + "\nwork_dir = \"" + dir_ + "/work\"\nlog_dir = \"" +
            dir_ + "/logs\"\ntimeout_seconds = " + std::to_string(o.timeout_seconds) +
            "\nkill_grace_seconds = 1\ncircuit_failures = " + std::to_string(o.circuit_failures) +
            "\n\n" + "[server]\nlisten = \"" + o.listen + "\"\n");
    return path;
  }

  SqliteStore* Store() {
    if (!store_) {
      StoreConfig sc;
      Status s = SqliteStore::Open(dir_ + "/tasks.db", sc, &store_);
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    return store_.get();
  }

  std::string AddTask(const std::string& config, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"task", "add"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = Cli(config, argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string id = r.out;
    while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) id.pop_back();
    return id;
  }

  int64_t CountIn(std::initializer_list<const char*> statuses) {
    StoreStats st;
    EXPECT_TRUE(Store()->GetStats(&st).ok());
    int64_t n = 0;
    for (const char* s : statuses) n += st.by_status[s];
    return n;
  }

  int64_t CountFinal() { return CountIn({"completed", "failed", "cancelled"}); }

  std::vector<SessionExecution> Executions(const std::string& id) {
    std::vector<SessionExecution> e;
    EXPECT_TRUE(Store()->ListExecutions(id, &e).ok());
    std::sort(e.begin(), e.end(),
              [](const auto& a, const auto& b) { return a.attempt < b.attempt; });
    return e;
  }

  std::string dir_;
  std::unique_ptr<SqliteStore> store_;
};

struct Kind {
  const char* words;
  const char* agent;
  const char* assign;
};

const Kind kKinds[] = {
    {"Research the vector database market", "mongke", ""},
    {"Analyze last week's traffic", "jochi", ""},
    {"Write the newsletter intro", "chagatai", ""},
    {"Build the invoice parser", "temujin", ""},
    {"Deploy the staging service", "ogedei", ""},
    {"Orchestrate the launch plan", "kublai", ""},
    {"Tidy the shelves", "main", ""},
    {"Plan the offsite", "jochi", "jochi"},
};

// Mode -> (final task status, executions, retry_count)
struct Expect {
  const char* mode;
  TaskStatus status;
  int executions;
  ExecutionStatus last;
};

const Expect kModes[] = {
    {"succeed", TaskStatus::kCompleted, 1, ExecutionStatus::kCompleted},
    {"succeed", TaskStatus::kCompleted, 1, ExecutionStatus::kCompleted},
    {"artifacts", TaskStatus::kCompleted, 1, ExecutionStatus::kCompleted},
    {"fail", TaskStatus::kFailed, 1, ExecutionStatus::kFailed},
    {"fail-retryable", TaskStatus::kFailed, 3, ExecutionStatus::kFailed},
    {"hang", TaskStatus::kFailed, 3, ExecutionStatus::kTimedOut},
    {"crash", TaskStatus::kFailed, 3, ExecutionStatus::kFailed},
    {"garbage", TaskStatus::kCompleted, 1, ExecutionStatus::kCompleted},
    {"flaky", TaskStatus::kCompleted, 2, ExecutionStatus::kCompleted},
    {"succeed", TaskStatus::kCompleted, 1, ExecutionStatus::kCompleted},
};

TEST_F(E2eTest, TwoHundredMixedTasksEndInTheRightState) {
  // Half of these agents' attempts fail on purpose: with the circuit breaker
  // on, its pauses would be what this measured (the breaker's own tests are
  // the engine's).
  Options options;
  options.circuit_failures = 0;
  std::string config = WriteConfig(options);
  Service service(config, dir_ + "/service.log");
  service.Start();

  struct Added {
    std::string id;
    const Kind* kind;
    const Expect* expect;
  };
  std::vector<Added> added;
  for (int i = 0; i < 200; ++i) {
    const Kind& kind = kKinds[i % std::size(kKinds)];
    const Expect& mode = kModes[(i / std::size(kKinds) + i) % std::size(kModes)];
    std::vector<std::string> args = {
        "--title", std::string(kind.words) + " #" + std::to_string(i) + " fake-mode=" + mode.mode};
    if (*kind.assign) args.insert(args.end(), {"--agent", kind.assign});
    added.push_back({AddTask(config, args), &kind, &mode});
  }
  ASSERT_TRUE(WaitFor([&] { return CountFinal() == 200; }, 600))
      << CountFinal() << " of 200 final; log: " << ReadFile(dir_ + "/service.log").substr(0, 4000);

  std::map<std::string, int> by_mode;
  for (const Added& a : added) {
    Task t;
    ASSERT_TRUE(Store()->GetTask(a.id, &t).ok());
    SCOPED_TRACE(std::string(a.kind->words) + " / " + a.expect->mode + " / " + a.id);
    EXPECT_EQ(t.status, a.expect->status) << t.error_message;
    EXPECT_EQ(t.claimed_by, a.kind->agent);
    auto execs = Executions(a.id);
    ASSERT_EQ(static_cast<int>(execs.size()), a.expect->executions);
    EXPECT_EQ(execs.back().status, a.expect->last);
    EXPECT_EQ(t.retry_count, a.expect->executions - 1);
    for (size_t k = 0; k < execs.size(); ++k) {
      EXPECT_EQ(execs[k].attempt, static_cast<int>(k) + 1);
      EXPECT_EQ(execs[k].agent, a.kind->agent);
      if (k > 0) {
        EXPECT_LE(execs[k - 1].ended_at, execs[k].started_at);
      }
    }
    std::string mode = a.expect->mode;
    by_mode[mode]++;
    if (mode == "crash") {
      EXPECT_EQ(execs[0].error_type, ErrorType::kCrash);
      EXPECT_TRUE(execs[0].term_signal.has_value());
    }
    if (mode == "hang") {
      EXPECT_EQ(t.error_type, ErrorType::kTimeoutError);
    }
    if (mode == "fail") {
      EXPECT_NE(t.error_message.find("fake failure"), std::string::npos);
    }
    if (mode == "fail-retryable") {
      EXPECT_EQ(t.error_type, ErrorType::kConnectionError);
    }
    if (mode == "artifacts") {
      std::vector<Artifact> arts;
      ASSERT_TRUE(Store()->ListArtifacts(a.id, &arts).ok());
      std::set<std::string> names;
      for (const auto& art : arts) {
        names.insert(fs::path(art.path).filename().string());
        EXPECT_EQ(art.sha256.size(), 64u);
        EXPECT_EQ(art.execution_id, execs[0].id);
        if (fs::path(art.path).filename() == "report.txt") {
          EXPECT_EQ(art.size, 15);
          // sha256("hello artifact\n")
          EXPECT_EQ(
              art.sha256,
              "51bc0fc1f19104fa6e89ce50be9aa1f57c3346c1ca51ab49f5f00e14ce8f8076");  // sha256sum of
                                                                                    // "hello
                                                                                    // artifact\n"
        }
      }
      EXPECT_TRUE(names.count("report.txt"));
      EXPECT_TRUE(names.count("data.bin"));
      EXPECT_TRUE(names.count("extra.txt"));
    }
    if (t.status == TaskStatus::kCompleted) {
      EXPECT_NE(t.completed_at, 0);
      EXPECT_TRUE(t.error_message.empty());
    }
  }
  EXPECT_EQ(service.Terminate(), 0);
  EXPECT_EQ(by_mode.size(), 8u);  // every distinct mode ran
}

// `taskexec prune` beside a running service: the finished history goes with
// its logs and work dirs, an archive keeps it, and the service runs on.
TEST_F(E2eTest, PruneRemovesFinishedHistoryBesideARunningService) {
  std::string config = WriteConfig(Options{});
  Service service(config, dir_ + "/service.log");
  service.Start();
  std::vector<std::string> ids;
  for (const char* mode : {"succeed", "artifacts", "fail", "succeed"})
    ids.push_back(AddTask(config, {"--title", std::string("Tidy the shelves fake-mode=") + mode}));
  ASSERT_TRUE(WaitFor([&] { return CountFinal() == 4; }, 120))
      << ReadFile(dir_ + "/service.log").substr(0, 4000);
  std::vector<std::string> logs;
  std::vector<std::string> work_dirs;
  for (const std::string& id : ids) {
    for (const SessionExecution& e : Executions(id)) {
      logs.push_back(e.log_path);
      work_dirs.push_back(dir_ + "/work/" + e.id);
    }
  }
  ASSERT_EQ(logs.size(), 4u);
  for (const std::string& f : logs) ASSERT_TRUE(fs::exists(f)) << f;
  for (const std::string& d : work_dirs) ASSERT_TRUE(fs::exists(d)) << d;

  CommandResult dry = Cli(config, {"prune", "--finished-before", "0s", "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("\"tasks\": 4"), std::string::npos) << dry.out;
  EXPECT_EQ(CountFinal(), 4);

  const std::string archive = dir_ + "/archive.jsonl";
  CommandResult r = Cli(config, {"prune", "--finished-before", "0s", "--archive", archive});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pruned 4 tasks"), std::string::npos) << r.out;
  EXPECT_EQ(CountFinal(), 0);
  for (const std::string& f : logs) EXPECT_FALSE(fs::exists(f)) << f;
  for (const std::string& d : work_dirs) EXPECT_FALSE(fs::exists(d)) << d;
  const std::string archived = ReadFile(archive);
  EXPECT_EQ(std::count(archived.begin(), archived.end(), '\n'), 4);
  for (const std::string& id : ids) EXPECT_NE(archived.find(id), std::string::npos) << id;
  CommandResult show = Cli(config, {"task", "show", ids[0]});
  EXPECT_EQ(show.exit_code, 1);

  const std::string next = AddTask(config, {"--title", "Tidy the shelves again"});
  ASSERT_TRUE(WaitFor([&] { return CountFinal() == 1; }, 120));
  Task t;
  ASSERT_TRUE(Store()->GetTask(next, &t).ok());
  EXPECT_EQ(t.status, TaskStatus::kCompleted);
  EXPECT_EQ(service.Terminate(), 0);
}

TEST_F(E2eTest, KillNineWhileTwentySessionsRunThenRestart) {
  Options o;
  o.max_concurrent = 20;
  o.timeout_seconds = 60;
  o.lease_seconds = 3;
  std::string config = WriteConfig(o);
  // Long enough that all twenty run at once even where each spawn is slow
  // (a sanitizer build on a loaded machine); the restarted service's
  // attempts are short.
  std::map<std::string, std::string> env = {{"FAKE_AGENT_SLEEP", "30"}};
  auto service = std::make_unique<Service>(config, dir_ + "/service1.log", env);
  service->Start();
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i)
    ids.push_back(
        AddTask(config, {"--title", "Long job " + std::to_string(i) + " fake-mode=slow"}));
  ASSERT_TRUE(WaitFor([&] { return CountIn({"in_progress"}) == 20; }, 120))
      << ReadFile(dir_ + "/service1.log").substr(0, 4000);

  // The claim starts an attempt before its process exists; its pid follows
  // within a second.
  std::vector<SessionExecution> first;
  ASSERT_TRUE(WaitFor(
      [&] {
        return Store()->ListActiveExecutions(&first).ok() && first.size() == 20 &&
               std::all_of(first.begin(), first.end(),
                           [](const SessionExecution& e) { return e.pid > 0; });
      },
      30));
  service->Kill9();

  env["FAKE_AGENT_SLEEP"] = "1";
  auto restarted = std::make_unique<Service>(config, dir_ + "/service2.log", env);
  restarted->Start();
  ASSERT_TRUE(WaitFor([&] { return CountIn({"completed"}) == 20; }, 300))
      << ReadFile(dir_ + "/service2.log").substr(0, 4000);

  for (const auto& id : ids) {
    SCOPED_TRACE(id);
    auto execs = Executions(id);
    ASSERT_GE(execs.size(), 2u);
    EXPECT_EQ(execs.front().status, ExecutionStatus::kLost);
    EXPECT_EQ(execs.back().status, ExecutionStatus::kCompleted);
    for (size_t k = 1; k < execs.size(); ++k) {
      EXPECT_NE(execs[k - 1].ended_at, 0);
      EXPECT_LE(execs[k - 1].ended_at, execs[k].started_at) << "attempts overlap";
    }
    Task t;
    ASSERT_TRUE(Store()->GetTask(id, &t).ok());
    EXPECT_GE(t.retry_count, 1);
  }
  // The first service's sessions did not run on: their process groups are gone.
  for (const auto& e : first) {
    EXPECT_TRUE(
        WaitFor([&] { return kill(static_cast<pid_t>(-e.pid), 0) == -1 && errno == ESRCH; }, 10))
        << "process group " << e.pid << " still alive";
  }
  EXPECT_EQ(restarted->Terminate(), 0);
}

// A service whose open-file limit cannot hold the sessions it is asked to
// run at once says so and runs as many as fit: with a hard limit of 280 and
// agents through the per-attempt supervisor (its channel, 1 descriptor each:
// the supervisor holds the workspace lock) that is (280 - 256) / 1 = 24 of
// max_concurrent = 40, never more, and the rest wait their turn instead of
// failing to spawn.
TEST_F(E2eTest, AServiceRunsNoMoreSessionsThanItsDescriptorsHold) {
  Options o;
  o.max_concurrent = 40;
  o.timeout_seconds = 60;
  const int port = FreePort();
  o.listen = "127.0.0.1:" + std::to_string(port);
  std::string config = WriteConfig(o);
  Service service(config, dir_ + "/service.log", {{"FAKE_AGENT_SLEEP", "2"}});
  service.SetPrefix({"prlimit", "--nofile=270:280"});
  service.Start();
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i)
    ids.push_back(AddTask(config, {"--title", "Job " + std::to_string(i) + " fake-mode=slow"}));
  size_t most = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        std::vector<SessionExecution> active;
        if (Store()->ListActiveExecutions(&active).ok()) most = std::max(most, active.size());
        return CountIn({"completed"}) == 30;
      },
      300))
      << CountFinal() << " of 30 final; log: " << ReadFile(dir_ + "/service.log").substr(0, 4000);
  EXPECT_EQ(most, 24u);
  const std::string log = ReadFile(dir_ + "/service.log");
  EXPECT_NE(log.find("open-file limit raised from 270 to 280"), std::string::npos) << log;
  EXPECT_NE(log.find("executor.max_concurrent = 40 needs about 296 open files, but this process "
                     "may open 280 (hard limit 280): at most 24 sessions run at once"),
            std::string::npos)
      << log;
  for (const std::string& id : ids) EXPECT_EQ(Executions(id).size(), 1u) << id;
  httplib::Client http("127.0.0.1", port);
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("\ntaskexec_session_limit 24\n"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("\ntaskexec_session_limit_configured 40\n"), std::string::npos);
  EXPECT_EQ(service.Terminate(), 0);

  // config check says the same before a start.
  CommandResult r = e2e::Run(
      {"prlimit", "--nofile=270:280", TaskexecBinary(), "--config", config, "config", "check"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("warning: executor.max_concurrent = 40 needs about 296 open files"),
            std::string::npos)
      << r.out;
}

// A service killed by SIGKILL that nobody restarts: its watchdog stops the
// attempts it was running, so none runs on unseen and unaccounted for.
TEST_F(E2eTest, AttemptsDieWithAServiceKilledByKillNine) {
  Options o;
  o.timeout_seconds = 300;
  std::string config = WriteConfig(o);
  auto service =
      std::make_unique<Service>(config, dir_ + "/service.log",
                                std::map<std::string, std::string>{{"FAKE_AGENT_SLEEP", "300"}});
  service->Start();
  AddTask(config, {"--title", "Long job one fake-mode=slow"});
  AddTask(config, {"--title", "Long job two fake-mode=slow"});
  ASSERT_TRUE(WaitFor([&] { return CountIn({"in_progress"}) == 2; }, 60))
      << ReadFile(dir_ + "/service.log");
  std::vector<SessionExecution> running;
  ASSERT_TRUE(Store()->ListActiveExecutions(&running).ok());
  ASSERT_EQ(running.size(), 2u);
  for (const auto& e : running) {
    ASSERT_TRUE(WaitFor([&] { return !ProcessesOfAttempt(e.id).empty(); }, 10)) << e.id;
  }
  service->Kill9();
  // SIGTERM at once, SIGKILL after agent.kill_grace_seconds (1 s).
  for (const auto& e : running) {
    EXPECT_TRUE(WaitFor([&] { return ProcessesOfAttempt(e.id).empty(); }, 15))
        << "attempt " << e.id << " runs on after its service died";
  }
}

// A service frozen (SIGSTOP) while its agent works cannot renew the lease:
// its watchdog stops the agent before that lease runs out, when another
// service could claim the task. Thawed, the service records the attempt
// lost (not failed, not "cancelled on request") and runs the task again.
TEST_F(E2eTest, AFrozenServicesAttemptIsStoppedBeforeItsLeaseRunsOut) {
  Options o;
  o.timeout_seconds = 300;
  std::string config = WriteConfig(o);
  Service service(config, dir_ + "/service.log", {{"FAKE_AGENT_GO_FILE", dir_ + "/go"}});
  service.Start();
  const std::string id = AddTask(config, {"--title", "Write the report fake-mode=wait-file"});
  ASSERT_TRUE(WaitFor(
      [&] {
        std::vector<SessionExecution> e = Executions(id);
        return e.size() == 1 && !ProcessesOfAttempt(e[0].id).empty();
      },
      60))
      << ReadFile(dir_ + "/service.log");
  const std::string first = Executions(id)[0].id;

  ASSERT_EQ(kill(service.pid(), SIGSTOP), 0);
  ASSERT_TRUE(WaitFor([&] { return ProcessesOfAttempt(first).empty(); }, 30))
      << "the agent of a frozen service runs on";
  const TimeMs gone_at = SystemClock::Default()->NowMs();
  Task t;
  ASSERT_TRUE(Store()->GetTask(id, &t).ok());
  // The lease as the frozen service last renewed it: nobody could claim the
  // task before the agent was gone.
  EXPECT_LT(gone_at, t.lease_expires_at);
  // Held still (frozen before or after it recorded the start).
  EXPECT_TRUE(t.status == TaskStatus::kAssigned || t.status == TaskStatus::kInProgress)
      << ToString(t.status);

  WriteFile(dir_ + "/go", "");  // the next attempt finishes at once
  ASSERT_EQ(kill(service.pid(), SIGCONT), 0);
  ASSERT_TRUE(WaitFor([&] { return CountIn({"completed"}) == 1; }, 60))
      << ReadFile(dir_ + "/service.log");
  std::vector<SessionExecution> executions = Executions(id);
  ASSERT_EQ(executions.size(), 2u);
  EXPECT_EQ(executions[0].status, ExecutionStatus::kLost);
  EXPECT_NE(executions[0].error.find("stopped by self-fencing"), std::string::npos)
      << executions[0].error;
  EXPECT_EQ(executions[1].status, ExecutionStatus::kCompleted);
  EXPECT_EQ(service.Terminate(), 0);
  const std::string log = ReadFile(dir_ + "/service.log");
  EXPECT_NE(log.find("were not renewed in time"), std::string::npos) << log;
}

// The agent finishes while its service is frozen, and the service is then
// killed without ever having seen that end. The per-attempt supervisor
// recorded it (runner/exit_record.h): the next service records what the
// agent did instead of running it a second time.
TEST_F(E2eTest, AnAgentThatEndedUnseenByItsServiceIsRecordedNotRunAgain) {
  Options o;
  o.timeout_seconds = 300;
  std::string config = WriteConfig(o);
  auto service = std::make_unique<Service>(
      config, dir_ + "/service.log",
      std::map<std::string, std::string>{{"FAKE_AGENT_GO_FILE", dir_ + "/go"}});
  service->Start();
  const std::string id = AddTask(config, {"--title", "Write the report fake-mode=wait-file"});
  // The agent itself at work, not only its supervisor.
  auto agent_runs = [&](const std::string& execution_id) {
    for (pid_t pid : ProcessesOfAttempt(execution_id)) {
      const std::string cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
      if (cmdline.find("fake_agent") != std::string::npos &&
          cmdline.find("taskexec-attempt") == std::string::npos)
        return true;
    }
    return false;
  };
  ASSERT_TRUE(WaitFor(
      [&] {
        std::vector<SessionExecution> e = Executions(id);
        return e.size() == 1 && agent_runs(e[0].id);
      },
      60))
      << ReadFile(dir_ + "/service.log");
  const std::string first = Executions(id)[0].id;

  ASSERT_EQ(kill(service->pid(), SIGSTOP), 0);
  WriteFile(dir_ + "/go", "");  // the agent finishes; its service cannot see it
  const std::string record = ExitRecordPath(dir_ + "/logs/" + first + ".log");
  ASSERT_TRUE(WaitFor([&] { return fs::exists(record); }, 30)) << "no exit record " << record;
  service->Kill9();

  Service next(config, dir_ + "/next.log");
  next.Start();
  ASSERT_TRUE(WaitFor([&] { return CountIn({"completed"}) == 1; }, 60))
      << ReadFile(dir_ + "/next.log");
  std::vector<SessionExecution> executions = Executions(id);
  ASSERT_EQ(executions.size(), 1u);  // the agent ran once
  EXPECT_EQ(executions[0].status, ExecutionStatus::kCompleted);
  EXPECT_EQ(executions[0].summary, "fake agent finished " + id);
  EXPECT_EQ(next.Terminate(), 0);
  const std::string log = ReadFile(dir_ + "/next.log");
  EXPECT_NE(log.find("while its service was down; its kept outcome is recorded"), std::string::npos)
      << log;
  EXPECT_FALSE(fs::exists(record));  // gone with the outcome's landing
}

// True once `pid` has exited (a zombie nobody reaps counts as gone).
bool ProcessGone(long pid) {
  const std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  const size_t state = status.find("State:");
  return state == std::string::npos || status.find('Z', state) == state + 7;
}

// A process that left its attempt's group and shed the marker is found by
// the watchdog in the attempt's cgroup v2 scope (runner/attempt_cgroup.h).
TEST_F(E2eTest, WhatLeftTheGroupDiesWithAServiceKilledByKillNine) {
  std::string why;
  if (AttemptCgroups::Detect(&why) == nullptr) GTEST_SKIP() << "no cgroup v2 scope: " << why;
  Options o;
  o.timeout_seconds = 300;
  std::string config = WriteConfig(o);
  auto service = std::make_unique<Service>(config, dir_ + "/service.log");
  service->Start();
  AddTask(config, {"--title", "Detaching job fake-mode=escape"});
  ASSERT_TRUE(WaitFor([&] { return CountIn({"in_progress"}) == 1; }, 60))
      << ReadFile(dir_ + "/service.log");
  std::vector<SessionExecution> running;
  ASSERT_TRUE(Store()->ListActiveExecutions(&running).ok());
  ASSERT_EQ(running.size(), 1u);
  // The agent's cwd: the task's workspace.
  const std::string pid_file = dir_ + "/work/" + running[0].task_id + "/escapee.pid";
  long escapee = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        const std::string text = ReadFile(pid_file);
        if (text.empty() || text.back() != '\n') return false;
        escapee = std::stol(text);
        return true;
      },
      30));
  ASSERT_FALSE(ProcessGone(escapee));
  service->Kill9();
  EXPECT_TRUE(WaitFor([&] { return ProcessGone(escapee); }, 15))
      << "the detached child " << escapee << " outlived its service";
}

TEST_F(E2eTest, TwoServicesShareTwoThousandTasksAndRunEachOnce) {
  Options o;
  o.command = "[\"/bin/true\"]";
  std::string config = WriteConfig(o);
  Service a(config, dir_ + "/a.log"), b(config, dir_ + "/b.log");
  a.Start();
  b.Start();
  // Tasks written straight to the shared file, as another tool would.
  const TimeMs now = SystemClock::Default()->NowMs();
  for (int i = 0; i < 2000; ++i) {
    NewTask nt;
    nt.title = "shared task " + std::to_string(i);
    Task t;
    ASSERT_TRUE(Store()->AddTask(nt, now, &t).ok());
  }
  ASSERT_TRUE(WaitFor([&] { return CountIn({"completed"}) == 2000; }, 600))
      << CountIn({"completed"}) << "\n"
      << ReadFile(dir_ + "/a.log").substr(0, 3000);
  std::vector<Task> tasks;
  ASSERT_TRUE(Store()->ListTasks(TaskFilter{}, &tasks).ok());
  ASSERT_EQ(tasks.size(), 2000u);
  std::set<std::string> executors;
  for (const Task& t : tasks) {
    auto execs = Executions(t.id);
    ASSERT_EQ(execs.size(), 1u) << t.id << " ran " << execs.size() << " times";
    EXPECT_EQ(execs[0].status, ExecutionStatus::kCompleted);
    executors.insert(execs[0].executor_id);
  }
  EXPECT_EQ(executors.size(), 2u) << "both services should have taken part";
  EXPECT_EQ(a.Terminate(), 0);
  EXPECT_EQ(b.Terminate(), 0);
}

// agent.stall_seconds through the real service: an agent that says one
// line and then nothing is stopped long before its timeout, recorded as
// stalled with when it last spoke, and `task show` says so.
TEST_F(E2eTest, ASilentAgentIsStoppedAsStalled) {
  Options o;
  o.timeout_seconds = 600;
  o.max_retries = 0;
  const std::string config = WriteConfig(o);
  Service service(config, dir_ + "/service.log", {{"TASKEXEC_AGENT_STALL_SECONDS", "1"}});
  service.Start();
  const std::string id = AddTask(config, {"--title", "Tidy the shelves fake-mode=hang"});
  ASSERT_TRUE(WaitFor([&] { return CountFinal() == 1; }, 120))
      << ReadFile(dir_ + "/service.log").substr(0, 4000);
  Task t;
  ASSERT_TRUE(Store()->GetTask(id, &t).ok());
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error_type, ErrorType::kStalled) << t.error_message;
  const std::vector<SessionExecution> execs = Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].status, ExecutionStatus::kTimedOut);
  EXPECT_GE(execs[0].last_output_at, execs[0].started_at);
  EXPECT_LT(execs[0].last_output_at, execs[0].ended_at);
  EXPECT_LT(execs[0].ended_at - execs[0].started_at, 300'000);  // not the 600 s timeout
  CommandResult show = Cli(config, {"task", "show", id});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("LAST OUTPUT"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("stalled: no output on stdout or stderr"), std::string::npos) << show.out;
  EXPECT_EQ(service.Terminate(), 0);
}

// TASK_NEEDS_INPUT through the real service and CLI: the task waits with
// the question, `task reply` answers it, and the next attempt is told the
// answer in its prompt and completes.
TEST_F(E2eTest, AnAgentsQuestionIsAnsweredWithTaskReply) {
  const std::string config = WriteConfig(Options{});
  Service service(config, dir_ + "/service.log");
  service.Start();
  const std::string id = AddTask(config, {"--title", "Paint the shelves fake-mode=ask"});
  ASSERT_TRUE(WaitFor(
      [&] {
        Task t;
        return Store()->GetTask(id, &t).ok() && t.status == TaskStatus::kNeedsInput;
      },
      120))
      << ReadFile(dir_ + "/service.log").substr(0, 4000);
  CommandResult show = Cli(config, {"task", "show", id});
  EXPECT_NE(show.out.find("Question:\nWhich colour should the shelves be?\n"), std::string::npos)
      << show.out;
  EXPECT_NE(show.out.find("taskexec task reply " + id), std::string::npos) << show.out;

  CommandResult bad = Cli(config, {"task", "reply", id});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("--message"), std::string::npos) << bad.err;
  CommandResult reply = Cli(config, {"task", "reply", id, "--message", "sea blue"});
  ASSERT_EQ(reply.exit_code, 0) << reply.err;
  EXPECT_NE(reply.out.find("answered"), std::string::npos) << reply.out;
  ASSERT_TRUE(WaitFor([&] { return CountFinal() == 1; }, 120))
      << ReadFile(dir_ + "/service.log").substr(0, 4000);
  Task t;
  ASSERT_TRUE(Store()->GetTask(id, &t).ok());
  EXPECT_EQ(t.status, TaskStatus::kCompleted);
  EXPECT_EQ(t.output_summary, "told sea blue");
  EXPECT_EQ(t.retry_count, 0);
  // Both are attempt 1 (an answer spends no retry): in the order they ran.
  std::vector<SessionExecution> execs;
  ASSERT_TRUE(Store()->ListExecutions(id, &execs).ok());
  std::sort(execs.begin(), execs.end(),
            [](const auto& a, const auto& b) { return a.started_at < b.started_at; });
  ASSERT_EQ(execs.size(), 2u);
  EXPECT_EQ(execs[0].status, ExecutionStatus::kNeedsInput);
  EXPECT_EQ(execs[0].summary, "Which colour should the shelves be?");
  EXPECT_EQ(execs[1].status, ExecutionStatus::kCompleted);
  CommandResult again = Cli(config, {"task", "reply", id, "--message", "red"});
  EXPECT_EQ(again.exit_code, 1);  // it waits for no answer now
  EXPECT_NE(again.err.find("not waiting for an answer"), std::string::npos) << again.err;
  EXPECT_EQ(service.Terminate(), 0);
}

// `config check` finds the agent program on the agent's PATH and asks it for
// its version, so a missing CLI is found before the first task fails.
TEST_F(E2eTest, ConfigCheckRunsTheAgentProgram) {
  const std::string bin = dir_ + "/bin";
  WriteFile(bin + "/openclaw", "#!/bin/sh\necho 'OpenClaw 2026.9.6 (eb377ac)'\n");
  fs::permissions(bin + "/openclaw", fs::perms::owner_all);
  const std::map<std::string, std::string> env = {{"PATH", bin + ":/usr/bin:/bin"}};
  auto check = [&](const std::string& agent_toml) {
    const std::string config = dir_ + "/check.toml";
    WriteFile(config, "[store]\ndb_path = \"" + dir_ + "/check.db\"\n[agent]\n" + agent_toml);
    return e2e::Run({TaskexecBinary(), "--config", config, "config", "check"}, env);
  };

  CommandResult r = check("command = [\"no-such-agent-program\", \"{prompt}\"]\n");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("'no-such-agent-program' not found in PATH"), std::string::npos) << r.err;

  // The seed preset's `openclaw sessions_spawn` is not a real OpenClaw command.
  r = check("preset = \"seed\"\n");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("no sessions_spawn subcommand"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("openclaw-exec"), std::string::npos) << r.err;

  r = check("preset = \"openclaw-exec\"\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("agent program: " + bin + "/openclaw (OpenClaw 2026.9.6 (eb377ac))"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("agent.stall_seconds"), std::string::npos) << r.out;  // 600 > 300
  // The per-attempt supervisor, beside the binary (runner/exit_record.h).
  EXPECT_NE(r.out.find("attempt supervisor: " +
                       fs::canonical(fs::path(TaskexecBinary()).parent_path()).string() +
                       "/taskexec-attempt\n"),
            std::string::npos)
      << r.out;

  // OpenClaw prints its --json result only when the turn ends: a stall limit
  // below the timeout would stop every longer turn.
  r = check("preset = \"openclaw-exec\"\ntimeout_seconds = 3600\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("warning: agent.stall_seconds = 600 is below agent.timeout_seconds = 3600"),
            std::string::npos)
      << r.out;
  r = check("preset = \"openclaw-exec\"\ntimeout_seconds = 3600\nstall_seconds = 0\n");
  EXPECT_EQ(r.out.find("agent.stall_seconds"), std::string::npos) << r.out;

  // The folders attempts write to: made where they can be, refused where not.
  const std::string fine = "preset = \"openclaw-exec\"\nwork_dir = \"" + dir_ +
                           "/new/work\"\nlog_dir = \"" + dir_ + "/new/logs\"\n";
  r = check(fine);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("agent.work_dir: " + dir_ + "/new/work writable"), std::string::npos)
      << r.out;
  EXPECT_FALSE(fs::exists(dir_ + "/new")) << "the check makes nothing";
  WriteFile(dir_ + "/a-file", "x");
  r = check("preset = \"openclaw-exec\"\nwork_dir = \"" + dir_ + "/a-file/work\"\n");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("agent.work_dir: " + dir_ + "/a-file/work cannot be a directory: " + dir_ +
                       "/a-file is a file"),
            std::string::npos)
      << r.err;
  // Not even root writes in /proc.
  r = check("preset = \"openclaw-exec\"\nlog_dir = \"/proc/taskexec-logs\"\n");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("agent.log_dir: cannot write in /proc (to make /proc/taskexec-logs)"),
            std::string::npos)
      << r.err;
}

// The `openclaw` preset needs a Gateway: `config check` asks `openclaw health
// --json`, answered here as OpenClaw 2026.9.6 answers without a Gateway (and,
// second, as it answers with one).
TEST_F(E2eTest, ConfigCheckProbesTheGatewayForTheGatewayPreset) {
  const std::string bin = dir_ + "/bin";
  const std::string answer = dir_ + "/health.json";
  // `health --json` prints the answer file and exits 1 unless it says ok.
  WriteFile(bin + "/openclaw", "#!/bin/sh\nif [ \"$1\" = health ]; then cat " + answer +
                                   "; grep -q '\"ok\": true' " + answer +
                                   "; exit $?; fi\necho 'OpenClaw 2026.9.6 (eb377ac)'\n");
  fs::permissions(bin + "/openclaw", fs::perms::owner_all);
  const std::map<std::string, std::string> env = {{"PATH", bin + ":/usr/bin:/bin"}};
  const std::string config = dir_ + "/check.toml";
  WriteFile(config,
            "[store]\ndb_path = \"" + dir_ + "/check.db\"\n[agent]\npreset = \"openclaw\"\n");

  WriteFile(answer, R"J({"ok": false, "error": {"type": "gateway_credentials_required",
 "message": "gateway health requires credentials before opening a websocket\nFix: configure gateway.auth token/password"}})J");
  CommandResult r = e2e::Run({TaskexecBinary(), "--config", config, "config", "check"}, env);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("OpenClaw Gateway"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gateway health requires credentials"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("openclaw-local"), std::string::npos) << r.err;

  WriteFile(answer, R"({"ok": true, "ts": 1, "durationMs": 3})");
  r = e2e::Run({TaskexecBinary(), "--config", config, "config", "check"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("OpenClaw Gateway: reachable"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("warning:"), std::string::npos) << r.out;

  // Without a grace the CLI cannot abort the Gateway's turn: said, not refused.
  WriteFile(config, "[store]\ndb_path = \"" + dir_ +
                        "/check.db\"\n[agent]\npreset = \"openclaw\"\nkill_grace_seconds = 0\n");
  r = e2e::Run({TaskexecBinary(), "--config", config, "config", "check"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("warning: agent.kill_grace_seconds = 0"), std::string::npos) << r.out;
}

// Commands that only read leave an empty folder empty; the first write
// makes the store; scripts get exit codes they can act on.
TEST_F(E2eTest, ReadingNeverCreatesAStoreAndScriptsGetExitCodes) {
  const std::string empty = dir_ + "/empty";
  fs::create_directories(empty);
  const std::string db = empty + "/taskexec.db";
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"tasks"},
                                             {"status"},
                                             {"task", "show", "task-x"},
                                             {"logs", "--task", "task-x"},
                                             {"task", "wait", "task-x"},
                                             {"agents"},
                                             {"workspace", "list"}}) {
    std::vector<std::string> argv = {TaskexecBinary(), "--db", db};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = e2e::Run(argv);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_NE(r.err.find("no task store at " + db), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(db)) << args[0] << " created the store";
  }
  CommandResult r = e2e::Run({TaskexecBinary(), "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("taskexec ", 0), 0u) << r.out;
  r = e2e::Run({TaskexecBinary(), "--db", db, "tsaks"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command \"tsaks\""), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(db));

  r = e2e::Run({TaskexecBinary(), "--db", db, "task", "add", "--title", "first"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(db));
  const std::string id = r.out.substr(0, r.out.find('\n'));
  r = e2e::Run({TaskexecBinary(), "--db", db, "tasks"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // No service runs here: the task stays pending and the wait times out.
  r = e2e::Run({TaskexecBinary(), "--db", db, "task", "wait", id, "--timeout", "1"});
  EXPECT_EQ(r.exit_code, 124) << r.err;
  EXPECT_NE(r.err.find("timed out after 1 s waiting for " + id), std::string::npos) << r.err;
}

TEST_F(E2eTest, BadInputIsRefusedClearlyAndLosesNothing) {
  std::string config = WriteConfig(Options{});

  // Malformed config: refused with the key, the value and what is allowed.
  std::string bad = dir_ + "/bad.toml";
  WriteFile(bad, "[executor]\nmax_retries = -1\n");
  CommandResult r = Cli(bad, {"config", "check"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("executor.max_retries"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("-1"), std::string::npos) << r.err;
  WriteFile(bad, "[executor\nmax_retries = 3\n");
  r = Cli(bad, {"config", "check"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(r.err.empty());

  // Unknown agent, unknown ids, unknown status.
  r = Cli(config, {"task", "add", "--title", "x", "--agent", "nobody"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("nobody"), std::string::npos) << r.err;
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"task", "show", "task-nope"},
                                             {"execute", "task-nope"},
                                             {"cancel", "task-nope"},
                                             {"logs", "exec-nope"}}) {
    r = Cli(config, args);
    EXPECT_NE(r.exit_code, 0) << args[0];
    EXPECT_NE(r.err.find("nope"), std::string::npos) << r.err;
  }
  r = Cli(config, {"tasks", "--status", "bogus"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("bogus"), std::string::npos) << r.err;
  r = Cli(config, {"task", "add", "--title", "   "});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("title"), std::string::npos) << r.err;

  Service service(config, dir_ + "/service.log");
  service.Start();

  // Hostile text reaches the agent's argv byte for byte.
  std::string nasty =
      "quotes ' \" \\ newline\nline2 $(touch /tmp/pwned_by_taskexec_e2e) `id` ; | & > <";
  nasty += std::string("\xff\xfe invalid utf8 \xc3\x28");
  std::string echo_id =
      AddTask(config, {"--title", "Echo fake-mode=echo-argv", "--description", nasty});
  // A 1 MB description cannot go through argv in the seed template: refused clearly.
  std::string big(1024 * 1024, 'x');
  std::string big_file = dir_ + "/big.txt";
  WriteFile(big_file, big);
  std::string big_id = AddTask(config, {"--title", "Big one", "--description-file", big_file});
  std::string after_id = AddTask(config, {"--title", "After the big one fake-mode=succeed"});

  ASSERT_TRUE(WaitFor(
      [&] {
        Task a, b, c;
        Store()->GetTask(echo_id, &a);
        Store()->GetTask(big_id, &b);
        Store()->GetTask(after_id, &c);
        return IsTerminal(a.status) && IsTerminal(b.status) && IsTerminal(c.status);
      },
      120));

  Task echo, bigt, after;
  ASSERT_TRUE(Store()->GetTask(echo_id, &echo).ok());
  ASSERT_TRUE(Store()->GetTask(big_id, &bigt).ok());
  ASSERT_TRUE(Store()->GetTask(after_id, &after).ok());
  EXPECT_EQ(echo.description, nasty);  // stored byte for byte
  EXPECT_EQ(echo.status, TaskStatus::kCompleted) << echo.error_message;
  std::vector<Artifact> arts;
  ASSERT_TRUE(Store()->ListArtifacts(echo_id, &arts).ok());
  std::string argv_bin;
  for (const auto& a : arts)
    if (fs::path(a.path).filename() == "argv.bin") argv_bin = ReadFile(a.path);
  ASSERT_FALSE(argv_bin.empty());
  EXPECT_NE(argv_bin.find(nasty), std::string::npos) << "the prompt argument lost bytes";
  EXPECT_FALSE(fs::exists("/tmp/pwned_by_taskexec_e2e"));

  EXPECT_EQ(bigt.description.size(), big.size());
  EXPECT_EQ(bigt.status, TaskStatus::kFailed);
  EXPECT_NE(bigt.error_message.find("prompt_file"), std::string::npos) << bigt.error_message;
  EXPECT_EQ(after.status, TaskStatus::kCompleted);
  EXPECT_EQ(service.Terminate(), 0);
}

}  // namespace
}  // namespace taskexec::e2e
