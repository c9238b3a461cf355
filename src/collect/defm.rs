//! Jobseekers registered at France Travail (DEFM, categories A–E), monthly by département.
use std::path::Path;

use anyhow::Result;
use duckdb::Connection;

use super::{count, csv, exec, record_source, SourceMeta, LICENCE_OUVERTE};

pub const DEFAULT_FILE: &str = "dares_defm_departement_categorie_mensuel_1996_2016.csv.gz";

pub const SOURCE: SourceMeta = SourceMeta {
    id: "dares-defm-dep",
    name: "Demandeurs d'emploi inscrits (DEFM) par département, données brutes",
    publisher: "Dares et France Travail (STMT)",
    vintage: "1996-01 à 2016-06",
    licence: LICENCE_OUVERTE,
    url: "https://dares.travail-emploi.gouv.fr/",
    method_anchor: "defm",
    expected_period_days: Some(92),
};

pub fn load(conn: &Connection, file: &Path) -> Result<i64> {
    let src = csv(file);
    exec(conn, "DELETE FROM raw_defm_dep", file)?;
    exec(conn, &format!(
        "INSERT INTO raw_defm_dep SELECT '{}', date, code_departement, categorie, CAST(defm AS INTEGER) FROM {src}",
        SOURCE.id), file)?;
    let n = count(conn, "SELECT count(*) FROM raw_defm_dep")?;
    let last: String = conn.query_row("SELECT max(mois) FROM raw_defm_dep", [], |r| r.get(0))?;
    record_source(conn, &SOURCE, n, Some(&format!("{last}-01")))?;
    Ok(n)
}
