#include "server/http_server.h"

#include <algorithm>

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <atomic>
#include <chrono>
#include <set>

#include "api/json_codec.h"
#include "server/api_handlers.h"
#include "server/http_util.h"
#include "server/request_guard.h"

namespace taskexec {
namespace {

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

bool IsJsonContentType(const std::string& value) {
  // "application/json" with optional parameters ("; charset=utf-8").
  std::string type = value.substr(0, value.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return strcasecmp(type.c_str(), "application/json") == 0;
}

void WriteResponse(const ApiResponse& r, httplib::Response& res) {
  res.status = r.status;
  for (const auto& [name, value] : r.headers) res.set_header(name, value);
  if (!r.stream) {
    res.set_content(r.body, r.content_type);
    return;
  }
  // Chunked: the stream writes as it goes and ends the body when it returns.
  res.set_chunked_content_provider(
      r.content_type, [stream = r.stream](size_t, httplib::DataSink& sink) {
        stream([&sink](const std::string& chunk) {
          return sink.is_writable() && sink.write(chunk.data(), chunk.size());
        });
        sink.done();
        return true;
      });
}

// Fills the JSON error body for statuses httplib produces itself (413 for an
// oversize body, 400 for an unparsable request line).
void DefaultErrorBody(httplib::Response& res) {
  if (!res.body.empty()) return;
  std::string code = "error";
  std::string message = "HTTP status " + std::to_string(res.status);
  switch (res.status) {
    case 400:
      code = "invalid_argument";
      break;
    case 404:
      code = "not_found";
      break;
    case 413:
      code = "payload_too_large";
      message = "request body exceeds server.max_body_bytes";
      break;
    default:
      if (res.status >= 500) code = "internal";
      break;
  }
  res.set_content(DumpJson(ErrorJson(code, message)), "application/json");
}

}  // namespace

std::string RawRequest::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (strcasecmp(key.c_str(), name.c_str()) == 0) return value;
  }
  return "";
}

// Matches method + path to an endpoint, then applies auth and the
// Content-Type rule before calling it. Built before Start(), read-only after.
class HttpServer::Router {
 public:
  using Fn = ApiResponse (ApiHandlers::*)(const ApiRequest&);

  Router(const ServerConfig& config, TaskService* service)
      : token_(config.token),
        guard_(ListenHost(config.listen), config.allowed_hosts, config.cors_origins),
        handlers_(service) {
    // Each stream holds a worker thread: half of them, so the API keeps
    // threads for everything else.
    handlers_.SetMaxEventStreams(std::max(1, config.threads / 2));
    Add("GET", "/", &ApiHandlers::Dashboard, /*auth=*/false);
    Add("GET", "/dashboard.css", &ApiHandlers::DashboardCss, /*auth=*/false);
    Add("GET", "/dashboard.js", &ApiHandlers::DashboardJs, /*auth=*/false);
    Add("GET", "/healthz", &ApiHandlers::Health, /*auth=*/false);
    Add("GET", "/readyz", &ApiHandlers::Ready, /*auth=*/false);
    Add("GET", "/metrics", &ApiHandlers::Metrics);
    Add("GET", "/api/v1/openapi.json", &ApiHandlers::OpenApi, /*auth=*/false);
    Add("GET", "/api/v1/status", &ApiHandlers::GetStatus);
    Add("GET", "/api/v1/tasks", &ApiHandlers::ListTasks);
    Add("POST", "/api/v1/tasks", &ApiHandlers::AddTask);
    Add("GET", "/api/v1/tasks/{id}", &ApiHandlers::GetTask);
    Add("PATCH", "/api/v1/tasks/{id}", &ApiHandlers::UpdateTask);
    Add("POST", "/api/v1/tasks/{id}/execute", &ApiHandlers::Execute);
    Add("POST", "/api/v1/tasks/{id}/cancel", &ApiHandlers::Cancel);
    Add("POST", "/api/v1/tasks/{id}/reply", &ApiHandlers::Reply);
    Add("GET", "/api/v1/executions/{id}", &ApiHandlers::GetExecution);
    Add("GET", "/api/v1/executions/{id}/log", &ApiHandlers::ExecutionLog);
    Add("GET", "/api/v1/tasks/{id}/artifacts/{artifact}", &ApiHandlers::DownloadArtifact);
    Add("POST", "/api/v1/route", &ApiHandlers::Route);
    Add("GET", "/api/v1/agents", &ApiHandlers::ListAgents);
    Add("POST", "/api/v1/agents/{name}/resume", &ApiHandlers::ResumeAgent);
    Add("GET", "/api/v1/events", &ApiHandlers::Events);
    Add("POST", "/api/v1/prune", &ApiHandlers::Prune);
    Add("GET", "/api/v1/workspaces", &ApiHandlers::ListWorkspaces);
    Add("POST", "/api/v1/workspaces/gc", &ApiHandlers::CollectWorkspaces);
  }

