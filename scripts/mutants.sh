#!/usr/bin/env bash
# Mutation testing of the code that writes, closes, replaces or rolls back data (not part of
# .ci/run: it rebuilds the crate once per mutant). Usage: scripts/mutants.sh [extra cargo-mutants
# options], e.g. `scripts/mutants.sh --list`. Results in mutants.out/ (outcomes.json, caught.txt,
# missed.txt). Each mutant runs the integration tests of the areas concerned, with the failure
# points enabled.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null 2>&1 || cargo install cargo-mutants --locked
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/observatoire/mutants-target}"
cargo mutants \
  --file src/collect/francetravail/store.rs \
  --file src/collect/import.rs \
  --file src/collect/mod.rs \
  --file src/schedule/runner.rs \
  --re 'write|finish|Guard|replace_rows|import|attempt|Runner::run|record_source|last_ok|finish_row|start_row' \
  --exclude-re 'arrays::|head|middle|batch|column_letter|csv_quote|cell_text|header_hint|shift_lines|spreadsheet_to_csv|from_str|as_str' \
  --features failpoints \
  --timeout 600 \
  "$@" \
  -- --test it -- francetravail:: imports:: init:: jobs:: crash::
