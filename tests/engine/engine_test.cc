// Engine tests over the real SQLite store and real child processes. The
// agent is a small script written by the fixture whose behaviour is chosen
// by the task title; waits poll the store against generous deadlines.
#include "engine/engine.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "engine/engine_service.h"
#include "runner/outcome_file.h"
#include "store/sqlite/sqlite_store.h"

namespace taskexec {
namespace {

namespace fs = std::filesystem;

// Modes by the first word of the title.
constexpr const char* kAgentScript = R"SH(#!/bin/sh
mode="$1"
case "$mode" in
  ok*) echo "working on $TASKEXEC_TASK_ID"; echo "TASK_COMPLETE: did $mode"; exit 0 ;;
  retryable*) echo "TASK_FAILED: connection error talking to the API"; exit 1 ;;
  fatal*) echo "TASK_FAILED: syntax error in input"; exit 1 ;;
  sleep*) sleep "${mode#sleep}"; echo "TASK_COMPLETE: slept"; exit 0 ;;
  hang*) echo $$ > "$TASKEXEC_ARTIFACTS_DIR/pid"; sleep 600 & wait; exit 0 ;;
  flaky*) f="$FLAKY_DIR/$TASKEXEC_TASK_ID"; if [ -e "$f" ]; then echo "TASK_COMPLETE: second try"; exit 0; fi
          : > "$f"; echo "TASK_FAILED: timeout talking to the API"; exit 1 ;;
  *) echo "unknown mode $mode"; exit 3 ;;
esac
)SH";

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("engine_test_" + std::to_string(getpid()) + "_" + std::to_string(counter_++));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "flaky");
    script_ = (dir_ / "agent.sh").string();
    std::ofstream(script_) << kAgentScript;
    chmod(script_.c_str(), 0755);
    config_.agent.env["FLAKY_DIR"] = (dir_ / "flaky").string();
    config_.store.db_path = (dir_ / "tasks.db").string();
    config_.agent.command = {script_, "{title}"};
    config_.agent.work_dir = (dir_ / "work").string();
    config_.agent.log_dir = (dir_ / "logs").string();
    config_.agent.timeout_seconds = 60;
    config_.agent.kill_grace_seconds = 2;
    config_.executor.retry_delay_seconds = 0;
    config_.executor.retry_jitter = 0;
    config_.executor.max_retries = 2;
    config_.executor.store_poll_ms = 100;
    config_.executor.lease_seconds = 30;
    config_.executor.shutdown_grace_seconds = 5;
  }

  void TearDown() override {
    engine_service_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  void Open() {
    ASSERT_TRUE(SqliteStore::Open(config_.store.db_path, config_.store, &store_).ok());
  }

  void StartService() {
    if (!store_) Open();
    engine_service_ = std::make_unique<EngineService>(config_, store_.get());
    engine_service_->SetCallbacks(callbacks_);
    ASSERT_TRUE(engine_service_->Start().ok());
  }

  std::string Add(const std::string& title, const std::string& agent = "") {
    NewTask t;
    t.title = title;
    t.assigned_to = agent;
    Task out;
    Status s = engine_service_ ? engine_service_->AddTask(t, &out) : store_->AddTask(t, 1, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out.id;
  }

  // Claims task `id` as a dead executor `executor` did, with execution
  // `execution_id` and a lease that expired long ago (at 2000).
  void ClaimAsDeadExecutor(const std::string& id, const std::string& executor,
                           const std::string& execution_id, const std::string& log_path = "") {
    Task t = Get(id);
    ClaimRequest req;
    req.task_id = id;
    req.expected_version = t.version;
    req.executor_id = executor;
    req.agent = "main";
    req.execution_id = execution_id;
    req.log_path = log_path;
    req.now = 1000;
    req.lease_expires_at = 2000;
    Claim claim;
    ASSERT_TRUE(store_->Claim(req, &claim).ok());
  }

  Task Get(const std::string& id) {
    Task t;
    EXPECT_TRUE(store_->GetTask(id, &t).ok());
    return t;
  }

  std::vector<SessionExecution> Executions(const std::string& id) {
    std::vector<SessionExecution> e;
    EXPECT_TRUE(store_->ListExecutions(id, &e).ok());
    return e;
  }

  // Polls `done` until true or the deadline; returns its last value.
  static bool WaitFor(const std::function<bool()>& done, int seconds = 60) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < end) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  }

  static bool GroupGone(int64_t pgid) {
    return WaitFor([&] { return kill(static_cast<pid_t>(-pgid), 0) == -1 && errno == ESRCH; }, 10);
  }

  bool WaitStatus(const std::string& id, TaskStatus status, int seconds = 60) {
    return WaitFor([&] { return Get(id).status == status; }, seconds);
  }

  static inline int counter_ = 0;
  fs::path dir_;
  std::string script_;
  Config config_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<EngineService> engine_service_;
  EngineCallbacks callbacks_;
};

