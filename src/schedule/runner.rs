//! Running a job: one run at a time per job, recorded in `job_runs`, cancelled and rolled back
//! past its timeout, panics contained, failures retried with back-off.
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::Instrument;

use anyhow::{anyhow, Result};

use super::context::{Cancel, JobCtx, NoProgress, Progress, RunSummary};
use super::jobs::{JobDef, JobKind};
use crate::config::Config;
use crate::store::Db;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trigger {
    Schedule,
    Manual,
    CatchUp,
    /// Raw data changed: the derived tables are rebuilt.
    Change,
}

impl Trigger {
    pub fn as_str(&self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Manual => "manual",
            Trigger::CatchUp => "catch-up",
            Trigger::Change => "change",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Success,
    Failed,
    Cancelled,
    Skipped,
    /// Ran, but could not read its source whole: stored what it read, closed nothing.
    Degraded,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
            Status::Skipped => "skipped",
            Status::Degraded => "degraded",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub run_id: i64,
    pub status: Status,
    pub attempts: u32,
    pub summary: RunSummary,
    pub error: Option<String>,
}

/// Why a job did not start (no `job_runs` row is written for an overlap).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("la tâche {0} est déjà en cours")]
    AlreadyRunning(String),
}

/// Job body outcome: skipped (e.g. credentials missing) is not a failure and is not retried.
pub enum BodyResult {
    Done(RunSummary),
    Skipped(String),
}

type BodyFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Result<BodyResult>> + Send>>;
/// What runs for a job: [`body`] in the product; tests may substitute their own.
pub type BodyFn = Arc<dyn Fn(JobDef, JobCtx) -> BodyFuture + Send + Sync>;

#[derive(Clone)]
pub struct Runner {
    pub db: Db,
    pub config: Arc<Config>,
    running: Arc<Mutex<HashSet<String>>>,
    /// Set on shutdown: running jobs stop at their next check and roll back.
    pub shutdown: Cancel,
    body: BodyFn,
    /// Notified after every run (the scheduler's `after` waits on it).
    pub finished: Arc<tokio::sync::Notify>,
    /// Incremented after every run: what the web's cache of rendered pages watches.
    pub generation: Arc<std::sync::atomic::AtomicU64>,
}

struct RunningGuard(Arc<Mutex<HashSet<String>>>, String);
impl Drop for RunningGuard {
    fn drop(&mut self) {
        if let Ok(mut set) = self.0.lock() {
            set.remove(&self.1);
        }
    }
}

impl Runner {
    pub fn new(db: Db, config: Arc<Config>) -> Runner {
        Self::with_body(
            db,
            config,
            Arc::new(|job, ctx| Box::pin(async move { body(&job, &ctx).await })),
        )
    }

    pub fn with_body(db: Db, config: Arc<Config>, body: BodyFn) -> Runner {
        Runner {
            db,
            config,
            running: Default::default(),
            shutdown: Cancel::default(),
            body,
            finished: Default::default(),
            generation: Default::default(),
        }
    }

