#include "core/retry_after.h"

#include <time.h>

#include <ctime>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace taskexec {

std::optional<int64_t> RetryAfterDelayMs(std::string_view value, TimeMs now) {
  const size_t b = value.find_first_not_of(" \t");
  if (b == std::string_view::npos) return std::nullopt;
  const size_t e = value.find_last_not_of(" \t\r\n");
  const std::string text(value.substr(b, e - b + 1));
  char* end = nullptr;
  const double secs = std::strtod(text.c_str(), &end);
  if (end != text.c_str() && *end == '\0') {
    if (!(secs >= 0) || secs > 1e9) return std::nullopt;  // negative, NaN or absurd
    return static_cast<int64_t>(secs * 1000.0);
  }
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (rest == nullptr || *rest != '\0') return std::nullopt;
  const TimeMs at = static_cast<TimeMs>(timegm(&tm)) * 1000;
  return std::max<int64_t>(0, at - now);
}

}  // namespace taskexec
