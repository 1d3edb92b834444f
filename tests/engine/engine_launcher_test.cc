// The engine's decisions over a fake launcher (fake_launcher.h): no child
// processes, and every wait is on an event (an attempt started, a cancel
// sent, an outcome recorded through the engine's callbacks), not on time.
#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/budget_rules.h"
#include "engine/engine.h"
#include "engine/fake_launcher.h"
#include "engine/manual_loop_clock.h"
#include "engine/store_service.h"
#include "store/forwarding_store.h"
#include "store/sqlite/sqlite_store.h"

namespace taskexec {
namespace {

namespace fs = std::filesystem;

class EngineLauncherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = fs::temp_directory_path() /
           ("engine_launcher_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config_.store.db_path = (dir_ / "tasks.db").string();
    config_.executor.retry_delay_seconds = 0;
    config_.executor.retry_jitter = 0;
    config_.executor.max_retries = 2;
    config_.executor.store_poll_ms = 100;
    config_.executor.lease_seconds = 30;
    config_.executor.shutdown_grace_seconds = 0;
    ASSERT_TRUE(SqliteStore::Open(config_.store.db_path, config_.store, &store_).ok());
    router_ = std::make_unique<AgentRouter>(config_.routing);
  }

  void TearDown() override {
    engine_.reset();
    engine_store_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  void StartEngine() {
    engine_ = std::make_unique<Engine>(
        config_, engine_store_ ? engine_store_.get() : store_.get(), router_.get(), &clock_,
        [this] {
          auto fake = std::make_unique<FakeLauncher>();
          launcher_ = fake.get();
          return fake;
        },
        manual_loop_ ? &loop_clock_ : nullptr);
    EngineCallbacks cb;
    cb.on_task_complete = [this](const std::string& id, const std::string&) { Recorded(id); };
    cb.on_task_fail = [this](const std::string& id, ErrorType, const std::string&) {
      Recorded(id);
    };
    engine_->SetCallbacks(cb);
    ASSERT_TRUE(engine_->Start().ok());
  }

  std::string Add(const std::string& title, const std::string& agent = "") {
    NewTask t;
    t.title = title;
    t.assigned_to = agent;
    Task out;
    EXPECT_TRUE(store_->AddTask(t, clock_.NowMs(), &out).ok());
    if (engine_) engine_->Wake();
    return out.id;
  }

  // Adds a task as another writer would (no wake) and lets the engine's
  // store poll, on the loop's clock, see it. Needs manual_loop_.
  std::string AddSeen(const std::string& title, const std::string& agent) {
    NewTask t;
    t.title = title;
    t.assigned_to = agent;
    Task out;
    EXPECT_TRUE(store_->AddTask(t, clock_.NowMs(), &out).ok());
    loop_clock_.Advance(config_.executor.store_poll_ms);
    EXPECT_TRUE(loop_clock_.AwaitIdle());
    return out.id;
  }

  // The agent's pause as the store holds it; nullopt when none is stored.
  std::optional<AgentPause> StoredPause(const std::string& agent) {
    std::string stored, error;
    if (!store_->GetMeta(AgentPauseKey(agent), &stored).ok()) return std::nullopt;
    std::optional<AgentPause> p = DecodeAgentPause(agent, stored, &error);
    EXPECT_TRUE(error.empty()) << error;
    return p;
  }

  Task Get(const std::string& id) {
    Task t;
    EXPECT_TRUE(store_->GetTask(id, &t).ok());
    return t;
  }

  // Waits until the engine reported the task's final outcome (callbacks run
  // after the store write).
  bool WaitRecorded(const std::string& id, int times = 1) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(60), [&] { return recorded_[id] >= times; });
  }

  // Returns once the engine loop has handled everything queued to it before
  // the call (exits, wakes) and waits again.
  bool Settle() {
    loop_clock_.Advance(0);
    return loop_clock_.AwaitIdle();
  }

  void Recorded(const std::string& id) {
    std::lock_guard<std::mutex> l(mu_);
    recorded_[id]++;
    cv_.notify_all();
  }

  fs::path dir_;
  Config config_;
  ManualClock clock_{1'800'000'000'000};
  // With manual_loop_, the engine's timers run on loop_clock_, which moves
  // the store's clock_ with it.
  bool manual_loop_ = false;
  ManualLoopClock loop_clock_{&clock_};
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<TaskStore> engine_store_;  // what the engine writes through; store_ when null
  std::unique_ptr<AgentRouter> router_;
  std::unique_ptr<Engine> engine_;
  FakeLauncher* launcher_ = nullptr;  // owned by engine_
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int> recorded_;
};

TEST_F(EngineLauncherTest, ACompletedSessionCompletesItsTask) {
  StartEngine();
  const std::string id = Add("Research the vector database market");
  AgentJob job = launcher_->WaitStarted(1);
  ASSERT_EQ(job.task.id, id);
  EXPECT_EQ(job.execution.attempt, 1);
  EXPECT_EQ(job.execution.agent, "mongke");
  ASSERT_TRUE(launcher_->Finish(job.execution.id, FakeLauncher::Completed("found 12 vendors")));
  ASSERT_TRUE(WaitRecorded(id));
  Task t = Get(id);
  EXPECT_EQ(t.status, TaskStatus::kCompleted);
  EXPECT_EQ(t.output_summary, "found 12 vendors");
  EXPECT_EQ(t.completed_at, clock_.NowMs());
}

TEST_F(EngineLauncherTest, ARetryableFailureRunsASecondAttempt) {
  StartEngine();
  const std::string id = Add("Tidy the shelves");
  AgentJob first = launcher_->WaitStarted(1);
  ASSERT_TRUE(
      launcher_->Finish(first.execution.id,
                        FakeLauncher::Failed(ErrorType::kConnectionError, "reset by peer", true)));
  AgentJob second = launcher_->WaitStarted(2);
  ASSERT_EQ(second.task.id, id);
  EXPECT_EQ(second.execution.attempt, 2);
  EXPECT_NE(second.execution.id, first.execution.id);
  ASSERT_TRUE(launcher_->Finish(second.execution.id, FakeLauncher::Completed("ok")));
  ASSERT_TRUE(WaitRecorded(id));
  Task t = Get(id);
  EXPECT_EQ(t.status, TaskStatus::kCompleted);
  EXPECT_EQ(t.retry_count, 1);
  std::vector<SessionExecution> execs;
  ASSERT_TRUE(store_->ListExecutions(id, &execs).ok());
  ASSERT_EQ(execs.size(), 2u);
}

// What each attempt's agent reported is on its execution, summed on the task
// and counted for /metrics by agent.
TEST_F(EngineLauncherTest, UsageOfEveryAttemptIsRecordedSummedAndCounted) {
  StartEngine();
  const std::string id = Add("Tidy the shelves");
  AgentJob first = launcher_->WaitStarted(1);
  AgentResult failed = FakeLauncher::Failed(ErrorType::kApiError, "HTTP 500", true);
  failed.usage.input_tokens = 100;
  failed.usage.num_turns = 1;
  ASSERT_TRUE(launcher_->Finish(first.execution.id, failed));
  AgentJob second = launcher_->WaitStarted(2);
  AgentResult done = FakeLauncher::Completed("ok");
  done.usage.input_tokens = 400;
  done.usage.output_tokens = 34;
  done.usage.cost_usd = 0.002;
  done.usage.model = "stand-in-1";
  done.usage.num_turns = 2;
  ASSERT_TRUE(launcher_->Finish(second.execution.id, done));
  ASSERT_TRUE(WaitRecorded(id));

  std::vector<SessionExecution> execs;
  ASSERT_TRUE(store_->ListExecutions(id, &execs).ok());
  ASSERT_EQ(execs.size(), 2u);
  EXPECT_EQ(execs[0].usage, failed.usage);
  EXPECT_EQ(execs[1].usage, done.usage);
  Task t = Get(id);
  EXPECT_EQ(t.usage.input_tokens, 500);
  EXPECT_EQ(t.usage.output_tokens, 34);
  EXPECT_EQ(t.usage.cost_usd, 0.002);
  EXPECT_EQ(t.usage.num_turns, 3);
  const AgentUsage counted = engine_->Snapshot().usage_by_agent[first.execution.agent];
  EXPECT_EQ(counted.input_tokens, 500);
  EXPECT_EQ(counted.cost_usd, 0.002);
}

