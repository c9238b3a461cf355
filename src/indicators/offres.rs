//! Job offers per territory and ROME 4.0 métier: open offers (not closed), positions, CDI. The
//! same job published on several sources counts once (see [`doublons`](super::doublons)).
use anyhow::Result;
use duckdb::Connection;

pub fn refresh(conn: &Connection) -> Result<()> {
    super::doublons::refresh(conn)?;
    conn.execute_batch(
        "DELETE FROM ind_offres_metier;
         DELETE FROM ind_offres_total;
         CREATE OR REPLACE TEMP TABLE offres_scope AS
         SELECT t.kind, t.code, o.* FROM raw_ft_offre o
         JOIN territory_commune t ON t.commune = o.commune
         LEFT JOIN ind_offre_cluster c ON c.offre_id = o.id
         WHERE o.closed_at IS NULL AND (c.cluster_id IS NULL OR c.cluster_id = o.id);
         INSERT INTO ind_offres_metier
         SELECT s.kind, s.code, coalesce(s.rome, '?'), any_value(r.libelle), count(*), sum(s.nombre_postes),
             count(*) FILTER (WHERE s.type_contrat = 'CDI'),
             min(s.date_creation)::DATE, max(s.date_creation)::DATE,
             string_agg(DISTINCT s.source_id, ',' ORDER BY s.source_id)
         FROM offres_scope s LEFT JOIN ref_rome r ON r.code = s.rome
         GROUP BY s.kind, s.code, coalesce(s.rome, '?');
         INSERT INTO ind_offres_total
         SELECT s.kind, s.code, count(*),
             (SELECT count(*) FROM raw_ft_offre WHERE commune IS NULL AND closed_at IS NULL),
             min(s.date_creation)::DATE, max(s.date_creation)::DATE,
             string_agg(DISTINCT s.source_id, ',' ORDER BY s.source_id)
         FROM offres_scope s GROUP BY s.kind, s.code;
         DROP TABLE offres_scope;",
    )?;
    Ok(())
}
