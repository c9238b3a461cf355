-- Tension score, level and components from tension_base (see tension.rs for the method).
-- the levels of the build being replaced, for the alerts (métiers entering or leaving tension);
-- kept as they were when the table is empty (first build, or a build that failed before)
CREATE OR REPLACE TEMP TABLE t_prev AS
SELECT kind, code, nomenclature, metier, label, level, now()::TIMESTAMP AS built_at FROM ind_tension;
DELETE FROM ind_tension_previous WHERE (SELECT count(*) FROM t_prev) > 0;
INSERT INTO ind_tension_previous SELECT * FROM t_prev;
DROP TABLE t_prev;
DELETE FROM ind_tension;
DELETE FROM ind_tension_reference;
-- component values, published only on a base of >= {MIN_BASE}
CREATE OR REPLACE TEMP TABLE t_comp AS
SELECT *,
    CASE WHEN NOT coalesce(bmo_secret, false) AND base_difficiles >= {MIN_BASE}
         THEN 100.0 * difficiles / base_difficiles END AS v_diff,
    CASE WHEN demandeurs >= {MIN_BASE} THEN offres_mdt / demandeurs END AS v_off,
    NULL::DOUBLE AS v_sort,
    CASE WHEN n_contrat >= {MIN_BASE} THEN 100.0 * (1 - part_durables) END AS v_nondur,
    CASE WHEN NOT coalesce(bmo_secret, false) AND projets >= {MIN_BASE}
         THEN 100.0 * saisonniers / projets END AS v_saison,
    CASE WHEN via IS NULL THEN 'BMO France Travail' ELSE 'BMO France Travail (famille FAP 2021 ' || via || ')' END AS bmo_label,
    'Offres d''emploi (' || coalesce(offres_sources, 'aucune') || ')' AS offres_label
FROM tension_base;
DROP TABLE tension_base;
-- the national reference distribution of each component (France × métier, same nomenclature),
-- rounded so that a parallel aggregation's last bits never change a result
CREATE OR REPLACE TEMP TABLE t_ref AS
SELECT nomenclature,
    round(avg(v_diff), 6) AS m_diff, nullif(round(stddev_pop(v_diff), 6), 0) AS s_diff, count(v_diff) AS n_diff,
    round(avg(v_off), 6) AS m_off, nullif(round(stddev_pop(v_off), 6), 0) AS s_off, count(v_off) AS n_off,
    round(avg(v_sort), 6) AS m_sort, nullif(round(stddev_pop(v_sort), 6), 0) AS s_sort, count(v_sort) AS n_sort,
    round(avg(v_nondur), 6) AS m_nondur, nullif(round(stddev_pop(v_nondur), 6), 0) AS s_nondur, count(v_nondur) AS n_nondur,
    round(avg(v_saison), 6) AS m_saison, nullif(round(stddev_pop(v_saison), 6), 0) AS s_saison, count(v_saison) AS n_saison
FROM t_comp WHERE kind = 'fr' GROUP BY nomenclature;
CREATE OR REPLACE TEMP TABLE t_z AS
SELECT c.*,
    round(CASE WHEN r.n_diff >= {MIN_REFERENCE} THEN (v_diff - m_diff) / s_diff END, 3) AS z_diff,
    round(CASE WHEN r.n_off >= {MIN_REFERENCE} THEN (v_off - m_off) / s_off END, 3) AS z_off,
    round(CASE WHEN r.n_sort >= {MIN_REFERENCE} THEN (v_sort - m_sort) / s_sort END, 3) AS z_sort,
    round(CASE WHEN r.n_nondur >= {MIN_REFERENCE} THEN (v_nondur - m_nondur) / s_nondur END, 3) AS z_nondur,
    round(CASE WHEN r.n_saison >= {MIN_REFERENCE} THEN (v_saison - m_saison) / s_saison END, 3) AS z_saison
FROM t_comp c LEFT JOIN t_ref r USING (nomenclature);
DROP TABLE t_comp;
-- score: weighted mean of the main components present (weights 0.5 / 0.3 / 0.2 renormalised)
CREATE OR REPLACE TEMP TABLE t_s AS
SELECT *,
    CASE WHEN z_diff IS NOT NULL AND z_off IS NOT NULL AND z_sort IS NOT NULL THEN 'dares'
         WHEN coalesce(z_diff, z_off, z_sort) IS NOT NULL THEN 'tension-partielle-' || concat_ws('-',
             CASE WHEN z_diff IS NOT NULL THEN 'difficultes' END,
             CASE WHEN z_off IS NOT NULL THEN 'offres' END,
             CASE WHEN z_sort IS NOT NULL THEN 'sorties' END) END AS indicator,
    (coalesce(0.5 * z_diff, 0) + coalesce(0.3 * z_off, 0) + coalesce(0.2 * z_sort, 0))
        / nullif((z_diff IS NOT NULL)::INTEGER * 0.5 + (z_off IS NOT NULL)::INTEGER * 0.3
                 + (z_sort IS NOT NULL)::INTEGER * 0.2, 0) AS score