  std::vector<std::string> Routes() const {
    std::vector<std::string> out;
    for (const Endpoint& e : endpoints_) {
      std::string path;
      for (const std::string& segment : e.segments) path += "/" + segment;
      out.push_back(e.method + " " + (path.empty() ? "/" : path));
    }
    for (const auto& [path, methods] : raw_) {
      for (const auto& [method, handler] : methods) out.push_back(method + " " + path);
    }
    return out;
  }

  void AddProbe(ServiceProbe probe) { handlers_.AddProbe(std::move(probe)); }
  void StopStreams() { handlers_.StopStreams(); }
  void SetArtifactRoots(std::vector<std::string> roots) {
    handlers_.SetArtifactRoots(std::move(roots));
  }

  void AddRaw(const std::string& method, const std::string& path, RawHandler handler) {
    raw_[path][method] = std::move(handler);
  }

  void Dispatch(const httplib::Request& req, httplib::Response& res) {
    std::string method = req.method == "HEAD" ? "GET" : req.method;
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    // Host and Origin first: a refused request reaches no handler at all.
    GuardVerdict verdict = guard_.Check(
        GuardRequest{req.method, req.get_header_value("Host"), req.get_header_value("Origin"),
                     req.get_header_value("Sec-Fetch-Site"), req.get_header_value("Referer")});
    if (!verdict.allowed()) {
      spdlog::warn("http {} {} refused ({}): {}", req.method, req.path, verdict.status,
                   verdict.message);
      return WriteResponse(ErrorResponse(verdict.status, verdict.code, verdict.message), res);
    }
    std::string origin = req.get_header_value("Origin");
    for (const auto& [name, value] : guard_.CorsHeaders(origin)) res.set_header(name, value);
    if (guard_.IsAllowedPreflight(req.method, origin,
                                  req.get_header_value("Access-Control-Request-Method"))) {
      res.status = 204;
      return;
    }

    auto raw = raw_.find(req.path);
    if (raw != raw_.end()) {
      auto it = raw->second.find(method);
      if (it == raw->second.end()) {
        std::set<std::string> allowed;
        for (const auto& [m, h] : raw->second) allowed.insert(m);
        return MethodNotAllowed(allowed, res);
      }
      return CallRaw(it->second, req, res);
    }

    std::vector<std::string> segments = SplitPath(req.path);
    std::set<std::string> allowed;
    for (const Endpoint& ep : endpoints_) {
      std::vector<std::string> params;
      if (!Match(ep.segments, segments, &params)) continue;
      allowed.insert(ep.method);
      if (ep.method != method) continue;
      if (ep.auth && !Authorized(req)) {
        res.set_header("WWW-Authenticate", "Bearer");
        return WriteResponse(ErrorResponse(401, "unauthorized", "missing or wrong bearer token"),
                             res);
      }
      if (method == "POST" && !req.body.empty() &&
          !IsJsonContentType(req.get_header_value("Content-Type"))) {
        return WriteResponse(
            ErrorResponse(415, "unsupported_media_type", "request body must be application/json"),
            res);
      }
      ApiRequest api;
      api.method = method;
      api.path = req.path;
      api.params = std::move(params);
      for (const auto& [key, value] : req.params) api.query.emplace(key, value);
      api.body = req.body;
      api.accept = req.get_header_value("Accept");
      api.last_event_id = req.get_header_value("Last-Event-ID");
      return WriteResponse((handlers_.*(ep.fn))(api), res);
    }
    if (!allowed.empty()) return MethodNotAllowed(allowed, res);
    WriteResponse(ErrorResponse(404, "not_found", "no endpoint " + req.path), res);
  }

 private:
  struct Endpoint {
    std::string method;
    std::vector<std::string> segments;  // "{id}", "{name}": any one segment, a parameter
    Fn fn;
    bool auth;
  };

  void Add(const char* method, const char* path, Fn fn, bool auth = true) {
    endpoints_.push_back(Endpoint{method, SplitPath(path), fn, auth});
  }

  static bool Match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                    std::vector<std::string>* params) {
    if (pattern.size() != path.size()) return false;
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (pattern[i].size() > 2 && pattern[i].front() == '{' && pattern[i].back() == '}') {
        params->push_back(path[i]);
      } else if (pattern[i] != path[i]) {
        return false;
      }
    }
    return true;
  }

  bool Authorized(const httplib::Request& req) const {
    if (token_.empty()) return true;
    static const std::string kPrefix = "Bearer ";
    std::string header = req.get_header_value("Authorization");
    if (header.size() < kPrefix.size() ||
        strncasecmp(header.c_str(), kPrefix.c_str(), kPrefix.size()) != 0) {
      return false;
    }
    return ConstantTimeEquals(header.substr(kPrefix.size()), token_);
  }

  static void MethodNotAllowed(const std::set<std::string>& allowed, httplib::Response& res) {
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    res.set_header("Allow", allow);
    WriteResponse(ErrorResponse(405, "method_not_allowed", "allowed methods: " + allow), res);
  }

  static void CallRaw(const RawHandler& handler, const httplib::Request& req,
                      httplib::Response& res) {
    RawRequest raw;
    raw.method = req.method;
    raw.path = req.path;
    for (const auto& [k, v] : req.headers) raw.headers.emplace(k, v);
    raw.body = req.body;
    raw.remote_addr = req.remote_addr;
    RawResponse out;
    handler(raw, &out);
    res.status = out.status;
    res.set_content(out.body, out.content_type);
  }

  static std::string ListenHost(const std::string& listen) {
    ListenAddress addr;
    return ParseListenAddress(listen, &addr).ok() ? addr.host : "";
  }

  std::string token_;
  RequestGuard guard_;
  ApiHandlers handlers_;
  std::vector<Endpoint> endpoints_;
  std::map<std::string, std::map<std::string, RawHandler>> raw_;  // path -> method -> handler
};

