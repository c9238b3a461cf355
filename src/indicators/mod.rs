//! Indicators: derived `ind_*` tables computed from raw and referential tables, per territory
//! (kind + code). The web reads only these. Each family is rebuilt whole in the caller's
//! transaction, so a page never sees half an update.
pub mod bmo;
pub mod chomage;
pub mod doublons;
pub mod emploi;
pub mod offres;

use anyhow::{Context, Result};
use duckdb::Connection;

pub fn refresh_all(conn: &Connection) -> Result<()> {
    chomage::refresh(conn).context("indicateurs chômage")?;
    emploi::refresh(conn).context("indicateurs emploi salarié")?;
    bmo::refresh(conn).context("indicateurs BMO")?;
    offres::refresh(conn).context("indicateurs offres")?;
    Ok(())
}
