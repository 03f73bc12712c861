#!/usr/bin/env bash
# Browser test of the clinician console: installs what it needs (Debian's
# chromium if missing, playwright-core exactly as locked), builds the server
# unless AFTERCARE_BIN names one, and drives the console in headless Chromium.
# Any failure stops the script non-zero.
#
#   tests/console/run.sh
#   AFTERCARE_BIN=target/debug/aftercare tests/console/run.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CHROME="${CHROMIUM:-/usr/bin/chromium}"

fail() { echo "console test: FAILED: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || fail "node is not installed (need Node 20 or newer)"
command -v npm >/dev/null 2>&1 || fail "npm is not installed"
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] || fail "node $(node --version) is too old (need 20+)"

if [ ! -x "$CHROME" ]; then
  echo "console test: installing Debian's chromium"
  { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || fail "apt-get install chromium"
fi
[ -x "$CHROME" ] || fail "no chromium at $CHROME"

echo "console test: npm ci"
(cd "$HERE" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || fail "npm ci in tests/console"

if [ -n "${AFTERCARE_BIN:-}" ]; then
  BIN="$(cd "$ROOT" && realpath "$AFTERCARE_BIN")"
else
  echo "console test: cargo build"
  (cd "$ROOT" && cargo build --locked --bin aftercare) || fail "cargo build"
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/aftercare"
fi
[ -x "$BIN" ] || fail "no executable server binary at $BIN"

rm -rf "$HERE/screenshots"
echo "console test: driving the console in headless Chromium"
cd "$HERE"
AFTERCARE_BIN="$BIN" CHROMIUM="$CHROME" node --test console.test.mjs || fail "the browser test (see above)"
echo "console test: screenshots in $HERE/screenshots"
