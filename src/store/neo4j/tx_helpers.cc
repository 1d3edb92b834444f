#include "store/neo4j/tx_helpers.h"

#include "store/neo4j/cypher.h"
#include "store/neo4j/mapping.h"

namespace taskexec::neo4j {

using bolt::Map;
using bolt::QueryResult;

Status RunQuery(bolt::Transaction& tx, const std::string& query, const Map& params,
                size_t min_columns, QueryResult* out) {
  if (Status s = tx.Run(query, params, out); !s.ok()) return s;
  for (const auto& r : out->records) {
    if (r.size() < min_columns) {
      return Status::Corruption("Neo4j answered a record with " + std::to_string(r.size()) +
                                " columns, expected " + std::to_string(min_columns));
    }
  }
  return Status::OK();
}

namespace {
template <typename T, typename Fn>
Status QueryNodes(bolt::Transaction& tx, const std::string& query, const Map& params,
                  std::vector<T>* out, Fn from_node) {
  QueryResult r;
  if (Status s = RunQuery(tx, query, params, 1, &r); !s.ok()) return s;
  std::vector<T> items;
  items.reserve(r.records.size());
  for (const auto& rec : r.records) {
    T item;
    if (Status s = from_node(rec[0], &item); !s.ok()) return s;
    items.push_back(std::move(item));
  }
  *out = std::move(items);
  return Status::OK();
}
}  // namespace

Status QueryTasks(bolt::Transaction& tx, const std::string& query, const Map& params,
                  std::vector<Task>* out) {
  return QueryNodes(tx, query, params, out, TaskFromNode);
}

Status QueryExecutions(bolt::Transaction& tx, const std::string& query, const Map& params,
                       std::vector<SessionExecution>* out) {
  return QueryNodes(tx, query, params, out, ExecutionFromNode);
}

Status QueryArtifacts(bolt::Transaction& tx, const std::string& query, const Map& params,
                      std::vector<Artifact>* out) {
  return QueryNodes(tx, query, params, out, ArtifactFromNode);
}

Status QueryStrings(bolt::Transaction& tx, const std::string& query, const Map& params,
                    std::vector<std::string>* out) {
  QueryResult r;
  if (Status s = RunQuery(tx, query, params, 1, &r); !s.ok()) return s;
  out->clear();
  for (const auto& rec : r.records) out->push_back(rec[0].StringOr(""));
  return Status::OK();
}

Status LoadTask(bolt::Transaction& tx, const std::string& id, bool lock, Task* out) {
  Map p;
  p.Set("id", id);
  std::vector<Task> found;
  if (Status s = QueryTasks(tx, lock ? cypher::kLockTask : cypher::kGetTask, p, &found); !s.ok()) {
    return s;
  }
  if (found.empty()) return Status::NotFound("task " + id + " not found");
  *out = std::move(found[0]);
  return Status::OK();
}

Status LoadExecution(bolt::Transaction& tx, const std::string& id, SessionExecution* out) {
  Map p;
  p.Set("id", id);
  std::vector<SessionExecution> found;
  if (Status s = QueryExecutions(tx, cypher::kGetExecution, p, &found); !s.ok()) return s;
  if (found.empty()) return Status::NotFound("execution " + id + " not found");
  *out = std::move(found[0]);
  return Status::OK();
}

Status SaveTask(bolt::Transaction& tx, Task* t, TimeMs now) {
  const int64_t previous = t->version;
  Task next = *t;
  next.version = previous + 1;
  next.updated_at = now;
  Map p;
  p.Set("id", next.id);
  p.Set("previous_version", previous);
  TaskParams(next, &p);
  QueryResult r;
  if (Status s = RunQuery(tx, cypher::kSaveTask, p, 1, &r); !s.ok()) return s;
  if (r.records.empty()) {
    return Status::Conflict("task " + t->id + " changed concurrently (version " +
                            std::to_string(previous) + ")");
  }
  *t = std::move(next);
  return Status::OK();
}

Status SaveExecution(bolt::Transaction& tx, const SessionExecution& e) {
  Map p;
  p.Set("id", e.id);
  ExecutionParams(e, &p);
  QueryResult r;
  if (Status s = RunQuery(tx, cypher::kSaveExecution, p, 1, &r); !s.ok()) return s;
  if (r.records.empty()) return Status::NotFound("execution " + e.id + " not found");
  return Status::OK();
}

}  // namespace taskexec::neo4j
