//! BMO recruitment projects per territory.
//!
//! BMO is published by bassin d'emploi × département × métier (a bassin may span départements).
//! Bassins, départements and régions are therefore exact sums of published cells. A zone d'emploi
//! does not nest bassins: its page lists the bassins that overlap it, with the share of each
//! bassin's communes inside the zone; its métier figures sum its *principal* bassins, those with
//! at least half of their communes in the zone (or, failing any, the one with the largest share).
//! Summing every overlapping bassin would count bassins that lie almost wholly elsewhere. Custom
//! territories follow the zone rule; France sums every cell.
//!
//! Secrecy: a `*` cell is unknown, not zero. Sums are over known cells; `cellules_secretes` counts
//! the unknown ones so pages can say "au moins". The share of difficult projects is computed only
//! on cells where both the projects and the difficult projects are known (`base_difficiles`).
use anyhow::Result;
use duckdb::Connection;

pub fn refresh(conn: &Connection) -> Result<()> {
    super::sql::run(
        conn,
        "DELETE FROM ind_bmo_bassin;
         DELETE FROM ind_bmo_metier;
         -- share of each bassin's communes that lie in each territory
         CREATE OR REPLACE TEMP TABLE bmo_part AS
         WITH bc AS (SELECT bassin_bmo AS bassin, count(*) AS n FROM ref_commune
                     WHERE bassin_bmo IS NOT NULL GROUP BY 1)
         SELECT t.kind, t.code, c.bassin_bmo AS bassin, count(*) / any_value(bc.n) AS part
         FROM territory_commune t JOIN ref_commune c ON c.code = t.commune
         JOIN bc ON bc.bassin = c.bassin_bmo
         GROUP BY t.kind, t.code, c.bassin_bmo;
         -- principal bassins of each zone d'emploi
         CREATE OR REPLACE TEMP TABLE bmo_ze_principal AS
         SELECT kind, code, bassin FROM bmo_part WHERE kind IN ('ze', 'custom')
         QUALIFY part >= 0.5 OR part = max(part) OVER (PARTITION BY kind, code);
         -- every published cell, assigned to the territories it counts for
         CREATE OR REPLACE TEMP TABLE bmo_rows AS
         SELECT 'bassin' AS kind, b.bassin AS code, true AS principal, b.* FROM raw_bmo b
         UNION ALL SELECT 'dep', b.departement, true, b.* FROM raw_bmo b
         UNION ALL SELECT 'reg', b.region, true, b.* FROM raw_bmo b
         UNION ALL SELECT 'fr', 'FR', true, b.* FROM raw_bmo b
         UNION ALL SELECT p.kind, p.code, m.bassin IS NOT NULL, b.* FROM bmo_part p
             JOIN raw_bmo b ON b.bassin = p.bassin
             LEFT JOIN bmo_ze_principal m ON m.kind = p.kind AND m.code = p.code AND m.bassin = p.bassin
             WHERE p.kind IN ('ze', 'custom');

         INSERT INTO ind_bmo_bassin
         SELECT r.kind, r.code, r.annee, r.bassin, any_value(r.bassin_libelle), coalesce(any_value(p.part), 1.0),
             bool_and(r.principal),
             sum(r.projets), sum(CASE WHEN NOT r.projets_secret AND NOT r.difficiles_secret THEN r.difficiles END),
             sum(CASE WHEN NOT r.projets_secret AND NOT r.difficiles_secret THEN r.projets END),
             sum(r.saisonniers), count(*), count(*) FILTER (WHERE r.projets_secret), any_value(r.source_id)
         FROM bmo_rows r LEFT JOIN bmo_part p ON p.kind = r.kind AND p.code = r.code AND p.bassin = r.bassin
         GROUP BY r.kind, r.code, r.annee, r.bassin;

         INSERT INTO ind_bmo_metier
         SELECT kind, code, annee, metier, any_value(metier_libelle), any_value(famille_libelle),
             sum(projets), sum(CASE WHEN NOT projets_secret AND NOT difficiles_secret THEN difficiles END),
             sum(CASE WHEN NOT projets_secret AND NOT difficiles_secret THEN projets END),
             sum(saisonniers), count(*), count(*) FILTER (WHERE projets_secret),
             CASE WHEN count(*) FILTER (WHERE projets_secret) = count(*) THEN 'secret'
                  WHEN count(*) FILTER (WHERE projets_secret) > 0 THEN 'partiel' END,
             any_value(source_id)
         FROM bmo_rows WHERE principal GROUP BY kind, code, annee, metier;
         DROP TABLE bmo_rows;
         DROP TABLE bmo_ze_principal;
         DROP TABLE bmo_part;",
    )?;
    Ok(())
}
