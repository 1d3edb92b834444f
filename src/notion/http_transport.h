// HttpTransport: the one place the Notion client touches the network, behind
// an interface so tests can substitute a scripted transport. CurlTransport is
// the production implementation over libcurl.
//
// A transport reports only transport-level failures (DNS, connect, TLS,
// timeout) as a non-OK Status (Unavailable); any HTTP response, 4xx and 5xx
// included, is OK with the status code in HttpResponse.
//
// Thread-safety: Send may be called from many threads at once. CurlTransport
// lends each call an easy handle of its own from a small pool; a handle keeps
// its connections open between calls (HTTP keep-alive, TLS sessions, the DNS
// answer), so a steady sync reuses one connection instead of a TCP and TLS
// handshake per request.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/mutex.h"
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
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Status Send(const HttpRequest& request, HttpResponse* response) override;

 private:
  // Handles beyond this many idle ones are closed: the Notion client sends
  // from a few threads, and each idle handle holds open connections.
  static constexpr size_t kMaxIdleHandles = 4;

  void* Borrow();  // a CURL*, reset; nullptr when libcurl cannot make one
  void Return(void* handle);

  Mutex mu_;
  std::vector<void*> idle_ GUARDED_BY(mu_);
};

}  // namespace taskexec::notion
