//! BMO (Besoins en Main-d'Œuvre), France Travail annual survey: recruitment projects per
//! bassin × département × métier. `*` marks statistical secrecy and is kept as such (NULL + flag),
//! never as 0. An import replaces the survey years present in the file.
use std::path::Path;

use anyhow::Result;
use duckdb::Connection;

use super::{
    count, csv, exec, record_source_vintage, replace_rows, validate, Col, Replace, SourceMeta,
    LICENCE_OUVERTE,
};

pub const DEFAULT_FILE: &str = "bmo_2024_bassin_metier.csv.gz";

pub const SOURCE: SourceMeta = SourceMeta {
    id: "ft-bmo",
    name: "Enquête Besoins en Main-d'Œuvre (BMO)",
    publisher: "France Travail",
    vintage: "2024",
    licence: LICENCE_OUVERTE,
    url: "https://statistiques.francetravail.org/bmo",
    method_anchor: "bmo",
    expected_period_days: Some(366),
    // the survey of year N is published in April of year N
    publication_lag_days: Some(120),
};

const COLUMNS: &[(&str, Col)] = &[
    ("annee", Col::Int),
    ("Code métier BMO", Col::Code),
    ("Nom métier BMO", Col::Text),
    ("Famille_met", Col::Text),
    ("Lbl_fam_met", Col::Text),
    ("REG", Col::Code),
    ("Dept", Col::Code),
    ("BE24", Col::Code),
    ("NOMBE24", Col::Text),
    ("met", Col::IntOrSecret),
    ("xmet", Col::IntOrSecret),
    ("smet", Col::IntOrSecret),
];

/// Replaces the survey years × bassins × départements present in `file` (in the caller's
/// transaction).
pub fn load(conn: &Connection, file: &Path, mode: Replace) -> Result<i64> {
    validate(conn, file, &file.display().to_string(), COLUMNS)?;
    let src = csv(file);
    let cell = |c: &str, name: &str| {
        format!(
            "CASE WHEN trim({c}) = '*' THEN NULL ELSE CAST(nullif(trim({c}), '') AS INTEGER) END AS {name},
             coalesce(trim({c}) = '*', false) AS {name}_secret"
        )
    };
    exec(conn, &format!(
        "CREATE OR REPLACE TEMP TABLE bmo_in AS SELECT
            CAST(trim(annee) AS INTEGER) AS annee, trim(\"Code métier BMO\") AS metier, \"Nom métier BMO\" AS metier_libelle,
            Famille_met AS famille, Lbl_fam_met AS famille_libelle, trim(REG) AS region, trim(Dept) AS departement,
            trim(BE24) AS bassin, NOMBE24 AS bassin_libelle, {p}, {d}, {s}
         FROM {src}",
        p = cell("met", "projets"), d = cell("xmet", "difficiles"), s = cell("smet", "saisonniers")), file)?;
    let dups = count(conn, "SELECT count(*) FROM (SELECT annee, bassin, departement, metier FROM bmo_in GROUP BY ALL HAVING count(*) > 1)")?;
    if dups > 0 {
        anyhow::bail!("{} : {dups} croisement(s) année × bassin × département × métier en double ; rien n'a été importé", file.display());
    }
    let select = format!(
        "SELECT '{}', annee, metier, metier_libelle, famille, famille_libelle, region,
            departement, bassin, bassin_libelle, projets, projets_secret, difficiles, difficiles_secret,
            saisonniers, saisonniers_secret FROM bmo_in",
        SOURCE.id
    );
    let (_, inserted) = replace_rows(
        conn,
        "raw_bmo",
        &select,
        &["annee", "bassin", "departement"],
        mode,
        file,
    )?;
    exec(conn, "DROP TABLE bmo_in", file)?;
    let (first, last): (i64, i64) =
        conn.query_row("SELECT min(annee), max(annee) FROM raw_bmo", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let vintage = if first == last {
        last.to_string()
    } else {
        format!("{first} à {last}")
    };
    let total = count(conn, "SELECT count(*) FROM raw_bmo")?;
    record_source_vintage(
        conn,
        &SOURCE,
        total,
        Some(&format!("{last}-01-01")),
        &vintage,
    )?;
    Ok(inserted)
}
