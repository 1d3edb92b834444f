#include "cli/date_arg.h"

#include <cctype>
#include <cstdint>

namespace taskexec {
namespace {

// "30d" -> 30 days in ms; false unless digits followed by one of s m h d.
bool ParseAge(const std::string& text, int64_t* ms) {
  if (text.size() < 2 || text.size() > 12) return false;
  int64_t n = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    n = n * 10 + (text[i] - '0');
  }
  int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1000;
      break;
    case 'm':
      unit = 60 * 1000;
      break;
    case 'h':
      unit = 3600 * 1000;
      break;
    case 'd':
      unit = 86400 * 1000;
      break;
    default:
      return false;
  }
  *ms = n * unit;
  return true;
}

bool IsDateOnly(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  return true;
}

}  // namespace

Status ParseTimeArg(const std::string& what, const std::string& text, TimeMs now, TimeMs* out) {
  int64_t age = 0;
  if (ParseAge(text, &age)) {
    if (age > now) return Status::InvalidArgument(what + ": \"" + text + "\" is before 1970");
    *out = now - age;
    return Status::OK();
  }
  const std::string iso = IsDateOnly(text) ? text + "T00:00:00Z" : text;
  if (ParseIso8601(iso, out) && *out > 0) return Status::OK();
  return Status::InvalidArgument(what + ": \"" + text +
                                 "\" is not a time (use an age like 30d, 12h, 45m, a UTC date "
                                 "like 2026-11-01, or 2026-11-01T08:00:00Z)");
}

}  // namespace taskexec
