-- 0009 (then: stored free text scrubbed again, see migrations.rs). The fingerprint of each stored offer's content (every stored column but the dates the
-- collector keeps, and its skills), computed by the collector. A full refresh compares it with
-- the fingerprint of what it read, reading two narrow columns instead of comparing every column
-- and every skill in SQL; NULL (offers stored before) counts as changed, so each such offer is
-- rewritten once.
ALTER TABLE raw_ft_offre ADD COLUMN content_hash BIGINT;
