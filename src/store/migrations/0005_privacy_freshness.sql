-- 0005: nothing finer than the commune is kept (workplace coordinates dropped); scraped page
-- addresses lose their query string and fragment (which can carry session or tracking tokens) —
-- the offer id keeps only a hash of the query so that offers told apart by it stay apart;
-- sources record their publication lag so that freshness is measured on the data's own period.
ALTER TABLE raw_ft_offre DROP COLUMN latitude;
ALTER TABLE raw_ft_offre DROP COLUMN longitude;

CREATE TEMP TABLE mig5_site_ids AS
SELECT id AS old_id,
       source_id || ':' || regexp_replace(link, '[?#].*$', '')
         || CASE WHEN contains(regexp_replace(link, '#.*$', ''), '?')
                 THEN '|q:' || left(sha256(regexp_extract(regexp_replace(link, '#.*$', ''), '\?(.*)$', 1)), 16)
                 ELSE '' END AS new_id
FROM (SELECT id, source_id, substr(id, length(source_id) + 2) AS link FROM raw_ft_offre
      WHERE source_id LIKE 'site-%' AND (id LIKE '%?%' OR id LIKE '%#%' OR url LIKE '%?%' OR url LIKE '%#%'));
INSERT INTO raw_ft_offre
SELECT o.* REPLACE (m.new_id AS id, regexp_replace(o.url, '[?#].*$', '') AS url)
FROM raw_ft_offre o JOIN mig5_site_ids m ON m.old_id = o.id
WHERE m.new_id <> m.old_id AND m.new_id NOT IN (SELECT id FROM raw_ft_offre)
QUALIFY row_number() OVER (PARTITION BY m.new_id ORDER BY o.last_seen DESC) = 1;
DELETE FROM raw_ft_offre WHERE id IN (SELECT old_id FROM mig5_site_ids WHERE new_id <> old_id);
UPDATE raw_ft_offre SET url = regexp_replace(url, '[?#].*$', '')
WHERE source_id LIKE 'site-%' AND (url LIKE '%?%' OR url LIKE '%#%');
DROP TABLE mig5_site_ids;

ALTER TABLE sources ADD COLUMN publication_lag_days INTEGER;
