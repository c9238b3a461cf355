-- 0008: postal codes seen in the offers (`lieuTravail.codePostal` ↔ commune), rebuilt with the
-- offer indicators, so that the home page finds a territory by postal code. No postal-code
-- referential ships with the embedded data: coverage is that of the offers collected.
CREATE TABLE ind_code_postal (code_postal VARCHAR NOT NULL, commune VARCHAR NOT NULL, offres BIGINT NOT NULL);
-- the next rebuild fills it
INSERT OR REPLACE INTO data_changes VALUES ('schema-8', now()::TIMESTAMP);
