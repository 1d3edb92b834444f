// serve, config check, config show.
#include <memory>

#include "cli/commands.h"

namespace taskexec {
namespace {

int RunServe(CliContext& ctx) {
  Config cfg;
  Status s = ctx.LoadConfig(&cfg);
  if (!s.ok()) return ctx.Fail(s);
  if (!ctx.deps().run_service) return ctx.Fail(Status::Internal("no service runner"));
  return ctx.deps().run_service(cfg);
}

int RunConfigCheck(CliContext& ctx) {
  Config cfg;
  Status s = ctx.LoadConfig(&cfg);
  if (!s.ok()) return ctx.Fail(s);
  if (!ctx.deps().check_config) return ctx.Fail(Status::Internal("no config checker"));
  s = ctx.deps().check_config(cfg, ctx.out());
  if (!s.ok()) return ctx.Fail(s);
  return 0;
}

int RunConfigShow(CliContext& ctx, bool show_secrets) {
  Config cfg;
  Status s = ctx.LoadConfig(&cfg);
  if (!s.ok()) return ctx.Fail(s);
  if (!ctx.deps().describe_config) return ctx.Fail(Status::Internal("no config printer"));
  ctx.out() << ctx.deps().describe_config(cfg, !show_secrets);
  return 0;
}

}  // namespace

void RegisterServiceCommands(CLI::App& app, CliContext& ctx) {
  auto listen = std::make_shared<std::string>();
  CLI::App* serve =
      app.add_subcommand("serve", "Run the engine, the HTTP API and the Notion sync until stopped");
  CLI::Option* listen_option = serve->add_option(
      "--listen", *listen,
      "HTTP listen address HOST:PORT (overrides server.listen); \"\" = no HTTP server");
  serve->callback([&ctx, listen, listen_option] {
    // Given, even empty: an empty address turns the server off, as an empty
    // server.listen does (a second service on the same host).
    if (listen_option->count() > 0) ctx.overrides["server.listen"] = *listen;
    ctx.action = [&ctx] { return RunServe(ctx); };
  });

  CLI::App* config = app.add_subcommand("config", "Check or show the configuration");
  config->require_subcommand(1);
  CLI::App* check = config->add_subcommand(
      "check", "Validate the configuration and probe the store, agent and integrations");
  check->callback([&ctx] { ctx.action = [&ctx] { return RunConfigCheck(ctx); }; });
  auto secrets = std::make_shared<bool>(false);
  CLI::App* show = config->add_subcommand("show", "Print the effective configuration");
  show->add_flag("--show-secrets", *secrets, "Do not redact tokens and passwords");
  show->callback(
      [&ctx, secrets] { ctx.action = [&ctx, secrets] { return RunConfigShow(ctx, *secrets); }; });
}

}  // namespace taskexec
