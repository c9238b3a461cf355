//! URSSAF private-sector salaried employment: quarterly by zone d'emploi (regionalised parts kept as
//! separate rows), and the annual zone × APE extract of Rouen (Seine-Maritime part only).
use std::path::Path;

use anyhow::Result;
use duckdb::Connection;

use super::{count, csv, exec, record_source, SourceMeta, LICENCE_OUVERTE};

pub const ZE_FILE: &str = "urssaf_effectifs_ze2020_trimestriel.csv.gz";
pub const APE_FILE: &str = "urssaf_etab_effectifs_ze2815_rouen_dep76_ape_annuel_2006_2022.csv.gz";

pub const SOURCE: SourceMeta = SourceMeta {
    id: "urssaf-emploi-ze",
    name: "Effectifs salariés du secteur privé par zone d'emploi",
    publisher: "Urssaf",
    vintage: "2012-T1 à 2025-T4",
    licence: LICENCE_OUVERTE,
    url: "https://open.urssaf.fr/explore/dataset/effectifs-salaries-et-masse-salariale-du-secteur-prive-par-zone-demploi/",
    method_anchor: "urssaf",
    expected_period_days: Some(92),
};

pub const SOURCE_APE: SourceMeta = SourceMeta {
    id: "urssaf-ape-rouen",
    name: "Établissements et effectifs salariés par APE — zone de Rouen (partie Seine-Maritime)",
    publisher: "Urssaf",
    vintage: "2006 à 2022",
    licence: LICENCE_OUVERTE,
    url: "https://open.urssaf.fr/explore/dataset/etablissements-et-effectifs-salaries-au-niveau-commune-x-ape-last/",
    method_anchor: "urssaf",
    expected_period_days: Some(366),
};

pub fn load(conn: &Connection, dir: &Path) -> Result<i64> {
    let file = dir.join(ZE_FILE);
    let src = csv(&file);
    exec(conn, "DELETE FROM raw_urssaf_ze", &file)?;
    exec(conn, &format!(
        "INSERT INTO raw_urssaf_ze SELECT '{}', CAST(annee AS INTEGER), CAST(trimestre AS INTEGER), code_zone_d_emploi,
            CAST(nullif(effectifs_salaries_brut, '') AS BIGINT), CAST(nullif(effectifs_salaries_cvs, '') AS BIGINT),
            CAST(nullif(masse_salariale_cvs, '') AS DOUBLE) FROM {src}", SOURCE.id), &file)?;
    let n = count(conn, "SELECT count(*) FROM raw_urssaf_ze")?;
    let (y, q): (i64, i64) = conn.query_row(
        "SELECT annee, trimestre FROM raw_urssaf_ze ORDER BY annee DESC, trimestre DESC LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    record_source(
        conn,
        &SOURCE,
        n,
        Some(&format!("{y}-{:02}-01", (q - 1) * 3 + 1)),
    )?;

    let file = dir.join(APE_FILE);
    let src = csv(&file);
    exec(conn, "DELETE FROM raw_urssaf_ze_ape", &file)?;
    exec(conn, &format!(
        "INSERT INTO raw_urssaf_ze_ape SELECT '{}', code_zone_d_emploi, code_departement, CAST(annee AS INTEGER),
            code_ape, ape, code_secteur_na38, code_secteur_na88,
            CAST(nullif(nombre_d_etablissements, '') AS INTEGER), CAST(nullif(effectifs_salaries, '') AS INTEGER)
         FROM {src}", SOURCE_APE.id), &file)?;
    let m = count(conn, "SELECT count(*) FROM raw_urssaf_ze_ape")?;
    record_source(conn, &SOURCE_APE, m, Some("2022-01-01"))?;
    Ok(n + m)
}
