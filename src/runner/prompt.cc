#include "runner/prompt.h"

#include <map>

#include <nlohmann/json.hpp>

namespace taskexec {

namespace {

// Pretty-prints JSON text when it parses; otherwise returns it as given.
std::string PrettyJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return text;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

// "{}", "null", "" and whitespace carry nothing worth a section.
bool IsEmptyJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return text.find_first_not_of(" \t\r\n") == std::string::npos;
  return j.is_null() || (j.is_object() && j.empty()) || (j.is_array() && j.empty());
}

std::string OrNone(const std::string& s) { return s.empty() ? "(none)" : s; }

// Why the last attempt's claimed completion failed its check (agent.verify,
// agent.require_changes); empty otherwise.
std::string VerificationNote(const Task& t) {
  return t.error_type == ErrorType::kVerificationFailed ? t.error_message : std::string();
}

std::string DefaultPrompt(const Task& t, const SessionExecution& e, const std::string& checkpoint) {
  std::string p = "You have been assigned a task.\n\n";
  p += "TASK ID: " + t.id + "\n";
  p += "ATTEMPT ID: " + e.id + " (attempt " + std::to_string(e.attempt) + ")\n";
  p += "TITLE: " + t.title + "\n";
  p += "TYPE: " + OrNone(t.type) + "\n";
  p += "PRIORITY: " + std::string(ToString(t.priority)) + "\n\n";
  p += "DESCRIPTION:\n" + OrNone(t.description) + "\n\n";
  p += "INSTRUCTIONS:\n";
  p += "1. Read the task, its description and any context below.\n";
  p += "2. Carry the task out to completion.\n";
  p += "3. Report your results: what you did and where any output is.\n";
  p += "4. Update the task status by ending with one of the lines below.\n";
  if (!t.notion_url.empty()) p += "\nNOTION REFERENCE: " + t.notion_url + "\n";
  if (!IsEmptyJson(t.context_json))
    p += "\nADDITIONAL CONTEXT:\n" + PrettyJson(t.context_json) + "\n";
  if (!t.reply.empty()) {
    p += "\nYOUR QUESTION (an earlier attempt asked a person):\n" + OrNone(t.question) + "\n";
    p += "\nTHE ANSWER:\n" + t.reply + "\n";
  }
  if (const std::string v = VerificationNote(t); !v.empty()) {
    p += "\nYOUR LAST COMPLETION WAS NOT ACCEPTED (the workspace was checked):\n" + v + "\n";
  }
  if (!IsEmptyJson(checkpoint)) {
    p += "\nCHECKPOINT (an earlier attempt got this far; resume from here):\n" +
         PrettyJson(checkpoint) + "\n";
  }
  p += "\nWhen you finish, end your reply with exactly one line:\n";
  p += "TASK_COMPLETE: <one-line summary of the result>\n";
  p += "or, if the task cannot be completed:\n";
  p += "TASK_FAILED: <the reason>\n";
  p += "or, if you cannot go on without a person's answer:\n";
  p += "TASK_NEEDS_INPUT: <your question, on one line>\n";
  return p;
}

}  // namespace

std::string BuildPrompt(const Task& task, const SessionExecution& execution,
                        const std::string& checkpoint_json, const std::string& tmpl) {
  if (tmpl.empty()) return DefaultPrompt(task, execution, checkpoint_json);
  const std::map<std::string, std::string> values = {
      {"task_id", task.id},
      {"execution_id", execution.id},
      {"attempt", std::to_string(execution.attempt)},
      {"agent", execution.agent},
      {"title", task.title},
      {"description", task.description},
      {"type", task.type},
      {"priority", std::string(ToString(task.priority))},
      {"notion_url", task.notion_url},
      {"context_json", task.context_json.empty() ? "{}" : task.context_json},
      {"checkpoint_json", checkpoint_json.empty() ? "{}" : checkpoint_json},
      {"question", task.reply.empty() ? "" : task.question},
      {"reply", task.reply},
      {"verification", VerificationNote(task)},
  };
  // Single pass, so a value containing "{title}" is not expanded again.
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t open = tmpl.find('{', i);
    if (open == std::string::npos) {
      out.append(tmpl, i, std::string::npos);
      break;
    }
    out.append(tmpl, i, open - i);
    size_t close = tmpl.find('}', open);
    if (close != std::string::npos) {
      auto it = values.find(tmpl.substr(open + 1, close - open - 1));
      if (it != values.end()) {
        out += it->second;
        i = close + 1;
        continue;
      }
    }
    out.push_back('{');
    i = open + 1;
  }
  return out;
}

}  // namespace taskexec
