// Names the command a user mistyped. CLI11 answers `taskexec frobnicate`
// with "A subcommand is required", which hides the typo; UnknownCommand()
// walks the arguments as the parser would (options and their values
// skipped) and, where a word is no command of the group it follows, says
// which word and which commands there are.
//
// Thread-safety: pure over the parsed app.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace taskexec {

// "unknown command \"frob\" for \"taskexec task\"; commands: add, import,
// reply, show, update", or "" when every command word is known.
std::string UnknownCommand(CLI::App& app, int argc, const char* const* argv);

}  // namespace taskexec
