use observatoire::store::{migrations, Db};

use crate::helpers::test_db;

fn fingerprint(db: &Db) -> Vec<(String, String)> {
    crate::helpers::table_fingerprint(db, "")
}

#[test]
fn init_twice_changes_nothing() {
    let t = test_db();
    let before = fingerprint(&t.db);
    let loaded_at: String =
        t.db.connect()
            .unwrap()
            .query_row("SELECT max(loaded_at)::VARCHAR FROM sources", [], |r| {
                r.get(0)
            })
            .unwrap();
    let report = observatoire::init::run(
        &mut t.db.connect().unwrap(),
        &crate::helpers::shipped_config(),
    )
    .unwrap();
    assert_eq!(report.migrations_applied, 0);
    assert!(!report.default_data_loaded);
    assert_eq!(fingerprint(&t.db), before);
    let after: String =
        t.db.connect()
            .unwrap()
            .query_row("SELECT max(loaded_at)::VARCHAR FROM sources", [], |r| {
                r.get(0)
            })
            .unwrap();
    assert_eq!(after, loaded_at);
}

#[test]
fn a_database_from_a_newer_version_is_refused_untouched() {
    let t = test_db();
    t.db.connect()
        .unwrap()
        .execute(
            "INSERT INTO schema_migrations VALUES (999, 'future', now()::TIMESTAMP)",
            [],
        )
        .unwrap();
    let before = fingerprint(&t.db);
    let err = observatoire::init::run(
        &mut t.db.connect().unwrap(),
        &crate::helpers::shipped_config(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("999") && err.contains("plus récent"), "{err}");
    assert_eq!(fingerprint(&t.db), before);
}

#[test]
fn a_fresh_database_is_migrated_to_the_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("new.duckdb")).unwrap();
    let mut conn = db.connect().unwrap();
    assert_eq!(migrations::current_version(&conn).unwrap(), 0);
    assert_eq!(
        migrations::migrate(&mut conn).unwrap(),
        migrations::MIGRATIONS.len()
    );
    assert_eq!(
        migrations::current_version(&conn).unwrap(),
        migrations::latest_version()
    );
    assert_eq!(migrations::migrate(&mut conn).unwrap(), 0);
}

/// The default load of `init` fails on its last file, after five loaders have written
/// thousands of rows inside the transaction: nothing of it may remain.
#[test]
fn a_failed_load_leaves_no_partial_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("vide.duckdb")).unwrap();
    let mut conn = db.connect().unwrap();
    migrations::migrate(&mut conn).unwrap();
    let before = fingerprint(&db);
    // the embedded files, with the DEFM series (loaded last) ending on a duplicated row: every
    // value is valid, so the failure comes from the insert itself
    let data = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/default");
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), data.path().join(e.file_name())).unwrap();
    }
    let defm = observatoire::collect::defm::DEFAULT_FILE;
    let text = crate::helpers::default_data(defm);
    let last = text.lines().last().unwrap().to_string();
    let bad = format!("{text}{last}\n");
    {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(
            std::fs::File::create(data.path().join(defm)).unwrap(),
            flate2::Compression::fast(),
        );
        e.write_all(bad.as_bytes()).unwrap();
        e.finish().unwrap();
    }
    let tx = conn.transaction().unwrap();
    observatoire::referentials::load(&tx, data.path()).unwrap();
    let err = observatoire::collect::load_defaults(&tx, data.path()).unwrap_err();
    drop(tx);
    let msg = format!("{err:#}");
    // the DEFM insert itself failed (validation passed): the offers sample, BMO, DARES, INSEE and
    // URSSAF loads had already written their rows in the transaction
    assert!(msg.contains(defm), "{msg}");
    assert!(
        msg.contains("Duplicate key") || msg.contains("PRIMARY KEY"),
        "{msg}"
    );
    assert_eq!(fingerprint(&db), before, "rows of the failed load remain");
}

/// `init` itself, failing after every default file was loaded inside its transaction (injected
/// failure): the database is left as it was, and the next `init` loads it whole.
#[cfg(feature = "failpoints")]
#[test]
fn an_init_failing_after_the_load_leaves_the_database_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("neuve.duckdb");
    let db = Db::open(&path).unwrap();
    let mut conn = db.connect().unwrap();
    migrations::migrate(&mut conn).unwrap();
    let before = fingerprint(&db);
    fail::cfg(
        "init::after_load",
        &format!("return(error@{})", path.display()),
    )
    .unwrap();
    let err = observatoire::init::run(&mut conn, &crate::helpers::shipped_config()).unwrap_err();
    fail::remove("init::after_load");
    assert!(
        format!("{err:#}").contains("défaillance injectée"),
        "{err:#}"
    );
    assert_eq!(fingerprint(&db), before);
    let report = observatoire::init::run(&mut conn, &crate::helpers::shipped_config()).unwrap();
    assert!(report.default_data_loaded);
    assert_eq!(
        crate::helpers::count(&db, "SELECT count(*) FROM ref_commune"),
        34_945
    );
}
