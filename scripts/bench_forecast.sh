#!/usr/bin/env bash
# Forecast benchmark side by side: the engine (cargo bench --bench forecast) and statsforecast
# AutoETS on the same synthetic series (installed in a local virtualenv), with both MASE and
# coverage on the last 12 months held out. Usage: scripts/bench_forecast.sh [N] (default 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/observatoire/target}"
VENV="${VENV:-$HOME/.cache/observatoire/venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q statsforecast pandas
WORK="$(mktemp -d)"
BENCH_CSV="$WORK/series.csv" cargo bench --bench forecast -- "$N"
cargo build --release
echo "Observatoire, 12 derniers mois réservés :"
/usr/bin/time -f "  %e s, %M Ko" "$CARGO_TARGET_DIR/release/observatoire" forecast \
  --input "$WORK/series.csv" --horizon 12 --output "$WORK/out.csv" --backtest | tail -1
echo "statsforecast, mêmes séries et coupe :"
"$VENV/bin/python" scripts/forecast_reference.py "$WORK/series.csv" 12 12
rm -rf "$WORK"
