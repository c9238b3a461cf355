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
    pub data_date: Option<String>,
    pub rows: i64,
    pub last_success: String,
    pub expected_period_days: Option<i64>,
    /// Days since the last successful load.
    pub age_days: i64,
    /// Last success older than the expected period.
    pub stale: bool,
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
    Ok(Status {
        database: database.to_string(),
        schema_version,
        tables,
        sources,
        job_runs,
    })
}

pub fn sources(conn: &Connection) -> Result<Vec<SourceStatus>> {
    let now = Utc::now().naive_utc();
    let rows = conn
        .prepare(
            "SELECT source_id, name, publisher, vintage, licence, url, method_anchor,
                    strftime(data_date, '%Y-%m-%d'), rows_loaded, last_success_at, expected_period_days
             FROM sources ORDER BY source_id",
        )?
        .query_map([], |r| {
            let last: NaiveDateTime = r.get(9)?;
            let period: Option<i64> = r.get(10)?;
            let age_days = (now - last).num_days();
            Ok(SourceStatus {
                id: r.get(0)?,
                name: r.get(1)?,
                publisher: r.get(2)?,
                vintage: r.get(3)?,
                licence: r.get(4)?,
                url: r.get(5)?,
                method_anchor: r.get(6)?,
                data_date: r.get(7)?,
                rows: r.get(8)?,
                last_success: last.format("%Y-%m-%dT%H:%M:%S").to_string(),
                expected_period_days: period,
                age_days,
                stale: period.is_some_and(|p| age_days > p),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
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
            "  {:<24} millésime {:<28} chargée {} ({} j){}",
            src.id,
            src.vintage,
            src.last_success,
            src.age_days,
            if src.stale { "  PÉRIMÉE" } else { "" }
        );
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
