#include "runner/command_template.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace taskexec {

namespace {

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Calls on_text for literal runs and on_name for each {name}.
template <typename OnText, typename OnName>
bool Scan(const std::string& s, OnText on_text, OnName on_name) {
  size_t i = 0;
  while (i < s.size()) {
    size_t open = s.find('{', i);
    if (open == std::string::npos) {
      on_text(s.substr(i));
      return true;
    }
    size_t j = open + 1;
    while (j < s.size() && IsNameChar(s[j])) ++j;
    if (j < s.size() && s[j] == '}' && j > open + 1) {
      on_text(s.substr(i, open - i));
      if (!on_name(s.substr(open + 1, j - open - 1))) return false;
      i = j + 1;
    } else {
      on_text(s.substr(i, open + 1 - i));  // a literal brace
      i = open + 1;
    }
  }
  return true;
}

bool IsKnown(const std::string& name) {
  const auto& known = KnownPlaceholders();
  return std::find(known.begin(), known.end(), name) != known.end();
}

std::string KnownList() {
  std::string out;
  for (const auto& n : KnownPlaceholders()) out += (out.empty() ? "{" : ", {") + n + "}";
  return out;
}

std::string Placeholders(const std::string& element) {
  std::string out;
  Scan(
      element, [](const std::string&) {},
      [&](const std::string& name) {
        out += (out.empty() ? "{" : ", {") + name + "}";
        return true;
      });
  return out;
}

}  // namespace

const std::vector<std::string>& KnownPlaceholders() {
  static const std::vector<std::string> names = {
      "agent",    "task_id",       "execution_id", "attempt",          "label",
      "title",    "prompt",        "prompt_file",  "context_json",     "timeout_seconds",
      "work_dir", "artifacts_dir", "log_path",     "resume_session_id"};
  return names;
}

bool TemplateNames(const std::vector<std::string>& tmpl, const std::string& placeholder) {
  bool named = false;
  for (const std::string& element : tmpl) {
    Scan(
        element, [](const std::string&) {},
        [&](const std::string& name) {
          named = named || name == placeholder;
          return !named;
        });
  }
  return named;
}

Status ValidateTemplateArgs(const std::vector<std::string>& args, const std::string& key) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string bad;
    Scan(
        args[i], [](const std::string&) {},
        [&](const std::string& name) {
          if (IsKnown(name)) return true;
          bad = name;
          return false;
        });
    if (!bad.empty()) {
      return Status::InvalidArgument(key + "[" + std::to_string(i) + "] \"" + args[i] +
                                     "\": unknown placeholder {" + bad +
                                     "}; known: " + KnownList());
    }
  }
  return Status::OK();
}

Status ValidateCommandTemplate(const std::vector<std::string>& tmpl) {
  if (tmpl.empty()) return Status::InvalidArgument("agent.command: the template is empty");
  if (tmpl[0].empty()) return Status::InvalidArgument("agent.command[0]: the program is empty");
  return ValidateTemplateArgs(tmpl, "agent.command");
}

Status ExpandCommandTemplate(const std::vector<std::string>& tmpl,
                             const std::map<std::string, std::string>& values,
                             std::vector<std::string>* argv) {
  if (Status s = ValidateCommandTemplate(tmpl); !s.ok()) return s;
  std::vector<std::string> out;
  out.reserve(tmpl.size());
  for (size_t i = 0; i < tmpl.size(); ++i) {
    std::string expanded;
    std::string missing;
    Scan(
        tmpl[i], [&](const std::string& text) { expanded += text; },
        [&](const std::string& name) {
          auto it = values.find(name);
          if (it == values.end()) {
            missing = name;
            return false;
          }
          expanded += it->second;
          return true;
        });
    if (!missing.empty()) {
      return Status::Internal("agent.command[" + std::to_string(i) + "]: no value for {" + missing +
                              "}");
    }
    out.push_back(std::move(expanded));
  }
  *argv = std::move(out);
  return Status::OK();
}

Status CheckExecLimits(const std::vector<std::string>& tmpl, const std::vector<std::string>& argv,
                       const std::vector<std::string>& env) {
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i].size() + 1 <= kMaxArgStrlen) continue;
    std::string source = i < tmpl.size() ? tmpl[i] : std::string();
    std::string names = Placeholders(source);
    return Status::InvalidArgument(
        "agent.command[" + std::to_string(i) + "] \"" + source.substr(0, 80) + "\" expands to " +
        std::to_string(argv[i].size()) + " bytes" +
        (names.empty() ? std::string() : " (from " + names + ")") +
        "; Linux limits one argument to " + std::to_string(kMaxArgStrlen - 1) +
        " bytes (MAX_ARG_STRLEN). Pass long text through {prompt_file} or standard input "
        "(agent.stdin_mode = \"prompt\") instead");
  }
  for (const auto& e : env) {
    if (e.size() + 1 > kMaxArgStrlen) {
      return Status::InvalidArgument("environment variable " + e.substr(0, e.find('=')) + " is " +
                                     std::to_string(e.size()) + " bytes; Linux limits one to " +
                                     std::to_string(kMaxArgStrlen - 1) + " bytes (MAX_ARG_STRLEN)");
    }
  }
  size_t total = 0;
  for (const auto& a : argv) total += a.size() + 1 + sizeof(char*);
  size_t env_total = 0;
  for (const auto& e : env) env_total += e.size() + 1 + sizeof(char*);
  total += env_total + 2 * sizeof(char*);
  long arg_max = sysconf(_SC_ARG_MAX);
  if (arg_max > 0 && total > static_cast<size_t>(arg_max)) {
    return Status::InvalidArgument(
        "the agent command (" + std::to_string(total - env_total) + " bytes of arguments) plus " +
        "the environment (" + std::to_string(env_total) + " bytes) exceed the kernel's limit of " +
        std::to_string(arg_max) +
        " bytes (ARG_MAX); pass long text through {prompt_file} or "
        "standard input instead");
  }
  return Status::OK();
}

}  // namespace taskexec
