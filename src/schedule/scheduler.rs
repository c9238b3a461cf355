//! The scheduler inside `serve`: one task per job sleeps until its next local firing time
//! (Europe/Paris, DST-correct, see [`clock`](super::clock)), waits for the jobs named in `after`
//! to have succeeded that day, then runs it through the [`Runner`]. At start-up, a job whose last
//! success is older than its period runs once to catch up (dependencies first).
//!
//! tokio-cron-scheduler was the named choice; it is not used because it fixes the UTC offset of
//! the day a job is created (its DST issue) and offers no injectable clock to test the two DST
//! transitions. The `cron` crate parses the expressions; firing times are computed here.
use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Result;
use chrono::{DateTime, TimeZone, Utc};

use super::clock::{self, Clock, TZ};
use super::jobs::{JobDef, JobKind};
use super::runner::{self, Runner, Trigger};

pub struct Scheduler {
    pub runner: Runner,
    pub jobs: Arc<Vec<JobDef>>,
    pub clock: Arc<dyn Clock>,
    /// Each job's next firing time (UTC), published whenever a job loop arms its wait: after a
    /// run (or a skipped one) the time moves on. Tests wait on it instead of sleeping.
    pub armed: Arc<tokio::sync::watch::Sender<BTreeMap<String, DateTime<Utc>>>>,
}

/// Local midnight (Europe/Paris) of the day of `t`, as UTC.
fn day_start(t: DateTime<Utc>) -> DateTime<Utc> {
    let local = t
        .with_timezone(&TZ)
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    TZ.from_local_datetime(&local)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(t)
}

impl Scheduler {
    pub fn new(runner: Runner, jobs: Arc<Vec<JobDef>>, clock: Arc<dyn Clock>) -> Scheduler {
        Scheduler {
            runner,
            jobs,
            clock,
            armed: Arc::new(tokio::sync::watch::Sender::new(BTreeMap::new())),
        }
    }

    /// Starts the catch-up pass and one loop per job; returns their handles.
    pub fn spawn(self, catch_up: bool) -> Vec<tokio::task::JoinHandle<()>> {
        let this = Arc::new(self);
        let mut handles = Vec::new();
        if catch_up {
            let s = this.clone();
            handles.push(tokio::spawn(async move {
                if let Err(e) = s.catch_up().await {
                    tracing::error!("rattrapage : {e:#}");
                }
            }));
        }
        for job in this.jobs.iter().cloned() {
            let s = this.clone();
            handles.push(tokio::spawn(async move { s.job_loop(job).await }));
        }
        if let Some(job) = this
            .jobs
            .iter()
            .find(|j| j.kind == JobKind::Indicators)
            .cloned()
        {
            let s = this.clone();
            let forecasts = this
                .jobs
                .iter()
                .find(|j| j.kind == JobKind::Forecasts)
                .cloned();
            handles.push(tokio::spawn(
                async move { s.rebuild_loop(job, forecasts).await },
            ));
        }
        handles
    }

    async fn last_success(&self, job: &str) -> Result<Option<DateTime<Utc>>> {
        let job = job.to_string();
        let t = self
            .runner
            .db
            .call(move |c| runner::last_success(c, &job))
            .await?;
        Ok(t.map(|t| t.and_utc()))
    }

    /// Jobs whose last success is older than their period, run once, dependencies first.
    pub async fn catch_up(&self) -> Result<Vec<String>> {
        let now = self.clock.now();
        let mut due = Vec::new();
        for job in self.jobs.iter() {
            let Some(period) = clock::period(&job.schedule, now) else {
                continue;
            };
            let mut last = self.last_success(&job.name).await?;
            // a recent load of the job's source (e.g. by `init` or `import`) counts as fresh
            if let Some(src) = job.source_id() {
                let src = src.to_string();
                let loaded: Option<chrono::NaiveDateTime> = self
                    .runner
                    .db
                    .call(move |c| {
                        Ok(c.query_row(
                            "SELECT max(last_success_at) FROM sources WHERE source_id = ?",
                            [src],
                            |r| r.get(0),
                        )?)
                    })
                    .await?;
                last = last.max(loaded.map(|t| t.and_utc()));
            }
            if last.is_none_or(|t| now - t > period) {
                due.push(job.clone());
            }
        }
        // dependencies first (jobs are few: a simple repeated pass is enough)
        let mut ordered: Vec<JobDef> = Vec::new();
        while !due.is_empty() {
            let pending: Vec<String> = due.iter().map(|j| j.name.clone()).collect();
            let (ready, rest): (Vec<JobDef>, Vec<JobDef>) = due
                .into_iter()
                .partition(|j| j.after.iter().all(|a| !pending.contains(a)));
            if ready.is_empty() {
                // a cycle in `after`: run the rest in file order rather than never
                ordered.extend(rest);
                break;
            }
            ordered.extend(ready);
            due = rest;
        }
        let mut ran = Vec::new();
        for job in ordered {
            if self.runner.shutdown.is_cancelled() {
                break;
            }
            tracing::info!(job = %job.name, "rattrapage : dernière réussite plus ancienne que la période");
            if self.runner.run(&job, Trigger::CatchUp, None).await.is_ok() {
                ran.push(job.name.clone());
            }
        }
        Ok(ran)
    }

