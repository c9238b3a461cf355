-- Skills demand and mobility (see competences.rs).
DELETE FROM ind_competences;
DELETE FROM ind_mobilite;
-- counted offers (one per duplicate cluster) with their breakdown keys
CREATE OR REPLACE TEMP TABLE comp_offre AS
SELECT o.id, o.source_id, o.commune, o.rome, o.naf, o.closed_at IS NULL AS ouverte,
    strftime(coalesce(o.date_creation, o.first_seen), '%Y-%m') AS mois, f.fap2021
FROM raw_ft_offre o
LEFT JOIN ind_offre_cluster k ON k.offre_id = o.id
LEFT JOIN ref_rome_fap f ON f.rome = o.rome AND f.qualification = coalesce(o.qualification_code, '0')
WHERE o.commune IS NOT NULL AND (k.cluster_id IS NULL OR k.cluster_id = o.id);
CREATE OR REPLACE TEMP TABLE comp_dim AS
SELECT id, 'total' AS dimension, 'total' AS key FROM comp_offre WHERE ouverte
UNION ALL SELECT id, 'rome', rome FROM comp_offre WHERE ouverte AND rome IS NOT NULL
UNION ALL SELECT id, 'fap2021', fap2021 FROM comp_offre WHERE ouverte AND fap2021 IS NOT NULL
UNION ALL SELECT DISTINCT id, 'filiere', filiere FROM (
    SELECT o.id, r.filiere FROM comp_offre o JOIN ref_filiere_rome r ON r.rome = o.rome WHERE o.ouverte
    UNION ALL SELECT o.id, n.filiere FROM comp_offre o JOIN ref_filiere_naf n ON n.naf = o.naf WHERE o.ouverte);
