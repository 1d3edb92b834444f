// TaskStore: the durable state of taskexec behind one narrow interface, with
// an embedded SQLite backend (store/sqlite) and a Neo4j backend (store/neo4j).
// Every backend passes the same conformance suite (tests/store/store_conformance.h).
//
// Concurrency model: many executors (threads or processes, on one machine or
// many) share one store. Claims are compare-and-set on Task::version, so at
// most one claimer wins; a claim carries a lease that its executor renews.
// Writes made on behalf of an attempt (MarkStarted, FinishAttempt) are fenced
// by the lease: they fail with Status::Conflict once another executor has
// taken the task over, so a presumed-dead executor can never overwrite the
// outcome of the attempt that replaced it.
//
// Thread-safety: implementations are safe to call from any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/domain.h"
#include "core/status.h"

namespace taskexec {

// What a task list is ordered by. Ties are broken by insertion order, so a
// listing is stable between calls.
enum class TaskSortKey {
  kCreated,   // created_at
  kUpdated,   // updated_at
  kPriority,  // priority weight (ascending = lowest first), then created_at
  kStatus,    // status name, then created_at
  kTitle,     // title, case-insensitive (ASCII), then insertion
};

struct TaskFilter {
  std::optional<TaskStatus> status;
  // The task's agent as StoreStats::by_agent counts it: claimed_by, else
  // assigned_to unless "any", else "unassigned".
  std::string agent;
  std::string source;
  std::string type;  // the task's type, exactly
  // Free text: tasks whose id, title or description contains it, ignoring
  // ASCII case.
  std::string text;
  TaskSortKey sort = TaskSortKey::kCreated;
  bool descending = false;
  int limit = 0;       // 0 = no limit
  int64_t offset = 0;  // matches skipped before the page (>= 0)
  // A page cursor: only tasks after this task id in list order (created_at,
  // then insertion, reversed when descending). Only with sort kCreated and
  // offset 0 (InvalidArgument otherwise). NotFound if no such task.
  std::string after;
  // Only tasks held back by their dependencies: waiting on one (pending
  // with a non-empty waiting_on) or blocked by one that failed.
  bool dependencies = false;
};

// A registration made with TaskStore::SubscribeToChanges; destroying it
// ends the calls (it waits for one under way to return).
class ChangeSubscription {
 public:
  virtual ~ChangeSubscription() = default;
};

// The names a listing's sort is spelled with in the API and CLI
// ("created", "updated", "priority", "status", "title").
std::string_view ToString(TaskSortKey key);
std::optional<TaskSortKey> ParseTaskSortKey(std::string_view name);
// Every key, in that order, and their names ("created, updated, ...").
const std::vector<TaskSortKey>& AllTaskSortKeys();
std::string TaskSortKeyNames();
// TaskFilter::text as the backends compare it: ASCII lower case (they
// lower-case ids, titles and descriptions the same way).
std::string SearchNeedle(const TaskFilter& filter);
// Refuses what no backend can list: a negative offset, or a cursor with
// another sort or with an offset.
Status CheckTaskFilter(const TaskFilter& filter);

// A position in the change feed (TaskStore::ListChanged): the last task seen.
struct ChangeCursor {
  TimeMs updated_at = 0;
  std::string id;
};

// Editable fields of a task that has not started. Unset fields stay.
struct TaskPatch {
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<std::string> type;
  std::optional<Priority> priority;
  std::optional<std::string> assigned_to;
  std::optional<std::string> context_json;
  std::optional<std::string> notion_url;
  // Replaces the task's dependencies (Task::blocked_by); an empty list drops
  // them all, which also releases a task blocked by a failed dependency.
  std::optional<std::vector<std::string>> blocked_by;
};

struct ClaimRequest {
  std::string task_id;
  int64_t expected_version = 0;  // from the read that chose the task
  std::string executor_id;
  std::string agent;
  std::string execution_id;  // the new attempt's id
  std::string session_label;
  std::string resumed_session_id;  // the earlier session the attempt continues, or ""
  std::string log_path;
  TimeMs now = 0;
  TimeMs lease_expires_at = 0;
  bool manual = false;  // claims the task's execution request
};

struct Claim {
  Task task;                   // after the claim (status assigned)
  SessionExecution execution;  // the new active attempt
};

// What one ClaimRequest answered (TaskStore::ClaimTasks).
struct ClaimResult {
  Status status;
  Claim claim;  // when status is OK
};

// The end of an attempt, written atomically with its artifacts.
struct AttemptOutcome {
  std::string task_id;
  // The attempt that ended. Empty = every active execution of the task (used
  // when recovering a dead executor's task).
  std::string execution_id;
  // The lease holder the write is fenced on. With require_expired_lease the
  // write only applies if that holder's lease has expired at `now`
  // (recovery of a dead executor's task).
  std::string executor_id;
  bool require_expired_lease = false;
  ExecutionStatus execution_status = ExecutionStatus::kCompleted;
  // completed | retrying | failed | cancelled | pending | needs_input
  TaskStatus task_status = TaskStatus::kCompleted;
  ErrorType error_type = ErrorType::kNone;
  std::string error_message;
  // When set, the task's error instead of the attempt's: the attempt failed
  // its own way, the task ends on a rule of its own (budget_exhausted).
  ErrorType task_error_type = ErrorType::kNone;
  std::string task_error_message;
  std::string summary;
  std::string session_id;
  std::string question;          // task_status needs_input: what the agent asked
  AgentUsage usage;              // the attempt's; added to the task's totals
  TimeMs last_output_at = 0;     // the agent's last output; 0 = none (kept as recorded)
  std::string last_output_line;  // its last line worth showing; "" = keep the recorded one
  std::optional<int> exit_code;
  std::optional<int> term_signal;
  int64_t pid = 0;      // the session's process (group) id; recorded if the execution has none
  int retry_count = 0;  // the task's new retry_count
  TimeMs next_attempt_at = 0;
  TimeMs now = 0;
  std::vector<Artifact> artifacts;
};

// What writing one AttemptOutcome answered (TaskStore::FinishAttempts).
struct FinishResult {
  Status status;
  Task task;  // as written, when status is OK
};

// When a running attempt's agent last wrote output (TaskStore::RecordOutputTimes).
struct OutputTime {
  std::string execution_id;
  TimeMs at = 0;
  std::string line;  // the last line worth showing (SessionExecution::last_output_line)
};

// A route the engine computed for a task ListUnrouted returned.
struct TaskRoute {
  Task task;          // as read: id, version and the queue-order fields are used
  std::string agent;  // the router's choice (non-empty)
};

// Where a ListFinishedBefore page ends: the last task's (completed_at, id).
struct FinishedCursor {
  TimeMs completed_at = 0;
  std::string id;
};

// A finished task chosen for deletion (TaskStore::DeleteTasks).
struct TaskDeletion {
  std::string id;
  int64_t version = 0;                 // as read: a task changed since is kept
  std::vector<std::string> meta_keys;  // meta entries deleted with it
};

struct StoreStats {
  std::map<std::string, int64_t> by_status;  // task status -> count
  std::map<std::string, int64_t> by_agent;   // claimed_by (or assigned_to) -> count
  int64_t active_executions = 0;
};

class TaskStore {
 public:
  virtual ~TaskStore() = default;

