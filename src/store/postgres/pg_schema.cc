#include "store/postgres/pg_schema.h"

#include <string>

namespace taskexec::pg {
namespace {

// The SQLite store's schema at its version 16, in PostgreSQL's types, so
// that one set of statements (store/sql) serves both: times are
// milliseconds since the epoch (BIGINT), flags are 0/1 BIGINTs (read like
// SQLite's integers), `rowid` is the insertion order SQLite's implicit rowid
// gives, and text compares byte by byte (COLLATE "C", SQLite's BINARY), so
// lower() folds ASCII letters only and ids order the same on both engines.
constexpr const char* kV1 = R"sql(
CREATE TABLE tasks (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  title TEXT COLLATE "C" NOT NULL DEFAULT '',
  description TEXT COLLATE "C" NOT NULL DEFAULT '',
  type TEXT COLLATE "C" NOT NULL DEFAULT '',
  priority TEXT COLLATE "C" NOT NULL DEFAULT 'normal',
  priority_weight BIGINT NOT NULL DEFAULT 2,
  assigned_to TEXT COLLATE "C" NOT NULL DEFAULT '',
  status TEXT COLLATE "C" NOT NULL DEFAULT 'pending',
  source TEXT COLLATE "C" NOT NULL DEFAULT 'cli',
  notion_page_id TEXT COLLATE "C",
  notion_url TEXT COLLATE "C" NOT NULL DEFAULT '',
  context_json TEXT COLLATE "C" NOT NULL DEFAULT '{}',
  retry_count BIGINT NOT NULL DEFAULT 0,
  max_retries BIGINT NOT NULL DEFAULT -1,
  next_attempt_at BIGINT NOT NULL DEFAULT 0,
  claimed_by TEXT COLLATE "C" NOT NULL DEFAULT '',
  lease_owner TEXT COLLATE "C" NOT NULL DEFAULT '',
  lease_expires_at BIGINT NOT NULL DEFAULT 0,
  cancel_requested BIGINT NOT NULL DEFAULT 0,
  requested_execution_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  requested_agent TEXT COLLATE "C" NOT NULL DEFAULT '',
  requested_force BIGINT NOT NULL DEFAULT 0,
  error_type TEXT COLLATE "C" NOT NULL DEFAULT '',
  error_message TEXT COLLATE "C" NOT NULL DEFAULT '',
  output_summary TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL DEFAULT 0,
  started_at BIGINT NOT NULL DEFAULT 0,
  completed_at BIGINT NOT NULL DEFAULT 0,
  last_retry_at BIGINT NOT NULL DEFAULT 0,
  version BIGINT NOT NULL DEFAULT 1,
  routed_agent TEXT COLLATE "C" NOT NULL DEFAULT '',
  session_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  question TEXT COLLATE "C" NOT NULL DEFAULT '',
  reply TEXT COLLATE "C" NOT NULL DEFAULT '',
  input_tokens BIGINT NOT NULL DEFAULT 0,
  output_tokens BIGINT NOT NULL DEFAULT 0,
  cache_read_tokens BIGINT NOT NULL DEFAULT 0,
  cache_write_tokens BIGINT NOT NULL DEFAULT 0,
  cost_usd DOUBLE PRECISION,
  model TEXT COLLATE "C" NOT NULL DEFAULT '',
  num_turns BIGINT NOT NULL DEFAULT 0,
  max_cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
  max_tokens BIGINT NOT NULL DEFAULT 0,
  max_attempts BIGINT NOT NULL DEFAULT 0,
  max_seconds BIGINT NOT NULL DEFAULT 0,
  attempts BIGINT NOT NULL DEFAULT 0,
  run_ms BIGINT NOT NULL DEFAULT 0,
  blocked_by TEXT COLLATE "C" NOT NULL DEFAULT '[]',
  waiting_on TEXT COLLATE "C" NOT NULL DEFAULT '[]',
  open_dependencies BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE executions (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  task_id TEXT COLLATE "C" NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  agent TEXT COLLATE "C" NOT NULL DEFAULT '',
  attempt BIGINT NOT NULL DEFAULT 1,
  status TEXT COLLATE "C" NOT NULL DEFAULT 'active',
  session_label TEXT COLLATE "C" NOT NULL DEFAULT '',
  session_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  resumed_session_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  pid BIGINT NOT NULL DEFAULT 0,
  executor_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  started_at BIGINT NOT NULL DEFAULT 0,
  ended_at BIGINT NOT NULL DEFAULT 0,
  last_output_at BIGINT NOT NULL DEFAULT 0,
  last_output_line TEXT COLLATE "C" NOT NULL DEFAULT '',
  exit_code BIGINT,
  term_signal BIGINT,
  error_type TEXT COLLATE "C" NOT NULL DEFAULT '',
  error TEXT COLLATE "C" NOT NULL DEFAULT '',
  summary TEXT COLLATE "C" NOT NULL DEFAULT '',
  log_path TEXT COLLATE "C" NOT NULL DEFAULT '',
  manual BIGINT NOT NULL DEFAULT 0,
  input_tokens BIGINT NOT NULL DEFAULT 0,
  output_tokens BIGINT NOT NULL DEFAULT 0,
  cache_read_tokens BIGINT NOT NULL DEFAULT 0,
  cache_write_tokens BIGINT NOT NULL DEFAULT 0,
  cost_usd DOUBLE PRECISION,
  model TEXT COLLATE "C" NOT NULL DEFAULT '',
  num_turns BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE artifacts (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  task_id TEXT COLLATE "C" NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  execution_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  name TEXT COLLATE "C" NOT NULL DEFAULT '',
  path TEXT COLLATE "C" NOT NULL DEFAULT '',
  type TEXT COLLATE "C" NOT NULL DEFAULT 'file',
  size BIGINT NOT NULL DEFAULT 0,
  sha256 TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE meta (
  key TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  value TEXT COLLATE "C" NOT NULL DEFAULT ''
);
CREATE TABLE task_dependencies (
  depends_on TEXT COLLATE "C" NOT NULL,
  task_id TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (depends_on, task_id)
);
CREATE INDEX task_dependencies_task ON task_dependencies(task_id);
CREATE UNIQUE INDEX tasks_notion_page ON tasks(notion_page_id)
  WHERE notion_page_id IS NOT NULL AND notion_page_id <> '';
CREATE INDEX tasks_requested ON tasks(requested_execution_id) WHERE requested_execution_id <> '';
CREATE INDEX tasks_lease ON tasks(lease_owner, lease_expires_at);
CREATE INDEX tasks_dispatch ON tasks(COALESCE(NULLIF(status, ''), 'pending'), open_dependencies,
  COALESCE(priority_weight, 2) DESC, created_at, rowid);
CREATE INDEX tasks_agent_queue ON tasks(COALESCE(NULLIF(status, ''), 'pending'), routed_agent,
  open_dependencies, COALESCE(priority_weight, 2) DESC, created_at, rowid);
CREATE INDEX tasks_created ON tasks(created_at, rowid);
CREATE INDEX tasks_status_created ON tasks(COALESCE(NULLIF(status, ''), 'pending'), created_at, rowid);
CREATE INDEX tasks_agent_status_created ON tasks(
  COALESCE(NULLIF(claimed_by, ''), NULLIF(NULLIF(assigned_to, ''), 'any'), 'unassigned'),
  COALESCE(NULLIF(status, ''), 'pending'), created_at, rowid);
CREATE INDEX tasks_finished ON tasks(COALESCE(NULLIF(status, ''), 'pending'), completed_at, id)
  WHERE completed_at > 0;
CREATE INDEX tasks_changed ON tasks(updated_at, id);
CREATE INDEX tasks_held_by_dependencies ON tasks(created_at, rowid)
  WHERE open_dependencies > 0 OR error_type = 'dependency_failed';
CREATE INDEX executions_task ON executions(task_id, attempt);
CREATE INDEX executions_status ON executions(status);
CREATE INDEX executions_ended ON executions(ended_at);
CREATE INDEX artifacts_task ON artifacts(task_id, created_at);
)sql";

// Every statement that changes tasks tells the services listening on the
// schema's channel (pg_listener.h): a task added, a cancel or an execution
// requested reaches an idle service on any host at once. Per statement,
// not per row: an import of a thousand tasks is one notification, and
// PostgreSQL folds equal notifications of one transaction into one. The
// payload is the writing backend's pid, so a service can tell its own
// writes, which it need not be told about, from everyone else's.
constexpr const char* kV2 = R"sql(
CREATE FUNCTION taskexec_notify_task_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('taskexec_' || TG_TABLE_SCHEMA, pg_backend_pid()::text);
  RETURN NULL;
END
$$;
CREATE TRIGGER tasks_notify_change AFTER INSERT OR UPDATE OR DELETE ON tasks
  FOR EACH STATEMENT EXECUTE FUNCTION taskexec_notify_task_change();
)sql";

// Task counts by (status, agent) without a row every writer updates: each
// change appends its delta (+n for the group a task enters, -n for the one
// it leaves) and readers sum a group's rows (GetStats, CountTasks: the
// same SUM(n) ... GROUP BY as SQLite's kept counts). Appending takes no
// row lock and reads nothing, so concurrent SERIALIZABLE writers never
// conflict over counts, where one counter row per group would serialize
// every claim and finish on every host. CountFolder (pg_count_folder.h)
// sums each group's rows back into one, so readers read few rows.
// Inserts and deletes append per statement (an import of a thousand tasks is
// one row per group); an update per row, and only when it moves a task to
// another group. The status and agent expressions are GetStats' grouping
// rules (store/sql/sql_rows.h). The trigger is created before the counting
// INSERT: it locks tasks against writes until this migration commits, so no
// write falls between the count and the first delta.
constexpr const char* kV3 = R"sql(
CREATE TABLE task_counts (
  status TEXT COLLATE "C" NOT NULL,
  agent TEXT COLLATE "C" NOT NULL,
  n BIGINT NOT NULL
);
CREATE FUNCTION taskexec_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO task_counts(status, agent, n)
    SELECT COALESCE(NULLIF(status, ''), 'pending'),
           COALESCE(NULLIF(claimed_by, ''), NULLIF(NULLIF(assigned_to, ''), 'any'), 'unassigned'),
           COUNT(*)
    FROM inserted_tasks GROUP BY 1, 2;
  RETURN NULL;
END
$$;
CREATE FUNCTION taskexec_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO task_counts(status, agent, n)
    SELECT COALESCE(NULLIF(status, ''), 'pending'),
           COALESCE(NULLIF(claimed_by, ''), NULLIF(NULLIF(assigned_to, ''), 'any'), 'unassigned'),
           -COUNT(*)
    FROM deleted_tasks GROUP BY 1, 2;
  RETURN NULL;
END
$$;
CREATE FUNCTION taskexec_count_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO task_counts(status, agent, n) VALUES
    (COALESCE(NULLIF(OLD.status, ''), 'pending'),
     COALESCE(NULLIF(OLD.claimed_by, ''), NULLIF(NULLIF(OLD.assigned_to, ''), 'any'), 'unassigned'),
     -1),
    (COALESCE(NULLIF(NEW.status, ''), 'pending'),
     COALESCE(NULLIF(NEW.claimed_by, ''), NULLIF(NULLIF(NEW.assigned_to, ''), 'any'), 'unassigned'),
     1);
  RETURN NULL;
END
$$;
CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks
  REFERENCING NEW TABLE AS inserted_tasks
  FOR EACH STATEMENT EXECUTE FUNCTION taskexec_count_inserted();
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks
  REFERENCING OLD TABLE AS deleted_tasks
  FOR EACH STATEMENT EXECUTE FUNCTION taskexec_count_deleted();
CREATE TRIGGER tasks_count_update AFTER UPDATE OF status, claimed_by, assigned_to ON tasks
  FOR EACH ROW
  WHEN (COALESCE(NULLIF(OLD.status, ''), 'pending') IS DISTINCT FROM
          COALESCE(NULLIF(NEW.status, ''), 'pending')
        OR COALESCE(NULLIF(OLD.claimed_by, ''), NULLIF(NULLIF(OLD.assigned_to, ''), 'any'),
                    'unassigned') IS DISTINCT FROM
           COALESCE(NULLIF(NEW.claimed_by, ''), NULLIF(NULLIF(NEW.assigned_to, ''), 'any'),
                    'unassigned'))
  EXECUTE FUNCTION taskexec_count_moved();
INSERT INTO task_counts(status, agent, n)
  SELECT COALESCE(NULLIF(status, ''), 'pending'),
         COALESCE(NULLIF(claimed_by, ''), NULLIF(NULLIF(assigned_to, ''), 'any'), 'unassigned'),
         COUNT(*)
  FROM tasks GROUP BY 1, 2;
)sql";

// The tasks whose cancel was asked for, by holder (SQLite's version 17):
// every running service looks for them four times a second, and only tasks
// with a cancel asked are in it.
constexpr const char* kV4 = R"sql(
CREATE INDEX tasks_cancel_requested ON tasks(lease_owner) WHERE cancel_requested <> 0;
)sql";

// The queue indexes of the tasks still to run, and the lease index of held
// tasks by holder (SQLite's version 19): a claim deletes a task's queue
// entries and its outcome writes none, instead of moving them from range to
// range; a lease renewal changes no indexed column. The statements name the
// queued statuses as literals, so the planner can prove the predicates.
constexpr const char* kV5 = R"sql(
DROP INDEX IF EXISTS tasks_dispatch;
CREATE INDEX tasks_dispatch ON tasks(COALESCE(NULLIF(status, ''), 'pending'), open_dependencies,
  COALESCE(priority_weight, 2) DESC, created_at, rowid)
  WHERE COALESCE(NULLIF(status, ''), 'pending') = 'pending'
     OR COALESCE(NULLIF(status, ''), 'pending') = 'retrying';
DROP INDEX IF EXISTS tasks_agent_queue;
CREATE INDEX tasks_agent_queue ON tasks(COALESCE(NULLIF(status, ''), 'pending'), routed_agent,
  open_dependencies, COALESCE(priority_weight, 2) DESC, created_at, rowid)
  WHERE COALESCE(NULLIF(status, ''), 'pending') = 'pending'
     OR COALESCE(NULLIF(status, ''), 'pending') = 'retrying';
DROP INDEX IF EXISTS tasks_lease;
CREATE INDEX tasks_lease ON tasks(lease_owner) WHERE lease_owner <> '';
)sql";

}  // namespace

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> all = {
      {1, "tasks, executions, artifacts, dependencies, meta and their indexes", kV1},
      {2, "NOTIFY on the schema's channel when tasks change", kV2},
      {3, "task counts by status and agent, appended by triggers", kV3},
      {4, "the tasks whose cancel was asked for, by holder", kV4},
      {5, "queue indexes of the tasks still to run; the lease index of held tasks", kV5},
  };
  return all;
}

