#!/usr/bin/env bash
# Planning at scale: materialising the next 24 h of reminder occurrences for
# N treatments (default 1,000,000) on SQLite with the dispatcher's own
# `push::scheduler::refill`; wall time and peak memory from /usr/bin/time -v.
# Beside it, the pure expansion alone (every plan loaded and expanded in
# memory by `schedule::occurrences_into`, nothing written) on the same file.
#
#   bench/planning.sh
#
# Environment: BENCH_TREATMENTS (1000000).
source "$(dirname "$0")/lib.sh"

N=${BENCH_TREATMENTS:-1000000}
need_pkg /usr/bin/time time
build

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
echo "goal: < 60 s and < 1 GiB"
