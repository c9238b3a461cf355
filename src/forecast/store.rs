//! The `fc_*` tables: every forecast family read from the derived (and, for the national DARES
//! series and DEFM, raw) tables, forecast with [`super::engine`], held out to measure accuracy,
//! and written whole in the caller's transaction.
use std::collections::BTreeMap;

use anyhow::{Context, Result};
use duckdb::Connection;

use super::engine::{self, Bound, Settings};
use super::holdout;
use super::period::Period;

/// `derived_state` name of the forecasts rebuild.
pub const REBUILD: &str = "forecasts";
/// Months of offers history needed before offers are forecast.
pub const MIN_OFFER_MONTHS: usize = 24;
pub const METHOD: &str = "/methodologie#previsions";

struct Family {
    name: &'static str,
    /// Rows `kind, code, dimension, label, period, value, source_id`.
    sql: &'static str,
    horizon: usize,
    bound: Bound,
    unit: &'static str,
    min_points: usize,
}

const FAMILIES: &[Family] = &[
    Family {
        name: "chomage",
        sql: "SELECT kind, code, '', NULL, trimestre, taux, source_id FROM ind_chomage",
        horizon: 8,
        bound: Bound::Percent,
        unit: "%",
        min_points: 1,
    },
    Family {
        name: "emploi",
        sql: "SELECT kind, code, '', NULL, trimestre, effectifs_cvs::DOUBLE, source_id FROM ind_emploi_salarie",
        horizon: 8,
        bound: Bound::NonNegative,
        unit: "salariés",
        min_points: 1,
    },
    // Sectors: the only employment by sector the data holds is yearly (URSSAF by APE, A38).
    Family {
        name: "emploi_secteur",
        sql: "SELECT 'ze', e.ze2020, e.na38, any_value(n.libelle), e.annee::VARCHAR,
                     sum(e.effectifs)::DOUBLE, any_value(e.source_id)
              FROM raw_urssaf_ze_ape e LEFT JOIN ref_naf_libelle n ON n.niveau = 'A38' AND n.code = e.na38
              WHERE e.na38 IS NOT NULL GROUP BY e.ze2020, e.na38, e.annee",
        horizon: 2,
        bound: Bound::NonNegative,
        unit: "salariés",
        min_points: 1,
    },
    // Jobseekers in categories A, B and C, by département.
    Family {
        name: "defm",
        sql: "SELECT 'dep', departement, 'ABC', NULL, mois, sum(defm)::DOUBLE, any_value(source_id)
              FROM raw_defm_dep WHERE categorie IN ('A', 'B', 'C') GROUP BY departement, mois",
        horizon: 12,
        bound: Bound::NonNegative,
        unit: "demandeurs",
        min_points: 1,
    },
    Family {
        name: "tension_dares",
        sql: "SELECT 'fr', 'FR', e.fap, any_value(f.libelle), e.annee::VARCHAR, any_value(e.tension),
                     any_value(e.source_id)
              FROM raw_dares_tension_evolution e
              LEFT JOIN (SELECT fap225 AS code, any_value(fap225_libelle) AS libelle
                         FROM ref_fap2009_rome_v3 GROUP BY 1) f ON f.code = e.fap
              WHERE e.tension IS NOT NULL GROUP BY e.fap, e.annee",
        horizon: 2,
        bound: Bound::None,
        unit: "indicateur",
        min_points: 1,
    },
    Family {
        name: "offres",
        sql: "SELECT kind, code, dimension || ':' || key, label, periode, offres::DOUBLE, sources
              FROM ind_offres
              WHERE dimension IN ('total', 'rome', 'fap2021', 'fap2009', 'naf_a21', 'filiere')
                AND periode <> 'actuel'",
        horizon: 12,
        bound: Bound::NonNegative,
        unit: "offres",
        min_points: MIN_OFFER_MONTHS,
    },
];

struct Series {
    kind: String,
    code: String,
    dimension: String,
    label: Option<String>,
    start: Period,
    values: Vec<f64>,
    source: String,
}

