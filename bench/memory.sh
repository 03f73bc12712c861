#!/usr/bin/env bash
# Memory: resident memory of `aftercare serve` idle (just started, and after
# the seeding) and under the write-path load (wrk PUTs of daily logs), from
# /proc/<pid>/status (VmRSS sampled every 0.2 s, VmHWM = peak).
#
#   bench/memory.sh [sqlite] [postgres]      (default: both)
#
# Environment: BENCH_PATIENTS (200), BENCH_DAYS (60), WRK_SECONDS (15).
source "$(dirname "$0")/lib.sh"

PATIENTS=${BENCH_PATIENTS:-200}
DAYS=${BENCH_DAYS:-60}
BACKENDS=("$@")
[[ ${#BACKENDS[@]} -gt 0 ]] || BACKENDS=(sqlite postgres)

need_pkg wrk wrk
build

ROWS=()
for backend in "${BACKENDS[@]}"; do
    database_for "$backend" memory
    url=$DB_URL
    start_server "$url"
    sleep 2
    idle_start=$(rss_mib "$SERVER_PID")
    hwm_start=$(hwm_mib "$SERVER_PID")
    log "$backend: seeding $PATIENTS patients"
    seed "$BENCH_TMP/mem-$backend.tsv" --patients "$PATIENTS" --days-ago "$DAYS"
    sleep 2
    idle_seeded=$(rss_mib "$SERVER_PID")
    log "$backend: wrk PUT load ${WRK_SECONDS}s while sampling VmRSS"
    (
        max=0
        while kill -0 "$SERVER_PID" 2>/dev/null; do
            r=$(rss_mib "$SERVER_PID" 2>/dev/null || echo 0)
            max=$(awk -v a="$r" -v b="$max" 'BEGIN { print (a > b) ? a : b }')
            echo "$max" >"$BENCH_TMP/rss-max"
            sleep 0.2
        done
    ) &
    sampler=$!
    read -r rps _ p99 _ < <(BENCH_SEED=$BENCH_TMP/mem-$backend.tsv \
        run_wrk "$BASE" "$ROOT/bench/wrk/put_log.lua")
    loaded_max=$(cat "$BENCH_TMP/rss-max")
    hwm=$(hwm_mib "$SERVER_PID")
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    sleep 3
    idle_after=$(rss_mib "$SERVER_PID")
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$SERVER_PID/status")
    ROWS+=("$backend|$idle_start|$hwm_start|$idle_seeded|$loaded_max|$hwm|$idle_after|$threads|$rps|$p99")
    stop_server
done

echo
echo "## Memory: aftercare serve, VmRSS / VmHWM"
echo
echo "$(machine_line)"
echo "load: wrk -t$WRK_THREADS -c$WRK_CONNS -d${WRK_SECONDS}s PUT daily logs, $PATIENTS patients; pool size 8 (default)"
echo
echo "| backend | idle after start MiB (HWM) | idle after seeding MiB | max VmRSS under load MiB | VmHWM after load MiB | idle after load MiB | threads | load req/s | load p99 ms |"
echo "|---|---|---|---|---|---|---|---|---|"
for row in "${ROWS[@]}"; do
    IFS='|' read -r b i0 h0 i1 lm hw i2 th rps p99 <<<"$row"
    echo "| $b | $i0 ($h0) | $i1 | $lm | $hw | $i2 | $th | $rps | $p99 |"
done
echo
echo "goals: < 50 MiB idle, < 200 MiB loaded"
