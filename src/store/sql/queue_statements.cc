#include "store/sql/queue_statements.h"

#include "store/sql/sql_rows.h"

namespace taskexec::sql {

namespace {

constexpr const char* kQueueOrder = "COALESCE(priority_weight, 2) DESC, created_at";
constexpr const char* kQueuedStatuses[] = {"pending", "retrying"};

// One index range per queued status, each in queue order and cut at
// `limit_param`, joined by UNION ALL. `columns` go before the task's own;
// `where` is appended to the equality on the status expression and must
// keep the index's next equalities (routed_agent, open_dependencies).
std::string StatusBranches(const std::string& columns, const std::string& where,
                           const std::string& limit_param) {
  std::string branches;
  for (const char* status : kQueuedStatuses) {
    if (!branches.empty()) branches += " UNION ALL ";
    branches += "SELECT * FROM (SELECT rowid AS rid, " + columns + "* FROM tasks WHERE " +
                kStatusExpr + " = '" + status + "' AND " + where + " ORDER BY " + kQueueOrder +
                ", rowid LIMIT " + limit_param + ") AS " + status;
  }
  return branches;
}

// The branches merged in queue order.
std::string PerStatusSql(const std::string& where, const std::string& limit_param) {
  return SelectTaskColumns() + "FROM (" + StatusBranches("", where, limit_param) +
         ") AS queue ORDER BY " + kQueueOrder + ", rid LIMIT " + limit_param;
}

}  // namespace

std::string RunnableStatement(const Dialect& dialect) {
  // Each branch walks one index range (tasks_requested, or tasks_dispatch
  // with an equality on the status, in queue order) and stops after
  // `limit` rows; only those few rows are merged. A task with an execution
  // request is due regardless of next_attempt_at.
  const std::string queued = StatusBranches(
      "0 AS req, ",
      "open_dependencies = 0 AND ?2 = 0 AND COALESCE(requested_execution_id, '') = '' AND "
      "COALESCE(cancel_requested, 0) = 0 AND COALESCE(next_attempt_at, 0) <= ?1",
      "?3");
  return SelectTaskColumns() + "FROM (SELECT rowid AS rid, 1 AS req, * FROM tasks" +
         dialect.indexed_by("tasks_requested") + " WHERE requested_execution_id <> '' AND " +
         kStatusExpr +
         " IN ('pending', 'retrying') AND open_dependencies = 0 "
         "AND COALESCE(cancel_requested, 0) = 0 UNION ALL " +
         queued + ") AS queue ORDER BY req DESC, " + kQueueOrder + ", rid LIMIT ?3";
}

std::string RunnableForStatement(const Dialect& dialect) {
  return PerStatusSql(
      "routed_agent = ?1 AND open_dependencies = 0 AND COALESCE(requested_execution_id, '') = '' "
      "AND COALESCE(cancel_requested, 0) = 0 AND COALESCE(next_attempt_at, 0) <= ?2 "
      "AND LOWER(COALESCE(type, '')) NOT IN (" +
          dialect.json_strings("?4") + ")",
      "?3");
}

std::string UnroutedStatement() {
  return PerStatusSql("routed_agent = '' AND open_dependencies = 0", "?1");
}

std::string QueuedAgentsStatement() {
  // A skip scan: per queued status, the smallest routed agent above the
  // last one found. One recursion per status, each naming it as a literal.
  auto next = [](const std::string& status, const std::string& after) {
    return std::string("(SELECT MIN(routed_agent) FROM tasks WHERE ") + kStatusExpr + " = '" +
           status + "' AND routed_agent > " + after + ")";
  };
  std::string ctes, unions;
  for (const std::string status : kQueuedStatuses) {
    const std::string cte = status + "_agents";
    if (!ctes.empty()) ctes += ", ";
    ctes += cte + "(name) AS (SELECT " + next(status, "''") + " UNION ALL SELECT " +
            next(status, cte + ".name") + " FROM " + cte + " WHERE name IS NOT NULL)";
    if (!unions.empty()) unions += " UNION ALL ";
    unions += "SELECT name FROM " + cte;
  }
  return "WITH RECURSIVE " + ctes + " SELECT DISTINCT name FROM (" + unions +
         ") AS found WHERE name IS NOT NULL ORDER BY name";
}

std::string RenewLeasesStatement() {
  // One statement, not a read and a whole-row write per task: with
  // thousands of attempts running, a renewal every few seconds must not
  // cost a write of every column and index of each. The version moves as
  // any write of the task moves it, so a claim or recovery that read the
  // task before the renewal fails its compare-and-set. Executor ids are
  // never empty, so `lease_owner <> ''` changes nothing but the plan.
  return "UPDATE tasks SET lease_expires_at = ?1, version = COALESCE(version, 1) + 1, "
         "updated_at = ?2 WHERE lease_owner = ?3 AND lease_owner <> '' AND status IN ("
         "'assigned', 'claimed', 'in_progress') RETURNING id";
}

}  // namespace taskexec::sql
