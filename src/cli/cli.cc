#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <exception>

#include "cli/commands.h"
#include "cli/unknown_command.h"

namespace taskexec {

CLI::Validator NonNegativeCount() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (!value.empty() && value[0] == '-') return "must be 0 or more, got " + value;
        return std::string();
      },
      "N>=0");
}

void RegisterBuiltinCommands(CLI::App& app, CliContext& ctx) {
  RegisterTaskCommands(app, ctx);
  RegisterStatusCommands(app, ctx);
  RegisterLogsCommand(app, ctx);
  RegisterRouteCommands(app, ctx);
  RegisterPruneCommand(app, ctx);
  RegisterAgentCommands(app, ctx);
  RegisterWorkspaceCommands(app, ctx);
  RegisterServiceCommands(app, ctx);
}

namespace {

// The app's own options as help text lines, so a subcommand's --help also
// shows the global ones (which may follow the subcommand).
std::string GlobalOptionsFooter(const CLI::App& app) {
  std::string text = "GLOBAL OPTIONS (before or after the command):\n";
  for (const CLI::Option* opt : app.get_options()) {
    std::string name = opt->get_name(false, true);
    if (name.find("--help") != std::string::npos) continue;
    if (!opt->get_type_name().empty() && opt->get_type_size() != 0)
      name += " " + opt->get_type_name();
    text += "  " + name + std::string(name.size() < 28 ? 28 - name.size() : 1, ' ') +
            opt->get_description() + "\n";
  }
  return text;
}

void SetFooterBelow(CLI::App* app, const std::string& footer) {
  for (CLI::App* sub : app->get_subcommands({})) {
    sub->footer(footer);
    SetFooterBelow(sub, footer);
  }
}

}  // namespace

int RunCli(int argc, const char* const* argv, CliContext& ctx) {
  try {
    CLI::App app{"taskexec: runs tasks from the CLI, the HTTP API and Notion on AI agents"};
    app.name("taskexec");
    app.require_subcommand(1);
    // Global options may also follow the subcommand; subcommands created
    // below inherit this.
    app.fallthrough();
    app.add_option("--config", ctx.options.config_path,
                   "TOML configuration file (default: $TASKEXEC_CONFIG)");
    app.add_option("--db", ctx.options.db_path, "SQLite database path (overrides store.db_path)");
    app.add_option("--set", ctx.options.sets,
                   "Override a configuration key: key=value (repeatable)")
        ->check(
            [](const std::string& kv) -> std::string {
              size_t eq = kv.find('=');
              return eq == std::string::npos || eq == 0 ? "expected key=value, got \"" + kv + "\""
                                                        : std::string();
            },
            "KEY=VALUE");
    app.add_flag("--json", ctx.options.json, "Print JSON instead of tables");
    app.set_version_flag("--version", std::string("taskexec ") + TASKEXEC_VERSION,
                         "Print the version and exit");

    RegisterBuiltinCommands(app, ctx);
    for (const CommandRegistrar& group : ctx.extra_groups) group(app, ctx);
    SetFooterBelow(&app, GlobalOptionsFooter(app));

    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      // A mistyped command word: name it rather than "a subcommand is required".
      if (e.get_exit_code() != 0) {
        const std::string unknown = UnknownCommand(app, argc, argv);
        if (!unknown.empty()) {
          ctx.err() << "taskexec: error: " << unknown
                    << "\nRun with --help for more information.\n";
          return 2;
        }
      }
      int code = app.exit(e, ctx.out(), ctx.err());
      return code == 0 ? 0 : 2;
    }
    if (!ctx.action) {
      ctx.err() << app.help();
      return 2;
    }
    return ctx.action();
  } catch (const std::exception& e) {
    ctx.err() << "taskexec: error: " << e.what() << '\n';
    return 1;
  } catch (...) {
    ctx.err() << "taskexec: error: unknown exception\n";
    return 1;
  }
}

}  // namespace taskexec
