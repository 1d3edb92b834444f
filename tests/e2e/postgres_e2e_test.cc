// The real binary on the PostgreSQL store, against a throwaway server
// (tests/store/pg_server.h): `config check` and `config show` keep the
// password out of sight, two services share one board and run each task
// once, and a server restart in the middle of a run loses nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "e2e/e2e_util.h"
#include "store/pg_test_server.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/pg_store.h"

namespace taskexec::e2e {
namespace {

namespace fs = std::filesystem;
using store_test::PgServer;

PgServer* Server() { return store_test::TestPgServer(); }

class PostgresE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("pg-e2e");
    ASSERT_NE(Server(), nullptr);
    ASSERT_TRUE(Server()->FreshSchema(&conninfo_).ok());
  }
  void TearDown() override {
    store_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // A service configuration on conninfo_ whose agent is `command` (a TOML
  // array).
  std::string WriteConfig(
      const std::string& command, int lease_seconds = 30,
      const std::string& polls = "poll_interval_seconds = 1\nstore_poll_ms = 100",
      const std::string& postgres = "") {
    const std::string path = dir_ + "/taskexec.toml";
    WriteFile(path, "[store]\nbackend = \"postgres\"\n\n[postgres]\nurl = \"" + conninfo_ + "\"\n" +
                        postgres + "\n[executor]\nmax_retries = 2\nretry_delay_seconds = 0\n" +
                        polls + "\nlease_seconds = " + std::to_string(lease_seconds) +
                        "\nmax_concurrent = 8\nper_agent_limit = 8\nshutdown_grace_seconds = 2\n\n"
                        "[agent]\ncommand = " +
                        command + "\npass_env = [\"FAKE_AGENT_*\"]\nwork_dir = \"" + dir_ +
                        "/work\"\nlog_dir = \"" + dir_ +
                        "/logs\"\ntimeout_seconds = 30\nkill_grace_seconds = 1\n\n[server]\n"
                        "listen = \"\"\n");
    return path;
  }

  PgStore* Store() {
    if (!store_) {
      PgStoreOptions o;
      o.connect.conninfo = conninfo_;
      Status s = PgStore::Open(o, &store_);
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    return store_.get();
  }

  int64_t Count(const char* status) {
    StoreStats st;
    EXPECT_TRUE(Store()->GetStats(&st).ok());
    return st.by_status[status];
  }

  void AddTasks(int n) {
    const TimeMs now = SystemClock::Default()->NowMs();
    std::vector<NewTask> tasks(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
      tasks[static_cast<size_t>(i)].title = "pg task " + std::to_string(i);
    std::vector<Status> results;
    ASSERT_TRUE(Store()->AddTasks(tasks, now, &results).ok());
    for (const Status& r : results) ASSERT_TRUE(r.ok()) << r.ToString();
  }

  // Every task completed by exactly one attempt; the executors that ran
  // them. With `unstarted_releases`, a task may also have claims whose
  // answer the store lost while it was down: released, never started.
  std::set<std::string> ExpectEachRanOnce(size_t n, bool unstarted_releases = false) {
    std::vector<Task> tasks;
    EXPECT_TRUE(Store()->ListTasks(TaskFilter{}, &tasks).ok());
    EXPECT_EQ(tasks.size(), n);
    std::set<std::string> executors;
    for (const Task& t : tasks) {
      std::vector<SessionExecution> execs;
      EXPECT_TRUE(Store()->ListExecutions(t.id, &execs).ok());
      EXPECT_EQ(t.status, TaskStatus::kCompleted) << t.id;
      int ran = 0;
      for (const SessionExecution& e : execs) {
        if (unstarted_releases && e.error_type == ErrorType::kReleased &&
            e.error.find("never started") != std::string::npos) {
          continue;
        }
        ++ran;
        EXPECT_EQ(e.status, ExecutionStatus::kCompleted) << t.id << ": " << e.error;
        executors.insert(e.executor_id);
      }
      EXPECT_EQ(ran, 1) << t.id << " ran " << ran << " times";
    }
    return executors;
  }

  std::string dir_;
  std::string conninfo_;
  std::unique_ptr<PgStore> store_;
};

TEST_F(PostgresE2eTest, ConfigCheckProbesTheServerAndNeverShowsThePassword) {
  // A role that must give its password (pg_server.h), owning a schema.
  {
    pg::ConnectParams admin_params;
    admin_params.conninfo = Server()->ConnInfo();
    std::unique_ptr<pg::Connection> admin;
    ASSERT_TRUE(pg::Connection::Open(admin_params, &admin).ok());
    ASSERT_TRUE(
        admin
            ->Exec(std::string("DROP SCHEMA IF EXISTS owned CASCADE; DROP ROLE IF EXISTS ") +
                   store_test::kPasswordRole + "; CREATE ROLE " + store_test::kPasswordRole +
                   " LOGIN PASSWORD 'pw-e2e-7'; CREATE SCHEMA owned AUTHORIZATION " +
                   store_test::kPasswordRole)
            .ok());
  }
  const std::string url = "postgresql://" + std::string(store_test::kPasswordRole) +
                          ":pw-e2e-7@/postgres?host=" + Server()->dir() +
                          "&port=5432&options=-csearch_path%3Downed";
  // The URL comes from the environment, as a deployment's secret would.
  const std::string config = dir_ + "/check.toml";
  // pass_env asks for every TASKEXEC_* variable: the URL is still withheld.
  WriteFile(config,
            "[store]\nbackend = \"postgres\"\n[agent]\ncommand = [\"/bin/echo\", "
            "\"{prompt}\"]\npass_env = [\"TASKEXEC_*\"]\nwork_dir = \"" +
                dir_ + "/work\"\nlog_dir = \"" + dir_ + "/logs\"\n");
  const std::map<std::string, std::string> env = {{"TASKEXEC_POSTGRES_URL", url}};
  CommandResult r = e2e::Run({TaskexecBinary(), "--config", config, "config", "check"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("store: postgres ok (0 tasks)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("postgres: PostgreSQL "), std::string::npos) << r.out;
  const std::string latest = std::to_string(pg::LatestSchemaVersion());
  EXPECT_NE(r.out.find("schema version " + latest + " of " + latest), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("postgresql://secretive:***@/postgres"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("TASKEXEC_POSTGRES_URL"), std::string::npos)
      << "the variable is withheld from agents: " << r.out;
  EXPECT_EQ((r.out + r.err).find("pw-e2e-7"), std::string::npos) << r.out << r.err;
  r = e2e::Run({TaskexecBinary(), "--config", config, "config", "show"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ((r.out + r.err).find("pw-e2e-7"), std::string::npos) << r.out;
  r = e2e::Run({TaskexecBinary(), "--config", config, "schema", "apply"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("schema: ok (postgres schema version " + latest), std::string::npos)
      << r.out;

  // A wrong password: a clear error, within the connect timeout, without
  // the password.
  std::string bad_url = url;
  bad_url.replace(bad_url.find("pw-e2e-7"), 8, "pw-bad-99");
  r = e2e::Run({TaskexecBinary(), "--config", config, "tasks"},
               {{"TASKEXEC_POSTGRES_URL", bad_url}});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("password authentication failed"), std::string::npos) << r.err;
  EXPECT_EQ((r.out + r.err).find("pw-bad-99"), std::string::npos) << r.err;
}

TEST_F(PostgresE2eTest, TwoServicesShareFiveHundredTasksAndRunEachOnce) {
  const std::string config = WriteConfig("[\"/bin/true\"]");
  Service a(config, dir_ + "/a.log"), b(config, dir_ + "/b.log");
  a.Start();
  b.Start();
  AddTasks(500);
  ASSERT_TRUE(WaitFor([&] { return Count("completed") == 500; }, 600))
      << Count("completed") << "\n"
      << ReadFile(dir_ + "/a.log").substr(0, 3000);
  EXPECT_EQ(ExpectEachRanOnce(500).size(), 2u) << "both services should have taken part\n"
                                               << ReadFile(dir_ + "/a.log").substr(0, 3000) << "\n"
                                               << ReadFile(dir_ + "/b.log").substr(0, 3000);
  EXPECT_EQ(a.Terminate(), 0);
  EXPECT_EQ(b.Terminate(), 0);
}

// With its polls an hour apart, an idle service still starts a task another
// process added at once: the store pushes the change (LISTEN/NOTIFY).
TEST_F(PostgresE2eTest, AnIdleServiceStartsATaskAddedElsewhereWithoutWaitingForItsPoll) {
  const std::string config =
      WriteConfig("[\"/bin/true\"]", 3600, "poll_interval_seconds = 3600\nstore_poll_ms = 3600000");
  Service a(config, dir_ + "/a.log");
  a.Start();
  ASSERT_TRUE(WaitFor(
      [&] { return ReadFile(dir_ + "/a.log").find("taskexec running") != std::string::npos; }, 60));
  for (int round = 0; round < 3; ++round) {
    AddTasks(1);
    // Far below the hour the polls would take.
    ASSERT_TRUE(WaitFor([&] { return Count("completed") == round + 1; }, 30))
        << "round " << round << "\n"
        << ReadFile(dir_ + "/a.log");
  }
  EXPECT_EQ(a.Terminate(), 0);
}

// The server stopped the way a crash stops it, with sessions running and
// outcomes being written, then started again: the services reconnect by
// themselves, no outcome is lost or written twice, no task stays claimed.
TEST_F(PostgresE2eTest, AServerRestartInTheMiddleOfARunLosesNothing) {
  const std::string config = WriteConfig(
      "[\"" + SourceDir() + "/tests/fakes/fake_agent.sh\", \"--prompt\", \"{prompt}\"]");
  const std::map<std::string, std::string> slow = {{"FAKE_AGENT_MODE", "slow"},
                                                   {"FAKE_AGENT_SLEEP", "0.05"}};
  Service a(config, dir_ + "/a.log", slow);
  Service b(config, dir_ + "/b.log", slow);
  a.Start();
  b.Start();
  AddTasks(300);
  ASSERT_TRUE(WaitFor([&] { return Count("completed") >= 60; }, 300)) << Count("completed");
  store_.reset();  // its connections die with the server anyway
  const int64_t before = Count("completed");
  ASSERT_TRUE(Server()->Stop(/*immediate=*/true).ok());
  ASSERT_TRUE(Server()->StartAgain().ok());
  EXPECT_LT(before, 300) << "the run ended before the server stopped: nothing was tested";
  ASSERT_TRUE(WaitFor([&] { return Count("completed") == 300; }, 600))
      << Count("completed") << "\n"
      << ReadFile(dir_ + "/a.log").substr(0, 4000);
  // A claim whose COMMIT answer the crash cut off is looked up when the
  // server is back; should the lookup fail too, the claim is released,
  // never started, and its task still runs once.
  ExpectEachRanOnce(300, /*unstarted_releases=*/true);
  EXPECT_EQ(Count("in_progress"), 0);
  EXPECT_EQ(a.Terminate(), 0);
  EXPECT_EQ(b.Terminate(), 0);
}

// The server down for many times the store's retry time, with sessions
// running: the services stop claiming, keep the outcomes of the sessions
// that end meanwhile, and when the server is back write each one once:
// every task completed by one attempt, none left claimed.
TEST_F(PostgresE2eTest, AnOutageLongerThanTheRetriesLosesNothing) {
  const std::string config =
      WriteConfig("[\"" + SourceDir() + "/tests/fakes/fake_agent.sh\", \"--prompt\", \"{prompt}\"]",
                  30, "poll_interval_seconds = 1\nstore_poll_ms = 100", "retry_seconds = 1\n");
  const std::map<std::string, std::string> slow = {{"FAKE_AGENT_MODE", "slow"},
                                                   {"FAKE_AGENT_SLEEP", "0.3"}};
  Service a(config, dir_ + "/a.log", slow);
  Service b(config, dir_ + "/b.log", slow);
  a.Start();
  b.Start();
  AddTasks(100);
  ASSERT_TRUE(WaitFor([&] { return Count("completed") >= 20; }, 300)) << Count("completed");
  const int64_t before = Count("completed");
  store_.reset();  // the test's own connections would only die with the server
  ASSERT_TRUE(Server()->Stop(/*immediate=*/true).ok());
  // Down until both services have given up retrying: each has held its
  // intake and kept an outcome it could not write.
  auto gave_up = [&](const std::string& log) {
    const std::string text = ReadFile(log);
    return text.find("refusing new work") != std::string::npos &&
           text.find("kept and written again") != std::string::npos;
  };
  const bool both_gave_up =
      WaitFor([&] { return gave_up(dir_ + "/a.log") && gave_up(dir_ + "/b.log"); }, 120);
  ASSERT_TRUE(Server()->StartAgain().ok());
  ASSERT_TRUE(both_gave_up) << ReadFile(dir_ + "/a.log").substr(0, 4000);
  EXPECT_LT(before, 100) << "the run ended before the server stopped: nothing was tested";
  ASSERT_TRUE(WaitFor([&] { return Count("completed") == 100; }, 600))
      << Count("completed") << "\n"
      << ReadFile(dir_ + "/a.log").substr(0, 4000);
  // A claim committed just as the server went down got no answer: it is
  // released, never started, and the task runs once.
  ExpectEachRanOnce(100, /*unstarted_releases=*/true);
  EXPECT_EQ(Count("in_progress"), 0);
  EXPECT_NE(ReadFile(dir_ + "/a.log").find("taking new work again"), std::string::npos);
  EXPECT_EQ(a.Terminate(), 0);
  EXPECT_EQ(b.Terminate(), 0);
}

}  // namespace
}  // namespace taskexec::e2e
