// Small pure helpers of the HTTP server, kept apart so they can be tested
// without sockets: constant-time token comparison and the Status -> HTTP
// mapping (listen-address parsing lives in core/listen_address.h).
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "core/listen_address.h"
#include "core/status.h"

namespace taskexec {

// Compares without an early exit, so response timing does not reveal how many
// leading bytes of a guessed token were right.
bool ConstantTimeEquals(const std::string& a, const std::string& b);

// HTTP status and error code ("not_found", ...) for a failed Status.
int HttpStatusFor(const Status& s);
const char* ErrorCodeFor(const Status& s);

}  // namespace taskexec
