// An attempt's CPU priority: its processes run `increment` nice levels
// below the service's (agent.nice), so that the service's own work (its
// dispatch, lease renewals, the HTTP API) is not queued behind the agents
// it runs when they keep every core busy. The agent's children inherit it.
//
// Only libc: taskexec-attempt links it statically.
// Thread-safety: both functions may be called from any thread.
#pragma once

#include <sys/types.h>

namespace taskexec {

// The nice value `increment` levels below the calling process's, at most
// 19 (the lowest priority). `increment` <= 0: the caller's own.
int NiceBelowOwn(int increment);

// Sets process `pid`'s (0: the caller's) nice value to `nice`. 0 on
// success, else the errno value (a process may lower its own or its
// children's priority without privileges, not raise it).
int SetNice(pid_t pid, int nice);

}  // namespace taskexec