/// Reads a family's series; a series with a gap keeps its last unbroken run.
fn read(conn: &Connection, f: &Family) -> Result<Vec<Series>> {
    let mut stmt = conn.prepare(f.sql)?;
    type Row = (
        String,
        String,
        String,
        Option<String>,
        String,
        Option<f64>,
        String,
    );
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ))
    })?;
    type Point = (Period, f64, Option<String>, String);
    let mut by_key: BTreeMap<(String, String, String), Vec<Point>> = BTreeMap::new();
    for row in rows {
        let (kind, code, dim, label, period, value, source): Row = row?;
        let (Some(v), Ok(p)) = (value, Period::parse(&period)) else {
            continue;
        };
        if v.is_finite() {
            by_key
                .entry((kind, code, dim))
                .or_default()
                .push((p, v, label, source));
        }
    }
    let mut out = Vec::new();
    for ((kind, code, dimension), mut pts) in by_key {
        pts.sort_by_key(|p| p.0);
        pts.dedup_by_key(|p| p.0);
        let run_start = pts
            .windows(2)
            .rposition(|w| w[1].0.index != w[0].0.index + 1)
            .map_or(0, |i| i + 1);
        let pts = &pts[run_start..];
        if pts.len() < f.min_points {
            continue;
        }
        out.push(Series {
            kind,
            code,
            dimension,
            label: pts.iter().rev().find_map(|p| p.2.clone()),
            start: pts[0].0,
            values: pts.iter().map(|p| p.1).collect(),
            source: pts[pts.len() - 1].3.clone(),
        });
    }
    Ok(out)
}

/// kind, code, dimension, period.
type SeriesPeriod = (String, String, String, String);

/// Rebuilds every `fc_*` table in `conn`'s transaction.
pub fn rebuild(conn: &Connection) -> Result<()> {
    // the forecasts being replaced, to find the values that fell outside them (alerts)
    conn.execute_batch(
        "CREATE OR REPLACE TEMP TABLE fc_prev AS SELECT * FROM fc_points;
         DELETE FROM fc_surprises;
         DELETE FROM fc_points; DELETE FROM fc_series; DELETE FROM fc_accuracy;",
    )?;
    for f in FAMILIES {
        let started = std::time::Instant::now();
        family(conn, f).with_context(|| format!("prévisions {}", f.name))?;
        tracing::debug!(
            family = f.name,
            ms = started.elapsed().as_millis() as u64,
            "prévisions recalculées"
        );
    }
    // skills: the métiers' offer forecasts above times their skill shares
    super::competences::rebuild(conn).context("prévisions des compétences")?;
    conn.execute_batch("DROP TABLE fc_prev")?;
    crate::store::changes::record_rebuild(conn, REBUILD)
}

/// Observed values outside the 95 % interval the previous build forecast for them.
fn surprises(conn: &Connection, f: &Family, series: &[Series]) -> Result<()> {
    let mut prev: std::collections::HashMap<SeriesPeriod, (f64, f64, f64)> = conn
        .prepare(
            "SELECT kind, code, dimension, period, mean, lo95, hi95 FROM fc_prev
             WHERE family = ? AND lo95 IS NOT NULL AND hi95 IS NOT NULL AND mean IS NOT NULL",
        )?
        .query_map([f.name], |r| {
            Ok((
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?),
                (r.get(4)?, r.get(5)?, r.get(6)?),
            ))
        })?
        .collect::<Result<_, _>>()?;
    if prev.is_empty() {
        return Ok(());
    }
    let mut app = conn.appender("fc_surprises")?;
    for s in series {
        for (i, v) in s.values.iter().enumerate() {
            let period = s.start.plus(i as i64).to_string();
            let key = (s.kind.clone(), s.code.clone(), s.dimension.clone(), period);
            if let Some((mean, lo, hi)) = prev.remove(&key) {
                if *v < lo || *v > hi {
                    app.append_row(duckdb::params![
                        f.name,
                        s.kind,
                        s.code,
                        s.dimension,
                        s.label,
                        key.3,
                        v,
                        mean,
                        lo,
                        hi,
                        f.unit,
                        s.source,
                        chrono::Utc::now().naive_utc()
                    ])?;
                }
            }
        }
    }
    app.flush()?;
    Ok(())
}