    /// Names of the jobs running now.
    pub fn running(&self) -> Vec<String> {
        self.running
            .lock()
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn is_running(&self, name: &str) -> bool {
        self.running
            .lock()
            .map(|s| s.contains(name))
            .unwrap_or(false)
    }

    /// The attempts of one run (the first, then its retries).
    async fn attempts(&self, job: &JobDef, run_id: i64, progress: Arc<dyn Progress>) -> Outcome {
        let mut attempt = 0;
        loop {
            attempt += 1;
            // Cancelled on timeout, or with the runner's shutdown (a child token).
            let cancel = self.shutdown.child();
            let ctx = JobCtx::new(
                self.db.clone(),
                self.config.clone(),
                cancel.clone(),
                progress.clone(),
            );
            let (status, summary, error) = self.attempt(job, ctx, cancel).await;
            // no retry on an invalidated database: every attempt would fail the same way
            let retry = status == Status::Failed
                && attempt <= job.retries
                && !self.shutdown.is_cancelled()
                && !self.db.is_invalidated();
            if !retry {
                break Outcome {
                    run_id,
                    status,
                    attempts: attempt,
                    summary,
                    error,
                };
            }
            let delay = retry_delay(job.retry_delay, attempt);
            tracing::warn!(job = %job.name, attempt, error = error.as_deref().unwrap_or(""),
                "échec ; nouvel essai dans {:.0} s", delay.as_secs_f64());
            self.record_attempt_failure(run_id, attempt, error.as_deref())
                .await;
            tokio::time::sleep(delay).await;
        }
    }

    /// Runs `job` now (with its retries) and records it. Refuses to overlap a running instance.
    pub async fn run(
        &self,
        job: &JobDef,
        trigger: Trigger,
        progress: Option<Arc<dyn Progress>>,
    ) -> Result<Outcome, StartError> {
        {
            let mut set = self.running.lock().expect("running set");
            if !set.insert(job.name.clone()) {
                return Err(StartError::AlreadyRunning(job.name.clone()));
            }
        }
        let _guard = RunningGuard(self.running.clone(), job.name.clone());
        let progress = progress.unwrap_or_else(|| Arc::new(NoProgress));
        let run_id = match self.start_row(job, trigger).await {
            Ok(id) => id,
            Err(e) => {
                return Ok(Outcome {
                    run_id: 0,
                    status: Status::Failed,
                    attempts: 0,
                    summary: RunSummary::default(),
                    error: Some(format!("impossible d'enregistrer l'exécution : {e:#}")),
                })
            }
        };
        // every line logged during the run (here and in its blocking work) carries the job and run
        let span = tracing::info_span!("job", job = %job.name, run_id);
        let outcome = self
            .attempts(job, run_id, progress)
            .instrument(span.clone())
            .await;
        if let Err(e) = self.finish_row(&outcome).instrument(span.clone()).await {
            tracing::error!(job = %job.name, "impossible d'enregistrer la fin de l'exécution : {e:#}");
        }
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.finished.notify_waiters();
        let _entered = span.enter();
        match outcome.status {
            Status::Success => {
                tracing::info!(job = %job.name, rows_added = outcome.summary.rows_added,
                rows_updated = outcome.summary.rows_updated, rows_closed = outcome.summary.rows_closed, "tâche réussie")
            }
            Status::Skipped => {
                tracing::warn!(job = %job.name, "tâche ignorée : {}", outcome.error.as_deref().unwrap_or(""))
            }
            Status::Degraded => {
                tracing::warn!(job = %job.name, "tâche dégradée (rien n'a été fermé) : {}", outcome.error.as_deref().unwrap_or(""))
            }
            _ => {
                tracing::error!(job = %job.name, status = outcome.status.as_str(), "tâche en échec : {}",
                outcome.error.as_deref().unwrap_or(""))
            }
        }
        Ok(outcome)
    }

    /// One attempt in its own task: a panic is caught, the timeout cancels and rolls back.
    async fn attempt(
        &self,
        job: &JobDef,
        ctx: JobCtx,
        cancel: Cancel,
    ) -> (Status, RunSummary, Option<String>) {
        let (job2, body) = (job.clone(), self.body.clone());
        let tracker = ctx.db.tracker().clone();
        let mut handle = tokio::spawn(async move { body(job2, ctx).await }.in_current_span());
        let res = tokio::time::timeout(job.timeout, &mut handle).await;
        if res.is_err() {
            // Past the timeout: cancel (the running statement is interrupted, any pending commit
            // is refused) and stop the task.
            cancel.cancel();
            handle.abort();
            let _ = handle.await;
        }
        // The attempt is over only when its blocking database work is: a retry or the report
        // never overlaps a transaction that is still running.
        tracker.close();
        tracker.wait().await;
        match res {
            Ok(Ok(Ok(BodyResult::Done(s)))) => match s.degraded.clone() {
                Some(why) => (Status::Degraded, s, Some(why)),
                None => (Status::Success, s, None),
            },
            Ok(Ok(Ok(BodyResult::Skipped(why)))) => {
                (Status::Skipped, RunSummary::default(), Some(why))
            }
            Ok(Ok(Err(e))) if cancel.is_cancelled() => (
                Status::Cancelled,
                RunSummary::default(),
                Some(format!("{e:#}")),
            ),
            Ok(Ok(Err(e))) => (
                Status::Failed,
                RunSummary::default(),
                Some(crate::store::one_line(&format!("{e:#}"))),
            ),
            Ok(Err(join)) => {
                let msg = if join.is_panic() {
                    let p = join.into_panic();
                    let text = p
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| p.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "panique".into());
                    format!("panique dans la tâche : {text}")
                } else {
                    "tâche interrompue".into()
                };
                (Status::Failed, RunSummary::default(), Some(msg))
            }
            Err(_elapsed) => (
                Status::Cancelled,
                RunSummary::default(),
                Some(format!(
                    "délai de {} s dépassé : exécution annulée, rien n'a été enregistré",
                    job.timeout.as_secs()
                )),
            ),
        }
    }

