//! Unemployment rate per zone d'emploi (INSEE publishes it at that level only; rates are not
//! summed across zones because the labour-force weights are not published with them).
use anyhow::Result;
use duckdb::Connection;

pub fn refresh(conn: &Connection) -> Result<()> {
    super::sql::run(
        conn,
        "DELETE FROM ind_chomage;
         INSERT INTO ind_chomage SELECT 'ze', ze2020, trimestre, taux, source_id FROM raw_chomage_ze;",
    )?;
    Ok(())
}
