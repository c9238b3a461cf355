//! The BMO and job-offer sections of a territory's dashboard: recruitment projects by bassin
//! and métier (secret cells counted, small bases not published) and open offers by ROME métier
//! (métiers with very few offers grouped).
use duckdb::Connection;
use serde::Serialize;

/// Métiers with fewer offers than this are grouped into one line (a count of 1 or 2 offers over a
/// few days says nothing reliable about a métier and can point at a single employer).
pub const MIN_OFFRES: i64 = 3;
/// Share of difficult projects shown only on at least this many projects.
pub const MIN_BASE_DIFFICILES: i64 = 20;

#[derive(Serialize)]
pub(super) struct BmoBassin {
    code: String,
    libelle: String,
    part_pct: f64,
    principal: bool,
    projets: Option<i64>,
    part_difficiles: Option<f64>,
    part_saisonniers: Option<f64>,
    cellules_secretes: i64,
}

#[derive(Serialize)]
pub(super) struct BmoMetier {
    code: String,
    libelle: String,
    famille: Option<String>,
    projets: Option<i64>,
    part_difficiles: Option<f64>,
    suppression: Option<String>,
}

#[derive(Serialize)]
pub(super) struct BmoTotal {
    pub(super) annee: i64,
    pub(super) projets: i64,
    pub(super) part_difficiles: Option<f64>,
    part_saisonniers: Option<f64>,
    cellules_secretes: i64,
    metiers_secrets: i64,
}

#[derive(Serialize)]
pub(super) struct OffreMetier {
    rome: String,
    libelle: String,
    offres: i64,
    postes: i64,
    part_cdi: f64,
}

#[derive(Serialize)]
pub(super) struct Offres {
    pub(super) total: i64,
    sans_commune: i64,
    /// `sources` ids of the offers counted.
    pub(super) sources: Vec<String>,
    pub(super) debut: String,
    pub(super) fin: String,
    metiers: Vec<OffreMetier>,
    /// Métiers at or above the threshold (the table shows the first 25).
    metiers_publies: i64,
    autres_metiers: i64,
    autres_offres: i64,
}

fn pct(num: Option<i64>, den: Option<i64>, min_den: i64) -> Option<f64> {
    match (num, den) {
        (Some(n), Some(d)) if d >= min_den && d > 0 => Some(n as f64 * 100.0 / d as f64),
        _ => None,
    }
}

pub(super) type BmoParts = (Option<BmoTotal>, Vec<BmoBassin>, Vec<BmoMetier>);

pub(super) fn bmo(conn: &Connection, kind: &str, code: &str) -> anyhow::Result<BmoParts> {
    let annee: Option<i64> = conn.query_row(
        "SELECT max(annee) FROM ind_bmo_bassin WHERE kind = ? AND code = ?",
        [kind, code],
        |r| r.get(0),
    )?;
    let Some(annee) = annee else {
        return Ok((None, vec![], vec![]));
    };
    let bassins = conn
        .prepare(
            "SELECT bassin, bassin_libelle, part_communes, projets, difficiles, base_difficiles, saisonniers,
                    cellules_secretes, principal
             FROM ind_bmo_bassin WHERE kind = ? AND code = ? AND annee = ? ORDER BY part_communes DESC, projets DESC",
        )?
        .query_map(duckdb::params![kind, code, annee], |r| {
            let projets: Option<i64> = r.get(3)?;
            Ok(BmoBassin {
                code: r.get(0)?,
                libelle: r.get(1)?,
                part_pct: r.get::<_, f64>(2)? * 100.0,
                projets,
                part_difficiles: pct(r.get(4)?, r.get(5)?, MIN_BASE_DIFFICILES),
                part_saisonniers: pct(r.get(6)?, projets, MIN_BASE_DIFFICILES),
                cellules_secretes: r.get(7)?,
                principal: r.get(8)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let total = conn.query_row(
        "SELECT sum(projets), sum(difficiles), sum(base_difficiles), sum(saisonniers), sum(cellules_secretes),
                count(*) FILTER (WHERE suppression = 'secret')
         FROM ind_bmo_metier WHERE kind = ? AND code = ? AND annee = ?",
        duckdb::params![kind, code, annee],
        |r| {
            let projets: Option<i64> = r.get(0)?;
            Ok(BmoTotal {
                annee,
                projets: projets.unwrap_or(0),
                part_difficiles: pct(r.get(1)?, r.get(2)?, MIN_BASE_DIFFICILES),
                part_saisonniers: pct(r.get(3)?, projets, MIN_BASE_DIFFICILES),
                cellules_secretes: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                metiers_secrets: r.get(5)?,
            })
        },
    )?;
    let metiers = conn
        .prepare(
            "SELECT metier, metier_libelle, famille_libelle, projets, difficiles, base_difficiles, suppression
             FROM ind_bmo_metier WHERE kind = ? AND code = ? AND annee = ? AND projets IS NOT NULL
             ORDER BY projets DESC, metier LIMIT 20",
        )?
        .query_map(duckdb::params![kind, code, annee], |r| {
            Ok(BmoMetier {
                code: r.get(0)?,
                libelle: r.get(1)?,
                famille: r.get(2)?,
                projets: r.get(3)?,
                part_difficiles: pct(r.get(4)?, r.get(5)?, MIN_BASE_DIFFICILES),
                suppression: r.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((Some(total), bassins, metiers))
}

pub(super) fn offres(conn: &Connection, kind: &str, code: &str) -> anyhow::Result<Option<Offres>> {
    let total = conn
        .prepare(
            "SELECT offres, offres_sans_commune, strftime(periode_debut, '%d/%m/%Y'), strftime(periode_fin, '%d/%m/%Y'),
                    source_id
             FROM ind_offres_total WHERE kind = ? AND code = ?",
        )?
        .query_map([kind, code], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?))
        })?
        .next()
        .transpose()?;
    let Some((total, sans_commune, debut, fin, sources)) = total else {
        return Ok(None);
    };
    let all: Vec<OffreMetier> = conn
        .prepare(
            "SELECT rome, coalesce(rome_libelle, rome), offres, postes, cdi FROM ind_offres_metier
             WHERE kind = ? AND code = ? ORDER BY offres DESC, rome",
        )?
        .query_map([kind, code], |r| {
            let offres: i64 = r.get(2)?;
            Ok(OffreMetier {
                rome: r.get(0)?,
                libelle: r.get(1)?,
                offres,
                postes: r.get(3)?,
                part_cdi: r.get::<_, i64>(4)? as f64 * 100.0 / offres as f64,
            })
        })?
        .collect::<Result<_, _>>()?;
    let (metiers, autres): (Vec<_>, Vec<_>) = all.into_iter().partition(|m| m.offres >= MIN_OFFRES);
    Ok(Some(Offres {
        total,
        sans_commune,
        sources: sources.split(',').map(str::to_string).collect(),
        debut,
        fin,
        metiers_publies: metiers.len() as i64,
        autres_metiers: autres.len() as i64,
        autres_offres: autres.iter().map(|m| m.offres).sum(),
        metiers: metiers.into_iter().take(25).collect(),
    }))
}
