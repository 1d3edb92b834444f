// RunCli: parses a `taskexec` command line and runs the chosen subcommand.
// See docs/cli.md for the commands.
//
// Exit codes: 0 ok, 1 the operation failed (message on ctx.err()), 2 usage
// error. Never throws: unexpected exceptions become exit 1 with a message.
//
// Thread-safety: one call at a time per CliContext.
#pragma once

#include "cli/cli_context.h"

namespace taskexec {

int RunCli(int argc, const char* const* argv, CliContext& ctx);

}  // namespace taskexec
