// Neo4jStore: the executor's path through an attempt -- claim, start, lease
// renewal, finish. The claim is one conditional statement (cypher::kClaim);
// the others lock the task node and check the lease before writing, which
// makes the lease a fence (see docs/neo4j.md). The rules themselves are
// store/store_rules.h.
#include <string>

#include "store/neo4j/cypher.h"
#include "store/neo4j/dependencies.h"
#include "store/neo4j/mapping.h"
#include "store/neo4j/neo4j_store.h"
#include "store/neo4j/tx_helpers.h"
#include "store/store_rules.h"

namespace taskexec {

using bolt::Map;
using bolt::QueryResult;
using bolt::Transaction;
using namespace neo4j;

Status Neo4jStore::Claim(const ClaimRequest& req, taskexec::Claim* out) {
  if (Status s = store_rules::CheckClaimRequest(req); !s.ok()) return s;
  Map p;
  p.Set("task_id", req.task_id);
  p.Set("expected_version", req.expected_version);
  p.Set("manual", req.manual);
  p.Set("execution_id", req.execution_id);
  p.Set("now", req.now);
  p.Set("agent", req.agent);
  p.Set("executor_id", req.executor_id);
  p.Set("lease_expires_at", req.lease_expires_at);
  p.Set("session_label", req.session_label);
  if (req.resumed_session_id.empty()) {
    p.Set("resumed_session_id", bolt::Value());  // a fresh session: no property
  } else {
    p.Set("resumed_session_id", req.resumed_session_id);
  }
  p.Set("log_path", req.log_path);
  taskexec::Claim result;
  Status s = driver_->ExecuteWrite([&](Transaction& tx) -> Status {
    QueryResult r;
    Status st = RunQuery(tx, cypher::kClaim, p, 2, &r);
    if (st.IsConflict()) return store_rules::ExecutionExists(req.execution_id);
    if (!st.ok()) return st;
    if (r.records.empty()) {
      // Nothing matched: say why. The claim statement's SET already holds
      // the task's lock (if it exists), so this read is current.
      Task t;
      if (Status why = LoadTask(tx, req.task_id, false, &t); !why.ok()) return why;
      return store_rules::ClaimRefusal(t, req);
    }
    if (Status ts = TaskFromNode(r.records[0][0], &result.task); !ts.ok()) return ts;
    return ExecutionFromNode(r.records[0][1], &result.execution);
  });
  if (s.ok() && out != nullptr) *out = std::move(result);
  return s;
}

Status Neo4jStore::MarkStarted(const std::string& task_id, const std::string& execution_id,
                               const std::string& executor_id, int64_t pid, TimeMs now) {
  return driver_->ExecuteWrite([&](Transaction& tx) -> Status {
    Task t;
    if (Status s = LoadTask(tx, task_id, true, &t); !s.ok()) return s;
    if (Status s = store_rules::CheckLease(t, executor_id); !s.ok()) return s;
    SessionExecution e;
    if (Status s = LoadExecution(tx, execution_id, &e); !s.ok()) return s;
    bool task_moved = false;
    if (Status s = store_rules::ApplyStarted(pid, now, &t, &e, &task_moved); !s.ok()) return s;
    if (Status s = SaveExecution(tx, e); !s.ok()) return s;
    return task_moved ? SaveTask(tx, &t, now) : Status::OK();
  });
}

Status Neo4jStore::RenewLeases(const std::string& executor_id, TimeMs lease_expires_at, TimeMs now,
                               std::vector<std::string>* held) {
  if (Status s = store_rules::CheckExecutorId(executor_id); !s.ok()) return s;
  Map p;
  p.Set("executor_id", executor_id);
  p.Set("lease_expires_at", lease_expires_at);
  p.Set("now", now);
  std::vector<std::string> ids;
  Status s = driver_->ExecuteWrite(
      [&](Transaction& tx) { return QueryStrings(tx, cypher::kRenewLeases, p, &ids); });
  if (s.ok() && held != nullptr) *held = std::move(ids);
  return s;
}

Status Neo4jStore::RecordOutputTimes(const std::string& executor_id,
                                     const std::vector<OutputTime>& times, int* written) {
  if (Status s = store_rules::CheckExecutorId(executor_id); !s.ok()) return s;
  if (written != nullptr) *written = 0;
  if (times.empty()) return Status::OK();
  bolt::List rows;
  rows.reserve(times.size());
  for (const OutputTime& t : times) {
    Map row;
    row.Set("execution_id", t.execution_id);
    row.Set("at", t.at);
    row.Set("line", t.line);
    rows.emplace_back(std::move(row));
  }
  Map p;
  p.Set("executor_id", executor_id);
  p.Set("outputs", std::move(rows));
  int64_t n = 0;
  Status s = driver_->ExecuteWrite([&](Transaction& tx) -> Status {
    bolt::QueryResult r;
    if (Status st = RunQuery(tx, cypher::kRecordOutputTimes, p, 1, &r); !st.ok()) return st;
    n = r.records.empty() ? 0 : r.records[0][0].IntOr(0);
    return Status::OK();
  });
  if (s.ok() && written != nullptr) *written = static_cast<int>(n);
  return s;
}

Status Neo4jStore::FinishAttempt(const AttemptOutcome& outcome, Task* out) {
  return driver_->ExecuteWrite([&](Transaction& tx) -> Status {
    Task t;
    if (Status s = LoadTask(tx, outcome.task_id, true, &t); !s.ok()) return s;
    const TaskStatus before = t.status;
    AttemptOutcome o = outcome;
    store_rules::SettleCancel(t, &o);
    if (Status s = store_rules::CheckFinish(t, o); !s.ok()) return s;
    std::vector<SessionExecution> execs;
    if (!o.execution_id.empty()) {
      execs.resize(1);
      if (Status s = LoadExecution(tx, o.execution_id, &execs[0]); !s.ok()) return s;
      if (Status s = store_rules::CheckOutcomeExecution(execs[0], o); !s.ok()) return s;
    } else {
      Map q;
      q.Set("task_id", o.task_id);
      if (Status s = QueryExecutions(tx, cypher::kListActiveExecutionsOfTask, q, &execs); !s.ok()) {
        return s;
      }
    }
    for (SessionExecution& e : execs) {
      store_rules::ApplyOutcome(o, &e);
      store_rules::AddRunTime(e, &t);
      if (Status s = SaveExecution(tx, e); !s.ok()) return s;
    }
    for (Artifact a : o.artifacts) {
      store_rules::FillArtifactDefaults(o, &a);
      Map ap;
      ap.Set("task_id", o.task_id);
      ArtifactParams(a, &ap);
      QueryResult r;
      Status s = RunQuery(tx, cypher::kCreateArtifact, ap, 1, &r);
      if (s.IsConflict()) return store_rules::ArtifactExists(a.id);
      if (!s.ok()) return s;
    }
    store_rules::ApplyOutcome(o, &t);
    Status s = SaveTaskAndDependents(tx, &t, before, o.now);
    if (s.ok() && out != nullptr) *out = t;
    return s;
  });
}

}  // namespace taskexec
