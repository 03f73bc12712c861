#!/usr/bin/env bash
# Runs every benchmark in turn and collects the tables in one file.
#
#   bench/all.sh [OUT]        (default OUT: bench/out/results-<date>.md)
set -euo pipefail
DIR=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$DIR/out"
OUT=${1:-$DIR/out/results-$(date -u +%Y%m%dT%H%MZ).md}
{
    echo "# aftercare benchmarks"
    echo
    cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
    echo "machine: nproc=$(nproc), cpu=$cpu, ram=$(free -g | awk '/^Mem:/{print $2}') GiB, kernel=$(uname -r); run $(date -u +%Y-%m-%dT%H:%MZ); git $(git -C "$DIR" rev-parse --short HEAD)"
} >"$OUT"
for b in write_path sync_pull dispatch planning memory; do
    echo "== $b" >&2
    start=$(date +%s)
    "$DIR/$b.sh" | tee -a "$OUT"
    echo "($b took $(( $(date +%s) - start )) s)" | tee -a "$OUT"
done
echo "results in $OUT" >&2
