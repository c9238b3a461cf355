-- 0006: GPTEC analytics — métier crosswalks, France and custom territories, filières, and the
-- derived tables of offers, tension, sectors and skills. Indicators are rebuilt by the
-- `indicators` job when the raw data changed (`data_changes` / `derived_state`), not by collectors.

-- ---------------------------------------------------------------- referentials
-- FAP 2021 (FAP 228 level, BMO métiers) -> principal FAP 2009 (FAP 225), data/crosswalks/.
CREATE TABLE ref_fap2021_fap2009 (
    fap2021 VARCHAR PRIMARY KEY, fap2021_libelle VARCHAR NOT NULL,
    fap2009 VARCHAR,                       -- NULL: no FAP 2009 family (listed, never dropped silently)
    fap2009_libelle VARCHAR,
    methode VARCHAR NOT NULL,              -- identique | libelle | manuel | aucune
    note VARCHAR
);
-- ROME 4.0 × qualification level (0 = non précisé … 9 = cadres) -> FAP 2009 -> FAP 2021.
CREATE TABLE ref_rome_fap (
    rome VARCHAR NOT NULL, qualification VARCHAR NOT NULL, fap2009 VARCHAR, fap2021 VARCHAR,
    PRIMARY KEY (rome, qualification)
);
-- ROME 4.0 mobility: métier -> close métiers (order of the ROME fiche).
CREATE TABLE ref_rome_mobilite (code_rome VARCHAR NOT NULL, code_rome_cible VARCHAR NOT NULL,
    ordre INTEGER, PRIMARY KEY (code_rome, code_rome_cible));
-- Filières: named sets of ROME métiers (codes or prefixes) and NAF codes (any level), from
-- config.toml ([[filieres]]) and the three ROME 4.0 transition flags.
CREATE TABLE ref_filiere (id VARCHAR PRIMARY KEY, libelle VARCHAR NOT NULL, origine VARCHAR NOT NULL);
CREATE TABLE ref_filiere_rome (filiere VARCHAR NOT NULL, rome VARCHAR NOT NULL, PRIMARY KEY (filiere, rome));
CREATE TABLE ref_filiere_naf (filiere VARCHAR NOT NULL, naf VARCHAR NOT NULL, PRIMARY KEY (filiere, naf));
-- Custom territories of config.toml ([[territories]]), as declared (for status and errors).
CREATE TABLE ref_custom_territory (id VARCHAR PRIMARY KEY, libelle VARCHAR NOT NULL,
    communes_declarees INTEGER NOT NULL, zones_declarees INTEGER NOT NULL, followed BOOLEAN NOT NULL);

-- Working time of an offer ("Temps plein" / "Temps partiel", France Travail dureeTravailLibelleConverti).
ALTER TABLE raw_ft_offre ADD COLUMN duree_travail VARCHAR;
-- Length of a CDD / intérim / seasonal contract in months ("CDD - 6 Mois", "Intérim - 15 Jour(s)").
ALTER TABLE raw_ft_offre ADD COLUMN duree_contrat_mois DOUBLE;

-- France as a territory (kind 'fr'), for databases loaded before this version.
INSERT INTO territory_commune SELECT 'fr', 'FR', code FROM ref_commune;
INSERT INTO territory SELECT 'fr', 'FR', 'France', count(*) FROM ref_commune HAVING count(*) > 0;

-- France Travail *Marché du travail* statistics (DE_1, DE_5, OFF_1, EMB_1, PERSP_2, SAL_3) per
-- API territory × activity × period × nomenclature value; main and secondary values as served.
CREATE TABLE raw_mdt (
    source_id VARCHAR NOT NULL, indicateur VARCHAR NOT NULL,
    type_territoire VARCHAR NOT NULL, territoire VARCHAR NOT NULL,
    kind VARCHAR NOT NULL, code VARCHAR NOT NULL,   -- the observatory territory it stands for
    type_activite VARCHAR NOT NULL, activite VARCHAR NOT NULL, activite_libelle VARCHAR,
    type_periode VARCHAR, periode VARCHAR NOT NULL,
    nomenclature VARCHAR NOT NULL,          -- '' when the indicator has none
    nomenclature_libelle VARCHAR,
    valeur_nom VARCHAR, nombre BIGINT, taux DOUBLE, montant DOUBLE,
    secondaire_nombre BIGINT, secondaire_pct DOUBLE,
    maj TIMESTAMP, collected_at TIMESTAMP NOT NULL
);

