// Engine: the executor. It claims runnable tasks from the store, routes each
// to an agent, starts one agent session per attempt through its AgentLauncher
// (runner/agent_launcher.h: real processes, or a fake in tests), and records
// every outcome durably (retries with backoff, timeouts, lost executions,
// cancellation, release at shutdown).
//
// Threads: all store writes on behalf of attempts happen on the engine's own
// thread ("engine loop"), so the steps of one attempt (claim, started,
// finished) are ordered without locks. Session exits arrive on the
// launcher's thread and are queued to the engine loop. Public methods may be
// called from any thread; they only touch the state guarded by mu_ and wake
// the loop.
//
// Dispatch (engine_dispatch.cc) costs O(free slots), not O(queue): tasks
// carry the agent they are routed to (Task::routed_agent, set at add time or
// here for tasks written without one), and the engine lists runnable tasks
// only for agents with a free slot, at most that many per agent
// (TaskStore::ListRunnableFor). An agent at its cap costs nothing however
// long its queue.
//
// Decisions and I/O are apart: how many tasks each agent may start is
// Slots (slots.h), what an attempt's end means is DecideOutcome/DecideLost
// (outcome_rules.h), retry timing is RetryPolicy, and the loop's periodic
// work is a table of named Duties (duties.h) shared with the shutdown drain.
//
// Durability: nothing about an attempt lives only in memory. The loop renews
// its leases every lease_seconds/3; if this process dies, another engine
// finds the expired lease, records the attempt `lost` and retries it by
// policy, after killing the dead attempt's process group if it is still on
// this host -- or, when that attempt had ended and its result was kept
// beside its log (runner/outcome_file.h), records that result instead.
//
// Faults of its own service (engine_faults.cc): while the store or the
// attempt dirs refuse writes, no new work is claimed (IntakeHold) and ended
// attempts' outcomes are kept and written again; after every renewal the
// launcher is told how long the leases hold, and stops the attempts itself
// when no renewal follows in time (self-fencing), so a frozen service never
// runs an attempt another service may claim.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "core/agent_pause.h"
#include "core/attempt_metrics.h"
#include "core/clock.h"
#include "core/loop_clock.h"
#include "core/mutex.h"
#include "core/status.h"
#include "core/usage.h"
#include "engine/circuit_breaker.h"
#include "engine/duties.h"
#include "engine/intake_hold.h"
#include "engine/resume_policy.h"
#include "engine/retry_policy.h"
#include "engine/slots.h"
#include "routing/agent_router.h"
#include "runner/agent_launcher.h"
#include "store/task_store.h"

namespace taskexec {

struct EngineCallbacks {
  // Called on the engine thread after the outcome is stored.
  std::function<void(const std::string& task_id, const std::string& summary)> on_task_complete;
  std::function<void(const std::string& task_id, ErrorType error_type, const std::string& message)>
      on_task_fail;
};

struct EngineSnapshot {
  bool running = false;
  std::string executor_id;
  int64_t spawned_sessions = 0;
  int64_t resumed_sessions = 0;  // of those, the ones continuing an earlier session
  std::map<std::string, int64_t> running_by_agent;
  // What the attempts this engine recorded used, by agent, since it started
  // (the /metrics counters).
  std::map<std::string, AgentUsage> usage_by_agent;
  // Attempts this engine recorded as failed, timed out or stalled, by error
  // type (the /metrics counter).
  std::map<std::string, int64_t> attempt_errors;
  // Tasks this engine ended budget_exhausted: before a start or instead of
  // a retry (the /metrics counter).
  int64_t budget_stops = 0;
  // The agents paused now, as this engine last read or set them.
  std::map<std::string, AgentPause> pauses;
  // Pauses this engine set, by reason (the /metrics counter).
  std::map<std::string, int64_t> pauses_set;
  // Attempts by agent and outcome, run times, queue waits, retries (/metrics).
  AttemptMetrics attempts;
  // Why this engine takes no new work now (IntakeHold::Reason), or empty.
  std::string refusing_work;
  // Ended attempts whose outcome the store has not taken yet: kept, and
  // written again every second.
  int64_t kept_outcomes = 0;
  // Store writes refused with an I/O error (a full disk, a read-only file
  // system), since the engine started.
  int64_t store_write_errors = 0;
};

class Engine {
 public:
  // Makes the launcher each Start() uses (called on Start).
  using LauncherFactory = std::function<std::unique_ptr<AgentLauncher>()>;

