//! Custom territories of `config.toml` (`[[territories]]`, kind `custom`) and the followed list.
//! Re-synchronised on every start from the configuration, in one transaction: an unknown commune
//! or zone code is an error naming it, and nothing is changed.
use anyhow::{bail, Result};
use duckdb::{params, Connection};

use crate::config::Config;

pub fn sync(conn: &mut Connection, cfg: &Config) -> Result<()> {
    let tx = conn.transaction()?;
    let before = digest(&tx, DIGEST)?;
    tx.execute_batch(
        "DELETE FROM territory_commune WHERE kind = 'custom';
         DELETE FROM territory WHERE kind = 'custom';
         DELETE FROM ref_custom_territory;
         CREATE OR REPLACE TEMP TABLE custom_decl (id VARCHAR, what VARCHAR, code VARCHAR);",
    )?;
    {
        let mut app = tx.appender("custom_decl")?;
        for t in &cfg.territories {
            for c in &t.communes {
                app.append_row(params![t.id, "commune", c])?;
            }
            for z in &t.zones_emploi {
                app.append_row(params![t.id, "ze", z])?;
            }
        }
        app.flush()?;
    }
    let unknown: Vec<(String, String, String)> = tx
        .prepare(
            "SELECT d.id, d.what, d.code FROM custom_decl d
             LEFT JOIN ref_commune_alias a ON d.what = 'commune' AND a.code = d.code
             LEFT JOIN ref_zone_emploi z ON d.what = 'ze' AND z.code = d.code
             WHERE a.code IS NULL AND z.code IS NULL ORDER BY d.id, d.what, d.code",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    if let Some((id, what, code)) = unknown.first() {
        let what = if what == "ze" {
            "zone d'emploi"
        } else {
            "commune"
        };
        let more = match unknown.len() {
            1 => String::new(),
            n => format!(" (et {} autre(s) code(s) inconnu(s))", n - 1),
        };
        bail!("[[territories]] {id} : {what} {code} inconnue du référentiel (COG 2023, zones d'emploi 2020){more}");
    }
    for t in &cfg.territories {
        let followed = cfg
            .observatory
            .followed
            .iter()
            .any(|f| f == &format!("custom:{}", t.id));
        tx.execute(
            "INSERT INTO ref_custom_territory VALUES (?, ?, ?, ?, ?)",
            params![
                t.id,
                t.name,
                t.communes.len() as i64,
                t.zones_emploi.len() as i64,
                followed
            ],
        )?;
        tx.execute(
            "INSERT INTO territory VALUES ('custom', ?, ?, 0)",
            params![t.id, t.name],
        )?;
    }
    tx.execute_batch(
        "INSERT INTO territory_commune
         SELECT DISTINCT 'custom', d.id, coalesce(a.commune, c.code) FROM custom_decl d
         LEFT JOIN ref_commune_alias a ON d.what = 'commune' AND a.code = d.code
         LEFT JOIN ref_commune c ON d.what = 'ze' AND c.ze2020 = d.code
         WHERE coalesce(a.commune, c.code) IS NOT NULL;
         UPDATE territory SET nb_communes = (SELECT count(*) FROM territory_commune t
             WHERE t.kind = 'custom' AND t.code = territory.code) WHERE kind = 'custom';
         DROP TABLE custom_decl;",
    )?;
    if digest(&tx, DIGEST)? != before {
        crate::store::changes::mark_changed(&tx, "config:territories")?;
    }
    tx.commit()?;
    Ok(())
}

const DIGEST: &str = "SELECT (SELECT coalesce(sum(hash(code, commune)), 0) FROM territory_commune WHERE kind = 'custom')::VARCHAR
    || '/' || (SELECT coalesce(sum(hash(code, libelle)), 0) FROM territory WHERE kind = 'custom')::VARCHAR";

/// A digest of some referential rows: a changed configuration marks the derived tables stale.
pub fn digest(conn: &Connection, sql: &str) -> Result<String> {
    Ok(conn.query_row(sql, [], |r| r.get(0))?)
}
