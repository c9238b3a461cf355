//! URSSAF private-sector salaried employment: quarterly by zone d'emploi (regionalised parts kept as
//! separate rows), and the annual zone × APE extract of Rouen (Seine-Maritime part only).
use std::path::Path;

use anyhow::Result;
use duckdb::Connection;

use super::{
    columns, count, csv, csv_normalised, exec, pick, record_source, record_source_vintage,
    replace_rows, validate_from, Col, Replace, SourceMeta, LICENCE_OUVERTE,
};

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
    // a quarter is published about ten weeks after it ends
    publication_lag_days: Some(92 + 80),
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
    publication_lag_days: Some(366 + 240),
};

pub const SOURCE_SECTEUR: SourceMeta = SourceMeta {
    id: "urssaf-ze-secteur",
    name: "Établissements et effectifs salariés par zone d'emploi et APE",
    publisher: "Urssaf",
    vintage: "importé",
    licence: LICENCE_OUVERTE,
    url: "https://open.urssaf.fr/explore/dataset/etablissements-et-effectifs-salaries-au-niveau-commune-x-ape-last/",
    method_anchor: "secteurs",
    expected_period_days: Some(366),
    publication_lag_days: Some(366 + 240),
};

/// Both default files.
pub fn load(conn: &Connection, dir: &Path) -> Result<i64> {
    Ok(load_ze(conn, &dir.join(ZE_FILE), Replace::Keys)? + load_ape(conn, &dir.join(APE_FILE))?)
}