  // Without `make_launcher`, attempts run as real processes
  // (runner/process_launcher.h) with config.agent and an environment built
  // from the service's (agent_env.h). `clock` is the time written to the
  // store; the loop's timers (periodic duties, retry wake-ups, the shutdown
  // grace) run on `loop_clock` (the steady clock when null).
  Engine(const Config& config, TaskStore* store, const AgentRouter* router, const Clock* clock,
         LauncherFactory make_launcher = nullptr, LoopClock* loop_clock = nullptr);
  ~Engine();  // Stop()s if running

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void SetCallbacks(EngineCallbacks callbacks);  // before Start()

  Status Start();
  // No new claims; running sessions get shutdown_grace_seconds to finish,
  // then are stopped and their tasks released back to pending.
  void Stop();
  bool running() const;

  // Look at the store now rather than at the next poll (a task was added,
  // an execution or a cancel was requested).
  void Wake();
  // An agent's pause was lifted or set by someone else (`agent resume`):
  // read the pauses again before the next dispatch.
  void PausesChanged();

  EngineSnapshot Snapshot() const;
  const std::string& executor_id() const { return executor_id_; }

 private:
  struct Running {
    std::string task_id;
    std::string execution_id;
    std::string agent;
    Task task;              // as claimed
    TimeMs started_at = 0;  // the claim's time (the attempt's run time counts from there)
    bool resumed = false;   // continues an earlier session
    bool cancel_sent = false;
    bool releasing = false;       // stopped at shutdown: release, don't fail
    std::string release_reason;   // why, when not the shutdown
    TimeMs output_recorded = 0;   // the last output time written to the store
    int64_t pid = 0;              // the session's process (group); 0 = not known yet
    bool pid_recorded = false;    // written to the store (RecordPids)
    int64_t claimed_loop_ms = 0;  // the claim's time on the loop clock (self-fencing)
    std::string log_path;         // as claimed (where its outcome file is)
  };
  struct Finished {
    std::string execution_id;
    AgentResult result;
  };
  // An ended attempt and the outcome decided for it, on its way to the
  // store. One the store did not take (a full disk, a read-only file
  // system, a store that went away) is kept in unrecorded_, with the task's
  // lease renewed, and written again until it lands: the agent's work is
  // recorded once, not run again.
  struct Ending {
    Running running;
    AgentResult result;
    AttemptOutcome outcome;
    int tries = 1;
  };

