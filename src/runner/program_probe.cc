#include "runner/program_probe.h"

#include <stdlib.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/json_read.h"
#include "runner/process_supervisor.h"

namespace taskexec {
namespace {

std::string FirstLine(const std::string& text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "";
  size_t end = text.find_first_of("\r\n", start);
  std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (line.size() > 200) line.resize(200);
  return line;
}

// Runs `argv` as an attempt would (the agent's environment, a private
// working folder removed afterwards, its own group, a deadline).
Status RunProbe(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                int64_t timeout_ms, ProcessResult* out) {
  // A private folder as the working directory, removed afterwards, so a
  // program that treats the probe as work leaves nothing behind.
  namespace fs = std::filesystem;
  std::string dir_template = (fs::temp_directory_path() / "taskexec-probe-XXXXXX").string();
  if (mkdtemp(dir_template.data()) == nullptr) {
    return Status::IOError("cannot create a temporary folder to probe the agent program");
  }
  const fs::path dir = dir_template;
  ProcessSpec spec;
  spec.argv = argv;
  spec.env = env;
  spec.cwd = dir.string();
  spec.log_path = (dir / "probe.log").string();
  spec.timeout_ms = timeout_ms;
  spec.kill_grace_ms = 1000;
  Status started;
  {
    ProcessSupervisor supervisor;
    started = RunToExit(&supervisor, spec, out);
    supervisor.Shutdown(1000);
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return started;
}

// The `openclaw` preset sends every turn through the Gateway: without one
// each task fails at once, so `config check` asks `openclaw health --json`.
Status ProbeGateway(const std::string& exe, const std::vector<std::string>& env, int64_t timeout_ms,
                    ProgramProbe* out) {
  ProcessResult r;
  if (Status s = RunProbe({exe, "health", "--json", "--timeout", std::to_string(timeout_ms / 2)},
                          env, timeout_ms, &r);
      !s.ok()) {
    return s;
  }
  const nlohmann::json j = nlohmann::json::parse(r.stdout_tail, nullptr, false);
  const bool ok = r.exit_code == 0 && JsonBool(j, "ok");
  if (ok) {
    out->gateway = "reachable";
    return Status::OK();
  }
  std::string why;
  if (j.is_object() && j.contains("error")) why = FirstLine(JsonString(j["error"], "message"));
  if (why.empty()) why = FirstLine(r.stderr_tail.empty() ? r.stdout_tail : r.stderr_tail);
  if (r.timed_out) why = "no answer within " + std::to_string(timeout_ms / 1000) + " s";
  return Status::Unavailable(
      "agent.preset \"openclaw\" runs every turn through the OpenClaw Gateway, and `" + exe +
      " health` cannot reach it (" + (why.empty() ? "no reason given" : why) +
      "). Start one (`openclaw gateway run`) and give the CLI its address and token (gateway.* "
      "in openclaw.json), or use agent.preset = \"openclaw-local\" (the default: no Gateway)");
}

}  // namespace

Status ProbeAgentProgram(const std::vector<std::string>& command,
                         const std::vector<std::string>& env, const std::string& preset,
                         int64_t timeout_ms, ProgramProbe* out) {
  if (command.empty()) return Status::InvalidArgument("agent command: the array is empty");
  std::string exe;
  if (Status s = ResolveProgram(command[0], env, &exe); !s.ok()) return s;
  out->path = exe;
  ProcessResult r;
  if (Status s = RunProbe({exe, "--version"}, env, timeout_ms, &r); !s.ok()) return s;
  const std::string line = FirstLine(r.stdout_tail.empty() ? r.stderr_tail : r.stdout_tail);
  if (r.timed_out) {
    out->version = "no answer to --version within " + std::to_string(timeout_ms / 1000) + " s";
  } else if (r.exit_code == 0) {
    out->version = line.empty() ? "(no version printed)" : line;
  } else {
    out->version = "--version " +
                   (r.exit_code ? "exited " + std::to_string(*r.exit_code) : "was killed") +
                   (line.empty() ? "" : ": " + line);
  }
  if (preset == "seed" && r.exit_code == 0 && line.find("OpenClaw") != std::string::npos) {
    return Status::InvalidArgument(
        "agent.preset \"seed\" runs `" + exe + " sessions_spawn ...`, but " + exe + " is " + line +
        ", which has no sessions_spawn subcommand (it is a tool agents call inside a session). "
        "Use agent.preset = \"openclaw-local\" (the default: the routed agent, embedded), "
        "\"openclaw\" (through the Gateway) or \"openclaw-exec\" (embedded, default agent), "
        "or put a wrapper that provides sessions_spawn first on the agent's PATH");
  }
  if (preset == "openclaw") return ProbeGateway(exe, env, timeout_ms, out);
  return Status::OK();
}

}  // namespace taskexec
