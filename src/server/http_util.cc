#include "server/http_util.h"

namespace taskexec {

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  // Walk the longer length always; a length mismatch still fails.
  size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

int HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk:
      return 200;
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kInvalidArgument:
      return 400;
    case Status::Code::kConflict:
      return 409;
    // An I/O error is the store refusing a write (a full disk, a read-only
    // file system): it passes, and the request may be sent again.
    case Status::Code::kUnavailable:
    case Status::Code::kIOError:
      return 503;
    case Status::Code::kCorruption:
    case Status::Code::kInternal:
      return 500;
  }
  return 500;
}

const char* ErrorCodeFor(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk:
      return "ok";
    case Status::Code::kNotFound:
      return "not_found";
    case Status::Code::kInvalidArgument:
      return "invalid_argument";
    case Status::Code::kConflict:
      return "conflict";
    case Status::Code::kUnavailable:
    case Status::Code::kIOError:
      return "unavailable";
    case Status::Code::kCorruption:
    case Status::Code::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace taskexec
