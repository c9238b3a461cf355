//! Métier crosswalks that make the sources meet: FAP 2021 (BMO) → FAP 2009 (DARES tensions) and
//! ROME 4.0 × qualification level (offers) → FAP 2009 → FAP 2021, built by
//! `data/crosswalks/build_*.py` (rules and hand-reviewed choices in `data/README.md`); and the
//! ROME 4.0 mobility links between métiers.
use std::path::Path;

use anyhow::Result;
use duckdb::Connection;

use crate::collect::{csv, exec};

pub const FAP_FILE: &str = "fap2021_fap2009.csv.gz";
pub const ROME_FILE: &str = "rome4_fap.csv.gz";
pub const MOBILITE_FILE: &str = "unix_rubrique_mobilite_v460_utf8.csv.gz";

pub fn load(conn: &Connection, dir: &Path) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM ref_fap2021_fap2009; DELETE FROM ref_rome_fap; DELETE FROM ref_rome_mobilite;",
    )?;
    let fap = dir.join(FAP_FILE);
    exec(
        conn,
        &format!(
            "INSERT INTO ref_fap2021_fap2009 SELECT fap2021, fap2021_libelle, nullif(fap2009, ''),
             nullif(fap2009_libelle, ''), methode, nullif(note, '') FROM {}",
            csv(&fap)
        ),
        &fap,
    )?;
    let rome = dir.join(ROME_FILE);
    exec(conn, &format!(
        "INSERT INTO ref_rome_fap SELECT rome, qualification, nullif(fap2009, ''), nullif(fap2021, '')
         FROM {}", csv(&rome)), &rome)?;
    let mob = dir.join(MOBILITE_FILE);
    exec(conn, &format!(
        "INSERT INTO ref_rome_mobilite SELECT code_rome, code_rome_cible, min(CAST(numero_ordre AS INTEGER))
         FROM {} WHERE code_rome <> code_rome_cible GROUP BY 1, 2", csv(&mob)), &mob)?;
    Ok(())
}

/// Crosswalk coverage, for `status` and the notes: share of BMO projects and of open offers that
/// reach a FAP 2009 and a FAP 2021 code, and the codes that do not.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Coverage {
    pub bmo_projets: i64,
    pub bmo_projets_fap2009: i64,
    pub bmo_unmapped: Vec<String>,
    pub offres: i64,
    pub offres_fap2009: i64,
    pub offres_fap2021: i64,
    pub rome_unmapped: Vec<String>,
}

pub fn coverage(conn: &Connection) -> Result<Coverage> {
    let (bmo_projets, bmo_projets_fap2009): (i64, i64) = conn.query_row(
        "SELECT coalesce(sum(b.projets), 0), coalesce(sum(b.projets) FILTER (WHERE x.fap2009 IS NOT NULL), 0)
         FROM raw_bmo b LEFT JOIN ref_fap2021_fap2009 x ON x.fap2021 = b.metier",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let bmo_unmapped = conn
        .prepare(
            "SELECT DISTINCT b.metier FROM raw_bmo b LEFT JOIN ref_fap2021_fap2009 x ON x.fap2021 = b.metier
             WHERE x.fap2009 IS NULL ORDER BY 1",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let (offres, offres_fap2009, offres_fap2021): (i64, i64, i64) = conn.query_row(
        "SELECT count(*), count(f.fap2009), count(f.fap2021) FROM raw_ft_offre o
         LEFT JOIN ref_rome_fap f ON f.rome = o.rome AND f.qualification = coalesce(o.qualification_code, '0')
         WHERE o.closed_at IS NULL",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let rome_unmapped = conn
        .prepare(
            "SELECT DISTINCT coalesce(o.rome, 'sans code') FROM raw_ft_offre o
             LEFT JOIN ref_rome_fap f ON f.rome = o.rome AND f.qualification = coalesce(o.qualification_code, '0')
             WHERE o.closed_at IS NULL AND f.fap2021 IS NULL ORDER BY 1",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(Coverage {
        bmo_projets,
        bmo_projets_fap2009,
        bmo_unmapped,
        offres,
        offres_fap2009,
        offres_fap2021,
        rome_unmapped,
    })
}
