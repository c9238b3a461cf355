//! Job offers per territory and ROME 4.0 métier: offers still open (not closed), positions, CDI.
use anyhow::Result;
use duckdb::Connection;

pub fn refresh(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM ind_offres_metier;
         DELETE FROM ind_offres_total;
         CREATE OR REPLACE TEMP TABLE offres_scope AS
         SELECT t.kind, t.code, o.* FROM raw_ft_offre o
         JOIN territory_commune t ON t.commune = o.commune
         WHERE o.closed_at IS NULL;
         INSERT INTO ind_offres_metier
         SELECT s.kind, s.code, coalesce(s.rome, '?'), any_value(r.libelle), count(*), sum(s.nombre_postes),
             count(*) FILTER (WHERE s.type_contrat = 'CDI'),
             min(s.date_creation)::DATE, max(s.date_creation)::DATE, any_value(s.source_id)
         FROM offres_scope s LEFT JOIN ref_rome r ON r.code = s.rome
         GROUP BY s.kind, s.code, coalesce(s.rome, '?');
         INSERT INTO ind_offres_total
         SELECT s.kind, s.code, count(*),
             (SELECT count(*) FROM raw_ft_offre WHERE commune IS NULL AND closed_at IS NULL),
             min(s.date_creation)::DATE, max(s.date_creation)::DATE, any_value(s.source_id)
         FROM offres_scope s GROUP BY s.kind, s.code;
         DROP TABLE offres_scope;",
    )?;
    Ok(())
}