  // Creates a task. Fails with InvalidArgument on an empty title, a start
  // status a new task cannot have or a blocked_by naming no task (or the
  // task itself), Conflict if the id (or the notion_page_id) exists already.
  // Its dependencies apply at once (store/dependency_rules.h): a task added
  // behind an unfinished one waits, behind a failed one it is blocked.
  virtual Status AddTask(const NewTask& task, TimeMs now, Task* out) = 0;
  // Adds many tasks (an import). (*results)[i] is what AddTask would return
  // for tasks[i]; a refused task does not stop the others. A non-OK return
  // means the store failed and, for backends that write the batch in one
  // transaction (SQLite), that none was added. The default adds them one by
  // one.
  virtual Status AddTasks(const std::vector<NewTask>& tasks, TimeMs now,
                          std::vector<Status>* results);
  virtual Status GetTask(const std::string& id, Task* out) = 0;
  virtual Status FindByNotionPage(const std::string& page_id, Task* out) = 0;
  virtual Status ListTasks(const TaskFilter& filter, std::vector<Task>* out) = 0;
  // How many tasks the filter matches, ignoring limit, offset and after: the
  // total a paged listing shows.
  virtual Status CountTasks(const TaskFilter& filter, int64_t* total) = 0;
  // The change feed: tasks whose (updated_at, id) comes after `after`, in
  // that order, at most `limit` (> 0). Every write of a task moves its
  // updated_at (the writer's clock), so a reader that keeps the last task it
  // saw as its cursor sees each task's latest state after each change;
  // changes between two reads of one task collapse into its latest state.
  virtual Status ListChanged(const ChangeCursor& after, int limit, std::vector<Task>* out) = 0;

