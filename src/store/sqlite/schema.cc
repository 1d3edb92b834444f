#include "store/sqlite/schema.h"

#include <string>

namespace taskexec::sqlite {
namespace {

// Version 1: the tables. Times are INTEGER milliseconds since the epoch.
// Strings default to '' rather than NULL so other tools' queries compare
// simply; readers still COALESCE, because other tools may write NULLs.
constexpr const char* kV1 = R"sql(
CREATE TABLE tasks (
  id TEXT PRIMARY KEY NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL DEFAULT '',
  priority TEXT NOT NULL DEFAULT 'normal',
  priority_weight INTEGER NOT NULL DEFAULT 2,
  assigned_to TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'pending',
  source TEXT NOT NULL DEFAULT 'cli',
  notion_page_id TEXT,
  notion_url TEXT NOT NULL DEFAULT '',
  context_json TEXT NOT NULL DEFAULT '{}',
  retry_count INTEGER NOT NULL DEFAULT 0,
  max_retries INTEGER NOT NULL DEFAULT -1,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  claimed_by TEXT NOT NULL DEFAULT '',
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_expires_at INTEGER NOT NULL DEFAULT 0,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  requested_execution_id TEXT NOT NULL DEFAULT '',
  requested_agent TEXT NOT NULL DEFAULT '',
  error_type TEXT NOT NULL DEFAULT '',
  error_message TEXT NOT NULL DEFAULT '',
  output_summary TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER NOT NULL DEFAULT 0,
  completed_at INTEGER NOT NULL DEFAULT 0,
  last_retry_at INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE executions (
  id TEXT PRIMARY KEY NOT NULL,
  task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  agent TEXT NOT NULL DEFAULT '',
  attempt INTEGER NOT NULL DEFAULT 1,
  status TEXT NOT NULL DEFAULT 'active',
  session_label TEXT NOT NULL DEFAULT '',
  session_id TEXT NOT NULL DEFAULT '',
  pid INTEGER NOT NULL DEFAULT 0,
  executor_id TEXT NOT NULL DEFAULT '',
  started_at INTEGER NOT NULL DEFAULT 0,
  ended_at INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER,
  term_signal INTEGER,
  error_type TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT '',
  log_path TEXT NOT NULL DEFAULT '',
  manual INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE artifacts (
  id TEXT PRIMARY KEY NOT NULL,
  task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  execution_id TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL DEFAULT '',
  path TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL DEFAULT 'file',
  size INTEGER NOT NULL DEFAULT 0,
  sha256 TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE meta (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL DEFAULT ''
);
)sql";

// Version 2: the indexes the engine's queries need. Kept apart from the
// tables so a version-1 database (tables only) exercises a real upgrade.
constexpr const char* kV2 = R"sql(
CREATE UNIQUE INDEX tasks_notion_page ON tasks(notion_page_id)
  WHERE notion_page_id IS NOT NULL AND notion_page_id <> '';
CREATE INDEX tasks_runnable ON tasks(status, next_attempt_at);
CREATE INDEX tasks_queue ON tasks(status, priority_weight DESC, created_at);
CREATE INDEX tasks_requested ON tasks(requested_execution_id) WHERE requested_execution_id <> '';
CREATE INDEX tasks_lease ON tasks(lease_owner, lease_expires_at);
CREATE INDEX tasks_status_agent ON tasks(status, assigned_to);
CREATE INDEX executions_task ON executions(task_id, attempt);
CREATE INDEX executions_status ON executions(status);
CREATE INDEX artifacts_task ON artifacts(task_id, created_at);
)sql";

// Version 3: the dispatch index. The engine lists runnable tasks after every
// finished attempt; the queries read NULL/'' columns (rows left by other
// tools) through COALESCE, and SQLite only uses an index for such terms when
// it is built on the same expressions. Its order is the queue order, so a
// dispatch reads `limit` index entries instead of sorting the whole queue.
constexpr const char* kV3 = R"sql(
DROP INDEX tasks_queue;
CREATE INDEX tasks_dispatch ON tasks(COALESCE(NULLIF(status, ''), 'pending'),
  COALESCE(priority_weight, 2) DESC, created_at);
)sql";

// Version 4: the routed agent (Task::routed_agent) and the per-agent queue
// index. The engine lists each agent's runnable tasks with an equality on
// the status expression and on routed_agent, in queue order, so a dispatch
// reads (free slots) entries of each agent with a free slot and none of the
// backlog of an agent at its cap. '' = not routed yet (ListUnrouted walks
// the same index with routed_agent = '').
constexpr const char* kV4 = R"sql(
ALTER TABLE tasks ADD COLUMN routed_agent TEXT NOT NULL DEFAULT '';
CREATE INDEX tasks_agent_queue ON tasks(COALESCE(NULLIF(status, ''), 'pending'), routed_agent,
  COALESCE(priority_weight, 2) DESC, created_at);
)sql";

// Version 5: task counts by (status, agent), kept by triggers on every write
// to tasks (whoever writes: this service, another one, another tool), so
// GetStats reads a few dozen rows instead of scanning every task. The
// status and agent expressions are GetStats' grouping rules: an empty status
// is pending; the agent is claimed_by, else assigned_to unless "any", else
// "unassigned". Rows may reach n = 0; readers skip those.
constexpr const char* kV5 = R"sql(
CREATE TABLE task_counts (
  status TEXT NOT NULL,
  agent TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (status, agent)
) WITHOUT ROWID;
INSERT INTO task_counts(status, agent, n)
  SELECT COALESCE(NULLIF(status, ''), 'pending'),
         COALESCE(NULLIF(claimed_by, ''), NULLIF(NULLIF(assigned_to, ''), 'any'), 'unassigned'),
         COUNT(*)
  FROM tasks GROUP BY 1, 2;
CREATE TRIGGER task_counts_insert AFTER INSERT ON tasks BEGIN
  INSERT INTO task_counts(status, agent, n) VALUES (
      COALESCE(NULLIF(NEW.status, ''), 'pending'),
      COALESCE(NULLIF(NEW.claimed_by, ''), NULLIF(NULLIF(NEW.assigned_to, ''), 'any'), 'unassigned'),
      1)
    ON CONFLICT(status, agent) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER task_counts_delete AFTER DELETE ON tasks BEGIN
  UPDATE task_counts SET n = n - 1
  WHERE status = COALESCE(NULLIF(OLD.status, ''), 'pending')
    AND agent = COALESCE(NULLIF(OLD.claimed_by, ''), NULLIF(NULLIF(OLD.assigned_to, ''), 'any'),
                         'unassigned');
END;
CREATE TRIGGER task_counts_update AFTER UPDATE OF status, claimed_by, assigned_to ON tasks
WHEN COALESCE(NULLIF(OLD.status, ''), 'pending') IS NOT COALESCE(NULLIF(NEW.status, ''), 'pending')
  OR COALESCE(NULLIF(OLD.claimed_by, ''), NULLIF(NULLIF(OLD.assigned_to, ''), 'any'), 'unassigned')
     IS NOT
     COALESCE(NULLIF(NEW.claimed_by, ''), NULLIF(NULLIF(NEW.assigned_to, ''), 'any'), 'unassigned')
BEGIN
  UPDATE task_counts SET n = n - 1
  WHERE status = COALESCE(NULLIF(OLD.status, ''), 'pending')
    AND agent = COALESCE(NULLIF(OLD.claimed_by, ''), NULLIF(NULLIF(OLD.assigned_to, ''), 'any'),
                         'unassigned');
  INSERT INTO task_counts(status, agent, n) VALUES (
      COALESCE(NULLIF(NEW.status, ''), 'pending'),
      COALESCE(NULLIF(NEW.claimed_by, ''), NULLIF(NULLIF(NEW.assigned_to, ''), 'any'), 'unassigned'),
      1)
    ON CONFLICT(status, agent) DO UPDATE SET n = n + 1;
END;
-- ListTasks pages, oldest first: overall and per status.
CREATE INDEX tasks_created ON tasks(created_at);
CREATE INDEX tasks_status_created ON tasks(COALESCE(NULLIF(status, ''), 'pending'), created_at);
)sql";

