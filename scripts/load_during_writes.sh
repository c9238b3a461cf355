#!/usr/bin/env bash
# The pages and the API while a large import and the indicator rebuild run, measured from outside
# with oha (installed from the crate registry into ~/.cache/observatoire/tools when missing).
#   OFFERS=1000000 scripts/load_during_writes.sh
#   DB=/tmp/rb/10m.duckdb scripts/load_during_writes.sh   (an existing database instead)
# A database of OFFERS synthetic offers (observatoire bench generate + bench ingest, kept in WORK
# for reruns) is served by the release `observatoire serve`. Two loads run together: CONNS
# connections on a zone's dashboard, tension API and CSV export of offers (cached), and one user asking pages
# never asked before (a distinct address per request, rendered from the derived tables) — first
# at rest for DURATION, then for DURATION_WRITES while the national BMO file (the real embedded
# one, served from loopback) is imported by its job and the indicators are rebuilt. Prints oha's
# summaries (success rate, status codes, requests/s, p50, p99), the jobs' outcome and the
# server's peak memory (VmHWM).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/observatoire/target}"
TOOLS="$HOME/.cache/observatoire/tools"
OHA="$TOOLS/bin/oha"
[ -x "$OHA" ] || cargo install oha --version 1.14.0 --locked --root "$TOOLS"
OFFERS="${OFFERS:-1000000}"
CONNS="${CONNS:-64}"
DURATION="${DURATION:-30s}"
# long enough to cover the import and the whole rebuild
DURATION_WRITES="${DURATION_WRITES:-150s}"
WORK="${WORK:-$HOME/.cache/observatoire/load-work}"
PORT="${PORT:-18431}"
# the zone d'emploi whose dashboard, tension API and CSV export of offers are asked
ZONE="${ZONE:-2815}"
FILES_PORT="${FILES_PORT:-18432}"
mkdir -p "$WORK"
cargo build --release --locked -q
BIN="$CARGO_TARGET_DIR/release/observatoire"
echo "machine: $(nproc) cœurs, $(awk '/MemTotal/ {printf "%.0f Gio", $2/1048576}' /proc/meminfo); ${DB:-$OFFERS offres}"

if [ -n "${DB:-}" ]; then
  # an existing database (e.g. the 10 M offers of `cargo bench --bench rebuild`), served as is
  db="$DB"
else
  pages="$WORK/pages-$OFFERS"
  db="$WORK/db-$OFFERS.duckdb"
  [ -f "$pages/manifest.json" ] || "$BIN" bench generate --offers "$OFFERS" --years 2 --out "$pages" >/dev/null
  if [ ! -f "$db" ]; then
    "$BIN" --db "$db" bench ingest --pages "$pages" | tail -3
  fi
fi
run_db="$WORK/run.duckdb"
cp "$db" "$run_db"; rm -f "$run_db.wal"

