//! Communes (COG 2023) → zone d'emploi 2020, bassin BMO, département, région; code aliases (old
//! codes through the COG passage table, Paris/Lyon/Marseille arrondissements); the uniform
//! `territory` / `territory_commune` dimension.
use std::path::Path;

use anyhow::Result;
use duckdb::Connection;

use crate::collect::{count, csv, exec, record_source};

pub const COMMUNES_FILE: &str = "ze2020_communes_cog2023.csv.gz";
pub const ZONES_FILE: &str = "ze2020_zones_cog2023.csv.gz";
pub const PASSAGE_FILE: &str = "insee_table_passage_cog2025.csv.gz";
pub const BASSINS_FILE: &str = "bassin_bmo_communes.csv.gz";
pub const BMO_FILE: &str = "bmo_2024_bassin_metier.csv.gz";

pub fn load(conn: &Connection, dir: &Path) -> Result<()> {
    let (communes, zones, passage, bassins, bmo) = (
        dir.join(COMMUNES_FILE),
        dir.join(ZONES_FILE),
        dir.join(PASSAGE_FILE),
        dir.join(BASSINS_FILE),
        dir.join(BMO_FILE),
    );
    // Region and département names: the BMO file names all 18 régions and 101 départements.
    exec(
        conn,
        &format!(
            "INSERT INTO ref_region SELECT REG, any_value(NOM_REG) FROM {} GROUP BY REG",
            csv(&bmo)
        ),
        &bmo,
    )?;
    exec(conn, &format!(
        "INSERT INTO ref_departement SELECT Dept, any_value(NomDept), any_value(REG) FROM {} GROUP BY Dept",
        csv(&bmo)), &bmo)?;
    exec(
        conn,
        &format!(
            "INSERT INTO ref_zone_emploi SELECT ZE2020, LIBZE2020, CAST(NB_COM AS INTEGER) FROM {}",
            csv(&zones)
        ),
        &zones,
    )?;
    exec(conn, &format!(
        "INSERT INTO ref_bassin_bmo
         SELECT code_bassin_BMO, any_value(lib_bassin_BMO), any_value(reg) FROM {} GROUP BY code_bassin_BMO",
        csv(&bassins)), &bassins)?;
    // Bassins of BMO 2024 absent from the commune table (Îles du Nord, Matoury, Aiguillon).
    exec(
        conn,
        &format!(
            "INSERT INTO ref_bassin_bmo SELECT BE24, any_value(NOMBE24), any_value(REG) FROM {}
         WHERE BE24 NOT IN (SELECT code FROM ref_bassin_bmo) GROUP BY BE24",
            csv(&bmo)
        ),
        &bmo,
    )?;
    exec(conn, &format!(
        "INSERT INTO ref_commune
         SELECT c.CODGEO, c.LIBGEO, c.ZE2020, nullif(c.ZE2020_PARTIE_REG, ''), c.DEP, c.REG, b.code_bassin_BMO
         FROM {} c LEFT JOIN {} b ON b.code_commune_insee = c.CODGEO", csv(&communes), csv(&bassins)), &communes)?;

    // Aliases: current codes, then arrondissements municipaux, then old codes of the passage table.
    exec(
        conn,
        "INSERT INTO ref_commune_alias SELECT code, code, 'current' FROM ref_commune",
        &communes,
    )?;
    exec(
        conn,
        &format!(
            "INSERT INTO ref_commune_alias
         SELECT DISTINCT \"Ancien Code Officiel\",
             CASE WHEN \"Ancien Code Officiel\" LIKE '751%' THEN '75056'
                  WHEN \"Ancien Code Officiel\" LIKE '6938%' THEN '69123'
                  ELSE '13055' END, 'arrondissement'
         FROM {} WHERE Niveau = 'ARM'",
            csv(&passage)
        ),
        &passage,
    )?;
    exec(
        conn,
        &format!(
            "INSERT INTO ref_commune_alias
         SELECT \"Ancien Code Officiel\", any_value(\"Code Courant Officiel\"), 'passage'
         FROM {} p
         WHERE Niveau = 'COM' AND \"Code Courant Officiel\" IN (SELECT code FROM ref_commune)
           AND \"Ancien Code Officiel\" NOT IN (SELECT code FROM ref_commune_alias)
         GROUP BY \"Ancien Code Officiel\"",
            csv(&passage)
        ),
        &passage,
    )?;

    // The territory dimension.
    for (kind, col, names) in [
        ("ze", "ze2020", "ref_zone_emploi"),
        ("bassin", "bassin_bmo", "ref_bassin_bmo"),
        ("dep", "departement", "ref_departement"),
        ("reg", "region", "ref_region"),
    ] {
        exec(conn, &format!(
            "INSERT INTO territory_commune SELECT '{kind}', {col}, code FROM ref_commune WHERE {col} IS NOT NULL"),
            &communes)?;
        exec(conn, &format!(
            "INSERT INTO territory SELECT '{kind}', n.code, n.libelle,
                 (SELECT count(*) FROM territory_commune t WHERE t.kind = '{kind}' AND t.code = n.code)
             FROM {names} n"), &communes)?;
    }
    // France, the reference of every comparison
    exec(
        conn,
        "INSERT INTO territory_commune SELECT 'fr', 'FR', code FROM ref_commune",
        &communes,
    )?;
    exec(
        conn,
        "INSERT INTO territory SELECT 'fr', 'FR', 'France', count(*) FROM ref_commune",
        &communes,
    )?;
    let n = count(conn, "SELECT count(*) FROM ref_commune")?;
    record_source(conn, &super::SOURCE_COG, n, Some("2023-01-01"))?;
    let b = count(conn, "SELECT count(*) FROM ref_bassin_bmo")?;
    record_source(conn, &super::SOURCE_BASSINS, b, Some("2024-01-01"))?;
    Ok(())
}
