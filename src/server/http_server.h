// HttpServer: the JSON API, the dashboard and the Prometheus metrics over a
// TaskService. See docs/http-api.md for the endpoints and error format.
//
// Auth: with server.token set, every request except GET /healthz, GET / (the
// dashboard page; its API calls carry the token) and raw handlers must send
// "Authorization: Bearer <token>". Start() refuses to listen beyond loopback
// without a token.
//
// Raw handlers (HandleRaw) are for integrations that authenticate requests
// themselves (e.g. the Notion webhook verifies its signature): they get the
// raw body and headers, and bypass the bearer token and the Content-Type
// check. The body size limit (server.max_body_bytes) still applies.
//
// Thread-safety: HandleRaw() only before Start(). Start()/Stop() from one
// owning thread. Handlers run on the server's pool of `server.threads`
// threads and call the TaskService concurrently (it is thread-safe).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/task_service.h"
#include "config/config.h"
#include "core/listen_address.h"
#include "core/status.h"
#include "server/api_handlers.h"

namespace httplib {
class Server;
}

namespace taskexec {

struct RawRequest {
  std::string method;
  std::string path;
  std::multimap<std::string, std::string> headers;  // names as sent
  std::string body;
  std::string remote_addr;
  // Case-insensitive header lookup; "" when absent.
  std::string Header(const std::string& name) const;
};

struct RawResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

using RawHandler = std::function<void(const RawRequest&, RawResponse*)>;

class HttpServer {
 public:
  // `service` must outlive the server.
  HttpServer(const ServerConfig& config, TaskService* service);
  ~HttpServer();  // Stops.
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Adds an endpoint answered by `handler` for an exact path. Before Start().
  void HandleRaw(const std::string& method, const std::string& path, RawHandler handler);

  // Adds a part outside the TaskService to /metrics and /readyz
  // (api_handlers.h ServiceProbe). Before Start().
  void AddProbe(ServiceProbe probe);
  // Where artifacts may be downloaded from (ApiHandlers::SetArtifactRoots).
  // Before Start().
  void SetArtifactRoots(std::vector<std::string> roots);

  // Binds server.listen and serves on a background thread. Fails when the
  // address is malformed or taken, or is not loopback and no token is set.
  Status Start();
  // Stops accepting, finishes in-flight requests, joins. Idempotent.
  void Stop();
  // The bound port (the free port chosen for ":0"); 0 before Start().
  int port() const { return port_; }
  // Every endpoint as "METHOD /path" ("{id}" for a path segment), API
  // endpoints in registration order, then raw ones: for docs checks.
  std::vector<std::string> Routes() const;

 private:
  class Router;

  // The pieces of Start(), in order.
  void ConfigureServer();
  Status Bind(const ListenAddress& addr);
  Status RunAcceptLoop();

  ServerConfig config_;
  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<Router> router_;
  std::thread thread_;
  std::atomic<bool> listen_done_{false};
  int port_ = 0;
  bool started_ = false;
};

}  // namespace taskexec
