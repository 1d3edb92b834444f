// Neo4jStore: the executor's path through an attempt -- claim, start, lease
// renewal, finish. The claim is one conditional statement (cypher::kClaim);
// the others lock the task node and check the lease before writing, which
// makes the lease a fence (see docs/neo4j.md).
#include <string>

#include "core/ids.h"
#include "store/neo4j/cypher.h"
#include "store/neo4j/mapping.h"
#include "store/neo4j/neo4j_store.h"
#include "store/neo4j/tx_helpers.h"

namespace taskexec {

using bolt::Map;
using bolt::QueryResult;
using bolt::Transaction;
using namespace neo4j;

namespace {

std::string StatusName(TaskStatus s) { return std::string(ToString(s)); }

// Why `req` may not claim `t` (explains a claim statement that matched
// nothing), or OK.
Status ClaimRefusal(const Task& t, const ClaimRequest& req) {
  if (IsHeld(t.status)) {
    return Status::Conflict(
        "task " + t.id + " is held by " +
        (t.lease_owner.empty() ? std::string("another executor") : t.lease_owner));
  }
  if (t.version != req.expected_version) {
    return Status::Conflict("task " + t.id + " changed: version " + std::to_string(t.version) +
                            ", expected " + std::to_string(req.expected_version));
  }
  if (!IsRunnable(t.status)) {
    return Status::Conflict("task " + t.id + " is not runnable (" + StatusName(t.status) + ")");
  }
  if (t.cancel_requested) return Status::Conflict("task " + t.id + " has a cancel request");
  if (!t.requested_execution_id.empty()) {
    return Status::Conflict("task " + t.id + " is reserved for requested execution " +
                            t.requested_execution_id);
  }
  if (req.manual) return Status::Conflict("task " + t.id + " has no execution request");
  return Status::Conflict("task " + t.id + " is not due yet");
}

// The fence of every write made on behalf of a running attempt.
Status CheckLease(const Task& t, const std::string& executor_id) {
  if (!IsHeld(t.status)) {
    return Status::Conflict("task " + t.id + " is not running (" + StatusName(t.status) + ")");
  }
  if (t.lease_owner != executor_id) {
    return Status::Conflict("lease on task " + t.id + " is held by " +
                            (t.lease_owner.empty() ? std::string("nobody") : t.lease_owner) +
                            ", not " + executor_id);
  }
  return Status::OK();
}

void ApplyOutcome(const AttemptOutcome& o, SessionExecution* e) {
  e->status = o.execution_status;
  e->ended_at = o.now;
  e->exit_code = o.exit_code;
  e->term_signal = o.term_signal;
  e->error_type = o.error_type;
  e->error = o.error_message;
  e->summary = o.summary;
  if (!o.session_id.empty()) e->session_id = o.session_id;
}

void ApplyOutcome(const AttemptOutcome& o, Task* t) {
  t->status = o.task_status;
  t->retry_count = o.retry_count;
  t->next_attempt_at = o.next_attempt_at;
  if (o.task_status == TaskStatus::kCompleted) {
    t->error_type.clear();
    t->error_message.clear();
  } else {
    t->error_type = o.error_type;
    t->error_message = o.error_message;
  }
  if (!o.summary.empty()) t->output_summary = o.summary;
  t->completed_at = IsTerminal(o.task_status) ? o.now : 0;
  if (o.task_status == TaskStatus::kRetrying) t->last_retry_at = o.now;
  t->lease_owner.clear();
  t->lease_expires_at = 0;
  t->cancel_requested = false;
}

}  // namespace

Status Neo4jStore::Claim(const ClaimRequest& req, taskexec::Claim* out) {
  if (req.task_id.empty() || req.executor_id.empty() || req.execution_id.empty() ||
      req.agent.empty()) {
    return Status::InvalidArgument("claim needs task_id, executor_id, execution_id and agent");
  }
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
  p.Set("log_path", req.log_path);
  taskexec::Claim result;
  Status s = driver_->ExecuteWrite([&](Transaction& tx) -> Status {
    QueryResult r;
    Status st = RunQuery(tx, cypher::kClaim, p, 2, &r);
    if (st.IsConflict())
      return Status::Conflict("execution " + req.execution_id + " already exists");
    if (!st.ok()) return st;
    if (r.records.empty()) {
      // Nothing matched: say why. The claim statement's SET already holds
      // the task's lock (if it exists), so this read is current.
      Task t;
      if (Status why = LoadTask(tx, req.task_id, false, &t); !why.ok()) return why;
      return ClaimRefusal(t, req);
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
    if (Status s = CheckLease(t, executor_id); !s.ok()) return s;
    SessionExecution e;
    if (Status s = LoadExecution(tx, execution_id, &e); !s.ok()) return s;
    if (e.task_id != task_id) {
      return Status::InvalidArgument("execution " + execution_id + " belongs to task " + e.task_id);
    }
    if (e.status != ExecutionStatus::kActive) {
      return Status::Conflict("execution " + execution_id + " already ended");
    }
    e.pid = pid;
    if (Status s = SaveExecution(tx, e); !s.ok()) return s;
    if (t.status != TaskStatus::kInProgress) {
      t.status = TaskStatus::kInProgress;
      t.started_at = now;
    }
    return SaveTask(tx, &t, now);
  });
}

Status Neo4jStore::RenewLeases(const std::string& executor_id, TimeMs lease_expires_at, TimeMs now,
                               std::vector<std::string>* held) {
  if (executor_id.empty()) return Status::InvalidArgument("executor id is required");
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

Status Neo4jStore::FinishAttempt(const AttemptOutcome& o) {
  return driver_->ExecuteWrite([&](Transaction& tx) -> Status {
    Task t;
    if (Status s = LoadTask(tx, o.task_id, true, &t); !s.ok()) return s;
    if (Status s = CheckLease(t, o.executor_id); !s.ok()) return s;
    if (o.require_expired_lease && t.lease_expires_at >= o.now) {
      return Status::Conflict("lease on task " + t.id + " has not expired");
    }
    if (!CanTransition(t.status, o.task_status)) {
      return Status::InvalidArgument("an attempt cannot move task " + t.id + " from " +
                                     StatusName(t.status) + " to " + StatusName(o.task_status));
    }
    std::vector<SessionExecution> execs;
    if (!o.execution_id.empty()) {
      execs.resize(1);
      if (Status s = LoadExecution(tx, o.execution_id, &execs[0]); !s.ok()) return s;
      if (execs[0].task_id != o.task_id) {
        return Status::InvalidArgument("execution " + o.execution_id + " belongs to task " +
                                       execs[0].task_id + ", not " + o.task_id);
      }
    } else {
      Map q;
      q.Set("task_id", o.task_id);
      if (Status s = QueryExecutions(tx, cypher::kListActiveExecutionsOfTask, q, &execs); !s.ok()) {
        return s;
      }
    }
    for (SessionExecution& e : execs) {
      ApplyOutcome(o, &e);
      if (Status s = SaveExecution(tx, e); !s.ok()) return s;
    }
    for (Artifact a : o.artifacts) {
      if (a.id.empty()) a.id = NewId("art");
      if (a.task_id.empty()) a.task_id = o.task_id;
      if (a.execution_id.empty()) a.execution_id = o.execution_id;
      if (a.created_at == 0) a.created_at = o.now;
      Map ap;
      ap.Set("task_id", o.task_id);
      ArtifactParams(a, &ap);
      QueryResult r;
      Status s = RunQuery(tx, cypher::kCreateArtifact, ap, 1, &r);
      if (s.IsConflict()) return Status::Conflict("artifact " + a.id + " already exists");
      if (!s.ok()) return s;
    }
    ApplyOutcome(o, &t);
    return SaveTask(tx, &t, o.now);
  });
}

}  // namespace taskexec
