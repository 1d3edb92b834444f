#include "engine/engine.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "engine/duties.h"
#include "engine/executor_registry.h"
#include "engine/outcome_rules.h"
#include "engine/usage_limit_pause.h"
#include "runner/presets.h"
#include "runner/process_launcher.h"

namespace taskexec {
namespace {

constexpr int64_t kCancelCheckMs = 250;  // a stored cancel is carried out well within 1 s
// Duties the loop also runs outside their period.
constexpr const char* kRenewLeases = "renew leases";
constexpr const char* kCancelRequests = "cancel requests";
// How often running attempts' output times and lines are written: the
// dashboard and the Notion progress comment show them live. At most
// kOutputRecordBatch attempts are looked at per round, in turn: with more
// running, each is brought up to date every (running / batch) rounds, and
// the store's writes stay bounded however many sessions run.
constexpr int64_t kOutputRecordMs = 5000;
constexpr size_t kOutputRecordBatch = 1000;
// How long a running attempt's pid may be missing from the store (the claim
// starts the attempt before its process exists).
constexpr int64_t kPidRecordMs = 1000;

}  // namespace

Engine::Engine(const Config& config, TaskStore* store, const AgentRouter* router,
               const Clock* clock, LauncherFactory make_launcher, LoopClock* loop_clock)
    : config_(config),
      store_(store),
      router_(router),
      clock_(clock),
      loop_clock_(loop_clock ? loop_clock : SteadyLoopClock::Default()),
      retry_(config.executor),
      budget_(ConfiguredLimits(config.budget)),
      breaker_(config.agent.circuit_failures, config.agent.circuit_pause_seconds * 1000LL,
               config.agent.circuit_max_pause_seconds * 1000LL),
      executor_id_(config.executor.executor_id.empty() ? NewExecutorId()
                                                       : config.executor.executor_id),
      make_launcher_(std::move(make_launcher)),
      rng_(std::random_device{}()) {
  // The config was validated: an unknown mode cannot reach here.
  (void)ParseResumeMode(config_.agent.resume, &resume_mode_);
  can_resume_ = !ResumeArgs(config_.agent).empty();
  if (!make_launcher_) {
    make_launcher_ = [this] {
      return std::make_unique<ProcessLauncher>(
          config_.agent, clock_, AgentEnvironment::FromConfig(config_, ProcessEnvironment()));
    };
  }
}

Engine::~Engine() { Stop(); }

void Engine::SetCallbacks(EngineCallbacks callbacks) { callbacks_ = std::move(callbacks); }

Status Engine::Start() {
  MutexLock lk(&mu_);
  if (started_) return Status::Conflict("engine already started");
  launcher_ = make_launcher_();
  started_ = true;
  stop_requested_ = false;
  snapshot_.running = true;
  snapshot_.executor_id = executor_id_;
  // A store that pushes its changes wakes the loop at once; others are
  // polled every executor.store_poll_ms.
  store_changes_ = store_->SubscribeToChanges([this] {
    MutexLock lock(&mu_);
    store_changed_ = true;
    cv_.SignalAll();
  });
  thread_ = std::thread([this] { Loop(); });
  spdlog::info("engine {} started (max_concurrent={}, auto_assign={})", executor_id_,
               config_.executor.max_concurrent, config_.executor.auto_assign);
  return Status::OK();
}

void Engine::Stop() {
  std::unique_ptr<ChangeSubscription> changes;
  {
    MutexLock lk(&mu_);
    if (!started_) return;
    stop_requested_ = true;
    changes = std::move(store_changes_);
    cv_.SignalAll();
  }
  changes.reset();  // outside mu_: it waits for a push under way, which takes mu_
  if (thread_.joinable()) thread_.join();
  MutexLock lk(&mu_);
  started_ = false;
  snapshot_.running = false;
}

bool Engine::running() const {
  MutexLock lk(&mu_);
  return started_ && !stop_requested_;
}

void Engine::Wake() {
  MutexLock lk(&mu_);
  wake_ = true;
  cv_.SignalAll();
}

void Engine::PausesChanged() {
  MutexLock lk(&mu_);
  reload_pauses_ = true;
  wake_ = true;
  cv_.SignalAll();
}

EngineSnapshot Engine::Snapshot() const {
  MutexLock lk(&mu_);
  return snapshot_;
}

double Engine::Jitter() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

bool Engine::PollStoreChanges() {
  // Cheap check for writes by other processes (new tasks, requests).
  int64_t counter = 0;
  Status s = store_->ChangeCounter(&counter);
  const bool changed = !s.ok() || counter != last_change_counter_;
  if (s.ok() && counter != last_change_counter_) {
    // Another writer may have added tasks for new agents or edited some
    // (which clears their route). Both checks are index seeks here.
    check_unrouted_ = true;
    RefreshQueuedAgents();
    LoadPauses();
  }
  if (s.ok()) last_change_counter_ = counter;
  return changed;
}

void Engine::Loop() {
  host_ = HostName();
  started_at_ = clock_->NowMs();
  CheckRoutingConfig();
  RefreshQueuedAgents();
  LoadPauses();
  CheckDailyBudgets("");
  RecoverExpired();
  Duties duties = PeriodicDuties(loop_clock_->NowMs());
  Dispatch();
  while (RunTurn(duties)) {
  }
  DrainAtShutdown(duties);
}

Duties Engine::PeriodicDuties(int64_t start) {
  const int64_t lease_ms = static_cast<int64_t>(config_.executor.lease_seconds) * 1000;
  const int64_t sweep_ms = std::min<int64_t>(
      static_cast<int64_t>(config_.executor.poll_interval_seconds) * 1000, lease_ms);
  Duties duties;
  duties.Add(kRenewLeases, std::max<int64_t>(1000, lease_ms / 3), start, [this] {
    RenewLeases();
    SendHeartbeat();
    return false;
  });
  duties.Add("record output",
             std::min<int64_t>(kOutputRecordMs, std::max<int64_t>(1000, lease_ms / 3)), start,
             [this] {
               RecordOutputTimes();
               return false;
             });
  duties.Add("record pids", kPidRecordMs, start, [this] {
    RecordPids();
    return false;
  });
  duties.Add("record kept outcomes", 1000, start, [this] {
    if (unrecorded_.empty()) return false;
    RecordUnrecorded();
    return true;  // a landed outcome may free a retry's dispatch
  });
  duties.Add("intake check", IntakeHold::kProbeMs, start, [this] { return CheckIntake(); });
  duties.Add(kCancelRequests, kCancelCheckMs, start, [this] {
    CheckCancelRequests();
    return false;
  });
  duties.Add("store poll", config_.executor.store_poll_ms, start,
             [this] { return PollStoreChanges(); });
  duties.Add("sweep", sweep_ms, start + sweep_ms, [this] {
    RecoverExpired();
    check_unrouted_ = true;  // tasks other tools wrote (a Neo4j store has no change counter)
    RefreshQueuedAgents();
    LoadPauses();
    // Other executors' attempts count too; not at every store change: the
    // sum reads all of today's attempts.
    CheckDailyBudgets("");
    return true;
  });
  return duties;
}

bool Engine::RunTurn(Duties& duties) {
  std::deque<Finished> done;
  bool woke = false, stopping = false, reload_pauses = false, store_changed = false;
  {
    MutexLock lk(&mu_);
    const int64_t now = loop_clock_->NowMs();
    const int64_t wake_at = route_backlog_ || dispatch_backlog_
                                ? now
                                : std::min(duties.NextDue(), NextTimedDispatch(now));
    loop_clock_->WaitUntil(&cv_, &mu_, wake_at, [&] {
      mu_.AssertHeld();
      return wake_ || stop_requested_ || store_changed_ || !finished_.empty();
    });
    done.swap(finished_);
    woke = wake_;
    wake_ = false;
    store_changed = store_changed_;
    store_changed_ = false;
    reload_pauses = reload_pauses_;
    reload_pauses_ = false;
    stopping = stop_requested_;
  }
  std::vector<Ending> endings = DecideEndings(done);
  if (stopping || !std::all_of(endings.begin(), endings.end(), MayWaitForClaims)) {
    if (!endings.empty()) RecordOutcomes(std::move(endings));
  } else {
    endings_with_claims_ = std::move(endings);
  }
  if (stopping) return false;
  if (reload_pauses) LoadPauses();

  // A wake says the store changed (a task added, a request): a task written
  // without a route is routed before this dispatch, and one written with a
  // route (the API routes as it adds) is found under its agent, not at the
  // next poll.
  if (woke) {
    check_unrouted_ = true;
    RefreshQueuedAgents();
  }
  bool dispatch = woke || !done.empty() || route_backlog_ || dispatch_backlog_;
  if (store_changed && PollStoreChanges()) dispatch = true;
  // A wake may be a cancel request: carry it out now, not at its period.
  if (duties.RunDue(loop_clock_->NowMs(), woke ? kCancelRequests : "")) dispatch = true;
  // Every retry scheduled here and every pause's end is due at a known
  // time; dispatch when the earliest of them comes.
  for (TimeMs now = clock_->NowMs(); !dispatch_times_.empty() && *dispatch_times_.begin() <= now;) {
    dispatch_times_.erase(dispatch_times_.begin());
    dispatch = true;
  }
  if (dispatch) Dispatch();
  // Nothing was claimed: the completed attempts' outcomes go alone.
  if (!endings_with_claims_.empty()) RecordOutcomes(std::exchange(endings_with_claims_, {}));

  MutexLock lk(&mu_);
  snapshot_.running_by_agent.clear();
  for (const auto& [kind, n] : running_kinds_) snapshot_.running_by_agent[kind.first] += n;
  snapshot_.refusing_work = hold_.Reason();
  snapshot_.kept_outcomes = static_cast<int64_t>(unrecorded_.size());
  return true;
}

int64_t Engine::NextTimedDispatch(int64_t now) const {
  if (dispatch_times_.empty()) return std::numeric_limits<int64_t>::max();
  // Retry times are store (wall-clock) times; the wait is on the loop's clock.
  return now + std::max<int64_t>(0, *dispatch_times_.begin() - clock_->NowMs());
}

void Engine::DrainUntil(Duties& duties, int64_t until) {
  constexpr int64_t kDrainTurnMs = 200;  // how often the drain renews leases
  while (!running_.empty() && loop_clock_->NowMs() < until) {
    duties.RunIfDue(kRenewLeases, loop_clock_->NowMs());
    std::deque<Finished> done;
    {
      MutexLock lk(&mu_);
      loop_clock_->WaitUntil(&cv_, &mu_, std::min(until, loop_clock_->NowMs() + kDrainTurnMs), [&] {
        mu_.AssertHeld();
        return !finished_.empty();
      });
      done.swap(finished_);
    }
    HandleFinished(done);
  }
}

void Engine::DrainAtShutdown(Duties& duties) {
  // No new claims. Running sessions may finish within the grace; their
  // leases stay renewed meanwhile.
  DrainUntil(duties, loop_clock_->NowMs() + config_.executor.shutdown_grace_seconds * 1000LL);
  if (!running_.empty()) {
    spdlog::warn("engine {}: {} sessions still running after the grace period; releasing them",
                 executor_id_, running_.size());
    ReleaseAll();
    DrainUntil(duties, loop_clock_->NowMs() + config_.agent.kill_grace_seconds * 1000LL + 5000);
  }
  launcher_->Shutdown(config_.agent.kill_grace_seconds * 1000LL);
  // Anything still unreported was killed by Shutdown; its exit was queued.
  std::deque<Finished> rest;
  {
    MutexLock lk(&mu_);
    rest.swap(finished_);
  }
  HandleFinished(rest);
  for (auto& [id, r] : running_) {
    spdlog::error(
        "engine {}: execution {} of task {} did not report an exit; its lease will "
        "expire and another executor will recover it",
        executor_id_, id, r.task_id);
  }
  running_.clear();
  running_kinds_.clear();
  pids_to_record_.clear();
  if (!unrecorded_.empty()) RecordUnrecorded();
  for (const auto& [id, u] : unrecorded_) {
    spdlog::error(
        "engine {}: the outcome of execution {} (task {}) could not be written before the stop; "
        "its lease will expire and another executor will record the attempt lost",
        executor_id_, id, u.running.task_id);
  }
  unrecorded_.clear();
  // A clean stop: `taskexec status` no longer lists this service.
  if (Status s = Depart(store_, executor_id_); !s.ok())
    spdlog::warn("engine {}: could not remove its heartbeat: {}", executor_id_, s.ToString());
  spdlog::info("engine {} stopped", executor_id_);
}

ClaimRequest Engine::ClaimRequestFor(const Task& task, const std::string& agent, TimeMs now) {
  ClaimRequest req;
  req.task_id = task.id;
  req.expected_version = task.version;
  req.executor_id = executor_id_;
  req.agent = agent;
  req.manual = !task.requested_execution_id.empty();
  req.execution_id = req.manual ? task.requested_execution_id : NewId("exec");
  req.session_label = "task-" + task.id;
  req.resumed_session_id = SessionToResume(task, resume_mode_, can_resume_);
  req.log_path = launcher_->LogPath(req.execution_id);
  req.now = now;
  req.lease_expires_at = now + config_.executor.lease_seconds * 1000LL;
  return req;
}

size_t Engine::LaunchAll(const std::vector<Pick>& picks, Slots* slots) {
  if (picks.empty()) return 0;
  const TimeMs now = clock_->NowMs();
  std::vector<ClaimRequest> requests;
  requests.reserve(picks.size());
  for (const Pick& p : picks) requests.push_back(ClaimRequestFor(*p.task, p.agent, now));
  const int64_t loop_began = loop_clock_->NowMs();
  std::vector<ClaimResult> claims;
  if (endings_with_claims_.empty()) {
    store_->ClaimTasks(requests, &claims);
  } else {
    // The attempts whose slots these picks take end in the same write.
    std::vector<Ending> endings = std::exchange(endings_with_claims_, {});
    std::vector<AttemptOutcome> outcomes;
    outcomes.reserve(endings.size());
    for (const Ending& e : endings) outcomes.push_back(e.outcome);
    std::vector<FinishResult> written;
    store_->FinishAttemptsAndClaim(outcomes, requests, &written, &claims);
    for (size_t i = 0; i < endings.size(); ++i) AfterOutcome(std::move(endings[i]), written[i]);
  }
  size_t started = 0;
  for (size_t i = 0; i < picks.size(); ++i) {
    const Status& s = claims[i].status;
    if (!s.ok()) {
      if (!s.IsConflict())
        spdlog::warn("engine {}: claim of {} failed: {}", executor_id_, picks[i].task->id,
                     s.ToString());
      if (s.IsUnavailable()) uncertain_claims_[picks[i].task->id] = requests[i].execution_id;
      NoteStoreWrite(s, "claim");
    } else if (StartClaimed(*picks[i].task, picks[i].agent, requests[i], claims[i].claim,
                            loop_began, now)) {
      ++started;
      continue;
    }
    slots->Give(picks[i].agent, picks[i].task->type);  // nothing runs: the slot is free
  }
  return started;
}

bool Engine::StartClaimed(const Task& task, const std::string& agent, const ClaimRequest& req,
                          const Claim& claim, int64_t loop_began, TimeMs now) {
  const std::string exec_id = req.execution_id;
  // This service may have been frozen since the claim: an attempt whose
  // claim is older than the fence allows would start without a lease, beside
  // the attempt of whoever recovered the task. Not started: the renewal
  // records a claim held here with no attempt as lost.
  const int64_t claim_age = loop_clock_->NowMs() - loop_began;
  if (claim_age >= config_.executor.lease_seconds * 1000LL - FenceMarginMs()) {
    spdlog::error(
        "engine {}: the claim of task {} is {} ms old (was this service frozen?); its lease may "
        "have lapsed, so its attempt is not started",
        executor_id_, task.id, claim_age);
    return false;
  }
  // The claim's lease covers this attempt; it is renewed with the others.
  if (fence_deadline_ == 0 || loop_clock_->NowMs() >= fence_deadline_) {
    NoteLapse();
    ArmFence(loop_began);
  }
  Running r;
  r.claimed_loop_ms = loop_began;
  r.log_path = claim.execution.log_path;
  r.task_id = task.id;
  r.execution_id = exec_id;
  r.agent = agent;
  r.task = claim.task;
  r.started_at = claim.execution.started_at;
  r.resumed = !req.resumed_session_id.empty();
  AddRunning(exec_id, r);

  AgentJob job;
  job.task = claim.task;
  job.execution = claim.execution;
  job.resume_session_id = req.resumed_session_id;
  int64_t pid = 0;
  Status s = launcher_->Start(
      job,
      [this, exec_id](const AgentResult& result) {
        MutexLock lk(&mu_);
        finished_.push_back(Finished{exec_id, result});
        cv_.SignalAll();
      },
      &pid);
  if (!s.ok()) {
    // Nothing started: the attempt ends at once with the reason.
    HandleFinished(Finished{exec_id, FailedToStart(s)});
    return false;  // nothing runs: the agent's slot is still free
  }
  hold_.Started();
  {
    MutexLock lk(&mu_);
    snapshot_.spawned_sessions++;
    if (r.resumed) snapshot_.resumed_sessions++;
    // Due since it was made, or since its retry time came.
    snapshot_.attempts.Started(agent, std::max(task.created_at, task.next_attempt_at), now);
  }
  // The claim recorded the start; the pid follows (RecordPids, or the
  // outcome), so a start costs the store one write, not two.
  auto it = running_.find(exec_id);
  if (it != running_.end() && pid != 0) {
    it->second.pid = pid;
    pids_to_record_.push_back(exec_id);
  }
  return true;
}

void Engine::HandleFinished(const std::deque<Finished>& done) {
  std::vector<Ending> endings = DecideEndings(done);
  if (!endings.empty()) RecordOutcomes(std::move(endings));
}

std::vector<Engine::Ending> Engine::DecideEndings(const std::deque<Finished>& done) {
  std::vector<Ending> endings;
  endings.reserve(done.size());
  for (const Finished& f : done) {
    if (std::optional<Ending> e = DecideEnding(f)) endings.push_back(std::move(*e));
  }
  return endings;
}

bool Engine::MayWaitForClaims(const Ending& e) {
  // A failure may open the agent's circuit or pause it for its usage
  // limit, a cost may spend its daily budget, a release holds intake: each
  // is known only once the outcome is written, and each can forbid a start.
  return e.result.status == ExecutionStatus::kCompleted &&
         e.outcome.error_type == ErrorType::kNone && !e.running.releasing &&
         !e.outcome.usage.cost_usd;
}

void Engine::AddRunning(const std::string& execution_id, const Running& r) {
  running_[execution_id] = r;
  ++running_kinds_[{r.agent, r.task.type}];
}

Engine::Running Engine::TakeRunning(std::map<std::string, Running>::iterator it) {
  Running r = std::move(it->second);
  running_.erase(it);
  auto kind = running_kinds_.find({r.agent, r.task.type});
  if (kind != running_kinds_.end() && --kind->second <= 0) running_kinds_.erase(kind);
  return r;
}

std::optional<Engine::Ending> Engine::DecideEnding(const Finished& f) {
  auto it = running_.find(f.execution_id);
  if (it == running_.end()) {
    spdlog::warn("engine {}: exit of unknown execution {}", executor_id_, f.execution_id);
    return std::nullopt;
  }
  Ending ending;
  ending.running = TakeRunning(it);
  Running& r = ending.running;
  AgentResult& result = ending.result;
  result = f.result;
  if (Fenced(r, result)) {
    // Stopped by the launcher's fence: its lease lapsed (this service was
    // frozen, or the store refused the renewals). Lost, as a recovery would
    // record it, and retried by policy; never "cancelled".
    result.status = ExecutionStatus::kLost;
    result.error_type = ErrorType::kLost;
    result.retryable = true;
    result.error =
        "stopped by self-fencing: its lease was not renewed in time (this service was frozen, or "
        "the store refused the renewals)";
  }
  if (result.service_fault && !r.releasing) {
    // Not the task's fault (no room or no write access for the attempt's
    // files, no process slot): the task goes back to the queue with its
    // retries untouched, and nothing else starts until the launcher can
    // make an attempt's files again.
    r.releasing = true;
    r.release_reason = "not started: " + result.error;
    if (hold_.Hold(IntakeHold::Cause::kFiles, result.error, loop_clock_->NowMs()))
      spdlog::error("engine {}: refusing new work: cannot start an attempt: {}", executor_id_,
                    result.error);
  }

  AttemptEnd end;
  end.task = &r.task;
  end.execution_id = f.execution_id;
  end.executor_id = executor_id_;
  end.result = &result;
  end.releasing = r.releasing;
  end.release_reason = r.release_reason;
  end.resumed = r.resumed;
  end.started_at = r.started_at;
  end.budget = budget_;
  end.now = clock_->NowMs();
  end.unit_random = Jitter();
  ending.outcome = DecideOutcome(end, retry_);
  return ending;
}

void Engine::RecordOutcomes(std::vector<Ending> endings) {
  std::vector<AttemptOutcome> outcomes;
  outcomes.reserve(endings.size());
  for (const Ending& e : endings) outcomes.push_back(e.outcome);
  std::vector<FinishResult> written;
  store_->FinishAttempts(outcomes, &written);
  for (size_t i = 0; i < endings.size(); ++i) AfterOutcome(std::move(endings[i]), written[i]);
}

void Engine::AfterOutcome(Ending ending, const FinishResult& written) {
  const Running& r = ending.running;
  const AgentResult& result = ending.result;
  const AttemptOutcome& o = ending.outcome;
  const int tries = ending.tries;
  const Status& s = written.status;
  const Task& after = written.task;
  NoteStoreWrite(s, "record an outcome");
  if (!s.ok()) {
    if (s.IsUnavailable() || s.code() == Status::Code::kIOError) {
      // The store may take it later; meanwhile the lease stays ours
      // (RenewLeases), so nobody records the attempt lost and runs it again.
      if (tries == 1 || tries % 60 == 0)
        spdlog::error(
            "engine {}: outcome of {} (task {}) not recorded, kept and written again "
            "every second: {}",
            executor_id_, o.execution_id, r.task_id, s.ToString());
      const std::string id = o.execution_id;
      unrecorded_[id] = std::move(ending);
      return;
    }
    // Refused for good (another executor took the task over): RenewLeases
    // records a task still held here without an attempt as lost.
    spdlog::error("engine {}: outcome of {} (task {}) not recorded: {}", executor_id_,
                  o.execution_id, r.task_id, s.ToString());
    return;
  }
  if (tries > 1)
    spdlog::info("engine {}: outcome of {} (task {}) recorded after {} tries", executor_id_,
                 o.execution_id, r.task_id, tries);
  {
    SessionExecution recorded;
    recorded.id = o.execution_id;
    recorded.log_path = r.log_path;
    launcher_->OutcomeRecorded(recorded);
  }
  spdlog::info("task {} attempt {} on {}: {} -> task {}", r.task_id, o.execution_id, r.agent,
               ToString(result.status), ToString(after.status));
  {
    MutexLock lk(&mu_);
    if (o.usage.Reported()) snapshot_.usage_by_agent[r.agent].Add(o.usage);
    if (o.error_type != ErrorType::kNone) {
      snapshot_.attempt_errors[std::string(ToString(o.error_type))]++;
    }
    if (after.error_type == ErrorType::kBudgetExhausted) snapshot_.budget_stops++;
    snapshot_.attempts.Ended(r.agent, std::string(ToString(o.execution_status)), r.started_at,
                             o.now, after.status == TaskStatus::kRetrying);
  }
  RecordForCircuit(r.agent, result, o);
  if (o.error_type == ErrorType::kUsageLimit) PauseForUsageLimit(r.agent, result);
  if (o.usage.cost_usd) CheckDailyBudgets(r.agent);
  if (after.error_type == ErrorType::kBudgetExhausted) {
    spdlog::warn("task {}: {}", after.id, after.error_message);
  }
  Recorded(after);
}

void Engine::RecordUnrecorded() {
  std::vector<Ending> waiting;
  waiting.reserve(unrecorded_.size());
  for (auto& [id, u] : unrecorded_) {
    u.tries++;
    waiting.push_back(std::move(u));
  }
  unrecorded_.clear();
  RecordOutcomes(std::move(waiting));
}

void Engine::RecordForCircuit(const std::string& agent, const AgentResult& result,
                              const AttemptOutcome& o) {
  if (o.task_status == TaskStatus::kPending && o.error_type == ErrorType::kReleased) return;
  const AttemptVerdict verdict = VerdictOf(result.status, result.error_type);
  std::string what = std::string(ToString(result.error_type));
  if (!result.error.empty()) what += (what.empty() ? "" : ": ") + result.error.substr(0, 200);
  std::optional<AgentPause> pause = breaker_.Record(agent, verdict, what, clock_->NowMs());
  if (pause) Pause(*pause);
}

void Engine::PauseForUsageLimit(const std::string& agent, const AgentResult& result) {
  Pause(UsageLimitPause(agent, result, clock_->NowMs(),
                        config_.agent.usage_limit_pause_seconds * 1000LL));
}

void Engine::CheckDailyBudgets(const std::string& agent) {
  const double limit = config_.budget.agent_daily_cost_usd;
  const TimeMs now = clock_->NowMs();
  std::map<std::string, double> spent;
  if (limit > 0) {
    Status s = store_->CostByAgentSince(UtcDayStart(now), &spent);
    if (!s.ok()) {
      spdlog::warn("engine {}: cannot read the agents' cost today: {}", executor_id_, s.ToString());
      return;
    }
  }
  // A daily-budget pause the limit no longer justifies (raised, or turned
  // off, since) is lifted: the agent runs on today.
  for (auto& [name, p] : pauses_) {
    if (p.reason != PauseReason::kDailyBudget || !p.ActiveAt(now)) continue;
    if (!agent.empty() && name != agent) continue;
    if (limit > 0 && spent[name] >= limit) continue;
    if (Status s = store_->SetMeta(AgentPauseKey(name), ""); !s.ok()) continue;
    spdlog::info("agent {}: its daily budget pause is lifted (limit now {})", name,
                 limit > 0 ? FormatDollars(limit) : std::string("none"));
    p.until = now;
    dispatch_times_.insert(now);
    MutexLock lk(&mu_);
    snapshot_.pauses.erase(name);
  }
  for (const auto& [name, cost] : spent) {
    if (!agent.empty() && name != agent) continue;
    std::optional<AgentPause> p = DailyBudgetPause(name, cost, limit, now);
    if (p) Pause(*p);
  }
}

void Engine::Pause(const AgentPause& pause) {
  // A pause that ends later already holds (a usage limit's reset, the rest
  // of the day, a longer circuit pause): it stands, whatever asks for a
  // shorter one. Only a person's resume lifts a pause early.
  auto known = pauses_.find(pause.agent);
  if (known != pauses_.end() && known->second.ActiveAt(pause.since) &&
      known->second.until >= pause.until) {
    return;
  }
  Status s = store_->SetMeta(AgentPauseKey(pause.agent), EncodeAgentPause(pause));
  // Kept here even when the store refused it: this executor still stops
  // starting the failing agent; the others learn of it when the store is back.
  if (!s.ok()) {
    spdlog::warn("engine {}: cannot store the pause of agent {}: {}", executor_id_, pause.agent,
                 s.ToString());
  }
  spdlog::warn("agent {} paused until {} ({}): {}", pause.agent, FormatIso8601(pause.until),
               ToString(pause.reason), pause.message);
  pauses_[pause.agent] = pause;
  dispatch_times_.insert(pause.until);  // dispatch again when it ends
  MutexLock lk(&mu_);
  snapshot_.pauses[pause.agent] = pause;
  snapshot_.pauses_set[std::string(ToString(pause.reason))]++;
}

void Engine::LoadPauses() {
  // The router's agents too: a pause set while an agent has nothing queued
  // must hold when its next task arrives.
  const std::vector<std::string> routable = router_->RoutableAgents();
  std::set<std::string> agents(routable.begin(), routable.end());
  agents.insert(queued_agents_.begin(), queued_agents_.end());
  for (const auto& [agent, p] : pauses_) agents.insert(agent);
  const TimeMs now = clock_->NowMs();
  for (const std::string& agent : agents) {
    std::string text;
    Status s = store_->GetMeta(AgentPauseKey(agent), &text);
    if (!s.ok() && !s.IsNotFound()) {
      spdlog::warn("engine {}: cannot read the pause of agent {}: {}", executor_id_, agent,
                   s.ToString());
      continue;  // keep what we knew
    }
    std::string error;
    std::optional<AgentPause> p = DecodeAgentPause(agent, s.ok() ? text : "", &error);
    if (!error.empty()) spdlog::warn("engine {}: {}; ignored", executor_id_, error);
    auto known = pauses_.find(agent);
    if (!p) {
      // Lifted before its end: a person resumed the agent.
      if (known != pauses_.end() && known->second.ActiveAt(now)) breaker_.Resumed(agent);
      if (known != pauses_.end()) pauses_.erase(known);
      continue;
    }
    if (p->ActiveAt(now) && (known == pauses_.end() || known->second.until != p->until)) {
      dispatch_times_.insert(p->until);
    }
    pauses_[agent] = *p;
  }
  MutexLock lk(&mu_);
  snapshot_.pauses.clear();
  for (const auto& [agent, p] : pauses_)
    if (p.ActiveAt(now)) snapshot_.pauses[agent] = p;
}

bool Engine::Paused(const std::string& agent, TimeMs now) const {
  auto it = pauses_.find(agent);
  return it != pauses_.end() && it->second.ActiveAt(now);
}

bool Engine::StopIfOverBudget(const Task& task) {
  if (task.requested_force) return false;
  const std::string why = BudgetExhausted(task.limits, budget_, TaskSpent(task));
  if (why.empty()) return false;
  Task after;
  Status s = store_->FailQueued(task.id, task.version, ErrorType::kBudgetExhausted,
                                BudgetStopMessage(task.id, why), clock_->NowMs(), &after);
  if (!s.ok()) {
    // Moved since it was listed (claimed elsewhere, edited): the next look
    // at it decides again.
    if (!s.IsConflict()) {
      spdlog::warn("engine {}: cannot end task {} over its budget: {}", executor_id_, task.id,
                   s.ToString());
    }
    return true;
  }
  spdlog::warn("task {} not started: {}", task.id, after.error_message);
  {
    MutexLock lk(&mu_);
    snapshot_.budget_stops++;
  }
  Recorded(after);
  return true;
}

void Engine::Recorded(const Task& after) {
  if (after.status == TaskStatus::kRetrying) dispatch_times_.insert(after.next_attempt_at);
  if (after.status == TaskStatus::kCompleted && callbacks_.on_task_complete)
    callbacks_.on_task_complete(after.id, after.output_summary);
  if (after.status == TaskStatus::kFailed && callbacks_.on_task_fail)
    callbacks_.on_task_fail(after.id, after.error_type, after.error_message);
}

Status Engine::RenewLeases() {
  const TimeMs now = clock_->NowMs();
  const int64_t began = loop_clock_->NowMs();
  std::vector<std::string> held;
  Status s =
      store_->RenewLeases(executor_id_, now + config_.executor.lease_seconds * 1000LL, now, &held);
  if (!s.ok()) {
    // While the store is known to refuse writes, the hold has said so once.
    if (!hold_.Holds(IntakeHold::Cause::kStore))
      spdlog::warn("engine {}: lease renewal failed: {}", executor_id_, s.ToString());
    NoteStoreWrite(s, "renew leases");
    return s;
  }
  NoteLapse();
  ArmFence(began);
  std::set<std::string> held_set(held.begin(), held.end());
  // The tasks this process has an attempt of: running, or ended with its
  // outcome still to be written (the lease was renewed for it just now).
  std::set<std::string> here;
  for (const auto& [id, r] : running_) here.insert(r.task_id);
  for (const auto& [id, u] : unrecorded_) here.insert(u.running.task_id);
  for (const Ending& e : endings_with_claims_) here.insert(e.running.task_id);
  // A task we hold without an attempt here: its outcome was refused for
  // good, or a previous process used the same executor id. Nobody else
  // would ever recover it (the lease stays fresh), so record it lost now.
  // A claim whose answer was lost but which committed is one of them; its
  // attempt never started, so it is released, not counted as a lost try.
  for (const std::string& task_id : held) {
    if (here.count(task_id) > 0) continue;
    Task t;
    if (store_->GetTask(task_id, &t).ok() && t.lease_owner == executor_id_) {
      auto uncertain = uncertain_claims_.find(task_id);
      if (uncertain != uncertain_claims_.end()) {
        ReleaseUnstarted(t, uncertain->second);
      } else {
        RecordLost(t, /*require_expired_lease=*/false);
      }
    }
  }
  // The others never committed (a claim that did is held here now).
  uncertain_claims_.clear();
  for (auto& [id, r] : running_) {
    if (held_set.count(r.task_id) || r.cancel_sent) continue;
    // Another executor recovered the task: our attempt must not run on.
    spdlog::error("engine {}: lost the lease on task {}; stopping execution {}", executor_id_,
                  r.task_id, id);
    r.cancel_sent = true;
    launcher_->Cancel(id);
  }
  return Status::OK();
}

Status Engine::SendHeartbeat() {
  ExecutorRecord self;
  self.executor_id = executor_id_;
  self.host = host_;
  self.pid = static_cast<int64_t>(getpid());
  self.started_at = started_at_;
  self.lease_ms = static_cast<int64_t>(config_.executor.lease_seconds) * 1000;
  self.refusing_work = hold_.Reason();
  self.kept_outcomes = static_cast<int64_t>(unrecorded_.size());
  Status s = Heartbeat(store_, self, clock_->NowMs());
  // While the store is known to refuse writes, the hold has said so once.
  if (!s.ok() && !hold_.Holds(IntakeHold::Cause::kStore))
    spdlog::warn("engine {}: heartbeat failed: {}", executor_id_, s.ToString());
  NoteStoreWrite(s, "heartbeat");
  return s;
}

void Engine::RecordOutputTimes() {
  std::vector<OutputTime> times;
  // This round's share, from where the last one stopped (wrapping around).
  auto it = running_.upper_bound(output_cursor_);
  for (size_t looked = 0; looked < std::min(kOutputRecordBatch, running_.size()); ++looked, ++it) {
    if (it == running_.end()) it = running_.begin();
    const auto& [id, r] = *it;
    output_cursor_ = id;
    AttemptProgress progress = launcher_->Progress(id);
    if (progress.last_output_at > r.output_recorded)
      times.push_back(OutputTime{id, progress.last_output_at, std::move(progress.last_line)});
  }
  if (times.empty()) return;
  Status s = store_->RecordOutputTimes(executor_id_, times, nullptr);
  NoteStoreWrite(s, "record output times");
  if (!s.ok()) {
    spdlog::warn("engine {}: recording output times failed: {}", executor_id_, s.ToString());
    return;
  }
  for (const OutputTime& t : times) {
    auto it = running_.find(t.execution_id);
    if (it != running_.end()) it->second.output_recorded = t.at;
  }
}

void Engine::RecordPids() {
  std::vector<std::string> pending;
  pending.swap(pids_to_record_);
  for (const std::string& id : pending) {
    auto it = running_.find(id);
    if (it == running_.end()) continue;  // ended: the outcome has its pid
    Running& r = it->second;
    if (r.pid == 0 || r.pid_recorded) continue;
    Status s = store_->MarkStarted(r.task_id, id, executor_id_, r.pid, clock_->NowMs());
    NoteStoreWrite(s, "record a pid");
    if (s.IsUnavailable() || s.code() == Status::Code::kIOError) {
      // While the store is known to refuse writes, the hold has said so once.
      if (!hold_.Holds(IntakeHold::Cause::kStore))
        spdlog::warn("engine {}: recording the pid of {} failed (tried again later): {}",
                     executor_id_, id, s.ToString());
      pids_to_record_.push_back(id);
      continue;
    }
    // Conflict: the lease is gone or the attempt ended, which the renewal and
    // the outcome deal with; the pid is not tried again.
    if (!s.ok() && !s.IsConflict())
      spdlog::warn("engine {}: recording the pid of {}: {}", executor_id_, id, s.ToString());
    r.pid_recorded = true;
  }
}

void Engine::CheckCancelRequests() {
  if (running_.empty()) return;
  std::vector<std::string> ids;
  if (!store_->ListCancelRequests(executor_id_, &ids).ok() || ids.empty()) return;
  std::set<std::string> wanted(ids.begin(), ids.end());
  for (auto& [id, r] : running_) {
    if (r.cancel_sent || !wanted.count(r.task_id)) continue;
    spdlog::info("engine {}: cancelling task {} (execution {})", executor_id_, r.task_id, id);
    r.cancel_sent = true;
    launcher_->Cancel(id);
  }
}

void Engine::RecoverExpired() {
  const TimeMs now = clock_->NowMs();
  std::vector<Task> expired;
  Status s = store_->ListExpiredLeases(now, &expired);
  if (!s.ok()) {
    spdlog::warn("engine {}: cannot list expired leases: {}", executor_id_, s.ToString());
    return;
  }
  for (const Task& t : expired) {
    if (t.lease_owner == executor_id_ && HasAttempt(t.id)) continue;  // renewed on the next tick
    RecordLost(t, /*require_expired_lease=*/true);
  }
}

bool Engine::HasAttempt(const std::string& task_id) const {
  for (const auto& [id, r] : running_)
    if (r.task_id == task_id) return true;
  for (const auto& [id, u] : unrecorded_)
    if (u.running.task_id == task_id) return true;
  return false;
}

void Engine::RecordLost(const Task& t, bool require_expired_lease) {
  const TimeMs now = clock_->NowMs();
  std::vector<SessionExecution> execs;
  if (store_->ListExecutions(t.id, &execs).ok()) {
    for (const auto& e : execs) {
      if (e.status != ExecutionStatus::kActive) continue;
      // An attempt that ended while its service was down (the service died
      // between the agent's end and the store taking it): its kept result
      // is recorded, and the agent's work is not done a second time.
      AgentResult kept;
      if (launcher_->EndedWhileAway(e, &kept) &&
          RecordEndedWhileAway(t, e, kept, require_expired_lease)) {
        return;
      }
      launcher_->KillOrphan(e);
    }
  }
  const AttemptOutcome o = DecideLost(t, require_expired_lease, retry_, now, Jitter());
  Task after;
  Status s = store_->FinishAttempt(o, &after);  // a cancel request wins here (SettleCancel)
  if (s.ok()) {
    spdlog::warn("task {}: {} -> {}", t.id, o.error_message, ToString(after.status));
    Recorded(after);
  } else if (!s.IsConflict()) {
    spdlog::warn("engine {}: recovery of {} failed: {}", executor_id_, t.id, s.ToString());
  }
}

void Engine::ReleaseUnstarted(const Task& t, const std::string& execution_id) {
  const AttemptOutcome o = DecideUnstartedRelease(t, execution_id, executor_id_, clock_->NowMs());
  Task after;
  Status s = store_->FinishAttempt(o, &after);
  if (s.ok()) {
    spdlog::warn("task {}: {} -> {}", t.id, o.error_message, ToString(after.status));
    Recorded(after);
  } else if (!s.IsConflict()) {
    spdlog::warn("engine {}: releasing the unstarted claim of {} failed: {}", executor_id_, t.id,
                 s.ToString());
  }
}

void Engine::ReleaseAll() {
  for (auto& [id, r] : running_) {
    r.releasing = true;
    if (!r.cancel_sent) {
      r.cancel_sent = true;
      launcher_->Cancel(id);
    }
  }
}

}  // namespace taskexec
