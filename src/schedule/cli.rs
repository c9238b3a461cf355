//! `observatoire jobs list` and `observatoire jobs run NAME`.
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Result};

use super::clock::{self, TZ};
use super::jobs::{load_dir, JobKind};
use super::runner::{unknown_job, Runner, Status, Trigger};
use crate::cli::JobsAction;
use crate::config::Config;
use crate::store::Db;

pub fn run(action: JobsAction, config: &Config, db_path: &Path) -> Result<()> {
    let (jobs, errors) = load_dir(&config.scheduler.jobs_dir);
    for e in &errors {
        eprintln!("tâche invalide, ignorée : {e}");
    }
    match action {
        JobsAction::List => {
            let db = Db::open(db_path)?;
            db.configure(&config.database)?;
            let conn = db.connect()?;
            crate::store::migrations::migrate(&mut db.connect()?)?;
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            // a reader that stops early (`| head`) closes the pipe: stop quietly, it is not an error
            let quiet = |e: std::io::Error| -> Result<()> {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    Ok(())
                } else {
                    Err(e.into())
                }
            };
            if let Err(e) = writeln!(
                out,
                "{:<24} {:<12} {:<16} {:<26} dernière exécution",
                "tâche", "type", "planification", "prochaine (Europe/Paris)"
            ) {
                return quiet(e);
            }
            for j in &jobs {
                let next = clock::next_run(&j.schedule, chrono::Utc::now())
                    .map(|t| t.with_timezone(&TZ).format("%Y-%m-%d %H:%M %Z").to_string())
                    .unwrap_or_else(|| "—".into());
                let last: Option<(String, String)> = conn
                    .prepare("SELECT status, strftime(started_at, '%Y-%m-%d %H:%M') FROM job_runs WHERE job = ? ORDER BY run_id DESC LIMIT 1")?
                    .query_map([&j.name], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .next()
                    .transpose()?;
                let last = last
                    .map(|(s, t)| format!("{s} ({t} UTC)"))
                    .unwrap_or_else(|| "jamais".into());
                if let Err(e) = writeln!(
                    out,
                    "{:<24} {:<12} {:<16} {:<26} {}",
                    j.name,
                    j.kind.label(),
                    j.schedule_text,
                    next,
                    last
                ) {
                    return quiet(e);
                }
            }
            out.flush().or_else(quiet)
        }
        JobsAction::Run { name, full, force } => {
            let mut job = jobs
                .iter()
                .find(|j| j.name == name)
                .cloned()
                .ok_or_else(|| unknown_job(&name, &jobs))?;
            if full {
                job.params.insert("full".into(), toml::Value::Boolean(true));
            }
            if force {
                job.params
                    .insert("force".into(), toml::Value::Boolean(true));
            }
            let db = Db::open(db_path)?;
            db.configure(&config.database)?;
            crate::init::run(&mut db.connect()?, config)?;
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let rebuild_db = db.clone();
            let outcome = rt.block_on(async {
                let runner = Runner::new(db, Arc::new(config.clone()));
                let bar = progress_bar(&job.name);
                let out = runner
                    .run(&job, Trigger::Manual, bar.clone().map(|b| Arc::new(b) as _))
                    .await;
                if let Some(b) = bar {
                    b.finish_and_clear();
                }
                out
            })?;
            // what the run stored reaches the derived tables now (in `serve`, the scheduler does it)
            if matches!(outcome.status, Status::Success | Status::Degraded)
                && job.kind != JobKind::Indicators
                && crate::indicators::rebuild_if_pending(&rebuild_db.connect()?)?
            {
                eprintln!("indicateurs recalculés");
            }
            if matches!(outcome.status, Status::Success | Status::Degraded)
                && job.kind != JobKind::Forecasts
                && crate::forecast::store::rebuild_if_pending(&mut rebuild_db.connect()?)?
            {
                eprintln!("prévisions recalculées");
            }
            let s = &outcome.summary;
            match outcome.status {
                Status::Success => {
                    println!(
                        "{} : réussie — {} lues, {} ajoutées, {} mises à jour, {} fermées{}",
                        job.name,
                        s.rows_read,
                        s.rows_added,
                        s.rows_updated,
                        s.rows_closed,
                        s.note
                            .as_deref()
                            .map(|n| format!(" ({n})"))
                            .unwrap_or_default()
                    );
                    Ok(())
                }
                Status::Degraded => bail!(
                    "{} : exécution dégradée (degraded) — {} lues, {} ajoutées, {} mises à jour, aucune fermée : {}",
                    job.name,
                    s.rows_read,
                    s.rows_added,
                    s.rows_updated,
                    outcome.error.unwrap_or_default()
                ),
                Status::Skipped => bail!(
                    "{} ignorée : {}",
                    job.name,
                    outcome.error.unwrap_or_default()
                ),
                _ => bail!(
                    "{} en échec ({}, {} essai(s)) : {}",
                    job.name,
                    outcome.status.as_str(),
                    outcome.attempts,
                    outcome.error.unwrap_or_default()
                ),
            }
        }
    }
}

/// A spinner with a count of offers read, on a terminal only.
fn progress_bar(name: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {prefix} [{elapsed_precise}] {pos} lignes — {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_prefix(name.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    Some(bar)
}
