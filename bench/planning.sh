#!/usr/bin/env bash
# Planning at scale: materialising the next 24 h of reminder occurrences for
# N treatments (default 1,000,000) on SQLite with the dispatcher's own
# `push::scheduler::refill`; wall time and peak memory from /usr/bin/time -v.
# Beside it, the pure expansion alone (every plan loaded and expanded in
# memory by `schedule::occurrences_into`, nothing written) on the same file.
#
#   bench/planning.sh
#
# Then a daily-log PUT's latency at a constant rate while `aftercare serve`
# itself plans (its dispatcher's refill, ticking every second) on a second
# file, against the same PUTs with nothing to plan: a PUT queued behind a
# refill transaction waits for SQLite's single writer, so this is where the
# bound on a refill transaction's hold shows.
#
# Environment: BENCH_TREATMENTS (1000000); BENCH_PUT_TREATMENTS (300000,
# 0 skips the PUT part), BENCH_PUT_RATE (200/s), BENCH_PUT_SECONDS (8).
source "$(dirname "$0")/lib.sh"

N=${BENCH_TREATMENTS:-1000000}
PUT_N=${BENCH_PUT_TREATMENTS:-300000}
PUT_RATE=${BENCH_PUT_RATE:-200}
PUT_SECONDS=${BENCH_PUT_SECONDS:-8}
PUT_CONNS=8
need_pkg /usr/bin/time time
build
# app::reminders::REFILL_HOLD
REFILL_BOUND_MS=20

db=$BENCH_TMP/planning.db
log "bulk-seeding $N treatments with plans into SQLite"
seed_out=$("$HARNESS" planning-seed --path "$db" --treatments "$N")
echo "$seed_out" >&2
size_mb=$(du -m "$db" | cut -f1)

log "pure expansion (no writes) for comparison"
dry=$(/usr/bin/time -v "$HARNESS" planning-run --path "$db" --dry 2>"$BENCH_TMP/time-dry.txt")
dry_rss=$(awk -F: '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$BENCH_TMP/time-dry.txt")

log "refill: the next 24 h for every treatment"
out=$(/usr/bin/time -v "$HARNESS" planning-run --path "$db" 2>"$BENCH_TMP/time.txt")
rss=$(awk -F: '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$BENCH_TMP/time.txt")
cpu=$(awk -F: '/Percent of CPU/ {gsub(/ /, "", $2); print $2}' "$BENCH_TMP/time.txt")
rm -f "$db" "$db-wal" "$db-shm"


echo
echo "## Planning at scale: next 24 h of occurrences, SQLite"
echo
echo "$(machine_line)"
echo "$N treatments (one patient each, default plan, day 0 spread over the last 29 days, 6 zones), all planned until just under now+24h; seeded file ${size_mb} MB"
echo
echo "| what | treatments | occurrences | seconds | treatments/s | peak RSS MiB | CPU |"
echo "|---|---|---|---|---|---|---|"
echo "| scheduler::refill (service path) | $(kv "$out" treatments) | $(kv "$out" occurrences_created) | $(kv "$out" seconds) | $(kv "$out" treatments_per_s) | $rss | $cpu |"
echo "| expansion alone, no writes | $(kv "$dry" treatments) | $(kv "$dry" occurrences_created) | $(kv "$dry" seconds) | $(kv "$dry" treatments_per_s) | $dry_rss | - |"
echo
echo "refill write transactions (service path): $(kv "$out" transactions), each holding the writer p50 $(kv "$out" hold_p50_ms) ms, p99 $(kv "$out" hold_p99_ms) ms, max $(kv "$out" hold_max_ms) ms (bound: $REFILL_BOUND_MS ms)"
echo
echo "goal: < 30 s and < 256 MiB"
if ((PUT_N > 0)); then
    pdb=$BENCH_TMP/planning-put.db
    log "PUT latency while planning: $PUT_N treatments planned ahead, a server, 50 patients over HTTP"
    "$HARNESS" planning-seed --path "$pdb" --treatments "$PUT_N" --not-due >/dev/null
    # Every write's hold of the SQLite writer is logged at debug.
    export AFTERCARE_SCHEDULER_TICK_SECS=1 RUST_LOG=info,aftercare::db=debug AFTERCARE_LOG_FORMAT=json
    start_server "$pdb"
    unset AFTERCARE_SCHEDULER_TICK_SECS RUST_LOG AFTERCARE_LOG_FORMAT
    seed "$BENCH_TMP/put-seed.tsv" --patients 50 >/dev/null
    put_rate() {
        "$HARNESS" rate --base "$BASE" --seed "$BENCH_TMP/put-seed.tsv" --mode put-log \
            --rate "$PUT_RATE" --seconds "$PUT_SECONDS" --connections "$PUT_CONNS"
    }
    slog=$(ls "$BENCH_TMP"/server-*.log)
    # The longest hold of the writer logged from line $1 of the server's log on.
    longest_hold() { tail -n +"$1" "$slog" | sed -n 's/.*"hold_ms":\([0-9.]*\).*/\1/p' | sort -g | tail -1; }
    log "PUT at $PUT_RATE/s for ${PUT_SECONDS}s, nothing to plan"
    from=$(($(wc -l <"$slog") + 1))
    idle=$(put_rate)
    idle_hold=$(longest_hold "$from")
    log "PUT at $PUT_RATE/s for ${PUT_SECONDS}s while the server plans $PUT_N treatments"
    armed=$("$HARNESS" planning-due --path "$pdb" --arm)
    from=$(($(wc -l <"$slog") + 1))
    busy=$(put_rate)
    busy_hold=$(longest_hold "$from")
    left=$("$HARNESS" planning-due --path "$pdb")
    planned=$(($(kv "$armed" due) - $(kv "$left" due)))
    stop_server
fi
if ((PUT_N > 0)); then
    echo
    echo "### Daily-log PUT latency while the server plans, SQLite"
    echo
    echo "PUT at a constant $PUT_RATE/s, $PUT_CONNS connections, ${PUT_SECONDS}s, latency from the scheduled send time; 50 patients; the server's dispatcher ticks every second; $PUT_N treatments made due when the second run starts; longest hold: of any write (PUT or refill) logged by the server during the run"
    echo
    echo "| while | requests | errors | p50 ms | p99 ms | max ms | plans planned meanwhile | longest hold of the writer ms |"
    echo "|---|---|---|---|---|---|---|---|"
    echo "| nothing to plan | $(kv "$idle" requests) | $(kv "$idle" errors) | $(kv "$idle" p50_ms) | $(kv "$idle" p99_ms) | $(kv "$idle" max_ms) | - | ${idle_hold:-?} |"
    echo "| the server plans | $(kv "$busy" requests) | $(kv "$busy" errors) | $(kv "$busy" p50_ms) | $(kv "$busy" p99_ms) | $(kv "$busy" max_ms) | $planned of $PUT_N | ${busy_hold:-?} |"
fi
