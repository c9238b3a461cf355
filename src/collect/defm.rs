//! Jobseekers registered at France Travail (DEFM, categories A–E), monthly by département.
//! An import replaces the months present in the file.
use std::path::Path;

use anyhow::Result;
use duckdb::Connection;

use super::{
    count, csv, record_source_vintage, replace_rows, validate, Col, Replace, SourceMeta,
    LICENCE_OUVERTE,
};

pub const DEFAULT_FILE: &str = "dares_defm_departement_categorie_mensuel_1996_2016.csv.gz";

pub const SOURCE: SourceMeta = SourceMeta {
    id: "dares-defm-dep",
    name: "Demandeurs d'emploi inscrits (DEFM) par département, données brutes",
    publisher: "Dares et France Travail (STMT)",
    vintage: "1996-01 à 2016-06",
    licence: LICENCE_OUVERTE,
    url: "https://dares.travail-emploi.gouv.fr/",
    method_anchor: "defm",
    // monthly; a month is published about four weeks after it ends
    expected_period_days: Some(31),
    publication_lag_days: Some(31 + 30),
};

/// Replaces the months × départements present in `file`.
pub fn load(conn: &Connection, file: &Path, mode: Replace) -> Result<i64> {
    validate(
        conn,
        file,
        &file.display().to_string(),
        &[
            ("date", Col::Month),
            ("code_departement", Col::Code),
            ("categorie", Col::Code),
            ("defm", Col::Int),
        ],
    )?;
    let src = csv(file);
    let select = format!(
        "SELECT '{}', trim(date) AS mois, trim(code_departement) AS departement, trim(categorie), CAST(trim(defm) AS INTEGER) FROM {src}",
        SOURCE.id
    );
    let (_, inserted) = replace_rows(
        conn,
        "raw_defm_dep",
        &select,
        &["mois", "departement"],
        mode,
        file,
    )?;
    let n = count(conn, "SELECT count(*) FROM raw_defm_dep")?;
    let (first, last): (String, String) =
        conn.query_row("SELECT min(mois), max(mois) FROM raw_defm_dep", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    record_source_vintage(
        conn,
        &SOURCE,
        n,
        Some(&format!("{last}-01")),
        &format!("{first} à {last}"),
    )?;
    Ok(inserted)
}
