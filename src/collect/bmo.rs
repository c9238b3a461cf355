//! BMO (Besoins en Main-d'Œuvre), France Travail annual survey: recruitment projects per
//! bassin × métier. `*` marks statistical secrecy and is kept as such (NULL + flag), never as 0.
use std::path::Path;

use anyhow::Result;
use duckdb::Connection;

use super::{count, csv, exec, record_source, SourceMeta, LICENCE_OUVERTE};

pub const DEFAULT_FILE: &str = "bmo_2024_bassin_metier.csv.gz";

pub const SOURCE: SourceMeta = SourceMeta {
    id: "ft-bmo",
    name: "Enquête Besoins en Main-d'Œuvre (BMO) 2024",
    publisher: "France Travail",
    vintage: "2024",
    licence: LICENCE_OUVERTE,
    url: "https://statistiques.francetravail.org/bmo",
    method_anchor: "bmo",
    expected_period_days: Some(366),
};

/// Replaces the vintages present in `file` (one transaction by the caller).
pub fn load(conn: &Connection, file: &Path) -> Result<i64> {
    let src = csv(file);
    exec(conn, &format!(
        "CREATE OR REPLACE TEMP TABLE bmo_in AS SELECT
            CAST(annee AS INTEGER) AS annee, \"Code métier BMO\" AS metier, \"Nom métier BMO\" AS metier_libelle,
            Famille_met AS famille, Lbl_fam_met AS famille_libelle, REG AS region, Dept AS departement,
            BE24 AS bassin, NOMBE24 AS bassin_libelle,
            CASE WHEN trim(met) = '*' THEN NULL ELSE CAST(met AS INTEGER) END AS projets, trim(met) = '*' AS projets_secret,
            CASE WHEN trim(xmet) = '*' THEN NULL ELSE CAST(xmet AS INTEGER) END AS difficiles, trim(xmet) = '*' AS difficiles_secret,
            CASE WHEN trim(smet) = '*' THEN NULL ELSE CAST(smet AS INTEGER) END AS saisonniers, trim(smet) = '*' AS saisonniers_secret
         FROM {src}"), file)?;
    exec(
        conn,
        "DELETE FROM raw_bmo WHERE annee IN (SELECT DISTINCT annee FROM bmo_in)",
        file,
    )?;
    exec(conn, &format!(
        "INSERT INTO raw_bmo SELECT '{}', annee, metier, metier_libelle, famille, famille_libelle, region,
            departement, bassin, bassin_libelle, projets, projets_secret, difficiles, difficiles_secret,
            saisonniers, saisonniers_secret FROM bmo_in", SOURCE.id), file)?;
    let n = count(conn, "SELECT count(*) FROM bmo_in")?;
    let year = count(conn, "SELECT max(annee) FROM bmo_in")?;
    exec(conn, "DROP TABLE bmo_in", file)?;
    record_source(conn, &SOURCE, n, Some(&format!("{year}-01-01")))?;
    Ok(n)
}
