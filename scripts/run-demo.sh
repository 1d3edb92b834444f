#!/usr/bin/env bash
# The run command: installs what is missing, builds, and starts taskexec on
# the embedded SQLite store with a few demo tasks run by the demo agent
# (scripts/demo-agent.sh). The service keeps running (dashboard at
# http://127.0.0.1:8080/) until Ctrl-C. DEMO_EXIT_WHEN_DONE=1 stops it once
# the demo tasks have finished (used by CI-style smoke checks).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build} bash scripts/build.sh -DTASKEXEC_BUILD_TESTS=OFF -DTASKEXEC_BUILD_BENCH=OFF
bin="$root/${BUILD_DIR:-build}/taskexec"

demo="$root/var/demo"
rm -rf "$demo"  # a fresh demo each run
mkdir -p "$demo"
cat > "$demo/taskexec.toml" <<TOML
# Written by scripts/run-demo.sh
[store]
db_path = "$demo/taskexec.db"

[executor]
retry_delay_seconds = 2
max_concurrent = 4

[agent]
command = ["$root/scripts/demo-agent.sh", "--agent", "{agent}", "--label", "task-{task_id}",
           "--context", "{context_json}", "--prompt", "{prompt}"]
work_dir = "$demo/work"
log_dir = "$demo/logs"
timeout_seconds = 60

[server]
listen = "${TASKEXEC_DEMO_LISTEN:-127.0.0.1:8080}"
TOML
te() { "$bin" --config "$demo/taskexec.toml" "$@"; }

te config check
ids=()
ids+=("$(te task add --title "Research open-source vector databases" --priority high)")
ids+=("$(te task add --title "Write the release notes for 0.1" --type docs)")
ids+=("$(te task add --title "Fix the flaky login test in auth.py")")
ids+=("$(te task add --title "Deploy the staging environment" --agent ogedei)")
ids+=("$(te task add --title "Review the Q3 roadmap" --description "Coordinate with every team lead")")
echo "added ${#ids[@]} demo tasks"

"$bin" --config "$demo/taskexec.toml" serve &
service=$!
trap 'kill -TERM $service 2>/dev/null; wait $service 2>/dev/null' EXIT INT TERM

for _ in $(seq 1 120); do
  left=$(te tasks --json | grep -cE '"status": "(pending|assigned|in_progress|retrying)"' || true)
  [ "$left" -eq 0 ] && break
  sleep 1
done
te tasks
te status
if [ "${DEMO_EXIT_WHEN_DONE:-0}" = 1 ]; then
  trap - EXIT INT TERM
  kill -TERM $service
  wait $service
  exit $?
fi
echo "taskexec is running: dashboard http://${TASKEXEC_DEMO_LISTEN:-127.0.0.1:8080}/ — Ctrl-C stops it"
wait $service
