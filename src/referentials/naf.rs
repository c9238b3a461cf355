//! NAF rév. 2: sous-classes with every aggregation level, and the labels of every level.
use std::path::Path;

use anyhow::Result;
use duckdb::Connection;

use crate::collect::{count, csv, exec, record_source};

pub fn load(conn: &Connection, dir: &Path) -> Result<()> {
    let sc = dir.join("naf_rev2_sous_classes_agregats.csv.gz");
    exec(conn, &format!(
        "INSERT INTO ref_naf SELECT code_naf, libelle_naf, classe_a615, groupe_a272, a129, division_a88, a64, a38,
             section_a21, a10 FROM {}", csv(&sc)), &sc)?;
    let agg = dir.join("naf_rev2_niveaux_agreges_libelles.csv.gz");
    exec(conn, &format!(
        "INSERT INTO ref_naf_libelle SELECT niveau, code, any_value(libelle) FROM {} GROUP BY 1, 2", csv(&agg)), &agg)?;
    let all = dir.join("naf_rev2_libelles_tous_niveaux.csv.gz");
    exec(
        conn,
        &format!(
            "INSERT INTO ref_naf_libelle
         SELECT CASE WHEN code LIKE 'SECTION %' THEN 'section'
                     WHEN length(code) = 2 THEN 'division'
                     WHEN length(code) = 4 THEN 'groupe'
                     WHEN length(code) = 5 THEN 'classe'
                     ELSE 'sous-classe' END,
                replace(code, 'SECTION ', ''), any_value(libelle)
         FROM {} GROUP BY 1, 2",
            csv(&all)
        ),
        &all,
    )?;
    let n = count(conn, "SELECT count(*) FROM ref_naf")?;
    record_source(conn, &super::SOURCE_NAF, n, None)?;
    Ok(())
}
