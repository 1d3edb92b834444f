// Small pure helpers of the HTTP server, kept apart so they can be tested
// without sockets: listen-address parsing, the loopback rule for auth,
// constant-time token comparison and the Status -> HTTP mapping.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "core/status.h"

namespace taskexec {

struct ListenAddress {
  std::string host;  // without brackets for IPv6 ("::1")
  int port = 0;      // 0 = any free port
};

// Parses "host:port" or "[v6addr]:port". InvalidArgument naming the value.
Status ParseListenAddress(const std::string& listen, ListenAddress* out);

// True for 127.0.0.0/8, ::1 and "localhost": addresses only this machine can
// reach, where serving without a token is allowed.
bool IsLoopbackHost(const std::string& host);

// Compares without an early exit, so response timing does not reveal how many
// leading bytes of a guessed token were right.
bool ConstantTimeEquals(const std::string& a, const std::string& b);

// HTTP status and error code ("not_found", ...) for a failed Status.
int HttpStatusFor(const Status& s);
const char* ErrorCodeFor(const Status& s);

}  // namespace taskexec
