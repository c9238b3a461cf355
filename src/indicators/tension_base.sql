-- Inputs of the tension indicator per territory × métier (see tension.rs): BMO of the latest
-- survey, open offers, and the DARES 2019 category of the matching FAP 2009.
CREATE OR REPLACE TEMP TABLE t_bmo AS
WITH latest AS (SELECT max(annee) AS annee FROM ind_bmo_metier)
SELECT kind, code, 'fap2021' AS nomenclature, metier, metier_libelle AS label, projets, difficiles,
    base_difficiles, saisonniers, suppression = 'secret' AS secret, source_id
FROM ind_bmo_metier WHERE annee = (SELECT annee FROM latest)
UNION ALL
SELECT b.kind, b.code, 'fap2009', x.fap2009, any_value(x.fap2009_libelle), sum(b.projets), sum(b.difficiles),
    sum(b.base_difficiles), sum(b.saisonniers), bool_and(coalesce(b.suppression = 'secret', false)), any_value(b.source_id)
FROM ind_bmo_metier b JOIN ref_fap2021_fap2009 x ON x.fap2021 = b.metier
WHERE b.annee = (SELECT annee FROM latest) AND x.fap2009 IS NOT NULL
GROUP BY b.kind, b.code, x.fap2009;

CREATE OR REPLACE TEMP TABLE t_off AS
SELECT kind, code, dimension AS nomenclature, key AS metier, label, offres, n_contrat, part_durables, sources
FROM ind_offres WHERE periode = 'actuel' AND dimension IN ('fap2021', 'fap2009', 'rome') AND key <> '?';

-- DARES 2019 published category (FAP 225): France, région, département; zones, bassins and custom
-- territories weight their départements by number of communes.
CREATE OR REPLACE TEMP TABLE t_dares AS
WITH d AS (SELECT trim(niveau_geo) AS geo, region, departement, fap, categorie_tension::DOUBLE AS cat
           FROM raw_dares_tension WHERE niveau_fap = 'fap 225' AND categorie_tension IS NOT NULL),
w AS (SELECT t.kind, t.code, c.departement, count(*) AS n FROM territory_commune t
      JOIN ref_commune c ON c.code = t.commune WHERE t.kind IN ('ze', 'bassin', 'custom') GROUP BY ALL)
SELECT 'fr' AS kind, 'FR' AS code, fap, cat FROM d WHERE geo = 'nat'
UNION ALL SELECT 'reg', region, fap, cat FROM d WHERE geo = 'reg'
UNION ALL SELECT 'dep', departement, fap, cat FROM d WHERE geo = 'dep'
UNION ALL SELECT w.kind, w.code, d.fap, sum(w.n * d.cat) / sum(w.n)
    FROM w JOIN d ON d.geo = 'dep' AND d.departement = w.departement GROUP BY w.kind, w.code, d.fap;

CREATE OR REPLACE TEMP TABLE tension_base AS
WITH rows AS (
    SELECT coalesce(b.kind, o.kind) AS kind, coalesce(b.code, o.code) AS code,
        coalesce(b.nomenclature, o.nomenclature) AS nomenclature, coalesce(b.metier, o.metier) AS metier,
        coalesce(b.label, o.label) AS label, b.projets, b.difficiles, b.base_difficiles, b.saisonniers,
        b.secret AS bmo_secret, b.source_id AS bmo_source, NULL::VARCHAR AS via,
        o.offres, o.n_contrat, o.part_durables, o.sources AS offres_sources
    FROM t_bmo b FULL JOIN (SELECT * FROM t_off WHERE nomenclature <> 'rome') o
        ON o.kind = b.kind AND o.code = b.code AND o.nomenclature = b.nomenclature AND o.metier = b.metier
    UNION ALL
    SELECT o.kind, o.code, 'rome', o.metier, o.label, b.projets, b.difficiles, b.base_difficiles, b.saisonniers,
        b.secret, b.source_id, f.fap2021, o.offres, o.n_contrat, o.part_durables, o.sources
    FROM t_off o
    LEFT JOIN ref_rome_fap f ON f.rome = o.metier AND f.qualification = '0'
    LEFT JOIN t_bmo b ON b.kind = o.kind AND b.code = o.code AND b.nomenclature = 'fap2021' AND b.metier = f.fap2021
    WHERE o.nomenclature = 'rome'
),
fap AS (
    SELECT r.*, CASE r.nomenclature WHEN 'fap2009' THEN r.metier WHEN 'fap2021' THEN x.fap2009 ELSE f.fap2009 END AS dares_fap
    FROM rows r
    LEFT JOIN ref_fap2021_fap2009 x ON r.nomenclature = 'fap2021' AND x.fap2021 = r.metier
    LEFT JOIN ref_rome_fap f ON r.nomenclature = 'rome' AND f.rome = r.metier AND f.qualification = '0'
)
SELECT fap.*, d.cat AS dares_category FROM fap
LEFT JOIN t_dares d ON d.kind = fap.kind AND d.code = fap.code AND d.fap = fap.dares_fap;
DROP TABLE t_bmo; DROP TABLE t_off; DROP TABLE t_dares;
