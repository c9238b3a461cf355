#!/usr/bin/env bash
# The web under load, measured from outside with oha (installed from the crate registry into
# ~/.cache/observatoire/tools when missing): 64 connections, keep-alive, against the
# observatory serving the embedded data (benches/web.rs in `serve` mode). Prints oha's summary
# (requests/s, p50, p99) for each case and the server's memory.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/observatoire/target}"
TOOLS="$HOME/.cache/observatoire/tools"
OHA="$TOOLS/bin/oha"
[ -x "$OHA" ] || cargo install oha --locked --root "$TOOLS"
SECONDS_UP="${SECONDS_UP:-150}"
DURATION="${DURATION:-15s}"
log=$(mktemp)
cargo bench --bench web -- serve "$SECONDS_UP" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
until grep -q "serveur prêt" "$log"; do
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 1
done
base=$(grep "serveur prêt" "$log" | sed 's/.*: //')
# a regular expression matching the base address literally (for --rand-regex-url)
base_re=$(printf '%s' "$base" | sed 's/[.]/[.]/g')
run() { name=$1; c=$2; shift 2; echo "== $name ($c connexions)"; "$OHA" --no-tui -c "$c" -z "$DURATION" "$@" | grep -E "Requests/sec|Slowest|Average|50.00% in|99.00% in|Success rate|^ +\[[0-9]{3}\]"; }
curl -s -o /dev/null "$base/territoires/ze/2815"
run "tableau de bord, en cache" 64 "$base/territoires/ze/2815"
run "tableau de bord, en cache, gzip" 64 -H "Accept-Encoding: gzip" "$base/territoires/ze/2815"
# a distinct address per request: every page is rendered from the derived tables
run "tableau de bord, hors cache" 64 --rand-regex-url "$base_re/territoires/ze/2815[?]page=[0-9]{9}"
run "tableau de bord, hors cache" 1 --rand-regex-url "$base_re/territoires/ze/2815[?]tri=projets&page=[0-9]{9}"
run "API tension, en cache" 64 "$base/api/v1/territoires/ze/2815/tension"
run "export CSV tension, en cache" 64 "$base/api/v1/territoires/ze/2815/tension?format=csv"
wait $pid || true
grep "mémoire" "$log"
