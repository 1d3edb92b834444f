#include "store/sqlite/sqlite_rows.h"

namespace taskexec::sqlite {

const char kSelectTask[] =
    "SELECT id, title, description, type, priority, assigned_to, status, source, notion_page_id, "
    "notion_url, context_json, retry_count, max_retries, next_attempt_at, claimed_by, "
    "lease_owner, lease_expires_at, cancel_requested, requested_execution_id, requested_agent, "
    "error_type, error_message, output_summary, created_at, updated_at, started_at, "
    "completed_at, last_retry_at, version, routed_agent FROM tasks ";

std::string SelectTaskColumns() {
  std::string columns = kSelectTask;
  columns.resize(columns.rfind("FROM tasks"));
  return columns;
}

const char kSelectExecution[] =
    "SELECT id, task_id, agent, attempt, status, session_label, session_id, pid, executor_id, "
    "started_at, ended_at, exit_code, term_signal, error_type, error, summary, log_path, manual "
    "FROM executions ";

const char kSelectArtifact[] =
    "SELECT id, task_id, execution_id, name, path, type, size, sha256, created_at "
    "FROM artifacts ";

const char kExecutionIsActive[] = "(status IN ('active', '') OR status IS NULL)";

namespace {

std::string TextOr(const Stmt& r, int col, const char* fallback) {
  std::string v = r.Text(col);
  return v.empty() ? std::string(fallback) : v;
}

int64_t IntOr(const Stmt& r, int col, int64_t fallback) {
  return r.IsNull(col) ? fallback : r.Int(col);
}

std::optional<int> OptInt(const Stmt& r, int col) {
  if (r.IsNull(col)) return std::nullopt;
  return static_cast<int>(r.Int(col));
}

}  // namespace

Status ReadTask(const Stmt& r, Task* t) {
  t->id = r.Text(0);
  t->title = r.Text(1);
  t->description = r.Text(2);
  t->type = r.Text(3);
  t->priority = PriorityOrNormal(r.Text(4));
  t->assigned_to = r.Text(5);
  const std::string status = TextOr(r, 6, "pending");
  auto parsed = ParseTaskStatus(status);
  if (!parsed)
    return Status::Corruption("task " + t->id + " has unknown status \"" + status + "\"");
  t->status = *parsed;
  t->source = TextOr(r, 7, "store");
  t->notion_page_id = r.Text(8);
  t->notion_url = r.Text(9);
  t->context_json = TextOr(r, 10, "{}");
  t->retry_count = static_cast<int>(r.Int(11));
  t->max_retries = static_cast<int>(IntOr(r, 12, -1));
  t->next_attempt_at = r.Int(13);
  t->claimed_by = r.Text(14);
  t->lease_owner = r.Text(15);
  t->lease_expires_at = r.Int(16);
  t->cancel_requested = r.Int(17) != 0;
  t->requested_execution_id = r.Text(18);
  t->requested_agent = r.Text(19);
  t->error_type = ErrorTypeOrUnknown(r.Text(20));
  t->error_message = r.Text(21);
  t->output_summary = r.Text(22);
  t->created_at = r.Int(23);
  t->updated_at = r.Int(24);
  t->started_at = r.Int(25);
  t->completed_at = r.Int(26);
  t->last_retry_at = r.Int(27);
  t->version = IntOr(r, 28, 1);
  t->routed_agent = r.Text(29);
  return Status::OK();
}

Status ReadExecution(const Stmt& r, SessionExecution* e) {
  e->id = r.Text(0);
  e->task_id = r.Text(1);
  e->agent = r.Text(2);
  e->attempt = static_cast<int>(IntOr(r, 3, 1));
  const std::string status = TextOr(r, 4, "active");
  auto parsed = ParseExecutionStatus(status);
  if (!parsed) {
    return Status::Corruption("execution " + e->id + " has unknown status \"" + status + "\"");
  }
  e->status = *parsed;
  e->session_label = r.Text(5);
  e->session_id = r.Text(6);
  e->pid = r.Int(7);
  e->executor_id = r.Text(8);
  e->started_at = r.Int(9);
  e->ended_at = r.Int(10);
  e->exit_code = OptInt(r, 11);
  e->term_signal = OptInt(r, 12);
  e->error_type = ErrorTypeOrUnknown(r.Text(13));
  e->error = r.Text(14);
  e->summary = r.Text(15);
  e->log_path = r.Text(16);
  e->manual = r.Int(17) != 0;
  return Status::OK();
}

Status ReadArtifact(const Stmt& r, Artifact* a) {
  a->id = r.Text(0);
  a->task_id = r.Text(1);
  a->execution_id = r.Text(2);
  a->name = r.Text(3);
  a->path = r.Text(4);
  a->type = TextOr(r, 5, "file");
  a->size = r.Int(6);
  a->sha256 = r.Text(7);
  a->created_at = r.Int(8);
  return Status::OK();
}

namespace {

template <typename T, typename ReadFn>
Status Collect(Stmt& q, std::vector<T>* out, ReadFn read) {
  out->clear();
  for (;;) {
    bool row = false;
    Status s = q.Step(&row);
    if (!s.ok()) return s;
    if (!row) return Status::OK();
    T item;
    s = read(q, &item);
    if (!s.ok()) return s;
    out->push_back(std::move(item));
  }
}

template <typename T, typename ReadFn>
Status LoadOne(Connection& conn, const char* select, const char* what, const std::string& id,
               T* out, ReadFn read) {
  Stmt q(conn, std::string(select) + "WHERE id = ?");
  q.BindAll(id);
  bool row = false;
  Status s = q.Step(&row);
  if (!s.ok()) return s;
  if (!row) return Status::NotFound(std::string(what) + " " + id + " not found");
  return read(q, out);
}

}  // namespace

Status CollectTasks(Stmt& q, std::vector<Task>* out) { return Collect(q, out, ReadTask); }
Status CollectExecutions(Stmt& q, std::vector<SessionExecution>* out) {
  return Collect(q, out, ReadExecution);
}
Status CollectArtifacts(Stmt& q, std::vector<Artifact>* out) {
  return Collect(q, out, ReadArtifact);
}

Status LoadTask(Connection& conn, const std::string& id, Task* out) {
  return LoadOne(conn, kSelectTask, "task", id, out, ReadTask);
}

Status LoadExecution(Connection& conn, const std::string& id, SessionExecution* out) {
  return LoadOne(conn, kSelectExecution, "execution", id, out, ReadExecution);
}

namespace {

// NULL keeps the partial unique index from treating every task without a
// Notion page as a duplicate of the others.
std::optional<std::string> NotionPageOrNull(const Task& t) {
  if (t.notion_page_id.empty()) return std::nullopt;
  return t.notion_page_id;
}

}  // namespace

Status InsertTask(Connection& conn, const Task& t) {
  Stmt q(conn,
         "INSERT INTO tasks (id, title, description, type, priority, priority_weight, "
         "assigned_to, status, source, notion_page_id, notion_url, context_json, retry_count, "
         "max_retries, next_attempt_at, claimed_by, lease_owner, lease_expires_at, "
         "cancel_requested, requested_execution_id, requested_agent, error_type, error_message, "
         "output_summary, created_at, updated_at, started_at, completed_at, last_retry_at, "
         "version, routed_agent) VALUES "
         "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  q.BindAll(t.id, t.title, t.description, t.type, ToString(t.priority), PriorityWeight(t.priority),
            t.assigned_to, ToString(t.status), t.source, NotionPageOrNull(t), t.notion_url,
            t.context_json, t.retry_count, t.max_retries, t.next_attempt_at, t.claimed_by,
            t.lease_owner, t.lease_expires_at, t.cancel_requested, t.requested_execution_id,
            t.requested_agent, ToString(t.error_type), t.error_message, t.output_summary,
            t.created_at, t.updated_at, t.started_at, t.completed_at, t.last_retry_at, t.version,
            t.routed_agent);
  return q.Run();
}

Status SaveTask(Connection& conn, Task* t, TimeMs now) {
  const int64_t previous = t->version;
  t->version = previous + 1;
  t->updated_at = now;
  Stmt q(conn,
         "UPDATE tasks SET title=?, description=?, type=?, priority=?, priority_weight=?, "
         "assigned_to=?, status=?, source=?, notion_page_id=?, notion_url=?, context_json=?, "
         "retry_count=?, max_retries=?, next_attempt_at=?, claimed_by=?, lease_owner=?, "
         "lease_expires_at=?, cancel_requested=?, requested_execution_id=?, requested_agent=?, "
         "error_type=?, error_message=?, output_summary=?, created_at=?, updated_at=?, "
         "started_at=?, completed_at=?, last_retry_at=?, version=?, routed_agent=? "
         "WHERE id=? AND COALESCE(version, 1)=?");
  q.BindAll(t->title, t->description, t->type, ToString(t->priority), PriorityWeight(t->priority),
            t->assigned_to, ToString(t->status), t->source, NotionPageOrNull(*t), t->notion_url,
            t->context_json, t->retry_count, t->max_retries, t->next_attempt_at, t->claimed_by,
            t->lease_owner, t->lease_expires_at, t->cancel_requested, t->requested_execution_id,
            t->requested_agent, ToString(t->error_type), t->error_message, t->output_summary,
            t->created_at, t->updated_at, t->started_at, t->completed_at, t->last_retry_at,
            t->version, t->routed_agent, t->id, previous);
  Status s = q.Run();
  if (!s.ok()) return s;
  if (conn.Changes() != 1) {
    return Status::Conflict("task " + t->id + " changed concurrently (version " +
                            std::to_string(previous) + ")");
  }
  return Status::OK();
}

Status InsertExecution(Connection& conn, const SessionExecution& e) {
  Stmt q(conn,
         "INSERT INTO executions (id, task_id, agent, attempt, status, session_label, session_id, "
         "pid, executor_id, started_at, ended_at, exit_code, term_signal, error_type, error, "
         "summary, log_path, manual) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  q.BindAll(e.id, e.task_id, e.agent, e.attempt, ToString(e.status), e.session_label, e.session_id,
            e.pid, e.executor_id, e.started_at, e.ended_at, e.exit_code, e.term_signal,
            ToString(e.error_type), e.error, e.summary, e.log_path, e.manual);
  return q.Run();
}

Status SaveExecution(Connection& conn, const SessionExecution& e) {
  Stmt q(conn,
         "UPDATE executions SET task_id=?, agent=?, attempt=?, status=?, session_label=?, "
         "session_id=?, pid=?, executor_id=?, started_at=?, ended_at=?, exit_code=?, "
         "term_signal=?, error_type=?, error=?, summary=?, log_path=?, manual=? WHERE id=?");
  q.BindAll(e.task_id, e.agent, e.attempt, ToString(e.status), e.session_label, e.session_id, e.pid,
            e.executor_id, e.started_at, e.ended_at, e.exit_code, e.term_signal,
            ToString(e.error_type), e.error, e.summary, e.log_path, e.manual, e.id);
  Status s = q.Run();
  if (!s.ok()) return s;
  if (conn.Changes() != 1) return Status::NotFound("execution " + e.id + " not found");
  return Status::OK();
}

Status InsertArtifact(Connection& conn, const Artifact& a) {
  Stmt q(conn,
         "INSERT INTO artifacts (id, task_id, execution_id, name, path, type, size, sha256, "
         "created_at) VALUES (?,?,?,?,?,?,?,?,?)");
  q.BindAll(a.id, a.task_id, a.execution_id, a.name, a.path, a.type, a.size, a.sha256,
            a.created_at);
  return q.Run();
}

}  // namespace taskexec::sqlite
