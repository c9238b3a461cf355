//! Tension per territory × métier after the DARES–France Travail method (2019 renovation),
//! `ind_tension`; method `/methodologie#tension`.
//!
//! Main indicator: weighted mean of standardised components — employers' recruitment
//! difficulty (share of BMO projects judged difficult, weight 0.5), offers per jobseeker (0.3),
//! jobseekers' outflow rate (0.2). Each component is standardised against the national
//! reference distribution (France × métier of the same nomenclature, métiers whose base passes
//! the publication rule): z = (x − mean) / sd. Level 1–5 by the quintiles of the national
//! scores of the same indicator.
//!
//! Publication rule (France Travail's 30/30/30, per component): a component whose base has
//! fewer than 30 offers, BMO projects or jobseekers is absent, with its reason. Without the
//! employers'-difficulty component a row gets no level (`suppressed_reason`). With all three
//! main components the indicator is `dares`; with fewer it is the partial indicator
//! `tension-partielle-<components>` (weights renormalised over the components present), never
//! the DARES one. Jobseekers by métier come only from the Marché du travail collector: without it
//! the two jobseeker components are absent and say so.
//!
//! Complementary indicators (shown, not in the score): non-durable employment (share of offers
//! not durable, share of seasonal BMO projects), hiring intensity, lack of available labour and
//! geographic mismatch (absent until employment and jobseekers by métier exist).
use anyhow::Result;
use duckdb::Connection;

/// Smallest base (offers, BMO projects, jobseekers) a component is published on.
pub const MIN_BASE: i64 = 30;
/// Smallest number of national métiers a reference distribution (and its quintiles) needs.
pub const MIN_REFERENCE: i64 = 5;

const BASE_SQL: &str = include_str!("tension_base.sql");
const SCORE_SQL: &str = include_str!("tension_score.sql");

pub fn refresh(conn: &Connection) -> Result<()> {
    super::sql::run(conn, BASE_SQL)?;
    super::sql::run(
        conn,
        &SCORE_SQL
            .replace("{MIN_BASE}", &MIN_BASE.to_string())
            .replace("{MIN_REFERENCE}", &MIN_REFERENCE.to_string()),
    )?;
    Ok(())
}

/// Where a component's source label comes from.
#[derive(Debug, Clone, Copy)]
pub enum ComponentSource {
    /// `ind_tension.bmo_source` (BMO, or BMO of the ROME's FAP 2021 family).
    Bmo,
    /// `ind_tension.offres_source` (the offer sources counted).
    Offres,
    Fixed(&'static str),
}

/// One component of `ind_tension`, as the API and pages show it.
#[derive(Debug, Clone, Copy)]
pub struct ComponentDef {
    pub name: &'static str,
    /// Column prefix in `ind_tension` (`{prefix}_value`, `_z`, `_base`, `_absent`); `None`: not
    /// computable from the observatory's sources, always absent with `unavailable`.
    pub prefix: Option<&'static str>,
    /// Weight in the main indicator; `None`: complementary indicator.
    pub weight: Option<f64>,
    pub source: ComponentSource,
    pub unavailable: &'static str,
}

const MDT: &str = "Marché du travail (France Travail)";

pub const COMPONENTS: [ComponentDef; 8] = [
    ComponentDef {
        name: "difficultes_recrutement",
        prefix: Some("diff"),
        weight: Some(0.5),
        source: ComponentSource::Bmo,
        unavailable: "",
    },
    ComponentDef {
        name: "offres_par_demandeur",
        prefix: Some("off"),
        weight: Some(0.3),
        source: ComponentSource::Fixed(MDT),
        unavailable: "",
    },
    ComponentDef {
        name: "sorties_demandeurs",
        prefix: Some("sort"),
        weight: Some(0.2),
        source: ComponentSource::Fixed(MDT),
        unavailable: "",
    },
    ComponentDef {
        name: "non_durabilite_offres",
        prefix: Some("nondur"),
        weight: None,
        source: ComponentSource::Offres,
        unavailable: "",
    },
    ComponentDef {
        name: "saisonnalite_projets",
        prefix: Some("saison"),
        weight: None,
        source: ComponentSource::Bmo,
        unavailable: "",
    },
    ComponentDef {
        name: "intensite_embauches",
        prefix: None,
        weight: None,
        source: ComponentSource::Fixed("Dares / Insee / France Travail"),
        unavailable: "emploi par métier non disponible pour ce territoire",
    },
    ComponentDef {
        name: "manque_main_oeuvre",
        prefix: None,
        weight: None,
        source: ComponentSource::Fixed("Dares / Insee / France Travail"),
        unavailable: "demandeurs d'emploi et emploi par métier non disponibles pour ce territoire",
    },
    ComponentDef {
        name: "inadequation_geographique",
        prefix: None,
        weight: None,
        source: ComponentSource::Fixed("Dares / France Travail"),
        unavailable: "demandeurs d'emploi par métier non disponibles pour ce territoire",
    },
];
