// Neo4jStore: opening, the schema, the factory hook and the read-only
// queries. Writes: neo4j_store_writes.cc (people's edits) and
// neo4j_store_attempts.cc (claim -> start -> finish).
#include "store/neo4j/neo4j_store.h"

#include "store/neo4j/cypher.h"
#include "store/neo4j/mapping.h"
#include "store/neo4j/tx_helpers.h"
#include "store/store_factory.h"

namespace taskexec {

using bolt::Map;
using bolt::QueryResult;
using bolt::Transaction;
using namespace neo4j;

bolt::DriverConfig DriverConfigFrom(const Neo4jConfig& cfg) {
  bolt::DriverConfig d;
  d.uri = cfg.uri;
  d.auth = bolt::AuthToken{"basic", cfg.user, cfg.password};
  if (cfg.user.empty() && cfg.password.empty()) d.auth.scheme = "none";
  d.database = cfg.database;
  return d;
}

Status ApplySchema(bolt::Driver& driver, std::vector<std::string>* applied) {
  for (const auto& st : SchemaStatements()) {
    // Schema commands run in their own auto-commit transactions (Neo4j does
    // not mix schema and data writes in one transaction).
    QueryResult r;
    Status s = driver.Run(st.text, Map{}, bolt::AccessMode::kWrite, &r);
    if (!s.ok()) {
      // Keep the code (a constraint that existing data violates is
      // InvalidArgument/Conflict, a down server Unavailable); name the step.
      std::string msg = "schema statement " + std::string(st.name) + " failed: " + s.message();
      switch (s.code()) {
        case Status::Code::kConflict:
          return Status::Conflict(msg);
        case Status::Code::kInvalidArgument:
          return Status::InvalidArgument(msg);
        case Status::Code::kUnavailable:
          return Status::Unavailable(msg);
        default:
          return Status::Internal(msg);
      }
    }
    if (applied != nullptr) applied->push_back(st.name);
  }
  return Status::OK();
}

Status ApplySchema(const Neo4jConfig& cfg, std::vector<std::string>* applied) {
  std::unique_ptr<bolt::Driver> driver;
  if (Status s = bolt::Driver::Create(DriverConfigFrom(cfg), &driver); !s.ok()) return s;
  return ApplySchema(*driver, applied);
}

Status CheckNeo4jConnection(const Neo4jConfig& cfg, bolt::ServerInfo* info) {
  std::unique_ptr<bolt::Driver> driver;
  if (Status s = bolt::Driver::Create(DriverConfigFrom(cfg), &driver); !s.ok()) return s;
  return driver->VerifyConnectivity(info);
}

Status Neo4jStore::Open(const Neo4jStoreOptions& options, std::unique_ptr<Neo4jStore>* out) {
  std::unique_ptr<bolt::Driver> driver;
  if (Status s = bolt::Driver::Create(options.driver, &driver); !s.ok()) return s;
  bolt::ServerInfo info;
  if (Status s = driver->VerifyConnectivity(&info); !s.ok()) return s;
  if (options.apply_schema) {
    if (Status s = ApplySchema(*driver); !s.ok()) return s;
  }
  out->reset(new Neo4jStore(std::move(driver), std::move(info)));
  return Status::OK();
}

Neo4jStore::~Neo4jStore() {
  if (driver_) driver_->Close();
}

Status OpenNeo4jStore(const Config& cfg, std::unique_ptr<TaskStore>* out) {
  if (cfg.neo4j.uri.empty()) return Status::InvalidArgument("neo4j.uri (NEO4J_URI) is not set");
  Neo4jStoreOptions o;
  o.driver = DriverConfigFrom(cfg.neo4j);
  // Every CLI command opens the store: the schema is applied only at the
  // service start and by `schema apply` (a round trip per statement, and
  // schema privileges a user who only reads and edits tasks may lack).
  o.apply_schema = false;
  std::unique_ptr<Neo4jStore> store;
  if (Status s = Neo4jStore::Open(o, &store); !s.ok()) return s;
  *out = std::move(store);
  return Status::OK();
}

Status ApplyNeo4jStoreSchema(TaskStore& store) {
  auto* neo = dynamic_cast<Neo4jStore*>(&store);
  if (neo == nullptr) return Status::InvalidArgument("not a Neo4j store");
  return ApplySchema(neo->driver());
}

void RegisterNeo4jStore() {
  SetNeo4jStoreOpener(&OpenNeo4jStore);
  SetNeo4jSchemaApplier(&ApplyNeo4jStoreSchema);
}

Status Neo4jStore::GetTask(const std::string& id, Task* out) {
  return driver_->ExecuteRead([&](Transaction& tx) { return LoadTask(tx, id, false, out); });
}

Status Neo4jStore::FindByNotionPage(const std::string& page_id, Task* out) {
  if (page_id.empty()) return Status::NotFound("empty notion page id");
  return driver_->ExecuteRead([&](Transaction& tx) -> Status {
    Map p;
    p.Set("page_id", page_id);
    std::vector<Task> found;
    if (Status s = QueryTasks(tx, cypher::kFindByNotionPage, p, &found); !s.ok()) return s;
    if (found.empty()) return Status::NotFound("no task for notion page " + page_id);
    *out = std::move(found[0]);
    return Status::OK();
  });
}

namespace {
// ListTasks' and CountTasks' filter parameters.
Map ListParams(const TaskFilter& f) {
  Map p;
  p.Set("status", f.status ? std::string(ToString(*f.status)) : std::string());
  p.Set("agent", f.agent);
  p.Set("source", f.source);
  p.Set("task_type", f.type);
  p.Set("text", SearchNeedle(f));
  p.Set("dependencies", f.dependencies);
  return p;
}
}  // namespace

Status Neo4jStore::ListTasks(const TaskFilter& f, std::vector<Task>* out) {
  if (Status s = CheckTaskFilter(f); !s.ok()) return s;
  Map p = ListParams(f);
  p.Set("limit", f.limit > 0 ? int64_t{f.limit} : kNoLimit);
  p.Set("skip", f.offset);
  p.Set("after_id", f.after);
  const std::string& query = f.sort == TaskSortKey::kCreated && !f.descending
                                 ? cypher::kListTasks
                                 : cypher::ListTasksStatement(f.sort, f.descending);
  return driver_->ExecuteRead([&](Transaction& tx) -> Status {
    TimeMs after_created = 0;
    if (!f.after.empty()) {
      Task cursor;
      if (Status s = LoadTask(tx, f.after, /*lock=*/false, &cursor); !s.ok()) {
        return s.IsNotFound() ? Status::NotFound("task " + f.after + " not found (the page cursor)")
                              : s;
      }
      after_created = cursor.created_at;
    }
    p.Set("after_created", after_created);
    return QueryTasks(tx, query, p, out);
  });
}

Status Neo4jStore::CountTasks(const TaskFilter& f, int64_t* total) {
  if (Status s = CheckTaskFilter(f); !s.ok()) return s;
  const Map p = ListParams(f);
  return driver_->ExecuteRead([&](Transaction& tx) -> Status {
    QueryResult r;
    if (Status s = RunQuery(tx, cypher::kCountTasks, p, 1, &r); !s.ok()) return s;
    *total = r.records.empty() ? 0 : r.records[0][0].IntOr(0);
    return Status::OK();
  });
}

Status Neo4jStore::ListChanged(const ChangeCursor& after, int limit, std::vector<Task>* out) {
  if (limit <= 0) return Status::InvalidArgument("change feed: limit must be positive");
  Map p;
  p.Set("after_updated", int64_t{after.updated_at});
  p.Set("after_id", after.id);
  p.Set("limit", int64_t{limit});
  return driver_->ExecuteRead(
      [&](Transaction& tx) -> Status { return QueryTasks(tx, cypher::kListChanged, p, out); });
}

Status Neo4jStore::ListRunnable(TimeMs now, int limit, bool only_requested,
                                std::vector<Task>* out) {
  Map p;
  p.Set("now", now);
  p.Set("only_requested", only_requested);
  p.Set("limit", limit > 0 ? int64_t{limit} : kNoLimit);
  return driver_->ExecuteRead(
      [&](Transaction& tx) { return QueryTasks(tx, cypher::kListRunnable, p, out); });
}

Status Neo4jStore::ListExpiredLeases(TimeMs now, std::vector<Task>* out) {
  Map p;
  p.Set("now", now);
  return driver_->ExecuteRead(
      [&](Transaction& tx) { return QueryTasks(tx, cypher::kListExpiredLeases, p, out); });
}

Status Neo4jStore::ListCancelRequests(const std::string& executor_id,
                                      std::vector<std::string>* task_ids) {
  Map p;
  p.Set("executor_id", executor_id);
  return driver_->ExecuteRead(
      [&](Transaction& tx) { return QueryStrings(tx, cypher::kListCancelRequests, p, task_ids); });
}

Status Neo4jStore::GetExecution(const std::string& id, SessionExecution* out) {
  return driver_->ExecuteRead([&](Transaction& tx) { return LoadExecution(tx, id, out); });
}

Status Neo4jStore::ListExecutions(const std::string& task_id, std::vector<SessionExecution>* out) {
  Map p;
  p.Set("task_id", task_id);
  return driver_->ExecuteRead(
      [&](Transaction& tx) { return QueryExecutions(tx, cypher::kListExecutions, p, out); });
}

Status Neo4jStore::ListActiveExecutions(std::vector<SessionExecution>* out) {
  return driver_->ExecuteRead([&](Transaction& tx) {
    return QueryExecutions(tx, cypher::kListActiveExecutions, Map{}, out);
  });
}

Status Neo4jStore::ListArtifacts(const std::string& task_id, std::vector<Artifact>* out) {
  Map p;
  p.Set("task_id", task_id);
  return driver_->ExecuteRead(
      [&](Transaction& tx) { return QueryArtifacts(tx, cypher::kListArtifacts, p, out); });
}

Status Neo4jStore::GetStats(StoreStats* out) {
  // One read transaction, so the counts describe the same moment.
  return driver_->ExecuteRead([&](Transaction& tx) -> Status {
    StoreStats stats;
    QueryResult r;
    if (Status s = RunQuery(tx, cypher::kStatsByStatus, Map{}, 2, &r); !s.ok()) return s;
    for (const auto& rec : r.records) stats.by_status[rec[0].StringOr("")] += rec[1].IntOr(0);
    if (Status s = RunQuery(tx, cypher::kStatsByAgent, Map{}, 2, &r); !s.ok()) return s;
    for (const auto& rec : r.records) stats.by_agent[rec[0].StringOr("")] += rec[1].IntOr(0);
    if (Status s = RunQuery(tx, cypher::kStatsActive, Map{}, 1, &r); !s.ok()) return s;
    stats.active_executions = r.records.empty() ? 0 : r.records[0][0].IntOr(0);
    *out = std::move(stats);
    return Status::OK();
  });
}

Status Neo4jStore::CostByAgentSince(TimeMs since, std::map<std::string, double>* out) {
  Map p;
  p.Set("since", since);
  return driver_->ExecuteRead([&](Transaction& tx) -> Status {
    QueryResult r;
    if (Status s = RunQuery(tx, cypher::kCostByAgentSince, p, 2, &r); !s.ok()) return s;
    out->clear();
    for (const auto& rec : r.records) {
      const bolt::Value& cost = rec[1];
      (*out)[rec[0].StringOr("")] += cost.is_float() ? cost.as_float()
                                     : cost.is_int() ? static_cast<double>(cost.as_int())
                                                     : 0.0;
    }
    return Status::OK();
  });
}

Status Neo4jStore::GetMeta(const std::string& key, std::string* value) {
  Map p;
  p.Set("key", key);
  return driver_->ExecuteRead([&](Transaction& tx) -> Status {
    QueryResult r;
    if (Status s = RunQuery(tx, cypher::kGetMeta, p, 1, &r); !s.ok()) return s;
    if (r.records.empty()) return Status::NotFound("meta key " + key + " not set");
    *value = r.records[0][0].StringOr("");
    return Status::OK();
  });
}

Status Neo4jStore::SetMeta(const std::string& key, const std::string& value) {
  Map p;
  p.Set("key", key);
  p.Set("value", value);
  return driver_->ExecuteWrite([&](Transaction& tx) {
    QueryResult r;
    return RunQuery(tx, cypher::kSetMeta, p, 0, &r);
  });
}

Status Neo4jStore::UpdateMeta(const std::string& key, const MetaUpdate& update,
                              std::string* value) {
  Map p;
  p.Set("key", key);
  return driver_->ExecuteWrite([&](Transaction& tx) -> Status {
    QueryResult r;
    if (Status s = RunQuery(tx, cypher::kLockMeta, p, 1, &r); !s.ok()) return s;
    std::string old;
    const bool set = !r.records.empty() && !r.records[0].empty() && r.records[0][0].is_string();
    if (set) old = r.records[0][0].StringOr("");
    const std::string next = update(set ? &old : nullptr);
    Map w;
    w.Set("key", key);
    w.Set("value", next);
    QueryResult wr;
    if (Status s = RunQuery(tx, cypher::kWriteLockedMeta, w, 0, &wr); !s.ok()) return s;
    *value = next;
    return Status::OK();
  });
}

}  // namespace taskexec