// Version 6: an agent's tasks page by page (ListTasks with an agent, by the
// agent expression GetStats counts with; without a status, one range per
// status, merged), and finished tasks oldest first for pruning
// (ListFinishedBefore). tasks_finished holds finished tasks only, so queued
// tasks (an import of a million) do not pay for it.
constexpr const char* kV6 = R"sql(
CREATE INDEX tasks_agent_status_created ON tasks(
  COALESCE(NULLIF(claimed_by, ''), NULLIF(NULLIF(assigned_to, ''), 'any'), 'unassigned'),
  COALESCE(NULLIF(status, ''), 'pending'), created_at);
CREATE INDEX tasks_finished ON tasks(COALESCE(NULLIF(status, ''), 'pending'), completed_at, id)
  WHERE completed_at > 0;
)sql";

// Version 7: what agents used (AgentUsage): each execution's figures as its
// agent reported them, and on each task the sum over its attempts (added in
// the same transaction that records an attempt's outcome), so a task's cost
// is read without touching its executions. cost_usd is NULL when the agent
// did not price its run.
constexpr const char* kV7 = R"sql(
ALTER TABLE executions ADD COLUMN input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN output_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN cache_read_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN cost_usd REAL;
ALTER TABLE executions ADD COLUMN model TEXT NOT NULL DEFAULT '';
ALTER TABLE executions ADD COLUMN num_turns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN output_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN cache_read_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN cost_usd REAL;
ALTER TABLE tasks ADD COLUMN model TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN num_turns INTEGER NOT NULL DEFAULT 0;
)sql";

