//! What a running job gets: the database, the configuration, a cancellation flag (set on timeout
//! or shutdown; checked before every commit so a cancelled run is rolled back) and a progress sink.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::config::Config;
use crate::store::Db;

#[derive(Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
    /// Error out when cancelled (call before committing).
    pub fn check(&self) -> anyhow::Result<()> {
        if self.is_cancelled() {
            anyhow::bail!(
                "exécution annulée (délai dépassé ou arrêt demandé) : rien n'a été enregistré"
            )
        }
        Ok(())
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
    pub db: Db,
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
