#!/usr/bin/env bash
# Configures and builds taskexec into ${BUILD_DIR:-build}. Extra args go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DTASKEXEC_WERROR=ON "$@" >/dev/null
ninja -C "$build_dir" -j "${JOBS:-$(nproc)}"
