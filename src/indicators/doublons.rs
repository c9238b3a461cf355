//! Duplicates across sources: the same job on France Travail and on a local board is one offer
//! for the indicators. Two open offers of *different sources* are the same job when their
//! normalised title, normalised employer and commune are equal and they were created within 30
//! days of the first of the cluster (a cluster holds at most one offer per source: two offers of
//! one source are two offers, as that source counts them). Clusters are recorded
//! (`ind_offre_cluster`), never deleted; a France Travail offer gives the cluster its id.
use std::collections::{HashMap, HashSet};

use anyhow::Result;
use chrono::{Duration, NaiveDateTime};
use duckdb::Connection;
use rayon::prelude::*;

use crate::collect::boards::classify::normalise;

pub const WINDOW_DAYS: i64 = 30;

type Offer = (String, String, NaiveDateTime);

pub fn refresh(conn: &Connection) -> Result<()> {
    let rows: Vec<(String, String, String, String, NaiveDateTime, String)> = conn
        .prepare(
            "WITH open_offers AS (
                 SELECT id, intitule, entreprise_nom, commune, coalesce(date_creation, first_seen) AS created, source_id
                 FROM raw_ft_offre
                 WHERE closed_at IS NULL AND intitule IS NOT NULL AND entreprise_nom IS NOT NULL AND commune IS NOT NULL)
             SELECT id, intitule, entreprise_nom, commune, created, source_id FROM open_offers
             -- a cluster joins offers of different sources in one commune: only such communes
             WHERE commune IN (SELECT commune FROM open_offers GROUP BY commune HAVING count(DISTINCT source_id) > 1)",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
        .collect::<Result<_, _>>()?;
    // normalising is most of the Rust time, and titles and employers repeat: each distinct
    // string is normalised once, on every core (DuckDB waits meanwhile)
    let distinct: HashSet<&str> = rows
        .iter()
        .flat_map(|r| [r.1.as_str(), r.2.as_str()])
        .collect();
    let normalised: HashMap<&str, String> = distinct
        .into_par_iter()
        .map(|s| (s, normalise(s)))
        .collect();
    let mut groups: HashMap<(&str, &str, &str), Vec<Offer>> = HashMap::new();
    for (id, title, employer, commune, date, source) in &rows {
        let key = (
            normalised[title.as_str()].as_str(),
            normalised[employer.as_str()].as_str(),
            commune.as_str(),
        );
        groups
            .entry(key)
            .or_default()
            .push((id.clone(), source.clone(), *date));
    }
    conn.execute_batch("DELETE FROM ind_offre_cluster")?;
    let mut app = super::publish::appender(conn, "ind_offre_cluster")?;
    for mut offers in groups.into_values().filter(|g| g.len() > 1) {
        offers.sort_by(|a, b| a.2.cmp(&b.2).then(a.0.cmp(&b.0)));
        // clusters: (start date, members)
        let mut clusters: Vec<(NaiveDateTime, Vec<&Offer>)> = Vec::new();
        for o in &offers {
            let slot = clusters.iter_mut().find(|(start, members)| {
                o.2 - *start <= Duration::days(WINDOW_DAYS) && !members.iter().any(|m| m.1 == o.1)
            });
            match slot {
                Some((_, members)) => members.push(o),
                None => clusters.push((o.2, vec![o])),
            }
        }
        for (_, members) in clusters.into_iter().filter(|(_, m)| m.len() > 1) {
            let id = &members
                .iter()
                .find(|o| o.1.starts_with("ft-"))
                .unwrap_or(&members[0])
                .0;
            for o in &members {
                app.append_row(duckdb::params![o.0, id, members.len() as i32])?;
            }
        }
    }
    app.flush()?;
    Ok(())
}
