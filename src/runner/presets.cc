#include "runner/presets.h"

#include <set>

#include <nlohmann/json.hpp>

namespace taskexec {

const std::vector<Preset>& Presets() {
  // OpenClaw re-spawns itself as a detached child in a session of its own,
  // which a signal to the attempt's process group does not reach (a SIGKILL
  // after the grace left it running); this keeps it one process in the group.
  const std::map<std::string, std::string> kOpenClawEnv = {{"OPENCLAW_NO_RESPAWN", "1"}};
  // A durable session id wins over the attempt's session key: the turn
  // continues that session's history.
  const std::vector<std::string> kOpenClawResume = {"--session-id", "{resume_session_id}"};
  static const std::vector<Preset> presets = {
      {"seed",
       {"openclaw", "sessions_spawn", "--agent", "{agent}", "--label", "task-{task_id}",
        "--context", "{context_json}", "--prompt", "{prompt}"},
       false,
       "the historical command line; needs a wrapper providing `openclaw sessions_spawn`"},
      {"openclaw",
       {"openclaw", "agent", "--agent", "{agent}", "--session-key", "{task_id}-{attempt}",
        "--message-file", "{prompt_file}", "--timeout", "{timeout_seconds}", "--json"},
       false,
       "one OpenClaw agent turn through the Gateway, a fresh session per attempt",
       kOpenClawEnv,
       kOpenClawResume},
      {"openclaw-local",
       {"openclaw", "agent", "--local", "--agent", "{agent}", "--session-key",
        "{task_id}-{attempt}", "--message-file", "{prompt_file}", "--timeout", "{timeout_seconds}",
        "--json"},
       false,
       "one turn of the routed OpenClaw agent run embedded (no Gateway), a fresh session per "
       "attempt; the default",
       kOpenClawEnv,
       kOpenClawResume},
      {"openclaw-exec",
       {"openclaw", "agent", "exec", "--message-file", "{prompt_file}", "--cwd", "{work_dir}",
        "--timeout", "{timeout_seconds}", "--json"},
       false,
       "embedded one-shot OpenClaw run (no Gateway, default agent only)",
       kOpenClawEnv},
      // In -p mode Claude Code refuses what needs approval and lists it
      // under permission_denials; --permission-prompts none makes sure no
      // prompt ever waits for an SDK host.
      {"claude",
       {"claude", "-p", "--output-format", "json"},
       true,
       "Claude Code, prompt on stdin",
       {},
       {"--resume", "{resume_session_id}"},
       {{"deny", {"--permission-prompts", "none"}},
        {"allow-listed", {"--permission-mode", "acceptEdits", "--permission-prompts", "none"}},
        {"bypass", {"--dangerously-skip-permissions"}}}},
      // No resume arguments: opencode 1.18.33 continues a session (--session)
      // only from the folder it began in; from a later attempt's folder the
      // turn reaches the model but `run` never returns.
      {"opencode",
       {"opencode", "run", "--format", "json", "--dir", "{work_dir}"},
       true,
       "opencode, prompt on stdin, JSON events on stdout"},
      // -p "" runs headless with the prompt from stdin (-p's text is
      // appended to it). The attempt's folder is taskexec's own, so it is
      // trusted (--skip-trust) rather than refused as an unknown workspace.
      // No resume arguments: Gemini CLI keeps sessions per project folder,
      // and each attempt has a folder of its own, so --resume finds none.
      // Headless, it leaves out of the model's tools those that would need
      // an approval the mode does not give.
      {"gemini",
       {"gemini", "--skip-trust", "--output-format", "json", "-p", ""},
       true,
       "Gemini CLI, prompt on stdin, one JSON result on stdout",
       {},
       {},
       {{"deny", {"--approval-mode", "default"}},
        {"allow-listed", {"--approval-mode", "auto_edit"}},
        {"bypass", {"--approval-mode", "yolo"}}}},
      // `codex exec` reads the prompt from stdin when none is given; the
      // resume subcommand takes the session, then "-" for stdin. exec never
      // asks for approval: what its sandbox refuses comes back to the model
      // as a failed command, so the sandbox mode is the approval setting.
      {"codex",
       {"codex", "exec", "--json", "--skip-git-repo-check", "-C", "{work_dir}"},
       true,
       "Codex CLI, prompt on stdin, JSON events on stdout",
       {},
       {"resume", "{resume_session_id}", "-"},
       {{"deny", {"--sandbox", "read-only"}},
        {"allow-listed", {"--sandbox", "workspace-write"}},
        {"bypass", {"--dangerously-bypass-approvals-and-sandbox"}}}},
  };
  return presets;
}

std::vector<std::string> ResumeArgs(const AgentConfig& config) {
  if (!config.resume_args.empty()) return config.resume_args;
  if (!config.command.empty()) return {};  // the preset's would not fit a custom command
  const Preset* preset = FindPreset(config.preset);
  return preset != nullptr ? preset->resume_args : std::vector<std::string>{};
}

std::vector<std::string> ApprovalArgs(const AgentConfig& config) {
  if (!config.command.empty()) return {};
  const Preset* preset = FindPreset(config.preset);
  if (preset == nullptr) return {};
  auto it = preset->approval_args.find(config.approvals);
  return it != preset->approval_args.end() ? it->second : std::vector<std::string>{};
}

bool SilentUntilDone(const AgentConfig& config) {
  if (!config.command.empty()) return false;
  static const std::set<std::string> silent = {"openclaw", "openclaw-local", "openclaw-exec",
                                               "claude", "gemini"};
  return silent.count(config.preset) != 0;
}

std::vector<std::string> PresetNames() {
  std::vector<std::string> names;
  for (const auto& p : Presets()) names.push_back(p.name);
  return names;
}

const Preset* FindPreset(const std::string& name) {
  for (const auto& p : Presets()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::vector<std::string> PresetCommand(const std::string& name, Status* status) {
  if (const Preset* p = FindPreset(name)) {
    if (status != nullptr) *status = Status::OK();
    return p->argv;
  }
  if (status != nullptr) {
    std::string known;
    for (const auto& n : PresetNames()) known += (known.empty() ? "" : ", ") + n;
    *status = Status::InvalidArgument("agent.preset: unknown preset \"" + name +
                                      "\"; expected one of " + known);
  }
  return {};
}

Status ParseCommandJson(const std::string& text, std::vector<std::string>* argv) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Status::InvalidArgument(
        "agent command: not valid JSON; expected an array of strings "
        "such as [\"my-agent\", \"--prompt\", \"{prompt}\"]");
  }
  if (!j.is_array())
    return Status::InvalidArgument("agent command: expected a JSON array of strings");
  if (j.empty()) return Status::InvalidArgument("agent command: the array is empty");
  std::vector<std::string> out;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) {
      return Status::InvalidArgument("agent command: element " + std::to_string(i) +
                                     " is not a string");
    }
    out.push_back(j[i].get<std::string>());
  }
  *argv = std::move(out);
  return Status::OK();
}

}  // namespace taskexec
