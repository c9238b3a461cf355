//! The release package (`scripts/package.sh`) and the systemd unit: unpacked far from the
//! checkout, the binary runs `--version`, `init` and `serve` with no LD_LIBRARY_PATH, loading the
//! libduckdb.so shipped beside it.
use std::path::Path;
use std::process::{Command, Stdio};

/// A command with a clean environment: PATH only (no LD_LIBRARY_PATH, no cargo variables).
fn clean(program: &Path, dir: &Path) -> Command {
    let mut c = Command::new(program);
    c.env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", dir)
        .current_dir(dir);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_package_runs_from_anywhere_without_library_path() {
    let work = tempfile::tempdir().unwrap();
    let dist = work.path().join("dist");
    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/package.sh"))
        .env("OBSERVATOIRE_BINARY", env!("CARGO_BIN_EXE_observatoire"))
        .env("DIST", &dist)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let version = env!("CARGO_PKG_VERSION");
    let name = format!("observatoire-{version}-linux-x86_64");
    let archive = dist.join(format!("{name}.tar.gz"));
    assert!(archive.is_file());
    assert!(dist.join(format!("{name}.tar.gz.sha256")).is_file());

    // unpacked elsewhere, the checkout out of reach of relative paths
    let elsewhere = work.path().join("ailleurs");
    std::fs::create_dir(&elsewhere).unwrap();
    let st = Command::new("tar")
        .arg("xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&elsewhere)
        .status()
        .unwrap();
    assert!(st.success());
    let root = elsewhere.join(&name);
    for f in [
        "observatoire",
        "libduckdb.so",
        "config.toml",
        "jobs/francetravail-offres.toml",
        "jobs/backup.toml",
        "deploy/observatoire.service",
        "README.md",
        "LICENSE",
        "LICENSE-duckdb.txt",
        "LICENCES-DONNEES.md",
    ] {
        assert!(root.join(f).is_file(), "{f} missing from the package");
    }
    let sums = Command::new("sha256sum")
        .args(["--check", "--quiet", "SHA256SUMS"])
        .current_dir(&root)
        .status()
        .unwrap();
    assert!(sums.success());
    let bin = root.join("observatoire");

    let out = clean(&bin, &root).arg("--version").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("observatoire {version}")
    );
    let out = clean(&bin, &root).arg("init").output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("données embarquées chargées"), "{said}");
    assert!(root.join("data/observatoire.duckdb").is_file());

    let port = crate::helpers::free_port();
    let mut serve = clean(&bin, &root)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    crate::helpers::wait_listening(port);
    // the library the running process mapped is the packaged one
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", serve.id())).unwrap();
    let libs: std::collections::BTreeSet<&str> = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter(|p| p.ends_with("/libduckdb.so"))
        .collect();
    assert_eq!(
        libs.into_iter().collect::<Vec<_>>(),
        vec![root.join("libduckdb.so").to_str().unwrap()]
    );
    let base = format!("http://127.0.0.1:{port}");
    let health = reqwest::get(format!("{base}/health")).await.unwrap();
    assert_eq!(health.status(), 200);
    let page = reqwest::get(format!("{base}/territoires/ze/2815"))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Rouen"));
    let st = Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    assert!(serve.wait().unwrap().success());
}

/// The unit parses without a warning (systemd-analyze, where systemd is installed) and holds
/// the hardening the install guide promises.
#[test]
fn the_systemd_unit_is_valid_and_confined() {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/observatoire.service"
    ))
    .unwrap();
    for line in [
        "User=observatoire",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/observatoire",
        "Restart=on-failure",
        "KillSignal=SIGTERM",
        "ExecStart=/opt/observatoire/observatoire --config /etc/observatoire/config.toml serve",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line} missing");
    }
    // the data folder is the only one written: no other ReadWritePaths
    assert_eq!(unit.matches("ReadWritePaths=").count(), 1);
    let analyze = Path::new("/usr/bin/systemd-analyze");
    if !analyze.exists() {
        eprintln!("systemd-analyze absent: unit syntax not checked by systemd");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("observatoire.service");
    std::fs::write(
        &copy,
        unit.replace(
            "/opt/observatoire/observatoire",
            env!("CARGO_BIN_EXE_observatoire"),
        ),
    )
    .unwrap();
    let out = Command::new(analyze)
        .arg("verify")
        .arg(&copy)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.trim().is_empty(), "{err}");
}
