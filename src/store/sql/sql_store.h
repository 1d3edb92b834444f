// SqlStore: every TaskStore method, written once in SQL that SQLite and
// PostgreSQL both run, over a sql::Database (store/sql/sql_db.h) that
// supplies the engine: SqliteStore (store/sqlite, the embedded default) and
// PgStore (store/postgres, many hosts).
//
// Every read-modify-write runs in one Database::Write transaction, whose
// reads see the latest committed state and which no other writer, in any
// process or on any host, can interleave with: SQLite takes its single
// write lock before the transaction reads (BEGIN IMMEDIATE); PostgreSQL runs
// it SERIALIZABLE and retries it when another transaction got in between.
// That is what makes Claim an atomic compare-and-set and the lease fencing
// of MarkStarted/FinishAttempt exact, on both engines.
//
// Choices the TaskStore header leaves open (the conformance suite pins them):
//  * AddTask: empty priority means "normal"; a new task may start pending,
//    terminal, or in a held board state, never assigned/claimed/in_progress
//    or retrying (InvalidArgument). Terminal ones get completed_at = now.
//  * ListTasks: ties in the chosen order go by insertion order (SQLite's
//    rowid; PostgreSQL's identity column of that name).
//  * SetStatus to the current status is a no-op returning OK (no version
//    bump); a refused transition is Conflict. A reason is kept in
//    error_message when moving to failed, cancelled or blocked. Leaving the
//    runnable statuses drops a pending execution request.
//  * Claim sets started_at on every attempt (it is the start of the latest
//    session); MarkStarted also accepts an already in_progress task, and
//    then records only the pid, on the execution row.
//  * RenewLeases bumps version like every write.
//  * FinishAttempt with a status CanTransition refuses: InvalidArgument. An
//    empty summary keeps the previous output_summary. claimed_by keeps the
//    agent of the last attempt.
//  * RequestCancel: unheld and not terminal -> cancelled now (error_type
//    "cancelled", error_message = reason); held -> cancel_requested; already
//    cancelled -> OK unchanged; completed/failed -> Conflict.
//  * RequestExecution moves any unheld, non-runnable task to pending with
//    retry_count, errors and next_attempt_at reset; a pending or retrying
//    task keeps its status and retry count.
//  * GetStats counts "any" and empty assignees as "unassigned".
//  * SetRoutes and ClearRoutes write routed_agent only (no version bump,
//    updated_at unchanged); ListQueuedAgents is a skip scan of the index.
//  * Unknown status names written by other tools read as Corruption.
//
// Thread-safety: all methods are safe from any thread; the Database hands
// each transaction a connection no other thread uses.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/sql/sql_db.h"
#include "store/task_store.h"

namespace taskexec {

class SqlStore : public TaskStore {
 public:
  ~SqlStore() override;

  Status AddTask(const NewTask& task, TimeMs now, Task* out) override;
  Status AddTasks(const std::vector<NewTask>& tasks, TimeMs now,
                  std::vector<Status>* results) override;  // one transaction
  Status GetTask(const std::string& id, Task* out) override;
  Status FindByNotionPage(const std::string& page_id, Task* out) override;
  Status ListTasks(const TaskFilter& filter, std::vector<Task>* out) override;
  Status CountTasks(const TaskFilter& filter, int64_t* total) override;
  Status ListChanged(const ChangeCursor& after, int limit, std::vector<Task>* out) override;
  Status ListDependents(const std::string& id, std::vector<Task>* out) override;
  Status UpdateTask(const std::string& id, const TaskPatch& patch, int64_t expected_version,
                    TimeMs now, Task* out) override;
  Status SetStatus(const std::string& id, TaskStatus to, const std::string& reason, TimeMs now,
                   Task* out) override;
  Status ListRunnable(TimeMs now, int limit, bool only_requested, std::vector<Task>* out) override;
  Status RequestExecution(const std::string& id, const std::string& execution_id,
                          const std::string& agent, bool force, TimeMs now, Task* out) override;
  Status FailQueued(const std::string& id, int64_t expected_version, ErrorType error_type,
                    const std::string& message, TimeMs now, Task* out) override;

