//! kill -9 during a collector run, then a restart: the database is consistent and the rerun
//! completes with every offer exactly once.
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::Utc;
use observatoire::store::Db;

use crate::ft_mock::{offers, FtMock};
use crate::helpers::test_db_file;

fn count(path: &std::path::Path, sql: &str) -> i64 {
    let db = Db::open(path).unwrap();
    let conn = db.connect().unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_collector_run_then_restart() {
    let mock = FtMock::start().await;
    mock.set_offers(
        [
            offers("76", "76540", 450, 10, Utc::now()),
            offers("27", "27229", 450, 10, Utc::now()),
        ]
        .concat(),
    );
    *mock.state.slow.lock().unwrap() = Duration::from_millis(500);
    let (dir, db) = test_db_file();
    let config = format!(
        "[scheduler]\njobs_dir = \"{jobs}\"\n\n[sources.france_travail]\napi_base = \"{uri}/partenaire/offresdemploi\"\n\
         token_url = \"{uri}/token\"\ndepartements = [\"76\", \"27\"]\nrate_limit = 100.0\nrequest_timeout_secs = 10.0\n",
        jobs = concat!(env!("CARGO_MANIFEST_DIR"), "/jobs"),
        uri = mock.server.uri()
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_observatoire"))
            .args([
                "--db",
                db.to_str().unwrap(),
                "jobs",
                "run",
                "francetravail-offres",
            ])
            .current_dir(dir.path())
            .env("FT_CLIENT_ID", "observatoire")
            .env("FT_CLIENT_SECRET", "s3cret")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut child = run();
    // 3 pages per département: wait until 76 is written and the first page of 27 is in flight
    let started = Instant::now();
    while mock.state.search_requests.load(Ordering::SeqCst) < 4 {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "collector did not progress: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // consistent: 76 committed whole, 27 not at all; the run is still marked running
    assert_eq!(count(&db, "SELECT count(*) FROM raw_ft_offre WHERE source_id = 'ft-offres' AND departement = '76'"), 450);
    assert_eq!(count(&db, "SELECT count(*) FROM raw_ft_offre WHERE source_id = 'ft-offres' AND departement = '27'"), 0);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM job_runs WHERE status = 'running'"
        ),
        1
    );

    *mock.state.slow.lock().unwrap() = Duration::ZERO;
    let out = run().wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM raw_ft_offre WHERE source_id = 'ft-offres'"
        ),
        900
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(DISTINCT id) FROM raw_ft_offre WHERE source_id = 'ft-offres'"
        ),
        900
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM job_runs WHERE status = 'running'"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM job_runs WHERE status = 'failed' AND error LIKE 'interrompue%'"
        ),
        1
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM job_runs WHERE status = 'success'"
        ),
        1
    );
}
