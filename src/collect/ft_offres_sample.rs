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
    // a fixed sample of a daily feed: its data ages like the feed's
    expected_period_days: Some(1),
    publication_lag_days: Some(1),
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
        "INSERT INTO raw_ft_offre (id, source_id, intitule, date_creation, date_actualisation, lieu_libelle,
            commune_brute, code_postal, commune, rome, appellation_libelle, entreprise_nom,
            type_contrat, nature_contrat, experience_exige, qualification_code, naf, secteur_division,
            nombre_postes, alternance, accessible_th, offres_manque_candidats, salaire_libelle, origine,
            first_seen, last_seen, closed_at, duree_travail, duree_contrat_mois)
         SELECT o.id, '{id}', {intitule}, {dc}, {da},
            {lieu}, nullif(o.lieuTravail_commune, ''), nullif(o.lieuTravail_codePostal, ''),
            a.commune, nullif(o.romeCode, ''), o.appellationlibelle, {entreprise},
            o.typeContrat, o.natureContrat, o.experienceExige, nullif(o.qualificationCode, ''),
            nullif(o.codeNAF, ''), nullif(o.secteurActivite, ''),
            CAST(coalesce(nullif(o.nombrePostes, ''), '1') AS INTEGER),
            CAST(nullif(o.alternance, '') AS BOOLEAN), CAST(nullif(o.accessibleTH, '') AS BOOLEAN),
            CAST(nullif(o.offresManqueCandidats, '') AS BOOLEAN), {salaire},
            o.origineOffre_origine, {da}, {da}, NULL, nullif(o.dureeTravailLibelleConverti, ''),
            round(CASE lower(regexp_extract(o.typeContratLibelle, '(\\d+)\\s*(Mois|Jour)', 2))
                WHEN 'mois' THEN CAST(regexp_extract(o.typeContratLibelle, '(\\d+)\\s*(Mois|Jour)', 1) AS DOUBLE)
                WHEN 'jour' THEN CAST(regexp_extract(o.typeContratLibelle, '(\\d+)\\s*(Mois|Jour)', 1) AS DOUBLE) / 30.44
            END, 2)
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
             SELECT offre_id, nullif(competence_code, ''), {}, min(exigence)
             FROM {src} WHERE offre_id IN (SELECT id FROM raw_ft_offre WHERE source_id = '{}')
             GROUP BY ALL",
            sql_scrub("competence_libelle"),
            SOURCE.id
        ),
        &file,
    )?;
    // Monthly salary equivalents (same parser as the live collector) and the département.
    let salaries: Vec<(String, String)> = conn
        .prepare(&format!(
            "SELECT id, salaire_libelle FROM raw_ft_offre WHERE source_id = '{}' AND salaire_libelle IS NOT NULL",
            SOURCE.id
        ))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    conn.execute_batch(
        "CREATE OR REPLACE TEMP TABLE salaire_tmp (id VARCHAR, lo DOUBLE, hi DOUBLE)",
    )?;
    {
        let mut app = conn.appender("salaire_tmp")?;
        for (id, libelle) in &salaries {
            if let Some((lo, hi)) = super::francetravail::salary::monthly_range(libelle) {
                app.append_row(duckdb::params![id, lo, hi])?;
            }
        }
    }
    conn.execute_batch(&format!(
        "UPDATE raw_ft_offre SET salaire_min_mensuel = t.lo, salaire_max_mensuel = t.hi FROM salaire_tmp t
         WHERE raw_ft_offre.id = t.id;
         UPDATE raw_ft_offre SET departement = c.departement FROM ref_commune c
         WHERE raw_ft_offre.commune = c.code AND raw_ft_offre.source_id = '{}';
         DROP TABLE salaire_tmp;",
        SOURCE.id
    ))?;
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