HttpServer::HttpServer(const ServerConfig& config, TaskService* service)
    : config_(config),
      server_(std::make_unique<httplib::Server>()),
      router_(std::make_unique<Router>(config, service)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::HandleRaw(const std::string& method, const std::string& path, RawHandler handler) {
  router_->AddRaw(method, path, std::move(handler));
}

void HttpServer::AddProbe(ServiceProbe probe) { router_->AddProbe(std::move(probe)); }

void HttpServer::SetArtifactRoots(std::vector<std::string> roots) {
  router_->SetArtifactRoots(std::move(roots));
}

std::vector<std::string> HttpServer::Routes() const { return router_->Routes(); }

Status HttpServer::Start() {
  if (started_) return Status::Internal("HTTP server already started");
  if (config_.listen.empty()) return Status::InvalidArgument("server.listen is empty");
  ListenAddress addr;
  Status s = ParseListenAddress(config_.listen, &addr);
  if (!s.ok()) return s;
  if (!IsLoopbackHost(addr.host) && config_.token.empty()) {
    return Status::InvalidArgument("server.listen \"" + config_.listen +
                                   "\" is reachable beyond this machine; set server.token so "
                                   "the API requires a bearer token, or listen on 127.0.0.1");
  }
  ConfigureServer();
  s = Bind(addr);
  if (!s.ok()) return s;
  s = RunAcceptLoop();
  if (!s.ok()) return s;
  spdlog::info("HTTP API listening on {}:{}", addr.host, port_);
  return Status::OK();
}

void HttpServer::ConfigureServer() {
  size_t threads = static_cast<size_t>(config_.threads > 0 ? config_.threads : 1);
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_payload_max_length(config_.max_body_bytes);
  // httplib's default sets SO_REUSEPORT, which would let a second instance
  // bind the same port and silently share traffic; keep only SO_REUSEADDR
  // (fast restarts) so a busy port is an error.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // Every method goes to the router, which knows the routes, answers 404 /
  // 405 and applies the origin and token rules in one place.
  Router* router = router_.get();
  auto dispatch = [router](const httplib::Request& req, httplib::Response& res) {
    router->Dispatch(req, res);
  };
  server_->Options(".*", dispatch);
  server_->Get(".*", dispatch);
  server_->Post(".*", httplib::Server::Handler(dispatch));
  server_->Put(".*", httplib::Server::Handler(dispatch));
  server_->Patch(".*", httplib::Server::Handler(dispatch));
  server_->Delete(".*", httplib::Server::Handler(dispatch));
  server_->set_error_handler(
      [](const httplib::Request&, httplib::Response& res) { DefaultErrorBody(res); });
  server_->set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("http {} {}: {}", req.method, req.path, what);
        WriteResponse(ErrorResponse(500, "internal", what), res);
      });
  server_->set_logger([](const httplib::Request& req, const httplib::Response& res) {
    spdlog::debug("http {} {} -> {}", req.method, req.path, res.status);
  });
}

Status HttpServer::Bind(const ListenAddress& addr) {
  if (addr.port == 0) {
    port_ = server_->bind_to_any_port(addr.host);
    if (port_ < 0) port_ = 0;
  } else if (server_->bind_to_port(addr.host, addr.port)) {
    port_ = addr.port;
  }
  if (port_ == 0) {
    return Status::Unavailable("cannot listen on " + config_.listen +
                               " (address in use or not available)");
  }
  return Status::OK();
}

Status HttpServer::RunAcceptLoop() {
  listen_done_.store(false);
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_done_.store(true);
  });
  // httplib's stop() is a no-op until the accept loop runs, so wait for it;
  // otherwise a quick Stop() would leave the thread serving forever.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!server_->is_running() && !listen_done_.load() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  started_ = true;
  if (!server_->is_running()) {
    Stop();
    return Status::Internal("HTTP server on " + config_.listen + " did not start");
  }
  return Status::OK();
}

void HttpServer::Stop() {
  if (!started_) return;
  // Open event streams end within a poll, so the pool can drain.
  router_->StopStreams();
  // Start() returned only once the accept loop ran (or ended), so stop()
  // takes effect here. It must be called once: httplib asserts on a second
  // call while its pool drains.
  if (server_->is_running()) server_->stop();
  if (thread_.joinable()) thread_.join();
  started_ = false;
}

}  // namespace taskexec
