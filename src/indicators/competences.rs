//! Skills demand per territory (`ind_competences`) and mobility between métiers
//! (`ind_mobilite`); method `/methodologie#competences`.
//!
//! - **observed** (`observee`): ROME 4.0 compétences and savoirs (OGR codes) asked in the open
//!   offers of a territory, per breakdown (all offers, ROME, FAP 2021, filière): offers asking it
//!   and their share of the cell's offers (share published on ≥ [`MIN_OFFERS`] offers). Free-text
//!   skills written by employers (no OGR code) are not counted.
//! - **structural** (`structurelle`, *not observed*): what the territory's recruitment projects
//!   imply: each FAP 2021 family has a skill profile (the ROME 4.0 skill links of its métiers,
//!   métiers weighted equally, core skills double; its 40 heaviest skills), weighted by the
//!   territory's BMO projects of that family. Stored for the whole territory (the
//!   [`TOP_STRUCTURAL`] heaviest skills) — the fallback where offers are few.
//! - **emerging** (`emergente`): share of offers asking the skill over the last [`PERIOD_MONTHS`]
//!   months with offers against the [`PERIOD_MONTHS`] before; only where both periods have ≥
//!   [`MIN_OFFERS`] offers and the skill ≥ [`MIN_EMERGING`] offers now. `poids` = change in points.
//! - **transferable** (`transferable`): core skills shared by at least two ROME métiers of level
//!   ≥ 4 in the territory's tension table; `offres` = how many such métiers share it.
use anyhow::Result;
use duckdb::Connection;

pub const MIN_OFFERS: i64 = 30;
pub const MIN_EMERGING: i64 = 5;
pub const PERIOD_MONTHS: i64 = 3;
pub const TOP_STRUCTURAL: i64 = 50;

pub fn refresh(conn: &Connection) -> Result<()> {
    super::sql::run(
        conn,
        &include_str!("competences.sql")
            .replace("{MIN_OFFERS}", &MIN_OFFERS.to_string())
            .replace("{MIN_EMERGING}", &MIN_EMERGING.to_string())
            .replace("{PERIOD_MONTHS}", &PERIOD_MONTHS.to_string())
            .replace("{TOP_STRUCTURAL}", &TOP_STRUCTURAL.to_string())
            .replace(
                "{SOURCE_BITS}",
                &super::sql::source_bits("comp_src", "comp_offre"),
            )
            .replace("{SOURCES}", &super::sql::sources_of_mask("comp_src")),
    )?;
    Ok(())
}
