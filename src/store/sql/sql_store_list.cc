// SqlStore's task listing (ListTasks) and its count (CountTasks): the
// statements are put together from the filters that are set, so the engine can
// walk an index in list order and stop after the page.
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "store/sql/sql_rows.h"
#include "store/sql/sql_store.h"

namespace taskexec {

using sql::Connection;
using sql::kAgentExpr;
using sql::kStatusExpr;
using sql::Stmt;

namespace {

// The values a statement's numbered parameters take, in order: each term
// that needs one adds it and writes the placeholder it gets.
class SqlArgs {
 public:
  std::string Add(int64_t v) {
    values_.emplace_back(v);
    return "?" + std::to_string(values_.size());
  }
  std::string Add(std::string v) {
    values_.emplace_back(std::move(v));
    return "?" + std::to_string(values_.size());
  }
  void Bind(Stmt& q) const {
    for (size_t i = 0; i < values_.size(); ++i) {
      std::visit([&](const auto& v) { q.BindOne(static_cast<int>(i + 1), v); }, values_[i]);
    }
  }

 private:
  std::vector<std::variant<int64_t, std::string>> values_;
};

// The terms every filter but status and the cursor adds (" AND ...").
std::string FilterTerms(const sql::Dialect& d, const TaskFilter& f, SqlArgs* args) {
  std::string where;
  if (!f.agent.empty()) where += std::string(" AND ") + kAgentExpr + " = " + args->Add(f.agent);
  if (!f.source.empty()) where += " AND source = " + args->Add(f.source);
  if (!f.type.empty()) where += " AND type = " + args->Add(f.type);
  if (!f.text.empty()) {
    // lower() folds ASCII only, like SearchNeedle: "contains, ignoring ASCII case".
    const std::string needle = args->Add(SearchNeedle(f));
    where += " AND (" + d.contains_folded("id", needle) + " OR " +
             d.contains_folded("title", needle) + " OR " +
             d.contains_folded("description", needle) + ")";
  }
  // The exact text of the tasks_held_by_dependencies index's condition.
  if (f.dependencies) where += " AND (open_dependencies > 0 OR error_type = 'dependency_failed')";
  return where;
}

// ORDER BY terms; `rowid` names the insertion order column in scope.
std::string OrderTerms(const sql::Dialect& d, const TaskFilter& f, const std::string& rowid) {
  const std::string dir = f.descending ? " DESC" : "";
  const std::string tail = ", " + rowid + dir;
  switch (f.sort) {
    case TaskSortKey::kCreated:
      return "created_at" + dir + tail;
    case TaskSortKey::kUpdated:
      return "updated_at" + dir + tail;
    case TaskSortKey::kPriority:
      return "COALESCE(priority_weight, 2)" + dir + ", created_at" + dir + tail;
    case TaskSortKey::kStatus:
      return std::string(kStatusExpr) + dir + ", created_at" + dir + tail;
    case TaskSortKey::kTitle:
      return d.order_folded("title") + dir + tail;
  }
  return "created_at" + dir + tail;
}

// LIMIT for "no limit", which both engines take.
constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();

struct Cursor {
  int64_t created_at = 0;
  int64_t rowid = 0;
};

// The statement behind ListTasks. Only set filters go into it, so for the
// default order SQLite walks tasks_created (tasks_status_created for a
// status, tasks_agent_status_created for an agent), forwards or backwards,
// and stops after offset + limit matches instead of sorting every task. An
// agent without a status reads one range of tasks_agent_status_created per
// status, each cut at offset + limit, merged. Other orders sort the matches.
std::string ListTasksSql(const sql::Dialect& d, const TaskFilter& f, const Cursor* cursor,
                         SqlArgs* args) {
  std::string where = FilterTerms(d, f, args);
  if (cursor != nullptr) {
    where += std::string(" AND (created_at, rowid) ") + (f.descending ? "<" : ">") + " (" +
             args->Add(cursor->created_at) + ", " + args->Add(cursor->rowid) + ")";
  }
  const int64_t limit = f.limit > 0 ? f.limit : kNoLimit;
  const std::string page = " LIMIT " + args->Add(limit) + " OFFSET " + args->Add(f.offset);
  if (f.status || f.agent.empty() || f.sort != TaskSortKey::kCreated) {
    if (f.status)
      where +=
          std::string(" AND ") + kStatusExpr + " = " + args->Add(std::string(ToString(*f.status)));
    return sql::SelectTask() + "WHERE 1 = 1" + where + " ORDER BY " + OrderTerms(d, f, "rowid") +
           page;
  }
  const std::string branch_limit = args->Add(f.limit > 0 ? f.limit + f.offset : kNoLimit);
  std::string branches;
  for (TaskStatus st : AllTaskStatuses()) {
    if (!branches.empty()) branches += " UNION ALL ";
    branches += std::string("SELECT * FROM (SELECT rowid AS rid, * FROM tasks WHERE ") +
                kStatusExpr + " = '" + std::string(ToString(st)) + "'" + where + " ORDER BY " +
                OrderTerms(d, f, "rowid") + " LIMIT " + branch_limit + ") AS s" +
                std::to_string(static_cast<int>(st));
  }
  return sql::SelectTaskColumns() + "FROM (" + branches + ") AS listed ORDER BY " +
         OrderTerms(d, f, "rid") + page;
}

// Only status and agent filters: task_counts holds the answer.
bool CountsTableAnswers(const TaskFilter& f) {
  return f.source.empty() && f.type.empty() && f.text.empty() && !f.dependencies;
}

}  // namespace

Status SqlStore::ListTasks(const TaskFilter& f, std::vector<Task>* out) {
  if (Status s = CheckTaskFilter(f); !s.ok()) return s;
  return db_->Read([&](Connection& c) -> Status {
    Cursor cursor;
    if (!f.after.empty()) {
      Stmt q(c, "SELECT created_at, rowid FROM tasks WHERE id = ?");
      q.BindAll(f.after);
      bool row = false;
      if (Status s = q.Step(&row); !s.ok()) return s;
      if (!row) return Status::NotFound("task " + f.after + " not found (the page cursor)");
      cursor.created_at = q.Int(0);
      cursor.rowid = q.Int(1);
    }
    SqlArgs args;
    const std::string sql =
        ListTasksSql(db_->dialect(), f, f.after.empty() ? nullptr : &cursor, &args);
    Stmt q(c, sql);
    args.Bind(q);
    return sql::CollectTasks(q, out);
  });
}

Status SqlStore::CountTasks(const TaskFilter& f, int64_t* total) {
  if (Status s = CheckTaskFilter(f); !s.ok()) return s;
  SqlArgs args;
  std::string sql;
  if (CountsTableAnswers(f)) {
    sql = "SELECT COALESCE(SUM(n), 0) FROM task_counts WHERE 1 = 1";
    if (f.status) sql += " AND status = " + args.Add(std::string(ToString(*f.status)));
    if (!f.agent.empty()) sql += " AND agent = " + args.Add(f.agent);
  } else {
    sql = "SELECT COUNT(*) FROM tasks WHERE 1 = 1" + FilterTerms(db_->dialect(), f, &args);
    if (f.status)
      sql +=
          std::string(" AND ") + kStatusExpr + " = " + args.Add(std::string(ToString(*f.status)));
  }
  return db_->Read([&](Connection& c) -> Status {
    Stmt q(c, sql);
    args.Bind(q);
    bool row = false;
    if (Status s = q.Step(&row); !s.ok()) return s;
    *total = row ? q.Int(0) : 0;
    return Status::OK();
  });
}

}  // namespace taskexec
