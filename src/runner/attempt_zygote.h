// AttemptZygote: the service's side of `taskexec-attempt --zygote`
// (runner/zygote_server.h), which makes each per-attempt supervisor as a
// copy of itself, a child of this process, instead of this process
// spawning and exec'ing taskexec-attempt for every attempt.
//
// The zygote leads its own process group (a terminal's Ctrl-C is the
// service's to handle), holds nothing of this process but its socket, and
// its environment is only the room for the marker (no secret of the
// service's). It ends when this object closes the socket, or when this
// process dies.
//
// Thread-safety: Spawn may be called from any thread; calls are serialised
// (one request on the socket at a time).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "core/thread_annotations.h"

namespace taskexec {

class AttemptZygote {
 public:
  // What the new supervisor gets: `argv` as taskexec-attempt's (argv[0]
  // included), `env`, `cwd`, and the descriptors that become its 0..5
  // (`stdin_fd` < 0: /dev/null; `scope_fd` < 0: none). `marker` is the
  // environment entry /proc/<pid>/environ shows for it.
  struct Request {
    std::vector<std::string> argv;
    std::vector<std::string> env;
    std::string cwd;
    std::string marker;
    int stdin_fd = -1;
    int stdout_fd = -1;
    int stderr_fd = -1;
    int log_fd = -1;
    int go_fd = -1;
    int scope_fd = -1;
    int held_fd = -1;  // the supervisor's 6, kept open while it lives
  };

  // Starts `shim --zygote`; null (and *why) when it cannot.
  static std::unique_ptr<AttemptZygote> Start(const std::string& shim, std::string* why);

  // Closes the socket, which ends the zygote, and reaps it. The supervisors
  // it made are this process's children and go on.
  ~AttemptZygote();
  AttemptZygote(const AttemptZygote&) = delete;
  AttemptZygote& operator=(const AttemptZygote&) = delete;

  // True when `request` fits one message and its marker fits the room.
  static bool Fits(const Request& request);

  // How a Spawn ended.
  enum class Outcome {
    kStarted,      // *pid is the new supervisor, a child of this process
    kRefused,      // the zygote could not make it; *error says why
    kNotSent,      // the zygote is gone and never saw the request
    kLostInFlight  // the zygote is gone or silent after the request: a copy
                   // may exist, holding the request's descriptors
  };
  // After kNotSent or kLostInFlight this zygote is of no more use.
  Outcome Spawn(const Request& request, pid_t* pid, int* error);

  pid_t pid() const { return pid_; }

 private:
  AttemptZygote(pid_t pid, int socket_fd) : pid_(pid), socket_fd_(socket_fd) {}

  const pid_t pid_;
  Mutex mu_;
  int socket_fd_ GUARDED_BY(mu_);
};

}  // namespace taskexec
