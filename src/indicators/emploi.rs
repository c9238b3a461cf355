//! Private-sector salaried employment (URSSAF, seasonally adjusted) per territory and quarter,
//! and its dynamics (`/methodologie#urssaf`).
//!
//! Published by zone d'emploi: the regionalised parts of a zone are summed (the measures are
//! additive). France is the sum of all zones; a custom territory made of whole zones d'emploi is
//! the sum of its zones (one with part of a zone gets no figure rather than a guess). Départements,
//! bassins and régions do not nest zones: no level is published for them. For comparison only, a
//! zone's growth is set beside France's and its région's, the latter computed over the zones whose
//! communes lie mostly in that région (said so on the pages).
use anyhow::Result;
use duckdb::Connection;

pub fn refresh(conn: &Connection) -> Result<()> {
    super::sql::run(conn, &format!(
        "DELETE FROM ind_emploi_salarie;
         DELETE FROM ind_emploi_dynamique;
         CREATE OR REPLACE TEMP TABLE emp_ze AS
         SELECT ze2020 AS ze, annee * 4 + trimestre - 1 AS q, annee || '-T' || trimestre AS trimestre,
             sum(effectifs_cvs) AS e, any_value(source_id) AS source_id
         FROM raw_urssaf_ze WHERE effectifs_cvs IS NOT NULL GROUP BY ze2020, annee, trimestre;
         -- whole zones of each custom territory; the territory counts only if all its zones are whole
         CREATE OR REPLACE TEMP TABLE emp_custom AS {custom};
         CREATE OR REPLACE TEMP TABLE emp_all AS
         SELECT 'ze' AS kind, ze AS code, q, trimestre, e, source_id FROM emp_ze
         UNION ALL SELECT 'fr', 'FR', q, trimestre, sum(e), any_value(source_id) FROM emp_ze GROUP BY q, trimestre
         UNION ALL SELECT 'custom', c.code, z.q, z.trimestre, sum(z.e), any_value(z.source_id)
             FROM emp_custom c JOIN emp_ze z USING (ze) GROUP BY c.code, z.q, z.trimestre;
         INSERT INTO ind_emploi_salarie SELECT kind, code, trimestre, e, source_id FROM emp_all;

         -- the région of most of a territory's communes
         CREATE OR REPLACE TEMP TABLE emp_region AS
         SELECT t.kind, t.code, mode(c.region ORDER BY c.region) AS region FROM territory_commune t
         JOIN ref_commune c ON c.code = t.commune WHERE t.kind IN ('ze', 'custom') GROUP BY ALL;
         CREATE OR REPLACE TEMP TABLE emp_reg AS
         SELECT r.region, z.q, sum(z.e) AS e FROM emp_ze z
         JOIN emp_region r ON r.kind = 'ze' AND r.code = z.ze GROUP BY ALL;
         INSERT INTO ind_emploi_dynamique
         WITH last AS (SELECT kind, code, max(q) AS q FROM emp_all GROUP BY ALL)
         SELECT a.kind, a.code, a.trimestre, a.e,
             a.e / y1.e - 1, a.e / y5.e - 1,
             rn.e / r1.e - 1, rn.e / r5.e - 1,
             fn.e / f1.e - 1, fn.e / f5.e - 1,
             reg.region, a.source_id
         FROM emp_all a JOIN last USING (kind, code, q)
         LEFT JOIN emp_all y1 ON y1.kind = a.kind AND y1.code = a.code AND y1.q = a.q - 4
         LEFT JOIN emp_all y5 ON y5.kind = a.kind AND y5.code = a.code AND y5.q = a.q - 20
         LEFT JOIN emp_region reg ON reg.kind = a.kind AND reg.code = a.code
         LEFT JOIN emp_reg rn ON rn.region = reg.region AND rn.q = a.q
         LEFT JOIN emp_reg r1 ON r1.region = reg.region AND r1.q = a.q - 4
         LEFT JOIN emp_reg r5 ON r5.region = reg.region AND r5.q = a.q - 20
         LEFT JOIN emp_all fn ON fn.kind = 'fr' AND fn.q = a.q
         LEFT JOIN emp_all f1 ON f1.kind = 'fr' AND f1.q = a.q - 4
         LEFT JOIN emp_all f5 ON f5.kind = 'fr' AND f5.q = a.q - 20;
         DROP TABLE emp_reg; DROP TABLE emp_region; DROP TABLE emp_all; DROP TABLE emp_custom; DROP TABLE emp_ze;",
        custom = super::CUSTOM_WHOLE_ZONES
    ))?;
    Ok(())
}