  // The tasks whose blocked_by names `id` (its dependents), oldest first.
  // Empty when there are none or no such task.
  virtual Status ListDependents(const std::string& id, std::vector<Task>* out) = 0;

  // Edits a task that no executor holds. Conflict if held or the version
  // moved (expected_version < 0 skips that check). A new blocked_by is
  // checked like AddTask's, and also refused (InvalidArgument naming it)
  // when it would close a cycle.
  virtual Status UpdateTask(const std::string& id, const TaskPatch& patch, int64_t expected_version,
                            TimeMs now, Task* out) = 0;

  // A person's status change (re-queue, hold, done). Checked against
  // CanTransition; a held task must be cancelled instead (Conflict). Moving to
  // pending clears retry_count, errors and next_attempt_at.
  virtual Status SetStatus(const std::string& id, TaskStatus to, const std::string& reason,
                           TimeMs now, Task* out) = 0;

  // Tasks a dispatcher may claim now: pending or retrying, next_attempt_at <=
  // now (ignored for tasks with an execution request), no cancel request;
  // ordered by execution request first, then priority weight (desc),
  // created_at. With only_requested, just tasks with an execution request
  // (auto_assign = false).
  virtual Status ListRunnable(TimeMs now, int limit, bool only_requested,
                              std::vector<Task>* out) = 0;

  // ---- Dispatch by routed agent (Task::routed_agent) ------------------------
  // What the engine dispatches from, so that a dispatch reads O(free slots)
  // rows however long any one agent's queue is.

  // Like ListRunnable without execution requests (and empty with
  // only_requested): the runnable tasks routed to `agent`, in queue order,
  // at most `limit` (> 0), leaving out tasks whose type is one of
  // `skip_types` (lower case; a type compares case-insensitively: task
  // types at their executor.max_concurrent_by_type cap). Backends serve it
  // from an index on (status, routed_agent, queue order), reading about
  // `limit` entries plus the skipped ones before them.
  virtual Status ListRunnableFor(const std::string& agent, TimeMs now, int limit,
                                 const std::vector<std::string>& skip_types,
                                 std::vector<Task>* out) = 0;

  // One dispatch's listings, read together: the tasks with an execution
  // request (ListRunnable with only_requested, at most `requested_limit`;
  // none asked for when 0) and, for each (agent, limit) of `per_agent`,
  // ListRunnableFor(agent, now, limit, skip_types), in by_agent in the same
  // order. The SQL stores read them in one transaction, one snapshot: a
  // dispatch after every finished attempt pays for one read, not one per
  // listing. This default makes the calls in turn, so a store that wraps
  // another keeps its own.
  struct DispatchListing {
    std::vector<Task> requested;
    std::vector<std::vector<Task>> by_agent;
  };
  virtual Status ListForDispatch(TimeMs now, int requested_limit,
                                 const std::vector<std::pair<std::string, int>>& per_agent,
                                 const std::vector<std::string>& skip_types, DispatchListing* out);

  // Queued tasks (pending or retrying, due or not, with or without a
  // request) that have no routed_agent, in queue order, at most `limit`
  // (> 0): tasks written by other tools, edited, or cleared by ClearRoutes.
  virtual Status ListUnrouted(int limit, std::vector<Task>* out) = 0;

  // Records the routes in one transaction. A route applies only while its
  // task still has the version it was read at (a task edited since is left
  // unrouted and comes back from ListUnrouted) and no route (one another
  // executor recorded meanwhile stands). A route is derived data: it
  // bumps neither version nor updated_at, so it never makes a concurrent
  // claim or edit fail. `written` (may be null) = routes recorded.
  virtual Status SetRoutes(const std::vector<TaskRoute>& routes, int* written) = 0;

  // Clears routed_agent on every task (the routing configuration changed);
  // also without a version bump. `cleared` (may be null) = tasks changed.
  virtual Status ClearRoutes(int64_t* cleared) = 0;

  // The distinct routed agents of queued tasks, sorted.
  virtual Status ListQueuedAgents(std::vector<std::string>* out) = 0;

  // ---- Pruning history ------------------------------------------------------