-- ---------------------------------------------------------------- rebuild bookkeeping
-- A collector or import that changed raw data records it here, in its own transaction.
CREATE TABLE data_changes (source_id VARCHAR PRIMARY KEY, changed_at TIMESTAMP NOT NULL);
-- The last rebuild of the derived tables, and the latest change its snapshot included.
CREATE TABLE derived_state (name VARCHAR PRIMARY KEY, built_at TIMESTAMP NOT NULL, built_from TIMESTAMP);

-- ---------------------------------------------------------------- derived indicators
-- Derived tables carry no primary key: they are rebuilt whole (DELETE + INSERT) in one
-- transaction, and an ART index makes that rebuild many times slower. Their key columns are
-- unique by construction (GROUP BY), which tests/it/analytics.rs checks. The tables of earlier
-- versions are recreated without theirs.
CREATE TABLE ind_chomage_v6 AS SELECT * FROM ind_chomage; DROP TABLE ind_chomage; ALTER TABLE ind_chomage_v6 RENAME TO ind_chomage;
CREATE TABLE ind_emploi_salarie_v6 AS SELECT * FROM ind_emploi_salarie; DROP TABLE ind_emploi_salarie; ALTER TABLE ind_emploi_salarie_v6 RENAME TO ind_emploi_salarie;
CREATE TABLE ind_bmo_bassin_v6 AS SELECT * FROM ind_bmo_bassin; DROP TABLE ind_bmo_bassin; ALTER TABLE ind_bmo_bassin_v6 RENAME TO ind_bmo_bassin;
CREATE TABLE ind_bmo_metier_v6 AS SELECT * FROM ind_bmo_metier; DROP TABLE ind_bmo_metier; ALTER TABLE ind_bmo_metier_v6 RENAME TO ind_bmo_metier;
CREATE TABLE ind_offres_metier_v6 AS SELECT * FROM ind_offres_metier; DROP TABLE ind_offres_metier; ALTER TABLE ind_offres_metier_v6 RENAME TO ind_offres_metier;
CREATE TABLE ind_offres_total_v6 AS SELECT * FROM ind_offres_total; DROP TABLE ind_offres_total; ALTER TABLE ind_offres_total_v6 RENAME TO ind_offres_total;
CREATE TABLE ind_offre_cluster_v6 AS SELECT * FROM ind_offre_cluster; DROP TABLE ind_offre_cluster; ALTER TABLE ind_offre_cluster_v6 RENAME TO ind_offre_cluster;

