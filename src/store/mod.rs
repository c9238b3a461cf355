//! The DuckDB store: opening, migrations, the embedded default dataset, and the async bridge.
//!
//! One `Db` per process. Every DuckDB call runs on the blocking pool (`Db::call`), on its own cloned
//! connection, so no lock is ever held across an `.await`.
pub mod backup;
pub mod changes;
pub mod embedded;
pub mod export;
pub mod migrations;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Context, Result};
use duckdb::{Config as DuckConfig, Connection};

#[derive(Clone)]
pub struct Db {
    base: Arc<Mutex<Connection>>,
    path: PathBuf,
    /// Held by whoever rebuilds derived tables (`ind_*`), from the start of its transaction to
    /// its commit: two rebuilds never run at once.
    derived: Arc<Mutex<()>>,
    /// Cancelled when DuckDB reports a fatal error (a failed checkpoint on a full disk, say):
    /// the database instance is then invalidated and only a new process can use the file again,
    /// so `serve` stops (and its service manager restarts it). See [`Db::invalidated`].
    fatal: tokio_util::sync::CancellationToken,
}

/// Message of a database DuckDB invalidated after a fatal error.
pub const INVALIDATED: &str = "la base de données a rencontré une erreur fatale et doit être rouverte : \
     ce qui était validé est conservé (son journal est rejoué à l'ouverture) ; libérez de la place ou \
     corrigez la cause, puis relancez le programme";

/// The database file is open in another process (only one may open it read-write).
#[derive(Debug, thiserror::Error)]
#[error(
    "la base de données {} est déjà ouverte par un autre processus (sans doute `observatoire serve`) : \
     une seule instance peut l'ouvrir ; lancez les tâches depuis /admin/jobs ou arrêtez l'autre processus",
    .0.display()
)]
pub struct Locked(pub PathBuf);

/// Message of work stopped by its job's cancellation.
pub const CANCELLED: &str =
    "exécution annulée (délai dépassé ou arrêt demandé) : rien n'a été enregistré";

impl Db {
    /// Opens (creating if needed) the database file read-write. Extension auto-install and
    /// auto-load are off: the observatory never reaches the network for DuckDB.
    pub fn open(path: &Path) -> Result<Db> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).with_context(|| {
                format!(
                    "impossible de créer le dossier de la base de données {}",
                    parent.display()
                )
            })?;
        }
        let config = DuckConfig::default()
            .enable_autoload_extension(false)?
            .with("autoinstall_known_extensions", "false")?;
        let conn = Connection::open_with_flags(path, config).map_err(|e| {
            let msg = one_line(&e.to_string());
            if msg.contains("Could not set lock") {
                anyhow::Error::new(Locked(path.to_path_buf()))
            } else {
                anyhow!(
                    "impossible d'ouvrir la base de données {} : {msg}",
                    path.display()
                )
            }
        })?;
        Ok(Db {
            base: Arc::new(Mutex::new(conn)),
            path: path.to_path_buf(),
            derived: Arc::new(Mutex::new(())),
            fatal: tokio_util::sync::CancellationToken::new(),
        })
    }

    /// Resolves once DuckDB invalidated this database after a fatal error.
    pub async fn invalidated(&self) {
        self.fatal.cancelled().await
    }

    /// Applies `[database] memory_limit` (checked by the configuration).
    pub fn configure(&self, cfg: &crate::config::DatabaseConfig) -> Result<()> {
        if cfg.memory_limit.trim().is_empty() {
            return Ok(());
        }
        let limit = parse_memory_limit(&cfg.memory_limit)
            .ok_or_else(|| anyhow!("memory_limit {:?} illisible", cfg.memory_limit))?;
        self.connect()?
            .execute_batch(&format!("SET memory_limit = '{limit}'"))?;
        Ok(())
    }

    pub fn is_invalidated(&self) -> bool {
        self.fatal.is_cancelled()
    }

    /// Notes a fatal DuckDB error in `r` (the instance is then unusable) and names the cause of
    /// a failed write (a full disk).
    fn watch<R>(&self, r: Result<R>) -> Result<R> {
        let Err(e) = r else { return r };
        let text = format!("{e:#}");
        let fatal = text.contains("FATAL Error") || text.contains("database has been invalidated");
        let full = text.contains("No space left on device");
        if fatal && !self.fatal.is_cancelled() {
            self.fatal.cancel();
            tracing::error!(error = %one_line(&text), "{INVALIDATED}");
        }
        let cause = format!(
            "disque plein à l'emplacement de la base de données {}",
            self.path.display()
        );
        Err(match (fatal, full) {
            (true, true) => e.context(format!("{cause} : {INVALIDATED}")),
            (true, false) => e.context(format!("erreur fatale de DuckDB : {INVALIDATED}")),
            (false, true) => e.context(format!(
                "{cause} : la transaction est annulée, rien d'enregistré n'est perdu ; libérez de la place"
            )),
            (false, false) => e,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A fresh connection to the same database, for synchronous code (CLI, loaders).
    pub fn connect(&self) -> Result<Connection> {
        let base = self
            .base
            .lock()
            .map_err(|_| anyhow!("database lock poisoned"))?;
        Ok(base.try_clone()?)
    }

    /// Runs `f` on the blocking pool with its own connection.
    pub async fn call<F, R>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&mut Connection) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        let db = self.clone();
        // the caller's span (a job run) follows the work onto the blocking pool
        let span = tracing::Span::current();
        let r = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = db.connect()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| anyhow!("database task failed: {e}"))?;
        self.watch(r)
    }
}