-- each source gets a bit (the sources of a cell = bit-or of its offers' bits)
{SOURCE_BITS};
CREATE OR REPLACE TEMP TABLE comp_asked AS
SELECT DISTINCT offre_id AS id, code_ogr FROM raw_ft_offre_competence WHERE code_ogr IS NOT NULL;
-- counts are additive over communes: counted per commune first, then summed per territory
-- (an offer has one commune), so the territories multiply communes, not offers × skills
CREATE OR REPLACE TEMP TABLE comp_commune_base AS
SELECT o.commune, d.dimension, d.key, count(*) AS base, bit_or(1::HUGEINT << s.bit) AS src_mask
FROM comp_dim d JOIN comp_offre o USING (id) JOIN comp_src s ON s.source_id = o.source_id
GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE comp_commune_asked AS
SELECT o.commune, d.dimension, d.key, a.code_ogr, count(*) AS offres
FROM comp_dim d JOIN comp_offre o USING (id) JOIN comp_asked a USING (id)
GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE comp_base AS
SELECT kind, code, dimension, key, base, {SOURCES} AS sources
FROM (SELECT t.kind, t.code, c.dimension, c.key, sum(c.base)::BIGINT AS base, bit_or(c.src_mask) AS src_mask
      FROM comp_commune_base c JOIN territory_commune t ON t.commune = c.commune GROUP BY ALL);
INSERT INTO ind_competences
SELECT c.kind, c.code, c.dimension, c.key, c.code_ogr, r.libelle, CASE WHEN r.kind = 'savoir' THEN 'Savoir' ELSE r.categorie END, 'observee',
    c.offres, b.base, CASE WHEN b.base >= {MIN_OFFERS} THEN c.offres / b.base END, NULL, NULL,
    r.transition_eco = 'O', r.transition_num = 'O', b.sources
FROM (SELECT t.kind, t.code, a.dimension, a.key, a.code_ogr, sum(a.offres)::BIGINT AS offres
      FROM comp_commune_asked a JOIN territory_commune t ON t.commune = a.commune GROUP BY ALL) c
JOIN comp_base b ON b.kind = c.kind AND b.code = c.code AND b.dimension = c.dimension AND b.key = c.key
LEFT JOIN ref_competence r ON r.code_ogr = c.code_ogr;

-- emerging: the last PERIOD_MONTHS months with offers against the PERIOD_MONTHS before
CREATE OR REPLACE TEMP TABLE comp_months AS
SELECT DISTINCT mois FROM comp_offre WHERE mois IS NOT NULL ORDER BY mois DESC;
CREATE OR REPLACE TEMP TABLE comp_period AS
SELECT mois, CASE WHEN rn <= {PERIOD_MONTHS} THEN 'recente' ELSE 'precedente' END AS periode
FROM (SELECT mois, row_number() OVER (ORDER BY mois DESC) AS rn FROM comp_months)
WHERE rn <= 2 * {PERIOD_MONTHS};
-- per commune first, as above
CREATE OR REPLACE TEMP TABLE comp_emerg_commune AS
SELECT o.commune, count(*) FILTER (WHERE p.periode = 'recente') AS n1,
    count(*) FILTER (WHERE p.periode = 'precedente') AS n0, bit_or(1::HUGEINT << s.bit) AS src_mask
FROM comp_offre o JOIN comp_period p ON p.mois = o.mois JOIN comp_src s ON s.source_id = o.source_id
GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE comp_emerg_asked AS
SELECT o.commune, a.code_ogr, count(*) FILTER (WHERE p.periode = 'recente') AS k1,
    count(*) FILTER (WHERE p.periode = 'precedente') AS k0
FROM comp_offre o JOIN comp_period p ON p.mois = o.mois JOIN comp_asked a USING (id)
GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE comp_emerg_base AS
SELECT kind, code, n1, n0, {SOURCES} AS sources
FROM (SELECT t.kind, t.code, sum(c.n1)::BIGINT AS n1, sum(c.n0)::BIGINT AS n0, bit_or(c.src_mask) AS src_mask
      FROM comp_emerg_commune c JOIN territory_commune t ON t.commune = c.commune GROUP BY ALL
      HAVING sum(c.n1) >= {MIN_OFFERS} AND sum(c.n0) >= {MIN_OFFERS});
INSERT INTO ind_competences
SELECT e.kind, e.code, 'total', 'total', e.code_ogr, r.libelle, CASE WHEN r.kind = 'savoir' THEN 'Savoir' ELSE r.categorie END, 'emergente',
    e.k1, b.n1, e.k1 / b.n1, e.k0 / b.n0, round(100 * (e.k1 / b.n1 - e.k0 / b.n0), 2),
    r.transition_eco = 'O', r.transition_num = 'O', b.sources
FROM (SELECT t.kind, t.code, a.code_ogr, sum(a.k1)::BIGINT AS k1, sum(a.k0)::BIGINT AS k0
      FROM comp_emerg_asked a JOIN territory_commune t ON t.commune = a.commune GROUP BY ALL) e
JOIN comp_emerg_base b USING (kind, code)
LEFT JOIN ref_competence r ON r.code_ogr = e.code_ogr
WHERE e.k1 >= {MIN_EMERGING};

-- (weights are DECIMAL: a parallel sum is exact, so a rebuild gives the same table bit for bit)
-- structural: each FAP 2021 family's skill profile (its ROME métiers weighted equally, core skills
-- double; its 40 heaviest skills), weighted by the territory's BMO projects of that family
CREATE OR REPLACE TEMP TABLE comp_profile AS
WITH fr AS (SELECT DISTINCT fap2021, rome FROM ref_rome_fap WHERE qualification = '0' AND fap2021 IS NOT NULL),
     w AS (SELECT fap2021, rome, CAST(1.0 / count(*) OVER (PARTITION BY fap2021) AS DECIMAL(18, 9)) AS w FROM fr)
