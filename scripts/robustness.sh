#!/usr/bin/env bash
# The slow part of the robustness suite (the fast part is in the tests):
#   scripts/robustness.sh [fuzz|load|all]   (default: all)
# fuzz: `cargo fuzz` (libFuzzer, coverage-guided; `--sanitizer none`, which runs on the stable
#   toolchain) on each target of fuzz/ for FUZZ_SECONDS (default 300) from the seed corpus that
#   the test suite replays (written out by tests/it/fuzzing.rs). A crash leaves its input in
#   fuzz/artifacts/<target>/ and makes the script fail; reproduce with
#   `cargo fuzz run --sanitizer none --fuzz-dir fuzz <target> <file>`.
# load: the pages and the API under load while a large import and the indicator rebuild run
#   (scripts/load_during_writes.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/observatoire/target}"
TOOLS="$HOME/.cache/observatoire/tools"
FUZZ_SECONDS="${FUZZ_SECONDS:-300}"
TARGETS="${TARGETS:-offer_page salary import_file job_file forecast_csv}"

fuzz() {
  [ -x "$TOOLS/bin/cargo-fuzz" ] || cargo install cargo-fuzz --version 0.13.2 --locked --root "$TOOLS"
  export PATH="$TOOLS/bin:$PATH"
  local corpus=fuzz/corpus
  mkdir -p "$corpus"
  OBSERVATOIRE_FUZZ_CORPUS="$PWD/$corpus" cargo test --locked --test it -q fuzzing:: >/dev/null
  cargo fuzz build --sanitizer none --fuzz-dir fuzz -O
  # build.rs records libduckdb's folder as rpath of the project's own binaries only
  local lib
  lib=$(dirname "$(ls "$CARGO_TARGET_DIR"/x86_64-unknown-linux-gnu/duckdb-*/libduckdb.so | head -1)")
  export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  local failed=0
  for t in $TARGETS; do
    echo "== $t ($FUZZ_SECONDS s)"
    if ! cargo fuzz run --sanitizer none --fuzz-dir fuzz -O "$t" "$corpus/$t" -- \
        -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 \
        2>"fuzz/$t.log"; then
      failed=1
      grep -E "panicked|ERROR|Test unit written" "fuzz/$t.log" || tail -20 "fuzz/$t.log"
    fi
    grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec|^stat::new_units_added" "fuzz/$t.log" | tr '\n' ' '
    echo "corpus: $(ls "$corpus/$t" | wc -l) entrées"
  done
  return $failed
}

case "$what" in
  fuzz) fuzz ;;
  load) bash scripts/load_during_writes.sh ;;
  all) fuzz; bash scripts/load_during_writes.sh ;;
  *) echo "usage: scripts/robustness.sh [fuzz|load|all]" >&2; exit 2 ;;
esac