// agent.resume = on_reply (the default): a retry after a timeout continues
// the session the first attempt reported; the store records both ends.
TEST_F(EngineLauncherTest, ARetryAfterATimeoutResumesTheSession) {
  StartEngine();
  const std::string id = Add("Tidy the shelves");
  AgentJob first = launcher_->WaitStarted(1);
  EXPECT_EQ(first.resume_session_id, "");  // a first attempt never resumes
  AgentResult timed_out = FakeLauncher::Failed(ErrorType::kTimeoutError, "timed out", true);
  timed_out.status = ExecutionStatus::kTimedOut;
  timed_out.session_id = "sess-1";
  ASSERT_TRUE(launcher_->Finish(first.execution.id, timed_out));
  AgentJob second = launcher_->WaitStarted(2);
  EXPECT_EQ(second.resume_session_id, "sess-1");
  EXPECT_EQ(second.execution.resumed_session_id, "sess-1");
  AgentResult done = FakeLauncher::Completed("ok");
  done.session_id = "sess-1";
  ASSERT_TRUE(launcher_->Finish(second.execution.id, done));
  ASSERT_TRUE(WaitRecorded(id));
  std::vector<SessionExecution> execs;
  ASSERT_TRUE(store_->ListExecutions(id, &execs).ok());
  ASSERT_EQ(execs.size(), 2u);
  const auto& resumed = execs[0].attempt == 2 ? execs[0] : execs[1];
  EXPECT_EQ(resumed.resumed_session_id, "sess-1");
  EXPECT_EQ(Get(id).session_id, "sess-1");
  EXPECT_EQ(engine_->Snapshot().spawned_sessions, 2);
  EXPECT_EQ(engine_->Snapshot().resumed_sessions, 1);
}

// A session the agent does not know costs no retry, and the next attempt
// starts fresh.
TEST_F(EngineLauncherTest, AnUnknownSessionIsRetriedFreshWithoutSpendingARetry) {
  config_.agent.resume = "on_retry";
  StartEngine();
  const std::string id = Add("Tidy the shelves");
  AgentJob first = launcher_->WaitStarted(1);
  AgentResult failed = FakeLauncher::Failed(ErrorType::kApiError, "HTTP 500", true);
  failed.session_id = "sess-gone";
  ASSERT_TRUE(launcher_->Finish(first.execution.id, failed));
  AgentJob second = launcher_->WaitStarted(2);
  ASSERT_EQ(second.resume_session_id, "sess-gone");
  ASSERT_TRUE(launcher_->Finish(
      second.execution.id, FakeLauncher::Failed(ErrorType::kSessionNotFound,
                                                "No conversation found with session ID", true)));
  AgentJob third = launcher_->WaitStarted(3);
  EXPECT_EQ(third.resume_session_id, "");
  EXPECT_EQ(third.task.retry_count, 1) << "the refused resume spent a retry";
  EXPECT_EQ(third.task.session_id, "") << "the refused session is forgotten";
  ASSERT_TRUE(launcher_->Finish(third.execution.id, FakeLauncher::Completed("ok")));
  ASSERT_TRUE(WaitRecorded(id));
  EXPECT_EQ(Get(id).status, TaskStatus::kCompleted);
}

TEST_F(EngineLauncherTest, NoResumeWhenTheModeSaysNever) {
  config_.agent.resume = "never";
  StartEngine();
  Add("Tidy the shelves");
  AgentJob first = launcher_->WaitStarted(1);
  AgentResult timed_out = FakeLauncher::Failed(ErrorType::kTimeoutError, "timed out", true);
  timed_out.session_id = "sess-1";
  ASSERT_TRUE(launcher_->Finish(first.execution.id, timed_out));
  EXPECT_EQ(launcher_->WaitStarted(2).resume_session_id, "");
}

TEST_F(EngineLauncherTest, AFatalFailureFailsAtOnce) {
  StartEngine();
  const std::string id = Add("Tidy the shelves");
  AgentJob job = launcher_->WaitStarted(1);
  ASSERT_TRUE(launcher_->Finish(job.execution.id,
                                FakeLauncher::Failed(ErrorType::kSyntaxError, "bad input", false)));
  ASSERT_TRUE(WaitRecorded(id));
  Task t = Get(id);
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error_type, ErrorType::kSyntaxError);
  EXPECT_EQ(launcher_->started(), 1u);
}

// A session that could not start is an attempt too: recorded with the
// launcher's reason, typed by FailedToStart, retried only when it passes.
TEST_F(EngineLauncherTest, AStartFailureIsRecordedWithItsType) {
  StartEngine();
  launcher_->FailNextStarts({Status::NotFound("agent program \"claude\" not found")});
  const std::string id = Add("Tidy the shelves");
  ASSERT_TRUE(WaitRecorded(id));
  Task t = Get(id);
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error_type, ErrorType::kSpawnError);
  EXPECT_NE(t.error_message.find("not found"), std::string::npos);

  // No process slot is the service's fault: released, not one of the
  // task's attempts; started again once the launcher's files check passes.
  launcher_->FailNextStarts({Status::IOError("posix_spawn: EAGAIN")});
  const std::string busy = Add("Plan the offsite");
  ASSERT_TRUE(launcher_->WaitRefused(2));
  AgentJob retried = launcher_->WaitStarted(1);
  EXPECT_EQ(retried.task.id, busy);
  EXPECT_EQ(retried.execution.attempt, 1);  // a release is not one of the task's attempts
  EXPECT_EQ(retried.task.retry_count, 0);
  EXPECT_GE(launcher_->files_checked(), 1);
}

// The log dir went read-only: the attempt that could not start goes back to
// the queue with its retries untouched, and nothing else is claimed until
// the launcher can make an attempt's files again; then both tasks run.
TEST_F(EngineLauncherTest, AnAttemptsFilesThatCannotBeMadeHoldIntakeUntilTheyCan) {
  manual_loop_ = true;
  StartEngine();
  const std::string unwritable =
      "agent.log_dir: cannot write in /var/log/taskexec: Read-only file system";
  launcher_->SetFilesStatus(Status::IOError(unwritable));
  launcher_->FailNextStarts(
      {Status::IOError("cannot open log /var/log/taskexec/x.log: "
                       "Read-only file system")});
  const std::string first = Add("Write the report");
  ASSERT_TRUE(launcher_->WaitRefused(1));
  ASSERT_TRUE(Settle());
  Task t = Get(first);
  EXPECT_EQ(t.status, TaskStatus::kPending);
  EXPECT_EQ(t.retry_count, 0);
  std::vector<SessionExecution> executions;
  ASSERT_TRUE(store_->ListExecutions(first, &executions).ok());
  ASSERT_EQ(executions.size(), 1u);
  EXPECT_EQ(executions[0].error_type, ErrorType::kReleased);
  EXPECT_NE(executions[0].error.find("not started: cannot open log"), std::string::npos)
      << executions[0].error;
  EXPECT_NE(engine_->Snapshot().refusing_work.find("cannot start an attempt: cannot open log"),
            std::string::npos)
      << engine_->Snapshot().refusing_work;

  // Ten seconds of a read-only log dir: probed every second, nothing claimed.
  const std::string second = Add("Plan the offsite");
  for (int s = 0; s < 10; ++s) {
    loop_clock_.Advance(1000);
    ASSERT_TRUE(loop_clock_.AwaitIdle());
  }
  EXPECT_GE(launcher_->files_checked(), 9);
  EXPECT_EQ(launcher_->started(), 0u);
  EXPECT_EQ(Get(second).status, TaskStatus::kPending);
  EXPECT_EQ(engine_->Snapshot().refusing_work, "cannot start an attempt: " + unwritable);

  launcher_->SetFilesStatus(Status::OK());  // writable again
  loop_clock_.Advance(1000);
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  AgentJob a = launcher_->WaitStarted(1);
  AgentJob b = launcher_->WaitStarted(2);
  EXPECT_EQ(std::set<std::string>({a.task.id, b.task.id}), std::set<std::string>({first, second}));
  EXPECT_EQ(engine_->Snapshot().refusing_work, "");
}

TEST_F(EngineLauncherTest, PerAgentCapHoldsAndFreedSlotsAreFilled) {
  config_.executor.max_concurrent = 8;
  config_.executor.per_agent_limit = 2;
  StartEngine();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Add("Tidy the shelves #" + std::to_string(i), "jochi"));
  for (size_t n = 1; n <= 5; ++n) {
    AgentJob job = launcher_->WaitStarted(n);
    ASSERT_FALSE(job.execution.id.empty()) << "attempt " << n << " never started";
    ASSERT_TRUE(launcher_->Finish(job.execution.id, FakeLauncher::Completed("done")));
  }
  for (const std::string& id : ids) ASSERT_TRUE(WaitRecorded(id));
  EXPECT_LE(launcher_->max_running(), 2u);
  EXPECT_EQ(launcher_->started(), 5u);
}

