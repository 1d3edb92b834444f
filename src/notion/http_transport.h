// HttpTransport: the one place the Notion client touches the network, behind
// an interface so tests can substitute a scripted transport. CurlTransport is
// the production implementation over libcurl.
//
// A transport reports only transport-level failures (DNS, connect, TLS,
// timeout) as a non-OK Status (Unavailable); any HTTP response, 4xx and 5xx
// included, is OK with the status code in HttpResponse.
//
// Thread-safety: Send may be called from many threads at once; CurlTransport
// uses one easy handle per call.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace taskexec::notion {

struct HttpRequest {
  std::string method;  // GET | POST | PATCH | DELETE
  std::string url;     // absolute
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int timeout_ms = 30000;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  // When Send fails: false only if no byte of the request left this machine
  // (no connection, DNS or TLS handshake failure), so repeating a write
  // cannot apply it twice. True when unknown (a timeout mid-request).
  bool request_sent = true;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual Status Send(const HttpRequest& request, HttpResponse* response) = 0;
};

class CurlTransport final : public HttpTransport {
 public:
  CurlTransport();
  Status Send(const HttpRequest& request, HttpResponse* response) override;
};

}  // namespace taskexec::notion
