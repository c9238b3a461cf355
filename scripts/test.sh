#!/usr/bin/env bash
# Runs the whole test suite on a fresh or warm machine: installs what the tests need, then
# `cargo test`. Used as is by CI (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

need_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  need_root apt-get update -qq
  need_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# npm obtains the prebuilt libduckdb (see build.rs); Chromium renders pages in the browser tests.
command -v npm >/dev/null 2>&1 || apt_install npm
if [ ! -x /usr/bin/chromium ]; then apt_install chromium fonts-dejavu-core; fi
# axe-core and playwright-core drive that Chromium in the page checks (versions pinned in the lock).
npm ci --prefix tests/browser --no-audit --no-fund --silent

# Python tools of the tests (an independent OpenAPI validator, and schemathesis, which tests the
# API against that document) in a virtualenv of their own.
VENV="$HOME/.cache/observatoire/venv"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import openapi_spec_validator, schemathesis" 2>/dev/null; then
  command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'openapi-spec-validator==0.7.*' 'schemathesis==4.32.*'
fi
export OBSERVATOIRE_TEST_PYTHON="$VENV/bin/python"

# A persistent target dir: a warm run takes minutes, a cold one about ten.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/observatoire/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# `failpoints`: the tests inject failures inside writes and kill the binary inside commits.
cargo test --locked --features failpoints "$@"
