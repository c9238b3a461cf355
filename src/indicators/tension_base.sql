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
GROUP BY b.kind, b.code, x.fap2009
UNION ALL
-- a filière: the BMO families (FAP 2021) that at least one of its métiers belongs to
SELECT b.kind, b.code, 'filiere', ff.filiere, any_value(f.libelle), sum(b.projets), sum(b.difficiles),
    sum(b.base_difficiles), sum(b.saisonniers), bool_and(coalesce(b.suppression = 'secret', false)), any_value(b.source_id)
FROM ind_bmo_metier b
JOIN (SELECT DISTINCT r.filiere, x.fap2021 FROM ref_filiere_rome r
      JOIN ref_rome_fap x ON x.rome = r.rome AND x.qualification = '0' WHERE x.fap2021 IS NOT NULL) ff
    ON ff.fap2021 = b.metier
JOIN ref_filiere f ON f.id = ff.filiere
WHERE b.annee = (SELECT annee FROM latest)
GROUP BY b.kind, b.code, ff.filiere;

CREATE OR REPLACE TEMP TABLE t_off AS
SELECT kind, code, dimension AS nomenclature, key AS metier, label, offres, n_contrat, part_durables, sources
FROM ind_offres WHERE periode = 'actuel' AND dimension IN ('fap2021', 'fap2009', 'rome', 'filiere') AND key <> '?';

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

-- Jobseekers (categories A, B, C at quarter end, DE_1) and offers (OFF_1) by métier from the
-- Marché du travail collector, latest quarter of each territory; ROME aggregated to FAP families.
CREATE OR REPLACE TEMP TABLE t_de AS
WITH q AS (SELECT kind, code, max(periode) AS periode FROM raw_mdt WHERE indicateur = 'DE_1' GROUP BY ALL),
m AS (SELECT r.kind, r.code, r.activite AS rome,
          sum(r.nombre) FILTER (WHERE r.indicateur = 'DE_1' AND r.nomenclature IN ('A', 'B', 'C')) AS de,
          sum(r.nombre) FILTER (WHERE r.indicateur = 'OFF_1') AS offres
      FROM raw_mdt r JOIN q ON q.kind = r.kind AND q.code = r.code AND q.periode = r.periode
      WHERE r.indicateur IN ('DE_1', 'OFF_1') GROUP BY ALL)
SELECT m.kind, m.code, 'rome' AS nomenclature, m.rome AS metier, m.de, m.offres FROM m
UNION ALL SELECT m.kind, m.code, 'fap2021', f.fap2021, sum(m.de), sum(m.offres) FROM m
    JOIN ref_rome_fap f ON f.rome = m.rome AND f.qualification = '0' WHERE f.fap2021 IS NOT NULL GROUP BY ALL
UNION ALL SELECT m.kind, m.code, 'fap2009', f.fap2009, sum(m.de), sum(m.offres) FROM m
    JOIN ref_rome_fap f ON f.rome = m.rome AND f.qualification = '0' WHERE f.fap2009 IS NOT NULL GROUP BY ALL
UNION ALL SELECT m.kind, m.code, 'filiere', r.filiere, sum(m.de), sum(m.offres) FROM m
    JOIN ref_filiere_rome r ON r.rome = m.rome GROUP BY ALL;
-- which territories the collector covers at all (to say why a component is absent)
CREATE OR REPLACE TEMP TABLE t_de_scope AS SELECT DISTINCT kind, code FROM raw_mdt;

CREATE OR REPLACE TEMP TABLE tension_base AS
WITH keys AS (
    SELECT kind, code, nomenclature, metier FROM t_bmo
    UNION SELECT kind, code, nomenclature, metier FROM t_off
    UNION SELECT kind, code, nomenclature, metier FROM t_de),
labels AS (
    SELECT 'rome' AS nomenclature, code AS metier, libelle FROM ref_rome
    UNION ALL SELECT 'fap2021', fap228, any_value(fap228_libelle) FROM ref_fap2021 GROUP BY fap228
    UNION ALL SELECT 'fap2009', fap225, any_value(fap225_libelle) FROM ref_fap2009_rome_v3 GROUP BY fap225
    UNION ALL SELECT 'filiere', id, libelle FROM ref_filiere),
rows AS (
    -- a ROME row carries the BMO figures of its FAP 2021 family (`via`)
    SELECT k.kind, k.code, k.nomenclature, k.metier, coalesce(o.label, b.label, l.libelle) AS label,
        b.projets, b.difficiles, b.base_difficiles, b.saisonniers, b.secret AS bmo_secret, b.source_id AS bmo_source,
        CASE WHEN k.nomenclature = 'rome' THEN f.fap2021 END AS via,
        o.offres, o.n_contrat, o.part_durables, o.sources AS offres_sources
    FROM keys k
    LEFT JOIN ref_rome_fap f ON k.nomenclature = 'rome' AND f.rome = k.metier AND f.qualification = '0'
    LEFT JOIN t_bmo b ON b.kind = k.kind AND b.code = k.code
        AND b.nomenclature = CASE WHEN k.nomenclature = 'rome' THEN 'fap2021' ELSE k.nomenclature END
        AND b.metier = CASE WHEN k.nomenclature = 'rome' THEN f.fap2021 ELSE k.metier END
    LEFT JOIN t_off o ON o.kind = k.kind AND o.code = k.code AND o.nomenclature = k.nomenclature AND o.metier = k.metier
    LEFT JOIN labels l ON l.nomenclature = k.nomenclature AND l.metier = k.metier
),
fap AS (
    SELECT r.*, CASE r.nomenclature WHEN 'fap2009' THEN r.metier WHEN 'fap2021' THEN x.fap2009 ELSE f.fap2009 END AS dares_fap
    FROM rows r
    LEFT JOIN ref_fap2021_fap2009 x ON r.nomenclature = 'fap2021' AND x.fap2021 = r.metier
    LEFT JOIN ref_rome_fap f ON r.nomenclature = 'rome' AND f.rome = r.metier AND f.qualification = '0'
)
SELECT fap.*, d.cat AS dares_category, de.de AS demandeurs, de.offres AS offres_mdt,
    s.kind IS NOT NULL AS mdt_collecte
FROM fap
LEFT JOIN t_dares d ON d.kind = fap.kind AND d.code = fap.code AND d.fap = fap.dares_fap
LEFT JOIN t_de de ON de.kind = fap.kind AND de.code = fap.code AND de.nomenclature = fap.nomenclature
    AND de.metier = fap.metier
LEFT JOIN t_de_scope s ON s.kind = fap.kind AND s.code = fap.code;
DROP TABLE t_bmo; DROP TABLE t_off; DROP TABLE t_dares; DROP TABLE t_de; DROP TABLE t_de_scope;
