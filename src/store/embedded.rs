//! The default dataset embedded in the binary (`data/default/*.gz`, built by `data/prepare.sh`).
//! `init` extracts it to a temporary folder that DuckDB reads (it decompresses `.gz` itself).
use std::path::Path;

use anyhow::{Context, Result};

pub struct EmbeddedFile {
    pub name: &'static str,
    pub bytes: &'static [u8],
}

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(EmbeddedFile {
            name: $name,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/default/", $name)),
        }),*]
    };
}

pub static FILES: &[EmbeddedFile] = embedded![
    "ze2020_communes_cog2023.csv.gz",
    "ze2020_zones_cog2023.csv.gz",
    "insee_table_passage_cog2025.csv.gz",
    "ze2020_simplified.geojson.gz",
    "departements_simplified.geojson.gz",
    "bmo_2024_bassin_metier.csv.gz",
    "bassin_bmo_communes.csv.gz",
    "bassins_bmo_simplified.geojson.gz",
    "insee_taux_chomage_ze2020_2003T1_2023T3_long.csv.gz",
    "dares_tensions_2019_fap_nat_reg_dep.csv.gz",
    "dares_tensions_evolution_2011_2019_nat.csv.gz",
    "urssaf_effectifs_ze2020_trimestriel.csv.gz",
    "urssaf_etab_effectifs_ze2815_rouen_dep76_ape_annuel_2006_2022.csv.gz",
    "dares_defm_departement_categorie_mensuel_1996_2016.csv.gz",
    "naf_rev2_sous_classes_agregats.csv.gz",
    "naf_rev2_niveaux_agreges_libelles.csv.gz",
    "naf_rev2_libelles_tous_niveaux.csv.gz",
    "dares_fap2009_rome_v3.csv.gz",
    "dares_fap2021_nomenclature.csv.gz",
    "rome_v3_fiches_2021.csv.gz",
    "unix_referentiel_code_rome_v460_utf8.csv.gz",
    "unix_cr_gd_dp_v460_utf8.csv.gz",
    "unix_referentiel_appellation_v460_utf8.csv.gz",
    "unix_referentiel_competence_v460_utf8.csv.gz",
    "unix_referentiel_savoir_v460_utf8.csv.gz",
    "unix_coherence_item_v460_utf8.csv.gz",
    "unix_arborescence_secteur_naf_v460_utf8.csv.gz",
    "unix_rubrique_mobilite_v460_utf8.csv.gz",
    "fap2021_fap2009.csv.gz",
    "rome4_fap.csv.gz",
    "offres_2025-11-13_15_flat.csv.gz",
    "offres_2025-11-13_15_competences.csv.gz",
];

/// Writes every embedded file into `dir`.
pub fn extract_to(dir: &Path) -> Result<()> {
    for f in FILES {
        let path = dir.join(f.name);
        std::fs::write(&path, f.bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