impl Db {
    /// Runs `f` on the blocking pool for a job: the work is registered in `tracker` (so the job's
    /// runner can wait for it to end before it retries or reports), and cancelling `cancel`
    /// interrupts the DuckDB statement running on its connection, which fails and rolls the
    /// transaction back. With `derived`, `f` runs holding the derived-tables lock (waiting for it
    /// gives up when cancelled).
    pub async fn call_tracked<F, R>(
        &self,
        tracker: &tokio_util::task::TaskTracker,
        cancel: &tokio_util::sync::CancellationToken,
        derived: bool,
        f: F,
    ) -> Result<R>
    where
        F: FnOnce(&mut Connection) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        if cancel.is_cancelled() {
            anyhow::bail!(CANCELLED);
        }
        let mut conn = self.connect()?;
        let interrupt = conn.interrupt_handle();
        let done = tokio_util::sync::CancellationToken::new();
        let (token, finished) = (cancel.clone(), done.clone());
        tracker.spawn(async move {
            tokio::select! {
                _ = token.cancelled() => interrupt.interrupt(),
                _ = finished.cancelled() => {}
            }
        });
        let (lock, token) = (self.derived.clone(), cancel.clone());
        let span = tracing::Span::current();
        let handle = tracker.spawn_blocking(move || {
            let _entered = span.enter();
            let _done = done.drop_guard();
            let _guard = if derived {
                Some(wait_for(&lock, &token)?)
            } else {
                None
            };
            if token.is_cancelled() {
                anyhow::bail!(CANCELLED);
            }
            f(&mut conn).map_err(|e| {
                if token.is_cancelled() {
                    e.context(CANCELLED)
                } else {
                    e
                }
            })
        });
        let r = handle
            .await
            .map_err(|e| anyhow!("database task failed: {e}"))?;
        self.watch(r)
    }
}

/// Waits for `lock` unless `cancel` fires first.
fn wait_for<'a>(
    lock: &'a Mutex<()>,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<std::sync::MutexGuard<'a, ()>> {
    loop {
        match lock.try_lock() {
            Ok(g) => return Ok(g),
            Err(std::sync::TryLockError::Poisoned(p)) => return Ok(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => {
                if cancel.is_cancelled() {
                    anyhow::bail!(CANCELLED);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
    }
}

/// DuckDB error texts span lines; logs and CLI errors want one.
/// "2GB", "512 MB", "1.5GiB" → the same text normalised for DuckDB ("2GB"); `None` when it is
/// not a size of at least 64 MB.
pub fn parse_memory_limit(s: &str) -> Option<String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.')?;
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && *n > 0.0)?;
    let unit = unit.trim().to_ascii_uppercase();
    let mb = match unit.as_str() {
        "MB" | "MIB" => n,
        "GB" | "GIB" => n * 1024.0,
        _ => return None,
    };
    (64.0..=1024.0 * 1024.0)
        .contains(&mb)
        .then(|| format!("{}MB", mb.round() as u64))
}

pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Quotes a path as a SQL string literal.
pub fn sql_path(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "''"))
}
