#!/usr/bin/env bash
# Sync pull (WatermelonDB): the first sync of a patient with 90 days of logs,
# and an incremental pull with one change since the cursor, under load.
# wrk saturates the server (peak req/s and latency at saturation); then a
# constant-rate run at half that peak gives the latency under load.
#
#   bench/sync_pull.sh [sqlite] [postgres]      (default: both)
#
# Environment: BENCH_PATIENTS (50), WRK_SECONDS (15), RATE_SECONDS (10).
source "$(dirname "$0")/lib.sh"

PATIENTS=${BENCH_PATIENTS:-50}
RATE_SECONDS=${RATE_SECONDS:-10}
WRK_SECONDS=${WRK_SECONDS:-10}
BACKENDS=("$@")
[[ ${#BACKENDS[@]} -gt 0 ]] || BACKENDS=(sqlite postgres)

need_pkg wrk wrk
build

ROWS=()
for backend in "${BACKENDS[@]}"; do
    database_for "$backend" sync
    url=$DB_URL
    start_server "$url"
    log "$backend: seeding $PATIENTS patients with 90 days of logs over HTTP"
    seed "$BENCH_TMP/sync-$backend.tsv" --patients "$PATIENTS" --days-ago 90 --logs 90 --sync
    first_bytes=$(curl -s "$BASE/v1/sync?last_pulled_at=null" \
        -H "Authorization: Bearer $(head -1 "$BENCH_TMP/sync-$backend.tsv" | cut -f1)" | wc -c)
    incr_bytes=$(curl -s "$BASE/v1/sync?last_pulled_at=$(head -1 "$BENCH_TMP/sync-$backend.tsv" | cut -f6)" \
        -H "Authorization: Bearer $(head -1 "$BENCH_TMP/sync-$backend.tsv" | cut -f1)" | wc -c)
    for kind in first incremental; do
        log "$backend: $kind pull, wrk ${WRK_SECONDS}s"
        read -r rps p50 p99 err < <(BENCH_SEED=$BENCH_TMP/sync-$backend.tsv BENCH_SYNC=$kind \
            run_wrk "$BASE" "$ROOT/bench/wrk/sync.lua")
        mode=sync
        [[ $kind == first ]] && mode=sync-first
        rate=$(half "$rps")
        log "$backend: $kind pull at a constant $rate/s"
        out=$("$HARNESS" rate --base "$BASE" --seed "$BENCH_TMP/sync-$backend.tsv" \
            --mode "$mode" --rate "$rate" --seconds "$RATE_SECONDS" --connections "$WRK_CONNS")
        bytes=$first_bytes
        [[ $kind == incremental ]] && bytes=$incr_bytes
        ROWS+=("$backend|$kind|$bytes|$rps|$p50|$p99|$err|$(kv "$out" rate)|$(kv "$out" p50_ms)|$(kv "$out" p99_ms)|$(kv "$out" errors)")
    done
    log "$backend: framework ceiling (GET /healthz)"
    read -r h_rps h_p50 h_p99 _ < <(run_wrk "$BASE/healthz")
    ROWS+=("$backend|GET /healthz|-|$h_rps|$h_p50|$h_p99|0|-|-|-|-")
    stop_server
done

echo
echo "## Sync pull: GET /v1/sync"
echo
echo "$(machine_line)"
echo "$PATIENTS patients, each one treatment 90 days ago and 90 daily logs; wrk -t$WRK_THREADS -c$WRK_CONNS -d${WRK_SECONDS}s rotating patients; half-peak: constant rate, $WRK_CONNS connections, ${RATE_SECONDS}s"
echo
echo "| backend | pull | response bytes | peak req/s | p50 ms | p99 ms | errors | half-peak req/s | p50 ms | p99 ms | errors |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for row in "${ROWS[@]}"; do
    IFS='|' read -r b k by rps p50 p99 e hr hp50 hp99 he <<<"$row"
    echo "| $b | $k | $by | $rps | $p50 | $p99 | $e | $hr | $hp50 | $hp99 | $he |"
done
echo
echo "goal: incremental pull p99 < 5 ms on SQLite (under load: the half-peak run)"
