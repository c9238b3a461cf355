//! DARES / France Travail tension indicators (2019 method), FAP 2009 × national/région/département,
//! and the national tension series 2011–2019.
use std::path::Path;

use anyhow::Result;
use duckdb::Connection;

use super::{
    count, csv, record_source_vintage, replace_rows, validate, Col, Replace, SourceMeta,
    LICENCE_OUVERTE,
};

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
    // year N is published in the autumn of year N + 1
    publication_lag_days: Some(366 + 300),
};

const QUINTILES: &[&str] = &[
    "Catégorie Tension",
    "Intensité d'embauches",
    "Lien formation-emploi",
    "Manque de main-d'œuvre disponible",
    "Non-durabilité de l'emploi",
    "Conditions de travail contraignantes",
    "Inadéquation géographique",
];

fn quintile(col: &str) -> String {
    format!("CAST(CAST(nullif(trim(\"{col}\"), '') AS DOUBLE) AS INTEGER)")
}

/// Both default files.
pub fn load(conn: &Connection, dir: &Path) -> Result<i64> {
    let n = load_tensions(conn, &dir.join(TENSIONS_FILE), Replace::Keys)?;
    Ok(n + load_evolution(conn, &dir.join(EVOLUTION_FILE), Replace::Keys)?)
}

/// Tension indicators by FAP and territory level; replaces the years × territories present in
/// the file.
pub fn load_tensions(conn: &Connection, file: &Path, mode: Replace) -> Result<i64> {
    let mut spec = vec![
        ("fap", Col::Code),
        ("Emploi moyen", Col::Decimal),
        ("Tension", Col::Decimal),
        ("Année", Col::Int),
        ("niveau_geo", Col::Code),
        ("niveau_fap", Col::Code),
        ("reg", Col::Text),
        ("dep", Col::Text),
    ];
    spec.extend(QUINTILES.iter().map(|q| (*q, Col::Decimal)));
    validate(conn, file, &file.display().to_string(), &spec)?;
    let src = csv(file);
    let q: Vec<String> = QUINTILES.iter().map(|c| quintile(c)).collect();
    let select = format!(
        "SELECT '{id}' AS source_id, CAST(\"Année\" AS INTEGER) AS annee, trim(niveau_geo) AS niveau_geo, trim(niveau_fap),
            nullif(trim(reg), '') AS region, nullif(trim(dep), '') AS departement, trim(fap),
            CAST(nullif(trim(\"Emploi moyen\"), '') AS DOUBLE), CAST(nullif(trim(Tension), '') AS DOUBLE), {q}
         FROM {src}",
        id = SOURCE.id,
        q = q.join(", ")
    );
    let (_, inserted) = replace_rows(
        conn,
        "raw_dares_tension",
        &select,
        &["annee", "niveau_geo", "region", "departement"],
        mode,
        file,
    )?;
    let n = count(conn, "SELECT count(*) FROM raw_dares_tension")?;
    let last = count(conn, "SELECT max(annee) FROM raw_dares_tension")?;
    record_source_vintage(
        conn,
        &SOURCE,
        n,
        Some(&format!("{last}-01-01")),
        &last.to_string(),
    )?;
    Ok(inserted)
}

/// National tension series; replaces the years present in the file (the whole series with
/// [`Replace::All`]).
pub fn load_evolution(conn: &Connection, file: &Path, mode: Replace) -> Result<i64> {
    validate(
        conn,
        file,
        &file.display().to_string(),
        &[
            ("fap", Col::Code),
            ("Tension", Col::Decimal),
            ("Année", Col::Int),
        ],
    )?;
    let src = csv(file);
    let select = format!(
        "SELECT '{}' AS source_id, trim(fap) AS fap, CAST(\"Année\" AS INTEGER) AS annee,
            CAST(nullif(trim(Tension), '') AS DOUBLE) FROM {src}",
        SOURCE.id
    );
    let (_, inserted) = replace_rows(
        conn,
        "raw_dares_tension_evolution",
        &select,
        &["annee"],
        mode,
        file,
    )?;
    let (first, last): (i64, i64) = conn.query_row(
        "SELECT min(annee), max(annee) FROM raw_dares_tension_evolution",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let cur = count(
        conn,
        "SELECT coalesce(max(annee), 0) FROM raw_dares_tension",
    )?;
    let total = count(conn, "SELECT (SELECT count(*) FROM raw_dares_tension) + (SELECT count(*) FROM raw_dares_tension_evolution)")?;
    record_source_vintage(
        conn,
        &SOURCE,
        total,
        Some(&format!("{cur}-01-01")),
        &format!("{cur} (série nationale {first}–{last})"),
    )?;
    Ok(inserted)
}
