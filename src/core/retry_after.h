// HTTP's Retry-After value (RFC 9110 section 10.2.3): a number of seconds or
// an HTTP date (IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT").
//
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/clock.h"

namespace taskexec {

// How long from `now` the value asks to wait, in ms: the seconds given
// (fractions kept), or the date minus `now` (0 for a date already past).
// nullopt when the value is neither form.
std::optional<int64_t> RetryAfterDelayMs(std::string_view value, TimeMs now);

}  // namespace taskexec
