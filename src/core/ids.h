// Identifier generation. Ids are "<prefix>-<uuid v4>", random from the OS
// so two executors on different machines never collide.
//
// Thread-safety: safe from any thread.
#pragma once

#include <string>

namespace taskexec {

std::string NewUuid();                         // RFC 4122 v4, lower-case
std::string NewId(const std::string& prefix);  // "task-…", "exec-…", "art-…"
// A short, unique name for this executor process: "<host>-<pid>-<random>".
std::string NewExecutorId();

}  // namespace taskexec
