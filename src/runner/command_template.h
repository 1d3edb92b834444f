// Argv templates: expansion of {placeholder}s and the kernel's size limits.
//
// A placeholder is `{name}` with name made of [A-Za-z0-9_]; any other brace
// is literal, so JSON in an argument ("{\"a\":1}") passes unchanged. A
// placeholder whose name is not in KnownPlaceholders() is an error, so typos
// are caught by `config check` rather than sent to the agent. Each element
// expands to exactly one argv string (never split, never given to a shell).
//
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace taskexec {

// agent, task_id, execution_id, attempt, label, title, prompt, prompt_file,
// context_json, timeout_seconds, work_dir, artifacts_dir, log_path,
// resume_session_id (the session a resumed attempt continues; "" otherwise).
const std::vector<std::string>& KnownPlaceholders();

// Whether some element of `tmpl` names {`placeholder`}.
bool TemplateNames(const std::vector<std::string>& tmpl, const std::string& placeholder);

// Checks placeholders and emptiness without expanding.
Status ValidateCommandTemplate(const std::vector<std::string>& tmpl);

// Checks the placeholders of arguments added to a command (may be empty);
// errors name `key`[i], e.g. "agent.resume_args[1]".
Status ValidateTemplateArgs(const std::vector<std::string>& args, const std::string& key);

// Expands every element with `values` (which must hold every placeholder
// used). Errors name the element and the placeholder.
Status ExpandCommandTemplate(const std::vector<std::string>& tmpl,
                             const std::map<std::string, std::string>& values,
                             std::vector<std::string>* argv);

// Linux limits: one argv/env string at most MAX_ARG_STRLEN (32 pages =
// 131072 bytes, NUL included); all of argv + envp (strings and pointers)
// within sysconf(_SC_ARG_MAX). Returns InvalidArgument naming the offending
// template element (and its placeholders) instead of a bare E2BIG.
constexpr size_t kMaxArgStrlen = 131072;
Status CheckExecLimits(const std::vector<std::string>& tmpl, const std::vector<std::string>& argv,
                       const std::vector<std::string>& env);

}  // namespace taskexec
