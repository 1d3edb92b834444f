// `taskexec notion check` and `taskexec notion sync --once`. Needs te_notion
// and te_store, so it is registered from main.cc via ctx.extra_groups (see
// cli/commands.h), not among the built-in groups.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace taskexec {

void RegisterNotionCommands(CLI::App& app, CliContext& ctx);

}  // namespace taskexec
