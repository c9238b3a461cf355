//! Private-sector salaried employment (URSSAF, seasonally adjusted) per zone d'emploi and quarter.
//! The regionalised parts of a zone are summed (the measures are additive).
use anyhow::Result;
use duckdb::Connection;

pub fn refresh(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM ind_emploi_salarie;
         INSERT INTO ind_emploi_salarie
         SELECT 'ze', ze2020, annee || '-T' || trimestre, sum(effectifs_cvs), any_value(source_id)
         FROM raw_urssaf_ze WHERE effectifs_cvs IS NOT NULL GROUP BY ze2020, annee, trimestre;",
    )?;
    Ok(())
}
