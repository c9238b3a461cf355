-- Sector employment and shift-share (see secteurs.rs).
DELETE FROM ind_secteurs;
CREATE OR REPLACE TEMP TABLE sec_raw AS
SELECT * FROM raw_urssaf_ze_ape r
WHERE r.effectifs IS NOT NULL AND (r.source_id = 'urssaf-ze-secteur' OR NOT EXISTS (
    SELECT 1 FROM raw_urssaf_ze_ape i
    WHERE i.source_id = 'urssaf-ze-secteur' AND i.ze2020 = r.ze2020 AND i.annee = r.annee));
CREATE OR REPLACE TEMP TABLE sec_ze AS
SELECT ze2020 AS ze, niveau, secteur, annee, sum(effectifs) AS e, string_agg(DISTINCT source_id, ',') AS source_id
FROM (SELECT ze2020, 'a38' AS niveau, na38 AS secteur, annee, effectifs, source_id FROM sec_raw
      UNION ALL SELECT ze2020, 'a88', na88, annee, effectifs, source_id FROM sec_raw)
GROUP BY ALL;
-- periods: the last year against one and five years before
CREATE OR REPLACE TEMP TABLE sec_period AS
SELECT y1 - d AS y0, y1 FROM (SELECT max(annee) AS y1 FROM sec_ze), (VALUES (1), (5)) v(d)
WHERE y1 IS NOT NULL AND y1 - d IN (SELECT annee FROM sec_ze);
-- national reference, when the file covers the country in both years
CREATE OR REPLACE TEMP TABLE sec_ref AS
WITH cover AS (SELECT p.y0, p.y1, count(DISTINCT a.ze) AS zones
               FROM sec_period p JOIN sec_ze a ON a.annee = p.y0
               JOIN sec_ze b ON b.annee = p.y1 AND b.ze = a.ze GROUP BY ALL)
SELECT p.y0, p.y1, coalesce(c.zones, 0) AS zones FROM sec_period p LEFT JOIN cover c USING (y0, y1);
CREATE OR REPLACE TEMP TABLE sec_nat AS
SELECT r.y0, r.y1, s.niveau, s.secteur,
    sum(s.e) FILTER (WHERE s.annee = r.y0) AS n0, sum(s.e) FILTER (WHERE s.annee = r.y1) AS n1
FROM sec_ref r JOIN sec_ze s ON s.annee IN (r.y0, r.y1)
WHERE r.zones >= {MIN_ZONES}
  AND s.ze IN (SELECT ze FROM sec_ze WHERE annee = r.y0 INTERSECT SELECT ze FROM sec_ze WHERE annee = r.y1)
GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE sec_nat_tot AS
SELECT y0, y1, niveau, sum(n0) AS n0, sum(n1) AS n1 FROM sec_nat GROUP BY ALL;
-- territories: zones, and custom territories made of whole zones
CREATE OR REPLACE TEMP TABLE sec_custom AS {CUSTOM_WHOLE_ZONES};
CREATE OR REPLACE TEMP TABLE sec_terr AS
SELECT 'ze' AS kind, ze AS code, niveau, secteur, annee, e, source_id FROM sec_ze
UNION ALL SELECT 'custom', c.code, s.niveau, s.secteur, s.annee, sum(s.e), string_agg(DISTINCT s.source_id, ',')
FROM sec_custom c JOIN sec_ze s USING (ze) GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE sec_cells AS
SELECT t.kind, t.code, t.niveau, t.secteur, p.y0, p.y1,
    coalesce(sum(t.e) FILTER (WHERE t.annee = p.y0), 0) AS e0,
    coalesce(sum(t.e) FILTER (WHERE t.annee = p.y1), 0) AS e1,
    string_agg(DISTINCT t.source_id, ',') AS source_id
FROM sec_terr t JOIN sec_period p ON t.annee IN (p.y0, p.y1)
GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE sec_tot AS
SELECT kind, code, niveau, y0, y1, sum(e0) AS t0, sum(e1) AS t1 FROM sec_cells GROUP BY ALL;
INSERT INTO ind_secteurs
SELECT c.kind, c.code, c.niveau, c.secteur, l.libelle, c.y0, c.y1, c.e0, c.e1, c.e1 - c.e0,
    round(c.e0 * (nt.n1 / nt.n0 - 1), 2) AS national,
    round(CASE WHEN n.n0 > 0 THEN c.e0 * (n.n1 / n.n0 - 1) ELSE 0 END - c.e0 * (nt.n1 / nt.n0 - 1), 2) AS mix,
    -- the residual, so that the three effects sum exactly to the change
    (c.e1 - c.e0) - round(c.e0 * (nt.n1 / nt.n0 - 1), 2)
        - round(CASE WHEN n.n0 > 0 THEN c.e0 * (n.n1 / n.n0 - 1) ELSE 0 END - c.e0 * (nt.n1 / nt.n0 - 1), 2),
    CASE WHEN tt.t0 > 0 THEN (c.e1 - c.e0) / tt.t0 END,
    o.offres, c.source_id,
    CASE WHEN nt.n0 IS NOT NULL THEN 'France (' || r.zones || ' zones d''emploi)'
         ELSE 'aucune référence nationale : le fichier couvre ' || r.zones || ' zones d''emploi sur les deux années '
              || '(il en faut {MIN_ZONES}) ; importez l''export national (observatoire import urssaf-ze-secteur)' END
FROM sec_cells c
JOIN sec_ref r ON r.y0 = c.y0 AND r.y1 = c.y1
-- a territory is compared only between two years where it has data
JOIN sec_tot tt ON tt.kind = c.kind AND tt.code = c.code AND tt.niveau = c.niveau AND tt.y0 = c.y0
    AND tt.t0 > 0 AND tt.t1 > 0
LEFT JOIN sec_nat n ON n.y0 = c.y0 AND n.niveau = c.niveau AND n.secteur = c.secteur
LEFT JOIN sec_nat_tot nt ON nt.y0 = c.y0 AND nt.niveau = c.niveau
LEFT JOIN ref_naf_libelle l ON l.niveau = upper(c.niveau) AND l.code = c.secteur
LEFT JOIN ind_offres o ON o.kind = c.kind AND o.code = c.code AND o.periode = 'actuel'
    AND o.dimension = 'naf_' || c.niveau AND o.key = c.secteur;
DROP TABLE sec_tot; DROP TABLE sec_cells; DROP TABLE sec_terr; DROP TABLE sec_custom; DROP TABLE sec_nat_tot;
DROP TABLE sec_nat; DROP TABLE sec_ref; DROP TABLE sec_period; DROP TABLE sec_ze; DROP TABLE sec_raw;