  // The engine thread: start-up checks, then turns until Stop, then the drain.
  void Loop();
  // The periodic work, first due at `start` (monotonic ms).
  Duties PeriodicDuties(int64_t start);
  // One wait for a wake, an exit or the next due duty, and what follows from
  // it. False once a stop was requested (finished attempts are recorded).
  bool RunTurn(Duties& duties);
  // Shutdown: waits out the grace, releases what still runs, stops the
  // launcher and records every exit it reported.
  void DrainAtShutdown(Duties& duties);
  void DrainUntil(Duties& duties, int64_t until);
  // When the loop must next wake for a timed dispatch: a retry scheduled
  // here or a pause's end (loop clock ms; INT64_MAX when none).
  int64_t NextTimedDispatch(int64_t now) const;
  // engine_dispatch.cc: execution requests first, then the runnable tasks of
  // each agent with a free slot, merged in queue order; at most
  // kMaxStartsPerTurn a call (dispatch_backlog_ says when more are due).
  void Dispatch();
  // Starts what `slots` has room for (Dispatch's work).
  void FillSlots(Slots& slots);
  // At start: clears stored routes made under another routing configuration
  // (AgentRouter::Fingerprint, kept in the store's meta).
  void CheckRoutingConfig();
  // The agents Dispatch asks about: those with tasks queued in the store
  // (one index walk), so a dispatch never lists an agent with nothing
  // queued; RouteUnrouted adds the agents it routes to.
  void RefreshQueuedAgents();
  // Routes one batch of queued tasks that have no route yet (when
  // check_unrouted_); a full batch leaves route_backlog_ set.
  void RouteUnrouted();
  // A task picked to start on an agent (a slot already taken for it).
  struct Pick {
    const Task* task;
    std::string agent;
  };
  // Claims the picked tasks in one store write (TaskStore::ClaimTasks, or
  // FinishAttemptsAndClaim with endings_with_claims_) and starts an attempt
  // for every claim granted; a pick that did not start gives its slot back
  // to `slots`. Returns how many started.
  size_t LaunchAll(const std::vector<Pick>& picks, Slots* slots);
  ClaimRequest ClaimRequestFor(const Task& task, const std::string& agent, TimeMs now);
  // Starts the attempt of a claim the store granted at `loop_began` (loop
  // ms; `now` on the store's clock); false when it did not start.
  bool StartClaimed(const Task& task, const std::string& agent, const ClaimRequest& req,
                    const Claim& claim, int64_t loop_began, TimeMs now);
  // True when `task` may not start because its budget is spent; then it has
  // been ended failed (budget_exhausted), unless another writer moved it
  // first. A forced execution request always may start.
  bool StopIfOverBudget(const Task& task);
  // Reads the stored pause of every agent the router knows or Dispatch asks
  // about; a pause lifted early resets that agent's circuit count.
  void LoadPauses();
  // True while `agent` may start nothing (AgentPause::ActiveAt).
  bool Paused(const std::string& agent, TimeMs now) const;
  // Stores and applies a pause; the loop wakes when it ends. A pause of the
  // agent that ends later stands instead.
  void Pause(const AgentPause& pause);
  // An attempt ended on the provider's usage limit: pause its agent until
  // the reset (engine/usage_limit_pause.h) unless a longer pause stands.
  void PauseForUsageLimit(const std::string& agent, const AgentResult& result);
  // budget.agent_daily_cost_usd: pauses until the next UTC midnight each
  // agent (or just `agent`, when named) whose attempts cost that much today,
  // and lifts the daily-budget pauses the limit no longer justifies.
  void CheckDailyBudgets(const std::string& agent);
  // The breaker's view of an ended attempt; pauses the agent when it opens.
  void RecordForCircuit(const std::string& agent, const AgentResult& result,
                        const AttemptOutcome& o);
  // Decides what each exit means and records them all in one store write
  // (TaskStore::FinishAttempts): attempts that end together cost the store
  // one commit.
  void HandleFinished(const std::deque<Finished>& done);
  void HandleFinished(const Finished& f) { HandleFinished(std::deque<Finished>{f}); }
  // The outcomes of these exits (none for an execution not running here);
  // their slots are free from here on.
  std::vector<Ending> DecideEndings(const std::deque<Finished>& done);
  // The outcome of one exit, or nothing for an execution not running here.
  std::optional<Ending> DecideEnding(const Finished& f);
  // True when what follows writing `e` cannot change what a dispatch may
  // start (a completed attempt with no cost: no pause, no budget stop, no
  // hold), so it may wait for the turn's claims and share their write.
  static bool MayWaitForClaims(const Ending& e);
  // running_ and running_kinds_ change together, only through these.
  void AddRunning(const std::string& execution_id, const Running& r);
  Running TakeRunning(std::map<std::string, Running>::iterator it);
  // Writes the outcomes; keeps each in unrecorded_ that the store could not
  // take for a reason that may pass (IOError, Unavailable).
  void RecordOutcomes(std::vector<Ending> endings);
  // What follows a write of one outcome: the log, metrics, the circuit,
  // pauses, budgets and callbacks (or keeping it, when it did not land).
  void AfterOutcome(Ending ending, const FinishResult& written);
  // Writes the kept outcomes again (a duty, every second while any wait).
  void RecordUnrecorded();
  // Renews the leases of the tasks held here and arms the launcher's fence;
  // the store's answer.
  Status RenewLeases();
  // Self-fencing: the leases renewed (or taken by a claim) at `began` (loop
  // ms) cover the attempts here until began + lease - FenceMarginMs(); the
  // launcher stops them then unless a later renewal says otherwise.
  void ArmFence(int64_t began);
  // Notes a lapse (the armed fence's time passed before this renewal or
  // claim), which the fence's stops are then recognised by.
  void NoteLapse();
  // How long before its lease expires an attempt is stopped, and the grace
  // between TERM and KILL within that.
  int64_t FenceMarginMs() const;
  int64_t FenceGraceMs() const;
  // Whether `r`'s end came from the launcher's fence (its leases lapsed
  // while it ran, and it died by a signal nobody here sent).
  bool Fenced(const Running& r, const AgentResult& result) const;
  // Tells the store this service runs (executor_registry.h).
  Status SendHeartbeat();
  // A store write failed with `s`: an I/O error (a full disk, a read-only
  // file system) or an unavailable store (a database server down past its
  // retries) holds intake until a write passes again.
  void NoteStoreWrite(const Status& s, const char* what);
  // The "intake check" duty: probes what holds intake (a heartbeat for the
  // store, the launcher's CheckFiles for its files). True when intake opened.
  bool CheckIntake();
  // Writes when each running attempt's agent last had output and its last
  // meaningful line, for those whose time moved since the last write
  // (SessionExecution::last_output_at, last_output_line).
  void RecordOutputTimes();
  // Writes the pid of each attempt still running whose pid the store does
  // not have (the "record pids" duty, every kPidRecordMs): the claim started the attempt before its
  // process existed, and an attempt that ends first has its pid written with its outcome.
  void RecordPids();
  // Whether another process wrote to the store since the last look (or we
  // cannot tell); notes new agents and unrouted tasks.
  bool PollStoreChanges();
  void CheckCancelRequests();
  void RecoverExpired();
  // Ends a held task's attempt as `lost` (retried by policy) after killing a
  // leftover process group on this machine.
  void RecordLost(const Task& t, bool require_expired_lease);
  // Ends execution `execution_id` of `t`, whose claim committed though the
  // store's answer never came (so it never started), as `released`: the task
  // goes back to the queue with its retries untouched.
  void ReleaseUnstarted(const Task& t, const std::string& execution_id);
  // Records the result an attempt of `t` ended with while its service was
  // down (AgentLauncher::EndedWhileAway). True when that settled it (written,
  // or written by someone else first).
  bool RecordEndedWhileAway(const Task& t, const SessionExecution& e, const AgentResult& result,
                            bool require_expired_lease);
  // Callbacks and the retry wake-up for an outcome as written.
  void Recorded(const Task& after);
  // Whether this process runs an attempt of the task or keeps its outcome.
  bool HasAttempt(const std::string& task_id) const;
  void ReleaseAll();
  double Jitter();

