#!/usr/bin/env bash
# Installs the real agent CLIs the integration tests run into a cache outside
# the checkout, once per lock file, and prints the PATH entries that hold
# them, colon-separated (Node first, then the CLIs' bin directory):
#   tests/agents/node   the Node.js the CLIs need (OpenClaw needs >= 24.16;
#                       Debian's is older), from the npm package `node`
#   tests/agents/clis   claude (@anthropic-ai/claude-code), codex
#                       (@openai/codex), gemini (@google/gemini-cli), opencode
#                       (opencode-ai), openclaw; pinned by package-lock.json
#   TASKEXEC_CACHE_DIR  cache root (default ${XDG_CACHE_HOME:-~/.cache}/taskexec)
# Exit status: 0 installed (or already there); 3 the npm registry cannot be
# reached (the tests then skip, saying so); anything else is a failure.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)/tests/agents"
cache_root=${TASKEXEC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/taskexec}
lock_hash=$(cat "$src"/node/package*.json "$src"/clis/package*.json | sha256sum | cut -c1-16)
dest="$cache_root/agent-clis-$lock_hash"
path_entries="$dest/node/node_modules/.bin:$dest/clis/node_modules/.bin"
if [ -f "$dest/.installed" ]; then
  echo "$path_entries"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "install-agent-clis: npm is not installed (scripts/setup.sh installs it)" >&2
  exit 1
fi
if ! timeout 60 npm ping --loglevel=error >/dev/null 2>&1; then
  echo "install-agent-clis: the npm registry cannot be reached;" \
    "the real agent CLI tests will be skipped" >&2
  exit 3
fi
mkdir -p "$cache_root"
tmp=$(mktemp -d "$cache_root/.agent-clis-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "install-agent-clis: installing the pinned agent CLIs into $dest (once)" >&2
for part in node clis; do
  mkdir -p "$tmp/$part"
  cp "$src/$part/package.json" "$src/$part/package-lock.json" "$tmp/$part/"
  # The CLIs' install scripts run under the Node installed just before.
  # `npm install` from the lock rather than `npm ci`: npm writes no lock
  # entries for the platform packages of another OS (opencode-ai's), and
  # `npm ci` then refuses the lock npm itself wrote. The lock must come out
  # unchanged, so every version stays the pinned one.
  (cd "$tmp/$part" && PATH="$tmp/node/node_modules/.bin:$PATH" \
    npm install --no-audit --no-fund --loglevel=error >&2)
  if ! cmp -s "$src/$part/package-lock.json" "$tmp/$part/package-lock.json"; then
    echo "install-agent-clis: $src/$part/package-lock.json does not match" \
      "$src/$part/package.json; regenerate it with npm install" >&2
    exit 1
  fi
done
touch "$tmp/.installed"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "$path_entries"