// executor.max_concurrent_by_type: a type at its cap waits while tasks of
// other types behind it in the queue go ahead; a freed slot of the type
// goes to its next task.
TEST_F(EngineLauncherTest, ATypeCapHoldsAndOtherTypesGoAhead) {
  config_.executor.max_concurrent = 8;
  config_.executor.per_agent_limit = 8;
  config_.executor.max_concurrent_by_type = {{"deploy", 1}};
  auto add = [&](const std::string& title, const std::string& type) {
    NewTask t;
    t.title = title;
    t.type = type;
    t.assigned_to = "jochi";
    Task out;
    EXPECT_TRUE(store_->AddTask(t, clock_.NowMs(), &out).ok());
    clock_.Advance(1);  // queue order by age
    return out.id;
  };
  std::vector<std::string> deploys;
  for (int i = 0; i < 3; ++i) deploys.push_back(add("Ship #" + std::to_string(i), "Deploy"));
  add("Read up #1", "research");
  add("Read up #2", "research");
  StartEngine();
  std::vector<AgentJob> first;
  for (size_t n = 1; n <= 3; ++n) first.push_back(launcher_->WaitStarted(n));
  int running_deploys = 0;
  std::string deploy_exec;
  for (const AgentJob& job : first) {
    ASSERT_FALSE(job.execution.id.empty()) << "an attempt never started";
    if (job.task.type == "Deploy") {
      ++running_deploys;
      deploy_exec = job.execution.id;
      EXPECT_EQ(job.task.id, deploys[0]);  // the oldest of its type
    }
  }
  EXPECT_EQ(running_deploys, 1);
  EXPECT_EQ(launcher_->started(), 3u);  // the other deploys wait
  ASSERT_TRUE(launcher_->Finish(deploy_exec, FakeLauncher::Completed("shipped")));
  AgentJob next = launcher_->WaitStarted(4);
  EXPECT_EQ(next.task.id, deploys[1]);
  EXPECT_EQ(launcher_->started(), 4u);
}

TEST_F(EngineLauncherTest, ACancelRequestStopsTheSession) {
  StartEngine();
  const std::string id = Add("Tidy the shelves");
  AgentJob job = launcher_->WaitStarted(1);
  ASSERT_TRUE(store_->RequestCancel(id, "not needed", clock_.NowMs(), nullptr).ok());
  engine_->Wake();
  ASSERT_TRUE(launcher_->WaitCancelled(job.execution.id));
  // A cancel has no callback: the engine has stopped the session; its
  // outcome lands on the engine thread right after.
  engine_->Stop();
  EXPECT_EQ(Get(id).status, TaskStatus::kCancelled);
}

TEST_F(EngineLauncherTest, StopReleasesRunningSessionsBackToTheQueue) {
  StartEngine();
  const std::string id = Add("Tidy the shelves");
  launcher_->WaitStarted(1);
  engine_->Stop();
  EXPECT_TRUE(launcher_->shut_down());
  Task t = Get(id);
  EXPECT_EQ(t.status, TaskStatus::kPending);
  EXPECT_TRUE(t.lease_owner.empty());
}

}  // namespace
}  // namespace taskexec

