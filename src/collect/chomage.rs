//! INSEE localised unemployment rate by zone d'emploi 2020 (quarterly, seasonally adjusted).
//! Accepts the long format (`ze2020, trimestre, taux_chomage`) or INSEE's wide layout (`ZE2020`
//! then one column per quarter `2003-T1` …). The quarters × zones of the file replace those
//! stored (INSEE revises the series: a full file replaces it all); `--replace-all` replaces the
//! whole series.
use std::path::Path;

use anyhow::Result;
use duckdb::Connection;

use super::{
    count, csv, record_source_vintage, replace_rows, validate, Col, Replace, SourceMeta,
    LICENCE_OUVERTE,
};

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
    // a quarter is published about two and a half months after it ends
    publication_lag_days: Some(92 + 80),
};

pub fn load(conn: &Connection, file: &Path, mode: Replace) -> Result<i64> {
    let label = file.display().to_string();
    let cols: Vec<String> = conn
        .prepare(&format!("DESCRIBE SELECT * FROM {}", csv(file)))?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let long = cols.iter().any(|c| c == "trimestre");
    let src = if long {
        validate(
            conn,
            file,
            &label,
            &[
                ("ze2020", Col::Code),
                ("trimestre", Col::Quarter),
                ("taux_chomage", Col::Decimal),
            ],
        )?;
        format!(
            "SELECT trim(ze2020) AS ze, trimestre AS q, taux_chomage AS v FROM {}",
            csv(file)
        )
    } else {
        let quarters: Vec<(&str, Col)> = cols
            .iter()
            .filter(|c| c.len() == 7 && c.as_bytes()[4] == b'-' && c.as_bytes()[5] == b'T')
            .map(|c| (c.as_str(), Col::Decimal))
            .collect();
        if quarters.is_empty() {
            anyhow::bail!("{label} : ni colonne « trimestre » (format long) ni colonnes AAAA-Tn (format Insee large)");
        }
        validate(
            conn,
            file,
            &label,
            &[&[("ZE2020", Col::Code)], quarters.as_slice()].concat(),
        )?;
        format!(
            "SELECT trim(ZE2020) AS ze, q, v FROM (UNPIVOT (SELECT * FROM {}) ON COLUMNS('^[0-9]{{4}}-T[1-4]$') INTO NAME q VALUE v)",
            csv(file)
        )
    };
    let select = format!(
        "SELECT '{}' AS source_id, ze AS ze2020, q AS trimestre, CAST(replace(trim(v), ',', '.') AS DOUBLE)
         FROM ({src}) WHERE nullif(trim(v), '') IS NOT NULL",
        SOURCE.id
    );
    let (_, inserted) = replace_rows(
        conn,
        "raw_chomage_ze",
        &select,
        &["ze2020", "trimestre"],
        mode,
        file,
    )?;
    let n = count(conn, "SELECT count(*) FROM raw_chomage_ze")?;
    let (first, last): (String, String) = conn.query_row(
        "SELECT min(trimestre), max(trimestre) FROM raw_chomage_ze",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    record_source_vintage(
        conn,
        &SOURCE,
        n,
        Some(&quarter_start(&last)),
        &format!("{first} à {last}"),
    )?;
    Ok(inserted)
}

/// `2023-T3` → `2023-07-01`.
pub fn quarter_start(q: &str) -> String {
    let (y, t) = q.split_once("-T").unwrap_or((q, "1"));
    let m = (t.parse::<u32>().unwrap_or(1).clamp(1, 4) - 1) * 3 + 1;
    format!("{y}-{m:02}-01")
}
