// OpenStore: picks and opens the TaskStore backend named by the config.
//
// Thread-safety: OpenStore may be called from any thread; the returned store
// documents its own thread-safety (all backends are safe from any thread).
#pragma once

#include <memory>

#include "config/config.h"
#include "core/status.h"
#include "store/task_store.h"

namespace taskexec {

// Opens cfg.store.backend: "sqlite" (cfg.store.db_path), "postgres"
// (cfg.postgres) or "neo4j" (cfg.neo4j). InvalidArgument for an unknown
// backend or one not built in.
Status OpenStore(const Config& cfg, std::unique_ptr<TaskStore>* out);

// The hook the Neo4j backend installs (store/neo4j), so this library does not
// depend on the Bolt client. While it is unset, backend "neo4j" fails with
// InvalidArgument("neo4j backend not built in").
using Neo4jStoreOpener = Status (*)(const Config& cfg, std::unique_ptr<TaskStore>* out);
void SetNeo4jStoreOpener(Neo4jStoreOpener opener);

// The hook the PostgreSQL backend installs (store/postgres,
// RegisterPostgresStore), which depends on this library; while it is unset,
// backend "postgres" fails with InvalidArgument.
using PostgresStoreOpener = Status (*)(const Config& cfg, std::unique_ptr<TaskStore>* out);
void SetPostgresStoreOpener(PostgresStoreOpener opener);

// OpenStore, then for Neo4j the constraints and indexes (docs/neo4j.md): for
// the service start (`serve`). OpenStore itself leaves the Neo4j schema
// alone, so CLI commands skip those round trips and work for a user without
// schema privileges. (SQLite migrates its own file on every open.)
Status OpenStoreAndApplySchema(const Config& cfg, std::unique_ptr<TaskStore>* out);

// The Neo4j backend's second hook, installed with the opener: applies the
// schema over a store its opener returned.
using Neo4jSchemaApplier = Status (*)(TaskStore& store);
void SetNeo4jSchemaApplier(Neo4jSchemaApplier applier);

}  // namespace taskexec
