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
CREATE OR REPLACE TEMP TABLE comp_cell AS
SELECT t.kind, t.code, d.dimension, d.key, d.id, o.source_id
FROM comp_dim d JOIN comp_offre o USING (id) JOIN territory_commune t ON t.commune = o.commune;
CREATE OR REPLACE TEMP TABLE comp_base AS
SELECT kind, code, dimension, key, count(*) AS base, string_agg(DISTINCT source_id, ',') AS sources
FROM comp_cell GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE comp_asked AS
SELECT DISTINCT offre_id AS id, code_ogr FROM raw_ft_offre_competence WHERE code_ogr IS NOT NULL;
INSERT INTO ind_competences
SELECT c.kind, c.code, c.dimension, c.key, a.code_ogr, any_value(r.libelle), any_value(CASE WHEN r.kind = 'savoir' THEN 'Savoir' ELSE r.categorie END), 'observee',
    count(*), any_value(b.base),
    CASE WHEN any_value(b.base) >= {MIN_OFFERS} THEN count(*) / any_value(b.base) END, NULL, NULL,
    any_value(r.transition_eco = 'O'), any_value(r.transition_num = 'O'), any_value(b.sources)
FROM comp_cell c JOIN comp_asked a USING (id)
JOIN comp_base b ON b.kind = c.kind AND b.code = c.code AND b.dimension = c.dimension AND b.key = c.key
LEFT JOIN ref_competence r ON r.code_ogr = a.code_ogr
GROUP BY c.kind, c.code, c.dimension, c.key, a.code_ogr;

-- emerging: the last PERIOD_MONTHS months with offers against the PERIOD_MONTHS before
CREATE OR REPLACE TEMP TABLE comp_months AS
SELECT DISTINCT mois FROM comp_offre WHERE mois IS NOT NULL ORDER BY mois DESC;
CREATE OR REPLACE TEMP TABLE comp_period AS
SELECT mois, CASE WHEN rn <= {PERIOD_MONTHS} THEN 'recente' ELSE 'precedente' END AS periode
FROM (SELECT mois, row_number() OVER (ORDER BY mois DESC) AS rn FROM comp_months)
WHERE rn <= 2 * {PERIOD_MONTHS};
CREATE OR REPLACE TEMP TABLE comp_emerg AS
SELECT t.kind, t.code, p.periode, o.id, o.source_id FROM comp_offre o
JOIN comp_period p ON p.mois = o.mois JOIN territory_commune t ON t.commune = o.commune;
CREATE OR REPLACE TEMP TABLE comp_emerg_base AS
SELECT kind, code, count(*) FILTER (WHERE periode = 'recente') AS n1,
    count(*) FILTER (WHERE periode = 'precedente') AS n0, string_agg(DISTINCT source_id, ',') AS sources
FROM comp_emerg GROUP BY ALL
HAVING count(*) FILTER (WHERE periode = 'recente') >= {MIN_OFFERS}
   AND count(*) FILTER (WHERE periode = 'precedente') >= {MIN_OFFERS};
INSERT INTO ind_competences
SELECT e.kind, e.code, 'total', 'total', a.code_ogr, any_value(r.libelle), any_value(CASE WHEN r.kind = 'savoir' THEN 'Savoir' ELSE r.categorie END), 'emergente',
    count(*) FILTER (WHERE e.periode = 'recente'), any_value(b.n1),
    count(*) FILTER (WHERE e.periode = 'recente') / any_value(b.n1),
    count(*) FILTER (WHERE e.periode = 'precedente') / any_value(b.n0),
    round(100 * (count(*) FILTER (WHERE e.periode = 'recente') / any_value(b.n1)
                 - count(*) FILTER (WHERE e.periode = 'precedente') / any_value(b.n0)), 2),
    any_value(r.transition_eco = 'O'), any_value(r.transition_num = 'O'), any_value(b.sources)
FROM comp_emerg e JOIN comp_emerg_base b USING (kind, code) JOIN comp_asked a USING (id)
LEFT JOIN ref_competence r ON r.code_ogr = a.code_ogr
GROUP BY e.kind, e.code, a.code_ogr
HAVING count(*) FILTER (WHERE e.periode = 'recente') >= {MIN_EMERGING};

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
DROP TABLE comp_struct; DROP TABLE comp_profile; DROP TABLE comp_emerg_base; DROP TABLE comp_emerg;
DROP TABLE comp_period; DROP TABLE comp_months; DROP TABLE comp_asked; DROP TABLE comp_base;
DROP TABLE comp_cell; DROP TABLE comp_dim; DROP TABLE comp_offre;
