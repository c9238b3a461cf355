-- 0001: meta tables, referentials (ref_*), raw data (raw_*), derived indicators (ind_*).
-- Every raw row carries the id of its source; `sources` gives publisher, vintage and licence.

CREATE TABLE sources (
    source_id        VARCHAR PRIMARY KEY,
    name             VARCHAR NOT NULL,   -- French label shown on pages
    publisher        VARCHAR NOT NULL,
    vintage          VARCHAR NOT NULL,   -- e.g. '2024', '2003-T1 à 2023-T3'
    licence          VARCHAR NOT NULL,
    url              VARCHAR,
    method_anchor    VARCHAR NOT NULL,   -- anchor in /methodologie
    data_date        DATE,               -- date of the latest observation
    expected_period_days INTEGER,        -- how often the publisher updates it
    loaded_at        TIMESTAMP NOT NULL,
    rows_loaded      BIGINT NOT NULL,
    last_success_at  TIMESTAMP NOT NULL
);

CREATE TABLE job_runs (
    run_id       BIGINT PRIMARY KEY,
    job          VARCHAR NOT NULL,
    trigger      VARCHAR NOT NULL,       -- schedule | manual | catch-up | init
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    status       VARCHAR NOT NULL,       -- running | success | failed | cancelled | skipped
    rows_read    BIGINT DEFAULT 0,
    rows_added   BIGINT DEFAULT 0,
    rows_updated BIGINT DEFAULT 0,
    rows_closed  BIGINT DEFAULT 0,
    error        VARCHAR
);
CREATE SEQUENCE job_run_seq;

-- ---------------------------------------------------------------- territories
CREATE TABLE ref_region (code VARCHAR PRIMARY KEY, libelle VARCHAR NOT NULL);
CREATE TABLE ref_departement (code VARCHAR PRIMARY KEY, libelle VARCHAR NOT NULL, region VARCHAR);
CREATE TABLE ref_zone_emploi (code VARCHAR PRIMARY KEY, libelle VARCHAR NOT NULL, nb_communes INTEGER NOT NULL);
CREATE TABLE ref_bassin_bmo (code VARCHAR PRIMARY KEY, libelle VARCHAR NOT NULL, region VARCHAR);
CREATE TABLE ref_commune (
    code       VARCHAR PRIMARY KEY,      -- COG 2023
    libelle    VARCHAR NOT NULL,
    ze2020     VARCHAR NOT NULL,
    ze2020_partie_reg VARCHAR,
    departement VARCHAR NOT NULL,
    region     VARCHAR NOT NULL,
    bassin_bmo VARCHAR
);
-- Any commune code seen in the wild (old codes, arrondissements municipaux) -> COG 2023 commune.
CREATE TABLE ref_commune_alias (
    code        VARCHAR PRIMARY KEY,
    commune     VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL         -- current | passage | arrondissement | bassin_table
);
-- Uniform territory dimension shared by indicators, forecasts and pages.
CREATE TABLE territory (
    kind     VARCHAR NOT NULL,           -- ze | bassin | dep | reg | custom
    code     VARCHAR NOT NULL,
    libelle  VARCHAR NOT NULL,
    nb_communes INTEGER NOT NULL,
    PRIMARY KEY (kind, code)
);
CREATE TABLE territory_commune (kind VARCHAR NOT NULL, code VARCHAR NOT NULL, commune VARCHAR NOT NULL,
    PRIMARY KEY (kind, code, commune));
CREATE TABLE ref_geometry (kind VARCHAR NOT NULL, code VARCHAR NOT NULL, geojson VARCHAR NOT NULL,
    PRIMARY KEY (kind, code));

-- ---------------------------------------------------------------- métiers and sectors
CREATE TABLE ref_rome_grand_domaine (code VARCHAR PRIMARY KEY, libelle VARCHAR NOT NULL);
CREATE TABLE ref_rome_domaine (code VARCHAR PRIMARY KEY, libelle VARCHAR NOT NULL, grand_domaine VARCHAR NOT NULL);
CREATE TABLE ref_rome (
    code VARCHAR PRIMARY KEY, libelle VARCHAR NOT NULL, code_ogr VARCHAR, domaine VARCHAR, grand_domaine VARCHAR,
    transition_eco VARCHAR, transition_num VARCHAR, transition_demo VARCHAR,
    emploi_reglemente BOOLEAN, emploi_cadre BOOLEAN, rome_v3 VARCHAR
);
CREATE TABLE ref_rome_appellation (
    code_ogr VARCHAR PRIMARY KEY, libelle VARCHAR NOT NULL, libelle_court VARCHAR, code_rome VARCHAR NOT NULL,
    classification VARCHAR, peu_usite BOOLEAN
);
CREATE TABLE ref_competence (
    code_ogr VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL,  -- competence | savoir
    libelle VARCHAR NOT NULL, categorie VARCHAR, sous_categorie VARCHAR,
    transition_eco VARCHAR, transition_num VARCHAR
);
CREATE TABLE ref_rome_competence (code_rome VARCHAR NOT NULL, code_ogr VARCHAR NOT NULL, coeur_metier BOOLEAN,
    PRIMARY KEY (code_rome, code_ogr));
