#!/usr/bin/env bash
# Mutation testing of the code that writes, closes, replaces or rolls back data (not part of
# .ci/run: it rebuilds the crate once per mutant, about two minutes each on two cores).
# Usage: scripts/mutants.sh [writes|runner|all] [extra cargo-mutants options], e.g.
# `scripts/mutants.sh writes --list`. Results in mutants.out/ (outcomes.json, caught.txt,
# missed.txt). Each mutant runs the integration tests of the area concerned, with the failure
# points enabled.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null 2>&1 || cargo install cargo-mutants --locked
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/observatoire/mutants-target}"
area="${1:-all}"
shift || true
writes() {
  # the offers upsert, the close guard, the keyed replacement of imports, the import transaction
  cargo mutants \
    --file src/collect/francetravail/store.rs --file src/collect/import.rs --file src/collect/mod.rs \
    --re 'write|finish|Guard|replace_rows|import_cancellable|record_source' \
    --features failpoints --timeout 600 "$@" \
    -- --lib --test it -- francetravail:: imports:: init:: boards::a_redesigned
}
runner() {
  # retries, timeouts, cancellation, recorded outcome
  cargo mutants \
    --file src/schedule/runner.rs --file src/schedule/context.rs --file src/store/mod.rs \
    --re 'Runner::run|attempt|finish_row|record_attempt_failure|retry_delay|last_ok|call_tracked|wait_for|Cancel::|RunSummary::merge' \
    --features failpoints --timeout 180 "$@" \
    -- --lib --test it -- jobs:: francetravail::a_full_refresh_that francetravail::pages_through \
    francetravail::a_run_failing_half_way schedule::
}
case "$area" in
  writes) writes "$@" ;;
  runner) runner "$@" ;;
  all) writes "$@"; mv mutants.out mutants.out.writes; runner "$@" ;;
  *) echo "usage: $0 [writes|runner|all] [cargo-mutants options]" >&2; exit 2 ;;
esac