fn family(conn: &Connection, f: &Family) -> Result<()> {
    let series = read(conn, f)?;
    surprises(conn, f, &series)?;
    if series.is_empty() {
        let note = if f.min_points > 1 {
            format!(
                "aucune série d'au moins {} périodes : pas de prévision",
                f.min_points
            )
        } else {
            "aucune donnée".to_string()
        };
        conn.execute(
            "INSERT INTO fc_accuracy VALUES (?, 0, 0, ?, NULL, NULL, NULL, NULL, ?, now()::TIMESTAMP)",
            duckdb::params![f.name, f.horizon as i64, note],
        )?;
        return Ok(());
    }
    let settings = Settings::new(f.horizon, series[0].start.frequency.per_year());
    let values: Vec<Vec<f64>> = series.iter().map(|s| s.values.clone()).collect();
    let bounds = vec![f.bound; series.len()];
    let outcomes = engine::forecast_batch(&values, &bounds, &settings);
    let slices: Vec<&[f64]> = values.iter().map(|v| v.as_slice()).collect();
    let held = holdout::holdout(&slices, &bounds, &settings);
    let mut sp = conn.appender("fc_series")?;
    for ((s, o), h) in series.iter().zip(&outcomes).zip(&held) {
        let last = s.start.plus(s.values.len() as i64 - 1);
        sp.append_row(duckdb::params![
            f.name,
            s.kind,
            s.code,
            s.dimension,
            s.label,
            s.start.frequency.name(),
            s.start.to_string(),
            last.to_string(),
            s.values.len() as i64,
            f.horizon as i64,
            o.model,
            o.calibration.name(),
            o.mase,
            o.mase_snaive,
            h.as_ref().and_then(|h| h.mase),
            h.as_ref().map(|h| h.coverage[0]),
            h.as_ref().map(|h| h.coverage[1]),
            f.unit,
            s.source,
            format!("données jusqu'à {last}"),
            METHOD,
            chrono::Utc::now().naive_utc(),
        ])?;
    }
    sp.flush()?;
    drop(sp);
    let mut pp = conn.appender("fc_points")?;
    let finite = |v: f64| v.is_finite().then_some(v);
    for (s, o) in series.iter().zip(&outcomes) {
        let last = s.start.plus(s.values.len() as i64 - 1);
        for k in 0..f.horizon {
            pp.append_row(duckdb::params![
                f.name,
                s.kind,
                s.code,
                s.dimension,
                k as i64 + 1,
                last.plus(k as i64 + 1).to_string(),
                finite(o.mean[k]),
                finite(o.intervals[0].0[k]),
                finite(o.intervals[0].1[k]),
                finite(o.intervals[1].0[k]),
                finite(o.intervals[1].1[k]),
            ])?;
        }
    }
    pp.flush()?;
    drop(pp);
    let scored: Vec<&holdout::Holdout> = held.iter().flatten().collect();
    let mean = |v: Vec<f64>| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    conn.execute(
        "INSERT INTO fc_accuracy VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, now()::TIMESTAMP)",
        duckdb::params![
            f.name,
            series.len() as i64,
            scored.len() as i64,
            f.horizon as i64,
            mean(scored.iter().filter_map(|h| h.mase).collect()),
            mean(scored.iter().filter_map(|h| h.mase_naive).collect()),
            mean(scored.iter().map(|h| h.coverage[0]).collect()),
            mean(scored.iter().map(|h| h.coverage[1]).collect()),
        ],
    )?;
    Ok(())
}

/// True when the indicators were rebuilt after the last forecasts (or none ran).
pub fn pending(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT coalesce((SELECT built_at FROM derived_state WHERE name = ?) <
                         (SELECT built_at FROM derived_state WHERE name = ?), true)",
        [REBUILD, crate::indicators::REBUILD],
        |r| r.get(0),
    )?)
}

/// Rebuilds in one transaction when the indicators changed since. Returns whether it ran.
pub fn rebuild_if_pending(conn: &mut Connection) -> Result<bool> {
    if !pending(conn)? {
        return Ok(false);
    }
    let tx = conn.transaction()?;
    rebuild(&tx)?;
    tx.commit()?;
    Ok(true)
}