CREATE TABLE ref_rome_v3 (code VARCHAR PRIMARY KEY, libelle VARCHAR NOT NULL, domaine VARCHAR, grand_domaine VARCHAR);
CREATE TABLE ref_fap2009_rome_v3 (
    fap225 VARCHAR NOT NULL, fap225_libelle VARCHAR, fap87 VARCHAR, fap87_libelle VARCHAR,
    fap22 VARCHAR, fap22_libelle VARCHAR, rome_v3 VARCHAR NOT NULL, qualification_filtre VARCHAR
);
CREATE TABLE ref_fap2021 (
    fap341 VARCHAR PRIMARY KEY, fap341_libelle VARCHAR, fap228 VARCHAR, fap228_libelle VARCHAR,
    fap86 VARCHAR, fap86_libelle VARCHAR, fap22 VARCHAR, fap22_libelle VARCHAR
);
CREATE TABLE ref_naf (
    code VARCHAR PRIMARY KEY,              -- sous-classe, '78.20Z'
    libelle VARCHAR NOT NULL, classe VARCHAR, groupe VARCHAR, a129 VARCHAR, division VARCHAR,
    a64 VARCHAR, a38 VARCHAR, section VARCHAR, a10 VARCHAR
);
CREATE TABLE ref_naf_libelle (niveau VARCHAR NOT NULL, code VARCHAR NOT NULL, libelle VARCHAR NOT NULL,
    PRIMARY KEY (niveau, code));
CREATE TABLE ref_rome_naf_division (naf_division VARCHAR NOT NULL, code_rome VARCHAR NOT NULL,
    PRIMARY KEY (naf_division, code_rome));

-- ---------------------------------------------------------------- raw data
CREATE TABLE raw_ft_offre (
    id VARCHAR PRIMARY KEY, source_id VARCHAR NOT NULL, intitule VARCHAR,
    date_creation TIMESTAMP, date_actualisation TIMESTAMP,
    lieu_libelle VARCHAR, commune_brute VARCHAR, code_postal VARCHAR, latitude DOUBLE, longitude DOUBLE,
    commune VARCHAR,                      -- normalised COG 2023 code (NULL when unknown)
    rome VARCHAR, appellation_libelle VARCHAR, entreprise_nom VARCHAR,
    type_contrat VARCHAR, nature_contrat VARCHAR, experience_exige VARCHAR,
    qualification_code VARCHAR, naf VARCHAR, secteur_division VARCHAR, nombre_postes INTEGER,
    alternance BOOLEAN, accessible_th BOOLEAN, offres_manque_candidats BOOLEAN,
    salaire_libelle VARCHAR, origine VARCHAR,
    first_seen TIMESTAMP NOT NULL, last_seen TIMESTAMP NOT NULL, closed_at TIMESTAMP
);
CREATE TABLE raw_ft_offre_competence (
    offre_id VARCHAR NOT NULL,
    code_ogr VARCHAR,                     -- NULL: free-text skill written by the employer
    libelle VARCHAR, exigence VARCHAR      -- E exigé / S souhaité
);
CREATE TABLE raw_bmo (
    source_id VARCHAR NOT NULL, annee INTEGER NOT NULL, metier VARCHAR NOT NULL, metier_libelle VARCHAR,
    famille VARCHAR, famille_libelle VARCHAR, region VARCHAR, departement VARCHAR, bassin VARCHAR NOT NULL,
    bassin_libelle VARCHAR,
    projets INTEGER, projets_secret BOOLEAN NOT NULL,           -- '*' in the source: secret, not zero
    difficiles INTEGER, difficiles_secret BOOLEAN NOT NULL,
    saisonniers INTEGER, saisonniers_secret BOOLEAN NOT NULL,
    PRIMARY KEY (annee, bassin, departement, metier)   -- a bassin may span départements
);
CREATE TABLE raw_dares_tension (
    source_id VARCHAR NOT NULL, annee INTEGER NOT NULL, niveau_geo VARCHAR NOT NULL, niveau_fap VARCHAR NOT NULL,
    region VARCHAR, departement VARCHAR, fap VARCHAR NOT NULL, emploi_moyen DOUBLE, tension DOUBLE,
    categorie_tension INTEGER, intensite_embauches INTEGER, lien_formation_emploi INTEGER,
    manque_main_oeuvre INTEGER, non_durabilite INTEGER, conditions_travail INTEGER, inadequation_geo INTEGER
);
CREATE TABLE raw_dares_tension_evolution (source_id VARCHAR NOT NULL, fap VARCHAR NOT NULL, annee INTEGER NOT NULL,
    tension DOUBLE, PRIMARY KEY (fap, annee));
