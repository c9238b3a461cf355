//! Building the derived tables beside the published ones, then publishing them at once.
//!
//! The families write into copies of the `ind_*` tables in the schema [`STAGING`] (the
//! connection's `search_path` puts it first, so their SQL names the tables as usual), each
//! statement committed on its own; one short transaction then replaces the published tables by
//! the new ones and records the rebuild. A page never sees half an update, and a crash leaves
//! the published tables as they were (the staging schema is dropped at the next rebuild).
//!
//! Why not one transaction around the whole rebuild: DuckDB keeps what a transaction writes in
//! transaction-local storage until the commit, and aggregates over a temporary table written in
//! it took 86.7 s and 19.3 GiB at 10 M offers, where the same outside a transaction took 60.2 s
//! and 5.3 GiB (BENCHMARKS.md).
//!
//! Consistency without that transaction: every raw write marks `data_changes` in its own
//! transaction ([`changes::mark_changed`]). The rebuild reads `data_changes` before and, inside
//! the publishing transaction, after; if a write committed in between (the families may have
//! read some of it and not the rest), the build is discarded and run again, up to
//! [`ATTEMPTS`] times; the last one is published but leaves the rebuild pending.
use anyhow::{Context, Result};
use duckdb::Connection;

use crate::store::changes;

/// Schema of the tables being built.
pub const STAGING: &str = "indicateurs_en_cours";
/// Builds tried while raw data keeps changing under them.
pub const ATTEMPTS: usize = 3;
/// Tables whose previous content a family reads (tension keeps the levels of the build it
/// replaces, for the alerts): copied into the staging schema before the build.
const CARRIED: &[&str] = &["ind_tension", "ind_tension_previous"];

/// Every `ind_*` table of the main schema, with its `CREATE` statement.
fn derived_tables(conn: &Connection) -> Result<Vec<(String, String)>> {
    Ok(conn
        .prepare(
            "SELECT table_name, sql FROM duckdb_tables()
             WHERE database_name = current_database() AND schema_name = 'main'
               AND table_name LIKE 'ind\\_%' ESCAPE '\\' ORDER BY table_name",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// Drops what an interrupted rebuild left.
pub fn drop_staging(conn: &Connection) -> Result<()> {
    conn.execute_batch(&format!("DROP SCHEMA IF EXISTS {STAGING} CASCADE"))?;
    Ok(())
}

/// A fingerprint of `data_changes`: equal before and after a build when no raw write committed
/// in between.
fn changes_snapshot(conn: &Connection) -> Result<String> {
    Ok(conn.query_row(
        "SELECT coalesce(string_agg(source_id || '@' || changed_at::VARCHAR, ',' ORDER BY source_id), '')
         FROM data_changes",
        [],
        |r| r.get(0),
    )?)
}

/// Empty copies of the derived tables in the staging schema (the carried ones with their rows).
fn prepare(conn: &Connection, tables: &[(String, String)]) -> Result<()> {
    drop_staging(conn)?;
    let mut sql = format!("CREATE SCHEMA {STAGING};\n");
    for (name, create) in tables {
        let body = create
            .strip_prefix(&format!("CREATE TABLE {name}"))
            .with_context(|| format!("définition inattendue de la table {name} : {create}"))?;
        sql.push_str(&format!("CREATE TABLE {STAGING}.{name}{body}\n"));
        if CARRIED.contains(&name.as_str()) {
            sql.push_str(&format!(
                "INSERT INTO {STAGING}.{name} SELECT * FROM main.{name};\n"
            ));
        }
    }
    conn.execute_batch(&sql)?;
    Ok(())
}

/// Runs `build` with the staging schema first in the search path (restored after, even when
/// `build` fails).
fn in_staging<T>(conn: &Connection, build: impl FnOnce() -> Result<T>) -> Result<T> {
    conn.execute_batch(&format!("SET search_path = '{STAGING},main'"))?;
    let out = build();
    let reset = conn.execute_batch("RESET search_path");
    let out = out?;
    reset?;
    Ok(out)
}

/// Builds every derived table with `build` and publishes them; `before_commit` runs inside the
/// publishing transaction (cancellation, fault injection). Returns what the published build
/// returned. Must not be called inside a transaction.
pub fn rebuild<T>(
    conn: &Connection,
    build: impl Fn(&Connection) -> Result<T>,
    before_commit: impl FnOnce() -> Result<()>,
) -> Result<T> {
    let tables = derived_tables(conn)?;
    let result = (|| {
        let mut attempt = 1;
        let (tx, built, moved) = loop {
            let before = changes_snapshot(conn)?;
            prepare(conn, &tables)?;
            let built = in_staging(conn, || build(conn))?;
            let tx = conn.unchecked_transaction()?;
            let moved = changes_snapshot(&tx)? != before;
            if !moved || attempt == ATTEMPTS {
                break (tx, built, moved);
            }
            tracing::info!(
                attempt,
                "données modifiées pendant le recalcul des indicateurs : recalcul repris"
            );
            tx.rollback()?;
            attempt += 1;
        };
        let mut sql = String::new();
        for (name, _) in &tables {
            sql.push_str(&format!(
                "DELETE FROM main.{name}; INSERT INTO main.{name} SELECT * FROM {STAGING}.{name};\n"
            ));
        }
        super::sql::run(&tx, &sql)?;
        if moved {
            // published, but what changed during the last build is still to be covered
            tracing::warn!(
                "données modifiées pendant chacun des {ATTEMPTS} recalculs : le dernier est publié, un nouveau recalcul suivra"
            );
            changes::record_rebuild_incomplete(&tx, super::REBUILD)?;
        } else {
            changes::record_rebuild(&tx, super::REBUILD)?;
        }
        before_commit()?;
        tx.commit()?;
        Ok(built)
    })();
    if let Err(e) = drop_staging(conn) {
        tracing::warn!(error = %e, "schéma {STAGING} non supprimé (il le sera au prochain recalcul)");
    }
    result
}

/// An appender on `table` of the schema the connection writes to (the staging one during a
/// rebuild).
pub fn appender<'c>(conn: &'c Connection, table: &str) -> Result<duckdb::Appender<'c>> {
    let schema: String = conn.query_row("SELECT current_schema()", [], |r| r.get(0))?;
    Ok(conn.appender_to_db(table, &schema)?)
}
