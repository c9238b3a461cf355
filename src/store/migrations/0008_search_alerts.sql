-- 0008: postal codes seen in the offers (`lieuTravail.codePostal` ↔ commune), rebuilt with the
-- offer indicators, so that the home page finds a territory by postal code. No postal-code
-- referential ships with the embedded data: coverage is that of the offers collected.
CREATE TABLE ind_code_postal (code_postal VARCHAR NOT NULL, commune VARCHAR NOT NULL, offres BIGINT NOT NULL);
-- Alerts: the tension levels of the previous indicators build (to see métiers entering or leaving
-- tension), and the observed values that fell outside the 95 % interval forecast for them by the
-- previous forecasts build.
CREATE TABLE ind_tension_previous (kind VARCHAR NOT NULL, code VARCHAR NOT NULL, nomenclature VARCHAR NOT NULL,
    metier VARCHAR NOT NULL, label VARCHAR, level INTEGER, built_at TIMESTAMP NOT NULL);
CREATE TABLE fc_surprises (
    family VARCHAR NOT NULL, kind VARCHAR NOT NULL, code VARCHAR NOT NULL, dimension VARCHAR NOT NULL,
    label VARCHAR, period VARCHAR NOT NULL, observed DOUBLE NOT NULL, mean DOUBLE, lo95 DOUBLE, hi95 DOUBLE,
    unit VARCHAR, source_id VARCHAR, detected_at TIMESTAMP NOT NULL);
-- the next rebuild fills them
INSERT OR REPLACE INTO data_changes VALUES ('schema-8', now()::TIMESTAMP);
