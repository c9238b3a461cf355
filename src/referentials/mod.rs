//! Referentials: territories (COG, zones d'emploi, bassins BMO), métiers (ROME 4.0, ROME v3, FAP),
//! sectors (NAF rév. 2) and map geometries. Loaded once by `init` from the embedded data.
pub mod crosswalks;
pub mod custom;
pub mod filieres;
pub mod geometry;
pub mod lookup;
pub mod metiers;
pub mod naf;
pub mod territories;

use std::path::Path;

use anyhow::Result;
use duckdb::Connection;

use crate::collect::{SourceMeta, LICENCE_OUVERTE};

pub const SOURCE_COG: SourceMeta = SourceMeta {
    id: "insee-cog-ze2020",
    name: "Zones d'emploi 2020 — composition communale (géographie au 01/01/2023) et table de passage du COG",
    publisher: "Insee",
    vintage: "COG 2023 (passage vers COG 2025)",
    licence: LICENCE_OUVERTE,
    url: "https://www.insee.fr/fr/information/4652957",
    method_anchor: "territoires",
    // a nomenclature version, not a series: shown with its version, never "stale"
    expected_period_days: None,
    publication_lag_days: None,
};

pub const SOURCE_BASSINS: SourceMeta = SourceMeta {
    id: "ft-bassins-bmo",
    name: "Bassins d'emploi BMO — correspondance communes",
    publisher: "France Travail",
    vintage: "définition 2024",
    licence: LICENCE_OUVERTE,
    url: "https://statistiques.francetravail.org/bmo",
    method_anchor: "territoires",
    // a nomenclature version, not a series: shown with its version, never "stale"
    expected_period_days: None,
    publication_lag_days: None,
};

pub const SOURCE_ROME: SourceMeta = SourceMeta {
    id: "ft-rome4",
    name: "ROME 4.0 (v4.60) — métiers, appellations, compétences, savoirs",
    publisher: "France Travail",
    vintage: "v4.60",
    licence: LICENCE_OUVERTE,
    url: "https://francetravail.io/data/api/rome-4-0-metiers",
    method_anchor: "metiers",
    // a nomenclature version, not a series: shown with its version, never "stale"
    expected_period_days: None,
    publication_lag_days: None,
};

pub const SOURCE_FAP: SourceMeta = SourceMeta {
    id: "dares-fap",
    name: "Familles professionnelles FAP 2009 ↔ ROME v3, nomenclature FAP 2021",
    publisher: "Dares",
    vintage: "FAP 2009 / FAP 2021",
    licence: LICENCE_OUVERTE,
    url: "https://dares.travail-emploi.gouv.fr/donnees/la-nomenclature-des-familles-professionnelles-fap-2021",
    method_anchor: "metiers",
    // a nomenclature version, not a series: shown with its version, never "stale"
    expected_period_days: None,
    publication_lag_days: None,
};

pub const SOURCE_NAF: SourceMeta = SourceMeta {
    id: "insee-naf",
    name: "Nomenclature d'activités française NAF rév. 2 et niveaux agrégés",
    publisher: "Insee",
    vintage: "NAF rév. 2 (2008)",
    licence: LICENCE_OUVERTE,
    url: "https://www.insee.fr/fr/information/2406147",
    method_anchor: "secteurs",
    // a nomenclature version, not a series: shown with its version, never "stale"
    expected_period_days: None,
    publication_lag_days: None,
};

pub fn load(conn: &Connection, dir: &Path) -> Result<()> {
    territories::load(conn, dir)?;
    metiers::load(conn, dir)?;
    crosswalks::load(conn, dir)?;
    naf::load(conn, dir)?;
    geometry::load(conn, dir)?;
    Ok(())
}