SELECT w.fap2021, l.code_ogr, sum(w.w * CASE WHEN l.coeur_metier THEN 2 ELSE 1 END) AS poids
FROM w JOIN ref_rome_competence l ON l.code_rome = w.rome
JOIN ref_competence c ON c.code_ogr = l.code_ogr
GROUP BY w.fap2021, l.code_ogr
QUALIFY row_number() OVER (PARTITION BY w.fap2021 ORDER BY poids DESC, l.code_ogr) <= 40;
CREATE OR REPLACE TEMP TABLE comp_struct AS
SELECT b.kind, b.code, p.code_ogr, sum(b.projets * p.poids) AS poids, any_value(b.source_id) AS source_id
FROM ind_bmo_metier b JOIN comp_profile p ON p.fap2021 = b.metier
WHERE b.annee = (SELECT max(annee) FROM ind_bmo_metier) AND b.projets > 0
GROUP BY ALL;
INSERT INTO ind_competences
SELECT s.kind, s.code, 'total', 'total', s.code_ogr, r.libelle, CASE WHEN r.kind = 'savoir' THEN 'Savoir' ELSE r.categorie END, 'structurelle', NULL, NULL,
    round(CAST(s.poids / sum(s.poids) OVER (PARTITION BY s.kind, s.code) AS DOUBLE), 6), NULL,
    CAST(round(s.poids, 2) AS DOUBLE),
    r.transition_eco = 'O', r.transition_num = 'O', s.source_id || ',ft-rome4'
FROM comp_struct s JOIN ref_competence r ON r.code_ogr = s.code_ogr
QUALIFY row_number() OVER (PARTITION BY s.kind, s.code ORDER BY s.poids DESC, s.code_ogr) <= {TOP_STRUCTURAL};

-- transferable: core skills shared by at least two métiers of level >= 4
INSERT INTO ind_competences
SELECT t.kind, t.code, 'tension', 'niveau-4-et-plus', l.code_ogr, any_value(r.libelle), any_value(CASE WHEN r.kind = 'savoir' THEN 'Savoir' ELSE r.categorie END),
    'transferable', count(DISTINCT t.metier), NULL, NULL, NULL, NULL,
    any_value(r.transition_eco = 'O'), any_value(r.transition_num = 'O'), 'ft-rome4,ft-bmo'
FROM ind_tension t JOIN ref_rome_competence l ON l.code_rome = t.metier AND l.coeur_metier
JOIN ref_competence r ON r.code_ogr = l.code_ogr
WHERE t.nomenclature = 'rome' AND t.level >= 4
GROUP BY t.kind, t.code, l.code_ogr HAVING count(DISTINCT t.metier) >= 2;

-- mobility: the ROME's own links, with the skills the two métiers share (and their Jaccard share)
INSERT INTO ind_mobilite
WITH n AS (SELECT code_rome, count(*) AS n FROM ref_rome_competence GROUP BY 1)
SELECT m.code_rome, m.code_rome_cible, m.ordre, count(b.code_ogr),
    round(count(b.code_ogr) / nullif(any_value(na.n) + any_value(nb.n) - count(b.code_ogr), 0), 4), 'ft-rome4'
FROM ref_rome_mobilite m
LEFT JOIN ref_rome_competence a ON a.code_rome = m.code_rome
LEFT JOIN ref_rome_competence b ON b.code_rome = m.code_rome_cible AND b.code_ogr = a.code_ogr
LEFT JOIN n na ON na.code_rome = m.code_rome
LEFT JOIN n nb ON nb.code_rome = m.code_rome_cible
GROUP BY m.code_rome, m.code_rome_cible, m.ordre;
DROP TABLE comp_struct; DROP TABLE comp_profile; DROP TABLE comp_emerg_base; DROP TABLE comp_emerg_asked;
DROP TABLE comp_emerg_commune; DROP TABLE comp_period; DROP TABLE comp_months; DROP TABLE comp_base;
DROP TABLE comp_commune_asked; DROP TABLE comp_commune_base; DROP TABLE comp_asked; DROP TABLE comp_src;
DROP TABLE comp_dim; DROP TABLE comp_offre;
