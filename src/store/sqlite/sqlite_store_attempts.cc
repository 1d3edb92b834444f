// SqliteStore: the executor's path through an attempt -- claim, start, lease
// renewal, finish. Every write here is one BEGIN IMMEDIATE transaction whose
// checks (version, status, lease owner) read the latest committed row, which
// is what makes the claim a compare-and-set and the lease a fence. The rules
// themselves are store/store_rules.h.
#include <string>

#include "store/sqlite/sqlite_dependencies.h"
#include "store/sqlite/sqlite_rows.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_rules.h"

namespace taskexec {

using sqlite::Connection;
using sqlite::Stmt;
using sqlite::WriteTxn;

namespace {

// The executions an outcome closes: the named one, or every active one.
Status ExecutionsToClose(Connection& c, const AttemptOutcome& o,
                         std::vector<SessionExecution>* out) {
  if (!o.execution_id.empty()) {
    out->resize(1);
    Status s = sqlite::LoadExecution(c, o.execution_id, &(*out)[0]);
    if (!s.ok()) return s;
    return store_rules::CheckOutcomeExecution((*out)[0], o);
  }
  Stmt q(c, sqlite::SelectExecution() + "WHERE task_id = ? AND " + sqlite::kExecutionIsActive);
  q.BindAll(o.task_id);
  return sqlite::CollectExecutions(q, out);
}

}  // namespace

Status SqliteStore::Claim(const ClaimRequest& req, taskexec::Claim* out) {
  if (Status s = store_rules::CheckClaimRequest(req); !s.ok()) return s;
  return WriteTxn(pool_, [&](Connection& c) -> Status {
    Task t;
    Status s = sqlite::LoadTask(c, req.task_id, &t);
    if (!s.ok()) return s;
    s = store_rules::CheckClaimable(t, req);
    if (!s.ok()) return s;

    SessionExecution e;
    e.id = req.execution_id;
    e.task_id = t.id;
    e.agent = req.agent;
    e.attempt = t.retry_count + 1;
    e.status = ExecutionStatus::kActive;
    e.session_label = req.session_label;
    e.resumed_session_id = req.resumed_session_id;
    e.executor_id = req.executor_id;
    e.started_at = req.now;
    e.log_path = req.log_path;
    e.manual = req.manual;

    store_rules::ApplyClaim(req, &t);
    s = sqlite::SaveTask(c, &t, req.now);
    if (!s.ok()) return s;
    s = sqlite::InsertExecution(c, e);
    if (s.IsConflict()) return store_rules::ExecutionExists(e.id);
    if (!s.ok()) return s;
    if (out != nullptr) {
      out->task = t;
      out->execution = e;
    }
    return Status::OK();
  });
}

Status SqliteStore::MarkStarted(const std::string& task_id, const std::string& execution_id,
                                const std::string& executor_id, int64_t pid, TimeMs now) {
  return WriteTxn(pool_, [&](Connection& c) -> Status {
    Task t;
    Status s = sqlite::LoadTask(c, task_id, &t);
    if (!s.ok()) return s;
    s = store_rules::CheckLease(t, executor_id);
    if (!s.ok()) return s;
    SessionExecution e;
    s = sqlite::LoadExecution(c, execution_id, &e);
    if (!s.ok()) return s;
    bool task_moved = false;
    s = store_rules::ApplyStarted(pid, now, &t, &e, &task_moved);
    if (!s.ok()) return s;
    s = sqlite::SaveExecution(c, e);
    if (!s.ok()) return s;
    return task_moved ? sqlite::SaveTask(c, &t, now) : Status::OK();
  });
}

Status SqliteStore::RenewLeases(const std::string& executor_id, TimeMs lease_expires_at, TimeMs now,
                                std::vector<std::string>* held) {
  if (Status s = store_rules::CheckExecutorId(executor_id); !s.ok()) return s;
  return WriteTxn(pool_, [&](Connection& c) -> Status {
    std::vector<Task> tasks;
    Stmt q(c, sqlite::SelectTask() +
                  "WHERE lease_owner = ? AND status IN ('assigned', 'claimed', 'in_progress') "
                  "ORDER BY rowid");
    q.BindAll(executor_id);
    Status s = sqlite::CollectTasks(q, &tasks);
    if (!s.ok()) return s;
    if (held != nullptr) held->clear();
    for (Task& t : tasks) {
      t.lease_expires_at = lease_expires_at;
      s = sqlite::SaveTask(c, &t, now);
      if (!s.ok()) return s;
      if (held != nullptr) held->push_back(t.id);
    }
    return Status::OK();
  });
}

Status SqliteStore::RecordOutputTimes(const std::string& executor_id,
                                      const std::vector<OutputTime>& times, int* written) {
  if (Status s = store_rules::CheckExecutorId(executor_id); !s.ok()) return s;
  if (written != nullptr) *written = 0;
  if (times.empty()) return Status::OK();
  int n = 0;
  Status s = WriteTxn(pool_, [&](Connection& c) -> Status {
    n = 0;
    for (const OutputTime& t : times) {
      // Only moves a running attempt's time forward: a late or repeated
      // write cannot undo a newer one.
      Stmt q(c, std::string("UPDATE executions SET last_output_at = ?, last_output_line = "
                            "CASE WHEN ? = '' THEN last_output_line ELSE ? END "
                            "WHERE id = ? AND executor_id = ? AND last_output_at < ? AND ") +
                    sqlite::kExecutionIsActive);
      q.BindAll(t.at, t.line, t.line, t.execution_id, executor_id, t.at);
      if (Status st = q.Run(); !st.ok()) return st;
      n += static_cast<int>(c.Changes());
    }
    return Status::OK();
  });
  if (s.ok() && written != nullptr) *written = n;
  return s;
}

Status SqliteStore::FinishAttempt(const AttemptOutcome& outcome, Task* out) {
  return WriteTxn(pool_, [&](Connection& c) -> Status {
    Task t;
    Status s = sqlite::LoadTask(c, outcome.task_id, &t);
    if (!s.ok()) return s;
    const TaskStatus before = t.status;
    AttemptOutcome o = outcome;
    store_rules::SettleCancel(t, &o);
    s = store_rules::CheckFinish(t, o);
    if (!s.ok()) return s;
    std::vector<SessionExecution> execs;
    s = ExecutionsToClose(c, o, &execs);
    if (!s.ok()) return s;
    for (SessionExecution& e : execs) {
      store_rules::ApplyOutcome(o, &e);
      store_rules::AddRunTime(e, &t);
      s = sqlite::SaveExecution(c, e);
      if (!s.ok()) return s;
    }
    for (Artifact a : o.artifacts) {
      store_rules::FillArtifactDefaults(o, &a);
      s = sqlite::InsertArtifact(c, a);
      if (s.IsConflict()) return store_rules::ArtifactExists(a.id);
      if (!s.ok()) return s;
    }
    store_rules::ApplyOutcome(o, &t);
    s = sqlite::SaveTaskAndDependents(c, &t, before, o.now);
    if (s.ok() && out != nullptr) *out = t;
    return s;
  });
}

}  // namespace taskexec
