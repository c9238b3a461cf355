//! Indicators: derived `ind_*` tables computed from raw and referential tables, per territory
//! (kind + code). The web reads only these. Every family is rebuilt whole beside the published
//! tables, which are then replaced in one transaction ([`publish`]), so a page never sees half an
//! update; the rebuild runs when raw data changed
//! ([`crate::store::changes`]), started by the scheduler or the command line — never by a
//! collector or an import.
pub mod bmo;
pub mod chomage;
pub mod competences;
pub mod doublons;
pub mod emploi;
pub mod offres;
pub mod publish;
pub mod secteurs;
pub mod sql;
pub mod tension;

use anyhow::{Context, Result};
use duckdb::Connection;

use crate::store::changes;

/// The custom territories made of whole zones d'emploi, with their zones (`code`, `ze`): the
/// only ones that figures published by zone (employment, sectors) can be summed for.
pub const CUSTOM_WHOLE_ZONES: &str = "
    WITH n AS (SELECT ze2020 AS ze, count(*) AS n FROM ref_commune GROUP BY 1),
         c AS (SELECT t.code, m.ze2020 AS ze, count(*) AS n FROM territory_commune t
               JOIN ref_commune m ON m.code = t.commune WHERE t.kind = 'custom' GROUP BY ALL)
    SELECT c.code, c.ze FROM c JOIN n USING (ze)
    WHERE c.code IN (SELECT c.code FROM c JOIN n USING (ze) GROUP BY c.code HAVING bool_and(c.n = n.n))";

/// `derived_state` name of the indicators rebuild.
pub const REBUILD: &str = "indicators";

type Family = (&'static str, fn(&Connection) -> Result<()>);

/// The families in dependency order (tension reads BMO and offers, sectors read offers, skills
/// read BMO and tension).
const FAMILIES: &[Family] = &[
    ("chômage", chomage::refresh),
    ("emploi salarié", emploi::refresh),
    ("BMO", bmo::refresh),
    ("offres", offres::refresh),
    ("secteurs", secteurs::refresh),
    ("tension", tension::refresh),
    ("compétences", competences::refresh),
];

pub fn refresh_all(conn: &Connection) -> Result<()> {
    refresh_timed(conn).map(|_| ())
}

/// [`refresh_all`], returning how long each family took (for benchmarks and the debug log).
pub fn refresh_timed(conn: &Connection) -> Result<Vec<(&'static str, std::time::Duration)>> {
    let mut times = Vec::new();
    for (name, refresh) in FAMILIES {
        let started = std::time::Instant::now();
        refresh(conn).with_context(|| format!("indicateurs {name}"))?;
        let took = started.elapsed();
        tracing::debug!(
            family = name,
            ms = took.as_millis() as u64,
            "indicateurs recalculés"
        );
        times.push((*name, took));
    }
    Ok(times)
}

/// Rebuilds every derived table and publishes them with the record of what they cover. Must not
/// be called inside a transaction (see [`publish`]).
pub fn rebuild(conn: &Connection) -> Result<()> {
    rebuild_then(conn, || Ok(())).map(|_| ())
}

/// [`rebuild`], running `before_commit` inside the publishing transaction; returns how long each
/// family took.
pub fn rebuild_then(
    conn: &Connection,
    before_commit: impl FnOnce() -> Result<()>,
) -> Result<Vec<(&'static str, std::time::Duration)>> {
    publish::rebuild(conn, refresh_timed, before_commit)
}

/// Rebuilds when raw data changed since the last rebuild. Returns whether it ran.
pub fn rebuild_if_pending(conn: &Connection) -> Result<bool> {
    if !changes::pending(conn, REBUILD)? {
        return Ok(false);
    }
    rebuild(conn)?;
    Ok(true)
}
