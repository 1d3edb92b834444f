// JSON encoding of the domain records, shared by the HTTP API and the CLI's
// --json output so both speak one format.
//
// Field names are the domain names (core/domain.h). Times are ISO-8601 UTC
// strings ("2026-11-25T10:42:01.123Z"), or null when unset (0). Optional ints
// (exit_code, term_signal) are null when unset.
//
// Strings are stored as given; they may hold invalid UTF-8 (agent output,
// file names). nlohmann::json::dump() throws on those by default, so every
// place that produces output must go through DumpJson(), which replaces bad
// bytes with U+FFFD instead of throwing.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "api/task_service.h"
#include "core/domain.h"
#include "core/status.h"
#include "routing/agent_router.h"

namespace taskexec {

nlohmann::json ToJson(const Task& task);
nlohmann::json ToJson(const SessionExecution& execution);
nlohmann::json ToJson(const Artifact& artifact);
// The task's fields plus "executions" and "artifacts" arrays, and the tasks
// around it: "dependencies" (its blocked_by, in order) and "dependents" (the
// tasks waiting on it), each {id, title, status, error_message, waiting_on}.
nlohmann::json ToJson(const TaskDetails& details);
nlohmann::json ToJson(const ServiceStatus& status);
nlohmann::json ToJson(const RouteDecision& decision);
// What `taskexec prune --json` prints and POST /api/v1/prune answers.
nlohmann::json ToJson(const PruneRequest& request, const PruneReport& report);
// A workspace (times as ISO-8601, null when unset) and a gc report.
nlohmann::json ToJson(const WorkspaceInfo& workspace);
nlohmann::json ToJson(const WorkspaceGcReport& report, bool dry_run);

// The inverse of ToJson, for clients of the API and for round-trip tests.
// Missing fields keep their defaults; a field of the wrong type or an
// unparsable time or status is InvalidArgument naming the field.
Status FromJson(const nlohmann::json& j, Task* out);
Status FromJson(const nlohmann::json& j, SessionExecution* out);
// An agent's pause: until, since (ISO times), reason, message, pause_seconds.
nlohmann::json ToJson(const AgentPause& pause);
// An agent: name, running, limit, paused (an AgentPause, or null).
nlohmann::json ToJson(const AgentState& agent);
Status FromJson(const nlohmann::json& j, Artifact* out);

// Reads a task creation request (POST /api/v1/tasks). Accepted fields:
//   title (required, non-blank string), id, description, type, assigned_to
//   (strings), notion_url (an http(s) URL), priority (critical|high|normal|low),
//   max_retries (integer -1..100; -1 = configured default),
//   context (any JSON object) or context_json (a string holding a JSON object),
//   the task's own budget limits max_cost_usd, max_tokens, max_attempts,
//   max_seconds (CheckTaskLimits; 0 = the budget.* setting's), blocked_by
//   (an array of existing task ids it waits for).
// Unknown fields are refused so typos do not pass silently. Errors are
// InvalidArgument and name the field. `out->source` is left unchanged.
Status ParseNewTask(const nlohmann::json& j, NewTask* out);
// Reads a task edit (PATCH /api/v1/tasks/{id}). Accepted fields: title
// (non-blank), description, type, assigned_to (strings), priority, and
// blocked_by (an array of task ids; [] drops every dependency). A field left
// out keeps its value; null and unknown fields are refused, naming them.
Status ParseTaskPatch(const nlohmann::json& j, TaskPatch* out);
// A task's own limits: each within its budget.* setting's range, else
// InvalidArgument naming the field.
Status CheckTaskLimits(const TaskLimits& limits);

// Serialises without throwing on invalid UTF-8 (bad bytes become U+FFFD).
// indent < 0 = compact.
std::string DumpJson(const nlohmann::json& j, int indent = -1);

// {"error": {"code": code, "message": message}}
nlohmann::json ErrorJson(const std::string& code, const std::string& message);

}  // namespace taskexec