TEST_F(EngineTest, RunsAnAddedTaskToCompletion) {
  std::atomic<int> completions{0};
  std::string summary;
  std::mutex mu;
  callbacks_.on_task_complete = [&](const std::string&, const std::string& s) {
    std::lock_guard<std::mutex> lk(mu);
    summary = s;
    completions++;
  };
  StartService();
  std::string id = Add("ok research the market");
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kCompleted));
  Task t = Get(id);
  EXPECT_EQ(t.claimed_by, "mongke");  // routed by keyword, as the original
  EXPECT_TRUE(t.lease_owner.empty());
  EXPECT_NE(t.completed_at, 0);
  auto execs = Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].status, ExecutionStatus::kCompleted);
  EXPECT_EQ(execs[0].attempt, 1);
  EXPECT_EQ(execs[0].agent, "mongke");
  EXPECT_GT(execs[0].pid, 0);
  ASSERT_TRUE(WaitFor([&] { return completions.load() == 1; }));
  std::lock_guard<std::mutex> lk(mu);
  EXPECT_NE(summary.find("did ok"), std::string::npos) << summary;
}

TEST_F(EngineTest, RetryableFailuresRetryUpToTheLimitThenFail) {
  std::atomic<int> failures{0};
  callbacks_.on_task_fail = [&](const std::string&, ErrorType, const std::string&) { failures++; };
  StartService();
  std::string id = Add("retryable build the thing");
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kFailed));
  Task t = Get(id);
  EXPECT_EQ(t.retry_count, 2);
  EXPECT_NE(t.error_message.find("connection"), std::string::npos) << t.error_message;
  EXPECT_NE(t.last_retry_at, 0);
  auto execs = Executions(id);
  ASSERT_EQ(execs.size(), 3u);  // first attempt + max_retries
  for (const auto& e : execs) EXPECT_EQ(e.status, ExecutionStatus::kFailed);
  ASSERT_TRUE(WaitFor([&] { return failures.load() == 1; }));
}

TEST_F(EngineTest, NonRetryableFailureFailsAtOnce) {
  StartService();
  std::string id = Add("fatal compile it");
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kFailed));
  EXPECT_EQ(Get(id).retry_count, 0);
  EXPECT_EQ(Executions(id).size(), 1u);
  EXPECT_EQ(Get(id).error_type, ErrorType::kSyntaxError);
}

TEST_F(EngineTest, RetrySucceedsOnSecondAttempt) {
  StartService();
  std::string id = Add("flaky deploy it");
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kCompleted));
  Task t = Get(id);
  EXPECT_EQ(t.retry_count, 1);
  EXPECT_TRUE(t.error_message.empty());
  auto execs = Executions(id);
  ASSERT_EQ(execs.size(), 2u);
  EXPECT_EQ(execs[0].status, ExecutionStatus::kFailed);
  EXPECT_EQ(execs[1].status, ExecutionStatus::kCompleted);
  EXPECT_EQ(execs[1].attempt, 2);
}

TEST_F(EngineTest, TimeoutKillsAndRetries) {
  config_.agent.timeout_seconds = 1;
  config_.executor.max_retries = 1;
  StartService();
  std::string id = Add("hang forever");
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kFailed));
  auto execs = Executions(id);
  ASSERT_EQ(execs.size(), 2u);
  for (const auto& e : execs) {
    EXPECT_EQ(e.status, ExecutionStatus::kTimedOut);
    // The whole group is gone (stragglers get SIGKILL once the leader exits).
    EXPECT_TRUE(GroupGone(e.pid)) << e.pid;
  }
  EXPECT_EQ(Get(id).retry_count, 1);
}

TEST_F(EngineTest, CancelStopsARunningSession) {
  StartService();
  std::string id = Add("hang until cancelled");
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kInProgress));
  Task out;
  ASSERT_TRUE(engine_service_->Cancel(id, &out).ok());
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kCancelled, 10));
  auto execs = Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].status, ExecutionStatus::kCancelled);
  EXPECT_TRUE(GroupGone(execs[0].pid));
}

