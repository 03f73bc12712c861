#!/usr/bin/env bash
# Write path: daily-log PUTs from many patients, on SQLite and PostgreSQL,
# beside the database's own ceiling for the same upsert and the framework's
# ceiling (GET /healthz), all under the same wrk settings in the same run.
#
#   bench/write_path.sh [sqlite] [postgres]      (default: both)
#
# Environment: BENCH_PATIENTS (200), BENCH_DAYS (60), WRK_SECONDS (15),
# WRK_CONNS (32), WRK_THREADS (2), RATE_SECONDS (15), CEILING_SECONDS (15).
source "$(dirname "$0")/lib.sh"

PATIENTS=${BENCH_PATIENTS:-200}
DAYS=${BENCH_DAYS:-60}
RATE_SECONDS=${RATE_SECONDS:-15}
CEILING_SECONDS=${CEILING_SECONDS:-15}
BACKENDS=("$@")
[[ ${#BACKENDS[@]} -gt 0 ]] || BACKENDS=(sqlite postgres)

need_pkg wrk wrk
need_pkg pgbench postgresql-contrib
# perf profiles the peak run; without it the profile is left out, not the run.
need_pkg perf linux-perf || log "perf is not available: no CPU profile of the peak run"
build

# The server logs each unit of database work slower than 5 ms with its
# phases (src/db/timing.rs), for the tail table below.
export RUST_LOG=info,aftercare::db::timing=debug AFTERCARE_LOG_FORMAT=json
ROWS=()
TAILS=()
SPLITS=()
for backend in "${BACKENDS[@]}"; do
    database_for "$backend" write
    url=$DB_URL
    start_server "$url"
    server_log=$BENCH_TMP/server-${BASE##*:}.log
    log "$backend: seeding $PATIENTS patients over HTTP"
    seed "$BENCH_TMP/seed-$backend.tsv" --patients "$PATIENTS" --days-ago "$DAYS"

    log "$backend: framework ceiling (GET /healthz)"
    read -r h_rps h_p50 h_p99 h_err < <(run_wrk "$BASE/healthz")

    log "$backend: PUT daily logs, wrk ${WRK_SECONDS}s"
    scrape "$BENCH_TMP/metrics-before.txt"
    perf_data=$BENCH_TMP/perf-$backend.data
    profile_window "$perf_data" &
    perf_pid=$!
    read -r s_rps s_p50 s_p99 s_err < <(BENCH_SEED=$BENCH_TMP/seed-$backend.tsv \
        run_wrk "$BASE" "$ROOT/bench/wrk/put_log.lua")
    scrape "$BENCH_TMP/metrics-after.txt"
    wait "$perf_pid" || true
    counts=$(python3 "$ROOT/bench/phases.py" per-request "$BENCH_TMP/metrics-before.txt" \
        "$BENCH_TMP/metrics-after.txt" "/v1/treatments/{id}/logs/{date}" "$WRK_SECONDS")
    echo "$backend: $counts" >&2
    split=$(python3 "$ROOT/bench/cpu_split.py" "$perf_data" "$SERVER_PID" || echo "samples=0")
    echo "$backend: $split" >&2
    SPLITS+=("$backend|$(kv "$counts" requests)|$split|$counts")

    rate=$(half "$s_rps")
    log "$backend: PUT daily logs at a constant $rate/s (half of peak)"
    offset=$(stat -c %s "$server_log")
    half_out=$("$HARNESS" rate --base "$BASE" --seed "$BENCH_TMP/seed-$backend.tsv" \
        --mode put-log --rate "$rate" --seconds "$RATE_SECONDS" --connections "$WRK_CONNS")
    tail_out=$(python3 "$ROOT/bench/phases.py" tail "$server_log" "$offset")
    TAILS+=("$backend|$(kv "$half_out" requests)|$(kv "$half_out" over_10ms)|$(kv "$half_out" p99_ms)|$tail_out")
    r_p50=$(kv "$half_out" p50_ms)
    r_p99=$(kv "$half_out" p99_ms)
    r_err=$(kv "$half_out" errors)
    r_rate=$(kv "$half_out" rate)
    stop_server

    log "$backend: database ceiling, ${CEILING_SECONDS}s"
    case $backend in
        sqlite)
            c_out=$("$HARNESS" sqlite-ceiling --path "$BENCH_TMP/ceiling.db" \
                --seconds "$CEILING_SECONDS" --treatments "$PATIENTS" --dates "$DAYS")
            c_rps=$(kv "$c_out" rate)
            c_how="minimal C-API loop, 1 writer"
            ;;
        postgres)
            # The same table shape and upsert; as many connections as the
            # service's pool (8), pgbench with prepared statements.
            cat >"$BENCH_TMP/upsert.sql" <<EOF
\set t random(0, $((PATIENTS - 1)))
\set d random(0, $((DAYS - 1)))
INSERT INTO bench_logs (id, treatment_id, patient_id, log_date, day, redness, swelling, flaking, sensitivity, signs, note, created_at, updated_at, seq, created_seq) VALUES ('l' || :t::text || '-' || :d::text, 't' || :t::text, 'p' || :t::text, DATE '2026-01-01' + :d::int, :d::int, 1, 0, 1, 1, '', NULL, 1767225600000, 1767225600000, 2, 2) ON CONFLICT (treatment_id, log_date) DO UPDATE SET redness = excluded.redness, swelling = excluded.swelling, flaking = excluded.flaking, sensitivity = excluded.sensitivity, signs = excluded.signs, note = excluded.note, day = excluded.day, updated_at = excluded.updated_at, seq = bench_logs.seq + 1;
EOF
            psql "$url" -qAt >/dev/null <<'EOF'
CREATE TABLE bench_logs (
    id TEXT PRIMARY KEY NOT NULL,
    treatment_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    log_date DATE NOT NULL,
    day INTEGER NOT NULL,
    redness INTEGER NOT NULL CHECK (redness BETWEEN 0 AND 10),
    swelling INTEGER NOT NULL CHECK (swelling BETWEEN 0 AND 10),
    flaking INTEGER NOT NULL CHECK (flaking BETWEEN 0 AND 10),
    sensitivity INTEGER NOT NULL CHECK (sensitivity BETWEEN 0 AND 10),
    signs TEXT NOT NULL,
    note TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    seq BIGINT NOT NULL DEFAULT 0,
    created_seq BIGINT NOT NULL DEFAULT 0,
    UNIQUE (treatment_id, log_date)
);
CREATE INDEX bench_logs_patient_seq ON bench_logs (patient_id, seq);
EOF
            if ! pgbench -n -M prepared -c 8 -j 2 -T "$CEILING_SECONDS" -f "$BENCH_TMP/upsert.sql" "$url" \
                >"$BENCH_TMP/pgbench.txt" 2>&1; then
                tail -20 "$BENCH_TMP/pgbench.txt" >&2
                exit 1
            fi
            c_rps=$(awk '/^tps = / {printf "%.1f", $3}' "$BENCH_TMP/pgbench.txt")
            c_how="pgbench -c 8 -j 2 -M prepared"
            ;;
    esac
    ROWS+=("$backend|$s_rps|$s_p50|$s_p99|$s_err|$r_rate|$r_p50|$r_p99|$r_err|$c_rps|$c_how|$h_rps|$h_p50|$h_p99|$(kv "$counts" statements_per_request)|$(kv "$counts" prepared_per_request)")
done

echo
echo "## Write path: PUT /v1/treatments/{id}/logs/{date}"
echo
echo "$(machine_line)"
echo "wrk -t$WRK_THREADS -c$WRK_CONNS -d${WRK_SECONDS}s; $PATIENTS patients x $DAYS dates; half-peak: constant rate, $WRK_CONNS connections, ${RATE_SECONDS}s, latency from the scheduled send time"
echo
echo "| backend | PUT req/s | p50 ms | p99 ms | errors | half-peak req/s | p50 ms | p99 ms | errors | DB ceiling writes/s | ceiling how | service/DB | /healthz req/s | /healthz p50/p99 ms | service/framework | statements per PUT | prepared per PUT |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for row in "${ROWS[@]}"; do
    IFS='|' read -r b s_rps s_p50 s_p99 s_err r_rate r_p50 r_p99 r_err c_rps c_how h_rps h_p50 h_p99 st pr <<<"$row"
    echo "| $b | $s_rps | $s_p50 | $s_p99 | $s_err | $r_rate | $r_p50 | $r_p99 | $r_err | $c_rps | $c_how | $(ratio "$s_rps" "$c_rps") | $h_rps | $h_p50 / $h_p99 | $(ratio "$s_rps" "$h_rps") | ${st:-n/a} | ${pr:-n/a} |"
done
echo
echo "goals: PostgreSQL service/DB >= 50%, SQLite >= 15%; p99 at half peak < 10 ms"
echo
echo "Statements per PUT (BEGIN and COMMIT included) and statements prepared per PUT come from the server's own counters (aftercare_db_statements*) over the wrk run."
echo
echo "### Where the time went at peak: the machine's CPU (perf, 5 s of the wrk run, both CPUs, idle included), the service's threads, and its database writes"
echo
echo "| backend | idle | service user | service kernel | wrk | PostgreSQL | other | service user time by crate | service switch-outs/s | of them preempted | woken thread waits for a CPU, mean / p99 us | writes keep the writer busy | hold per write us | of it on a CPU us |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for row in "${SPLITS[@]}"; do
    IFS='|' read -r b _ split counts <<<"$row"
    pct() { awk -v v="$(kv "$split" "$1")" 'BEGIN { if (v == "") print "n/a"; else printf "%.0f%%", 100 * v }'; }
    echo "| $b | $(pct idle) | $(pct server_user) | $(pct server_kernel) | $(pct load) | $(pct postgres) | $(pct other) | $(kv "$split" server_top | sed 's/,/, /g') | $(kv "$split" server_switches_per_s) | $(kv "$split" preempted) | $(kv "$split" wake_to_run_us) / $(kv "$split" wake_to_run_p99_us) | $(kv "$counts" writer_busy) | $(kv "$counts" write_hold_us) | $(kv "$counts" write_on_cpu_us) |"
done
echo
echo "On PostgreSQL writes run side by side, so \"busy\" is the average number of writes in progress."
echo
echo "### The half-peak tail: client requests over 10 ms beside the server's units of database work over 5 ms"
echo
echo "| backend | requests | client over 10 ms | client p99 ms | server: database work over 5 ms, and where its time went |"
echo "|---|---|---|---|---|"
for row in "${TAILS[@]}"; do
    IFS='|' read -r b n over p99 t <<<"$row"
    echo "| $b | $n | ${over:-n/a} | $p99 | $t |"
done
