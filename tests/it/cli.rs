//! The binary as a user runs it: clear one-line errors and non-zero exits, never a panic.
use std::process::{Command, Output};

use crate::helpers::test_db_file;

fn run(args: &[&str], cwd: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .args(args)
        .current_dir(cwd)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn assert_clean_failure(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("erreur : "))
        .unwrap_or_else(|| panic!("no error line: {err}"));
    assert!(line.contains(needle), "{line:?} should mention {needle:?}");
}

#[test]
fn missing_config_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["--config", "absent.toml", "status"], dir.path());
    assert_clean_failure(&out, "absent.toml");
}

#[test]
fn invalid_config_names_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[database]\npth = \"x.duckdb\"\n",
    )
    .unwrap();
    assert_clean_failure(&run(&["init"], dir.path()), "pth");
    std::fs::write(dir.path().join("config.toml"), "[server]\nbind = 8080\n").unwrap();
    assert_clean_failure(&run(&["init"], dir.path()), "bind");
    std::fs::write(dir.path().join("config.toml"), "[server\n").unwrap();
    assert_clean_failure(&run(&["init"], dir.path()), "config.toml");
}

#[test]
fn unreadable_database_path_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "").unwrap();
    std::fs::write(dir.path().join("not-a-dir"), "").unwrap();
    let out = run(&["--db", "not-a-dir/obs.duckdb", "init"], dir.path());
    assert_clean_failure(&out, "not-a-dir");
    std::fs::write(dir.path().join("garbage.duckdb"), "this is not a database").unwrap();
    let out = run(&["--db", "garbage.duckdb", "init"], dir.path());
    assert_clean_failure(&out, "garbage.duckdb");
}

#[test]
fn busy_port_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "").unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run(
        &["--db", "obs.duckdb", "serve", "--bind", &addr],
        dir.path(),
    );
    assert_clean_failure(&out, "déjà utilisé");
}

#[test]
fn status_json_reports_tables_and_sources() {
    let (dir, db) = test_db_file();
    std::fs::write(dir.path().join("config.toml"), "").unwrap();
    let out = run(
        &["--db", db.to_str().unwrap(), "status", "--json"],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let communes = v["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "ref_commune")
        .unwrap();
    assert_eq!(communes["rows"], 34_945);
    assert!(v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == "ft-bmo" && s["vintage"] == "2024"));
    assert!(v["job_runs"].is_array());
}

#[test]
fn init_then_status_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"),
        dir.path().join("config.toml"),
    )
    .unwrap();
    let out = run(&["init"], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.path().join("data/observatoire.duckdb").exists(),
        "default path from config.toml"
    );
    let out = run(&["init"], dir.path());
    assert!(String::from_utf8_lossy(&out.stdout).contains("déjà présentes"));
}

#[test]
fn serve_stops_cleanly_on_sigterm() {
    let (dir, db) = crate::helpers::test_db_file();
    std::fs::write(
        dir.path().join("config.toml"),
        "[scheduler]\nenabled = false\n",
    )
    .unwrap();
    let port = crate::helpers::free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .args([
            "--db",
            db.to_str().unwrap(),
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .current_dir(dir.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    crate::helpers::wait_listening(port);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // the database lock is released and the file is consistent
    let db = observatoire::store::Db::open(&db).unwrap();
    assert_eq!(
        crate::helpers::count(&db, "SELECT count(*) FROM ref_commune"),
        34_945
    );
}

/// `observatoire jobs list | head -1`: the reader closes the pipe after one line; the listing
/// stops quietly (exit 0), never with a panic.
#[test]
fn a_listing_read_only_in_part_stops_quietly() {
    use std::io::{BufRead, BufReader};
    let (dir, db) = test_db_file();
    let cfg = dir.path().join("config.toml");
    let jobs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs");
    std::fs::write(
        &cfg,
        format!(
            "{}\n",
            include_str!("../../config.toml").replace(
                "jobs_dir = \"jobs\"",
                &format!("jobs_dir = {:?}", jobs.display().to_string())
            )
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "jobs",
            "list",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.starts_with("tâche"), "{first}");
    } // the pipe is closed here, before the listing is written whole
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{err}");
}

#[test]
fn json_logs_carry_the_job_and_its_run_id_on_every_line_of_the_run() {
    let (dir, db) = test_db_file();
    crate::helpers::write_jobs_config(dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .arg("--db")
        .arg(&db)
        .args(["--log-format", "json", "jobs", "run", "indicators"])
        .current_dir(dir.path())
        .env("RUST_LOG", "debug,tower_http=warn")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let run_id: i64 = {
        let d = observatoire::store::Db::open(&db).unwrap();
        crate::helpers::count(
            &d,
            "SELECT max(run_id) FROM job_runs WHERE job = 'indicators'",
        )
    };
    let mut in_run = 0;
    for line in err.lines().filter(|l| l.starts_with('{')) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            v["timestamp"].is_string() && v["level"].is_string(),
            "{line}"
        );
        let target = v["target"].as_str().unwrap_or("");
        if target.starts_with("observatoire::indicators")
            || target.starts_with("observatoire::schedule::runner")
        {
            assert_eq!(v["span"]["job"], "indicators", "{line}");
            assert_eq!(v["span"]["run_id"], run_id, "{line}");
            in_run += 1;
        }
    }
    assert!(in_run >= 3, "lines of the run: {in_run}\n{err}");
    // the progress and result lines of the CLI are not logs; no other line is plain text
    assert!(
        err.lines()
            .all(|l| l.starts_with('{') || !l.contains(" INFO ")),
        "{err}"
    );
    let bad = run(&["--log-format", "xml", "status"], dir.path());
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("xml"));
}
