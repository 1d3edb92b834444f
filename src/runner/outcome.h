// Outcome parsing: turns what a finished agent process left behind (exit
// status, stdout/stderr tails, our own timeout/cancel flags) into the fields
// of an AgentResult. Pure functions, unit-testable without processes.
//
// Rules (docs/runner.md has the long form):
//  - cancelled by us              -> kCancelled, "cancelled"
//  - our timeout fired            -> kTimedOut, "timeout_error", retryable
//  - no output for stall_ms       -> kTimedOut, "stalled", retryable
//  - killed by a signal not ours  -> kFailed, "crash", retryable
//  - TASK_FAILED: <reason>, or a JSON result saying error -> kFailed, type from
//    ClassifyError(reason) (default execution_error)
//  - non-zero exit                -> kFailed, type from the output tails
//  - TASK_NEEDS_INPUT: <question> as the last marker (not in an error
//    result)                      -> kNeedsInput with the question
//  - exit 0 otherwise             -> kCompleted; summary from the last
//    TASK_COMPLETE line, else JSON summary/result text, else the first 1000
//    characters of stdout.
// JSON results understood: a last-line object {summary, session_id,
// artifacts}; OpenClaw `agent --json` (status, result.payloads[].text,
// result.meta.agentMeta.sessionId) and `agent exec --json` (ok, status, final,
// sessionId); Claude `-p --output-format json` (result, session_id, is_error).
// The whole stdout tail is tried as one (pretty-printed) document first.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/domain.h"
#include "core/task_status.h"
#include "runner/process_supervisor.h"

namespace taskexec {

// Outcome of one agent attempt, as reported to the engine.
struct AgentResult {
  ExecutionStatus status = ExecutionStatus::kFailed;  // kCompleted, kFailed, kTimedOut, kCancelled
  ErrorType error_type = ErrorType::kNone;            // kNone on success
  bool retryable = false;                             // from the classification table
  // The agent never started, for a fault of the service's own (no room or
  // no write access for the attempt's files, no process slot: FailedToStart
  // of an IOError): the engine releases the task rather than count it.
  bool service_fault = false;
  std::string error;       // human-readable, at most kMaxErrorChars bytes
  std::string summary;     // TASK_COMPLETE text / JSON summary / first 1000 chars of output
  std::string session_id;  // reported by the agent, if any
  std::string question;    // kNeedsInput: what the agent asks a person
  AgentUsage usage;        // tokens, cost, model and turns the agent reported
  std::optional<int> exit_code;
  std::optional<int> term_signal;
  std::vector<Artifact> artifacts;    // with size + sha256, ids generated
  std::vector<std::string> warnings;  // e.g. listed artifact paths that did not exist
  int64_t pid = 0;
  TimeMs last_output_at = 0;     // when the agent last wrote to stdout or stderr; 0 = never
  std::string last_output_line;  // the last line of it worth showing (progress_line.h)
  // kUsageLimit: when the provider's limit resets, as the output says; 0 =
  // it does not say.
  TimeMs usage_limit_reset_at = 0;
};

constexpr size_t kMaxErrorChars = 2000;
constexpr size_t kMaxSummaryChars = 1000;
constexpr size_t kMaxQuestionChars = 4000;

// What ParseOutcome extracted besides the AgentResult fields.
struct ParsedOutcome {
  AgentResult result;
  std::vector<std::string> artifact_paths;  // as listed by the agent (may be relative)
};

// `known_ids` are the task and execution ids: a bare UUID in the output that
// is part of one of them is not taken for a session id.
ParsedOutcome ParseOutcome(const ProcessResult& process,
                           const std::vector<std::string>& known_ids = {});

// Whether the output itself says the work is done, whatever the exit
// status: a TASK_COMPLETE marker with no later TASK_FAILED or question, or
// a runtime's JSON result that is not an error, with nothing refused for
// want of approval. For an agent killed just after it reported (a stop that
// crossed its own end: exit_record.h).
bool ReportsCompletion(const ProcessResult& process);

// The session id in plain (non-JSON) output: a
// "Session: <id>" / "Session created <id>" / "session_id: <id>" line, else a
// UUID not inside `known_ids`, else the whole output when it is one short
// token. Empty when none.
std::string ExtractSessionId(const std::string& output, const std::vector<std::string>& known_ids);

// Cuts `text` to at most `max_bytes` without splitting a UTF-8 sequence and
// replaces invalid UTF-8 with '?', so results can go into JSON and SQLite.
std::string SanitizeText(const std::string& text, size_t max_bytes);

}  // namespace taskexec
