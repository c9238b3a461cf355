-- 0010: skills forecast per territory × compétence (`fc_competences`), rebuilt with the other
-- forecasts. Method: docs/methodologie.md#previsions-competences.
CREATE TABLE fc_competences (
    kind VARCHAR NOT NULL, code VARCHAR NOT NULL,
    competence VARCHAR NOT NULL,      -- ROME 4.0 OGR code
    libelle VARCHAR,
    first_period VARCHAR NOT NULL, last_period VARCHAR NOT NULL, horizon INTEGER NOT NULL,
    -- offers asking the skill over the horizon (sum of the months): point forecast and intervals
    -- propagated by simulation from the métiers' offer forecasts and their skill shares
    mean DOUBLE NOT NULL, lo80 DOUBLE, hi80 DOUBLE, lo95 DOUBLE, hi95 DOUBLE,
    metiers INTEGER NOT NULL,         -- ROME métiers whose forecast and profile contribute
    offres_prevues DOUBLE NOT NULL,   -- the territory's forecast offers of métiers with a profile
    part_couverte DOUBLE,             -- their share of the territory's forecast offers (all ROME)
    source_id VARCHAR NOT NULL, method VARCHAR NOT NULL, fitted_at TIMESTAMP NOT NULL
);