    async fn start_row(&self, job: &JobDef, trigger: Trigger) -> Result<i64> {
        let (name, trig) = (job.name.clone(), trigger.as_str());
        self.db
            .call(move |c| {
                Ok(c.query_row(
                    "INSERT INTO job_runs (run_id, job, trigger, started_at, status)
                     VALUES (nextval('job_run_seq'), ?, ?, now()::TIMESTAMP, 'running') RETURNING run_id",
                    duckdb::params![name, trig],
                    |r| r.get(0),
                )?)
            })
            .await
    }

    async fn record_attempt_failure(&self, run_id: i64, attempt: u32, error: Option<&str>) {
        let msg = format!("essai {attempt} : {}", error.unwrap_or(""));
        let _ = self
            .db
            .call(move |c| {
                c.execute(
                    "UPDATE job_runs SET error = ? WHERE run_id = ?",
                    duckdb::params![msg, run_id],
                )?;
                Ok(())
            })
            .await;
    }

    async fn finish_row(&self, o: &Outcome) -> Result<()> {
        let o = o.clone();
        self.db
            .call(move |c| {
                c.execute(
                    "UPDATE job_runs SET finished_at = now()::TIMESTAMP, status = ?, rows_read = ?, rows_added = ?,
                         rows_updated = ?, rows_closed = ?, error = ? WHERE run_id = ?",
                    duckdb::params![
                        o.status.as_str(),
                        o.summary.rows_read,
                        o.summary.rows_added,
                        o.summary.rows_updated,
                        o.summary.rows_closed,
                        o.error.or(o.summary.note),
                        o.run_id
                    ],
                )?;
                Ok(())
            })
            .await
    }
}

/// Wait before the retry that follows failed attempt `attempt` (1-based): `base`, doubled at
/// each further attempt (capped at 2^16 × base).
pub fn retry_delay(base: Duration, attempt: u32) -> Duration {
    base.saturating_mul(1 << (attempt.max(1) - 1).min(16))
}

