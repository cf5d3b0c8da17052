#!/usr/bin/env bash
# Parse throughput of `leakscope summary` on a >= 1 GB log, as a ratio to
# `wc -l` on the same file in the same run, plus peak memory.
#
#   bash benches/parse_vs_wc.sh [SIZE_MB] [RUNS]
#
# The log is generated from the real Numba log in tests/fixtures (records
# repeated with shifted addresses and renamed callers, so stacks are
# distinct), under $TMPDIR; it is removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1100}
runs=${2:-5}
tmp=${TMPDIR:-/tmp}/leakscope-bench.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

cargo build --release --quiet --bin leakscope --example genlog
bin=target/release/leakscope
log="$tmp/big.log"
target/release/examples/genlog tests/fixtures/real/numba-seed.txt.gz "$log" "$size"
bytes=$(stat -c %s "$log")

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
seconds() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; }

cat "$log" > /dev/null # warm the page cache for both
wc_times=() ; ls_times=() ; peaks=()
for _ in $(seq "$runs"); do
  wc_times+=("$(seconds wc -l "$log")")
  out=$( { /usr/bin/time -f '%e %M' "$bin" summary "$log" >/dev/null; } 2>&1 | tail -1)
  ls_times+=("${out% *}")
  peaks+=("${out#* }")
done
wc_med=$(printf '%s\n' "${wc_times[@]}" | median)
ls_med=$(printf '%s\n' "${ls_times[@]}" | median)
peak_kb=$(printf '%s\n' "${peaks[@]}" | sort -n | tail -1)
awk -v b="$bytes" -v w="$wc_med" -v l="$ls_med" -v p="$peak_kb" -v n="$runs" 'BEGIN {
  printf "log: %.2f GB, %d runs each (medians)\n", b/1e9, n
  printf "wc -l:             %.3f s\n", w
  printf "leakscope summary: %.3f s  (%.1f x wc -l, %.2f GB/s)\n", l, l/w, b/1e9/l
  printf "peak memory:       %.0f MB  (%.2f of the file size)\n", p/1024, p*1024/b
}'
