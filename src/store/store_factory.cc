#include "store/store_factory.h"

#include <atomic>

#include "store/sqlite/sqlite_store.h"

namespace taskexec {
namespace {

std::atomic<Neo4jStoreOpener> g_neo4j_opener{nullptr};
std::atomic<Neo4jSchemaApplier> g_neo4j_schema_applier{nullptr};
std::atomic<PostgresStoreOpener> g_postgres_opener{nullptr};

}  // namespace

void SetNeo4jStoreOpener(Neo4jStoreOpener opener) { g_neo4j_opener.store(opener); }

void SetNeo4jSchemaApplier(Neo4jSchemaApplier applier) { g_neo4j_schema_applier.store(applier); }

void SetPostgresStoreOpener(PostgresStoreOpener opener) { g_postgres_opener.store(opener); }

Status OpenStore(const Config& cfg, std::unique_ptr<TaskStore>* out) {
  const std::string& backend = cfg.store.backend;
  if (backend == "sqlite") {
    std::unique_ptr<SqliteStore> store;
    Status s = SqliteStore::Open(cfg.store.db_path, cfg.store, &store);
    if (!s.ok()) return s;
    *out = std::move(store);
    return Status::OK();
  }
  if (backend == "postgres") {
    PostgresStoreOpener opener = g_postgres_opener.load();
    if (opener == nullptr) return Status::InvalidArgument("postgres backend not built in");
    return opener(cfg, out);
  }
  if (backend == "neo4j") {
    Neo4jStoreOpener opener = g_neo4j_opener.load();
    if (opener == nullptr) return Status::InvalidArgument("neo4j backend not built in");
    return opener(cfg, out);
  }
  return Status::InvalidArgument("unknown store backend \"" + backend +
                                 "\"; expected sqlite, postgres or neo4j");
}

Status OpenStoreAndApplySchema(const Config& cfg, std::unique_ptr<TaskStore>* out) {
  std::unique_ptr<TaskStore> store;
  if (Status s = OpenStore(cfg, &store); !s.ok()) return s;
  if (cfg.store.backend == "neo4j") {
    Neo4jSchemaApplier applier = g_neo4j_schema_applier.load();
    if (applier == nullptr) return Status::InvalidArgument("neo4j schema applier not installed");
    if (Status s = applier(*store); !s.ok()) return s;
  }
  *out = std::move(store);
  return Status::OK();
}

}  // namespace taskexec