  const Config config_;
  TaskStore* const store_;
  const AgentRouter* const router_;
  const Clock* const clock_;
  LoopClock* const loop_clock_;
  const RetryPolicy retry_;
  const TaskLimits budget_;  // the budget.* settings
  CircuitBreaker breaker_;
  std::map<std::string, AgentPause> pauses_;  // active or ended, as last read or set
  ResumeMode resume_mode_ = ResumeMode::kOnReply;
  bool can_resume_ = false;  // the command has resume arguments
  std::string executor_id_;
  std::string host_;       // this machine, for the heartbeat (loop thread)
  TimeMs started_at_ = 0;  // when the loop started (loop thread)
  EngineCallbacks callbacks_;

  // Owned by the engine thread after Start(), except where noted.
  LauncherFactory make_launcher_;
  std::unique_ptr<AgentLauncher> launcher_;
  std::map<std::string, Running> running_;  // execution id -> attempt
  // What runs, counted as running_ changes (AddRunning, TakeRunning), so
  // that a loop turn or a dispatch costs nothing per running attempt:
  // (agent, task type) -> attempts.
  std::map<std::pair<std::string, std::string>, int> running_kinds_;
  // Attempts whose pid is known and not yet written (RecordPids).
  std::vector<std::string> pids_to_record_;
  // The execution id RecordOutputTimes looked at last: the next round goes
  // on after it.
  std::string output_cursor_;
  std::map<std::string, Ending> unrecorded_;  // execution id -> kept outcome
  // Completed attempts of this turn whose outcomes go to the store with the
  // claims of the tasks that take their slots, one transaction for both
  // (LaunchAll); written alone after the dispatch when it claims nothing.
  // Their tasks are still held here (RenewLeases counts them).
  std::vector<Ending> endings_with_claims_;
  // Claims the store answered Unavailable (task id -> execution id): they may
  // have committed all the same (a COMMIT whose answer was lost). The next
  // successful lease renewal settles them.
  std::map<std::string, std::string> uncertain_claims_;
  IntakeHold hold_;  // no claims while the service cannot write
  // Self-fencing (loop ms): when the leases of the attempts here stop
  // covering them (0 = not armed), and the last such time that passed
  // without a renewal (a lapse: the launcher stopped what ran then).
  int64_t fence_deadline_ = 0;
  int64_t lapsed_at_ = 0;
  int64_t last_change_counter_ = -1;
  // Store times a dispatch is due at: the next_attempt_at of retries
  // scheduled here, and the ends of agent pauses.
  std::multiset<TimeMs> dispatch_times_;
  // The agents Dispatch lists runnable tasks for.
  std::set<std::string> queued_agents_;
  // Something may have left a queued task without a route.
  bool check_unrouted_ = true;
  // The last ListUnrouted was a full batch: route on without waiting.
  bool route_backlog_ = false;
  // The last Dispatch started its turn's most (kMaxStartsPerTurn) with
  // slots still free: dispatch again without waiting.
  bool dispatch_backlog_ = false;
  std::mt19937_64 rng_;

  mutable Mutex mu_;
  CondVar cv_;
  bool wake_ GUARDED_BY(mu_) = false;
  // The store pushed a change (TaskStore::SubscribeToChanges): poll it now.
  bool store_changed_ GUARDED_BY(mu_) = false;
  bool reload_pauses_ GUARDED_BY(mu_) = false;
  bool stop_requested_ GUARDED_BY(mu_) = false;
  bool started_ GUARDED_BY(mu_) = false;
  std::deque<Finished> finished_ GUARDED_BY(mu_);
  EngineSnapshot snapshot_ GUARDED_BY(mu_);  // copy published by the loop for Snapshot()
  std::thread thread_;
  // Ended in Stop(), before the loop's thread, so no push arrives after.
  std::unique_ptr<ChangeSubscription> store_changes_ GUARDED_BY(mu_);
};

}  // namespace taskexec