namespace taskexec {
namespace {

// The loop's timers on a manual clock: each is shown to fire when due and not
// a millisecond before, without waiting for it.

TEST_F(EngineLauncherTest, ARetryStartsWhenItsBackoffIsDueAndNotBefore) {
  config_.executor.retry_delay_seconds = 30;
  // No lease renewal or sweep falls due at the retry's instant.
  config_.executor.lease_seconds = 600;
  config_.executor.poll_interval_seconds = 3600;
  manual_loop_ = true;
  StartEngine();
  const std::string id = Add("Sort the backlog");
  AgentJob first = launcher_->WaitStarted(1);
  ASSERT_TRUE(launcher_->Finish(first.execution.id,
                                FakeLauncher::Failed(ErrorType::kApiError, "HTTP 503", true)));
  ASSERT_TRUE(Settle());
  EXPECT_EQ(Get(id).status, TaskStatus::kRetrying);
  EXPECT_EQ(Get(id).next_attempt_at, clock_.NowMs() + 30'000);

  loop_clock_.Advance(29'999);
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  EXPECT_EQ(launcher_->started(), 1u);

  // Due now: the loop wakes for it (no store poll or sweep is due at this
  // instant to wake it otherwise).
  loop_clock_.Advance(1);
  AgentJob second = launcher_->WaitStarted(2);
  ASSERT_EQ(second.task.id, id);
  EXPECT_EQ(second.execution.attempt, 2);
  ASSERT_TRUE(launcher_->Finish(second.execution.id, FakeLauncher::Completed("sorted")));
  ASSERT_TRUE(WaitRecorded(id));
  EXPECT_EQ(Get(id).status, TaskStatus::kCompleted);
}

TEST_F(EngineLauncherTest, LeasesAreRenewedEveryThirdOfTheLease) {
  config_.executor.lease_seconds = 30;
  config_.executor.poll_interval_seconds = 3600;  // no sweep in the way
  manual_loop_ = true;
  StartEngine();
  const std::string id = Add("Keep the lease");
  AgentJob job = launcher_->WaitStarted(1);
  ASSERT_TRUE(Settle());
  const TimeMs first_lease = Get(id).lease_expires_at;
  EXPECT_EQ(first_lease, clock_.NowMs() + 30'000);

  loop_clock_.Advance(9'999);
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  EXPECT_EQ(Get(id).lease_expires_at, first_lease);

  loop_clock_.Advance(1);
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  EXPECT_EQ(Get(id).lease_expires_at, first_lease + 10'000);
  ASSERT_TRUE(launcher_->Finish(job.execution.id, FakeLauncher::Completed("kept")));
  ASSERT_TRUE(WaitRecorded(id));
}

// A store whose file system is full: FinishAttempt fails as SQLite does
// (SQLITE_FULL is an IOError) while `full` holds; everything else is real.
class FullDiskStore final : public store_test::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Status FinishAttempt(const AttemptOutcome& outcome, Task* out) override {
    if (full) {
      ++refused;
      return Status::IOError("finish attempt: database or disk is full");
    }
    return inner_->FinishAttempt(outcome, out);
  }
  // With every_write, the other writes the engine makes fail too, as they
  // do on a real full disk.
  Status Claim(const ClaimRequest& req, taskexec::Claim* out) override {
    if (full && every_write) {
      ++claims_refused;
      return Status::IOError("claim: database or disk is full");
    }
    return inner_->Claim(req, out);
  }
  Status RenewLeases(const std::string& executor_id, TimeMs lease_expires_at, TimeMs now,
                     std::vector<std::string>* held) override {
    if ((full && every_write) || refuse_renewals)
      return Status::IOError("renew leases: database or disk is full");
    return inner_->RenewLeases(executor_id, lease_expires_at, now, held);
  }
  Status UpdateMeta(const std::string& key, const MetaUpdate& update, std::string* value) override {
    if (full && every_write) return Status::IOError("update meta: database or disk is full");
    return inner_->UpdateMeta(key, update, value);
  }
  std::atomic<bool> full{true};
  std::atomic<bool> every_write{false};
  std::atomic<bool> refuse_renewals{false};
  std::atomic<int> refused{0};
  std::atomic<int> claims_refused{0};
};

// The agent finished while the store could not take its outcome: the
// outcome is kept, the lease renewed, and written again every second until
// the disk has room; the task then completes with its one attempt, never
// recorded lost nor run again.
TEST_F(EngineLauncherTest, AnOutcomeTheStoreRefusedIsWrittenOnceItCanNotRunAgain) {
  manual_loop_ = true;
  auto owned = std::make_unique<FullDiskStore>(store_.get());
  FullDiskStore& full_disk = *owned;
  engine_store_ = std::move(owned);
  StartEngine();
  const std::string id = Add("Write the report");
  AgentJob job = launcher_->WaitStarted(1);
  ASSERT_TRUE(Settle());
  ASSERT_TRUE(launcher_->Finish(job.execution.id, FakeLauncher::Completed("report written")));
  ASSERT_TRUE(Settle());
  EXPECT_EQ(full_disk.refused.load(), 1);
  EXPECT_EQ(Get(id).status, TaskStatus::kInProgress);

  // A minute of a full disk: a write a second, the lease kept fresh, and no
  // second attempt (the lease renewal finds the task held by this process).
  for (int s = 0; s < 60; ++s) {
    loop_clock_.Advance(1000);
    ASSERT_TRUE(loop_clock_.AwaitIdle());
  }
  EXPECT_GE(full_disk.refused.load(), 60);
  EXPECT_EQ(launcher_->started(), 1u);
  EXPECT_GT(Get(id).lease_expires_at, clock_.NowMs());
  EXPECT_EQ(Get(id).status, TaskStatus::kInProgress);

  full_disk.full = false;  // room again
  loop_clock_.Advance(1000);
  ASSERT_TRUE(WaitRecorded(id));
  const Task t = Get(id);
  EXPECT_EQ(t.status, TaskStatus::kCompleted);
  EXPECT_EQ(t.output_summary, "report written");
  std::vector<SessionExecution> executions;
  ASSERT_TRUE(store_->ListExecutions(id, &executions).ok());
  ASSERT_EQ(executions.size(), 1u);
  EXPECT_EQ(executions[0].status, ExecutionStatus::kCompleted);
  EXPECT_EQ(launcher_->started(), 1u);
}

// A store that counts the outcome batches the engine writes, and holds the
// first one until told, so that other attempts end while it is written.
class BatchCountingStore final : public store_test::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  void FinishAttempts(const std::vector<AttemptOutcome>& outcomes,
                      std::vector<FinishResult>* results) override {
    {
      std::unique_lock<std::mutex> l(mu);
      sizes.push_back(outcomes.size());
      cv.notify_all();
      cv.wait(l, [&] { return released; });
    }
    inner_->FinishAttempts(outcomes, results);
  }
  void ClaimTasks(const std::vector<ClaimRequest>& requests,
                  std::vector<ClaimResult>* results) override {
    {
      std::lock_guard<std::mutex> l(mu);
      claim_sizes.push_back(requests.size());
    }
    inner_->ClaimTasks(requests, results);
  }
  bool WaitBatches(size_t n) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(60), [&] { return sizes.size() >= n; });
  }
  void Release() {
    std::lock_guard<std::mutex> l(mu);
    released = true;
    cv.notify_all();
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<size_t> sizes;        // outcomes per FinishAttempts
  std::vector<size_t> claim_sizes;  // requests per ClaimTasks
  bool released = false;
};

// Attempts that end while the engine is writing another's outcome are
// recorded together, in one store write, and each lands as its own.
TEST_F(EngineLauncherTest, AttemptsThatEndTogetherAreRecordedInOneWrite) {
  auto owned = std::make_unique<BatchCountingStore>(store_.get());
  BatchCountingStore& batches = *owned;
  engine_store_ = std::move(owned);
  StartEngine();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(Add("Sort the mail #" + std::to_string(i), "jochi"));
  std::vector<AgentJob> jobs;
  for (size_t n = 1; n <= 3; ++n) {
    jobs.push_back(launcher_->WaitStarted(n));
    ASSERT_FALSE(jobs.back().execution.id.empty()) << "attempt " << n << " never started";
  }
  ASSERT_TRUE(launcher_->Finish(jobs[0].execution.id, FakeLauncher::Completed("first")));
  ASSERT_TRUE(batches.WaitBatches(1));  // the engine is writing the first outcome
  ASSERT_TRUE(launcher_->Finish(jobs[1].execution.id, FakeLauncher::Completed("second")));
  ASSERT_TRUE(launcher_->Finish(
      jobs[2].execution.id,
      FakeLauncher::Failed(ErrorType::kConnectionError, "third", /*retryable=*/false)));
  batches.Release();
  for (const std::string& id : ids) ASSERT_TRUE(WaitRecorded(id));
  {
    std::lock_guard<std::mutex> l(batches.mu);
    EXPECT_EQ(batches.sizes, (std::vector<size_t>{1, 2}));
  }
  EXPECT_EQ(Get(jobs[0].task.id).output_summary, "first");
  EXPECT_EQ(Get(jobs[1].task.id).output_summary, "second");
  EXPECT_EQ(Get(jobs[2].task.id).status, TaskStatus::kFailed);
}

// Tasks queued before the engine starts are claimed together: one store
// write for as many as the agent has room for, each then started.
TEST_F(EngineLauncherTest, TasksThatFitTogetherAreClaimedInOneWrite) {
  config_.executor.per_agent_limit = 3;
  auto owned = std::make_unique<BatchCountingStore>(store_.get());
  BatchCountingStore& batches = *owned;
  batches.released = true;
  engine_store_ = std::move(owned);
  for (int i = 0; i < 5; ++i) Add("File the receipts #" + std::to_string(i), "jochi");
  StartEngine();
  std::vector<AgentJob> jobs;
  for (size_t n = 1; n <= 3; ++n) jobs.push_back(launcher_->WaitStarted(n));
  for (const AgentJob& job : jobs) {
    ASSERT_FALSE(job.execution.id.empty());
    EXPECT_EQ(Get(job.task.id).status, TaskStatus::kInProgress);
  }
  {
    std::lock_guard<std::mutex> l(batches.mu);
    ASSERT_FALSE(batches.claim_sizes.empty());
    EXPECT_EQ(batches.claim_sizes[0], 3u);
  }
  EXPECT_EQ(launcher_->started(), 3u);  // the other two wait for a slot
}

// A store that lists its batched writes in order: "finish N" (outcomes),
// "claim N" (claims), "finish N + claim M" (both in one write).
class WriteListingStore final : public store_test::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  void FinishAttempts(const std::vector<AttemptOutcome>& outcomes,
                      std::vector<FinishResult>* results) override {
    Note("finish " + std::to_string(outcomes.size()));
    inner_->FinishAttempts(outcomes, results);
  }
  void ClaimTasks(const std::vector<ClaimRequest>& requests,
                  std::vector<ClaimResult>* results) override {
    Note("claim " + std::to_string(requests.size()));
    inner_->ClaimTasks(requests, results);
  }
  void FinishAttemptsAndClaim(const std::vector<AttemptOutcome>& outcomes,
                              const std::vector<ClaimRequest>& requests,
                              std::vector<FinishResult>* finished,
                              std::vector<ClaimResult>* claimed) override {
    Note("finish " + std::to_string(outcomes.size()) + " + claim " +
         std::to_string(requests.size()));
    inner_->FinishAttemptsAndClaim(outcomes, requests, finished, claimed);
  }
  std::vector<std::string> Writes() {
    std::lock_guard<std::mutex> l(mu_);
    return writes_;
  }

 private:
  void Note(const std::string& write) {
    std::lock_guard<std::mutex> l(mu_);
    writes_.push_back(write);
  }
  std::mutex mu_;
  std::vector<std::string> writes_;
};

// A completed attempt's outcome and the claim of the task that takes its
// slot are one store write. A failed attempt's outcome is written before
// the dispatch (it may open the agent's circuit), the claim after; the last
// outcome, with nothing left to claim, alone.
TEST_F(EngineLauncherTest, ACompletedAttemptAndTheClaimForItsSlotAreOneWrite) {
  config_.executor.per_agent_limit = 1;
  auto owned = std::make_unique<WriteListingStore>(store_.get());
  WriteListingStore& writes = *owned;
  engine_store_ = std::move(owned);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(Add("Water the plants #" + std::to_string(i), "jochi"));
  StartEngine();
  AgentJob first = launcher_->WaitStarted(1);
  ASSERT_TRUE(launcher_->Finish(
      first.execution.id,
      FakeLauncher::Failed(ErrorType::kConnectionError, "flaky", /*retryable=*/false)));
  AgentJob second = launcher_->WaitStarted(2);
  ASSERT_FALSE(second.execution.id.empty());
  ASSERT_TRUE(launcher_->Finish(second.execution.id, FakeLauncher::Completed("watered")));
  AgentJob third = launcher_->WaitStarted(3);
  ASSERT_FALSE(third.execution.id.empty());
  ASSERT_TRUE(launcher_->Finish(third.execution.id, FakeLauncher::Completed("watered too")));
  for (const std::string& id : ids) ASSERT_TRUE(WaitRecorded(id));
  EXPECT_EQ(writes.Writes(), (std::vector<std::string>{"claim 1", "finish 1", "claim 1",
                                                       "finish 1 + claim 1", "finish 1"}));
  EXPECT_EQ(Get(first.task.id).status, TaskStatus::kFailed);
  EXPECT_EQ(Get(second.task.id).output_summary, "watered");
  EXPECT_EQ(Get(third.task.id).status, TaskStatus::kCompleted);
  EXPECT_EQ(Get(third.task.id).output_summary, "watered too");
}

// Thousands of free slots at once are filled over several loop turns, a
// bounded batch of claims and starts each, so that the lease renewal and
// the other duties between turns are never held up by a run of starts (a
// start costs a millisecond or two: 10,000 in one go would outlast a lease).
TEST_F(EngineLauncherTest, ABurstOfFreeSlotsIsFilledInBoundedTurns) {
  config_.executor.max_concurrent = 600;
  config_.executor.per_agent_limit = 600;
  auto owned = std::make_unique<BatchCountingStore>(store_.get());
  BatchCountingStore& batches = *owned;
  batches.released = true;
  engine_store_ = std::move(owned);
  for (int i = 0; i < 600; ++i) Add("Label the photo #" + std::to_string(i), "jochi");
  StartEngine();
  ASSERT_FALSE(launcher_->WaitStarted(600).execution.id.empty());
  std::lock_guard<std::mutex> l(batches.mu);
  EXPECT_EQ(batches.claim_sizes, (std::vector<size_t>{256, 256, 88}));
}

// A store that takes a claim but loses its answer once, as a COMMIT whose
// reply never came: the claim committed and the engine does not know it.
class LostClaimAnswerStore final : public store_test::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Status Claim(const ClaimRequest& req, taskexec::Claim* out) override {
    Status s = inner_->Claim(req, out);
    if (s.ok() && lose_next.exchange(false))
      return Status::Unavailable("the commit of transaction 1234 got no answer");
    return s;
  }
  std::atomic<bool> lose_next{true};
};

// That claim holds the task with no attempt anywhere. The next lease
// renewal finds it and releases it (its attempt never started: no retry
// spent, not "lost"); the task then runs once and completes.
TEST_F(EngineLauncherTest, AClaimWhoseAnswerWasLostIsReleasedAndTheTaskRunsOnce) {
  manual_loop_ = true;
  engine_store_ = std::make_unique<LostClaimAnswerStore>(store_.get());
  StartEngine();
  const std::string id = Add("Write the report");
  ASSERT_TRUE(Settle());
  for (int s = 0; s < 15 && launcher_->started() == 0; ++s) {
    loop_clock_.Advance(1000);
    ASSERT_TRUE(loop_clock_.AwaitIdle());
  }
  AgentJob job = launcher_->WaitStarted(1);
  ASSERT_TRUE(launcher_->Finish(job.execution.id, FakeLauncher::Completed("report written")));
  ASSERT_TRUE(WaitRecorded(id));
  const Task t = Get(id);
  EXPECT_EQ(t.status, TaskStatus::kCompleted);
  EXPECT_EQ(t.retry_count, 0);
  std::vector<SessionExecution> executions;
  ASSERT_TRUE(store_->ListExecutions(id, &executions).ok());
  ASSERT_EQ(executions.size(), 2u);
  EXPECT_EQ(executions[0].status, ExecutionStatus::kCancelled);
  EXPECT_EQ(executions[0].error_type, ErrorType::kReleased);
  EXPECT_NE(executions[0].error.find("never started"), std::string::npos) << executions[0].error;
  EXPECT_EQ(executions[1].status, ExecutionStatus::kCompleted);
  EXPECT_EQ(executions[1].id, job.execution.id);
  EXPECT_EQ(launcher_->started(), 1u);
}

// A store that refuses every write: the engine claims nothing (a claim
// would only fail), keeps the ended attempt's outcome, says why in its
// snapshot (status, /metrics, /readyz), and takes work again once a
// heartbeat lands; the kept outcome lands too.
TEST_F(EngineLauncherTest, NoTaskIsClaimedWhileTheStoreRefusesWrites) {
  manual_loop_ = true;
  auto owned = std::make_unique<FullDiskStore>(store_.get());
  FullDiskStore& disk = *owned;
  disk.full = false;
  disk.every_write = true;
  engine_store_ = std::move(owned);
  StartEngine();
  const std::string first = Add("Write the report");
  AgentJob job = launcher_->WaitStarted(1);
  ASSERT_TRUE(Settle());

  disk.full = true;
  ASSERT_TRUE(launcher_->Finish(job.execution.id, FakeLauncher::Completed("report written")));
  ASSERT_TRUE(Settle());
  const std::string second = Add("Plan the offsite");
  for (int s = 0; s < 30; ++s) {
    loop_clock_.Advance(1000);
    ASSERT_TRUE(loop_clock_.AwaitIdle());
  }
  EngineSnapshot snap = engine_->Snapshot();
  EXPECT_EQ(disk.claims_refused.load(), 0);  // none even tried
  EXPECT_EQ(launcher_->started(), 1u);
  EXPECT_EQ(snap.kept_outcomes, 1);
  EXPECT_EQ(snap.refusing_work.rfind("the store refuses writes: ", 0), 0u) << snap.refusing_work;
  EXPECT_NE(snap.refusing_work.find("database or disk is full"), std::string::npos);
  EXPECT_GE(snap.store_write_errors, 30);
  EXPECT_EQ(Get(first).status, TaskStatus::kInProgress);
  EXPECT_EQ(Get(second).status, TaskStatus::kPending);

  disk.full = false;
  loop_clock_.Advance(1000);
  ASSERT_TRUE(WaitRecorded(first));
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  AgentJob next = launcher_->WaitStarted(2);
  EXPECT_EQ(next.task.id, second);
  snap = engine_->Snapshot();
  EXPECT_EQ(snap.kept_outcomes, 0);
  EXPECT_EQ(snap.refusing_work, "");
  EXPECT_EQ(Get(first).status, TaskStatus::kCompleted);
}

// Self-fencing: each renewal tells the launcher how long the leases hold
// (lease - a sixth - the stop's grace; the grace is a sixth of the lease at
// most). When renewals fail past that, the launcher's fence stops the
// attempt, and its end (by a signal the engine never sent) is recorded lost
// and retried, not failed nor "cancelled on request".
TEST_F(EngineLauncherTest, AnAttemptStoppedByTheLeaseFenceIsRecordedLost) {
  manual_loop_ = true;
  auto owned = std::make_unique<FullDiskStore>(store_.get());
  FullDiskStore& disk = *owned;
  disk.full = false;
  engine_store_ = std::move(owned);
  StartEngine();
  ASSERT_TRUE(Settle());
  ASSERT_FALSE(launcher_->fences().empty());
  EXPECT_EQ(launcher_->fences().back(), std::make_pair(int64_t{20'000}, int64_t{5'000}));
  const std::string id = AddSeen("Write the report", "");
  AgentJob job = launcher_->WaitStarted(1);
  ASSERT_TRUE(Settle());
  loop_clock_.Advance(10'000);  // a renewal
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  EXPECT_EQ(launcher_->fences().back().first, 20'000);

  disk.refuse_renewals = true;
  for (int s = 0; s < 25; ++s) {
    loop_clock_.Advance(1000);
    ASSERT_TRUE(loop_clock_.AwaitIdle());
  }
  // The launcher stopped it when the fence's time passed.
  AgentResult stopped = FakeLauncher::Failed(ErrorType::kExecutionError, "killed by signal 15",
                                             /*retryable=*/true);
  stopped.exit_code.reset();
  stopped.term_signal = 15;
  ASSERT_TRUE(launcher_->Finish(job.execution.id, stopped));
  ASSERT_TRUE(Settle());
  std::vector<SessionExecution> executions;
  ASSERT_TRUE(store_->ListExecutions(id, &executions).ok());
  ASSERT_EQ(executions.size(), 1u);
  EXPECT_EQ(executions[0].status, ExecutionStatus::kLost);
  EXPECT_EQ(executions[0].error_type, ErrorType::kLost);
  EXPECT_NE(executions[0].error.find("stopped by self-fencing"), std::string::npos)
      << executions[0].error;
  Task t = Get(id);
  EXPECT_EQ(t.status, TaskStatus::kRetrying);
  EXPECT_EQ(t.retry_count, 1);

  // A signal after renewals came back is the agent's own end again.
  disk.refuse_renewals = false;
  loop_clock_.Advance(1000);
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  AgentJob again = launcher_->WaitStarted(2);
  ASSERT_EQ(again.task.id, id);
  loop_clock_.Advance(10'000);
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  ASSERT_TRUE(launcher_->Finish(again.execution.id, stopped));
  ASSERT_TRUE(Settle());
  ASSERT_TRUE(store_->GetExecution(again.execution.id, &executions[0]).ok());
  EXPECT_EQ(executions[0].status, ExecutionStatus::kFailed);
}

// With more attempts running than a round looks at (1,000), the rounds take
// them in turn: every attempt's output is recorded within two rounds here,
// and no round writes more than 1,000.
TEST_F(EngineLauncherTest, OutputTimesOfManyAttemptsAreRecordedInTurn) {
  config_.executor.lease_seconds = 30;
  config_.executor.poll_interval_seconds = 3600;
  config_.executor.max_concurrent = 1200;
  config_.executor.per_agent_limit = 1200;
  manual_loop_ = true;
  for (int i = 0; i < 1200; ++i) Add("Keep talking #" + std::to_string(i), "jochi");
  StartEngine();
  for (int turn = 0; turn < 10 && launcher_->started() < 1200; ++turn) {
    ASSERT_TRUE(Settle());
  }
  ASSERT_EQ(launcher_->started(), 1200u);
  std::vector<SessionExecution> active;
  ASSERT_TRUE(store_->ListActiveExecutions(&active).ok());
  ASSERT_EQ(active.size(), 1200u);
  const TimeMs said_at = clock_.NowMs() + 1'000;
  for (const SessionExecution& e : active) launcher_->Output(e.id, said_at, "still at it");
  auto recorded = [&] {
    std::vector<SessionExecution> now;
    EXPECT_TRUE(store_->ListActiveExecutions(&now).ok());
    return std::count_if(now.begin(), now.end(),
                         [&](const SessionExecution& e) { return e.last_output_at == said_at; });
  };
  loop_clock_.Advance(5'000);
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  EXPECT_EQ(recorded(), 1000);
  loop_clock_.Advance(5'000);
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  EXPECT_EQ(recorded(), 1200);
}

// A running attempt's last output and its last meaningful line reach the
// store every 5 s, only when the output moved; the attempt's end keeps the
// final ones.
TEST_F(EngineLauncherTest, TheLastOutputOfARunningAttemptIsRecordedEveryFiveSeconds) {
  config_.executor.lease_seconds = 30;
  config_.executor.poll_interval_seconds = 3600;
  manual_loop_ = true;
  StartEngine();
  const std::string id = Add("Say something now and then");
  AgentJob job = launcher_->WaitStarted(1);
  ASSERT_TRUE(Settle());
  auto last_output = [&] {
    SessionExecution e;
    EXPECT_TRUE(store_->GetExecution(job.execution.id, &e).ok());
    return e.last_output_at;
  };
  auto last_line = [&] {
    SessionExecution e;
    EXPECT_TRUE(store_->GetExecution(job.execution.id, &e).ok());
    return e.last_output_line;
  };
  EXPECT_EQ(last_output(), 0);  // silent so far

  const TimeMs said_at = clock_.NowMs() + 4'000;
  launcher_->Output(job.execution.id, said_at, "reading the tests");
  loop_clock_.Advance(4'999);
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  EXPECT_EQ(last_output(), 0);  // not before the next round
  loop_clock_.Advance(1);
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  EXPECT_EQ(last_output(), said_at);
  EXPECT_EQ(last_line(), "reading the tests");

  // Output with nothing worth showing moves the time, keeps the line.
  launcher_->Output(job.execution.id, said_at + 3'000, "");
  loop_clock_.Advance(5'000);
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  EXPECT_EQ(last_output(), said_at + 3'000);
  EXPECT_EQ(last_line(), "reading the tests");

  AgentResult done = FakeLauncher::Completed("said");
  done.last_output_at = said_at + 12'000;
  done.last_output_line = "all tests pass";
  ASSERT_TRUE(launcher_->Finish(job.execution.id, done));
  ASSERT_TRUE(WaitRecorded(id));
  EXPECT_EQ(last_output(), said_at + 12'000);
  EXPECT_EQ(last_line(), "all tests pass");
}

// A stalled attempt is retried, continues its session (agent.resume =
// on_reply) and is counted by error type.
TEST_F(EngineLauncherTest, AStalledAttemptIsRetriedInItsSessionAndCounted) {
  StartEngine();
  const std::string id = Add("Think quietly");
  AgentJob first = launcher_->WaitStarted(1);
  AgentResult stalled = FakeLauncher::Failed(ErrorType::kStalled, "stalled: no output", true);
  stalled.status = ExecutionStatus::kTimedOut;
  stalled.session_id = "sess-quiet";
  ASSERT_TRUE(launcher_->Finish(first.execution.id, stalled));
  AgentJob second = launcher_->WaitStarted(2);
  EXPECT_EQ(second.resume_session_id, "sess-quiet");
  ASSERT_TRUE(launcher_->Finish(second.execution.id, FakeLauncher::Completed("spoke")));
  ASSERT_TRUE(WaitRecorded(id));
  EXPECT_EQ(Get(id).status, TaskStatus::kCompleted);
  EXPECT_EQ(Get(id).retry_count, 1);
  const EngineSnapshot snap = engine_->Snapshot();
  EXPECT_EQ(snap.attempt_errors.at("stalled"), 1);
  // Both attempts in the /metrics counters and histograms, by agent.
  const std::string agent = first.execution.agent;
  EXPECT_EQ(snap.attempts.ended.at({agent, "timed_out"}), 1);
  EXPECT_EQ(snap.attempts.ended.at({agent, "completed"}), 1);
  EXPECT_EQ(snap.attempts.retries, 1);
  EXPECT_EQ(snap.attempts.run_seconds.at(agent).count(), 2);
  EXPECT_EQ(snap.attempts.queue_wait_seconds.at(agent).count(), 2);
}

// A question parks the task: nothing runs until a person replies, and then
// the next attempt continues the session with the question and the answer.
TEST_F(EngineLauncherTest, AQuestionWaitsForAReplyThenTheSessionGoesOn) {
  manual_loop_ = true;
  config_.executor.poll_interval_seconds = 1;
  StartEngine();
  const std::string id = Add("Paint the shelves");
  AgentJob first = launcher_->WaitStarted(1);
  AgentResult asked = FakeLauncher::Completed("");
  asked.status = ExecutionStatus::kNeedsInput;
  asked.question = "Which colour?";
  asked.session_id = "sess-paint";
  ASSERT_TRUE(launcher_->Finish(first.execution.id, asked));
  ASSERT_TRUE(Settle());
  EXPECT_EQ(Get(id).status, TaskStatus::kNeedsInput);
  EXPECT_EQ(Get(id).question, "Which colour?");
  // Time passes, sweeps run: nothing starts it again.
  loop_clock_.Advance(120'000);
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  EXPECT_EQ(launcher_->started(), 1u);

  ASSERT_TRUE(store_->Reply(id, "blue", clock_.NowMs(), nullptr).ok());
  engine_->Wake();
  AgentJob second = launcher_->WaitStarted(2);
  EXPECT_EQ(second.task.question, "Which colour?");
  EXPECT_EQ(second.task.reply, "blue");
  EXPECT_EQ(second.resume_session_id, "sess-paint");
  EXPECT_EQ(second.execution.attempt, 1);  // an answer is not a retry
  ASSERT_TRUE(launcher_->Finish(second.execution.id, FakeLauncher::Completed("painted blue")));
  ASSERT_TRUE(WaitRecorded(id));
  EXPECT_EQ(Get(id).status, TaskStatus::kCompleted);
}

// budget.task_max_cost_usd: the attempt that reaches it ends the task
// instead of a retry, and no path starts the task again but `execute
// --force`, whose attempt still gets no retry past the limit.
TEST_F(EngineLauncherTest, ASpentBudgetEndsTheTaskAndOnlyAForcedExecutionRunsIt) {
  config_.budget.task_max_cost_usd = 0.01;
  StartEngine();
  const std::string id = Add("Tidy the shelves");
  AgentJob first = launcher_->WaitStarted(1);
  AgentResult failed = FakeLauncher::Failed(ErrorType::kConnectionError, "reset by peer", true);
  failed.usage.cost_usd = 0.012;
  ASSERT_TRUE(launcher_->Finish(first.execution.id, failed));
  ASSERT_TRUE(WaitRecorded(id));
  Task t = Get(id);
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error_type, ErrorType::kBudgetExhausted);
  EXPECT_EQ(t.error_message,
            "budget exhausted: cost $0.0120 reached the limit of $0.0100 "
            "(budget.task_max_cost_usd); raise the limit, or run `taskexec execute " +
                id + " --force` for one more attempt");
  EXPECT_EQ(t.retry_count, 0);
  EXPECT_EQ(t.attempts, 1);
  EXPECT_EQ(engine_->Snapshot().budget_stops, 1);

  // A person moves it back to the queue: it is ended again before a start.
  ASSERT_TRUE(store_->SetStatus(id, TaskStatus::kPending, "", clock_.NowMs(), nullptr).ok());
  engine_->Wake();
  ASSERT_TRUE(WaitRecorded(id, 2));
  t = Get(id);
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error_type, ErrorType::kBudgetExhausted);
  EXPECT_EQ(t.attempts, 1);
  EXPECT_EQ(launcher_->started(), 1u);
  EXPECT_EQ(engine_->Snapshot().budget_stops, 2);

  // `execute` is refused with the reason; `execute --force` runs one attempt.
  StoreTaskService service(store_.get(), router_.get(), &clock_, [this] { engine_->Wake(); });
  service.SetBudget(TaskLimits{0.01, 0, 0, 0});
  std::string attempt;
  Status refused = service.Execute(id, "", /*force=*/false, &attempt);
  EXPECT_TRUE(refused.IsConflict()) << refused.ToString();
  EXPECT_NE(refused.message().find("budget exhausted: cost $0.0120"), std::string::npos)
      << refused.ToString();
  ASSERT_TRUE(service.Execute(id, "", /*force=*/true, &attempt).ok());
  AgentJob forced = launcher_->WaitStarted(2);
  EXPECT_EQ(forced.execution.id, attempt);
  ASSERT_TRUE(launcher_->Finish(forced.execution.id, failed));
  ASSERT_TRUE(WaitRecorded(id, 3));
  t = Get(id);
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error_type, ErrorType::kBudgetExhausted);
  EXPECT_EQ(t.attempts, 2);
  EXPECT_EQ(launcher_->started(), 2u);
}

// A task's own attempt limit counts every attempt, also those after an
// answer reset the retry counter; a completion within it completes.
TEST_F(EngineLauncherTest, AnAttemptLimitCountsAttemptsTheRetryCounterForgot) {
  NewTask nt;
  nt.title = "Paint the shelves";
  nt.limits.max_attempts = 2;
  Task added;
  ASSERT_TRUE(store_->AddTask(nt, clock_.NowMs(), &added).ok());
  manual_loop_ = true;
  config_.executor.poll_interval_seconds = 1;
  StartEngine();
  AgentJob first = launcher_->WaitStarted(1);
  AgentResult asked = FakeLauncher::Completed("");
  asked.status = ExecutionStatus::kNeedsInput;
  asked.question = "Which colour?";
  ASSERT_TRUE(launcher_->Finish(first.execution.id, asked));
  ASSERT_TRUE(Settle());
  ASSERT_EQ(Get(added.id).status, TaskStatus::kNeedsInput);
  ASSERT_TRUE(store_->Reply(added.id, "blue", clock_.NowMs(), nullptr).ok());
  engine_->Wake();
  AgentJob second = launcher_->WaitStarted(2);
  EXPECT_EQ(second.task.attempts, 2);
  ASSERT_TRUE(launcher_->Finish(second.execution.id,
                                FakeLauncher::Failed(ErrorType::kApiError, "HTTP 529", true)));
  ASSERT_TRUE(WaitRecorded(added.id));
  Task t = Get(added.id);
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error_type, ErrorType::kBudgetExhausted);
  EXPECT_NE(t.error_message.find("2 attempts reached the limit of 2 (the task's max_attempts)"),
            std::string::npos)
      << t.error_message;
  EXPECT_EQ(launcher_->started(), 2u);
}

// agent.circuit_failures in a row pause the agent in the store: its tasks
// wait while another agent's run; after the pause one more failure reopens
// it for twice as long; lifting the pause (what `agent resume` writes) lets
// its tasks start at once.
TEST_F(EngineLauncherTest, ConsecutiveFailuresPauseTheAgentOthersRunOn) {
  manual_loop_ = true;
  config_.executor.poll_interval_seconds = 1;
  config_.executor.per_agent_limit = 1;
  config_.executor.max_retries = 0;
  config_.agent.circuit_failures = 2;
  config_.agent.circuit_pause_seconds = 60;
  StartEngine();
  const AgentResult fatal = FakeLauncher::Failed(ErrorType::kApiError, "HTTP 500", false);
  AddSeen("first", "mongke");
  AgentJob first = launcher_->WaitStarted(1);
  AddSeen("other's", "temujin");
  AgentJob others = launcher_->WaitStarted(2);
  ASSERT_EQ(others.execution.agent, "temujin");
  AddSeen("second", "mongke");
  const std::string third = AddSeen("third", "mongke");
  ASSERT_TRUE(launcher_->Finish(first.execution.id, fatal));
  AgentJob second = launcher_->WaitStarted(3);
  ASSERT_EQ(second.execution.agent, "mongke");
  ASSERT_TRUE(launcher_->Finish(second.execution.id, fatal));
  ASSERT_TRUE(Settle());

  // Open: mongke's third task waits; the pause is in the store for every executor.
  EXPECT_EQ(launcher_->started(), 3u);
  std::optional<AgentPause> pause = StoredPause("mongke");
  ASSERT_TRUE(pause);
  EXPECT_EQ(pause->reason, PauseReason::kCircuit);
  EXPECT_EQ(pause->until, pause->since + 60'000);
  const TimeMs opened_at = pause->since;
  EXPECT_EQ(pause->message, "2 consecutive failed attempts (last: api_error: HTTP 500)");
  EXPECT_EQ(engine_->Snapshot().pauses.count("mongke"), 1u);
  // temujin is not paused: its next task starts when the first ends.
  const std::string other_two = AddSeen("other's second", "temujin");
  ASSERT_TRUE(launcher_->Finish(others.execution.id, FakeLauncher::Completed("ok")));
  AgentJob others_second = launcher_->WaitStarted(4);
  EXPECT_EQ(others_second.task.id, other_two);
  ASSERT_TRUE(launcher_->Finish(others_second.execution.id, FakeLauncher::Completed("ok")));

  // The pause ends: the third task runs; its failure reopens the circuit
  // for twice as long.
  loop_clock_.Advance(opened_at + 59'000 - clock_.NowMs());
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  EXPECT_EQ(launcher_->started(), 4u);
  loop_clock_.Advance(1'000);
  AgentJob third_job = launcher_->WaitStarted(5);
  EXPECT_EQ(third_job.task.id, third);
  ASSERT_TRUE(launcher_->Finish(third_job.execution.id, fatal));
  ASSERT_TRUE(Settle());
  pause = StoredPause("mongke");
  ASSERT_TRUE(pause);
  EXPECT_EQ(pause->pause_ms, 120'000);
  EXPECT_EQ(pause->until, pause->since + 120'000);

  // A person lifts it: the next task starts without waiting out the pause.
  const std::string fourth = AddSeen("fourth", "mongke");
  ASSERT_TRUE(Settle());
  EXPECT_EQ(launcher_->started(), 5u);
  ASSERT_TRUE(store_->SetMeta(AgentPauseKey("mongke"), "").ok());
  engine_->PausesChanged();
  AgentJob fourth_job = launcher_->WaitStarted(6);
  EXPECT_EQ(fourth_job.task.id, fourth);
  ASSERT_TRUE(launcher_->Finish(fourth_job.execution.id, FakeLauncher::Completed("ok")));
  ASSERT_TRUE(Settle());
  EXPECT_EQ(engine_->Snapshot().pauses.count("mongke"), 0u);
}

// An attempt that ends on the provider's usage limit sends its task back to
// pending without spending a retry and pauses the agent until the reset the
// output gave; its other tasks wait too, and both run once the limit resets.
// Without a reset time the pause is agent.usage_limit_pause_seconds.
TEST_F(EngineLauncherTest, AUsageLimitPausesTheAgentUntilItResets) {
  manual_loop_ = true;
  config_.executor.poll_interval_seconds = 1;
  config_.executor.per_agent_limit = 1;
  config_.executor.max_retries = 1;
  config_.agent.circuit_failures = 1;  // a usage limit must not open it
  config_.agent.usage_limit_pause_seconds = 300;
  StartEngine();
  const std::string first = AddSeen("first", "mongke");
  AgentJob job = launcher_->WaitStarted(1);
  const std::string second = AddSeen("second", "mongke");
  AgentResult limited = FakeLauncher::Failed(
      ErrorType::kUsageLimit, "usage limit: Claude AI usage limit reached|1796486400", true);
  const TimeMs reset_at = clock_.NowMs() + 600'000;
  limited.usage_limit_reset_at = reset_at;
  ASSERT_TRUE(launcher_->Finish(job.execution.id, limited));
  ASSERT_TRUE(Settle());

  Task t = Get(first);
  EXPECT_EQ(t.status, TaskStatus::kPending);
  EXPECT_EQ(t.retry_count, 0);
  EXPECT_EQ(t.error_type, ErrorType::kUsageLimit);
  std::optional<AgentPause> pause = StoredPause("mongke");
  ASSERT_TRUE(pause);
  EXPECT_EQ(pause->reason, PauseReason::kUsageLimit);
  EXPECT_EQ(pause->until, reset_at);
  EXPECT_NE(pause->message.find("Claude AI usage limit reached"), std::string::npos);
  EXPECT_EQ(launcher_->started(), 1u);

  // A second right before the reset nothing starts; at the reset the first
  // task runs again (the queue's order), then the second.
  loop_clock_.Advance(reset_at - 1'000 - clock_.NowMs());
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  EXPECT_EQ(launcher_->started(), 1u);
  loop_clock_.Advance(1'000);
  AgentJob again = launcher_->WaitStarted(2);
  EXPECT_EQ(again.task.id, first);
  EXPECT_EQ(again.task.retry_count, 0);

  // No reset in the output: paused for agent.usage_limit_pause_seconds.
  const TimeMs unsaid_at = clock_.NowMs();
  ASSERT_TRUE(launcher_->Finish(
      again.execution.id,
      FakeLauncher::Failed(ErrorType::kUsageLimit, "usage limit: Quota exceeded", true)));
  ASSERT_TRUE(Settle());
  pause = StoredPause("mongke");
  ASSERT_TRUE(pause);
  EXPECT_EQ(pause->until, unsaid_at + 300'000);
  EXPECT_EQ(Get(first).retry_count, 0);
  EXPECT_EQ(launcher_->started(), 2u);
  loop_clock_.Advance(300'000);
  AgentJob after = launcher_->WaitStarted(3);
  ASSERT_TRUE(launcher_->Finish(after.execution.id, FakeLauncher::Completed("ok")));
  AgentJob last = launcher_->WaitStarted(4);
  ASSERT_TRUE(launcher_->Finish(last.execution.id, FakeLauncher::Completed("ok")));
  ASSERT_TRUE(Settle());
  EXPECT_EQ(Get(first).status, TaskStatus::kCompleted);
  EXPECT_EQ(Get(second).status, TaskStatus::kCompleted);
}

// A shorter pause never replaces a longer one: an attempt that was already
// running fails after the usage limit paused its agent and opens the
// circuit, yet the agent stays paused until the limit resets.
TEST_F(EngineLauncherTest, AShorterPauseLeavesALongerOneStanding) {
  manual_loop_ = true;
  config_.executor.poll_interval_seconds = 1;
  config_.executor.per_agent_limit = 2;
  config_.executor.max_retries = 0;
  config_.agent.circuit_failures = 1;
  config_.agent.circuit_pause_seconds = 60;
  StartEngine();
  Add("first", "mongke");
  Add("second", "mongke");
  loop_clock_.Advance(config_.executor.store_poll_ms);
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  AgentJob first = launcher_->WaitStarted(1);
  AgentJob second = launcher_->WaitStarted(2);
  AgentResult limited = FakeLauncher::Failed(ErrorType::kUsageLimit, "usage limit reached", true);
  const TimeMs reset_at = clock_.NowMs() + 600'000;
  limited.usage_limit_reset_at = reset_at;
  ASSERT_TRUE(launcher_->Finish(first.execution.id, limited));
  ASSERT_TRUE(Settle());
  ASSERT_TRUE(launcher_->Finish(second.execution.id,
                                FakeLauncher::Failed(ErrorType::kApiError, "HTTP 500", false)));
  ASSERT_TRUE(Settle());
  std::optional<AgentPause> pause = StoredPause("mongke");
  ASSERT_TRUE(pause);
  EXPECT_EQ(pause->reason, PauseReason::kUsageLimit);
  EXPECT_EQ(pause->until, reset_at);
  loop_clock_.Advance(120'000);  // past the circuit's 60 s: still paused
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  EXPECT_EQ(launcher_->started(), 2u);
  loop_clock_.Advance(reset_at - clock_.NowMs());
  AgentJob again = launcher_->WaitStarted(3);  // the first task, after the reset
  ASSERT_TRUE(launcher_->Finish(again.execution.id, FakeLauncher::Completed("ok")));
  ASSERT_TRUE(Settle());
}

// budget.agent_daily_cost_usd: once an agent's attempts cost that much
// today (UTC) it is paused until midnight, its other tasks wait while
// another agent's run; the next day they start. A restart with a raised
// limit lifts the pause.
TEST_F(EngineLauncherTest, AnAgentThatSpentItsDailyBudgetWaitsForMidnight) {
  manual_loop_ = true;
  config_.executor.poll_interval_seconds = 1;
  config_.executor.per_agent_limit = 1;
  config_.budget.agent_daily_cost_usd = 1.0;
  StartEngine();
  auto priced = [](double usd) {
    AgentResult r = FakeLauncher::Completed("ok");
    r.usage.cost_usd = usd;
    r.usage.input_tokens = 100;
    return r;
  };
  AddSeen("first", "mongke");
  AgentJob first = launcher_->WaitStarted(1);
  AddSeen("second", "mongke");
  const std::string third = AddSeen("third", "mongke");
  ASSERT_TRUE(launcher_->Finish(first.execution.id, priced(0.6)));
  AgentJob second = launcher_->WaitStarted(2);  // $0.60 of $1.00: on
  ASSERT_TRUE(launcher_->Finish(second.execution.id, priced(0.5)));
  ASSERT_TRUE(Settle());

  // $1.10: paused until 00:00 UTC; another agent runs on.
  EXPECT_EQ(launcher_->started(), 2u);
  std::optional<AgentPause> pause = StoredPause("mongke");
  ASSERT_TRUE(pause);
  EXPECT_EQ(pause->reason, PauseReason::kDailyBudget);
  EXPECT_EQ(pause->until, UtcDayStart(clock_.NowMs()) + 86'400'000);
  EXPECT_NE(pause->message.find("spent $1.10 today (UTC), the daily limit of $1.00"),
            std::string::npos)
      << pause->message;
  AddSeen("other's", "temujin");
  AgentJob others = launcher_->WaitStarted(3);
  EXPECT_EQ(others.execution.agent, "temujin");
  ASSERT_TRUE(launcher_->Finish(others.execution.id, FakeLauncher::Completed("ok")));
  ASSERT_TRUE(Settle());

  // A restart with a raised limit lifts the pause: the third task runs.
  engine_->Stop();
  engine_.reset();
  config_.budget.agent_daily_cost_usd = 2.0;
  StartEngine();
  AgentJob third_job = launcher_->WaitStarted(1);
  EXPECT_EQ(third_job.task.id, third);
  EXPECT_FALSE(StoredPause("mongke"));  // lifted

  // At $2.10 it pauses again; at midnight the day's count starts over.
  ASSERT_TRUE(launcher_->Finish(third_job.execution.id, priced(1.0)));
  ASSERT_TRUE(Settle());
  const std::string fourth = AddSeen("fourth", "mongke");
  EXPECT_EQ(launcher_->started(), 1u);
  const TimeMs midnight = UtcDayStart(clock_.NowMs()) + 86'400'000;
  loop_clock_.Advance(midnight - 1 - clock_.NowMs());
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  EXPECT_EQ(launcher_->started(), 1u);
  loop_clock_.Advance(1);
  AgentJob next_day = launcher_->WaitStarted(2);
  EXPECT_EQ(next_day.task.id, fourth);
  ASSERT_TRUE(launcher_->Finish(next_day.execution.id, priced(0.1)));
  ASSERT_TRUE(Settle());
  pause = StoredPause("mongke");
  EXPECT_FALSE(pause && pause->ActiveAt(clock_.NowMs()));  // $0.10 today: on
}

TEST_F(EngineLauncherTest, StopWaitsOutTheShutdownGraceThenReleasesTheTask) {
  config_.executor.shutdown_grace_seconds = 60;
  manual_loop_ = true;
  StartEngine();
  const std::string id = Add("Long research");
  AgentJob job = launcher_->WaitStarted(1);
  std::thread stopper([&] { engine_->Stop(); });
  while (engine_->running()) std::this_thread::yield();  // the stop is requested
  ASSERT_TRUE(Settle());                                 // and the loop waits in the drain

  loop_clock_.Advance(59'999);
  ASSERT_TRUE(loop_clock_.AwaitIdle());
  EXPECT_FALSE(launcher_->shut_down());
  EXPECT_EQ(Get(id).status, TaskStatus::kInProgress);

  loop_clock_.Advance(1);
  ASSERT_TRUE(launcher_->WaitCancelled(job.execution.id));
  stopper.join();
  EXPECT_TRUE(launcher_->shut_down());
  EXPECT_EQ(Get(id).status, TaskStatus::kPending);  // released, not failed
}

}  // namespace
}  // namespace taskexec
