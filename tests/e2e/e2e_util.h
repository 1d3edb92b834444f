// Helpers for end-to-end tests that drive the real `taskexec` binary: run a
// CLI command and capture its output, start and kill a service, poll until a
// condition holds.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace taskexec::e2e {

// Paths from the environment CTest sets (TASKEXEC_SOURCE_DIR/BINARY_DIR).
std::string SourceDir();
std::string BinaryDir();
std::string TaskexecBinary();

struct CommandResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;
  std::string err;
};

// Runs argv (no shell) with `env` added to the environment and `stdin_data`
// on standard input; waits for it.
CommandResult Run(const std::vector<std::string>& argv,
                  const std::map<std::string, std::string>& env = {},
                  const std::string& stdin_data = "");

// `taskexec <args...> --config <config>`.
CommandResult Cli(const std::string& config, std::vector<std::string> args);

// A `taskexec serve` process with its output in `log_path`.
class Service {
 public:
  Service(std::string config, std::string log_path, std::map<std::string, std::string> env = {});
  ~Service();  // SIGKILLs a still-running service
  // Runs the service through `prefix` (a program that execs the rest, as
  // prlimit does), so its pid stays the service's.
  void SetPrefix(std::vector<std::string> prefix) { prefix_ = std::move(prefix); }
  void Start();
  void Kill9();
  int Terminate();  // SIGTERM, wait, exit code
  pid_t pid() const { return pid_; }

 private:
  std::string config_;
  std::string log_path_;
  std::map<std::string, std::string> env_;
  std::vector<std::string> prefix_;
  pid_t pid_ = -1;
};

// Polls `done` every 20 ms until it holds or `seconds` pass.
bool WaitFor(const std::function<bool()>& done, int seconds);

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& data);
// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

// Every process whose environment has TASKEXEC_EXECUTION_ID=<id>: what is
// left of an attempt, however its processes detached or re-spawned.
std::vector<pid_t> ProcessesOfAttempt(const std::string& execution_id);

// A fresh directory under the system temp dir.
std::string MakeTempDir(const std::string& name);

}  // namespace taskexec::e2e
