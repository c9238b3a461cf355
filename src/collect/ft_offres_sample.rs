//! The real France Travail sample (6,150 offers created 13–15 Nov 2025, API *Offres d'emploi v2*),
//! flattened and already free of `contact`, `description` and agency fields. Loaded into the same
//! offers table the live collector fills.
use std::path::Path;

use anyhow::Result;
use duckdb::Connection;

use super::privacy::sql_scrub;
use super::{count, csv, exec, record_source, SourceMeta};

pub const OFFERS_FILE: &str = "offres_2025-11-13_15_flat.csv.gz";
pub const SKILLS_FILE: &str = "offres_2025-11-13_15_competences.csv.gz";

pub const SOURCE: SourceMeta = SourceMeta {
    id: "ft-offres-echantillon",
    name: "Offres d'emploi France Travail — échantillon réel (créées du 13 au 15 novembre 2025)",
    publisher: "France Travail (API Offres d'emploi v2)",
    vintage: "13–15 novembre 2025",
    licence: "Conditions d'utilisation de francetravail.io",
    url: "https://francetravail.io/data/api/offres-emploi",
    method_anchor: "offres",
    expected_period_days: None, // a fixed sample, not a feed
};

fn ts(col: &str) -> String {
    format!("CAST(replace(nullif({col}, ''), 'Z', '') AS TIMESTAMP)")
}

pub fn load(conn: &Connection, dir: &Path) -> Result<i64> {
    let file = dir.join(OFFERS_FILE);
    let src = csv(&file);
    exec(conn, &format!(
        "DELETE FROM raw_ft_offre_competence WHERE offre_id IN (SELECT id FROM raw_ft_offre WHERE source_id = '{}')",
        SOURCE.id), &file)?;
    exec(
        conn,
        &format!("DELETE FROM raw_ft_offre WHERE source_id = '{}'", SOURCE.id),
        &file,
    )?;
    exec(conn, &format!(
        "INSERT INTO raw_ft_offre SELECT o.id, '{id}', {intitule}, {dc}, {da},
            {lieu}, nullif(o.lieuTravail_commune, ''), nullif(o.lieuTravail_codePostal, ''),
            CAST(nullif(o.lieuTravail_latitude, '') AS DOUBLE), CAST(nullif(o.lieuTravail_longitude, '') AS DOUBLE),
            a.commune, nullif(o.romeCode, ''), o.appellationlibelle, {entreprise},
            o.typeContrat, o.natureContrat, o.experienceExige, nullif(o.qualificationCode, ''),
            nullif(o.codeNAF, ''), nullif(o.secteurActivite, ''),
            CAST(coalesce(nullif(o.nombrePostes, ''), '1') AS INTEGER),
            CAST(nullif(o.alternance, '') AS BOOLEAN), CAST(nullif(o.accessibleTH, '') AS BOOLEAN),
            CAST(nullif(o.offresManqueCandidats, '') AS BOOLEAN), {salaire},
            o.origineOffre_origine, {da}, {da}, NULL
         FROM {src} o LEFT JOIN ref_commune_alias a ON a.code = o.lieuTravail_commune",
        id = SOURCE.id, dc = ts("o.dateCreation"), da = ts("o.dateActualisation"),
        intitule = sql_scrub("o.intitule"), lieu = sql_scrub("o.lieuTravail_libelle"),
        entreprise = sql_scrub("o.entreprise_nom"), salaire = sql_scrub("o.salaire_libelle")), &file)?;

    let file = dir.join(SKILLS_FILE);
    let src = csv(&file);
    exec(
        conn,
        &format!(
            "INSERT INTO raw_ft_offre_competence
         SELECT offre_id, nullif(competence_code, ''), trim(competence_libelle), min(exigence)
         FROM {src} WHERE offre_id IN (SELECT id FROM raw_ft_offre WHERE source_id = '{}')
         GROUP BY ALL",
            SOURCE.id
        ),
        &file,
    )?;
    let n = count(
        conn,
        &format!(
            "SELECT count(*) FROM raw_ft_offre WHERE source_id = '{}'",
            SOURCE.id
        ),
    )?;
    record_source(conn, &SOURCE, n, Some("2025-11-15"))?;
    Ok(n)
}
