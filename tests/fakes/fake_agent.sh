#!/usr/bin/env bash
# fake_agent.sh: a scripted stand-in for an agent CLI, for taskexec's tests.
#
# It accepts any arguments (e.g. the seed form: --agent A --label L --context J
# --prompt P) and picks a behaviour ("mode") from, in order:
#   1. $FAKE_AGENT_MODE
#   2. a word "fake-mode=<mode>" in any argument (the prompt carries the
#      task title, so a test can put it in the title)
#   3. "fake-mode=<mode>" in the prompt file ($TASKEXEC_PROMPT_FILE)
#   4. otherwise: succeed
#
# Modes:
#   succeed          progress lines, "Session: fake-<execution id>",
#                    "TASK_COMPLETE: fake agent finished <task id>", then a final
#                    JSON line {"summary":...,"session_id":...}; exit 0
#   fail             "TASK_FAILED: fake failure requested"; exit 1
#   fail-retryable   "TASK_FAILED: connection refused by upstream"; exit 1
#   flaky            attempts < $FAKE_AGENT_FLAKY_ATTEMPTS+1 (default: attempt 1)
#                    behave like fail-retryable, later ones like succeed
#   exit             message on stderr, exit $FAKE_AGENT_EXIT_CODE (default 3)
#   hang             starts a grandchild `sleep`, writes its pid to
#                    ./grandchild.pid and ours to ./agent.pid (in the working
#                    directory), then waits forever
#   hang-ignore-term like hang, but ignores SIGTERM (only SIGKILL stops it)
#   escape           starts `setsid env -i sleep` (own session, no marker), writes
#                    its pid to ./escapee.pid, then hangs
#   usage-limit      Claude Code's -p --output-format json result when the plan's
#                    limit is reached: is_error, "Claude AI usage limit
#                    reached|<now + 3600>"; exit 1
#   crash            kills itself with SIG$FAKE_AGENT_SIGNAL (default SEGV)
#   garbage          invalid UTF-8, control bytes and random bytes, no marker; exit 0
#   artifacts        writes report.txt ("hello artifact\n") and sub/data.bin into
#                    $TASKEXEC_ARTIFACTS_DIR, extra.txt into the working directory,
#                    and lists extra.txt and missing.txt in its final JSON line
#   echo-argv        writes every argument NUL-terminated to
#                    $TASKEXEC_ARTIFACTS_DIR/argv.bin and the TASKEXEC_* environment to
#                    $TASKEXEC_ARTIFACTS_DIR/env.txt, its whole environment to
#                    env-all.txt there; then succeeds
#   env-fail         prints its whole environment on stdout and again in its
#                    failure message (a careless agent leaking what it sees); exit 1
#   stdin            copies standard input to $TASKEXEC_ARTIFACTS_DIR/stdin.txt; succeeds
#   slow             sleeps $FAKE_AGENT_SLEEP seconds (default 2), then succeeds
#   wait-file        waits until the file $FAKE_AGENT_GO_FILE exists, then succeeds
#   progress         prints a coloured line, "working on the parser", then a JSON
#                    event with no text and a rule line, then hangs like hang (its
#                    last meaningful line is "working on the parser")
#   big-output       prints $FAKE_AGENT_LINES lines (default 20000) to stdout, then succeeds
#   openclaw-json    prints an OpenClaw `agent --json` document (pretty-printed); exit 0
#   openclaw-json-huge  the same document with a 200 KiB finalPromptText (as
#                    OpenClaw echoes the prompt) whose reply is TASK_FAILED; exit 0
#   ask              without an answer in its prompt: "Session: fake-ask-<task id>"
#                    and "TASK_NEEDS_INPUT: Which colour should the shelves be?";
#                    with one (a "THE ANSWER:" section): "TASK_COMPLETE: told <answer>",
#                    the answer being the line after it; exit 0
#   claude-json      prints a Claude Code `-p --output-format json` object (with
#                    usage and cost as claude 2.1 prints them); exit 0
set -u
# What `taskexec config check` asks every agent program.
if [ "${1:-}" = "--version" ] && [ $# -eq 1 ]; then
  echo "fake_agent 1.0"
  exit 0
fi

mode="${FAKE_AGENT_MODE:-}"
if [ -z "$mode" ]; then
  for arg in "$@"; do
    if [[ "$arg" =~ fake-mode=([a-z-]+) ]]; then mode="${BASH_REMATCH[1]}"; break; fi
  done
fi
if [ -z "$mode" ] && [ -n "${TASKEXEC_PROMPT_FILE:-}" ] && [ -r "$TASKEXEC_PROMPT_FILE" ]; then
  if [[ "$(cat "$TASKEXEC_PROMPT_FILE")" =~ fake-mode=([a-z-]+) ]]; then mode="${BASH_REMATCH[1]}"; fi
fi
mode="${mode:-succeed}"

task_id="${TASKEXEC_TASK_ID:-unknown}"
exec_id="${TASKEXEC_EXECUTION_ID:-unknown}"
artifacts="${TASKEXEC_ARTIFACTS_DIR:-.}"

succeed() {
  echo "fake agent: working on task $task_id (mode $mode)"
  echo "Session: fake-$exec_id"
  echo "fake agent: step 1 of 2"
  echo "fake agent: step 2 of 2"
  echo "TASK_COMPLETE: fake agent finished $task_id"
  printf '{"summary":"fake agent finished %s","session_id":"fake-%s"}\n' "$task_id" "$exec_id"
  exit 0
}

fail_retryable() {
  echo "fake agent: trying task $task_id"
  echo "upstream said no" >&2
  echo "TASK_FAILED: connection refused by upstream"
  exit 1
}

hang() {
  sleep 100000 &
  echo $! > grandchild.pid
  echo $$ > agent.pid
  echo "fake agent: hanging (grandchild $!)"
  while true; do wait; done
}

case "$mode" in
  succeed) succeed ;;
  ask)
    # The prompt as taskexec gives it: the argument after --prompt, else
    # the prompt file.
    prompt=""
    previous=""
    for arg in "$@"; do
      if [ "$previous" = "--prompt" ]; then prompt="$arg"; fi
      previous="$arg"
    done
    if [ -z "$prompt" ] && [ -n "${TASKEXEC_PROMPT_FILE:-}" ] && [ -r "$TASKEXEC_PROMPT_FILE" ]; then
      prompt="$(cat "$TASKEXEC_PROMPT_FILE")"
    fi
    echo "Session: fake-ask-$task_id"
    answer="$(printf '%s\n' "$prompt" | sed -n '/^THE ANSWER:$/{n;p;q}')"
    if [ -n "$answer" ]; then
      echo "TASK_COMPLETE: told $answer"
    else
      echo "fake agent: I need to know something first"
      echo "TASK_NEEDS_INPUT: Which colour should the shelves be?"
    fi
    exit 0 ;;
  fail)
    echo "fake agent: giving up"
    echo "TASK_FAILED: fake failure requested"
    exit 1 ;;
  fail-retryable) fail_retryable ;;
  usage-limit)
    reset=$(( $(date +%s) + 3600 ))
    printf '{"type":"result","subtype":"success","is_error":true,"result":"Claude AI usage limit reached|%s","session_id":"fake-limited"}\n' "$reset"
    exit 1 ;;
  env-fail)
    env
    echo "TASK_FAILED: environment was $(env | tr '\n' ' ')"
    exit 1 ;;
  flaky)
    if [ "${TASKEXEC_ATTEMPT:-1}" -le "${FAKE_AGENT_FLAKY_ATTEMPTS:-1}" ]; then fail_retryable; fi
    succeed ;;
  exit)
    echo "fake agent: something broke" >&2
    exit "${FAKE_AGENT_EXIT_CODE:-3}" ;;
  hang) hang ;;
  escape)
    # A child that leaves the process group (own session) and sheds the
    # TASKEXEC_* marker: only the attempt's cgroup scope still holds it.
    setsid env -i sleep 100000 </dev/null >/dev/null 2>&1 &
    echo "$!" > escapee.pid
    hang ;;
  hang-ignore-term)
    trap '' TERM  # inherited by the grandchild: only SIGKILL ends the group
    hang ;;
  crash)
    ulimit -c 0
    echo "fake agent: about to crash"
    kill -"${FAKE_AGENT_SIGNAL:-SEGV}" $$
    sleep 5
    exit 0 ;;
  garbage)
    printf 'garbage \xff\xfe\xc3\x28 \x01\x02\x1b[31m\n'
    head -c 4096 /dev/urandom | tr -d 'TASK_'
    printf '\n\xed\xa0\x80 end\n'
    exit 0 ;;
  artifacts)
    mkdir -p "$artifacts/sub"
    printf 'hello artifact\n' > "$artifacts/report.txt"
    printf '\x00\x01\x02' > "$artifacts/sub/data.bin"
    ln -sf /etc/hostname "$artifacts/link-outside" 2>/dev/null || true
    printf 'extra\n' > extra.txt
    echo "TASK_COMPLETE: wrote artifacts"
    echo '{"summary":"wrote artifacts","artifacts":["extra.txt","missing.txt"]}'
    exit 0 ;;
  echo-argv)
    for arg in "$@"; do printf '%s\0' "$arg"; done > "$artifacts/argv.bin"
    env | grep '^TASKEXEC_' | sort > "$artifacts/env.txt"
    env | sort > "$artifacts/env-all.txt"
    succeed ;;
  stdin)
    cat > "$artifacts/stdin.txt"
    succeed ;;
  slow)
    sleep "${FAKE_AGENT_SLEEP:-2}"
    succeed ;;
  wait-file)
    while [ ! -e "${FAKE_AGENT_GO_FILE:?}" ]; do sleep 0.05; done
    succeed ;;
  progress)
    printf '\033[1;32mcompiling\033[0m step 1\n'
    echo "working on the parser"
    echo '{"type":"tool_use","name":"Bash","input":{"command":"make"}}'
    echo "----------"
    sleep 100000 &
    echo $! > grandchild.pid
    echo $$ > agent.pid
    while true; do wait; done ;;
  big-output)
    i=0
    while [ "$i" -lt "${FAKE_AGENT_LINES:-20000}" ]; do
      echo "line $i of fake output padding padding padding padding padding"
      i=$((i + 1))
    done
    succeed ;;
  openclaw-json)
    echo "Gateway agent run accepted" >&2
    cat <<JSON
{
  "runId": "run-1",
  "status": "ok",
  "summary": "completed",
  "result": {
    "payloads": [ { "text": "Did the work.\nTASK_COMPLETE: fixed the login bug", "mediaUrl": null } ],
    "meta": { "durationMs": 10, "aborted": false,
              "agentMeta": { "sessionId": "oc-session-42", "provider": "anthropic" } }
  }
}
JSON
    exit 0 ;;
  openclaw-json-huge)
    echo '{'
    echo '  "runId": "run-2",'
    echo '  "status": "ok",'
    echo '  "summary": "completed",'
    echo '  "result": {'
    echo '    "payloads": [ { "text": "Tried.\nTASK_FAILED: the repository is archived" } ],'
    echo '    "meta": {'
    printf '      "finalPromptText": "%s",\n' "$(head -c 204800 /dev/zero | tr '\0' 'p')"
    echo '      "agentMeta": { "sessionId": "oc-session-huge" }'
    echo '    }'
    echo '  }'
    echo '}'
    exit 0 ;;
  claude-json)
    printf '{"type":"result","subtype":"success","is_error":false,"result":"All done.\\nTASK_COMPLETE: claude did it","session_id":"claude-sess-7","num_turns":2,"total_cost_usd":0.00564,"usage":{"input_tokens":1200,"cache_creation_input_tokens":0,"cache_read_input_tokens":800,"output_tokens":34},"modelUsage":{"claude-opus-5-5":{"inputTokens":1200,"outputTokens":34}}}\n'
    exit 0 ;;
  *)
    echo "fake agent: unknown mode '$mode'" >&2
    exit 64 ;;
esac
