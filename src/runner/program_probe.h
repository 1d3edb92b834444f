// ProbeAgentProgram: what `taskexec config check` says about the agent
// program before any task runs: where the agent's PATH finds it and what it
// answers to `--version`, run as an attempt would be (the agent's
// environment, its own process group, a deadline).
//
// A program that cannot be found or run is an error (NotFound or
// InvalidArgument, naming the program and the PATH searched). One that runs
// but does not answer in time, or exits non-zero, is reported in `version`
// and is not an error: wrappers need not know `--version`.
//
// The `openclaw` preset needs a running Gateway: its probe also runs
// `openclaw health --json` and fails (Unavailable) when the Gateway cannot be
// reached, saying why and what to do.
//
// The `seed` preset's program is special: OpenClaw itself has no
// `sessions_spawn` subcommand, so when the program found for the seed preset
// says it is OpenClaw, the probe fails with the presets to use instead.
//
// Thread-safety: a plain function; it runs its own supervisor.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace taskexec {

struct ProgramProbe {
  std::string path;     // the program as resolved
  std::string version;  // its first line of output to --version, or what happened
  std::string gateway;  // "reachable" when the preset needs the OpenClaw Gateway; else ""
};

// `command`: the agent command template (argv[0] is the program); `env`: the
// agent's environment ("K=V", as AgentEnvironment gives it); `preset`: the
// configured preset name when no explicit command is set ("" otherwise).
Status ProbeAgentProgram(const std::vector<std::string>& command,
                         const std::vector<std::string>& env, const std::string& preset,
                         int64_t timeout_ms, ProgramProbe* out);

}  // namespace taskexec
