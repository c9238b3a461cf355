-- 0002: what the live collectors need.
ALTER TABLE raw_ft_offre ADD COLUMN departement VARCHAR;        -- département of the query that returned it
ALTER TABLE raw_ft_offre ADD COLUMN salaire_min_mensuel DOUBLE; -- monthly equivalent, euros
ALTER TABLE raw_ft_offre ADD COLUMN salaire_max_mensuel DOUBLE;
-- Per collector and scope (e.g. a département): when it last succeeded, for incremental runs.
CREATE TABLE collector_state (
    collector VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    last_success_at TIMESTAMP,          -- upper bound of the last successful window (UTC)
    last_full_refresh_at TIMESTAMP,
    PRIMARY KEY (collector, scope)
);
