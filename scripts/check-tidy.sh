#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy: bug-finding checks only, warnings are errors)
# over every source under src/, using the compile commands of ${BUILD_DIR:-build}
# (configure it first, e.g. with scripts/test.sh). About 8 minutes on 2 cores,
# so it is not part of the test command; run it before a change to shared
# code lands. -DTASKEXEC_CLANG_TIDY=ON runs the same checks as files compile.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
if [ ! -f "$build_dir/compile_commands.json" ]; then
  echo "check-tidy: no $build_dir/compile_commands.json; configure the build first" >&2
  exit 1
fi
if ! command -v run-clang-tidy >/dev/null 2>&1; then
  echo "check-tidy: run-clang-tidy is not installed (scripts/setup.sh installs clang-tidy)" >&2
  exit 1
fi
# The compile commands are GCC's: clang does not know some of its warnings.
run-clang-tidy -p "$build_dir" -j "${JOBS:-$(nproc)}" -quiet \
  -extra-arg=-Wno-unknown-warning-option "$PWD/src/.*\.cc$"
echo "clang-tidy: clean"