FROM t_z;
DROP TABLE t_z;
-- level 1-5 by the quintiles of the national scores of the same indicator
CREATE OR REPLACE TEMP TABLE t_q AS
SELECT nomenclature, indicator, quantile_cont(score, [0.2, 0.4, 0.6, 0.8]) AS q, count(*) AS n
FROM t_s WHERE kind = 'fr' AND indicator IS NOT NULL
GROUP BY ALL HAVING count(*) >= {MIN_REFERENCE};
INSERT INTO ind_tension_reference
SELECT nomenclature, 'difficultes_recrutement', m_diff, s_diff, n_diff, NULL, NULL, NULL, NULL FROM t_ref
UNION ALL SELECT nomenclature, 'offres_par_demandeur', m_off, s_off, n_off, NULL, NULL, NULL, NULL FROM t_ref
UNION ALL SELECT nomenclature, 'sorties_demandeurs', m_sort, s_sort, n_sort, NULL, NULL, NULL, NULL FROM t_ref
UNION ALL SELECT nomenclature, 'non_durabilite_offres', m_nondur, s_nondur, n_nondur, NULL, NULL, NULL, NULL FROM t_ref
UNION ALL SELECT nomenclature, 'saisonnalite_projets', m_saison, s_saison, n_saison, NULL, NULL, NULL, NULL FROM t_ref
UNION ALL SELECT nomenclature || ':' || indicator, 'score', NULL, NULL, n, q[1], q[2], q[3], q[4] FROM t_q;
INSERT INTO ind_tension
SELECT s.kind, s.code, s.nomenclature, s.metier, s.label,
    CASE WHEN s.z_diff IS NOT NULL THEN s.indicator END,
    CASE WHEN s.z_diff IS NOT NULL THEN round(s.score, 3) END,
    CASE WHEN s.z_diff IS NOT NULL AND q.q IS NOT NULL
         THEN 1 + (s.score > q.q[1])::INTEGER + (s.score > q.q[2])::INTEGER
                + (s.score > q.q[3])::INTEGER + (s.score > q.q[4])::INTEGER END,
    round(s.v_diff, 2), s.z_diff, s.base_difficiles,
    CASE WHEN coalesce(s.bmo_secret, false) THEN 'secret statistique BMO : effectifs non publiés'
         WHEN s.v_diff IS NULL THEN 'moins de {MIN_BASE} projets de recrutement BMO dont la difficulté est publiée ('
              || coalesce(s.base_difficiles, 0) || ')'
         WHEN s.z_diff IS NULL THEN 'référence nationale insuffisante pour standardiser' END,
    round(s.v_off, 4), s.z_off, s.demandeurs,
    CASE WHEN s.v_off IS NOT NULL AND s.z_off IS NULL THEN 'référence nationale insuffisante pour standardiser'
         WHEN s.v_off IS NOT NULL THEN NULL
         WHEN s.kind NOT IN ('dep', 'reg', 'fr') THEN 'demandeurs d''emploi par métier publiés par l''API Marché du travail pour les départements, régions et la France seulement (voir le département)'
         WHEN NOT s.mdt_collecte THEN 'demandeurs d''emploi par métier non disponibles : la source Marché du travail (France Travail) n''est pas collectée pour ce territoire'
         ELSE 'moins de {MIN_BASE} demandeurs d''emploi inscrits (' || coalesce(s.demandeurs, 0) || ')' END,
    s.v_sort, s.z_sort, NULL, 'taux de sortie des demandeurs d''emploi par métier : non fourni par l''API Marché du travail',
    round(s.v_nondur, 2), s.z_nondur, s.n_contrat,
    CASE WHEN s.v_nondur IS NULL THEN 'moins de {MIN_BASE} offres au contrat connu (' || coalesce(s.n_contrat, 0) || ')' END,
    round(s.v_saison, 2), s.z_saison, s.projets,
    CASE WHEN coalesce(s.bmo_secret, false) THEN 'secret statistique BMO : effectifs non publiés'
         WHEN s.v_saison IS NULL THEN 'moins de {MIN_BASE} projets de recrutement BMO publiés (' || coalesce(s.projets, 0) || ')' END,
    s.bmo_label, s.offres_label,
    s.offres, s.projets, round(s.dares_category, 1), s.dares_fap,
    CASE WHEN coalesce(s.bmo_secret, false) THEN 'pas de niveau : secret statistique BMO (effectifs non publiés)'
         WHEN s.v_diff IS NULL THEN 'pas de niveau : moins de {MIN_BASE} projets de recrutement BMO dont la difficulté est publiée ('
              || coalesce(s.base_difficiles, 0) || ')'
         WHEN s.z_diff IS NULL OR q.q IS NULL THEN 'pas de niveau : distribution nationale de référence insuffisante' END,
    concat_ws(',', s.bmo_source, s.offres_sources, CASE WHEN s.dares_category IS NOT NULL THEN 'dares-tensions' END),
    'tension'
FROM t_s s LEFT JOIN t_q q ON q.nomenclature = s.nomenclature AND q.indicator = s.indicator;
DROP TABLE t_s; DROP TABLE t_q; DROP TABLE t_ref;