-- Offers per territory × breakdown × period. dimension: total | rome | fap2021 | fap2009 |
-- grand_domaine | naf_a21 | naf_a38 | naf_a88 | filiere. periode: 'YYYY-MM' (created that month,
-- stock at month end) or 'actuel' (open offers now). One offer per duplicate cluster.
CREATE TABLE ind_offres (
    kind VARCHAR NOT NULL, code VARCHAR NOT NULL, dimension VARCHAR NOT NULL, key VARCHAR NOT NULL,
    label VARCHAR, periode VARCHAR NOT NULL,
    offres BIGINT NOT NULL,                 -- 'actuel': open now; month: created in the month
    stock_fin_mois BIGINT,                  -- month: open at the month's end
    postes BIGINT,
    duree_mediane_jours DOUBLE, n_fermees BIGINT,   -- first_seen -> closed_at, closed offers only
    part_durables DOUBLE, n_contrat BIGINT, -- CDI, or CDD / intérim of >= 6 months (DARES)
    part_temps_plein DOUBLE, n_duree_connue BIGINT,
    salaire_q1 DOUBLE, salaire_median DOUBLE, salaire_q3 DOUBLE, n_salaires BIGINT,  -- >= 10 salaries
    part_sans_experience DOUBLE,
    offres_an_precedent BIGINT, evolution_an DOUBLE, -- month: same month a year before
    sources VARCHAR NOT NULL             -- key: (kind, code, dimension, key, periode)
);
-- Tension per territory × métier (DARES–France Travail 2019 method or a documented partial one).
CREATE TABLE ind_tension (
    kind VARCHAR NOT NULL, code VARCHAR NOT NULL, nomenclature VARCHAR NOT NULL, metier VARCHAR NOT NULL,
    label VARCHAR, indicator VARCHAR,       -- 'dares' or a partial indicator's id; NULL when suppressed
    score DOUBLE, level INTEGER,            -- 1..5, NULL when suppressed
    -- components: value, standardised value, base, why absent (French); see indicators/tension.rs
    diff_value DOUBLE, diff_z DOUBLE, diff_base BIGINT, diff_absent VARCHAR,
    off_value DOUBLE, off_z DOUBLE, off_base BIGINT, off_absent VARCHAR,
    sort_value DOUBLE, sort_z DOUBLE, sort_base BIGINT, sort_absent VARCHAR,
    nondur_value DOUBLE, nondur_z DOUBLE, nondur_base BIGINT, nondur_absent VARCHAR,
    saison_value DOUBLE, saison_z DOUBLE, saison_base BIGINT, saison_absent VARCHAR,
    bmo_source VARCHAR, offres_source VARCHAR,   -- source labels of the components
    offres BIGINT, projets BIGINT,
    dares_2019_category DOUBLE,             -- DARES 2019 category of the matching FAP 2009
    dares_2019_fap VARCHAR,
    suppressed_reason VARCHAR,              -- French, why no level
    sources VARCHAR NOT NULL, method VARCHAR NOT NULL   -- key: (kind, code, nomenclature, metier)
);
-- The national reference distribution each component is standardised against, and the
-- quintile thresholds that give levels.
CREATE TABLE ind_tension_reference (indicator VARCHAR NOT NULL, component VARCHAR NOT NULL,
    mean DOUBLE, sd DOUBLE, n INTEGER, q20 DOUBLE, q40 DOUBLE, q60 DOUBLE, q80 DOUBLE);
-- Salaried employment dynamics per territory (URSSAF, CVS), latest quarter.
CREATE TABLE ind_emploi_dynamique (kind VARCHAR NOT NULL, code VARCHAR NOT NULL, trimestre VARCHAR NOT NULL,
    effectifs BIGINT NOT NULL, evol_1an DOUBLE, evol_5ans DOUBLE,
    evol_1an_region DOUBLE, evol_5ans_region DOUBLE, evol_1an_france DOUBLE, evol_5ans_france DOUBLE,
    region VARCHAR, source_id VARCHAR NOT NULL);
-- Employment by sector per territory and the shift-share decomposition of its change.
CREATE TABLE ind_secteurs (kind VARCHAR NOT NULL, code VARCHAR NOT NULL, niveau VARCHAR NOT NULL,
    secteur VARCHAR NOT NULL, libelle VARCHAR, annee_debut INTEGER NOT NULL, annee_fin INTEGER NOT NULL,
    effectifs_debut BIGINT, effectifs_fin BIGINT, variation BIGINT,
    effet_national DOUBLE, effet_structurel DOUBLE, effet_local DOUBLE,   -- NULL without a reference
    contribution DOUBLE,                    -- share of the territory's total change
    offres BIGINT, source_id VARCHAR NOT NULL, reference VARCHAR);
-- Skills asked per territory (`indicators/competences.rs`). nature: observee (share of offers
-- asking it), structurelle (ROME links weighted by BMO projects, not observed), emergente (share
-- now vs the previous period), transferable (shared by métiers in tension).
CREATE TABLE ind_competences (kind VARCHAR NOT NULL, code VARCHAR NOT NULL, dimension VARCHAR NOT NULL,
    key VARCHAR NOT NULL, competence VARCHAR NOT NULL, libelle VARCHAR, type_competence VARCHAR,
    nature VARCHAR NOT NULL,
    offres BIGINT, base BIGINT, part DOUBLE, part_precedente DOUBLE, poids DOUBLE,
    transition_eco BOOLEAN, transition_num BOOLEAN, sources VARCHAR NOT NULL);
-- Mobility between ROME 4.0 métiers (the ROME's own links) with the skills they share.
CREATE TABLE ind_mobilite (rome VARCHAR NOT NULL, rome_cible VARCHAR NOT NULL, ordre INTEGER,
    competences_communes INTEGER NOT NULL, part_communes DOUBLE, source_id VARCHAR NOT NULL);
