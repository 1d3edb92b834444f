#include "runner/outcome.h"

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstring>
#include <string_view>

#include <nlohmann/json.hpp>

#include "runner/error_classifier.h"
#include "runner/json_path.h"
#include "runner/usage_report.h"

namespace taskexec {

namespace {

using nlohmann::json;

constexpr std::string_view kCompleteMarker = "TASK_COMPLETE:";
constexpr std::string_view kFailedMarker = "TASK_FAILED:";
constexpr std::string_view kNeedsInputMarker = "TASK_NEEDS_INPUT:";
constexpr size_t kClassifyWindow = 2000;  // classify only the end of long output

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      if (start < text.size()) lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::string_view LastBytes(std::string_view s, size_t n) {
  return s.size() <= n ? s : s.substr(s.size() - n);
}

// The markers the prompt asks for. A marker counts only at the start of a
// line (after blanks and Markdown decoration), so an agent quoting the
// instructions mid-sentence is not taken at its word.
struct Markers {
  std::optional<std::string> complete;
  std::optional<std::string> failed;
  std::optional<std::string> question;  // TASK_NEEDS_INPUT's
  bool failed_last = false;             // the last marker seen was TASK_FAILED
  bool question_last = false;           // the last marker seen was TASK_NEEDS_INPUT
};

void ScanMarkers(std::string_view text, Markers* m) {
  for (std::string_view line : SplitLines(text)) {
    line = Trim(line);
    while (!line.empty() && std::strchr("*_`>#-", line.front()) != nullptr) line.remove_prefix(1);
    line = Trim(line);
    auto take = [&](std::string_view marker) -> std::optional<std::string> {
      if (line.substr(0, marker.size()) != marker) return std::nullopt;
      std::string_view rest = Trim(line.substr(marker.size()));
      while (!rest.empty() && std::strchr("*_`", rest.back()) != nullptr) rest.remove_suffix(1);
      return std::string(Trim(rest));
    };
    if (auto c = take(kCompleteMarker)) {
      m->complete = std::move(c);
      m->failed_last = false;
      m->question_last = false;
    } else if (auto f = take(kFailedMarker)) {
      m->failed = std::move(f);
      m->failed_last = true;
      m->question_last = false;
    } else if (auto q = take(kNeedsInputMarker)) {
      m->question = std::move(q);
      m->failed_last = false;
      m->question_last = true;
    }
  }
}

// What a JSON result document said.
struct JsonInfo {
  bool found = false;
  bool is_error = false;
  std::string error;    // the error message it gave, if any
  std::string text;     // the agent's final text (payloads, result, final)
  std::string summary;  // a "summary" field
  std::string session_id;
  std::vector<std::string> artifacts;
  AgentUsage usage;
  // What the CLI refused for want of a person's approval (Claude Code's
  // permission_denials): "Bash (touch x)", ...
  std::vector<std::string> refused;
  // Commands a sandbox stopped (Codex's read-only or workspace-write
  // sandbox): "/bin/bash -lc 'touch x': touch: ...: Read-only file system".
  // The agent may have done without them, so they count only when the
  // attempt failed.
  std::vector<std::string> sandbox_refused;
};

// Claude Code's -p result lists each tool use refused without approval:
// [{"tool_name": "Bash", "tool_input": {"command": "..."}}].
void ReadRefusals(const json& j, std::vector<std::string>* refused) {
  const json* denials = JsonAt(j, {"permission_denials"});
  if (denials == nullptr || !denials->is_array()) return;
  for (const auto& d : *denials) {
    if (!d.is_object()) continue;
    std::string what = JsonStringAt(d, {"tool_name"});
    if (what.empty()) what = "a tool";
    std::string detail = JsonStringAt(d, {"tool_input", "command"});
    if (detail.empty()) detail = JsonStringAt(d, {"tool_input", "file_path"});
    if (!detail.empty()) what += " (" + detail.substr(0, 200) + ")";
    refused->push_back(what);
  }
}

std::string ErrorMessage(const json& e) {
  if (e.is_string()) return e.get<std::string>();
  if (e.is_object()) {
    std::string msg = JsonStringAt(e, {"message"});
    std::string kind = JsonStringAt(e, {"kind"});
    if (kind.empty()) kind = JsonStringAt(e, {"type"});
    if (!kind.empty() && !msg.empty()) return kind + ": " + msg;
    return msg.empty() ? kind : msg;
  }
  return std::string();
}

bool IsErrorStatus(const std::string& status) {
  return !status.empty() && status != "ok" && status != "success" && status != "completed" &&
         status != "succeeded";
}

void ReadJson(const json& j, JsonInfo* info) {
  info->found = true;
  info->usage = UsageFromResult(j);
  ReadRefusals(j, &info->refused);
  // Final text: OpenClaw payloads (gateway: result.payloads, --local: payloads),
  // Claude's "result" string, `agent exec`'s "final".
  const json* payloads = JsonAt(j, {"result", "payloads"});
  if (payloads == nullptr) payloads = JsonAt(j, {"payloads"});
  if (payloads != nullptr && payloads->is_array()) {
    for (const auto& p : *payloads) {
      if (p.is_object() && p.contains("text") && p["text"].is_string()) {
        if (!info->text.empty()) info->text += "\n";
        info->text += p["text"].get<std::string>();
      }
    }
  }
  if (info->text.empty()) info->text = JsonStringAt(j, {"result"});
  if (info->text.empty()) info->text = JsonStringAt(j, {"final"});
  if (info->text.empty()) info->text = JsonStringAt(j, {"response"});  // Gemini CLI
  info->summary = JsonStringAt(j, {"summary"});

  for (auto path : {std::initializer_list<const char*>{"session_id"},
                    {"sessionId"},
                    {"result", "meta", "agentMeta", "sessionId"},
                    {"meta", "agentMeta", "sessionId"},
                    {"thread_id"}}) {
    info->session_id = JsonStringAt(j, path);
    if (!info->session_id.empty()) break;
  }

  std::string status = JsonStringAt(j, {"status"});
  if (IsErrorStatus(status)) {
    info->is_error = true;
    info->error = "status " + status;
  }
  const json* ok = JsonAt(j, {"ok"});
  if (ok != nullptr && ok->is_boolean() && !ok->get<bool>()) info->is_error = true;
  const json* is_error = JsonAt(j, {"is_error"});
  if (is_error != nullptr && is_error->is_boolean() && is_error->get<bool>()) {
    info->is_error = true;
  }
  for (auto path :
       {std::initializer_list<const char*>{"meta", "aborted"}, {"result", "meta", "aborted"}}) {
    const json* aborted = JsonAt(j, path);
    if (aborted != nullptr && aborted->is_boolean() && aborted->get<bool>()) {
      info->is_error = true;
      if (info->error.empty()) info->error = "aborted";
    }
  }
  for (auto path : {std::initializer_list<const char*>{"error"},
                    {"result", "meta", "error"},
                    {"meta", "error"}}) {
    const json* e = JsonAt(j, path);
    if (e == nullptr || e->is_null()) continue;
    std::string msg = ErrorMessage(*e);
    if (!msg.empty()) {
      info->error = msg;
      break;
    }
  }
  // Gemini CLI's failed run: {"error": {"type", "message", "code"}}.
  const json* error_object = JsonAt(j, {"error"});
  if (error_object != nullptr && error_object->is_object() &&
      !JsonStringAt(*error_object, {"message"}).empty()) {
    info->is_error = true;
  }
  if (info->is_error && info->error.empty()) info->error = info->text;

  const json* artifacts = JsonAt(j, {"artifacts"});
  if (artifacts != nullptr && artifacts->is_array()) {
    for (const auto& a : *artifacts) {
      if (a.is_string()) {
        info->artifacts.push_back(a.get<std::string>());
      } else if (a.is_object() && a.contains("path") && a["path"].is_string()) {
        info->artifacts.push_back(a["path"].get<std::string>());
      }
    }
  }
}

// Finds the result document: the whole output, or the last object starting
// at the beginning of a line (a pretty-printed document after progress
// lines, or a one-line object at the end).
std::optional<json> FindJsonResult(std::string_view out) {
  std::string_view trimmed = Trim(out);
  if (trimmed.empty() || trimmed.back() != '}') return std::nullopt;
  std::vector<size_t> starts;
  for (size_t i = 0; i < trimmed.size(); ++i) {
    if (trimmed[i] == '{' && (i == 0 || trimmed[i - 1] == '\n')) starts.push_back(i);
  }
  // The earliest start gives the whole document; try at most a few so huge
  // outputs full of JSON lines stay cheap.
  int attempts = 0;
  for (size_t k = 0; k < starts.size() && attempts < 4; ++k, ++attempts) {
    json j = json::parse(trimmed.substr(starts[k]), nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded() && j.is_object()) return j;
  }
  for (size_t k = starts.size(); k-- > 0 && attempts < 8; ++attempts) {
    json j = json::parse(trimmed.substr(starts[k]), nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded() && j.is_object()) return j;
  }
  return std::nullopt;
}

// Codex runs the model's commands in its sandbox and, with approvals
// "never" (exec mode), hands a refused write back to the model as a failed
// command whose output says the file system is read-only.
void ReadSandboxRefusal(const json& item, std::vector<std::string>* refused) {
  if (JsonStringAt(item, {"status"}) != "failed") return;
  const std::string output = JsonStringAt(item, {"aggregated_output"});
  const size_t at = output.find("Read-only file system");
  if (at == std::string::npos) return;
  const size_t line_start = output.rfind('\n', at);
  const size_t line_end = output.find('\n', at);
  const size_t from = line_start == std::string::npos ? 0 : line_start + 1;
  refused->push_back(
      JsonStringAt(item, {"command"}).substr(0, 200) + ": " +
      output.substr(from, line_end == std::string::npos ? std::string::npos : line_end - from));
}

// An event stream, one JSON object per line with a "type": Codex's
// `exec --json` (thread.started, item.completed, turn.completed, turn.failed,
// error) or opencode's `run --format json` (step_start, text, step_finish,
// error; every event carries the sessionID). True when `out` is one: then
// `info` has the session, the last agent message as the text, the usage
// summed over turns or steps, and the failure, if the run failed.
bool ReadEventStream(std::string_view out, JsonInfo* info) {
  bool stream = false;
  bool turn_completed = false;
  std::string last_error;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t end = out.find('\n', pos);
    if (end == std::string_view::npos) end = out.size();
    std::string_view line = Trim(out.substr(pos, end - pos));
    pos = end + 1;
    if (line.size() < 2 || line.front() != '{' || line.back() != '}') continue;
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) continue;
    const std::string type = JsonStringAt(j, {"type"});
    if (type == "thread.started") {
      stream = true;
      info->session_id = JsonStringAt(j, {"thread_id"});
    } else if (type == "step_start" && !JsonStringAt(j, {"sessionID"}).empty()) {
      stream = true;
      info->session_id = JsonStringAt(j, {"sessionID"});
    } else if (type == "text" && !JsonStringAt(j, {"part", "text"}).empty()) {
      info->text = JsonStringAt(j, {"part", "text"});
    } else if (type == "step_finish") {
      turn_completed = true;
      AddOpenCodeStepUsage(j, &info->usage);
    } else if (type == "error" && JsonAt(j, {"error"}) != nullptr) {
      // opencode: {"error": {"name": "APIError", "data": {"message": ...}}}
      if (!JsonStringAt(j, {"sessionID"}).empty()) {
        stream = true;
        if (info->session_id.empty()) info->session_id = JsonStringAt(j, {"sessionID"});
      }
      last_error = JsonStringAt(j, {"error", "data", "message"});
      if (last_error.empty()) last_error = ErrorMessage(*JsonAt(j, {"error"}));
      if (last_error.empty()) last_error = JsonStringAt(j, {"error", "name"});
    } else if (type == "item.completed" && JsonStringAt(j, {"item", "type"}) == "agent_message") {
      info->text = JsonStringAt(j, {"item", "text"});
    } else if (type == "item.completed" &&
               JsonStringAt(j, {"item", "type"}) == "command_execution") {
      ReadSandboxRefusal(j["item"], &info->sandbox_refused);
    } else if (type == "turn.completed") {
      turn_completed = true;
      AddCodexTurnUsage(j, &info->usage);
    } else if (type == "turn.failed") {
      info->is_error = true;
      const json* e = JsonAt(j, {"error"});
      info->error = e != nullptr ? ErrorMessage(*e) : "turn failed";
    } else if (type == "error") {
      last_error = JsonStringAt(j, {"message"});
    }
  }
  if (!stream) return false;
  info->found = true;
  if (!turn_completed && !info->is_error && !last_error.empty()) {
    info->is_error = true;
    info->error = last_error;
  }
  return true;
}

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Position of the first 8-4-4-4-12 hex UUID at or after `from`, or npos.
size_t FindUuid(std::string_view s, size_t from) {
  static constexpr int kGroups[] = {8, 4, 4, 4, 12};
  for (size_t i = from; i + 36 <= s.size(); ++i) {
    if (i > 0 && (IsHex(s[i - 1]) || s[i - 1] == '-')) continue;
    size_t p = i;
    bool ok = true;
    for (int g = 0; g < 5 && ok; ++g) {
      for (int k = 0; k < kGroups[g]; ++k, ++p) ok = ok && IsHex(s[p]);
      if (g < 4) ok = ok && s[p++] == '-';
    }
    if (ok && (p == s.size() || !(IsHex(s[p]) || s[p] == '-'))) return i;
  }
  return std::string_view::npos;
}

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