/// What each kind of job does.
pub async fn body(job: &JobDef, ctx: &JobCtx) -> Result<BodyResult> {
    match job.kind {
        JobKind::FrancetravailOffres => {
            let creds = match crate::collect::francetravail::credentials(
                &ctx.config.sources.france_travail,
            ) {
                Ok(c) => c,
                Err(why) => return Ok(BodyResult::Skipped(why)),
            };
            let s = crate::collect::francetravail::run(
                ctx,
                creds,
                job.param_bool("full"),
                job.param_bool("force"),
            )
            .await?;
            Ok(BodyResult::Done(s))
        }
        JobKind::Opendata => {
            let source = job
                .param_str("source")
                .unwrap_or_default()
                .parse()
                .map_err(anyhow::Error::msg)?;
            let url = job.param_str("url").unwrap_or_default().to_string();
            Ok(BodyResult::Done(
                crate::collect::opendata::run(ctx, source, &url).await?,
            ))
        }
        JobKind::Scraper => {
            let cfg = crate::collect::boards::BoardConfig::from_params(&job.params)
                .map_err(anyhow::Error::msg)?;
            Ok(BodyResult::Done(
                crate::collect::boards::run(ctx, &cfg, job.param_bool("force")).await?,
            ))
        }
        JobKind::MarcheDuTravail => {
            let creds = match crate::collect::francetravail::credentials(
                &ctx.config.sources.france_travail,
            ) {
                Ok(c) => c,
                Err(why) => return Ok(BodyResult::Skipped(why)),
            };
            match crate::collect::marche_travail::run(ctx, creds).await? {
                Some(s) => Ok(BodyResult::Done(s)),
                None => Ok(BodyResult::Skipped(
                    "aucun territoire suivi : renseignez [observatory] followed dans config.toml"
                        .into(),
                )),
            }
        }
        JobKind::Indicators => {
            // built beside the published tables, published in one short transaction
            // (indicators::publish): not inside `derived`'s transaction
            let cancel = ctx.cancel.clone();
            ctx.db
                .call_derived(move |c| {
                    crate::indicators::rebuild_then(c, || {
                        cancel.check()?;
                        crate::failpoint!("indicators::before_commit", "indicators");
                        Ok(())
                    })
                })
                .await?;
            Ok(BodyResult::Done(RunSummary {
                note: Some("indicateurs recalculés".into()),
                ..Default::default()
            }))
        }
        JobKind::Backup => {
            let params =
                super::jobs::BackupParams::from_params(&job.params).map_err(anyhow::Error::msg)?;
            let folder = params.folder(ctx.db.db().path());
            let dir = crate::store::backup::dated_dir(&folder);
            let target = dir.clone();
            let manifest = ctx
                .db
                .call(move |c| crate::store::backup::backup(c, &target))
                .await?;
            let removed = crate::store::backup::prune(&folder, params.keep)?;
            Ok(BodyResult::Done(RunSummary {
                rows_read: manifest.rows(),
                note: Some(format!(
                    "sauvegarde {} : {} tables, {} lignes ; {} copie(s) ancienne(s) supprimée(s), {} gardée(s) au plus",
                    dir.display(),
                    manifest.tables.len(),
                    manifest.rows(),
                    removed.len(),
                    params.keep
                )),
                ..Default::default()
            }))
        }
        JobKind::Forecasts => {
            derived(
                ctx,
                "prévisions recalculées",
                crate::forecast::store::rebuild,
            )
            .await
        }
    }
}

/// Rebuilds derived tables in one transaction, committed only if the run was not cancelled.
async fn derived(
    ctx: &JobCtx,
    note: &str,
    rebuild: fn(&duckdb::Connection) -> Result<()>,
) -> Result<BodyResult> {
    let cancel = ctx.cancel.clone();
    ctx.db
        .call_derived(move |c| {
            let tx = c.transaction()?;
            rebuild(&tx)?;
            cancel.check()?;
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(BodyResult::Done(RunSummary {
        note: Some(note.into()),
        ..Default::default()
    }))
}

/// Last run of a job that did not fail: succeeded, was skipped for lack of credentials (a
/// skipped dependency does not block the jobs that come `after` it), or was degraded (it stored
/// what it read and closed nothing: the jobs after it work on what is stored).
pub fn last_ok(conn: &duckdb::Connection, job: &str) -> Result<Option<chrono::NaiveDateTime>> {
    Ok(conn.query_row(
        "SELECT max(finished_at) FROM job_runs WHERE job = ? AND status IN ('success', 'skipped', 'degraded')",
        [job],
        |r| r.get(0),
    )?)
}

/// Last successful run of a job (UTC).
pub fn last_success(conn: &duckdb::Connection, job: &str) -> Result<Option<chrono::NaiveDateTime>> {
    Ok(conn.query_row(
        "SELECT max(finished_at) FROM job_runs WHERE job = ? AND status = 'success'",
        [job],
        |r| r.get(0),
    )?)
}

pub fn unknown_job(name: &str, jobs: &[JobDef]) -> anyhow::Error {
    anyhow!(
        "tâche inconnue : {name:?} (tâches définies : {})",
        jobs.iter()
            .map(|j| j.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::retry_delay;
    use std::time::Duration;

    #[test]
    fn retry_delays_double_from_the_base() {
        let base = Duration::from_secs(5);
        let got: Vec<u64> = (1..=4).map(|a| retry_delay(base, a).as_secs()).collect();
        assert_eq!(got, [5, 10, 20, 40]);
        assert_eq!(retry_delay(base, 40), base * 65_536);
        assert_eq!(retry_delay(Duration::MAX, 3), Duration::MAX);
    }
}
