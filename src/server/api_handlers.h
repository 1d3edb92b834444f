// The JSON API's endpoint bodies, independent of the HTTP library: each takes
// an ApiRequest (already routed and authenticated) and returns an
// ApiResponse. HttpServer owns routing, auth, size and media-type checks.
//
// Thread-safety: stateless apart from the TaskService pointer and the probes
// (fixed before the server starts); handlers may run concurrently.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/task_service.h"
#include "core/status.h"

namespace taskexec {

// Largest log chunk one request returns.
constexpr size_t kMaxLogChunkBytes = 1 << 20;
// GET /api/v1/tasks pages: the size without ?limit=, and the largest.
constexpr int kDefaultTaskPage = 100;
constexpr int kMaxTaskPage = 1000;
// The longest free-text search (GET /api/v1/tasks?q=) taken, in bytes.
constexpr size_t kMaxSearchText = 200;

// A part of the service outside the TaskService (the Notion sync) that adds
// to /metrics and /readyz. Either function may be empty; both are called on
// HTTP worker threads, concurrently.
struct ServiceProbe {
  std::string name;                      // its /readyz check's name ("notion")
  std::function<std::string()> metrics;  // exposition text appended to /metrics
  std::function<Status()> ready;         // OK when it can do its work
};

struct ApiRequest {
  std::string method;
  std::string path;
  std::vector<std::string> params;           // values of {id} segments, in order
  std::map<std::string, std::string> query;  // first value of each query parameter
  std::string body;
  std::string accept;         // the Accept header
  std::string last_event_id;  // the Last-Event-ID header (an event stream's resume point)
};

// Writes one chunk of a streamed body; false once the client is gone or the
// server is stopping (the stream should then return).
using StreamWriter = std::function<bool(const std::string& chunk)>;

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
  // A body written while it is made (server-sent events) instead of `body`:
  // called once, on the worker thread, and returns when the stream ends.
  std::function<void(const StreamWriter&)> stream;
};

// A JSON error response: {"error": {"code": ..., "message": ...}}.
ApiResponse ErrorResponse(int http_status, const std::string& code, const std::string& message);
// The error response for a failed Status (404 not_found, 409 conflict, ...).
ApiResponse ErrorResponse(const Status& s);

class ApiHandlers {
 public:
  explicit ApiHandlers(TaskService* service) : service_(service) {}
  // What parts outside the TaskService add to /metrics and /readyz. Before
  // the server starts.
  void AddProbe(ServiceProbe probe) { probes_.push_back(std::move(probe)); }
  // At most this many event streams at once (each holds a worker thread);
  // more are refused with 503. Before the server starts.
  void SetMaxEventStreams(int n) { max_event_streams_ = n; }
  // Ends the event streams within one poll interval (server stopping).
  void StopStreams() { stopping_ = true; }
  // The folders artifacts are downloaded from (agent.work_dir): a recorded
  // artifact elsewhere is refused (403). Empty = none is served. Before the
  // server starts.
  void SetArtifactRoots(std::vector<std::string> roots) { artifact_roots_ = std::move(roots); }

  ApiResponse Health(const ApiRequest& req);
  // 200 {"status": "ready", "checks": {name: {"ok", "ms", "error"?}}} when the
  // store answers, the engine (if any) runs and every probe is ready; else 503.
  ApiResponse Ready(const ApiRequest& req);
  // The API's OpenAPI 3.1 document (docs/openapi.json, embedded at build time).
  ApiResponse OpenApi(const ApiRequest& req);
  ApiResponse GetStatus(const ApiRequest& req);
  // Newest first by default; filters, sort/order, limit/offset/after (docs/http-api.md).
  // X-Total-Count always; X-Next-After when a created-sorted page is full.
  ApiResponse ListTasks(const ApiRequest& req);
  ApiResponse Prune(const ApiRequest& req);         // {"finished_before", "dry_run"}
  ApiResponse AddTask(const ApiRequest& req);       // 201; 200 if the Notion page has a task
  ApiResponse GetTask(const ApiRequest& req);       // params[0] = task id
  ApiResponse UpdateTask(const ApiRequest& req);    // params[0] = task id; ParseTaskPatch
  ApiResponse Execute(const ApiRequest& req);       // 202 {"attempt_id", "task_id"}
  ApiResponse Cancel(const ApiRequest& req);        // params[0] = task or attempt id
  ApiResponse Reply(const ApiRequest& req);         // params[0] = task id; {"message": ...}
  ApiResponse GetExecution(const ApiRequest& req);  // params[0] = attempt id
  ApiResponse ExecutionLog(const ApiRequest& req);  // ?offset=N; X-Next-Offset
  // params = task id, artifact id: the file as an attachment, streamed.
  ApiResponse DownloadArtifact(const ApiRequest& req);
  ApiResponse Route(const ApiRequest& req);
  ApiResponse ListAgents(const ApiRequest& req);         // {"agents": [...]}
  ApiResponse ResumeAgent(const ApiRequest& req);        // params[0] = agent; 200 with the agent
  ApiResponse ListWorkspaces(const ApiRequest& req);     // {"workspaces": [...]}
  ApiResponse CollectWorkspaces(const ApiRequest& req);  // {"dry_run"?}; 200 with the report
  // ?after=<cursor>|now&limit=N: tasks changed after the cursor, as
  // {"events": [{"cursor", "task"}], "next"}. With Accept: text/event-stream
  // a server-sent event stream instead ("task" events, id = cursor), resumed
  // from Last-Event-ID or after=, else from now (docs/http-api.md).
  ApiResponse Events(const ApiRequest& req);
  ApiResponse Metrics(const ApiRequest& req);
  // The dashboard (src/server/dashboard/, embedded at build time): the page,
  // its stylesheet and its script, each with a CSP that allows only this
  // server's own files.
  ApiResponse Dashboard(const ApiRequest& req);
  ApiResponse DashboardCss(const ApiRequest& req);
  ApiResponse DashboardJs(const ApiRequest& req);

 private:
  // GET /api/v1/events with Accept: text/event-stream.
  ApiResponse EventStream(ChangeCursor from);

  TaskService* service_;
  std::vector<ServiceProbe> probes_;         // fixed before the server starts
  std::vector<std::string> artifact_roots_;  // fixed before the server starts
  int max_event_streams_ = 1;
  std::atomic<int> event_streams_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace taskexec
