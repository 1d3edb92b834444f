#!/bin/sh
# CTest driver for the Node interop scripts: run_node_test.sh <script> <args...>
# Exit 77 (SKIPPED) when node or tests/node/node_modules is missing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED: node is not installed"; exit 77
fi
if [ ! -d "$here/node_modules/neo4j-driver" ]; then
  echo "SKIPPED: tests/node/node_modules missing; run (cd tests/node && npm ci)"; exit 77
fi
script=$1
shift
exec node "$here/$script" "$@"
