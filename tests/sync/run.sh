#!/usr/bin/env bash
# Runs an unmodified WatermelonDB client (tests/sync/sync.test.mjs) against a
# real aftercare server: on SQLite, and also on PostgreSQL when
# AFTERCARE_TEST_POSTGRES_URL is set (a fresh schema per run).
#
#   tests/sync/run.sh                         # builds with cargo build --release
#   AFTERCARE_BIN=target/release/aftercare tests/sync/run.sh
#
# Needs node >= 18 and npm (npm ci runs only when node_modules is missing or
# the lock file changed since the last install).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"

fail() { echo "sync-client: FAILED: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || fail "node is not installed (need Node 18 or newer)"
command -v npm >/dev/null 2>&1 || fail "npm is not installed"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
[ "$NODE_MAJOR" -ge 18 ] || fail "node $(node --version) is too old (need 18 or newer, for fetch)"

# --- the server binary ---
if [ -n "${AFTERCARE_BIN:-}" ]; then
  BIN="$AFTERCARE_BIN"
else
  echo "sync-client: cargo build --release"
  cargo build --release --locked --quiet
  BIN="$ROOT/target/release/aftercare"
fi
[ -x "$BIN" ] || fail "no executable server binary at $BIN"

# --- the client, installed exactly as locked ---
LOCK_STAMP="$HERE/node_modules/.package-lock.sha256"
LOCK_SUM="$(sha256sum "$HERE/package-lock.json" | cut -d' ' -f1)"
if [ ! -d "$HERE/node_modules" ] || [ "$(cat "$LOCK_STAMP" 2>/dev/null)" != "$LOCK_SUM" ]; then
  echo "sync-client: npm ci"
  (cd "$HERE" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) \
    || fail "npm ci in tests/sync"
  echo "$LOCK_SUM" >"$LOCK_STAMP"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/aftercare-sync-client.XXXXXX")"
SERVER_PID=""
PG_SCHEMA=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "$PG_SCHEMA" ]; then
    psql "$AFTERCARE_TEST_POSTGRES_URL" -qc "DROP SCHEMA IF EXISTS \"$PG_SCHEMA\" CASCADE" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# run_against LABEL DATABASE_URL
run_against() {
  local label="$1" db_url="$2" port log admin_email admin_password
  port="$(free_port)"
  log="$WORK/server-$label.log"
  admin_email="admin-sync-$label@clinic.example"
  admin_password="sync client test password $RANDOM$RANDOM"

  export DATABASE_URL="$db_url"
  export AFTERCARE_BIND="127.0.0.1:$port"
  export AFTERCARE_LOG_FORMAT=text
  # Photos in the run's own folder (with PostgreSQL the default is the
  # working directory's aftercare-media/).
  export AFTERCARE_MEDIA_DIR="$WORK/media-$label"
  export RUST_LOG="${RUST_LOG:-warn}"
  # The suite syncs one patient far more often than an app does.
  export AFTERCARE_SYNC_PUSH_LIMIT=600

  printf '%s\n' "$admin_password" \
    | "$BIN" clinic create --name "Sync Client Test Clinic" --admin-email "$admin_email" --password-stdin \
      >"$WORK/clinic-$label.txt" 2>&1 \
    || { cat "$WORK/clinic-$label.txt" >&2; fail "aftercare clinic create ($label)"; }

  "$BIN" serve >"$log" 2>&1 &
  SERVER_PID=$!
  local up=""
  for _ in $(seq 1 100); do
    if node -e "fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "http://127.0.0.1:$port/healthz"; then up=1; break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$up" ]; then
    cat "$log" >&2
    fail "the server did not come up on 127.0.0.1:$port ($label)"
  fi

  echo "sync-client: WatermelonDB client against the server on $label (127.0.0.1:$port)"
  local rc=0
  AFTERCARE_URL="http://127.0.0.1:$port" \
    AFTERCARE_ADMIN_EMAIL="$admin_email" \
    AFTERCARE_ADMIN_PASSWORD="$admin_password" \
    node "$HERE/sync.test.mjs" || rc=$?

  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  if [ "$rc" -ne 0 ]; then
    echo "--- server log ($label, last 80 lines) ---" >&2
    tail -n 80 "$log" >&2
    fail "sync client scenarios on $label"
  fi
}

run_against sqlite "$WORK/aftercare-sync.db"

if [ -n "${AFTERCARE_TEST_POSTGRES_URL:-}" ]; then
  command -v psql >/dev/null 2>&1 || fail "AFTERCARE_TEST_POSTGRES_URL is set but psql is not installed"
  PG_SCHEMA="t_sync_client_$$_$RANDOM"
  psql "$AFTERCARE_TEST_POSTGRES_URL" -qc "CREATE SCHEMA \"$PG_SCHEMA\"" >/dev/null \
    || fail "cannot create schema $PG_SCHEMA in $AFTERCARE_TEST_POSTGRES_URL"
  case "$AFTERCARE_TEST_POSTGRES_URL" in
    *\?*) PG_URL="$AFTERCARE_TEST_POSTGRES_URL&options=-csearch_path%3D$PG_SCHEMA" ;;
    *) PG_URL="$AFTERCARE_TEST_POSTGRES_URL?options=-csearch_path%3D$PG_SCHEMA" ;;
  esac
  run_against postgres "$PG_URL"
fi

echo "sync-client: passed"
