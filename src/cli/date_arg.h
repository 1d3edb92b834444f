// Reading a point in time from the command line (`prune --finished-before`).
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "core/clock.h"
#include "core/status.h"

namespace taskexec {

// Accepts an age before `now` ("30d", "12h", "45m", "90s"), a UTC date
// ("2026-11-01" = its midnight) or an ISO-8601 time with a zone
// ("2026-11-01T08:00:00Z", "...+02:00"). InvalidArgument names `what` and
// the accepted forms otherwise.
Status ParseTimeArg(const std::string& what, const std::string& text, TimeMs now, TimeMs* out);

}  // namespace taskexec
