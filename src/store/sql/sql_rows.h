// Mapping between rows of the SQL schema (both engines name the columns
// alike) and the domain records, and the row-level reads and writes SqlStore
// is built from.
//
// Readers tolerate rows written by other tools: NULL or empty columns read as
// the domain defaults (status pending, priority normal, context "{}", ...).
// A status name this build does not know is reported as Corruption naming
// the row, rather than silently mapped to something runnable.
//
// Thread-safety: functions over a caller-owned Connection.
#pragma once

#include <string>
#include <vector>

#include "core/domain.h"
#include "core/status.h"
#include "store/sql/sql_db.h"

namespace taskexec::sql {

// "SELECT <every task column> FROM tasks " -- callers append WHERE/ORDER BY.
// The column lists come from one table per record in sql_rows.cc, which
// the readers and writers below share.
const std::string& SelectTask();
const std::string& SelectExecution();
const std::string& SelectArtifact();

// "SELECT <every task column> " without FROM, to select from a subquery
// that has all of the tasks columns.
const std::string& SelectTaskColumns();

// SQL for "the status column, reading NULL/'' as pending" (rows from other
// tools). Statements repeat it verbatim on purpose: SQLite matches the
// expression indexes (tasks_dispatch, tasks_agent_queue,
// tasks_status_created) by their text.
inline constexpr const char* kStatusExpr = "COALESCE(NULLIF(status, ''), 'pending')";

// SQL for "the task's agent" as GetStats counts it: claimed_by, else
// assigned_to unless "any", else 'unassigned' (index tasks_agent_created).
inline constexpr const char* kAgentExpr =
    "COALESCE(NULLIF(claimed_by, ''), NULLIF(NULLIF(assigned_to, ''), 'any'), 'unassigned')";

// WHERE-clause term for "the execution is active", counting NULL/'' (rows from
// other tools) as active like ReadExecution does; written so the status
// index still serves it.
extern const char kExecutionIsActive[];

Status ReadTask(const Stmt& row, Task* out);
Status ReadExecution(const Stmt& row, SessionExecution* out);
Status ReadArtifact(const Stmt& row, Artifact* out);

// Reads every row of an already bound query into `out` (cleared first).
Status CollectTasks(Stmt& q, std::vector<Task>* out);
Status CollectExecutions(Stmt& q, std::vector<SessionExecution>* out);
Status CollectArtifacts(Stmt& q, std::vector<Artifact>* out);

// NotFound("task <id> not found") when absent.
Status LoadTask(Connection& conn, const std::string& id, Task* out);
Status LoadExecution(Connection& conn, const std::string& id, SessionExecution* out);

// Inserts a new row. Conflict on a duplicate id or notion page.
Status InsertTask(Connection& conn, const Task& task);
Status InsertExecution(Connection& conn, const SessionExecution& exec);
Status InsertArtifact(Connection& conn, const Artifact& artifact);

// The one way a task is modified: bumps task->version and sets updated_at,
// then writes every column where the row still has the previous version
// (Conflict if it does not, which inside a Write transaction means a bug or a
// writer that ignores the lock).
Status SaveTask(Connection& conn, Task* task, TimeMs now);
// The same, writing only the columns that differ from `stored`: the row as
// this transaction read it (LoadTask), before the caller changed it.
Status SaveTask(Connection& conn, const Task& stored, Task* task, TimeMs now);
// Writes every column of an execution row.
Status SaveExecution(Connection& conn, const SessionExecution& exec);
// Writes the columns that differ from `stored`, the row as this
// transaction read it; nothing when none does.
Status SaveExecution(Connection& conn, const SessionExecution& stored,
                     const SessionExecution& exec);

}  // namespace taskexec::sql
