//! Employment by sector per territory and the shift-share decomposition of its change
//! (`ind_secteurs`; `/methodologie#secteurs`).
//!
//! Input: URSSAF establishments × employees by zone d'emploi × APE × year (`raw_urssaf_ze_ape`:
//! the shipped Rouen extract, and the national file a user imports with
//! `observatoire import urssaf-ze-secteur`; for a zone × year the imported file wins). Sectors at
//! the A38 and A88 levels; periods: the last year against the year before and five years before.
//!
//! Shift-share (national trend, sector mix, local effect), for a territory's sector i with E0, E1
//! employees at the two dates, national sector N_i0, N_i1 and national total N0, N1:
//! national = E0 (N1/N0 − 1); sector mix = E0 (N_i1/N_i0 − 1) − national; local = ΔE − national −
//! mix, so the three sum exactly to the observed change. The national reference is the sum of all
//! zones of the file, used only when the file covers at least [`MIN_ZONES`] zones in both years;
//! otherwise the effects are NULL and `reference` says why (only the change and its contribution
//! are shown). Contribution: ΔE_i / total employment at the start (points of the territory's
//! growth; they sum to its growth rate).
use anyhow::Result;
use duckdb::Connection;

/// Zones d'emploi the sector file must cover (of 306) for a national reference.
pub const MIN_ZONES: i64 = 291;

pub fn refresh(conn: &Connection) -> Result<()> {
    super::sql::run(
        conn,
        &include_str!("secteurs.sql")
            .replace("{MIN_ZONES}", &MIN_ZONES.to_string())
            .replace("{CUSTOM_WHOLE_ZONES}", super::CUSTOM_WHOLE_ZONES),
    )?;
    Ok(())
}
