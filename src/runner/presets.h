// Built-in agent command templates (argv with placeholders; see
// command_template.h) and parsing of a template given as a JSON array.
//
//   seed           openclaw sessions_spawn --agent {agent} --label task-{task_id}
//                  --context {context_json} --prompt {prompt}
//   openclaw       openclaw agent --agent {agent} --session-key {task_id}-{attempt}
//                  --message-file {prompt_file} --timeout {timeout_seconds} --json
//   openclaw-exec  openclaw agent exec --message-file {prompt_file} --cwd {work_dir}
//                  --timeout {timeout_seconds} --json
//   claude         claude -p --output-format json                   (prompt on stdin)
//   codex          codex exec --json --skip-git-repo-check -C {work_dir}  (prompt on stdin)
//   opencode       opencode run --format json --dir {work_dir}       (prompt on stdin)
// Resuming appends: OpenClaw `--session-id {resume_session_id}`, Claude Code
// `--resume {resume_session_id}`, Codex `resume {resume_session_id} -`.
//
// Thread-safety: pure functions over constants.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/status.h"

namespace taskexec {

struct Preset {
  std::string name;
  std::vector<std::string> argv;
  bool prompt_on_stdin = false;  // the CLI reads the prompt from standard input
  std::string description;
  // Environment the CLI needs to behave as an attempt must (agent.env may
  // override each one).
  std::map<std::string, std::string> env = {};
  // Appended when the attempt continues an earlier session (agent.resume);
  // empty = the CLI cannot resume from a new attempt's folder.
  std::vector<std::string> resume_args = {};
  // Appended for each agent.approvals value, so the CLI never waits for a
  // person: "deny", "allow-listed", "bypass". Empty = the CLI has no such
  // setting or never asks.
  std::map<std::string, std::vector<std::string>> approval_args = {};
};

const std::vector<Preset>& Presets();
std::vector<std::string> PresetNames();

// The preset's argv template; on an unknown name sets *status to
// InvalidArgument listing the known names and returns an empty vector.
// `status` may be null.
std::vector<std::string> PresetCommand(const std::string& name, Status* status);

// Null when unknown.
const Preset* FindPreset(const std::string& name);

// True for presets whose CLI writes its result at the end of the turn and
// nothing while it works (one JSON document), so agent.stall_seconds below
// the turn's length stops healthy turns; false for those that stream events
// (codex, opencode) and for custom commands.
bool SilentUntilDone(const AgentConfig& config);

// The arguments that make the configured command continue a session:
// agent.resume_args, else the preset's when no agent.command is set; empty
// = attempts cannot resume.
std::vector<std::string> ResumeArgs(const AgentConfig& config);

// The preset's arguments for agent.approvals; empty with agent.command set
// (a custom command states its own policy) or for a preset without them.
std::vector<std::string> ApprovalArgs(const AgentConfig& config);

// Parses `TASKEXEC_AGENT_COMMAND`-style text: a JSON array of strings, e.g.
// ["my-agent","--prompt","{prompt}"]. Errors say what is wrong.
Status ParseCommandJson(const std::string& text, std::vector<std::string>* argv);

}  // namespace taskexec
