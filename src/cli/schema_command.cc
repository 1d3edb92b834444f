// schema apply; the Neo4j and PostgreSQL probes of config check.
#include "cli/schema_command.h"

#include <string>
#include <vector>

#include "config/conninfo.h"
#include "store/neo4j/neo4j_store.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/pg_store.h"
#include "store/store_factory.h"

namespace taskexec {
namespace {

int RunSchemaApply(CliContext& ctx) {
  Config cfg;
  if (Status s = ctx.LoadConfig(&cfg); !s.ok()) return ctx.Fail(s);
  if (cfg.store.backend == "postgres") {
    // Opening migrates, under the advisory lock every service takes.
    std::unique_ptr<PgStore> store;
    if (Status s = PgStore::Open(PgStore::OptionsFrom(cfg), &store); !s.ok()) return ctx.Fail(s);
    int version = 0;
    if (Status s = store->SchemaVersion(&version); !s.ok()) return ctx.Fail(s);
    ctx.out() << "schema: ok (postgres schema version " << version << ", "
              << RedactConnInfo(cfg.postgres.url) << ")\n";
    return 0;
  }
  if (cfg.neo4j.uri.empty()) {
    return ctx.Fail(Status::InvalidArgument(
        "schema apply needs a Neo4j server (set NEO4J_URI or [neo4j] uri) or store.backend = "
        "\"postgres\"; the SQLite backend applies its schema itself when it opens"));
  }
  std::vector<std::string> applied;
  Status s = ApplySchema(cfg.neo4j, &applied);
  for (const auto& name : applied) ctx.out() << "applied: " << name << "\n";
  if (!s.ok()) return ctx.Fail(s);
  ctx.out() << "schema: ok (" << applied.size() << " constraints and indexes, " << cfg.neo4j.uri
            << ")\n";
  return 0;
}

}  // namespace

void RegisterSchemaCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* schema = app.add_subcommand("schema", "Manage the PostgreSQL or Neo4j schema");
  schema->require_subcommand(1);
  CLI::App* apply = schema->add_subcommand(
      "apply",
      "Apply the PostgreSQL migrations, or create the Neo4j constraints and indexes "
      "(idempotent; also done at start)");
  apply->callback([&ctx] { ctx.action = [&ctx] { return RunSchemaApply(ctx); }; });
}

Status CheckNeo4jServer(const Config& cfg, TaskStore* store, std::ostream& out) {
  if (cfg.neo4j.uri.empty()) return Status::OK();
  bolt::ServerInfo info;
  if (auto* neo = dynamic_cast<Neo4jStore*>(store); neo != nullptr) {
    info = neo->server_info();  // the store's open already connected: no second driver
  } else if (Status s = CheckNeo4jConnection(cfg.neo4j, &info); !s.ok()) {
    return s;
  }
  out << "neo4j: " << info.agent << " over Bolt " << info.version.ToString() << " at "
      << info.address << "\n";
  return Status::OK();
}

Status CheckPostgresServer(const Config& cfg, TaskStore* store, std::ostream& out) {
  auto* pg = dynamic_cast<PgStore*>(store);
  if (pg == nullptr) return Status::OK();
  std::string server;
  int version = 0;
  if (Status s = pg->ServerVersion(&server); !s.ok()) return s;
  if (Status s = pg->SchemaVersion(&version); !s.ok()) return s;
  out << "postgres: PostgreSQL " << server << " at " << RedactConnInfo(cfg.postgres.url)
      << ", schema version " << version << " of " << pg::LatestSchemaVersion() << "\n";
  return Status::OK();
}

}  // namespace taskexec
