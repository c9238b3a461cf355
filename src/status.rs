//! `observatoire status`: tables and row counts, sources and their freshness, last job runs.
use anyhow::Result;
use chrono::{NaiveDateTime, Utc};
use duckdb::Connection;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Status {
    pub database: String,
    pub schema_version: i64,
    pub tables: Vec<TableCount>,
    pub sources: Vec<SourceStatus>,
    pub job_runs: Vec<JobRun>,
    /// How far the métier crosswalks make BMO and offers meet (`None` before the schema has them).
    pub crosswalks: Option<crate::referentials::crosswalks::Coverage>,
    /// Raw data changed since the derived tables were last rebuilt.
    pub indicators_pending: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct TableCount {
    pub table: String,
    pub rows: i64,
}

#[derive(Debug, Serialize, Clone)]
pub struct SourceStatus {
    pub id: String,
    pub name: String,
    pub publisher: String,
    pub vintage: String,
    pub licence: String,
    pub url: Option<String>,
    pub method_anchor: String,
    /// Start of the latest period the data covers (`YYYY-MM-DD`).
    pub data_date: Option<String>,
    /// That period in words: "2019", "2023-T3", "juin 2016", "15 novembre 2025".
    pub data_period: Option<String>,
    pub rows: i64,
    /// When it was last loaded (UTC, `YYYY-MM-DDTHH:MM:SS`).
    pub last_success: String,
    /// Length of one period of the data, days.
    pub expected_period_days: Option<i64>,
    /// Usual delay from the start of a period to its publication, days.
    pub publication_lag_days: Option<i64>,
    /// Days since the last load.
    pub age_days: i64,
    /// Days since the start of the data's latest period.
    pub data_age_days: Option<i64>,
    /// The next period should have been published by now (`data_date + period + lag < today`):
    /// the data is out of date, however recently it was loaded.
    pub stale: bool,
    /// "données de 2019 — chargées le 1er décembre 2026".
    pub freshness: String,
}

const MOIS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// A date in French words: "1er décembre 2026", "15 novembre 2025".
pub fn french_date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let day = if d.day() == 1 {
        "1er".to_string()
    } else {
        d.day().to_string()
    };
    format!("{day} {} {}", MOIS[d.month0() as usize], d.year())
}

/// The latest period of a source in words, from its start date and period length.
fn period_label(start: chrono::NaiveDate, period_days: Option<i64>) -> String {
    use chrono::Datelike;
    match period_days {
        Some(p) if p >= 360 => start.year().to_string(),
        Some(p) if p >= 89 => format!("{}-T{}", start.year(), start.month0() / 3 + 1),
        Some(p) if p >= 28 => format!("{} {}", MOIS[start.month0() as usize], start.year()),
        _ => french_date(start),
    }
}