constexpr const char* kV8 = R"sql(
ALTER TABLE tasks ADD COLUMN session_id TEXT NOT NULL DEFAULT '';
ALTER TABLE executions ADD COLUMN resumed_session_id TEXT NOT NULL DEFAULT '';
)sql";

// Version 9: the change feed (ListChanged), tasks in (updated_at, id) order.
constexpr const char* kV9 = R"sql(
CREATE INDEX tasks_changed ON tasks(updated_at, id);
)sql";

constexpr const char* kV10 = R"sql(
ALTER TABLE executions ADD COLUMN last_output_at INTEGER NOT NULL DEFAULT 0;
)sql";

constexpr const char* kV11 = R"sql(
ALTER TABLE tasks ADD COLUMN question TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN reply TEXT NOT NULL DEFAULT '';
)sql";

// Version 12: budgets -- a task's own limits (0 = the setting's), what it
// spent besides usage (attempts started, summed run time) and whether its
// execution request is forced past a spent budget.
constexpr const char* kV12 = R"sql(
ALTER TABLE tasks ADD COLUMN max_cost_usd REAL NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN max_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN max_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN run_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN requested_force INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 13: the attempts that ended since a time (an agent's cost today,
// budget.agent_daily_cost_usd).
constexpr const char* kV13 = R"sql(
CREATE INDEX executions_ended ON executions(ended_at);
)sql";

// Version 14: dependencies. blocked_by and waiting_on are JSON arrays of
// task ids (Task::blocked_by, Task::waiting_on); open_dependencies is the
// length of waiting_on, written beside it so that the queue indexes can
// leave waiting tasks out with an equality and a dispatch still reads only
// the entries it returns. task_dependencies is the reverse lookup (which
// tasks wait on a task), kept in the transactions that write blocked_by.
constexpr const char* kV14 = R"sql(
ALTER TABLE tasks ADD COLUMN blocked_by TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tasks ADD COLUMN waiting_on TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tasks ADD COLUMN open_dependencies INTEGER NOT NULL DEFAULT 0;
CREATE TABLE task_dependencies (
  depends_on TEXT NOT NULL,
  task_id TEXT NOT NULL,
  PRIMARY KEY (depends_on, task_id)
) WITHOUT ROWID;
CREATE INDEX task_dependencies_task ON task_dependencies(task_id);
DROP INDEX tasks_agent_queue;
CREATE INDEX tasks_agent_queue ON tasks(COALESCE(NULLIF(status, ''), 'pending'), routed_agent,
  open_dependencies, COALESCE(priority_weight, 2) DESC, created_at);
DROP INDEX tasks_dispatch;
CREATE INDEX tasks_dispatch ON tasks(COALESCE(NULLIF(status, ''), 'pending'), open_dependencies,
  COALESCE(priority_weight, 2) DESC, created_at);
CREATE INDEX tasks_held_by_dependencies ON tasks(created_at)
  WHERE open_dependencies > 0 OR error_type = 'dependency_failed';
)sql";

// Version 15: the last line of a running attempt's output worth showing a
// person (SessionExecution::last_output_line), kept with last_output_at.
constexpr const char* kV15 = R"sql(
ALTER TABLE executions ADD COLUMN last_output_line TEXT NOT NULL DEFAULT '';
)sql";

// Version 16: tasks_runnable (status, next_attempt_at) serves no query since
// the dispatch indexes of versions 3 and 4 (EXPLAIN QUERY PLAN of every
// statement the store prepares); the expired-lease scan uses
// tasks_status_agent. Each status change paid for it: a delete and an
// insert, up to two more pages in every claim, start and outcome.
constexpr const char* kV16 = R"sql(
DROP INDEX IF EXISTS tasks_runnable;
)sql";

// Version 17: the tasks whose cancel was asked for, by holder. Every running
// service looks for them four times a second (ListCancelRequests); through
// tasks_lease that read visited every task the service holds (10,000
// running attempts: 40,000 rows a second for, mostly, none). Partial: only
// tasks with a cancel asked are in it, so no other write pays for it.
constexpr const char* kV17 = R"sql(
CREATE INDEX tasks_cancel_requested ON tasks(lease_owner) WHERE cancel_requested <> 0;
)sql";

// Version 18: tasks_status_agent (status, assigned_to) served only the
// expired-lease scan, which now reads the status expression's indexes
// (tasks_dispatch), as every other statement on a task's status does. Each
// status change paid for it: the entry moves from one status's range to
// another's, two more pages in every claim and every outcome.
constexpr const char* kV18 = R"sql(
DROP INDEX IF EXISTS tasks_status_agent;
)sql";

