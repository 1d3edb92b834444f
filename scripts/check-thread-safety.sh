#!/usr/bin/env bash
# Builds the taskexec libraries and binary with clang and -Wthread-safety
# -Werror into ${TSA_BUILD_DIR:-build-clang}: fails when a GUARDED_BY member is
# touched without its mutex, or a REQUIRES function is called without it
# (core/thread_annotations.h). Tests and benchmarks are not built here; the
# GCC build runs them. Its own directory (TSA_BUILD_DIR), never the GCC
# build's BUILD_DIR, which scripts/test.sh exports: configuring that one
# here would rebuild the tested binary as a Debug build, with GCC (CMake
# keeps a directory's first compiler), and check nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang++ >/dev/null 2>&1; then
  echo "check-thread-safety: clang++ is not installed (scripts/setup.sh installs it)" >&2
  exit 1
fi
build_dir=${TSA_BUILD_DIR:-build-clang}
CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DTASKEXEC_WERROR=ON \
  -DCMAKE_BUILD_TYPE=Debug -DTASKEXEC_BUILD_TESTS=OFF -DTASKEXEC_BUILD_BENCH=OFF >/dev/null
ninja -C "$build_dir" -j "${JOBS:-$(nproc)}" taskexec
echo "thread-safety: clean"
