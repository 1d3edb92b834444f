// notion check, notion sync --once.
#include "cli/notion_commands.h"

#include <memory>

#include "notion/notion_commands.h"
#include "store/store_factory.h"

namespace taskexec {
namespace {

int RunNotionCheck(CliContext& ctx) {
  Config cfg;
  Status s = ctx.LoadConfig(&cfg);
  if (!s.ok()) return ctx.Fail(s);
  s = notion::NotionCheck(cfg, ctx.out());
  return s.ok() ? 0 : ctx.Fail(s);
}

int RunNotionSyncOnce(CliContext& ctx) {
  Config cfg;
  Status s = ctx.LoadConfig(&cfg);
  if (!s.ok()) return ctx.Fail(s);
  // Changes go through the store-only service (a running engine picks them
  // up from the store); the sync's own bookkeeping uses the store directly.
  std::unique_ptr<TaskService> service;
  s = ctx.OpenService(&service);
  if (!s.ok()) return ctx.Fail(s);
  std::unique_ptr<TaskStore> store;
  s = OpenStore(cfg, &store);
  if (!s.ok()) return ctx.Fail(s);
  s = notion::NotionSyncOnce(cfg, store.get(), service.get(), ctx.out());
  return s.ok() ? 0 : ctx.Fail(s);
}

}  // namespace

void RegisterNotionCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* notion = app.add_subcommand("notion", "Check or run the Notion board sync");
  notion->require_subcommand(1);
  CLI::App* check = notion->add_subcommand(
      "check", "Check the token, the database and the property mapping against its schema");
  check->callback([&ctx] { ctx.action = [&ctx] { return RunNotionCheck(ctx); }; });
  auto once = std::make_shared<bool>(false);
  CLI::App* sync = notion->add_subcommand(
      "sync", "Run one sync round: import cards, apply moved cards, write statuses and results");
  sync->add_flag("--once", *once, "Run one round and exit (required: the service runs the loop)")
      ->required();
  sync->callback([&ctx] { ctx.action = [&ctx] { return RunNotionSyncOnce(ctx); }; });
}

}  // namespace taskexec
