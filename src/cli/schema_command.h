// `taskexec schema apply` and the Neo4j and PostgreSQL parts of `taskexec
// config check`.
#pragma once

#include <ostream>

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"
#include "config/config.h"
#include "store/task_store.h"

namespace taskexec {

// schema apply: brings the PostgreSQL schema up to date (store.backend =
// postgres), or creates the Neo4j constraints and indexes; idempotent.
void RegisterSchemaCommands(CLI::App& app, CliContext& ctx);

// When the config names a Neo4j server (store.backend = neo4j or
// NEO4J_URI set): prints the server agent, the negotiated Bolt version and
// the address. `store` is the store config check opened, if any: when it is
// the Neo4j store, its connection already proved the server and is reported;
// otherwise this connects. Does nothing without a Neo4j server.
Status CheckNeo4jServer(const Config& cfg, TaskStore* store, std::ostream& out);

// When `store` is the PostgreSQL store: prints the server's version, where
// it is (the URL without its password) and the schema version.
Status CheckPostgresServer(const Config& cfg, TaskStore* store, std::ostream& out);

}  // namespace taskexec