# the BMO file the import job downloads, served from loopback
mkdir -p "$WORK/files" "$WORK/jobs"
zcat data/default/bmo_2024_bassin_metier.csv.gz > "$WORK/files/bmo.csv"
(cd "$WORK/files" && exec python3 -m http.server "$FILES_PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
files_pid=$!
cat > "$WORK/jobs/bmo.toml" <<EOF
name = "bmo"
kind = "opendata"
schedule = "0 0 4 1 1 *"
timeout = "30m"
retries = 0
[params]
source = "bmo"
url = "http://127.0.0.1:$FILES_PORT/bmo.csv"
EOF
cat > "$WORK/jobs/indicators.toml" <<EOF
name = "indicators"
kind = "indicators"
schedule = "0 0 4 1 1 *"
timeout = "30m"
retries = 0
EOF
sed -e "s#^path = .*#path = \"$run_db\"#" -e "s#^bind = .*#bind = \"127.0.0.1:$PORT\"#" \
    -e "s#^jobs_dir = .*#jobs_dir = \"$WORK/jobs\"#" -e "s#^catch_up = .*#catch_up = false#" \
    config.toml > "$WORK/config.toml"

export OBSERVATOIRE_ADMIN_TOKEN="jeton-de-mesure-$$"
log="$WORK/serve.log"
"$BIN" --config "$WORK/config.toml" serve > "$log" 2>&1 &
pid=$!
trap 'kill $pid $files_pid 2>/dev/null || true' EXIT
base="http://127.0.0.1:$PORT"
until curl -sf -o /dev/null "$base/health"; do
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 1
done
for u in /territoires/ze/$ZONE /api/v1/territoires/ze/$ZONE/tension "/api/v1/territoires/ze/$ZONE/offres?format=csv"; do curl -sf -o /dev/null "$base$u"; done

# Two loads at once, as users make them: CONNS connections on the dashboard and the tension
# API of one zone (cached: the page cache answers until the data change), and one user walking
# through pages nobody asked before (a distinct address per request: rendered from the derived
# tables each time).
ohas() {
  local d=$1
  "$OHA" --no-tui -c "$CONNS" -z "$d" --rand-regex-url \
    "http://127[.]0[.]0[.]1:$PORT/(territoires/ze/$ZONE|api/v1/territoires/ze/$ZONE/tension|api/v1/territoires/ze/$ZONE/offres[?]format=csv)" > "$WORK/oha-cached.out" &
  local cached=$!
  "$OHA" --no-tui -c 1 -z "$d" --rand-regex-url \
    "http://127[.]0[.]0[.]1:$PORT/(territoires/ze/$ZONE[?]|api/v1/territoires/ze/$ZONE/tension[?]|api/v1/territoires/ze/$ZONE/offres[?]format=csv&)page=[0-9]{9}" > "$WORK/oha-uncached.out"
  wait $cached
  for k in cached uncached; do
    echo "-- $([ $k = cached ] && echo "en cache, $CONNS connexions" || echo "hors cache, 1 utilisateur")"
    grep -E "Success rate|Requests/sec|Slowest|50.00% in|99.00% in|^ +\[[0-9]{3}\]|Error distribution|^ +\[[0-9]+\] " "$WORK/oha-$k.out"
  done
}
job_status() {
  curl -sf "$base/api/v1/jobs" | python3 -c "import json,sys
j={x['name']: x for x in json.load(sys.stdin)}['$1']
r=j['last_runs'][0] if j['last_runs'] else {}
print('running' if j['running'] else r.get('status','none'), r.get('duration_seconds', r.get('duration','')), (r.get('error') or '')[:200])"
}

echo "== au repos ($DURATION)"
ohas "$DURATION"
echo "mémoire de serve au repos : $(awk '/VmHWM/ {printf "pic %.0f Mio", $2/1024}' /proc/$pid/status), $(awk '/VmRSS/ {printf "actuelle %.0f Mio", $2/1024}' /proc/$pid/status)"
echo "== pendant l'import BMO puis la reconstruction des indicateurs ($DURATION_WRITES)"
(
  sleep 2
  auth=(-H "Authorization: Bearer $OBSERVATOIRE_ADMIN_TOKEN")
  curl -s -X POST "${auth[@]}" "$base/admin/jobs/bmo/run" >/dev/null
  t0=$(date +%s.%N)
  sleep 1
  while [ "$(job_status bmo | cut -d' ' -f1)" = running ]; do sleep 0.5; done
  t1=$(date +%s.%N)
  # 202, or 409 when the import's success already started the rebuild
  curl -s -X POST "${auth[@]}" "$base/admin/jobs/indicators/run" >/dev/null
  sleep 1
  while [ "$(job_status indicators | cut -d' ' -f1)" = running ]; do sleep 0.5; done
  t2=$(date +%s.%N)
  echo "import bmo : $(job_status bmo) ($(awk "BEGIN {printf \"%.1f\", $t1 - $t0}") s) ; indicateurs : $(job_status indicators) ($(awk "BEGIN {printf \"%.1f\", $t2 - $t1}") s)" > "$WORK/jobs.out"
) &
writer=$!
ohas "$DURATION_WRITES"
wait $writer || true
cat "$WORK/jobs.out"
echo "mémoire de serve : $(awk '/VmHWM/ {printf "pic %.0f Mio", $2/1024}' /proc/$pid/status), $(awk '/VmRSS/ {printf "actuelle %.0f Mio", $2/1024}' /proc/$pid/status)"
