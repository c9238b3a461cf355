//! Collect step: each source in its own file. A loader reads one file (the embedded default or a
//! file given by the user) into its raw table inside the caller's transaction, then records the
//! source's provenance in `sources`.
pub mod bmo;
pub mod chomage;
pub mod dares;
pub mod defm;
pub mod francetravail;
pub mod ft_offres_sample;
pub mod privacy;
pub mod urssaf;

use std::path::Path;

use anyhow::{Context, Result};
use duckdb::Connection;

use crate::store::sql_path;

/// Provenance of a dataset, shown beside every figure that comes from it.
pub struct SourceMeta {
    pub id: &'static str,
    pub name: &'static str,
    pub publisher: &'static str,
    pub vintage: &'static str,
    pub licence: &'static str,
    pub url: &'static str,
    /// Anchor of its section in `/methodologie`.
    pub method_anchor: &'static str,
    /// How often the publisher refreshes it, in days (freshness checks).
    pub expected_period_days: Option<i64>,
}

pub const LICENCE_OUVERTE: &str = "Licence Ouverte / Etalab 2.0";

/// `read_csv(...)` over a (possibly gzipped) CSV, every column as text so that codes keep their
/// leading zeros; loaders cast explicitly so a malformed value fails loudly.
pub fn csv(path: &Path) -> String {
    format!(
        "read_csv({}, header = true, all_varchar = true)",
        sql_path(path)
    )
}

/// Runs one loader statement, naming the file in any error.
pub fn exec(conn: &Connection, sql: &str, file: &Path) -> Result<usize> {
    conn.execute(sql, [])
        .map_err(|e| anyhow::anyhow!(crate::store::one_line(&e.to_string())))
        .with_context(|| format!("chargement de {}", file.display()))
}

/// Records (or replaces) the provenance row of a source after a successful load.
pub fn record_source(
    conn: &Connection,
    meta: &SourceMeta,
    rows: i64,
    data_date: Option<&str>,
) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS DATE), ?, now()::TIMESTAMP, ?, now()::TIMESTAMP)",
        duckdb::params![
            meta.id,
            meta.name,
            meta.publisher,
            meta.vintage,
            meta.licence,
            meta.url,
            meta.method_anchor,
            data_date,
            meta.expected_period_days,
            rows
        ],
    )?;
    Ok(())
}

/// Loads every embedded dataset from `dir` (extracted default files).
pub fn load_defaults(conn: &Connection, dir: &Path) -> Result<()> {
    ft_offres_sample::load(conn, dir)?;
    bmo::load(conn, &dir.join(bmo::DEFAULT_FILE))?;
    dares::load(conn, dir)?;
    chomage::load(conn, &dir.join(chomage::DEFAULT_FILE))?;
    urssaf::load(conn, dir)?;
    defm::load(conn, &dir.join(defm::DEFAULT_FILE))?;
    Ok(())
}

pub fn count(conn: &Connection, sql: &str) -> Result<i64> {
    Ok(conn.query_row(sql, [], |r| r.get(0))?)
}