TEST_F(EngineTest, CancelRecordedByAnotherProcessIsCarriedOut) {
  StartService();
  std::string id = Add("hang until cancelled elsewhere");
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kInProgress));
  // A second store handle stands for the CLI in another process.
  std::unique_ptr<SqliteStore> other;
  ASSERT_TRUE(SqliteStore::Open(config_.store.db_path, config_.store, &other).ok());
  Task out;
  ASSERT_TRUE(other->RequestCancel(id, "from the CLI", SystemClock::Default()->NowMs(), &out).ok());
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kCancelled, 10));
}

TEST_F(EngineTest, ManualExecutionWorksWithAutoAssignOff) {
  config_.executor.auto_assign = false;
  StartService();
  std::string id = Add("ok research something");
  // Not picked up on its own.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(Get(id).status, TaskStatus::kPending);
  std::string attempt;
  ASSERT_TRUE(engine_service_->Execute(id, "jochi", /*force=*/false, &attempt).ok());
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kCompleted));
  auto execs = Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].id, attempt);
  EXPECT_EQ(execs[0].agent, "jochi");
  EXPECT_TRUE(execs[0].manual);
  EXPECT_EQ(Get(id).claimed_by, "jochi");
}

TEST_F(EngineTest, ExecuteRefusesUnknownAgentAndUnknownTask) {
  StartService();
  std::string id = Add("sleep1 research");
  std::string attempt;
  Status s = engine_service_->Execute(id, "nobody", /*force=*/false, &attempt);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("nobody"), std::string::npos);
  EXPECT_TRUE(engine_service_->Execute("task-missing", "", /*force=*/false, &attempt).IsNotFound());
}

TEST_F(EngineTest, PerAgentLimitSerialisesOneAgent) {
  config_.executor.per_agent_limit = 1;
  StartService();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(Add("sleep0.3 task " + std::to_string(i), "temujin"));
  for (const auto& id : ids) ASSERT_TRUE(WaitStatus(id, TaskStatus::kCompleted));
  std::vector<std::pair<TimeMs, TimeMs>> spans;
  for (const auto& id : ids) {
    auto e = Executions(id);
    ASSERT_EQ(e.size(), 1u);
    spans.push_back({e[0].started_at, e[0].ended_at});
  }
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); ++i) EXPECT_LE(spans[i - 1].second, spans[i].first);
}

TEST_F(EngineTest, StopReleasesRunningSessionsAfterTheGrace) {
  config_.executor.shutdown_grace_seconds = 1;
  StartService();
  std::string id = Add("hang through shutdown");
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kInProgress));
  engine_service_->Stop();
  Task t = Get(id);
  EXPECT_EQ(t.status, TaskStatus::kPending);
  EXPECT_EQ(t.retry_count, 0);  // a release does not spend a retry
  EXPECT_TRUE(t.lease_owner.empty());
  auto execs = Executions(id);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].status, ExecutionStatus::kCancelled);
}

TEST_F(EngineTest, RecoversATaskWhoseExecutorDied) {
  Open();
  std::string id = Add("ok recovered work");
  // A dead executor claimed it long ago and never renewed.
  ClaimAsDeadExecutor(id, "gone-host-1-deadbeef", "exec-dead");
  StartService();
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kCompleted));
  auto execs = Executions(id);
  ASSERT_EQ(execs.size(), 2u);
  SessionExecution lost, done;
  ASSERT_TRUE(store_->GetExecution("exec-dead", &lost).ok());
  EXPECT_EQ(lost.status, ExecutionStatus::kLost);
  EXPECT_EQ(Get(id).retry_count, 1);
}

// The dead executor's agent had finished: its service kept the result in the
// outcome file beside the log and died before the store took it. The
// recovery records that result; the agent is not run a second time.
TEST_F(EngineTest, AnAttemptThatEndedWhileItsServiceWasDownIsRecordedNotRunAgain) {
  Open();
  std::string id = Add("ok finished before the crash");
  const std::string log_path = (dir_ / "exec-finished.log").string();
  ClaimAsDeadExecutor(id, "gone-host-1-deadbeef", "exec-finished", log_path);
  AgentResult finished;
  finished.status = ExecutionStatus::kCompleted;
  finished.summary = "report written before the crash";
  finished.exit_code = 0;
  finished.usage.output_tokens = 42;
  ASSERT_TRUE(WriteOutcomeFile(OutcomeFilePath(log_path), finished).ok());

  StartService();
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kCompleted));
  Task done = Get(id);
  EXPECT_EQ(done.output_summary, "report written before the crash");
  EXPECT_EQ(done.retry_count, 0);
  EXPECT_EQ(done.usage.output_tokens, 42);
  auto execs = Executions(id);
  ASSERT_EQ(execs.size(), 1u);  // not run again
  EXPECT_EQ(execs[0].status, ExecutionStatus::kCompleted);
  EXPECT_FALSE(fs::exists(OutcomeFilePath(log_path)));  // recorded: removed
}