/// Freshness of one source at `today`: (data age in days, stale, sentence).
pub fn freshness(
    data_date: Option<chrono::NaiveDate>,
    period: Option<i64>,
    lag: Option<i64>,
    loaded: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> (Option<i64>, bool, Option<String>, String) {
    let age = data_date.map(|d| (today - d).num_days());
    let stale = match (data_date, period) {
        (Some(d), Some(p)) => d + chrono::Duration::days(p + lag.unwrap_or(0)) < today,
        _ => false,
    };
    let label = data_date.map(|d| period_label(d, period));
    let sentence = match &label {
        Some(l) => format!("données de {l} — chargées le {}", french_date(loaded)),
        None => format!("chargées le {}", french_date(loaded)),
    };
    (age, stale, label, sentence)
}

pub fn sources(conn: &Connection) -> Result<Vec<SourceStatus>> {
    let now = Utc::now().naive_utc();
    let rows = conn
        .prepare(
            "SELECT source_id, name, publisher, vintage, licence, url, method_anchor,
                    data_date, rows_loaded, last_success_at, expected_period_days, publication_lag_days
             FROM sources ORDER BY source_id",
        )?
        .query_map([], |r| {
            let last: NaiveDateTime = r.get(9)?;
            let period: Option<i64> = r.get(10)?;
            let lag: Option<i64> = r.get(11)?;
            let data_date: Option<chrono::NaiveDate> = r.get(7)?;
            // dates as the reader in France sees them (the timestamps are UTC)
            let paris = |t: &NaiveDateTime| {
                use chrono::TimeZone;
                chrono_tz::Europe::Paris.from_utc_datetime(t).date_naive()
            };
            let (data_age_days, stale, data_period, freshness) =
                freshness(data_date, period, lag, paris(&last), paris(&now));
            Ok(SourceStatus {
                id: r.get(0)?,
                name: r.get(1)?,
                publisher: r.get(2)?,
                vintage: r.get(3)?,
                licence: r.get(4)?,
                url: r.get(5)?,
                method_anchor: r.get(6)?,
                data_date: data_date.map(|d| d.format("%Y-%m-%d").to_string()),
                data_period,
                rows: r.get(8)?,
                last_success: last.format("%Y-%m-%dT%H:%M:%S").to_string(),
                expected_period_days: period,
                publication_lag_days: lag,
                age_days: (now - last).num_days(),
                data_age_days,
                stale,
                freshness,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::freshness;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn freshness_is_the_age_of_the_data_not_of_the_load() {
        // DARES 2019, loaded today: out of date.
        let (age, stale, label, text) = freshness(
            Some(d("2019-01-01")),
            Some(366),
            Some(666),
            d("2026-12-01"),
            d("2026-12-01"),
        );
        assert!(stale);
        assert_eq!(age, Some(2891));
        assert_eq!(label.as_deref(), Some("2019"));
        assert_eq!(text, "données de 2019 — chargées le 1er décembre 2026");
        // A quarter published on time is fresh until the next should be out.
        let q = (Some(d("2025-10-01")), Some(92), Some(172));
        assert!(!freshness(q.0, q.1, q.2, d("2026-03-20"), d("2026-06-20")).1);
        assert!(freshness(q.0, q.1, q.2, d("2026-03-20"), d("2026-07-01")).1);
        assert_eq!(
            freshness(q.0, q.1, q.2, d("2026-03-20"), d("2026-03-20"))
                .2
                .as_deref(),
            Some("2025-T4")
        );
        // Monthly and daily labels; a nomenclature (no period) is never stale.
        assert_eq!(
            freshness(
                Some(d("2016-06-01")),
                Some(31),
                Some(61),
                d("2026-12-01"),
                d("2026-12-01")
            )
            .3,
            "données de juin 2016 — chargées le 1er décembre 2026"
        );
        let daily = freshness(
            Some(d("2026-11-30")),
            Some(1),
            Some(1),
            d("2026-11-30"),
            d("2026-12-01"),
        );
        assert!(!daily.1);
        assert_eq!(daily.2.as_deref(), Some("30 novembre 2026"));
        assert!(
            freshness(
                Some(d("2026-11-28")),
                Some(1),
                Some(1),
                d("2026-11-28"),
                d("2026-12-01")
            )
            .1
        );
        assert!(
            !freshness(
                Some(d("2008-01-01")),
                None,
                None,
                d("2026-12-01"),
                d("2026-12-01")
            )
            .1
        );
    }
}

#[derive(Debug, Serialize)]
pub struct JobRun {
    pub run_id: i64,
    pub job: String,
    pub trigger: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: String,
    pub rows_read: i64,
    pub rows_added: i64,
    pub rows_updated: i64,
    pub rows_closed: i64,
    /// Error or run note. Admin and CLI only: the public `/api/v1/jobs` leaves it out (it can
    /// name hosts, files and upstream answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

pub fn collect(conn: &Connection, database: &str) -> Result<Status> {
    let schema_version = crate::store::migrations::current_version(conn)?;
    let mut tables = Vec::new();
    let names: Vec<String> = conn
        .prepare(
            "SELECT table_name FROM information_schema.tables
             WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for table in names {
        let rows: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
            r.get(0)
        })?;
        tables.push(TableCount { table, rows });
    }
    let sources = if schema_version > 0 {
        sources(conn)?
    } else {
        vec![]
    };
    let job_runs = if schema_version > 0 {
        job_runs(conn, None, 20)?
    } else {
        vec![]
    };
    let analytics = schema_version >= 6;
    let crosswalks = if analytics {
        Some(crate::referentials::crosswalks::coverage(conn)?)
    } else {
        None
    };
    let indicators_pending = if analytics {
        Some(crate::store::changes::pending(
            conn,
            crate::indicators::REBUILD,
        )?)
    } else {
        None
    };
    Ok(Status {
        database: database.to_string(),
        schema_version,
        tables,
        sources,
        crosswalks,
        indicators_pending,
        job_runs,
    })
}

pub fn print_text(s: &Status) {
    println!(
        "Base de données : {} (schéma v{})",
        s.database, s.schema_version
    );
    println!("\nTables :");
    for t in &s.tables {
        println!("  {:<32} {:>10}", t.table, t.rows);
    }
    println!("\nSources :");
    for src in &s.sources {
        println!(
            "  {:<24} millésime {:<28} {}{}",
            src.id,
            src.vintage,
            src.freshness,
            if src.stale {
                "  PÉRIMÉE (période suivante attendue)"
            } else {
                ""
            }
        );
    }
    if let Some(c) = &s.crosswalks {
        let pct = |a: i64, b: i64| {
            if b > 0 {
                100.0 * a as f64 / b as f64
            } else {
                0.0
            }
        };
        println!("\nCorrespondances de métiers :");
        println!(
            "  projets BMO rattachés à une FAP 2009 : {:.1} % ({} sur {}) ; sans correspondance : {}",
            pct(c.bmo_projets_fap2009, c.bmo_projets),
            c.bmo_projets_fap2009,
            c.bmo_projets,
            if c.bmo_unmapped.is_empty() { "aucun".to_string() } else { c.bmo_unmapped.join(", ") }
        );
        println!(
            "  offres ouvertes rattachées : FAP 2009 {:.1} %, FAP 2021 {:.1} % (sur {}) ; ROME sans FAP 2021 : {}",
            pct(c.offres_fap2009, c.offres),
            pct(c.offres_fap2021, c.offres),
            c.offres,
            if c.rome_unmapped.is_empty() { "aucun".to_string() } else { c.rome_unmapped.join(", ") }
        );
    }
    if s.indicators_pending == Some(true) {
        println!("\nIndicateurs : des données ont changé depuis le dernier calcul (relancez `observatoire jobs run indicators` ou attendez le planificateur).");
    }
    println!("\nDernières exécutions de tâches :");
    if s.job_runs.is_empty() {
        println!("  (aucune)");
    }
    for j in &s.job_runs {
        println!(
            "  {} {} [{}] {} — {} lues, {} ajoutées, {} mises à jour, {} fermées {}",
            j.started_at,
            j.job,
            j.trigger,
            j.status,
            j.rows_read,
            j.rows_added,
            j.rows_updated,
            j.rows_closed,
            j.error.as_deref().unwrap_or("")
        );
    }
}

/// The latest runs (newest first), of one job or of all; times in UTC.
pub fn job_runs(conn: &Connection, job: Option<&str>, limit: i64) -> Result<Vec<JobRun>> {
    Ok(conn
        .prepare(
            "SELECT run_id, job, trigger, strftime(started_at, '%Y-%m-%dT%H:%M:%SZ'),
                    strftime(finished_at, '%Y-%m-%dT%H:%M:%SZ'), status, coalesce(rows_read, 0),
                    coalesce(rows_added, 0), coalesce(rows_updated, 0), coalesce(rows_closed, 0), error
             FROM job_runs WHERE ?1 IS NULL OR job = ?1 ORDER BY run_id DESC LIMIT ?2",
        )?
        .query_map(duckdb::params![job, limit], |r| {
            Ok(JobRun {
                run_id: r.get(0)?,
                job: r.get(1)?,
                trigger: r.get(2)?,
                started_at: r.get(3)?,
                finished_at: r.get(4)?,
                status: r.get(5)?,
                rows_read: r.get(6)?,
                rows_added: r.get(7)?,
                rows_updated: r.get(8)?,
                rows_closed: r.get(9)?,
                error: r.get(10)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}
