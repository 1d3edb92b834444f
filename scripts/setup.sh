#!/usr/bin/env bash
# Installs the Debian packages taskexec needs to build, run and test
# (chromium: the browser test of the HTTP security rules, tests/node).
# Idempotent: does nothing when everything is present.
set -euo pipefail
pkgs=(g++ cmake ninja-build pkg-config libsqlite3-dev sqlite3 nlohmann-json3-dev libcpp-httplib-dev
      libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev libcurl4-openssl-dev libssl-dev
      libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev libbrotli-dev curl chromium clang-format clang
      clang-tidy
      # The PostgreSQL store: libpq to build, a server the tests start in a temporary folder
      # (openssl: the certificate of the one that takes TLS connections only).
      libpq-dev postgresql openssl
      # The Python package (python/): its tests build and pip-install it into a venv.
      python3-venv python3-pip python3-setuptools python3-wheel)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js (for the Neo4j driver interop tests) often comes from elsewhere than
# Debian; install Debian's only when there is none at all.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# The model stand-in the real agent CLIs talk to in tests (tests/fakes).
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
