#!/bin/sh
# The Notion request check must fail on requests Notion would refuse: runs it
# on fixtures/notion-bad-requests.jsonl (one mistake per line) and expects a
# failure naming each mistake. Exit 77 (SKIPPED) without node or node_modules.
set -u
here=$(cd "$(dirname "$0")" && pwd)
doc=$1
out=$(sh "$here/run_node_test.sh" notion_request_check.mjs "$doc" \
  "$here/fixtures/notion-bad-requests.jsonl" 2>&1)
rc=$?
[ "$rc" = 77 ] && { echo "$out"; exit 77; }
echo "$out"
[ "$rc" = 1 ] || { echo "expected exit 1, got $rc"; exit 1; }
status=0
for expected in \
  'jsonl:1 .*query parameter "bogus" is not documented' \
  'jsonl:2 .*body/page_size must be integer' \
  'jsonl:2 .*a timestamp sort is' \
  "jsonl:3 .*'\"colour\"' does not exist" \
  "jsonl:4 .*'\"mood\"' does not exist" \
  'jsonl:5 .*a status group condition is' \
  'jsonl:6 .*not an operation of Notion' \
  'jsonl:8 .*needs the header Notion-Beta: status-group-filters-2026-10-06' \
  'jsonl:9 .*SDK type UpdateCommentParameters' \
  '8 requests checked.*1 refused ones skipped'; do
  if ! printf '%s\n' "$out" | grep -q -- "$expected"; then
    echo "MISSING: $expected"
    status=1
  fi
done
exit $status
