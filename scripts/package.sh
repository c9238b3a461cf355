#!/usr/bin/env bash
# Builds the release package: dist/observatoire-<version>-linux-x86_64.tar.gz holding the
# binary with libduckdb.so beside it (found through its $ORIGIN runpath: no LD_LIBRARY_PATH),
# config.toml, jobs/, the systemd unit, the README and the licences (program, DuckDB, data).
#
#   bash scripts/package.sh                    # cargo build --release, then package
#   OBSERVATOIRE_BINARY=path bash scripts/package.sh   # package an already built binary
#   DIST=folder bash scripts/package.sh        # write the archive elsewhere than dist/
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
[ -n "$version" ] || { echo "package.sh: no version in Cargo.toml" >&2; exit 1; }
arch=$(uname -m)
[ "$arch" = x86_64 ] || { echo "package.sh: libduckdb.so is prebuilt for x86_64 only (this is $arch)" >&2; exit 1; }
name="observatoire-${version}-linux-x86_64"
dist="${DIST:-dist}"

bin="${OBSERVATOIRE_BINARY:-}"
if [ -z "$bin" ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/observatoire/target}"
  cargo build --release --locked
  bin="$CARGO_TARGET_DIR/release/observatoire"
fi
[ -x "$bin" ] || { echo "package.sh: binary $bin not found" >&2; exit 1; }

# the libduckdb.so this binary loads, as the dynamic loader resolves it
lib=$(ldd "$bin" | awk '$1 == "libduckdb.so" { print $3 }')
[ -n "$lib" ] && [ -f "$lib" ] || { echo "package.sh: $bin does not resolve libduckdb.so (ldd: $(ldd "$bin" | grep duckdb || true))" >&2; exit 1; }
readelf -d "$bin" | grep -q 'R.*PATH.*\$ORIGIN' || { echo "package.sh: $bin has no \$ORIGIN runpath (see build.rs)" >&2; exit 1; }

mkdir -p "$dist"
stage=$(mktemp -d "$dist/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root="$stage/$name"
mkdir -p "$root/jobs" "$root/deploy"
install -m 0755 "$bin" "$root/observatoire"
install -m 0644 "$lib" "$root/libduckdb.so"
install -m 0644 config.toml "$root/config.toml"
install -m 0644 jobs/*.toml "$root/jobs/"
install -m 0644 deploy/observatoire.service "$root/deploy/"
install -m 0644 README.md "$root/README.md"
install -m 0644 LICENSE "$root/LICENSE"
install -m 0644 deploy/LICENSE-duckdb.txt "$root/LICENSE-duckdb.txt"
# source, vintage and licence of every embedded dataset
install -m 0644 data/README.md "$root/LICENCES-DONNEES.md"
(cd "$root" && sha256sum observatoire libduckdb.so > SHA256SUMS)

archive="$dist/$name.tar.gz"
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$stage/$name.tar.gz" "$name"
mv "$stage/$name.tar.gz" "$archive"
(cd "$dist" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
echo "$archive ($(du -h "$archive" | cut -f1))"
