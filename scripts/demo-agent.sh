#!/usr/bin/env bash
# demo-agent.sh: a harmless agent for trying taskexec without an AI CLI.
#
# Use it as the agent command (seed-form arguments are accepted and ignored
# except --agent and --prompt), e.g. in taskexec.toml:
#   [agent]
#   command = ["scripts/demo-agent.sh", "--agent", "{agent}", "--label", "task-{task_id}",
#              "--context", "{context_json}", "--prompt", "{prompt}"]
# It prints progress lines, writes a small report into $TASKEXEC_ARTIFACTS_DIR,
# then prints "TASK_COMPLETE: ..." and a final JSON line, as a real agent
# following taskexec's prompt would. Set DEMO_AGENT_SECONDS to make it slower.
set -eu
if [ "${1:-}" = "--version" ]; then
  echo "demo-agent 1.0 (taskexec)"
  exit 0
fi

agent="main"
prompt=""
while [ $# -gt 0 ]; do
  case "$1" in
    --agent) agent="${2:-main}"; shift 2 ;;
    --prompt) prompt="${2:-}"; shift 2 ;;
    *) shift ;;
  esac
done
if [ -z "$prompt" ] && [ -n "${TASKEXEC_PROMPT_FILE:-}" ] && [ -r "$TASKEXEC_PROMPT_FILE" ]; then
  prompt="$(cat "$TASKEXEC_PROMPT_FILE")"
fi

task_id="${TASKEXEC_TASK_ID:-demo}"
steps=3
pause="${DEMO_AGENT_SECONDS:-1}"
echo "demo-agent ($agent): received task $task_id (${#prompt} bytes of prompt)"
for i in $(seq 1 "$steps"); do
  echo "demo-agent ($agent): step $i of $steps"
  sleep "$pause"
done

out_dir="${TASKEXEC_ARTIFACTS_DIR:-.}"
mkdir -p "$out_dir"
{
  echo "Demo report for task $task_id"
  echo "Agent: $agent"
  echo "Attempt: ${TASKEXEC_ATTEMPT:-1}"
  echo "Prompt (first line): $(printf '%s\n' "$prompt" | head -n 1)"
} > "$out_dir/report.txt"

echo "TASK_COMPLETE: demo agent $agent finished task $task_id"
printf '{"summary":"demo agent %s finished task %s","session_id":"demo-%s","artifacts":[]}\n' \
  "$agent" "$task_id" "${TASKEXEC_EXECUTION_ID:-0}"
