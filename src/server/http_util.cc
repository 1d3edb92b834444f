#include "server/http_util.h"

#include <arpa/inet.h>

#include <charconv>

namespace taskexec {

Status ParseListenAddress(const std::string& listen, ListenAddress* out) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("server.listen: \"" + listen + "\" " + why +
                                   "; expected host:port or [ipv6]:port");
  };
  std::string host;
  std::string port;
  if (!listen.empty() && listen[0] == '[') {
    size_t close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return bad("is malformed");
    }
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos) return bad("has no port");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
    if (host.find(':') != std::string::npos) return bad("needs brackets around an IPv6 address");
  }
  if (host.empty()) return bad("has no host");
  int value = -1;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value < 0 ||
      value > 65535) {
    return bad("has an invalid port");
  }
  out->host = host;
  out->port = value;
  return Status::OK();
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

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
    case Status::Code::kUnavailable:
      return 503;
    case Status::Code::kIOError:
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
      return "unavailable";
    case Status::Code::kIOError:
    case Status::Code::kCorruption:
    case Status::Code::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace taskexec
