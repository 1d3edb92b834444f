#include "store/sql/sql_rows.h"

#include <nlohmann/json.hpp>

#include "store/sql/row_mapping.h"

namespace taskexec::sql {

namespace {

std::string TextOr(const Stmt& r, int col, const char* fallback) {
  std::string v = r.Text(col);
  return v.empty() ? std::string(fallback) : v;
}

int64_t IntOr(const Stmt& r, int col, int64_t fallback) {
  return r.IsNull(col) ? fallback : r.Int(col);
}

// The columns of `tasks`, in SELECT order. Reads default what other tools
// may leave NULL or empty (see sql_rows.h).
// The AgentUsage columns of a record R with a `usage` member: the same names
// on tasks (totals) and executions (the attempt's figures).
template <typename R>
std::vector<Column<R>> WithUsage(std::vector<Column<R>> columns) {
  using U = AgentUsage;
  for (const Column<R>& c : {
           NestedField<R, &R::usage, &U::input_tokens>("input_tokens"),
           NestedField<R, &R::usage, &U::output_tokens>("output_tokens"),
           NestedField<R, &R::usage, &U::cache_read_tokens>("cache_read_tokens"),
           NestedField<R, &R::usage, &U::cache_write_tokens>("cache_write_tokens"),
           NestedField<R, &R::usage, &U::cost_usd>("cost_usd"),
           NestedField<R, &R::usage, &U::model>("model"),
           NestedField<R, &R::usage, &U::num_turns>("num_turns"),
       }) {
    columns.push_back(c);
  }
  return columns;
}

// A list of task ids kept as a JSON array of strings. Text that is not one
// (another tool's write) is Corruption naming the task, never a silent "no
// dependencies".
template <auto M>
Column<Task> IdList(const char* name) {
  return Column<Task>{
      name,
      [](const Stmt& r, int c, Task* t) {
        const std::string text = r.Text(c);
        (t->*M).clear();
        if (text.empty()) return Status::OK();
        const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
        bool valid = parsed.is_array();
        for (const nlohmann::json& id : valid ? parsed : nlohmann::json::array()) {
          if (!id.is_string()) valid = false;
          if (valid) (t->*M).push_back(id.get<std::string>());
        }
        if (!valid)
          return Status::Corruption("task " + t->id + " has a dependency list \"" + text +
                                    "\" that is not a JSON array of task ids");
        return Status::OK();
      },
      [](Stmt& q, int i, const Task& t) { q.BindOne(i, nlohmann::json(t.*M).dump()); }};
}

const std::vector<Column<Task>>& TaskColumns() {
  static const std::vector<Column<Task>> columns = WithUsage<Task>({
      Field<Task, &Task::id>("id"),
      Field<Task, &Task::title>("title"),
      Field<Task, &Task::description>("description"),
      Field<Task, &Task::type>("type"),
      {"priority",
       [](const Stmt& r, int c, Task* t) {
         t->priority = PriorityOrNormal(r.Text(c));
         return Status::OK();
       },
       [](Stmt& q, int i, const Task& t) { q.BindOne(i, ToString(t.priority)); }},
      // Written beside the name so the queue indexes can order by it.
      {"priority_weight", nullptr,
       [](Stmt& q, int i, const Task& t) { q.BindOne(i, PriorityWeight(t.priority)); }},
      Field<Task, &Task::assigned_to>("assigned_to"),
      {"status",
       [](const Stmt& r, int c, Task* t) {
         const std::string status = TextOr(r, c, "pending");
         auto parsed = ParseTaskStatus(status);
         if (!parsed)
           return Status::Corruption("task " + t->id + " has unknown status \"" + status + "\"");
         t->status = *parsed;
         return Status::OK();
       },
       [](Stmt& q, int i, const Task& t) { q.BindOne(i, ToString(t.status)); }},
      {"source",
       [](const Stmt& r, int c, Task* t) {
         t->source = TextOr(r, c, "store");
         return Status::OK();
       },
       [](Stmt& q, int i, const Task& t) { q.BindOne(i, t.source); }},
      // NULL when there is none, so the partial unique index does not treat
      // every task without a Notion page as a duplicate of the others.
      {"notion_page_id",
       [](const Stmt& r, int c, Task* t) {
         t->notion_page_id = r.Text(c);
         return Status::OK();
       },
       [](Stmt& q, int i, const Task& t) {
         q.BindOne(i, t.notion_page_id.empty() ? std::nullopt
                                               : std::optional<std::string>(t.notion_page_id));
       }},
      Field<Task, &Task::notion_url>("notion_url"),
      {"context_json",
       [](const Stmt& r, int c, Task* t) {
         t->context_json = TextOr(r, c, "{}");
         return Status::OK();
       },
       [](Stmt& q, int i, const Task& t) { q.BindOne(i, t.context_json); }},
      Field<Task, &Task::retry_count>("retry_count"),
      {"max_retries",
       [](const Stmt& r, int c, Task* t) {
         t->max_retries = static_cast<int>(IntOr(r, c, -1));
         return Status::OK();
       },
       [](Stmt& q, int i, const Task& t) { q.BindOne(i, t.max_retries); }},
      Field<Task, &Task::next_attempt_at>("next_attempt_at"),
      Field<Task, &Task::claimed_by>("claimed_by"),
      Field<Task, &Task::lease_owner>("lease_owner"),
      Field<Task, &Task::lease_expires_at>("lease_expires_at"),
      Field<Task, &Task::cancel_requested>("cancel_requested"),
      Field<Task, &Task::requested_execution_id>("requested_execution_id"),
      Field<Task, &Task::requested_agent>("requested_agent"),
      {"error_type",
       [](const Stmt& r, int c, Task* t) {
         t->error_type = ErrorTypeOrUnknown(r.Text(c));
         return Status::OK();
       },
       [](Stmt& q, int i, const Task& t) { q.BindOne(i, ToString(t.error_type)); }},
      Field<Task, &Task::error_message>("error_message"),
      Field<Task, &Task::output_summary>("output_summary"),
      Field<Task, &Task::created_at>("created_at"),
      Field<Task, &Task::updated_at>("updated_at"),
      Field<Task, &Task::started_at>("started_at"),
      Field<Task, &Task::completed_at>("completed_at"),
      Field<Task, &Task::last_retry_at>("last_retry_at"),
      {"version",
       [](const Stmt& r, int c, Task* t) {
         t->version = IntOr(r, c, 1);
         return Status::OK();
       },
       [](Stmt& q, int i, const Task& t) { q.BindOne(i, t.version); }},
      Field<Task, &Task::routed_agent>("routed_agent"),
      Field<Task, &Task::session_id>("session_id"),
      Field<Task, &Task::question>("question"),
      Field<Task, &Task::reply>("reply"),
      NestedField<Task, &Task::limits, &TaskLimits::max_cost_usd>("max_cost_usd"),
      NestedField<Task, &Task::limits, &TaskLimits::max_tokens>("max_tokens"),
      NestedField<Task, &Task::limits, &TaskLimits::max_attempts>("max_attempts"),
      NestedField<Task, &Task::limits, &TaskLimits::max_seconds>("max_seconds"),
      Field<Task, &Task::attempts>("attempts"),
      Field<Task, &Task::run_ms>("run_ms"),
      Field<Task, &Task::requested_force>("requested_force"),
      IdList<&Task::blocked_by>("blocked_by"),
      IdList<&Task::waiting_on>("waiting_on"),
      // Written beside waiting_on so the queue indexes can leave waiting
      // tasks out with an equality.
      {"open_dependencies", nullptr,
       [](Stmt& q, int i,
          const Task& t) { q.BindOne(i, static_cast<int64_t>(t.waiting_on.size())); }},
  });
  return columns;
}

using Exec = SessionExecution;

const std::vector<Column<Exec>>& ExecutionColumns() {
  static const std::vector<Column<Exec>> columns = WithUsage<Exec>({
      Field<Exec, &Exec::id>("id"),
      Field<Exec, &Exec::task_id>("task_id"),
      Field<Exec, &Exec::agent>("agent"),
      {"attempt",
       [](const Stmt& r, int c, Exec* e) {
         e->attempt = static_cast<int>(IntOr(r, c, 1));
         return Status::OK();
       },
       [](Stmt& q, int i, const Exec& e) { q.BindOne(i, e.attempt); }},
      {"status",
       [](const Stmt& r, int c, Exec* e) {
         const std::string status = TextOr(r, c, "active");
         auto parsed = ParseExecutionStatus(status);
         if (!parsed) {
           return Status::Corruption("execution " + e->id + " has unknown status \"" + status +
                                     "\"");
         }
         e->status = *parsed;
         return Status::OK();
       },
       [](Stmt& q, int i, const Exec& e) { q.BindOne(i, ToString(e.status)); }},
      Field<Exec, &Exec::session_label>("session_label"),
      Field<Exec, &Exec::session_id>("session_id"),
      Field<Exec, &Exec::resumed_session_id>("resumed_session_id"),
      Field<Exec, &Exec::pid>("pid"),
      Field<Exec, &Exec::executor_id>("executor_id"),
      Field<Exec, &Exec::started_at>("started_at"),
      Field<Exec, &Exec::ended_at>("ended_at"),
      Field<Exec, &Exec::last_output_at>("last_output_at"),
      Field<Exec, &Exec::last_output_line>("last_output_line"),
      Field<Exec, &Exec::exit_code>("exit_code"),
      Field<Exec, &Exec::term_signal>("term_signal"),
      {"error_type",
       [](const Stmt& r, int c, Exec* e) {
         e->error_type = ErrorTypeOrUnknown(r.Text(c));
         return Status::OK();
       },
       [](Stmt& q, int i, const Exec& e) { q.BindOne(i, ToString(e.error_type)); }},
      Field<Exec, &Exec::error>("error"),
      Field<Exec, &Exec::summary>("summary"),
      Field<Exec, &Exec::log_path>("log_path"),
      Field<Exec, &Exec::manual>("manual"),
  });
  return columns;
}

const std::vector<Column<Artifact>>& ArtifactColumns() {
  static const std::vector<Column<Artifact>> columns = {
      Field<Artifact, &Artifact::id>("id"),
      Field<Artifact, &Artifact::task_id>("task_id"),
      Field<Artifact, &Artifact::execution_id>("execution_id"),
      Field<Artifact, &Artifact::name>("name"),
      Field<Artifact, &Artifact::path>("path"),
      {"type",
       [](const Stmt& r, int c, Artifact* a) {
         a->type = TextOr(r, c, "file");
         return Status::OK();
       },
       [](Stmt& q, int i, const Artifact& a) { q.BindOne(i, a.type); }},
      Field<Artifact, &Artifact::size>("size"),
      Field<Artifact, &Artifact::sha256>("sha256"),
      Field<Artifact, &Artifact::created_at>("created_at"),
  };
  return columns;
}

}  // namespace

const std::string& SelectTaskColumns() {
  static const std::string sql = "SELECT " + ColumnList(TaskColumns(), true) + " ";
  return sql;
}

const std::string& SelectTask() {
  static const std::string sql = SelectTaskColumns() + "FROM tasks ";
  return sql;
}

const std::string& SelectExecution() {
  static const std::string sql =
      "SELECT " + ColumnList(ExecutionColumns(), true) + " FROM executions ";
  return sql;
}

const std::string& SelectArtifact() {
  static const std::string sql =
      "SELECT " + ColumnList(ArtifactColumns(), true) + " FROM artifacts ";
  return sql;
}

const char kExecutionIsActive[] = "(status IN ('active', '') OR status IS NULL)";

Status ReadTask(const Stmt& r, Task* t) { return ReadRow(TaskColumns(), r, t); }
Status ReadExecution(const Stmt& r, SessionExecution* e) {
  return ReadRow(ExecutionColumns(), r, e);
}
Status ReadArtifact(const Stmt& r, Artifact* a) { return ReadRow(ArtifactColumns(), r, a); }

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
Status LoadOne(Connection& conn, const std::string& select, const char* what, const std::string& id,
               T* out, ReadFn read) {
  Stmt q(conn, select + "WHERE id = ?");
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
  return LoadOne(conn, SelectTask(), "task", id, out, ReadTask);
}

Status LoadExecution(Connection& conn, const std::string& id, SessionExecution* out) {
  return LoadOne(conn, SelectExecution(), "execution", id, out, ReadExecution);
}

Status InsertTask(Connection& conn, const Task& t) {
  static const std::string sql = InsertSql("tasks", TaskColumns());
  Stmt q(conn, sql);
  BindColumns(TaskColumns(), q, t);
  return q.Run();
}

namespace {

// Moves the task to its next version; returns the one the row must have.
int64_t NextVersion(Task* t, TimeMs now) {
  const int64_t previous = t->version;
  t->version = previous + 1;
  t->updated_at = now;
  return previous;
}

// Sets `columns` of the task's row where it still has version `previous`.
Status UpdateTask(Connection& conn, const std::vector<const Column<Task>*>& columns, const Task& t,
                  int64_t previous) {
  Stmt q(conn, UpdateSql("tasks", columns) + "WHERE id=? AND COALESCE(version, 1)=?");
  const int next = BindSome(columns, q, t);
  q.BindOne(next, t.id);
  q.BindOne(next + 1, previous);
  Status s = q.Run();
  if (!s.ok()) return s;
  if (q.Changes() != 1) {
    return Status::Conflict("task " + t.id + " changed concurrently (version " +
                            std::to_string(previous) + ")");
  }
  return Status::OK();
}

// Sets `columns` (none: nothing to do) of the execution's row.
Status UpdateExecution(Connection& conn, const std::vector<const Column<Exec>*>& columns,
                       const SessionExecution& e) {
  if (columns.empty()) return Status::OK();
  Stmt q(conn, UpdateSql("executions", columns) + "WHERE id=?");
  q.BindOne(BindSome(columns, q, e), e.id);
  Status s = q.Run();
  if (!s.ok()) return s;
  if (q.Changes() != 1) return Status::NotFound("execution " + e.id + " not found");
  return Status::OK();
}

}  // namespace

Status SaveTask(Connection& conn, Task* t, TimeMs now) {
  static const std::vector<const Column<Task>*> every = AllColumnsBut(TaskColumns(), "id");
  const int64_t previous = NextVersion(t, now);
  return UpdateTask(conn, every, *t, previous);
}

Status SaveTask(Connection& conn, const Task& stored, Task* t, TimeMs now) {
  const int64_t previous = NextVersion(t, now);
  // Never empty: the version moved.
  return UpdateTask(conn, ChangedColumns(TaskColumns(), stored, *t, "id"), *t, previous);
}

Status InsertExecution(Connection& conn, const SessionExecution& e) {
  static const std::string sql = InsertSql("executions", ExecutionColumns());
  Stmt q(conn, sql);
  BindColumns(ExecutionColumns(), q, e);
  return q.Run();
}

Status SaveExecution(Connection& conn, const SessionExecution& e) {
  static const std::vector<const Column<Exec>*> every = AllColumnsBut(ExecutionColumns(), "id");
  return UpdateExecution(conn, every, e);
}

Status SaveExecution(Connection& conn, const SessionExecution& stored, const SessionExecution& e) {
  return UpdateExecution(conn, ChangedColumns(ExecutionColumns(), stored, e, "id"), e);
}

Status InsertArtifact(Connection& conn, const Artifact& a) {
  static const std::string sql = InsertSql("artifacts", ArtifactColumns());
  Stmt q(conn, sql);
  BindColumns(ArtifactColumns(), q, a);
  return q.Run();
}

}  // namespace taskexec::sql
