use observatoire::store::{migrations, Db};

use crate::helpers::test_db;

fn fingerprint(db: &Db) -> Vec<(String, i64)> {
    let conn = db.connect().unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|t| {
            let n: i64 = conn
                .query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))
                .unwrap();
            (t, n)
        })
        .collect()
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
    let report = observatoire::init::run(&mut t.db.connect().unwrap()).unwrap();
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
    let err = observatoire::init::run(&mut t.db.connect().unwrap())
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

#[test]
fn a_failed_load_leaves_no_partial_data() {
    // Loading a malformed file inside the init transaction must roll everything back.
    let t = test_db();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bmo.csv");
    std::fs::write(
        &bad,
        "annee,Code métier BMO,Nom métier BMO,Famille_met,Lbl_fam_met,REG,NOM_REG,Dept,NomDept,BE24,NOMBE24,met,xmet,smet\n\
         2024,A0X40,Agriculteurs,Z,Autres,11,IDF,77,S&M,1118,Porte Sud,douze,*,*\n",
    )
    .unwrap();
    let before = fingerprint(&t.db);
    let mut conn = t.db.connect().unwrap();
    let tx = conn.transaction().unwrap();
    let err = observatoire::collect::bmo::load(&tx, &bad, observatoire::collect::Replace::Keys)
        .unwrap_err();
    drop(tx);
    let msg = format!("{err:#}");
    assert!(msg.contains("bmo.csv") && msg.contains("douze"), "{msg}");
    assert_eq!(fingerprint(&t.db), before);
}