// Version 19: the queue indexes hold only the tasks still to run. A claim
// took a task's entries out of the queued range and put them in the held
// one, and its outcome moved them again to the finished range: with the
// task counts, changes and lists kept elsewhere, nothing reads those
// ranges, yet each move rewrote index pages in every claim and outcome, and
// a store of a million finished tasks kept a million entries in each. Now a
// claim deletes the entry and the outcome writes none. Statements meant for
// them name the status in the partial predicate's own words (SQLite uses a
// partial index only for a query whose terms repeat one of its OR terms).
// tasks_lease holds the held tasks only, by holder: a lease renewal changes
// lease_expires_at, which no index holds any more, so a renewal rewrites no
// index page.
constexpr const char* kV19 = R"sql(
DROP INDEX IF EXISTS tasks_dispatch;
CREATE INDEX tasks_dispatch ON tasks(COALESCE(NULLIF(status, ''), 'pending'), open_dependencies,
  COALESCE(priority_weight, 2) DESC, created_at)
  WHERE COALESCE(NULLIF(status, ''), 'pending') = 'pending'
     OR COALESCE(NULLIF(status, ''), 'pending') = 'retrying';
DROP INDEX IF EXISTS tasks_agent_queue;
CREATE INDEX tasks_agent_queue ON tasks(COALESCE(NULLIF(status, ''), 'pending'), routed_agent,
  open_dependencies, COALESCE(priority_weight, 2) DESC, created_at)
  WHERE COALESCE(NULLIF(status, ''), 'pending') = 'pending'
     OR COALESCE(NULLIF(status, ''), 'pending') = 'retrying';
DROP INDEX IF EXISTS tasks_lease;
CREATE INDEX tasks_lease ON tasks(lease_owner) WHERE lease_owner <> '';
)sql";

}  // namespace

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> all = {
      {1, "tasks, executions, artifacts, meta", kV1},
      {2, "indexes for claims, leases, executions and notion pages", kV2},
      {3, "dispatch index in queue order", kV3},
      {4, "routed agent and the per-agent queue index", kV4},
      {5, "task counts kept by triggers; listing indexes", kV5},
      {6, "agent listing and finished-task indexes", kV6},
      {7, "agent usage on executions and tasks", kV7},
      {8, "agent sessions: the task's latest, the one an attempt resumed", kV8},
      {9, "the change feed's index", kV9},
      {10, "when each attempt's agent last wrote output (stall detection)", kV10},
      {11, "an agent's question and a person's reply (needs_input)", kV11},
      {12, "budgets: a task's limits, attempts and run time", kV12},
      {13, "the index of attempts by when they ended (an agent's daily cost)", kV13},
      {14, "dependencies: blocked_by, waiting_on and the reverse lookup", kV14},
      {15, "the last line of a running attempt's output (live progress)", kV15},
      {16, "drop tasks_runnable, which no query uses", kV16},
      {17, "the tasks whose cancel was asked for, by holder", kV17},
      {18, "drop tasks_status_agent, which only the expired-lease scan used", kV18},
      {19, "queue indexes of the tasks still to run; the lease index of held tasks", kV19},
  };
  return all;
}

int LatestSchemaVersion() { return Migrations().back().version; }

Status ReadSchemaVersion(Connection& conn, int* version) {
  Stmt q(conn, "PRAGMA user_version");
  bool row = false;
  Status s = q.Step(&row);
  if (!s.ok()) return s;
  if (!row) return Status::Internal("PRAGMA user_version returned no row");
  *version = static_cast<int>(q.Int(0));
  return Status::OK();
}

Status ApplyMigrations(Connection& conn) {
  int current = 0;
  Status s = ReadSchemaVersion(conn, &current);
  if (!s.ok()) return s;
  if (current > LatestSchemaVersion()) {
    return Status::InvalidArgument("database schema version " + std::to_string(current) +
                                   " is newer than this taskexec supports (" +
                                   std::to_string(LatestSchemaVersion()) +
                                   "); upgrade taskexec or use another database file");
  }
  for (const Migration& m : Migrations()) {
    if (m.version <= current) continue;
    s = conn.Exec(m.sql);
    if (!s.ok()) {
      if (s.IsUnavailable()) return s;  // busy: the caller retries
      return Status::Internal("schema migration " + std::to_string(m.version) + " (" +
                              m.description + ") failed: " + s.ToString());
    }
    // user_version is part of the database header, so it commits (or rolls
    // back) with the migration itself.
    s = conn.Exec("PRAGMA user_version=" + std::to_string(m.version));
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace taskexec::sqlite