  // Finished tasks (completed, failed or cancelled) with completed_at before
  // `cutoff`, in (completed_at, id) order after `after` (a default cursor =
  // from the start), at most `limit` (> 0). Tasks without a completed_at
  // (written by other tools) are never listed. Backends serve it from an
  // index on (status, completed_at).
  virtual Status ListFinishedBefore(TimeMs cutoff, const FinishedCursor& after, int limit,
                                    std::vector<Task>* out) = 0;

  // Deletes each task that still has the version it was read at and is
  // still finished, with its executions, artifacts and the given meta keys,
  // all in one transaction. `deleted` (may be null) = ids deleted, in order.
  virtual Status DeleteTasks(const std::vector<TaskDeletion>& tasks,
                             std::vector<std::string>* deleted) = 0;

  // Manual execution: records an execution request with the attempt id the
  // caller will be given and an optional agent override. Allowed for tasks
  // nobody holds (pending, retrying, failed, cancelled, completed, held board
  // states); a finished task is re-queued (retry_count reset). Conflict if an
  // executor holds the task or a request is already pending. With `force`
  // the attempt starts even when the task's budget is spent
  // (Task::requested_force).
  virtual Status RequestExecution(const std::string& id, const std::string& execution_id,
                                  const std::string& agent, bool force, TimeMs now, Task* out) = 0;

  // Atomically claims a task and starts the new attempt: the task is
  // in_progress (started_at = req.now) and the execution active (attempt
  // number = retry_count + 1, pid 0 until MarkStarted or FinishAttempt
  // records one): one transaction, not two, for every attempt. Conflict when the version moved, the
  // task is held, or it is not runnable. A task carrying an execution request must be claimed with
  // req.manual and req.execution_id equal to the requested id; the claim clears the request.
  virtual Status Claim(const ClaimRequest& req, Claim* out) = 0;

  // Claims several tasks: (*results)[i] is what Claim of requests[i] would
  // have answered, so one claim lost to another executor never costs the
  // others theirs. A backend may make them all in one transaction (the SQL
  // stores do, and claim each on its own when one is refused); this default
  // claims each through Claim, and a store that wraps another must keep it
  // unless it forwards Claim unchanged too.
  virtual void ClaimTasks(const std::vector<ClaimRequest>& requests,
                          std::vector<ClaimResult>* results);

  // Records the session's process (group) id on its execution, and moves a
  // task still `assigned` or `claimed` (claimed by an earlier version or
  // another tool) to in_progress (started_at). The task itself (version,
  // updated_at) is written only in that second case.
  virtual Status MarkStarted(const std::string& task_id, const std::string& execution_id,
                             const std::string& executor_id, int64_t pid, TimeMs now) = 0;

  // Extends the lease of every task `executor_id` holds; returns their ids.
  virtual Status RenewLeases(const std::string& executor_id, TimeMs lease_expires_at, TimeMs now,
                             std::vector<std::string>* held) = 0;

  // Records when running attempts last had output: sets last_output_at (and
  // last_output_line, when the line is not empty) of each execution that is
  // still active, run by `executor_id`, and has an earlier time; others are
  // left as they are. One transaction; touches no
  // task (no version bump). `written` (may be null) = executions changed.
  virtual Status RecordOutputTimes(const std::string& executor_id,
                                   const std::vector<OutputTime>& times, int* written) = 0;

  // Held tasks whose lease expired before `now` (their executor died).
  virtual Status ListExpiredLeases(TimeMs now, std::vector<Task>* out) = 0;

  // Records the end of an attempt (see AttemptOutcome). Conflict when fenced.
  // A pending cancel request turns any outcome but completion into
  // cancelled, in the same transaction (store_rules::SettleCancel). `out`
  // (may be null) receives the task as written.
  virtual Status FinishAttempt(const AttemptOutcome& outcome, Task* out) = 0;

  // Records several attempts' ends: (*results)[i] is what FinishAttempt of
  // outcomes[i] would have answered (its status, and the task as written
  // when OK), so one outcome's refusal is never another's. A backend may
  // write them all in one transaction (the SQL stores do: an executor whose
  // attempts end together pays for one commit); this default writes each
  // through FinishAttempt, and a store that wraps another must keep it
  // unless it forwards FinishAttempt unchanged too.
  virtual void FinishAttempts(const std::vector<AttemptOutcome>& outcomes,
                              std::vector<FinishResult>* results);

