//! What a running job gets: the database (calls tracked and interruptible), the configuration, a
//! cancellation token (set on timeout or shutdown: it interrupts the running statement and every
//! commit checks it, so a cancelled run is rolled back) and a progress sink.
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::store::Db;

/// A job's cancellation (timeout or shutdown): a `CancellationToken` that interrupts the
/// job's running DuckDB statement (see [`JobDb`]) and that the job checks before every commit.
#[derive(Clone, Default)]
pub struct Cancel(CancellationToken);

impl Cancel {
    pub fn cancel(&self) {
        self.0.cancel();
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
    /// Error out when cancelled (call before committing).
    pub fn check(&self) -> anyhow::Result<()> {
        if self.is_cancelled() {
            anyhow::bail!(crate::store::CANCELLED)
        }
        Ok(())
    }
    /// A cancellation of its own that this one's cancellation also cancels (a job attempt
    /// under the runner's shutdown).
    pub fn child(&self) -> Cancel {
        Cancel(self.0.child_token())
    }
    pub fn token(&self) -> &CancellationToken {
        &self.0
    }
    /// Resolves when cancelled.
    pub async fn cancelled(&self) {
        self.0.cancelled().await
    }
}

/// The database as a job sees it: every call is tracked (the runner waits for the blocking work
/// to end before it retries or reports) and interrupted when the job is cancelled.
#[derive(Clone)]
pub struct JobDb {
    db: Db,
    cancel: Cancel,
    tracker: TaskTracker,
}

impl JobDb {
    pub fn new(db: Db, cancel: Cancel) -> JobDb {
        JobDb {
            db,
            cancel,
            tracker: TaskTracker::new(),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn tracker(&self) -> &TaskTracker {
        &self.tracker
    }

    /// Runs `f` on the blocking pool, tracked and interruptible.
    pub async fn call<F, R>(&self, f: F) -> anyhow::Result<R>
    where
        F: FnOnce(&mut duckdb::Connection) -> anyhow::Result<R> + Send + 'static,
        R: Send + 'static,
    {
        self.db
            .call_tracked(&self.tracker, self.cancel.token(), false, f)
            .await
    }

    /// [`JobDb::call`] for work that rebuilds derived tables: one such writer at a time.
    pub async fn call_derived<F, R>(&self, f: F) -> anyhow::Result<R>
    where
        F: FnOnce(&mut duckdb::Connection) -> anyhow::Result<R> + Send + 'static,
        R: Send + 'static,
    {
        self.db
            .call_tracked(&self.tracker, self.cancel.token(), true, f)
            .await
    }
}

pub trait Progress: Send + Sync {
    fn message(&self, msg: &str);
    fn add(&self, _n: u64) {}
}

pub struct NoProgress;
impl Progress for NoProgress {
    fn message(&self, msg: &str) {
        tracing::debug!("{msg}");
    }
}

impl Progress for indicatif::ProgressBar {
    fn message(&self, msg: &str) {
        self.set_message(msg.to_string());
    }
    fn add(&self, n: u64) {
        self.inc(n);
    }
}

#[derive(Clone)]
pub struct JobCtx {
    pub db: JobDb,
    pub config: Arc<Config>,
    pub cancel: Cancel,
    pub progress: Arc<dyn Progress>,
}

/// Counts reported by a job run (stored in `job_runs`).
#[derive(Debug, Default, Clone, serde::Serialize, PartialEq)]
pub struct RunSummary {
    pub rows_read: i64,
    pub rows_added: i64,
    pub rows_updated: i64,
    pub rows_closed: i64,
    pub note: Option<String>,
    /// Set when the run could not read its source whole (nothing was closed): the run is
    /// recorded `degraded` with this reason.
    pub degraded: Option<String>,
}

impl JobCtx {
    pub fn new(db: Db, config: Arc<Config>, cancel: Cancel, progress: Arc<dyn Progress>) -> JobCtx {
        JobCtx {
            db: JobDb::new(db, cancel.clone()),
            config,
            cancel,
            progress,
        }
    }
}

impl RunSummary {
    pub fn merge(&mut self, o: &RunSummary) {
        self.rows_read += o.rows_read;
        self.rows_added += o.rows_added;
        self.rows_updated += o.rows_updated;
        self.rows_closed += o.rows_closed;
        if let Some(why) = &o.degraded {
            self.degraded = Some(match self.degraded.take() {
                Some(prev) => format!("{prev} ; {why}"),
                None => why.clone(),
            });
        }
    }
}
