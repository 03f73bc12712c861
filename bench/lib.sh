# Shared helpers for the benchmark scripts; sourced, not run.
# Everything runs on loopback; temporary files, servers and PostgreSQL
# databases are removed on exit.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# BENCH_BIN_DIR=dir (holding `aftercare` and `bench`) runs other, already
# built binaries, e.g. to compare two commits; nothing is built then.
BIN_DIR=${BENCH_BIN_DIR:-$ROOT/target/release}
BIN=$BIN_DIR/aftercare
HARNESS=${BENCH_BIN_DIR:+$BENCH_BIN_DIR/bench}
HARNESS=${HARNESS:-$ROOT/target/release/examples/bench}
PG_BASE=${BENCH_PG_BASE:-postgres://postgres@127.0.0.1:5432}
ADMIN_EMAIL=admin@bench.example
ADMIN_PASSWORD='bench admin password'
# wrk settings shared by every HTTP measurement (service and framework ceiling).
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-32}
WRK_SECONDS=${WRK_SECONDS:-15}

BENCH_LOAD_START=$(cut -d" " -f1-3 /proc/loadavg)
BENCH_TMP=$(mktemp -d /tmp/aftercare-bench.XXXXXX)
BENCH_PIDS=()
BENCH_PG_DBS=()

bench_cleanup() {
    local pid db
    for pid in "${BENCH_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${BENCH_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    for db in "${BENCH_PG_DBS[@]}"; do
        psql "$PG_BASE/postgres" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
    if [[ -n ${BENCH_KEEP_TMP:-} ]]; then
        echo "temporary files kept in $BENCH_TMP" >&2
    else
        rm -rf "$BENCH_TMP"
    fi
}
trap bench_cleanup EXIT

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# Debian packages, installed when missing (apt-get update once).
need_pkg() { # command package
    command -v "$1" >/dev/null 2>&1 && return 0
    log "installing $2"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1; then
        apt-get update -qq >/dev/null 2>&1
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
    fi
}

build() {
    [[ -z ${BENCH_BIN_DIR:-} ]] || return 0
    log "building release binary and bench harness"
    (cd "$ROOT" && cargo build --release --quiet --bin aftercare --example bench)
}

machine_line() {
    local cpu
    cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
    echo "machine: nproc=$(nproc), cpu=$cpu, ram=$(free -g | awk '/^Mem:/{print $2}') GiB, kernel=$(uname -r); $(date -u +%Y-%m-%dT%H:%MZ); loadavg at start: $BENCH_LOAD_START, at end: $(cut -d' ' -f1-3 /proc/loadavg)"
}

free_port() {
    local p
    for p in $(shuf -i 20000-60000 -n 50); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# A fresh PostgreSQL database, dropped on exit. Sets DB_URL (not in a
# subshell, so that the exit trap knows the database).
pg_create() {
    local db
    db=bench_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
    psql "$PG_BASE/postgres" -qAtc "CREATE DATABASE $db" >/dev/null
    BENCH_PG_DBS+=("$db")
    DB_URL=$PG_BASE/$db
}

# A database for a backend: a temp SQLite file or a fresh PG database. Sets DB_URL.
database_for() { # sqlite|postgres name
    case $1 in
        sqlite) DB_URL=$BENCH_TMP/$2.db ;;
        postgres) pg_create ;;
    esac
}

# Starts `aftercare serve` on a free port. Sets SERVER_PID and BASE.
start_server() { # database-url
    local port
    port=$(free_port)
    DATABASE_URL=$1 "$BIN" migrate >/dev/null 2>&1
    printf '%s' "$ADMIN_PASSWORD" | DATABASE_URL=$1 "$BIN" clinic create \
        --name "Bench Clinic" --admin-email "$ADMIN_EMAIL" --password-stdin >/dev/null 2>&1 || true
    # Seeding enrols hundreds of patients from one address: lift the
    # sign-in/enrolment attempt budget (100 per address per 15 min).
    DATABASE_URL=$1 AFTERCARE_BIND=127.0.0.1:$port AFTERCARE_ACCESS_TOKEN_TTL_SECS=7200 \
        AFTERCARE_AUTH_LIMIT_ADDRESS=100000 \
        "$BIN" serve >"$BENCH_TMP/server-$port.log" 2>&1 &
    SERVER_PID=$!
    BENCH_PIDS+=("$SERVER_PID")
    BASE=http://127.0.0.1:$port
    local i
    for i in $(seq 1 150); do
        curl -sf "$BASE/readyz" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "server did not become ready; log:" >&2
    tail -20 "$BENCH_TMP/server-$port.log" >&2
    return 1
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
}

# The running server's metrics, to a file.
scrape() { # out-file
    curl -sf "$BASE/metrics" >"$1" || : >"$1"
}

seed() { # out-file harness-seed-args...
    local out=$1
    shift
    "$HARNESS" seed --base "$BASE" --admin-email "$ADMIN_EMAIL" \
        --admin-password "$ADMIN_PASSWORD" --out "$out" "$@"
}

# wrk's latency in ms from "1.23ms" / "456.00us" / "1.02s".
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
        else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
        else printf "%s", v }'
}

# Runs wrk with --latency; prints "rps p50_ms p99_ms errors".
run_wrk() { # url [lua-script]
    local url=$1 script=${2:-} out
    out=$BENCH_TMP/wrk-$RANDOM.txt
    if [[ -n $script ]]; then
        wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${WRK_SECONDS}s" --timeout 10s --latency \
            -s "$script" "$url" >"$out"
    else
        wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${WRK_SECONDS}s" --timeout 10s --latency "$url" >"$out"
    fi
    local rps p50 p99 non2xx sock
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$out")
    sock=$(awk '/Socket errors/ {s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s}' "$out")
    echo "$rps $p50 $p99 $(( ${non2xx:-0} + ${sock:-0} ))"
}

# key=value output of the harness -> value of one key.
kv() { # text key
    tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "n/a" }'; }
half() { awk -v a="$1" 'BEGIN { printf "%.0f", a / 2 }'; }

# VmRSS / VmHWM of a process, in MiB.
rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
hwm_mib() { awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# A system-wide CPU profile of 5 s in the middle of a wrk run: cpu-clock
# samples on every CPU, idle ones included, and the scheduler's switches and
# wake-ups, for bench/cpu_split.py (every switch is recorded: a longer
# window only makes reading it slower).
profile_window() { # out-file
    local window=$((WRK_SECONDS < 9 ? WRK_SECONDS - 4 : 5))
    sleep $(((WRK_SECONDS - window) / 2))
    command -v perf >/dev/null 2>&1 || return 0
    perf record -q -a -e cpu-clock/freq=499/ -e sched:sched_switch -e sched:sched_wakeup \
        -o "$1" -- sleep "$window" >/dev/null 2>&1 || log "perf record failed: no CPU profile"
}