  // Records `outcomes`, then claims `requests`: each result is what
  // FinishAttempts and ClaimTasks, called in that order, would have
  // answered. A backend may make both in one transaction (the SQL stores
  // do: an attempt's end and the claim of the task that takes its slot cost
  // one commit, and when one item is refused each is written as those two
  // would write it); this default calls the two in turn, so a store that
  // wraps another keeps its own FinishAttempts and ClaimTasks.
  virtual void FinishAttemptsAndClaim(const std::vector<AttemptOutcome>& outcomes,
                                      const std::vector<ClaimRequest>& requests,
                                      std::vector<FinishResult>* finished,
                                      std::vector<ClaimResult>* claimed);

  // A person's answer to the question a task is parked on: needs_input ->
  // pending with `reply` kept beside the question for the next attempt's
  // prompt (retry count, errors and next_attempt_at cleared). Conflict when
  // the task is not waiting for an answer; InvalidArgument on a blank
  // message.
  virtual Status Reply(const std::string& id, const std::string& message, TimeMs now,
                       Task* out) = 0;

  // Ends a queued task (pending or retrying, nobody holds it) that the
  // engine will not start: failed with `error_type` and `message`,
  // completed_at = now, any execution request dropped. Conflict when its
  // version is no longer `expected_version` or it is not queued.
  virtual Status FailQueued(const std::string& id, int64_t expected_version, ErrorType error_type,
                            const std::string& message, TimeMs now, Task* out) = 0;

  // Cancels a task: a task nobody holds becomes cancelled at once; a held
  // task gets cancel_requested, carried out by its lease owner.
  virtual Status RequestCancel(const std::string& id, const std::string& reason, TimeMs now,
                               Task* out) = 0;
  // Tasks held by `executor_id` with a pending cancel request.
  virtual Status ListCancelRequests(const std::string& executor_id,
                                    std::vector<std::string>* task_ids) = 0;

  virtual Status GetExecution(const std::string& id, SessionExecution* out) = 0;
  virtual Status ListExecutions(const std::string& task_id, std::vector<SessionExecution>* out) = 0;
  virtual Status ListActiveExecutions(std::vector<SessionExecution>* out) = 0;
  virtual Status ListArtifacts(const std::string& task_id, std::vector<Artifact>* out) = 0;

  virtual Status GetStats(StoreStats* out) = 0;
  // The cost each agent's attempts reported, summed over the attempts that
  // ended at or after `since` (every executor's; attempts that reported no
  // cost add nothing). Agents without such an attempt are absent.
  virtual Status CostByAgentSince(TimeMs since, std::map<std::string, double>* out) = 0;

  // A small persistent key/value area for integrations (sync watermarks).
  virtual Status GetMeta(const std::string& key, std::string* value) = 0;  // NotFound if unset
  virtual Status SetMeta(const std::string& key, const std::string& value) = 0;
  // Replaces the value at `key` with update(old) (old is nullptr while the
  // key is unset) in one write transaction: concurrent updates of one key,
  // from any process, apply one after the other. `update` may run more than
  // once (a retried transaction), so it must only compute. *value gets what
  // was written.
  using MetaUpdate = std::function<std::string(const std::string* old)>;
  virtual Status UpdateMeta(const std::string& key, const MetaUpdate& update,
                            std::string* value) = 0;

  // A cheap change detector for cross-process pickup: *out changes whenever
  // any process commits a write to the store (the value itself means nothing;
  // compare it with the previous one). A backend that hears of commits
  // (PostgreSQL: of writes to tasks) asynchronously moves it a moment after
  // the commit, before it calls its SubscribeToChanges subscribers. Backends that cannot offer it
  // return NotFound("unsupported"); the engine then relies on its periodic sweep.
  virtual Status ChangeCounter(int64_t* out) {
    (void)out;
    return Status::NotFound("unsupported");
  }

  // Pushes what ChangeCounter polls: `on_change` is called, from a thread of
  // the store's, soon after another process or host (anything but this
  // store object's own writes) commits a change to a task, and when the
  // store may have missed some (a reconnect), so an idle service can start
  // a task another process added at once.
  // Calls may be merged; on_change must be quick and must not call back into
  // the subscription. nullptr for backends that cannot push: their
  // callers poll ChangeCounter.
  virtual std::unique_ptr<ChangeSubscription> SubscribeToChanges(std::function<void()> on_change) {
    (void)on_change;
    return nullptr;
  }
};

}  // namespace taskexec