  // sql_store_routes.cc: served by the tasks_agent_queue index.
  Status ListForDispatch(TimeMs now, int requested_limit,
                         const std::vector<std::pair<std::string, int>>& per_agent,
                         const std::vector<std::string>& skip_types, DispatchListing* out) override;
  Status ListRunnableFor(const std::string& agent, TimeMs now, int limit,
                         const std::vector<std::string>& skip_types,
                         std::vector<Task>* out) override;
  Status ListUnrouted(int limit, std::vector<Task>* out) override;
  Status SetRoutes(const std::vector<TaskRoute>& routes, int* written) override;
  Status ClearRoutes(int64_t* cleared) override;
  Status ListQueuedAgents(std::vector<std::string>* out) override;
  Status ListFinishedBefore(TimeMs cutoff, const FinishedCursor& after, int limit,
                            std::vector<Task>* out) override;
  Status DeleteTasks(const std::vector<TaskDeletion>& tasks,
                     std::vector<std::string>* deleted) override;

  Status Claim(const ClaimRequest& req, taskexec::Claim* out) override;
  // In one transaction; when one claim is refused, each on its own.
  void ClaimTasks(const std::vector<ClaimRequest>& requests,
                  std::vector<ClaimResult>* results) override;
  Status MarkStarted(const std::string& task_id, const std::string& execution_id,
                     const std::string& executor_id, int64_t pid, TimeMs now) override;
  Status RenewLeases(const std::string& executor_id, TimeMs lease_expires_at, TimeMs now,
                     std::vector<std::string>* held) override;
  Status RecordOutputTimes(const std::string& executor_id, const std::vector<OutputTime>& times,
                           int* written) override;
  Status ListExpiredLeases(TimeMs now, std::vector<Task>* out) override;
  Status FinishAttempt(const AttemptOutcome& outcome, Task* out) override;
  // In one transaction; when one outcome is refused, each on its own.
  void FinishAttempts(const std::vector<AttemptOutcome>& outcomes,
                      std::vector<FinishResult>* results) override;
  // Both in one transaction; when one item is refused, as FinishAttempts
  // and ClaimTasks would write them.
  void FinishAttemptsAndClaim(const std::vector<AttemptOutcome>& outcomes,
                              const std::vector<ClaimRequest>& requests,
                              std::vector<FinishResult>* finished,
                              std::vector<ClaimResult>* claimed) override;
  Status Reply(const std::string& id, const std::string& message, TimeMs now, Task* out) override;
  Status RequestCancel(const std::string& id, const std::string& reason, TimeMs now,
                       Task* out) override;
  Status ListCancelRequests(const std::string& executor_id,
                            std::vector<std::string>* task_ids) override;

  Status GetExecution(const std::string& id, SessionExecution* out) override;
  Status ListExecutions(const std::string& task_id, std::vector<SessionExecution>* out) override;
  Status ListActiveExecutions(std::vector<SessionExecution>* out) override;
  Status ListArtifacts(const std::string& task_id, std::vector<Artifact>* out) override;

  Status GetStats(StoreStats* out) override;
  Status CostByAgentSince(TimeMs since, std::map<std::string, double>* out) override;
  Status GetMeta(const std::string& key, std::string* value) override;
  Status SetMeta(const std::string& key, const std::string& value) override;
  Status UpdateMeta(const std::string& key, const MetaUpdate& update, std::string* value) override;

 protected:
  explicit SqlStore(std::unique_ptr<sql::Database> db);
  sql::Database& db() { return *db_; }

 private:
  // Claim's (the request checked first) and FinishAttempt's writes, inside the
  // caller's transaction.
  static Status ClaimIn(sql::Connection& c, const ClaimRequest& req, taskexec::Claim* out);
  static Status FinishIn(sql::Connection& c, const AttemptOutcome& outcome, Task* out);
  // ListRunnable's and ListRunnableFor's reads, inside the caller's
  // transaction (`skip_json`: the types to leave out, a JSON array).
  Status RunnableIn(sql::Connection& c, TimeMs now, int64_t limit, bool only_requested,
                    std::vector<Task>* out) const;
  Status RunnableForIn(sql::Connection& c, const std::string& agent, TimeMs now, int limit,
                       const std::string& skip_json, std::vector<Task>* out) const;

  std::unique_ptr<sql::Database> db_;
  const std::string runnable_sql_;
  const std::string runnable_for_sql_;
};

}  // namespace taskexec
