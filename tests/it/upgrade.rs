//! Upgrades: a database written by an older version of the observatory (fixtures in
//! `tests/fixtures/upgrade`, made by that version's `init`) opens, migrates to the current schema
//! and loses nothing; the backup of an older database restores and migrates likewise.
use std::io::Read;
use std::path::{Path, PathBuf};

use observatoire::store::{backup, migrations, Db};

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".duckdb.gz"))
        .collect();
    found.sort();
    assert!(!found.is_empty());
    found
}

fn unpack(fixture: &Path, to: &Path) {
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(fixture).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    std::fs::write(to, bytes).unwrap();
}

/// Derived tables (and the record of their builds) are rebuilt by `init` after a migration;
/// every other row must survive.
fn derived(table: &str) -> bool {
    table.starts_with("ind_") || table.starts_with("fc_") || table == "derived_state"
}

/// Rows of `old.table` (its own columns) missing from `main.table`.
fn lost_rows(conn: &duckdb::Connection, table: &str) -> i64 {
    let cols: Vec<String> = conn
        .prepare(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = 'old' AND table_name = ? ORDER BY column_index",
        )
        .unwrap()
        .query_map([table], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let cols = cols
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    conn.query_row(
        &format!(
            "SELECT count(*) FROM (SELECT {cols} FROM old.\"{table}\" EXCEPT ALL SELECT {cols} FROM main.\"{table}\")"
        ),
        [],
        |r| r.get(0),
    )
    .unwrap()
}

fn check_upgraded(path: &Path, original: &Path) {
    let db = Db::open(path).unwrap();
    let conn = db.connect().unwrap();
    assert_eq!(
        migrations::current_version(&conn).unwrap(),
        migrations::latest_version()
    );
    conn.execute_batch(&format!(
        "ATTACH {} AS old (READ_ONLY)",
        observatoire::store::sql_path(original)
    ))
    .unwrap();
    let old_tables: Vec<String> = conn
        .prepare("SELECT table_name FROM duckdb_tables() WHERE database_name = 'old' ORDER BY 1")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let now = backup::tables(&conn).unwrap();
    let mut checked = 0;
    for t in &old_tables {
        assert!(now.contains(t), "table {t} disappeared");
        if !derived(t) {
            assert_eq!(lost_rows(&conn, t), 0, "rows of {t} were lost");
            checked += 1;
        }
    }
    assert!(checked > 30, "{checked}");
    conn.execute_batch("DETACH old").unwrap();
}

#[test]
fn a_database_of_the_previous_schema_opens_migrates_and_loses_nothing() {
    for fixture in fixtures() {
        let dir = tempfile::tempdir().unwrap();
        let original = dir.path().join("original.duckdb");
        unpack(&fixture, &original);
        let path = dir.path().join("observatoire.duckdb");
        std::fs::copy(&original, &path).unwrap();
        let version = {
            let db = Db::open(&original).unwrap();
            migrations::current_version(&db.connect().unwrap()).unwrap()
        };
        assert!(version < migrations::latest_version(), "{fixture:?}");
        // the binary, as an administrator upgrading would run it
        crate::helpers::write_jobs_config(dir.path());
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_observatoire"))
            .arg("--db")
            .arg(&path)
            .arg("init")
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{fixture:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let said = String::from_utf8_lossy(&out.stdout);
        let expected = migrations::latest_version() - version;
        assert!(
            said.contains(&format!("{expected} migration(s) appliquée(s)")),
            "{said}"
        );
        check_upgraded(&path, &original);
        // the derived tables were rebuilt from the migrated data
        let db = Db::open(&path).unwrap();
        assert!(crate::helpers::count(&db, "SELECT count(*) FROM ind_chomage") > 0);
        assert!(!observatoire::store::changes::pending(
            &db.connect().unwrap(),
            observatoire::indicators::REBUILD
        )
        .unwrap());
        // and a second init changes nothing more
        let before = crate::helpers::table_fingerprint(&db, "");
        observatoire::init::run(
            &mut db.connect().unwrap(),
            &observatoire::config::Config::default(),
        )
        .unwrap();
        assert_eq!(crate::helpers::table_fingerprint(&db, ""), before);

        // a backup made by the older version's schema restores, then migrates
        let bk = dir.path().join("sauvegarde");
        backup::backup(&Db::open(&original).unwrap().connect().unwrap(), &bk).unwrap();
        let restored = dir.path().join("restauree.duckdb");
        let report = backup::restore(&bk, &restored, false).unwrap();
        assert_eq!(report.manifest.schema_version, version);
        assert_eq!(report.migrations_applied as i64, expected);
        check_upgraded(&restored, &original);
    }
}

/// Migration 9 scrubs stored free text again: phone numbers with runs of spaces or no-break
/// spaces escaped the earlier patterns (found by fuzzing), and offers stored before keep their
/// text until they are collected again, or for ever once closed.
#[test]
fn the_upgrade_scrubs_contacts_that_earlier_patterns_missed() {
    let fixture = &fixtures()[0];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("observatoire.duckdb");
    unpack(fixture, &path);
    {
        let db = Db::open(&path).unwrap();
        let conn = db.connect().unwrap();
        assert!(migrations::current_version(&conn).unwrap() < 9);
        conn.execute(
            "INSERT INTO raw_ft_offre (id, source_id, intitule, entreprise_nom, first_seen, last_seen, closed_at)
             VALUES ('FUZZ-9', 'ft-offres', ?, 'Snack 05\u{a0}46\u{a0}39\u{a0}89\u{a0}00', now(), now(), now())",
            ["Serveur H/F appeler le 06  12 34 56 78"],
        )
        .unwrap();
    }
    let db = Db::open(&path).unwrap();
    let mut conn = db.connect().unwrap();
    migrations::migrate(&mut conn).unwrap();
    let (title, employer): (String, String) = conn
        .query_row(
            "SELECT intitule, entreprise_nom FROM raw_ft_offre WHERE id = 'FUZZ-9'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(title, "Serveur H/F appeler le");
    assert_eq!(employer, "Snack");
}
