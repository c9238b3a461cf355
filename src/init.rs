//! `observatoire init`: create or migrate the database, load the embedded default dataset, apply
//! the configuration's territories and filières, and rebuild the derived tables when the data
//! changed. Idempotent: a database that already holds the referentials is only migrated. The
//! default load is one transaction: an interrupted `init` leaves the database as it was.
use std::time::Instant;

use anyhow::{Context, Result};
use duckdb::Connection;

use crate::config::Config;
use crate::store::{changes, embedded, migrations};

#[derive(Debug, serde::Serialize)]
pub struct InitReport {
    pub migrations_applied: usize,
    pub default_data_loaded: bool,
    pub indicators_rebuilt: bool,
    pub seconds: f64,
}

pub fn run(conn: &mut Connection, cfg: &Config) -> Result<InitReport> {
    let started = Instant::now();
    let migrations_applied = migrations::migrate(conn)?;
    // Only one process opens the database: a run still marked running was cut short (crash,
    // kill -9). Its writes were never committed; say so.
    conn.execute(
        "UPDATE job_runs SET status = 'failed', finished_at = now()::TIMESTAMP,
             error = 'interrompue : le processus s''est arrêté pendant l''exécution (rien n''a été enregistré)'
         WHERE status = 'running'",
        [],
    )?;
    let loaded: i64 = conn.query_row("SELECT count(*) FROM ref_commune", [], |r| r.get(0))?;
    let crosswalks: i64 = conn.query_row("SELECT count(*) FROM ref_rome_fap", [], |r| r.get(0))?;
    let default_data_loaded = loaded == 0;
    if default_data_loaded || crosswalks == 0 {
        let dir = tempfile::Builder::new()
            .prefix("observatoire-data-")
            .tempdir()
            .context("dossier temporaire pour les données embarquées")?;
        embedded::extract_to(dir.path())?;
        let tx = conn.transaction()?;
        if default_data_loaded {
            crate::referentials::load(&tx, dir.path())?;
            crate::collect::load_defaults(&tx, dir.path())?;
        } else {
            // a database made before the crosswalks existed
            crate::referentials::crosswalks::load(&tx, dir.path())?;
        }
        changes::mark_changed(&tx, "referentiels")?;
        #[cfg(feature = "failpoints")]
        {
            let path: String = tx.query_row(
                "SELECT path FROM duckdb_databases() WHERE database_name = current_database()",
                [],
                |r| r.get(0),
            )?;
            crate::failpoint!("init::after_load", &path);
        }
        tx.commit()?;
    }
    // what a rebuild interrupted by a crash left beside the published tables
    crate::indicators::publish::drop_staging(conn)?;
    crate::referentials::custom::sync(conn, cfg)?;
    crate::referentials::filieres::sync(conn, cfg)?;
    let indicators_rebuilt = changes::pending(conn, crate::indicators::REBUILD)?;
    if indicators_rebuilt {
        crate::indicators::rebuild(conn)?;
    }
    if default_data_loaded {
        conn.execute_batch("CHECKPOINT")?;
    }
    Ok(InitReport {
        migrations_applied,
        default_data_loaded,
        indicators_rebuilt,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// True when the database has the current schema and its referentials.
pub fn is_ready(conn: &Connection) -> Result<bool> {
    if migrations::current_version(conn)? < migrations::latest_version() {
        return Ok(false);
    }
    let n: i64 = conn.query_row("SELECT count(*) FROM ref_commune", [], |r| r.get(0))?;
    Ok(n > 0)
}
