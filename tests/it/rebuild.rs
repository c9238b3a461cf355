//! The indicators rebuild builds beside the published tables and publishes them at once
//! (`indicators::publish`): readers see the old tables until then, a failed build changes
//! nothing, and a raw write committed during a build is covered by a build run again.
use std::cell::Cell;

use duckdb::Connection;
use observatoire::indicators::publish::{self, ATTEMPTS, STAGING};
use observatoire::store::changes;

use crate::helpers::test_db;

fn one<T: duckdb::types::FromSql>(c: &Connection, sql: &str) -> T {
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

const OPEN_IN_76: &str = "SELECT offres FROM ind_offres_total WHERE kind = 'dep' AND code = '76'";

/// An open offer in Rouen, committed with its change mark (as a collector writes).
fn new_offer(c: &Connection, id: &str) {
    c.execute(
        "INSERT INTO raw_ft_offre (id, source_id, intitule, date_creation, commune, rome, type_contrat, nombre_postes,
             first_seen, last_seen)
         VALUES (?, 'ft-offres', 'Offre ajoutée pendant le recalcul ' || ?, TIMESTAMP '2026-11-20 10:00:00', '76540',
             'M1805', 'CDI', 1, TIMESTAMP '2026-11-20 10:00:00', TIMESTAMP '2026-11-20 10:00:00')",
        [id, id],
    )
    .unwrap();
    changes::mark_changed(c, "ft-offres").unwrap();
}

fn staging_exists(c: &Connection) -> bool {
    one::<i64>(
        c,
        &format!("SELECT count(*) FROM duckdb_schemas() WHERE schema_name = '{STAGING}'"),
    ) > 0
}

#[test]
fn readers_see_the_published_tables_until_the_build_is_published_and_a_write_during_it_is_covered()
{
    let t = test_db();
    let c = t.db.connect().unwrap();
    let reader = t.db.connect().unwrap();
    let before: i64 = one(&c, OPEN_IN_76);
    let attempts = Cell::new(0);
    let n = publish::rebuild(
        &c,
        |c| {
            observatoire::indicators::refresh_all(c)?;
            attempts.set(attempts.get() + 1);
            // what the build wrote is not visible to a page yet
            assert_eq!(one::<i64>(&reader, OPEN_IN_76), before);
            if attempts.get() == 1 {
                // a collection commits while the first build runs
                new_offer(&reader, "A1");
            }
            Ok(attempts.get())
        },
        || Ok(()),
    )
    .unwrap();
    assert_eq!(
        n, 2,
        "the build that may have missed the write is run again"
    );
    assert_eq!(one::<i64>(&reader, OPEN_IN_76), before + 1);
    assert!(!changes::pending(&c, observatoire::indicators::REBUILD).unwrap());
    assert!(!staging_exists(&c));
    assert_eq!(
        one::<String>(&c, "SELECT current_setting('search_path')"),
        ""
    );
}

#[test]
fn a_failed_build_changes_nothing_published_and_leaves_no_staging_schema() {
    let t = test_db();
    let c = t.db.connect().unwrap();
    new_offer(&c, "B1");
    let before: i64 = one(&c, OPEN_IN_76);
    let state: String = one(
        &c,
        "SELECT built_at::VARCHAR FROM derived_state WHERE name = 'indicators'",
    );
    let err = publish::rebuild(
        &c,
        |c| -> anyhow::Result<()> {
            observatoire::indicators::refresh_all(c)?;
            anyhow::bail!("panne simulée")
        },
        || Ok(()),
    )
    .unwrap_err();
    assert!(err.to_string().contains("panne simulée"), "{err:#}");
    assert_eq!(one::<i64>(&c, OPEN_IN_76), before);
    assert_eq!(
        one::<String>(
            &c,
            "SELECT built_at::VARCHAR FROM derived_state WHERE name = 'indicators'"
        ),
        state
    );
    assert!(changes::pending(&c, observatoire::indicators::REBUILD).unwrap());
    assert!(!staging_exists(&c));
    assert_eq!(
        one::<String>(&c, "SELECT current_setting('search_path')"),
        ""
    );
    // a failure in the publishing transaction (cancellation) publishes nothing either
    let err = observatoire::indicators::rebuild_then(&c, || anyhow::bail!("annulé")).unwrap_err();
    assert!(err.to_string().contains("annulé"));
    assert_eq!(one::<i64>(&c, OPEN_IN_76), before);
    // the next rebuild publishes the offer
    assert!(observatoire::indicators::rebuild_if_pending(&c).unwrap());
    assert_eq!(one::<i64>(&c, OPEN_IN_76), before + 1);
}

#[test]
fn a_build_outrun_by_writes_every_time_is_published_and_stays_pending() {
    let t = test_db();
    let c = t.db.connect().unwrap();
    let writer = t.db.connect().unwrap();
    let attempts = Cell::new(0);
    let n = publish::rebuild(
        &c,
        |c| {
            observatoire::indicators::refresh_all(c)?;
            attempts.set(attempts.get() + 1);
            new_offer(&writer, &format!("C{}", attempts.get()));
            Ok(attempts.get())
        },
        || Ok(()),
    )
    .unwrap();
    assert_eq!(n, ATTEMPTS);
    assert!(
        changes::pending(&c, observatoire::indicators::REBUILD).unwrap(),
        "the last write is not covered yet: a rebuild must follow"
    );
    let before: i64 = one(&c, OPEN_IN_76);
    assert!(observatoire::indicators::rebuild_if_pending(&c).unwrap());
    assert_eq!(one::<i64>(&c, OPEN_IN_76), before + 1);
    assert!(!changes::pending(&c, observatoire::indicators::REBUILD).unwrap());
}