    async fn job_loop(&self, job: JobDef) {
        loop {
            let now = self.clock.now();
            let Some(next) = clock::next_run(&job.schedule, now) else {
                tracing::warn!(job = %job.name, "planification sans prochaine exécution");
                return;
            };
            self.armed.send_modify(|m| {
                m.insert(job.name.clone(), next);
            });
            tokio::select! {
                _ = self.clock.sleep_until(next) => {}
                _ = wait_cancel(&self.runner) => return,
            }
            if self.runner.shutdown.is_cancelled() {
                return;
            }
            if !self.wait_dependencies(&job, next).await {
                continue;
            }
            match self.runner.run(&job, Trigger::Schedule, None).await {
                Ok(_) => {}
                Err(e) => tracing::warn!(job = %job.name, "{e}"),
            }
        }
    }

    /// Rebuilds the derived tables whenever raw data changed (a collection, an import, a changed
    /// configuration), one rebuild at a time: after each run of any job, and once at start. A
    /// change arriving during a rebuild (not in its snapshot) starts another one; a failed
    /// rebuild waits for the next run instead of retrying in a loop (its own retries apply).
    /// The forecasts (when that job exists) follow each rebuild of the indicators.
    async fn rebuild_loop(&self, job: JobDef, forecasts: Option<JobDef>) {
        // The indicators build the forecasts were last attempted on: a failed forecast run is
        // not retried in a loop, only after the next rebuild (or by its own schedule).
        let mut forecasts_tried: Option<chrono::NaiveDateTime> = None;
        loop {
            let notified = self.runner.finished.notified();
            let pending = self
                .runner
                .db
                .call(|c| crate::store::changes::pending(c, crate::indicators::REBUILD))
                .await;
            let rebuilt = match pending {
                Ok(true) if !self.runner.is_running(&job.name) => {
                    match self.runner.run(&job, Trigger::Change, None).await {
                        Ok(o) => o.status == runner::Status::Success,
                        Err(e) => {
                            tracing::debug!(job = %job.name, "{e}");
                            false
                        }
                    }
                }
                Ok(_) => false,
                Err(e) => {
                    tracing::error!(job = %job.name, "état des tables dérivées illisible : {e:#}");
                    false
                }
            };
            if let Some(fc) = &forecasts {
                let state = self
                    .runner
                    .db
                    .call(|c| {
                        let built: Option<chrono::NaiveDateTime> = c.query_row(
                            "SELECT max(built_at) FROM derived_state WHERE name = ?",
                            [crate::indicators::REBUILD],
                            |r| r.get(0),
                        )?;
                        Ok((crate::forecast::store::pending(c)?, built))
                    })
                    .await;
                if let Ok((true, built)) = state {
                    if built == forecasts_tried || self.runner.is_running(&fc.name) {
                        // already tried on this build, or running
                    } else {
                        forecasts_tried = built;
                        if let Err(e) = self.runner.run(fc, Trigger::Change, None).await {
                            tracing::debug!(job = %fc.name, "{e}");
                        }
                    }
                }
            }
            if rebuilt {
                continue; // something may have changed during the rebuild
            }
            tokio::select! {
                _ = notified => {}
                _ = wait_cancel(&self.runner) => return,
            }
        }
    }

    /// Waits until every job of `after` has succeeded since the local start of the firing day,
    /// at most the job's timeout. False when it gives up (the run is then skipped, and said).
    async fn wait_dependencies(&self, job: &JobDef, fired: DateTime<Utc>) -> bool {
        if job.after.is_empty() {
            return true;
        }
        let since = day_start(fired);
        let deadline = tokio::time::Instant::now() + job.timeout;
        loop {
            let notified = self.runner.finished.notified();
            let mut missing = Vec::new();
            for dep in &job.after {
                let d = dep.clone();
                let ok = self
                    .runner
                    .db
                    .call(move |c| runner::last_ok(c, &d))
                    .await
                    .ok()
                    .flatten();
                match ok.map(|t| t.and_utc()) {
                    Some(t) if t >= since => {}
                    _ => missing.push(dep.clone()),
                }
            }
            if missing.is_empty() {
                return true;
            }
            tokio::select! {
                _ = notified => continue,
                _ = tokio::time::sleep_until(deadline) => {
                    tracing::warn!(job = %job.name, "non lancée : {} n'a pas réussi aujourd'hui", missing.join(", "));
                    return false;
                }
                _ = wait_cancel(&self.runner) => return false,
            }
        }
    }
}

async fn wait_cancel(runner: &Runner) {
    runner.shutdown.cancelled().await
}
