#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test.
#   scripts/test.sh                 normal build in build/
#   SANITIZE=address scripts/test.sh   ASan+UBSan build in build-asan/
#   SANITIZE=thread  scripts/test.sh   TSan build in build-tsan/
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -f tests/node/package.json ]; then
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
fi
# The real agent CLIs (tests/agents), cached outside the checkout; exit 3
# means npm is unreachable, and their tests then skip saying so.
bash scripts/install-agent-clis.sh >/dev/null || [ $? -eq 3 ]
san=${SANITIZE:-}
case "$san" in
  "") export BUILD_DIR=${BUILD_DIR:-build} ;;
  address) export BUILD_DIR=${BUILD_DIR:-build-asan} ;;
  thread) export BUILD_DIR=${BUILD_DIR:-build-tsan} ;;
  *) echo "SANITIZE must be empty, address or thread" >&2; exit 2 ;;
esac
# Tests and benches on explicitly: the run command (scripts/run-demo.sh)
# configures the same build directory with them off.
bash scripts/build.sh -DTASKEXEC_SANITIZE="$san" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTASKEXEC_BUILD_TESTS=ON -DTASKEXEC_BUILD_BENCH=ON
# The locking annotations, checked by clang (core/thread_annotations.h).
if [ -z "$san" ]; then bash scripts/check-thread-safety.sh; fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j "${TEST_JOBS:-2}" "$@"
