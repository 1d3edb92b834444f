// The `taskexec` subcommand groups, one registrar (and one .cc file) each.
//
// A registrar adds its subcommands to the app with CLI11. Each subcommand's
// parse callback only stores what to run in `ctx.action`; RunCli runs it
// after the whole command line is parsed (global options may follow the
// subcommand). The action returns the exit code: 0 ok, 1 failed (via
// ctx.Fail, which prints "taskexec: error: ..."). Usage errors are CLI11's
// and exit 2.
//
// Adding a group (e.g. `notion check` / `notion sync --once`, `schema apply`):
//   1. Write src/cli/<group>_commands.cc defining
//        void Register<Group>Commands(CLI::App& app, CliContext& ctx);
//      and declare it below. Use ctx.LoadConfig() for the Config and
//      ctx.Fail()/ctx.PrintJson() for output, like the existing groups.
//   2. If the group only needs te_core/te_config/TaskService, add it to
//      RegisterBuiltinCommands (cli.cc) and to te_cli's sources.
//      If it needs another module (te_notion, te_store's Neo4j backend),
//      add the .cc to the `taskexec` executable's sources instead, link
//      that module there, and push the registrar onto ctx.extra_groups in
//      main.cc, so te_cli and cli_test stay free of it.
//   3. Test it in tests/cli/ with RunCli against a CliContext of fakes.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace taskexec {

// serve, config check, config show
void RegisterServiceCommands(CLI::App& app, CliContext& ctx);
// task add, task show, task reply, tasks, execute, cancel
void RegisterTaskCommands(CLI::App& app, CliContext& ctx);
// `task import` (import_command.cc), under the `task` group.
void AddTaskImportCommand(CLI::App& task, CliContext& ctx);
// `task update` (task_update_command.cc), under the `task` group.
void AddTaskUpdateCommand(CLI::App& task, CliContext& ctx);
// `task wait` (task_wait_command.cc), under the `task` group.
void AddTaskWaitCommand(CLI::App& task, CliContext& ctx);
// status
void RegisterStatusCommands(CLI::App& app, CliContext& ctx);
// logs (logs_command.cc)
void RegisterLogsCommand(CLI::App& app, CliContext& ctx);
// route
void RegisterRouteCommands(CLI::App& app, CliContext& ctx);

// prune
void RegisterPruneCommand(CLI::App& app, CliContext& ctx);
// agents, agent resume
void RegisterAgentCommands(CLI::App& app, CliContext& ctx);
// workspace list, workspace gc
void RegisterWorkspaceCommands(CLI::App& app, CliContext& ctx);

// A check for counts (--limit): "must be 0 or more, got -1" rather than
// CLI11's range message with a 300-digit bound.
CLI::Validator NonNegativeCount();

// All of the above, in help order.
void RegisterBuiltinCommands(CLI::App& app, CliContext& ctx);

}  // namespace taskexec
