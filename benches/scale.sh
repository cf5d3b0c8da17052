#!/usr/bin/env bash
# Every scale figure of the README in one run, on the same files, as ratios
# to a baseline measured in the same run (the machine may be shared: only
# ratios and medians mean anything):
#
#   bash benches/scale.sh [DIR] [RUNS]
#
# - `leakscope summary` vs `wc -l` on the 1.1 GB generated text log, built-in
#   rules on and off;
# - `summary` on a ~125 MB XML log (the real Numba XML log's errors repeated
#   as further leak searches) vs `wc -l`, and vs ValgrindCI (`valgrind-ci
#   --summary`) when it is on PATH or in $VALGRIND_CI (skipped with a note
#   otherwise: `python3 -m venv V && V/bin/pip install ValgrindCI`);
# - peak RSS of `summary` as a fraction of the file for four shapes: the
#   1.1 GB log, 1 M small distinct records, one record of 1 M frames, 6.8 M
#   identical records (benches/genshapes.rs).
#
# The logs (about 4 GB) are made once in DIR (default $TMPDIR/leakscope-scale,
# outside the repository) and kept for the next run; delete DIR when done.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-${TMPDIR:-/tmp}/leakscope-scale}
runs=${2:-3}
mkdir -p "$dir"

cargo build --release --quiet --bin leakscope --example genlog --example genshapes
bin=target/release/leakscope
[ -s "$dir/big.log" ] || target/release/examples/genlog tests/fixtures/real/numba-seed.txt.gz "$dir/big.log" 1100
for s in small deep same; do
  [ -s "$dir/$s.log" ] || target/release/examples/genshapes "$s" "$dir/$s.log"
done
if [ ! -s "$dir/big.xml" ]; then
  # One document: the preamble, the real log's <error>s four times (each
  # copy numbers its records from 1 again: protocol 4's next leak search),
  # the closing part.
  seed="$dir/seed.xml"
  gzip -dc tests/fixtures/real/numba-seed.xml.gz > "$seed"
  first=$(grep -n -m1 '^<error>' "$seed" | cut -d: -f1)
  last=$(grep -n '^</error>' "$seed" | tail -1 | cut -d: -f1)
  {
    head -n $((first - 1)) "$seed"
    for _ in 1 2 3 4; do sed -n "${first},${last}p" "$seed"; done
    tail -n +$((last + 1)) "$seed"
  } > "$dir/big.xml"
  rm "$seed"
fi

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# Wall seconds of a command, its output discarded.
secs() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; }
# Median wall time of RUNS runs.
med() { for _ in $(seq "$runs"); do secs "$@"; done | median; }
# Peak RSS in KB.
peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
size() { stat -c %s "$1"; }

cat "$dir/big.log" "$dir/big.xml" > /dev/null # warm the page cache
wc_log=$(med wc -l "$dir/big.log")
on=$(med "$bin" summary "$dir/big.log")
off=$(med "$bin" summary --no-builtin-rules "$dir/big.log")
wc_xml=$(med wc -l "$dir/big.xml")
xml=$(med "$bin" summary "$dir/big.xml")
vgci=${VALGRIND_CI:-$(command -v valgrind-ci || true)}
if [ -n "$vgci" ] && [ -x "$vgci" ]; then
  vg=$(secs "$vgci" --summary "$dir/big.xml") # one run: it takes minutes
else
  vg=""
fi

awk -v b="$(size "$dir/big.log")" -v x="$(size "$dir/big.xml")" -v w="$wc_log" -v on="$on" \
    -v off="$off" -v wx="$wc_xml" -v xl="$xml" -v vg="$vg" -v n="$runs" 'BEGIN {
  printf "| measure | file | time (median of %d) | ratio |\n|---|---|---|---|\n", n
  printf "| `wc -l` | text log, %.2f GB | %.2f s | 1 |\n", b/1e9, w
  printf "| `summary` (built-in rules on) | text log | %.2f s | %.1f× `wc -l` |\n", on, on/w
  printf "| `summary --no-builtin-rules` | text log | %.2f s | %.1f× `wc -l` |\n", off, off/w
  printf "| `wc -l` | XML log, %.0f MB | %.2f s | 1 |\n", x/1e6, wx
  printf "| `summary` | XML log | %.2f s | %.1f× `wc -l` |\n", xl, xl/wx
  if (vg != "") printf "| ValgrindCI `--summary` (1 run) | XML log | %.2f s | leakscope %.0f× faster |\n", vg, vg/xl
  else printf "| ValgrindCI | XML log | not installed: skipped | |\n"
}'
echo
echo "| shape | file | peak RSS of \`summary\` | fraction of the file |"
echo "|---|---|---|---|"
for s in big:"1.1 GB generated log" small:"1 M small distinct records" deep:"one record of 1 M frames" same:"6.8 M identical records"; do
  f="$dir/${s%%:*}.log"
  kb=$(for _ in $(seq "$runs"); do peak "$bin" summary "$f"; done | median)
  awk -v k="$kb" -v b="$(size "$f")" -v name="${s#*:}" \
    'BEGIN { printf "| %s | %.0f MB | %.0f MB | %.2f |\n", name, b/1e6, k/1024, k*1024/b }'
done