CREATE TABLE raw_chomage_ze (source_id VARCHAR NOT NULL, ze2020 VARCHAR NOT NULL, trimestre VARCHAR NOT NULL,
    taux DOUBLE NOT NULL, PRIMARY KEY (ze2020, trimestre));
-- Regionalised zones appear in several rows per quarter (see data/README.md): kept unaggregated.
CREATE TABLE raw_urssaf_ze (source_id VARCHAR NOT NULL, annee INTEGER NOT NULL, trimestre INTEGER NOT NULL,
    ze2020 VARCHAR NOT NULL, effectifs_brut BIGINT, effectifs_cvs BIGINT, masse_salariale_cvs DOUBLE);
CREATE TABLE raw_urssaf_ze_ape (source_id VARCHAR NOT NULL, ze2020 VARCHAR NOT NULL, departement VARCHAR,
    annee INTEGER NOT NULL, ape VARCHAR NOT NULL, ape_libelle VARCHAR, na38 VARCHAR, na88 VARCHAR,
    etablissements INTEGER, effectifs INTEGER, PRIMARY KEY (ze2020, departement, annee, ape));
CREATE TABLE raw_defm_dep (source_id VARCHAR NOT NULL, mois VARCHAR NOT NULL, departement VARCHAR NOT NULL,
    categorie VARCHAR NOT NULL, defm INTEGER NOT NULL, PRIMARY KEY (mois, departement, categorie));

-- ---------------------------------------------------------------- derived indicators (the web reads these)
CREATE TABLE ind_chomage (kind VARCHAR NOT NULL, code VARCHAR NOT NULL, trimestre VARCHAR NOT NULL,
    taux DOUBLE NOT NULL, source_id VARCHAR NOT NULL, PRIMARY KEY (kind, code, trimestre));
CREATE TABLE ind_emploi_salarie (kind VARCHAR NOT NULL, code VARCHAR NOT NULL, trimestre VARCHAR NOT NULL,
    effectifs_cvs BIGINT NOT NULL, source_id VARCHAR NOT NULL, PRIMARY KEY (kind, code, trimestre));
-- BMO per territory: bassins overlapping the territory, with their share of its communes.
CREATE TABLE ind_bmo_bassin (kind VARCHAR NOT NULL, code VARCHAR NOT NULL, annee INTEGER NOT NULL,
    bassin VARCHAR NOT NULL, bassin_libelle VARCHAR, part_communes DOUBLE NOT NULL,
    principal BOOLEAN NOT NULL,           -- counted in the territory's métier figures
    projets BIGINT, difficiles BIGINT, base_difficiles BIGINT, saisonniers BIGINT,
    cellules INTEGER NOT NULL, cellules_secretes INTEGER NOT NULL,
    source_id VARCHAR NOT NULL, PRIMARY KEY (kind, code, annee, bassin));
CREATE TABLE ind_bmo_metier (kind VARCHAR NOT NULL, code VARCHAR NOT NULL, annee INTEGER NOT NULL,
    metier VARCHAR NOT NULL, metier_libelle VARCHAR, famille_libelle VARCHAR,
    projets BIGINT, difficiles BIGINT, base_difficiles BIGINT, saisonniers BIGINT,
    cellules INTEGER NOT NULL, cellules_secretes INTEGER NOT NULL, suppression VARCHAR,
    source_id VARCHAR NOT NULL, PRIMARY KEY (kind, code, annee, metier));
CREATE TABLE ind_offres_metier (kind VARCHAR NOT NULL, code VARCHAR NOT NULL, rome VARCHAR NOT NULL,
    rome_libelle VARCHAR, offres BIGINT NOT NULL, postes BIGINT NOT NULL, cdi BIGINT NOT NULL,
    periode_debut DATE, periode_fin DATE, source_id VARCHAR NOT NULL, PRIMARY KEY (kind, code, rome));
CREATE TABLE ind_offres_total (kind VARCHAR NOT NULL, code VARCHAR NOT NULL, offres BIGINT NOT NULL,
    offres_sans_commune BIGINT NOT NULL, periode_debut DATE, periode_fin DATE, source_id VARCHAR NOT NULL,
    PRIMARY KEY (kind, code));
