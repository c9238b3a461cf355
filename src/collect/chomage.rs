//! INSEE localised unemployment rate by zone d'emploi 2020 (quarterly, seasonally adjusted).
use std::path::Path;

use anyhow::Result;
use duckdb::Connection;

use super::{count, csv, exec, record_source, SourceMeta, LICENCE_OUVERTE};

pub const DEFAULT_FILE: &str = "insee_taux_chomage_ze2020_2003T1_2023T3_long.csv.gz";

pub const SOURCE: SourceMeta = SourceMeta {
    id: "insee-chomage-ze",
    name: "Taux de chômage localisés par zone d'emploi",
    publisher: "Insee",
    vintage: "2003-T1 à 2023-T3",
    licence: LICENCE_OUVERTE,
    url: "https://www.insee.fr/fr/statistiques/1893230",
    method_anchor: "chomage",
    expected_period_days: Some(92),
};

pub fn load(conn: &Connection, file: &Path) -> Result<i64> {
    let src = csv(file);
    exec(conn, "DELETE FROM raw_chomage_ze", file)?;
    exec(
        conn,
        &format!(
        "INSERT INTO raw_chomage_ze SELECT '{}', ze2020, trimestre, CAST(taux_chomage AS DOUBLE)
         FROM {src} WHERE nullif(trim(taux_chomage), '') IS NOT NULL", SOURCE.id),
        file,
    )?;
    let n = count(conn, "SELECT count(*) FROM raw_chomage_ze")?;
    let last: String = conn.query_row("SELECT max(trimestre) FROM raw_chomage_ze", [], |r| {
        r.get(0)
    })?;
    record_source(conn, &SOURCE, n, Some(&quarter_start(&last)))?;
    Ok(n)
}

/// `2023-T3` → `2023-07-01`.
pub fn quarter_start(q: &str) -> String {
    let (y, t) = q.split_once("-T").unwrap_or((q, "1"));
    let m = (t.parse::<u32>().unwrap_or(1).clamp(1, 4) - 1) * 3 + 1;
    format!("{y}-{m:02}-01")
}
