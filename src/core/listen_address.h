// The service's listen address ("host:port", "[v6]:port") and the loopback
// rule: serving without a bearer token is allowed only where no other machine
// can connect. Shared by config validation and the HTTP server so the two
// can never disagree on what counts as loopback.
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

}  // namespace taskexec
