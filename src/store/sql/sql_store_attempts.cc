// SqlStore: the executor's path through an attempt -- claim, start, lease
// renewal, finish. Every write here is one Database::Write transaction (the
// batched claims and outcomes: one for the batch) whose checks (version,
// status, lease owner) read the latest committed row, which is what makes
// the claim a compare-and-set and the lease a fence. The rules themselves
// are store/store_rules.h.
#include <functional>
#include <string>
#include <vector>

#include "store/sql/queue_statements.h"
#include "store/sql/sql_dependencies.h"
#include "store/sql/sql_rows.h"
#include "store/sql/sql_store.h"
#include "store/store_rules.h"

namespace taskexec {

using sql::Connection;
using sql::Stmt;

namespace {

// The executions an outcome closes: the named one, or every active one.
Status ExecutionsToClose(Connection& c, const AttemptOutcome& o,
                         std::vector<SessionExecution>* out) {
  if (!o.execution_id.empty()) {
    out->resize(1);
    Status s = sql::LoadExecution(c, o.execution_id, &(*out)[0]);
    if (!s.ok()) return s;
    return store_rules::CheckOutcomeExecution((*out)[0], o);
  }
  Stmt q(c, sql::SelectExecution() + "WHERE task_id = ? AND " + sql::kExecutionIsActive);
  q.BindAll(o.task_id);
  return sql::CollectExecutions(q, out);
}

// Runs `all` as one transaction of `db`. True when that settled every
// item: it committed, or the store failed (Unavailable, IOError: nothing was
// written, or the answer was lost), and `fail_all` gave every item that
// error, which the caller settles as for a single write. False when one
// item was refused: the transaction rolled back, and the caller writes each
// in a transaction of its own, so the others still land.
bool WroteTogether(sql::Database& db, const std::function<Status(Connection&)>& all,
                   const std::function<void(const Status&)>& fail_all) {
  Status s = db.Write(all);
  if (s.ok()) return true;
  if (!s.IsUnavailable() && s.code() != Status::Code::kIOError) return false;
  fail_all(s);
  return true;
}

// Writes every item in one transaction of `db` (`in_txn` writes one and
// fills its result; the results' statuses stay OK when it commits), as
// WroteTogether; `alone` writes one in a transaction of its own.
template <typename Item, typename Result, typename InTxn, typename Alone>
void WriteTogether(sql::Database& db, const std::vector<Item>& items, std::vector<Result>* results,
                   InTxn in_txn, Alone alone) {
  results->assign(items.size(), Result{});
  auto all = [&](Connection& c) -> Status {
    for (size_t i = 0; i < items.size(); ++i) {
      if (Status st = in_txn(c, items[i], &(*results)[i]); !st.ok()) return st;
    }
    return Status::OK();
  };
  auto fail_all = [&](const Status& s) {
    for (Result& r : *results) r.status = s;
  };
  if (items.size() > 1 && WroteTogether(db, all, fail_all)) return;
  for (size_t i = 0; i < items.size(); ++i) (*results)[i].status = alone(items[i], &(*results)[i]);
}

}  // namespace

Status SqlStore::Claim(const ClaimRequest& req, taskexec::Claim* out) {
  return db_->Write([&](Connection& c) -> Status { return ClaimIn(c, req, out); });
}

void SqlStore::ClaimTasks(const std::vector<ClaimRequest>& requests,
                          std::vector<ClaimResult>* results) {
  WriteTogether(
      *db_, requests, results,
      [](Connection& c, const ClaimRequest& req, ClaimResult* r) {
        return ClaimIn(c, req, &r->claim);
      },
      [this](const ClaimRequest& req, ClaimResult* r) { return Claim(req, &r->claim); });
}

Status SqlStore::ClaimIn(Connection& c, const ClaimRequest& req, taskexec::Claim* out) {
  if (Status s = store_rules::CheckClaimRequest(req); !s.ok()) return s;
  Task t;
  Status s = sql::LoadTask(c, req.task_id, &t);
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

  const Task stored = t;
  store_rules::ApplyClaim(req, &t);
  s = sql::SaveTask(c, stored, &t, req.now);
  if (!s.ok()) return s;
  s = sql::InsertExecution(c, e);
  if (s.IsConflict()) return store_rules::ExecutionExists(e.id);
  if (!s.ok()) return s;
  if (out != nullptr) {
    out->task = t;
    out->execution = e;
  }
  return Status::OK();
}

Status SqlStore::MarkStarted(const std::string& task_id, const std::string& execution_id,
                             const std::string& executor_id, int64_t pid, TimeMs now) {
  return db_->Write([&](Connection& c) -> Status {
    Task t;
    Status s = sql::LoadTask(c, task_id, &t);
    if (!s.ok()) return s;
    s = store_rules::CheckLease(t, executor_id);
    if (!s.ok()) return s;
    SessionExecution e;
    s = sql::LoadExecution(c, execution_id, &e);
    if (!s.ok()) return s;
    const Task stored_task = t;
    const SessionExecution stored = e;
    bool task_moved = false;
    s = store_rules::ApplyStarted(pid, now, &t, &e, &task_moved);
    if (!s.ok()) return s;
    s = sql::SaveExecution(c, stored, e);
    if (!s.ok()) return s;
    return task_moved ? sql::SaveTask(c, stored_task, &t, now) : Status::OK();
  });
}

Status SqlStore::RenewLeases(const std::string& executor_id, TimeMs lease_expires_at, TimeMs now,
                             std::vector<std::string>* held) {
  if (Status s = store_rules::CheckExecutorId(executor_id); !s.ok()) return s;
  return db_->Write([&](Connection& c) -> Status {
    static const std::string kSql = sql::RenewLeasesStatement();
    Stmt q(c, kSql);
    q.BindAll(lease_expires_at, now, executor_id);
    if (held != nullptr) held->clear();
    for (;;) {
      bool row = false;
      Status s = q.Step(&row);
      if (!s.ok() || !row) return s;
      if (held != nullptr) held->push_back(q.Text(0));
    }
  });
}

Status SqlStore::RecordOutputTimes(const std::string& executor_id,
                                   const std::vector<OutputTime>& times, int* written) {
  if (Status s = store_rules::CheckExecutorId(executor_id); !s.ok()) return s;
  if (written != nullptr) *written = 0;
  if (times.empty()) return Status::OK();
  int n = 0;
  Status s = db_->Write([&](Connection& c) -> Status {
    n = 0;
    for (const OutputTime& t : times) {
      // Only moves a running attempt's time forward: a late or repeated
      // write cannot undo a newer one.
      Stmt q(c, std::string("UPDATE executions SET last_output_at = ?, last_output_line = "
                            "CASE WHEN ? = '' THEN last_output_line ELSE ? END "
                            "WHERE id = ? AND executor_id = ? AND last_output_at < ? AND ") +
                    sql::kExecutionIsActive);
      q.BindAll(t.at, t.line, t.line, t.execution_id, executor_id, t.at);
      if (Status st = q.Run(); !st.ok()) return st;
      n += static_cast<int>(q.Changes());
    }
    return Status::OK();
  });
  if (s.ok() && written != nullptr) *written = n;
  return s;
}

Status SqlStore::FinishAttempt(const AttemptOutcome& outcome, Task* out) {
  return db_->Write([&](Connection& c) -> Status { return FinishIn(c, outcome, out); });
}

void SqlStore::FinishAttempts(const std::vector<AttemptOutcome>& outcomes,
                              std::vector<FinishResult>* results) {
  WriteTogether(
      *db_, outcomes, results,
      [](Connection& c, const AttemptOutcome& o, FinishResult* r) {
        return FinishIn(c, o, &r->task);
      },
      [this](const AttemptOutcome& o, FinishResult* r) { return FinishAttempt(o, &r->task); });
}

void SqlStore::FinishAttemptsAndClaim(const std::vector<AttemptOutcome>& outcomes,
                                      const std::vector<ClaimRequest>& requests,
                                      std::vector<FinishResult>* finished,
                                      std::vector<ClaimResult>* claimed) {
  finished->assign(outcomes.size(), FinishResult{});
  claimed->assign(requests.size(), ClaimResult{});
  auto all = [&](Connection& c) -> Status {
    for (size_t i = 0; i < outcomes.size(); ++i) {
      if (Status st = FinishIn(c, outcomes[i], &(*finished)[i].task); !st.ok()) return st;
    }
    for (size_t i = 0; i < requests.size(); ++i) {
      if (Status st = ClaimIn(c, requests[i], &(*claimed)[i].claim); !st.ok()) return st;
    }
    return Status::OK();
  };
  auto fail_all = [&](const Status& s) {
    for (FinishResult& r : *finished) r.status = s;
    for (ClaimResult& r : *claimed) r.status = s;
  };
  if (!outcomes.empty() && !requests.empty() && WroteTogether(*db_, all, fail_all)) return;
  // One was refused (the transaction rolled back), or one list is empty.
  FinishAttempts(outcomes, finished);
  ClaimTasks(requests, claimed);
}

Status SqlStore::FinishIn(Connection& c, const AttemptOutcome& outcome, Task* out) {
  Task t;
  Status s = sql::LoadTask(c, outcome.task_id, &t);
  if (!s.ok()) return s;
  const Task stored = t;
  AttemptOutcome o = outcome;
  store_rules::SettleCancel(t, &o);
  s = store_rules::CheckFinish(t, o);
  if (!s.ok()) return s;
  std::vector<SessionExecution> execs;
  s = ExecutionsToClose(c, o, &execs);
  if (!s.ok()) return s;
  for (SessionExecution& e : execs) {
    const SessionExecution stored_execution = e;
    store_rules::ApplyOutcome(o, &e);
    store_rules::AddRunTime(e, &t);
    s = sql::SaveExecution(c, stored_execution, e);
    if (!s.ok()) return s;
  }
  for (Artifact a : o.artifacts) {
    store_rules::FillArtifactDefaults(o, &a);
    s = sql::InsertArtifact(c, a);
    if (s.IsConflict()) return store_rules::ArtifactExists(a.id);
    if (!s.ok()) return s;
  }
  store_rules::ApplyOutcome(o, &t);
  s = sql::SaveTaskAndDependents(c, stored, &t, o.now);
  if (s.ok() && out != nullptr) *out = t;
  return s;
}

}  // namespace taskexec
