#!/usr/bin/env bash
# Scale benchmarks side by side, figures printed and meant for BENCHMARKS.md.
#   scripts/bench.sh [ingest|web|forecast|all]   (default: ingest)
# ingest: synthetic France Travail pages (observatoire bench generate) at each size of SIZES,
#   loaded by the collector path (observatoire bench ingest) and by the Python reference
#   (scripts/ingest_reference.py: orjson + pyarrow + duckdb), RUNS alternating runs, medians.
# web, forecast: scripts/bench_web.sh and scripts/bench_forecast.sh.
# The Python references are installed in a local virtualenv from the package registry.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-ingest}"
SIZES="${SIZES:-10000 100000 300000 1000000}"
RUNS="${RUNS:-3}"
WORK="${WORK:-$(mktemp -d)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/observatoire/target}"
VENV="${VENV:-$HOME/.cache/observatoire/bench-venv}"
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install -q 'duckdb==1.5.6' orjson pyarrow
cargo build --release --locked -q
BIN="$CARGO_TARGET_DIR/release/observatoire"
echo "machine: $(nproc) cœurs, $(awk '/MemTotal/ {printf "%.0f Gio", $2/1048576}' /proc/meminfo), $(uname -r)"

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

ingest() {
  echo "offres | observatoire nouvelles/s | observatoire déjà stockées/s | Python nouvelles/s | Python déjà stockées/s | ratio nouvelles | ratio stockées"
  for n in $SIZES; do
    pages="$WORK/pages-$n"
    [ -f "$pages/manifest.json" ] || "$BIN" bench generate --offers "$n" --years 2 --out "$pages" >/dev/null
    : > "$WORK/rs-new"; : > "$WORK/rs-old"; : > "$WORK/py-new"; : > "$WORK/py-old"
    for run in $(seq "$RUNS"); do
      rm -f "$WORK/rs.duckdb" "$WORK/py.duckdb"*
      r=$("$BIN" --db "$WORK/rs.duckdb" bench ingest --json --pages "$pages")
      echo "$r" | "$VENV/bin/python" -c 'import json,sys; r=json.load(sys.stdin); print(r["new"]["offers"]/r["new"]["seconds"])' >> "$WORK/rs-new"
      echo "$r" | "$VENV/bin/python" -c 'import json,sys; r=json.load(sys.stdin); print(r["stored"]["offers"]/r["stored"]["seconds"])' >> "$WORK/rs-old"
      rm -f "$WORK/rs.duckdb"*
      p=$("$VENV/bin/python" scripts/ingest_reference.py "$pages" "$WORK/py.duckdb")
      echo "$p" | "$VENV/bin/python" -c 'import json,sys; r=json.load(sys.stdin); print(r["new"]["rate"])' >> "$WORK/py-new"
      echo "$p" | "$VENV/bin/python" -c 'import json,sys; r=json.load(sys.stdin); print(r["stored"]["rate"])' >> "$WORK/py-old"
    done
    rn=$(median < "$WORK/rs-new"); ro=$(median < "$WORK/rs-old")
    pn=$(median < "$WORK/py-new"); po=$(median < "$WORK/py-old")
    awk -v n="$n" -v rn="$rn" -v ro="$ro" -v pn="$pn" -v po="$po" \
      'BEGIN { printf "%d | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f\n", n, rn, ro, pn, po, rn / pn, ro / po }' 
  done
}

case "$what" in
  ingest) ingest ;;
  web) bash scripts/bench_web.sh ;;
  forecast) bash scripts/bench_forecast.sh ;;
  all) ingest; bash scripts/bench_web.sh; bash scripts/bench_forecast.sh ;;
  *) echo "usage: scripts/bench.sh [ingest|web|forecast|all]" >&2; exit 2 ;;
esac