/// Quarterly employment by zone d'emploi. Accepts the column names of the Opendatasoft export
/// (`Année`, `Code zone d'emploi`, …: names are normalised) or the shipped extract. Replaces the
/// quarters × zones present in the file (URSSAF revises the series: a full export replaces it all),
/// or the whole series with [`Replace::All`].
pub fn load_ze(conn: &Connection, file: &Path, mode: Replace) -> Result<i64> {
    let label = file.display().to_string();
    let norm = csv_normalised(file);
    let cols = columns(conn, &norm, &label)?;
    let pick = |cands: &[&str]| pick(&cols, cands);
    let (Some(an), Some(tr), Some(ze), Some(cvs)) = (
        pick(&["annee", "ann_e"]),
        pick(&["trimestre"]),
        pick(&["code_zone_d_emploi", "code_zone_demploi", "code_ze"]),
        pick(&["effectifs_salaries_cvs", "effectifs_salari_s_cvs"]),
    ) else {
        anyhow::bail!("{label} : colonnes attendues : année, trimestre, code zone d'emploi, effectifs salariés CVS (trouvées : {})", cols.join(", "));
    };
    let brut = pick(&["effectifs_salaries_brut", "effectifs_salari_s_brut"]);
    let masse = pick(&["masse_salariale_cvs"]);
    let tmp = "urssaf_in";
    exec(conn, &format!(
        "CREATE OR REPLACE TEMP TABLE {tmp} AS SELECT {an} AS annee, {tr} AS trimestre, {ze} AS ze, {b} AS brut, {cvs} AS cvs, {m} AS masse FROM {norm}",
        b = brut.as_deref().unwrap_or("NULL::VARCHAR"), m = masse.as_deref().unwrap_or("NULL::VARCHAR")), file)?;
    validate_from(
        conn,
        tmp,
        &label,
        &[
            ("annee", Col::Int),
            ("trimestre", Col::Int),
            ("ze", Col::Code),
            ("brut", Col::Decimal),
            ("cvs", Col::Decimal),
            ("masse", Col::Decimal),
        ],
    )?;
    let select = format!(
        "SELECT '{}' AS source_id, CAST(trim(annee) AS INTEGER) AS annee, CAST(trim(trimestre) AS INTEGER) AS trimestre,
            lpad(trim(ze), 4, '0') AS ze2020,
            CAST(CAST(nullif(trim(brut), '') AS DOUBLE) AS BIGINT), CAST(CAST(nullif(trim(cvs), '') AS DOUBLE) AS BIGINT),
            CAST(nullif(trim(masse), '') AS DOUBLE) FROM {tmp}", SOURCE.id);
    let (_, inserted) = replace_rows(
        conn,
        "raw_urssaf_ze",
        &select,
        &["annee", "trimestre", "ze2020"],
        mode,
        file,
    )?;
    exec(conn, &format!("DROP TABLE {tmp}"), file)?;
    let n = count(conn, "SELECT count(*) FROM raw_urssaf_ze")?;
    let (fy, fq, ly, lq): (i64, i64, i64, i64) = conn.query_row(
        "SELECT arg_min(annee, annee * 10 + trimestre), arg_min(trimestre, annee * 10 + trimestre),
                arg_max(annee, annee * 10 + trimestre), arg_max(trimestre, annee * 10 + trimestre) FROM raw_urssaf_ze",
        [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    record_source_vintage(
        conn,
        &SOURCE,
        n,
        Some(&format!("{ly}-{:02}-01", (lq - 1) * 3 + 1)),
        &format!("{fy}-T{fq} à {ly}-T{lq}"),
    )?;
    Ok(inserted)
}

/// Annual establishments and employees by APE (the Rouen extract).
pub fn load_ape(conn: &Connection, file: &Path) -> Result<i64> {
    let src = csv(file);
    exec(conn, "DELETE FROM raw_urssaf_ze_ape", file)?;
    exec(conn, &format!(
        "INSERT INTO raw_urssaf_ze_ape SELECT '{}', code_zone_d_emploi, code_departement, CAST(annee AS INTEGER),
            code_ape, ape, code_secteur_na38, code_secteur_na88,
            CAST(nullif(nombre_d_etablissements, '') AS INTEGER), CAST(nullif(effectifs_salaries, '') AS INTEGER)
         FROM {src}", SOURCE_APE.id), file)?;
    let m = count(conn, "SELECT count(*) FROM raw_urssaf_ze_ape")?;
    record_source(conn, &SOURCE_APE, m, Some("2022-01-01"))?;
    Ok(m)
}

/// `observatoire import urssaf-ze-secteur FILE`: the public URSSAF export of establishments and
/// employees by zone d'emploi × APE × year (columns of the shipped Rouen extract, or the French
/// headers of the Opendatasoft export, normalised). Replaces the zone × département × year × APE
/// cells present in the file (or everything imported from this source with [`Replace::All`]);
/// the shipped Rouen extract is kept under its own source.
pub fn load_ze_secteur(conn: &Connection, file: &Path, mode: Replace) -> Result<i64> {
    let label = file.display().to_string();
    let norm = csv_normalised(file);
    let cols = columns(conn, &norm, &label)?;
    let pick = |cands: &[&str]| pick(&cols, cands);
    let (Some(ze), Some(an), Some(ape), Some(na38), Some(na88), Some(eff)) = (
        pick(&["code_zone_d_emploi", "code_zone_demploi", "code_ze"]),
        pick(&["annee", "ann_e"]),
        pick(&["code_ape"]),
        pick(&["code_secteur_na38", "code_na38"]),
        pick(&["code_secteur_na88", "code_na88"]),
        pick(&["effectifs_salaries", "effectifs_salari_s"]),
    ) else {
        anyhow::bail!(
            "{label} : colonnes attendues : code zone d'emploi, année, code APE, code secteur NA38, code secteur NA88, \
             effectifs salariés (trouvées : {})",
            cols.join(", ")
        );
    };
    let dep = pick(&["code_departement", "code_d_partement"]);
    let etab = pick(&[
        "nombre_d_etablissements",
        "nombre_d_tablissements",
        "nombre_d__tablissements",
    ]);
    let ape_label = pick(&["ape", "libell_ape", "libelle_ape"]);
    let tmp = "urssaf_secteur_in";
    exec(conn, &format!(
        "CREATE OR REPLACE TEMP TABLE {tmp} AS SELECT {ze} AS ze, {d} AS dep, {an} AS annee, {ape} AS ape,
             {l} AS ape_libelle, {na38} AS na38, {na88} AS na88, {e} AS etab, {eff} AS effectifs FROM {norm}",
        d = dep.as_deref().unwrap_or("NULL::VARCHAR"),
        l = ape_label.as_deref().unwrap_or("NULL::VARCHAR"),
        e = etab.as_deref().unwrap_or("NULL::VARCHAR")), file)?;
    validate_from(
        conn,
        tmp,
        &label,
        &[
            ("ze", Col::Code),
            ("annee", Col::Int),
            ("ape", Col::Code),
            ("na38", Col::Code),
            ("na88", Col::Code),
            ("etab", Col::Decimal),
            ("effectifs", Col::Decimal),
        ],
    )?;
    let select = format!(
        "SELECT '{}' AS source_id, lpad(trim(ze), 4, '0') AS ze2020, coalesce(trim(dep), '') AS departement,
             CAST(trim(annee) AS INTEGER) AS annee, trim(ape) AS ape, ape_libelle, trim(na38), lpad(trim(na88), 2, '0'),
             CAST(CAST(nullif(trim(etab), '') AS DOUBLE) AS INTEGER),
             CAST(CAST(nullif(trim(effectifs), '') AS DOUBLE) AS INTEGER)
         FROM {tmp}",
        SOURCE_SECTEUR.id
    );
    if mode == Replace::All {
        exec(
            conn,
            &format!(
                "DELETE FROM raw_urssaf_ze_ape WHERE source_id = '{}'",
                SOURCE_SECTEUR.id
            ),
            file,
        )?;
    }
    let (_, inserted) = replace_rows(
        conn,
        "raw_urssaf_ze_ape",
        &select,
        &["ze2020", "departement", "annee", "ape"],
        Replace::Keys,
        file,
    )?;
    exec(conn, &format!("DROP TABLE {tmp}"), file)?;
    let (n, first, last): (i64, i64, i64) = conn.query_row(
        "SELECT count(*), min(annee), max(annee) FROM raw_urssaf_ze_ape WHERE source_id = ?",
        [SOURCE_SECTEUR.id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    record_source_vintage(
        conn,
        &SOURCE_SECTEUR,
        n,
        Some(&format!("{last}-01-01")),
        &format!("{first} à {last}"),
    )?;
    Ok(inserted)
}
