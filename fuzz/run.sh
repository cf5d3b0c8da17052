#!/bin/sh
# Runs every fuzz target for SECONDS each (default 600), JOBS at a time
# (default 2), under nice, with a per-input time limit (10 s: a hang) and
# memory limit (2 GB: a blow-up), seeded from the real logs, valgrind's own
# expectation files and the suppression files in tests/fixtures and
# assets/rules, plus (with CORPUS=DIR, e.g. the team's shared corpus) every
# expectation and .supp file there and 200 KB slices of its real logs (the
# start, the middle and the end). Crashing inputs land in fuzz/artifacts/TARGET/; each run's
# figures (executions, seconds) in fuzz/logs/TARGET.log. Then keep every
# crash as a regression test in tests/ (see tests/fuzz_regressions.rs).
#
#   cargo install cargo-fuzz      # once; needs the nightly toolchain
#   fuzz/run.sh 600               # or: TARGETS="text xml" fuzz/run.sh 60
#   JOBS=1 CORPUS=/path/to/corpus fuzz/run.sh 600
set -eu
secs=${1:-600}
jobs=${JOBS:-2}
targets=${TARGETS:-"text xml lsan gzip zstd supp rules demangle parse"}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    nice -n 19 cargo +nightly fuzz build --release
fi
bin="$root/fuzz/target/$triple/release"

# seed TARGET FILE... : copies files into the target's corpus under names
# that cannot collide (valgrind's expectation files repeat base names).
seed() {
    t=$1
    shift
    mkdir -p "corpus/$t"
    for f in "$@"; do
        [ -f "$f" ] || continue
        [ "$(wc -c <"$f")" -le 262144 ] || continue
        cp "$f" "corpus/$t/seed-$(printf '%s' "$f" | cksum | cut -d' ' -f1)"
    done
}
fx="$root/tests/fixtures"
vt="$fx/valgrind-tests"
seed text $(ls "$fx"/*.txt) $(find "$vt" -name '*.stderr.exp*' ! -name '*xml*')
seed xml $(ls "$fx"/*.xml) $(find "$vt" -name '*xml*.exp*')
seed parse $(ls "$fx"/*.txt "$fx"/*.xml)
seed lsan $(ls "$fx"/lsan*.txt "$fx"/asan*.txt)
seed gzip $(ls "$fx"/*.gz)
seed zstd $(ls "$fx"/*.zst)
for f in "$fx"/leaky.txt "$fx"/lsan.txt "$fx"/leaky.xml "$fx"/truncated.txt; do
    mkdir -p corpus/gzip corpus/zstd
    gzip -c "$f" >"corpus/gzip/seed-$(basename "$f").gz"
    if command -v zstd >/dev/null; then
        zstd -q -c "$f" >"corpus/zstd/seed-$(basename "$f").zst"
    fi
done
# slices NAME FILE... : the start, middle and end (200 KB each) of each big
# log, decompressed, into every corpus whose format it is.
slices() {
    for f in "$@"; do
        case "$f" in *.gz) cat="zcat" ;; *) cat="cat" ;; esac
        size=$($cat "$f" | wc -c)
        mid=$((size / 2))
        for t in $targets_of_slice; do
            mkdir -p "corpus/$t"
            b="corpus/$t/slice-$(basename "$f")"
            $cat "$f" | head -c 204800 >"$b-start"
            $cat "$f" | tail -c +"$mid" | head -c 204800 >"$b-middle"
            $cat "$f" | tail -c 204800 >"$b-end"
        done
    done
}
extra_supps=""
if [ -n "${CORPUS:-}" ] && [ -d "$CORPUS" ]; then
    seed text $(find "$CORPUS" -name '*.stderr.exp*' ! -name '*xml*')
    seed xml $(find "$CORPUS" -name '*xml*.exp*')
    seed parse $(find "$CORPUS" -name '*.stderr.exp*' | head -100)
    targets_of_slice="text parse" slices $(find "$CORPUS" -name '*.txt' -o -name '*.txt.gz')
    targets_of_slice="xml parse" slices $(find "$CORPUS" -name '*.xml' -o -name '*.xml.gz')
    for t in gzip zstd; do
        for f in corpus/text/slice-* corpus/xml/slice-*; do
            [ -f "$f" ] || continue
            case $t in
            gzip) gzip -c "$f" >"corpus/gzip/$(basename "$f").gz" ;;
            zstd) if command -v zstd >/dev/null; then zstd -q -c "$f" >"corpus/zstd/$(basename "$f").zst"; fi ;;
            esac
        done
    done
    extra_supps=$(find "$CORPUS" -name '*.supp')
fi
supps="$(find "$fx" "$root/assets/rules" -name '*.supp') $extra_supps"
seed supp $supps
seed rules $supps
mkdir -p corpus/demangle
grep -rhoE '_Z[A-Za-z0-9_]{4,200}' "$fx"/*.txt "$fx"/*.supp 2>/dev/null | sort -u | head -300 |
    while read -r name; do
        printf '%s' "$name" >"corpus/demangle/seed-$(printf '%s' "$name" | cksum | cut -d' ' -f1)"
    done

mkdir -p logs
run() {
    t=$1
    mkdir -p "artifacts/$t"
    t0=$(date +%s)
    nice -n 19 "$bin/$t" "corpus/$t" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=262144 \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"logs/$t.log" 2>&1 || true
    took=$(($(date +%s) - t0))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log")
    crashes=$(ls "artifacts/$t" | wc -l)
    echo "$t: ${runs:-?} executions in ${took}s (a finding stops a run early), $crashes crash/timeout/oom inputs in fuzz/artifacts/$t"
}
n=0
for t in $targets; do
    run "$t" &
    n=$((n + 1))
    if [ "$n" -ge "$jobs" ]; then
        wait
        n=0
    fi
done
wait
