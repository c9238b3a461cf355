//! Build script: obtains the prebuilt DuckDB shared library and embeds the dashboard templates.
//!
//! DuckDB: unless the `bundled` feature is on or `DUCKDB_LIB_DIR` is set, the library is taken from
//! the npm package `@duckdb/node-bindings-linux-x64` (the DuckDB project's own prebuilt build), packed
//! with `npm pack` into `<target>/duckdb-<version>/`, linked from there and recorded as rpath (after
//! `$ORIGIN`, the binary's own folder) so the binaries run without `LD_LIBRARY_PATH`.
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const NPM_PACKAGE: &str = "@duckdb/node-bindings-linux-x64";
const NPM_VERSION: &str = "1.5.6-r.1";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    minijinja_embed::embed_templates!("dashboards/templates");

    if env::var_os("CARGO_FEATURE_BUNDLED").is_some() {
        return;
    }
    let lib_dir = match env::var("DUCKDB_LIB_DIR") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) => {
            let dir = target_dir().join(format!("duckdb-{NPM_VERSION}"));
            if let Err(e) = fetch_libduckdb(&dir) {
                panic!(
                    "could not obtain libduckdb.so ({e}). Install npm, or set DUCKDB_LIB_DIR to a \
                     directory holding libduckdb.so, or build with --features bundled"
                );
            }
            println!("cargo:rustc-link-search=native={}", dir.display());
            dir
        }
    };
    // `$ORIGIN` first: a packaged binary (scripts/package.sh) loads the libduckdb.so beside it,
    // never the build's copy; the build folder is only the fallback for `cargo run`.
    println!("cargo:rustc-link-arg=-Wl,-rpath,$ORIGIN");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib_dir.display());
}

/// `<target>` from `OUT_DIR` = `<target>/<profile>/build/<pkg>-<hash>/out`.
fn target_dir() -> PathBuf {
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    out.ancestors()
        .nth(4)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out.clone())
}

fn fetch_libduckdb(dir: &Path) -> Result<(), String> {
    let lib = dir.join("libduckdb.so");
    if lib.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let tmp = tempdir_in(dir)?;
    let status = Command::new("npm")
        .args(["pack", "--silent", &format!("{NPM_PACKAGE}@{NPM_VERSION}")])
        .arg("--pack-destination")
        .arg(&tmp)
        .status()
        .map_err(|e| format!("running npm: {e}"))?;
    if !status.success() {
        return Err(format!(
            "npm pack {NPM_PACKAGE}@{NPM_VERSION} failed: {status}"
        ));
    }
    let tgz = std::fs::read_dir(&tmp)
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "tgz"))
        .ok_or("npm pack produced no archive")?;
    let status = Command::new("tar")
        .arg("xzf")
        .arg(&tgz)
        .arg("-C")
        .arg(&tmp)
        .arg("package/libduckdb.so")
        .status()
        .map_err(|e| format!("running tar: {e}"))?;
    if !status.success() {
        return Err(format!(
            "extracting libduckdb.so from {} failed",
            tgz.display()
        ));
    }
    // Atomic publish: a concurrent or interrupted build never sees a half-written library.
    std::fs::rename(tmp.join("package/libduckdb.so"), &lib).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

fn tempdir_in(dir: &Path) -> Result<PathBuf, String> {
    let p = dir.join(format!(".fetch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).map_err(|e| e.to_string())?;
    Ok(p)
}
