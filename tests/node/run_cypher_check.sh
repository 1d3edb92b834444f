#!/bin/sh
# CTest driver: prints the Neo4j store's statements with the neo4j_statements
# binary ($1) and checks them with Neo4j's Cypher front end (check_cypher.mjs).
# Exit 77 (SKIPPED) when node or the npm packages are missing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED: node is not installed"; exit 77
fi
if [ ! -d "$here/node_modules/@neo4j-cypher/language-support" ]; then
  echo "SKIPPED: tests/node/node_modules missing; run (cd tests/node && npm ci)"; exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$1" > "$out"
node "$here/check_cypher.mjs" "$out"