// A previous process with the same configured executor id died holding a
// task: its lease stays fresh under the new process's renewals, so the
// engine itself must notice it runs nothing there and record it lost.
TEST_F(EngineTest, RecoversATaskHeldUnderItsOwnExecutorIdWithNoSession) {
  config_.executor.executor_id = "fixed-executor";
  Open();
  std::string id = Add("ok held by my former self");
  Task t = Get(id);
  ClaimRequest req;
  req.task_id = id;
  req.expected_version = t.version;
  req.executor_id = "fixed-executor";
  req.agent = "main";
  req.execution_id = "exec-before-restart";
  req.now = 1000;
  req.lease_expires_at = 4'000'000'000'000;  // far future: never expires by itself
  Claim claim;
  ASSERT_TRUE(store_->Claim(req, &claim).ok());
  StartService();
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kCompleted));
  SessionExecution lost;
  ASSERT_TRUE(store_->GetExecution("exec-before-restart", &lost).ok());
  EXPECT_EQ(lost.status, ExecutionStatus::kLost);
  EXPECT_EQ(Executions(id).size(), 2u);
}

// One agent's backlog (more than a dispatch batch, all waiting for its only
// slot) must not keep another agent's task from starting.
TEST_F(EngineTest, ABusyAgentsBacklogDoesNotStarveOtherAgents) {
  config_.executor.per_agent_limit = 1;
  config_.executor.max_concurrent = 4;
  Open();
  for (int i = 0; i < 150; ++i) Add("hang backlog " + std::to_string(i), "temujin");
  std::string other = Add("ok behind the backlog", "kublai");
  StartService();
  EXPECT_TRUE(WaitStatus(other, TaskStatus::kCompleted));
  engine_service_->Stop();
}

// A dispatch asks only the agents with tasks queued; a task added through
// the service for an agent that had none is found at the add's wake, not at
// the next store poll or sweep (both an hour away here).
TEST_F(EngineTest, ATaskForAnAgentWithNothingQueuedStartsAtTheAddsWake) {
  config_.executor.store_poll_ms = 3'600'000;
  config_.executor.poll_interval_seconds = 3600;
  config_.executor.lease_seconds = 3600;
  StartService();
  std::string first = Add("ok first", "jochi");
  ASSERT_TRUE(WaitStatus(first, TaskStatus::kCompleted, 120));
  std::string second = Add("ok then another agent", "ogedei");
  EXPECT_TRUE(WaitStatus(second, TaskStatus::kCompleted, 120));
  engine_service_->Stop();
}

TEST_F(EngineTest, StatusReportsActiveExecutions) {
  StartService();
  std::string id = Add("hang for status");
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kInProgress));
  ServiceStatus st;
  ASSERT_TRUE(engine_service_->GetStatus(&st).ok());
  EXPECT_TRUE(st.engine_running);
  ASSERT_EQ(st.active_executions.size(), 1u);
  EXPECT_EQ(st.active_executions[0].task_id, id);
  EXPECT_EQ(st.stats.by_status["in_progress"], 1);
  ASSERT_TRUE(WaitFor([&] {
    ServiceStatus s2;
    engine_service_->GetStatus(&s2);
    return s2.running_by_agent["main"] == 1;
  }));
  Task out;
  ASSERT_TRUE(engine_service_->Cancel(id, &out).ok());
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kCancelled, 10));
}

// The claim starts the attempt before its process exists; the pid of an
// attempt that keeps running is written by the engine's "record output"
// duty (within a second).
TEST_F(EngineTest, ARunningAttemptsPidIsRecordedWhileItRuns) {
  StartService();
  std::string id = Add("hang with a pid");
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kInProgress));
  ASSERT_TRUE(WaitFor([&] {
    auto e = Executions(id);
    return e.size() == 1 && e[0].pid > 0;
  }));
  // The agent wrote its own pid into its artifacts dir.
  std::string written;
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& entry : fs::recursive_directory_iterator(dir_ / "work")) {
      if (entry.path().filename() == "pid") {
        std::ifstream f(entry.path());
        std::getline(f, written);
      }
    }
    return !written.empty();
  }));
  EXPECT_EQ(std::to_string(Executions(id)[0].pid), written);
  Task out;
  ASSERT_TRUE(engine_service_->Cancel(id, &out).ok());
  ASSERT_TRUE(WaitStatus(id, TaskStatus::kCancelled, 10));
}

}  // namespace
}  // namespace taskexec
