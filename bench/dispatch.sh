#!/usr/bin/env bash
# Reminder dispatch end to end: 100,000 due occurrences (10,000 patients x
# 10, one real P-256 subscription each) fanned out, claimed, encrypted,
# signed, sent to a loopback sink answering 201 and recorded, by the
# service's own Dispatcher::tick(); beside it the same messages encrypted
# alone (the ceiling) and the Node web-push library sending them to the same
# sink (the peer).
#
#   bench/dispatch.sh [sqlite] [postgres]      (default: sqlite)
#
# Environment: BENCH_PATIENTS (10000), BENCH_PER_PATIENT (10),
# BENCH_NODE_PUSHES (30000: the Node peer sends the first so many of the same
# messages; its rate is steady long before, and all of them took it 80-120 s).
source "$(dirname "$0")/lib.sh"

PATIENTS=${BENCH_PATIENTS:-10000}
PER=${BENCH_PER_PATIENT:-10}
NODE_PUSHES=${BENCH_NODE_PUSHES:-30000}
BACKENDS=("$@")
[[ ${#BACKENDS[@]} -gt 0 ]] || BACKENDS=(sqlite)

need_pkg node nodejs
need_pkg npm npm
build
if [[ ! -d $ROOT/bench/node/node_modules/web-push ]]; then
    log "installing the Node web-push library"
    (cd "$ROOT/bench/node" && npm install --no-audit --no-fund --silent)
fi

# The sink gets a worker per core, like the service's own HTTP side; its CPU
# time during the run is measured and reported beside the ratios.
SINK_WORKERS=${BENCH_SINK_WORKERS:-$(nproc)}
port=$(free_port)
"$HARNESS" sink --port "$port" --workers "$SINK_WORKERS" 2>"$BENCH_TMP/sink.log" &
BENCH_PIDS+=("$!")
for _ in $(seq 1 50); do
    curl -sf "http://127.0.0.1:$port/__count" >/dev/null 2>&1 && break
    sleep 0.1
done

ROWS=()
for backend in "${BACKENDS[@]}"; do
    database_for "$backend" dispatch
    url=$DB_URL
    log "$backend: seeding $((PATIENTS * PER)) due occurrences, then dispatching"
    out=$("$HARNESS" dispatch --database "$url" --sink-port "$port" --patients "$PATIENTS" \
        --per-patient "$PER" --export "$BENCH_TMP/jobs-$backend.jsonl")
    echo "$out" >&2
    log "$backend: the Node web-push peer on the same messages"
    node_out=$(node "$ROOT/bench/node/peer.js" "$BENCH_TMP/jobs-$backend.jsonl" 64 "$NODE_PUSHES")
    echo "$node_out" >&2
    threads=$(kv "$out" encrypt_threads)
    ROWS+=("$backend|$(kv "$out" dispatch_pushes)|$(kv "$out" seconds)|$(kv "$out" pushes_per_s)|$(kv "$out" encrypt_1thread_per_s)|$(kv "$out" "encrypt_${threads}threads_per_s")|$threads|$(kv "$node_out" node_pushes)|$(kv "$node_out" node_failed)|$(kv "$node_out" node_pushes_per_s)|$(kv "$out" dispatcher_cpu_us_per_push)|$(kv "$out" sink_cpu_share)|$(kv "$out" dispatcher_cpu_share)")
done

echo
echo "## Reminder dispatch: due occurrences -> Web Push -> loopback sink (201)"
echo
echo "$(machine_line)"
echo "$PATIENTS patients x $PER due occurrences, one subscription each (real P-256 keys, aes128gcm, VAPID ES256); sink: actix, workers: $SINK_WORKERS; dispatcher batch 64 (as shipped); Node: web-push $(node -p "require('$ROOT/bench/node/node_modules/web-push/package.json').version") on node $(node --version), 64 in flight, the first $NODE_PUSHES messages"
echo
echo "| backend | pushes | seconds | end-to-end pushes/s | encrypt alone, 1 thread /s | encrypt alone, all cores /s | e2e / ceiling (1 thread) | e2e / ceiling (all cores) | Node web-push pushes/s | ours / Node |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for row in "${ROWS[@]}"; do
    IFS='|' read -r b n s e e1 en t nn nf np _ _ _ <<<"$row"
    echo "| $b | $n | $s | $e | $e1 | $en ($t threads) | $(ratio "$e" "$e1") | $(ratio "$e" "$en") | $np ($nn ok, $nf failed) | $(awk -v a="$e" -v b="$np" 'BEGIN { printf "%.1fx", a / b }') |"
done
echo
echo "Where the CPU went during the dispatch run (getrusage of each process; share = CPU seconds / (seconds x cores)):"
echo
echo "| backend | dispatcher CPU us/push | encryption alone CPU us/push | dispatcher CPU share | sink CPU share | e2e / ceiling on the cores the sink left |"
echo "|---|---|---|---|---|---|"
for row in "${ROWS[@]}"; do
    IFS='|' read -r b n s e e1 en t nn nf np dus ssh dsh <<<"$row"
    left=$(awk -v c="$en" -v s="$ssh" 'BEGIN { printf "%.1f", c * (1 - s) }')
    echo "| $b | $dus | $(awk -v r="$e1" 'BEGIN { printf "%.1f", 1e6 / r }') | $dsh | $ssh | $(ratio "$e" "$left") |"
done
echo
echo "goals: >= 5x the Node peer; >= 60% of the encryption-alone ceiling (all cores)"
