// schema apply; the Neo4j probe of config check.
#include "cli/schema_command.h"

#include <string>
#include <vector>

#include "store/neo4j/neo4j_store.h"

namespace taskexec {
namespace {

int RunSchemaApply(CliContext& ctx) {
  Config cfg;
  if (Status s = ctx.LoadConfig(&cfg); !s.ok()) return ctx.Fail(s);
  if (cfg.neo4j.uri.empty()) {
    return ctx.Fail(Status::InvalidArgument(
        "schema apply needs a Neo4j server: set NEO4J_URI (or [neo4j] uri); the SQLite "
        "backend applies its schema itself when it opens"));
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
  CLI::App* schema = app.add_subcommand("schema", "Manage the Neo4j schema");
  schema->require_subcommand(1);
  CLI::App* apply = schema->add_subcommand(
      "apply", "Create the Neo4j constraints and indexes (idempotent; also done at start)");
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

}  // namespace taskexec
