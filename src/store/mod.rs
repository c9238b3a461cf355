//! The DuckDB store: opening, migrations, the embedded default dataset, and the async bridge.
//!
//! One `Db` per process. Every DuckDB call runs on the blocking pool (`Db::call`), on its own cloned
//! connection, so no lock is ever held across an `.await`.
pub mod embedded;
pub mod migrations;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Context, Result};
use duckdb::{Config as DuckConfig, Connection};

#[derive(Clone)]
pub struct Db {
    base: Arc<Mutex<Connection>>,
    path: PathBuf,
}

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
                anyhow!(
                    "la base de données {} est déjà ouverte par un autre processus (sans doute `observatoire serve`) : \
                     une seule instance peut l'ouvrir ; lancez les tâches depuis /admin/jobs ou arrêtez l'autre processus",
                    path.display()
                )
            } else {
                anyhow!("impossible d'ouvrir la base de données {} : {msg}", path.display())
            }
        })?;
        Ok(Db {
            base: Arc::new(Mutex::new(conn)),
            path: path.to_path_buf(),
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
        tokio::task::spawn_blocking(move || {
            let mut conn = db.connect()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| anyhow!("database task failed: {e}"))?
    }
}

/// DuckDB error texts span lines; logs and CLI errors want one.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Quotes a path as a SQL string literal.
pub fn sql_path(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "''"))
}
