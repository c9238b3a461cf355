//! `observatoire backup` / `restore` and the scheduled `backup` job: a copy taken while a
//! collection writes is consistent and restores to identical tables; a damaged, foreign or newer
//! backup is refused and the target is left untouched.
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::Utc;
use observatoire::store::backup::{self, Manifest};
use observatoire::store::Db;

use crate::ft_mock::{offers, FtMock};
use crate::helpers::{count, run_job_file, table_fingerprint, test_db, test_db_file, ADMIN_TOKEN};

/// Every table of `db` with its count and fingerprint, as the manifest writes them.
fn as_manifest(db: &Db) -> Vec<(String, String)> {
    table_fingerprint(db, "")
}

fn of_manifest(m: &Manifest) -> Vec<(String, String)> {
    m.tables
        .iter()
        .map(|t| (t.name.clone(), format!("{}:{}", t.rows, t.fingerprint)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_a_collection_restores_to_the_same_tables() {
    let t = test_db();
    let mock = FtMock::start().await;
    mock.set_offers(
        [
            offers("76", "76540", 450, 10, Utc::now()),
            offers("27", "27229", 450, 10, Utc::now()),
        ]
        .concat(),
    );
    *mock.state.slow.lock().unwrap() = Duration::from_millis(300);
    let ctx = crate::helpers::job_ctx(&t, mock.config(&["76", "27"]));
    let collection = tokio::spawn(async move {
        observatoire::collect::francetravail::run(
            &ctx,
            crate::helpers::test_credentials(),
            false,
            false,
        )
        .await
    });
    // 3 pages per département: 76 is committed and 27 is being read
    let started = Instant::now();
    while mock.state.search_requests.load(Ordering::SeqCst) < 4 {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("copie");
    let target = dir.clone();
    let manifest =
        t.db.call(move |c| backup::backup(c, &target))
            .await
            .unwrap();
    let summary = collection.await.unwrap().unwrap();
    assert_eq!(summary.rows_added, 900);
    assert_eq!(
        count(
            &t.db,
            "SELECT count(*) FROM raw_ft_offre WHERE source_id = 'ft-offres'"
        ),
        900
    );

    // the copy holds the state between two commits: 76 whole, 27 not at all
    let ft = |dep: &str| {
        format!("SELECT count(*) FROM raw_ft_offre WHERE source_id = 'ft-offres' AND departement = '{dep}'")
    };
    let restored_path = work.path().join("restauree.duckdb");
    let report = backup::restore(&dir, &restored_path, false).unwrap();
    assert_eq!(report.migrations_applied, 0);
    assert!(report.previous.is_none());
    let restored = Db::open(&restored_path).unwrap();
    assert_eq!(count(&restored, &ft("76")), 450);
    assert_eq!(count(&restored, &ft("27")), 0);
    // every table, its row count and content, as the manifest recorded them
    assert_eq!(as_manifest(&restored), of_manifest(&manifest));
    assert!(manifest.tables.len() > 50, "{}", manifest.tables.len());
    assert!(manifest.rows() > 1_000_000, "{}", manifest.rows());
    // the sequences go on from where they were: a job run after the restore gets a new id
    let next: i64 = count(&restored, "SELECT nextval('job_run_seq')");
    let max: i64 = count(&restored, "SELECT coalesce(max(run_id), 0) FROM job_runs");
    assert!(next > max, "{next} <= {max}");
}

fn damage(file: &Path) {
    let mut bytes = std::fs::read(file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(file, bytes).unwrap();
}

#[test]
fn a_damaged_foreign_or_newer_backup_is_refused_and_the_target_left_untouched() {
    let t = test_db();
    let work = tempfile::tempdir().unwrap();
    let good = work.path().join("bonne");
    let manifest = backup::backup(&t.db.connect().unwrap(), &good).unwrap();
    // a second backup into the same folder is refused
    let err = backup::backup(&t.db.connect().unwrap(), &good)
        .unwrap_err()
        .to_string();
    assert!(err.contains("n'est pas vide"), "{err}");

    let copy = |name: &str| {
        let dst = work.path().join(name);
        std::fs::create_dir(&dst).unwrap();
        for e in std::fs::read_dir(&good).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
        }
        dst
    };
    let target = work.path().join("cible.duckdb");
    let refused = |dir: &Path, what: &str| {
        let err = format!("{:#}", backup::restore(dir, &target, false).unwrap_err());
        assert!(err.contains(what), "{what}: {err}");
        assert!(!target.exists(), "the target was written: {err}");
        let leftovers: Vec<_> = std::fs::read_dir(work.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("restauration"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    };

    let damaged = copy("endommagee");
    let table = manifest
        .tables
        .iter()
        .find(|t| t.name == "raw_bmo")
        .unwrap();
    damage(&damaged.join(&table.file));
    refused(&damaged, &format!("{} ne correspond pas", table.file));

    let missing = copy("incomplete");
    std::fs::remove_file(missing.join("schema.sql")).unwrap();
    refused(&missing, "schema.sql manque");

    let newer = copy("future");
    let path = newer.join("manifest.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut m: serde_json::Value = serde_json::from_str(&text).unwrap();
    m["schema_version"] = 999.into();
    std::fs::write(&path, m.to_string()).unwrap();
    refused(&newer, "version plus récente");

    let foreign = work.path().join("autre");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "pas une sauvegarde").unwrap();
    refused(&foreign, "n'est pas une sauvegarde");

    let garbled = copy("illisible");
    std::fs::write(garbled.join("manifest.json"), "{\"format\": ").unwrap();
    refused(&garbled, "illisible");

    // the good one restores; over an existing database only with force, keeping the old one
    backup::restore(&good, &target, false).unwrap();
    let err = backup::restore(&good, &target, false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("--force"), "{err}");
    Db::open(&target)
        .unwrap()
        .connect()
        .unwrap()
        .execute_batch("DELETE FROM raw_bmo")
        .unwrap();
    let report = backup::restore(&good, &target, true).unwrap();
    let kept = report.previous.unwrap();
    assert_eq!(
        count(&Db::open(&kept).unwrap(), "SELECT count(*) FROM raw_bmo"),
        0
    );
    assert_eq!(
        as_manifest(&Db::open(&target).unwrap()),
        of_manifest(&manifest)
    );
}

#[tokio::test]
async fn the_scheduled_backup_keeps_the_last_copies() {
    let t = test_db();
    let work = tempfile::tempdir().unwrap();
    let job = format!(
        "name = \"backup\"\nkind = \"backup\"\nschedule = \"0 15 3 * * *\"\n\n[params]\ndir = {:?}\nkeep = 2\n",
        work.path().join("sauvegardes").display().to_string()
    );
    for _ in 0..3 {
        let out = run_job_file(&t, &job).await;
        assert_eq!(out.status.as_str(), "success", "{:?}", out.error);
        assert!(out.summary.rows_read > 1_000_000);
    }
    let mut kept: Vec<_> = std::fs::read_dir(work.path().join("sauvegardes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    kept.sort();
    assert_eq!(kept.len(), 2, "{kept:?}");
    for dir in &kept {
        let m = backup::verify(dir).unwrap();
        assert_eq!(
            m.schema_version,
            observatoire::store::migrations::latest_version()
        );
    }
    let notes = count(
        &t.db,
        "SELECT count(*) FROM job_runs WHERE job = 'backup' AND error LIKE 'sauvegarde %1 copie(s) ancienne(s) supprimée(s)%'",
    );
    assert_eq!(notes, 1);

    // a wrong parameter names the field
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("b.toml"),
        "name = \"b\"\nkind = \"backup\"\nschedule = \"0 15 3 * * *\"\n[params]\nkeep = 0\n",
    )
    .unwrap();
    let (_, errors) = observatoire::schedule::jobs::load_dir(dir.path());
    assert!(
        errors.iter().any(|e| e.message.contains("params.keep")),
        "{errors:?}"
    );
}

/// `observatoire backup DIR` while `serve` holds the database: through the running service
/// with the admin token, refused with a clear message without it; the copy restores.
#[test]
fn the_backup_command_goes_through_a_running_serve() {
    let (dir, db) = test_db_file();
    let port = crate::helpers::free_port();
    std::fs::write(
        dir.path().join("config.toml"),
        format!("[server]\nbind = \"127.0.0.1:{port}\"\n\n[scheduler]\nenabled = false\n"),
    )
    .unwrap();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .arg("--db")
        .arg(&db)
        .arg("serve")
        .current_dir(dir.path())
        .env("OBSERVATOIRE_ADMIN_TOKEN", ADMIN_TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    crate::helpers::wait_listening(port);
    let backup_cmd = |target: &Path, token: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_observatoire"));
        c.arg("--db")
            .arg(&db)
            .arg("backup")
            .arg(target)
            .current_dir(dir.path())
            .env_remove("OBSERVATOIRE_ADMIN_TOKEN");
        if let Some(t) = token {
            c.env("OBSERVATOIRE_ADMIN_TOKEN", t);
        }
        c.output().unwrap()
    };
    let copy = dir.path().join("copie");
    let out = backup_cmd(&copy, None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("OBSERVATOIRE_ADMIN_TOKEN") && err.contains("déjà ouverte"),
        "{err}"
    );
    let out = backup_cmd(&copy, Some("mauvais-jeton"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("401"), "{err}");
    assert!(!copy.exists());

    let out = backup_cmd(&copy, Some(ADMIN_TOKEN));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Sauvegarde écrite"), "{text}");
    assert!(!text.contains(ADMIN_TOKEN));
    // into a folder that is not empty: refused, the folder untouched
    let out = backup_cmd(&copy, Some(ADMIN_TOKEN));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("n'est pas vide"),
        "{err}"
    );

    Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .unwrap();
    let status = serve.wait().unwrap();
    assert!(status.success());
    let mut logs = String::new();
    std::io::Read::read_to_string(serve.stderr.as_mut().unwrap(), &mut logs).unwrap();
    assert!(!logs.contains(ADMIN_TOKEN));

    // the copy restores to what the database held
    let manifest = backup::verify(&copy).unwrap();
    let restored = dir.path().join("restauree.duckdb");
    let out = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .arg("--db")
        .arg(&restored)
        .arg("restore")
        .arg(&copy)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        as_manifest(&Db::open(&restored).unwrap()),
        of_manifest(&manifest)
    );
    assert_eq!(as_manifest(&Db::open(&db).unwrap()), of_manifest(&manifest));
}
