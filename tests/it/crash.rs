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

/// A copy of the initialised database and a config pointing the offers collector at `mock` for
/// the départements `deps`.
fn collector_setup(mock: &FtMock, deps: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, db) = test_db_file();
    let deps: Vec<String> = deps.iter().map(|d| format!("\"{d}\"")).collect();
    let config = format!(
        "[scheduler]\njobs_dir = \"{jobs}\"\n\n[sources.france_travail]\napi_base = \"{uri}/partenaire/offresdemploi\"\n\
         token_url = \"{uri}/token\"\ndepartements = [{deps}]\nrate_limit = 200.0\nrequest_timeout_secs = 10.0\n",
        jobs = concat!(env!("CARGO_MANIFEST_DIR"), "/jobs"),
        uri = mock.server.uri(),
        deps = deps.join(", ")
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    (dir, db)
}

/// `observatoire jobs run francetravail-offres` on that setup, with optional failure points.
fn spawn_collector(
    dir: &std::path::Path,
    db: &std::path::Path,
    failpoints: Option<String>,
) -> std::process::Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_observatoire"));
    c.arg("--db")
        .arg(db)
        .args(["jobs", "run", "francetravail-offres"])
        .current_dir(dir)
        .env("FT_CLIENT_ID", "observatoire")
        .env("FT_CLIENT_SECRET", "s3cret")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(f) = failpoints {
        c.env("FAILPOINTS", f);
    }
    c.spawn().unwrap()
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
    let (dir, db) = collector_setup(&mock, &["76", "27"]);
    let run = || spawn_collector(dir.path(), &db, None);
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

/// Waits until the binary reaches the failure point that writes `mark`, then kills it (-9).
#[cfg(feature = "failpoints")]
fn kill_at_mark(mut child: std::process::Child, mark: &std::path::Path) {
    let started = Instant::now();
    while !mark.exists() {
        if let Ok(Some(status)) = child.try_wait() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "the process ended ({status}) before the failure point: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "failure point never reached"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL, inside the open transaction
    child.wait().unwrap();
}

/// Everything of the derived tables, to compare before and after.
#[cfg(feature = "failpoints")]
/// The derived tables, but the previous build's tension levels (kept for the alerts: a rebuild
/// replaces them by the levels it supersedes, stamped with its time, by design).
fn derived_fingerprint(path: &std::path::Path) -> Vec<(String, String)> {
    let mut f = crate::helpers::table_fingerprint(&Db::open(path).unwrap(), "ind_");
    f.retain(|(t, _)| t != "ind_tension_previous");
    f
}

/// kill -9 while the large batch of a département is written inside its transaction (rows
/// appended, not yet committed): the database opens, no row of that batch is visible, the
/// département before it is whole, and the rerun completes with every offer once.
#[cfg(feature = "failpoints")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_inside_the_write_of_a_large_batch_then_restart() {
    let mock = FtMock::start().await;
    mock.set_offers(
        [
            offers("76", "76540", 450, 10, Utc::now()),
            offers("27", "27229", 3_000, 30, Utc::now()),
        ]
        .concat(),
    );
    let (dir, db) = collector_setup(&mock, &["76", "27"]);
    let mark = dir.path().join("dans-la-transaction");
    let run = |failpoints: Option<String>| spawn_collector(dir.path(), &db, failpoints);
    let child = run(Some(format!(
        "store::write::after_insert=return(hang:{}@27)",
        mark.display()
    )));
    tokio::task::spawn_blocking({
        let mark = mark.clone();
        move || kill_at_mark(child, &mark)
    })
    .await
    .unwrap();
    let dep = |d: &str| {
        count(&db, &format!("SELECT count(*) FROM raw_ft_offre WHERE source_id = 'ft-offres' AND departement = '{d}'"))
    };
    assert_eq!(dep("76"), 450, "the committed département is whole");
    assert_eq!(dep("27"), 0, "rows of the uncommitted batch are visible");
    let out = run(None).wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!((dep("76"), dep("27")), (450, 3_000));
    assert_eq!(
        count(
            &db,
            "SELECT count(DISTINCT id) FROM raw_ft_offre WHERE source_id = 'ft-offres'"
        ),
        3_450
    );
}

/// kill -9 during the indicator rebuild (derived tables deleted and rebuilt, not committed), and
/// during an import: the database opens with the derived and raw tables as they were, and the
/// reruns complete.
#[cfg(feature = "failpoints")]
#[test]
fn kill_9_during_the_indicator_rebuild_and_during_an_import_then_restart() {
    let (dir, db) = test_db_file();
    crate::helpers::write_jobs_config(dir.path());
    let bin = |args: &[&str], failpoints: Option<String>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_observatoire"));
        c.arg("--db")
            .arg(&db)
            .args(args)
            .current_dir(dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(f) = failpoints {
            c.env("FAILPOINTS", f);
        }
        c.spawn().unwrap()
    };
    let before = derived_fingerprint(&db);
    let mark = dir.path().join("reconstruction");
    kill_at_mark(
        bin(
            &["jobs", "run", "indicators"],
            Some(format!(
                "indicators::before_commit=return(hang:{}@indicators)",
                mark.display()
            )),
        ),
        &mark,
    );
    assert_eq!(
        derived_fingerprint(&db),
        before,
        "a half-built derived table is visible"
    );
    let out = bin(&["jobs", "run", "indicators"], None)
        .wait_with_output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        derived_fingerprint(&db),
        before,
        "the rebuild gives the same tables"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM job_runs WHERE job = 'indicators' AND status = 'success'"
        ),
        1
    );

    // an import killed after its rows were replaced, before its commit
    let raw = || {
        count(
            &db,
            "SELECT count(*) * 1000003 + sum(effectifs_cvs) FROM raw_urssaf_ze",
        )
    };
    let raw_before = raw();
    std::fs::write(
        dir.path().join("urssaf.csv"),
        "Année;Trimestre;Code zone d'emploi;Zone d'emploi;Effectifs salariés brut;Effectifs salariés CVS;Masse salariale CVS\n\
         2025;4;2815;Rouen;1;1;1\n2025;3;2815;Rouen;1;1;1\n",
    )
    .unwrap();
    let mark = dir.path().join("import");
    kill_at_mark(
        bin(
            &["import", "urssaf-ze", "urssaf.csv"],
            Some(format!(
                "import::after_load=return(hang:{}@urssaf-emploi-ze)",
                mark.display()
            )),
        ),
        &mark,
    );
    assert_eq!(raw(), raw_before, "rows of the killed import are visible");
    let out = bin(&["import", "urssaf-ze", "urssaf.csv"], None)
        .wait_with_output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(raw(), raw_before);
}
