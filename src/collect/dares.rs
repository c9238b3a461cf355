//! DARES / France Travail tension indicators (2019 method), FAP 2009 × national/région/département,
//! and the national tension series 2011–2019.
use std::path::Path;

use anyhow::Result;
use duckdb::Connection;

use super::{count, csv, exec, record_source, SourceMeta, LICENCE_OUVERTE};

pub const TENSIONS_FILE: &str = "dares_tensions_2019_fap_nat_reg_dep.csv.gz";
pub const EVOLUTION_FILE: &str = "dares_tensions_evolution_2011_2019_nat.csv.gz";

pub const SOURCE: SourceMeta = SourceMeta {
    id: "dares-tensions",
    name: "Indicateurs de tension sur le marché du travail",
    publisher: "Dares et France Travail",
    vintage: "2019 (série nationale 2011–2019)",
    licence: LICENCE_OUVERTE,
    url: "https://dares.travail-emploi.gouv.fr/donnees/les-tensions-sur-le-marche-du-travail",
    method_anchor: "tensions",
    expected_period_days: Some(366),
};

fn quintile(col: &str) -> String {
    format!("CAST(CAST(nullif(trim(\"{col}\"), '') AS DOUBLE) AS INTEGER)")
}

pub fn load(conn: &Connection, dir: &Path) -> Result<i64> {
    let file = dir.join(TENSIONS_FILE);
    let src = csv(&file);
    exec(conn, "DELETE FROM raw_dares_tension", &file)?;
    exec(conn, &format!(
        "INSERT INTO raw_dares_tension SELECT '{id}', CAST(\"Année\" AS INTEGER), trim(niveau_geo), trim(niveau_fap),
            nullif(trim(reg), ''), nullif(trim(dep), ''), fap,
            CAST(nullif(trim(\"Emploi moyen\"), '') AS DOUBLE), CAST(nullif(trim(Tension), '') AS DOUBLE),
            {c1}, {c2}, {c3}, {c4}, {c5}, {c6}, {c7}
         FROM {src}",
        id = SOURCE.id,
        c1 = quintile("Catégorie Tension"),
        c2 = quintile("Intensité d'embauches"),
        c3 = quintile("Lien formation-emploi"),
        c4 = quintile("Manque de main-d'œuvre disponible"),
        c5 = quintile("Non-durabilité de l'emploi"),
        c6 = quintile("Conditions de travail contraignantes"),
        c7 = quintile("Inadéquation géographique"),
    ), &file)?;
    let file = dir.join(EVOLUTION_FILE);
    let src = csv(&file);
    exec(conn, "DELETE FROM raw_dares_tension_evolution", &file)?;
    exec(
        conn,
        &format!(
            "INSERT INTO raw_dares_tension_evolution SELECT '{}', fap, CAST(\"Année\" AS INTEGER),
            CAST(nullif(trim(Tension), '') AS DOUBLE) FROM {src}",
            SOURCE.id
        ),
        &file,
    )?;
    let n = count(conn, "SELECT (SELECT count(*) FROM raw_dares_tension) + (SELECT count(*) FROM raw_dares_tension_evolution)")?;
    record_source(conn, &SOURCE, n, Some("2019-01-01"))?;
    Ok(n)
}