std::string FirstChars(std::string_view s, size_t n) { return std::string(s.substr(0, n)); }

}  // namespace

std::string SanitizeText(const std::string& text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    bool valid = len > 0 && i + len <= text.size();
    for (size_t k = 1; valid && k < len; ++k) {
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (valid && len > 1) {
      // Reject overlong encodings, surrogates and code points past U+10FFFF.
      unsigned char c1 = static_cast<unsigned char>(text[i + 1]);
      if ((len == 2 && c < 0xC2) || (len == 3 && c == 0xE0 && c1 < 0xA0) ||
          (len == 3 && c == 0xED && c1 >= 0xA0) || (len == 4 && c == 0xF0 && c1 < 0x90) ||
          (len == 4 && (c > 0xF4 || (c == 0xF4 && c1 >= 0x90)))) {
        valid = false;
      }
    }
    if (valid && c < 0x80 && c < 0x20 && c != '\n' && c != '\t' && c != '\r') valid = false;
    size_t take = valid ? len : 1;
    if (out.size() + take > max_bytes) break;
    if (valid) {
      out.append(text, i, len);
    } else {
      out.push_back('?');
    }
    i += take;
  }
  return out;
}

std::string ExtractSessionId(const std::string& output, const std::vector<std::string>& known_ids) {
  // 1. An explicit "Session: <id>" style line.
  for (std::string_view line : SplitLines(output)) {
    line = Trim(line);
    std::string lower;
    for (char c : line.substr(0, 20)) {
      lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    for (std::string_view prefix : {"session created", "session_id:", "session id:", "session:"}) {
      if (lower.rfind(prefix, 0) != 0) continue;
      std::string_view rest = Trim(line.substr(prefix.size()));
      if (!rest.empty() && rest.front() == ':') rest = Trim(rest.substr(1));
      size_t end = 0;
      while (end < rest.size() && !std::isspace(static_cast<unsigned char>(rest[end]))) ++end;
      if (end > 0 && end <= 200) return SanitizeText(std::string(rest.substr(0, end)), 200);
    }
  }
  // 2. A UUID that is not part of our own ids (the prompt carries those).
  std::string_view s(output);
  for (size_t pos = FindUuid(s, 0); pos != std::string_view::npos; pos = FindUuid(s, pos + 36)) {
    std::string uuid(s.substr(pos, 36));
    bool ours = false;
    for (const auto& id : known_ids) ours = ours || id.find(uuid) != std::string::npos;
    if (!ours) return uuid;
  }
  // 3. The whole output when it is one short printable token that looks like
  // an id (has a digit; "ok" or "done" is not a session id).
  std::string_view whole = Trim(s);
  if (whole.size() >= 6 && whole.size() <= 128) {
    bool token = true;
    bool digit = false;
    for (char c : whole) {
      token = token && std::isgraph(static_cast<unsigned char>(c));
      digit = digit || std::isdigit(static_cast<unsigned char>(c));
    }
    if (token && digit) return std::string(whole);
  }
  return std::string();
}

namespace {

// What the agent said about its attempt: its JSON result (or event stream)
// and its last TASK_COMPLETE / TASK_FAILED markers.
struct AgentReport {
  JsonInfo info;
  Markers markers;
};

AgentReport ReadReport(const ProcessResult& p) {
  AgentReport report;
  JsonInfo& info = report.info;
  const std::string& out = p.stdout_tail;
  if (!ReadEventStream(out, &info)) {
    if (auto j = FindJsonResult(out)) ReadJson(*j, &info);
  }
  if (!info.found) {
    // Gemini CLI prints its JSON result to stderr when the run failed:
    // {"session_id": ..., "error": {"type", "message", "code"}}.
    auto j = FindJsonResult(p.stderr_tail);
    if (j && JsonAt(*j, {"error", "message"}) != nullptr) ReadJson(*j, &info);
  }
  ScanMarkers(out, &report.markers);
  if (!info.text.empty()) ScanMarkers(info.text, &report.markers);
  return report;
}

// The summary is kept whatever the outcome: it helps people see what a
// failed attempt did.
std::string SummaryOf(const AgentReport& report, const std::string& out) {
  const JsonInfo& info = report.info;
  const auto& complete = report.markers.complete;
  if (complete && !complete->empty()) return *complete;
  // OpenClaw's generic "completed": the payload says more.
  if (!info.summary.empty() && !info.text.empty() && info.summary == "completed") return info.text;
  if (!info.summary.empty()) return info.summary;
  if (!info.text.empty()) return info.text;
  return FirstChars(Trim(out), kMaxSummaryChars);
}

void Fail(AgentResult* r, ExecutionStatus status, ErrorType type, bool retryable,
          const std::string& error) {
  r->status = status;
  r->error_type = type;
  r->retryable = retryable;
  r->error = SanitizeText(error, kMaxErrorChars);
}

void FailClassified(AgentResult* r, const std::string& reason, const std::string& prefix) {
  const ErrorType type = ClassifyError(reason, ErrorType::kExecutionError);
  Fail(r, ExecutionStatus::kFailed, type, IsRetryable(type), prefix + reason);
}

// A refusal a person must lift (or agent.approvals): retrying asks the same.
void FailForApproval(AgentResult* r, const std::string& lead,
                     const std::vector<std::string>& refused, const char* separator,
                     const std::string& said) {
  std::string what;
  for (const auto& item : refused) what += (what.empty() ? "" : separator) + item;
  Fail(r, ExecutionStatus::kFailed, ErrorType::kApprovalRequired, false,
       lead + what + (said.empty() ? "" : "; the agent said: " + said));
}

// The end of the output is where errors are; the start is chatter.
std::string OutputClue(const ProcessResult& p) {
  std::string_view err = Trim(p.stderr_tail);
  return std::string(LastBytes(err.empty() ? Trim(p.stdout_tail) : err, kClassifyWindow));
}

// Attempts ended from outside the agent: cancel, our deadline, a lost exit
// status, a signal. False when the process exited on its own.
bool JudgeEndedFromOutside(const ProcessResult& p, const JsonInfo& info, AgentResult* r) {
  if (p.cancelled) {
    Fail(r, ExecutionStatus::kCancelled, ErrorType::kCancelled, false, "cancelled on request");
  } else if (p.timed_out) {
    // A CLI that keeps retrying a dead model API until the deadline (Codex
    // "Reconnecting... waiting for network") timed out for that reason:
    // its last error, when transient, names the type.
    std::string error =
        "timed out after " + std::to_string(p.duration_ms) + " ms; the process group was killed";
    ErrorType type = ErrorType::kTimeoutError;
    if (info.is_error && !info.error.empty()) {
      error += "; the agent's last error: " + info.error;
      const ErrorType cause = ClassifyError(info.error, ErrorType::kTimeoutError);
      if (IsRetryable(cause)) type = cause;
    }
    Fail(r, ExecutionStatus::kTimedOut, type, true, error);
  } else if (p.stalled) {
    const int64_t idle_ms = p.duration_ms - std::max<int64_t>(p.last_output_ms, 0);
    Fail(r, ExecutionStatus::kTimedOut, ErrorType::kStalled, true,
         "stalled: no output on stdout or stderr for " + std::to_string(idle_ms / 1000) + " s " +
             (p.last_output_ms < 0 ? "since it started" : "before it was stopped") +
             "; the process group was killed");
  } else if (!p.exit_code && !p.term_signal) {
    // The exit status was taken by someone else's waitpid: we cannot know
    // how the attempt ended, like an executor that died under it.
    Fail(r, ExecutionStatus::kFailed, ErrorType::kLost, true,
         "the agent's exit status is unavailable");
  } else if (p.term_signal) {
    std::string clue = OutputClue(p);
    Fail(r, ExecutionStatus::kFailed, ErrorType::kCrash, true,
         "agent killed by " + SignalName(*p.term_signal) + (clue.empty() ? "" : ": " + clue));
  } else {
    return false;
  }
  return true;
}

// An agent that exited on its own: what it reported, then its exit code.
void JudgeExit(const ProcessResult& p, const AgentReport& report, AgentResult* r) {
  const JsonInfo& info = report.info;
  const Markers& markers = report.markers;
  const int exit_code = p.exit_code.value_or(-1);
  if (!info.refused.empty()) {
    // Refused for want of approval, even when the model then claimed
    // success without it.
    FailForApproval(r, "refused without a person's approval: ", info.refused, ", ",
                    markers.failed ? *markers.failed : info.text);
  } else if (!info.sandbox_refused.empty() &&
             ((markers.failed && markers.failed_last) || info.is_error || exit_code != 0)) {
    // The agent failed after its sandbox refused a command.
    FailForApproval(r, "the sandbox refused without a person's approval: ", info.sandbox_refused,
                    "; ", markers.failed ? *markers.failed : info.error);
  } else if (markers.question_last && !markers.question->empty() && !info.is_error) {
    // The agent's last word is a question for a person: not a failure, and
    // nothing to retry until someone answers.
    r->status = ExecutionStatus::kNeedsInput;
    r->question = SanitizeText(*markers.question, kMaxQuestionChars);
  } else if (markers.failed && markers.failed_last) {
    std::string prefix = exit_code != 0 ? "exit code " + std::to_string(exit_code) + ": " : "";
    FailClassified(r, markers.failed->empty() ? "TASK_FAILED" : *markers.failed, prefix);
  } else if (info.is_error) {
    FailClassified(r, info.error.empty() ? "agent reported an error" : info.error,
                   "agent result: ");
  } else if (exit_code != 0) {
    std::string clue = OutputClue(p);
    FailClassified(r, clue.empty() ? "no output" : clue,
                   "exit code " + std::to_string(exit_code) + ": ");
  } else {
    r->status = ExecutionStatus::kCompleted;
  }
}

}  // namespace

bool ReportsCompletion(const ProcessResult& p) {
  const AgentReport report = ReadReport(p);
  const Markers& m = report.markers;
  const JsonInfo& info = report.info;
  if (m.failed_last || m.question_last || info.is_error || !info.refused.empty()) return false;
  return m.complete.has_value() || info.found;
}

ParsedOutcome ParseOutcome(const ProcessResult& p, const std::vector<std::string>& known_ids) {
  ParsedOutcome parsed;
  AgentResult& r = parsed.result;
  r.pid = p.pid;
  r.exit_code = p.exit_code;
  r.term_signal = p.term_signal;

  const AgentReport report = ReadReport(p);
  parsed.artifact_paths = report.info.artifacts;
  r.usage = report.info.usage;
  r.usage.model = SanitizeText(r.usage.model, 200);
  r.summary = SanitizeText(SummaryOf(report, p.stdout_tail), kMaxSummaryChars);
  const std::string& reported_session = report.info.session_id;
  r.session_id = SanitizeText(
      !reported_session.empty() ? reported_session : ExtractSessionId(p.stdout_tail, known_ids),
      200);

  if (!JudgeEndedFromOutside(p, report.info, &r)) JudgeExit(p, report, &r);
  return parsed;
}

}  // namespace taskexec