int LatestSchemaVersion() { return Migrations().back().version; }

Status ReadSchemaVersion(Connection& conn, int* version) {
  // to_regclass: NULL (version 0) when the table does not exist yet, rather
  // than an error that would abort the caller's transaction.
  std::string exists;
  Status s = conn.ExecValue("SELECT to_regclass('taskexec_schema') IS NOT NULL", &exists);
  if (!s.ok()) return s;
  if (exists != "t") {
    *version = 0;
    return Status::OK();
  }
  std::string value;
  s = conn.ExecValue("SELECT COALESCE(MAX(version), 0) FROM taskexec_schema", &value);
  if (!s.ok()) return s;
  *version = std::atoi(value.c_str());
  return Status::OK();
}

Status ApplyMigrations(Connection& conn) {
  Status s = conn.Exec("BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(kSchemaLockKey) +
                       "); CREATE TABLE IF NOT EXISTS taskexec_schema ("
                       "version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                       "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
  if (!s.ok()) return s;
  int current = 0;
  s = ReadSchemaVersion(conn, &current);
  if (s.ok() && current > LatestSchemaVersion()) {
    s = Status::InvalidArgument("database schema version " + std::to_string(current) +
                                " is newer than this taskexec supports (" +
                                std::to_string(LatestSchemaVersion()) +
                                "); upgrade taskexec or use another database or schema");
  }
  for (const Migration& m : Migrations()) {
    if (!s.ok()) break;
    if (m.version <= current) continue;
    s = conn.Exec(m.sql);
    if (!s.ok() && !s.IsUnavailable()) {
      s = Status::Internal("schema migration " + std::to_string(m.version) + " (" + m.description +
                           ") failed: " + s.ToString());
      break;
    }
    if (!s.ok()) break;
    sql::Stmt record(conn, "INSERT INTO taskexec_schema(version, description) VALUES (?, ?)");
    record.BindAll(m.version, std::string(m.description));
    s = record.Run();
  }
  if (s.ok()) return conn.Exec("COMMIT");
  (void)conn.Exec("ROLLBACK");
  return s;
}

}  // namespace taskexec::pg
