#include "core/listen_address.h"

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

}  // namespace taskexec
