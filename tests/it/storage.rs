//! The database on a read-only file system and on a full disk (tmpfs mounts, the tests run as
//! root as `.ci/run` does): one clear error naming the problem, no panic, nothing stored lost,
//! and after a fatal DuckDB error `serve` stops (for its service manager to restart it) instead
//! of answering from an invalidated database.
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use observatoire::store::Db;

use crate::helpers::{table_fingerprint, test_db_file};

/// A tmpfs mounted on a temporary folder, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size_kib: u64) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_kib}k"), "tmpfs"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "these tests mount a tmpfs and must run as root (as .ci/run does): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, opts: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(self.path())
            .status()
            .unwrap()
            .success();
        assert!(ok, "remount {opts}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

fn observatoire(dir: &Path, db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .arg("--db")
        .arg(db)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// The test database copied onto a tmpfs with `spare_kib` free beside it, and a folder to run
/// the program from whose jobs are the shipped ones without retries (the shipped indicators
/// job waits 5 minutes before its second try).
fn on_tmpfs(spare_kib: u64) -> (tempfile::TempDir, Tmpfs, PathBuf) {
    let (work, src) = test_db_file();
    let jobs = work.path().join("jobs");
    std::fs::create_dir(&jobs).unwrap();
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/jobs/indicators.toml");
    let job: String = std::fs::read_to_string(shipped)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("after") && !l.starts_with("retr"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(jobs.join("indicators.toml"), job).unwrap();
    std::fs::write(
        work.path().join("config.toml"),
        format!("[scheduler]\njobs_dir = \"{}\"\n", jobs.display()),
    )
    .unwrap();
    let size = std::fs::metadata(&src).unwrap().len() / 1024;
    let fs = Tmpfs::mount(size + spare_kib);
    let db = fs.path().join("observatoire.duckdb");
    std::fs::copy(&src, &db).unwrap();
    (work, fs, db)
}

#[test]
fn a_read_only_database_path_gives_one_clear_error() {
    let (work, fs, db) = on_tmpfs(20 * 1024);
    fs.remount("ro");
    let fresh = fs.path().join("nouvelle.duckdb");
    for (path, args) in [
        (&db, &["init"][..]),
        (&db, &["status"][..]),
        (&db, &["serve", "--bind", "127.0.0.1:0"][..]),
        (&db, &["jobs", "run", "indicators"][..]),
        (&fresh, &["init"][..]),
    ] {
        let out = observatoire(work.path(), path, args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("impossible d'ouvrir la base de données")
                && err.contains(&path.display().to_string())
                && err.contains("Read-only file system"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
    assert!(!fresh.exists());
}

#[test]
fn a_full_disk_fails_the_rebuild_clearly_and_loses_nothing() {
    let (work, fs, db) = on_tmpfs(3 * 1024);
    let raw_before = table_fingerprint(&Db::open(&db).unwrap(), "raw_");
    let started = Instant::now();
    let out = observatoire(work.path(), &db, &["jobs", "run", "indicators"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("disque plein") && err.contains(&db.display().to_string()),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(120));
    // room again: the file opens, the offers are as they were, the rerun completes
    fs.remount("size=1g");
    {
        let reopened = Db::open(&db).unwrap();
        assert_eq!(table_fingerprint(&reopened, "raw_"), raw_before);
    }
    let out = observatoire(work.path(), &db, &["jobs", "run", "indicators"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = observatoire(work.path(), &db, &["status"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// `serve` whose rebuild hits a full disk stops with a clear message and exit code 1 (systemd's
/// `Restart=on-failure` starts it again) rather than serving errors from an invalidated database.
#[test]
fn serve_stops_after_a_fatal_error_and_starts_again_once_there_is_room() {
    const TOKEN: &str = "jeton-admin-essai-disque";
    // a first rebuild with room leaves free blocks in the file: with the right room left, the
    // next one fits its writes but not its checkpoint, which DuckDB reports as fatal (measured
    // 2026-12-02: from 18 to 21 MiB to spare; below, the writes fail cleanly, above, all fits).
    // The room is found by trying, so that the test follows the size of the embedded data.
    let setup = |spare_mib: u64| {
        let (work, fs, db) = on_tmpfs(200 * 1024);
        let out = observatoire(work.path(), &db, &["jobs", "run", "indicators"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let size = std::fs::metadata(&db).unwrap().len() / 1024;
        fs.remount(&format!("size={}k", size + spare_mib * 1024));
        (work, fs, db)
    };
    let spare = [19, 18, 20, 21, 17, 22, 16, 23, 15, 24]
        .into_iter()
        .find(|&spare| {
            let (work, _fs, db) = setup(spare);
            let out = observatoire(work.path(), &db, &["jobs", "run", "indicators"]);
            stderr(&out).contains("erreur fatale")
        })
        .expect("some room left makes the rebuild's checkpoint fail");
    let (work, fs, db) = setup(spare);
    let port = crate::helpers::free_port();
    let log = work.path().join("serve.log");
    let serve = || {
        Command::new(env!("CARGO_BIN_EXE_observatoire"))
            .arg("--db")
            .arg(&db)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .current_dir(work.path())
            .env("OBSERVATOIRE_ADMIN_TOKEN", TOKEN)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap()
    };
    let child = serve();
    crate::helpers::wait_listening(port);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    let url = |p: &str| format!("http://127.0.0.1:{port}{p}");
    let status = rt.block_on(async {
        client
            .post(url("/admin/jobs/indicators/run"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(status.is_success(), "{status}");
    let code = wait_exit(child, Duration::from_secs(120));
    let err = std::fs::read_to_string(&log).unwrap();
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("disque plein"), "{err}");
    assert!(err.contains("erreur fatale"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // restarted with room: it serves the dashboard
    fs.remount("size=1g");
    let mut child = serve();
    crate::helpers::wait_listening(port);
    let code = rt.block_on(async {
        client
            .get(url("/territoires/ze/2815"))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(code, 200);
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok && child.wait().unwrap().success());
}

fn wait_exit(mut child: std::process::Child, limit: Duration) -> Option<i32> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("serve still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
