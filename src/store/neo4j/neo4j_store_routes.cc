// Neo4jStore: dispatch by routed agent (TaskStore::ListRunnableFor and the
// route bookkeeping). Statements: cypher::kListRunnableFor ... kListQueuedAgents.
#include <algorithm>
#include <iterator>
#include <string>
#include <utility>

#include "store/neo4j/cypher.h"
#include "store/neo4j/mapping.h"
#include "store/neo4j/neo4j_store.h"
#include "store/neo4j/tx_helpers.h"

namespace taskexec {

using bolt::List;
using bolt::Map;
using bolt::QueryResult;
using bolt::Transaction;
using namespace neo4j;

namespace {

// Nodes one ClearRoutes transaction changes at most: keeps each transaction's
// memory on the server bounded with a million queued tasks.
constexpr int64_t kClearBatch = 10'000;

Status CountOf(const QueryResult& r, int64_t* n) {
  *n = r.records.empty() ? 0 : r.records[0][0].IntOr(0);
  return Status::OK();
}

}  // namespace

Status Neo4jStore::ListRunnableFor(const std::string& agent, TimeMs now, int limit,
                                   const std::vector<std::string>& skip_types,
                                   std::vector<Task>* out) {
  if (limit <= 0) return Status::InvalidArgument("ListRunnableFor needs a limit > 0");
  List skip;
  for (const std::string& type : skip_types) skip.emplace_back(type);
  return driver_->ExecuteRead([&](Transaction& tx) -> Status {
    std::vector<Task> all;
    for (const char* status : {"pending", "retrying"}) {
      Map p;
      p.Set("agent", agent);
      p.Set("status", status);
      p.Set("now", now);
      p.Set("limit", int64_t{limit});
      p.Set("skip_types", skip);
      std::vector<Task> part;
      if (Status s = QueryTasks(tx, cypher::kListRunnableFor, p, &part); !s.ok()) return s;
      std::move(part.begin(), part.end(), std::back_inserter(all));
    }
    // Both parts are in queue order; merge them under the one limit.
    std::stable_sort(all.begin(), all.end(), [](const Task& a, const Task& b) {
      return std::make_pair(DispatchKey(a.priority, a.created_at), a.id) <
             std::make_pair(DispatchKey(b.priority, b.created_at), b.id);
    });
    if (all.size() > static_cast<size_t>(limit)) all.resize(static_cast<size_t>(limit));
    *out = std::move(all);
    return Status::OK();
  });
}

Status Neo4jStore::ListUnrouted(int limit, std::vector<Task>* out) {
  if (limit <= 0) return Status::InvalidArgument("ListUnrouted needs a limit > 0");
  Map p;
  p.Set("limit", int64_t{limit});
  return driver_->ExecuteRead(
      [&](Transaction& tx) { return QueryTasks(tx, cypher::kListUnrouted, p, out); });
}

Status Neo4jStore::SetRoutes(const std::vector<TaskRoute>& routes, int* written) {
  List rows;
  rows.reserve(routes.size());
  for (const TaskRoute& r : routes) {
    if (r.agent.empty()) return Status::InvalidArgument("route of " + r.task.id + " is empty");
    Map row;
    row.Set("id", r.task.id);
    row.Set("version", r.task.version);
    row.Set("agent", r.agent);
    row.Set("dispatch_key", DispatchKey(r.task.priority, r.task.created_at));
    rows.emplace_back(std::move(row));
  }
  Map p;
  p.Set("routes", std::move(rows));
  int64_t n = 0;
  Status s = driver_->ExecuteWrite([&](Transaction& tx) -> Status {
    QueryResult r;
    if (Status st = RunQuery(tx, cypher::kSetRoutes, p, 1, &r); !st.ok()) return st;
    return CountOf(r, &n);
  });
  if (s.ok() && written != nullptr) *written = static_cast<int>(n);
  return s;
}

Status Neo4jStore::ClearRoutes(int64_t* cleared) {
  Map p;
  p.Set("batch", kClearBatch);
  int64_t total = 0;
  for (;;) {
    int64_t n = 0;
    Status s = driver_->ExecuteWrite([&](Transaction& tx) -> Status {
      QueryResult r;
      if (Status st = RunQuery(tx, cypher::kClearRoutes, p, 1, &r); !st.ok()) return st;
      return CountOf(r, &n);
    });
    if (!s.ok()) return s;
    total += n;
    if (n < kClearBatch) break;
  }
  if (cleared != nullptr) *cleared = total;
  return Status::OK();
}

Status Neo4jStore::ListQueuedAgents(std::vector<std::string>* out) {
  return driver_->ExecuteRead(
      [&](Transaction& tx) { return QueryStrings(tx, cypher::kListQueuedAgents, Map{}, out); });
}

}  // namespace taskexec
