// The attempt zygote: `taskexec-attempt --zygote`, started once by a service
// (runner/attempt_zygote.h is the service's side), makes each per-attempt
// supervisor as a copy of itself instead of a new exec: a clone of a small
// process that has already started costs a fraction of an exec of
// taskexec-attempt (its loading, its C library's start-up, which in a VM
// traps on every CPUID), and the service's thread no longer waits for an
// exec from a process with the service's descriptor table.
//
// Each copy is made with CLONE_PARENT, so it is the service's child exactly
// as an exec'd supervisor would be: the service waits for it, reads its
// status and signals its group; when the service dies it outlives it the
// same way. The copy leads its own process group, has the request's
// descriptors as 0..5 and nothing else, the request's working directory and
// environment, an empty signal mask and default dispositions, then runs the
// supervisor's main with the request's arguments.
//
// The zygote reads requests from `socket_fd` (runner/zygote_protocol.h) and
// ends when the service closes it.
#pragma once

namespace taskexec {

using AttemptMain = int (*)(int argc, char** argv);

// Serves requests until the socket ends; returns the process's exit code.
int RunZygote(int socket_fd, AttemptMain attempt_main);

}  // namespace taskexec
