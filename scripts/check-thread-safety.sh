#!/usr/bin/env bash
# Builds the taskexec libraries and binary with clang and -Wthread-safety
# -Werror into ${BUILD_DIR:-build-clang}: fails when a GUARDED_BY member is
# touched without its mutex, or a REQUIRES function is called without it
# (core/thread_annotations.h). Tests and benchmarks are not built here; the
# GCC build runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang++ >/dev/null 2>&1; then
  echo "check-thread-safety: clang++ is not installed (scripts/setup.sh installs it)" >&2
  exit 1
fi
build_dir=${BUILD_DIR:-build-clang}
CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DTASKEXEC_WERROR=ON \
  -DCMAKE_BUILD_TYPE=Debug -DTASKEXEC_BUILD_TESTS=OFF -DTASKEXEC_BUILD_BENCH=OFF >/dev/null
ninja -C "$build_dir" -j "${JOBS:-$(nproc)}" taskexec
echo "thread-safety: clean"
