//! `observatoire backup DIR` / `observatoire restore DIR`: a consistent, self-checking copy of the
//! whole database.
//!
//! **Backup**: inside one read transaction (DuckDB's MVCC snapshot, so collectors and rebuilds
//! may keep committing meanwhile), `EXPORT DATABASE` writes the schema (`schema.sql`) and one
//! Parquet file per table; the row count and a fingerprint of every table (the sum of the row
//! hashes) are read in the same snapshot. A `manifest.json` records the schema version, the
//! program and DuckDB versions, and the size and SHA-256 of every file. Everything is written
//! into a hidden sibling folder and renamed into place at the end: a backup folder either is
//! whole or does not exist.
//!
//! **Restore**: checks the manifest (format, schema version not newer than this program's), every
//! file's size and checksum, then builds a new database file beside the target from `schema.sql`
//! and the Parquet files (not from DuckDB's `load.sql`, which names the folder the backup was
//! written in), compares every table's count and fingerprint with the manifest, applies the
//! migrations the backup lacks, and only then moves it into place. Any failure leaves the target
//! as it was.
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use duckdb::Connection;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{migrations, sql_path};

pub const FORMAT: &str = "observatoire-backup/1";
const MANIFEST: &str = "manifest.json";
const SCHEMA: &str = "schema.sql";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TableEntry {
    pub name: String,
    pub rows: i64,
    /// Sum of the row hashes (DuckDB `hash`), as text: equal data gives an equal fingerprint
    /// whatever the row order.
    pub fingerprint: String,
    pub file: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub observatoire_version: String,
    pub duckdb_version: String,
    pub schema_version: i64,
    pub created_at: String,
    pub tables: Vec<TableEntry>,
    pub files: Vec<FileEntry>,
}

impl Manifest {
    pub fn rows(&self) -> i64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

/// Names of the tables of the main schema, sorted.
pub fn tables(conn: &Connection) -> Result<Vec<String>> {
    Ok(conn
        .prepare(
            "SELECT table_name FROM duckdb_tables()
             WHERE database_name = current_database() AND schema_name = 'main' ORDER BY 1",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Row count and fingerprint of `table`.
pub fn fingerprint(conn: &Connection, table: &str) -> Result<(i64, String)> {
    let q = table.replace('"', "\"\"");
    Ok(conn.query_row(
        &format!("SELECT count(*), coalesce(sum(hash(x)), 0)::VARCHAR FROM \"{q}\" x"),
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

fn sha256_file(path: &Path) -> Result<(u64, String)> {
    let mut f =
        std::fs::File::open(path).with_context(|| format!("lecture de {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("lecture de {}", path.display()))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&buf[..n]);
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((bytes, hex))
}

/// A folder that may receive a backup: absent, or empty.
pub fn check_destination(dir: &Path) -> Result<()> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir)
            .with_context(|| format!("le dossier de sauvegarde {} est illisible", dir.display()))?;
        if entries.next().is_some() {
            bail!(
                "le dossier de sauvegarde {} existe déjà et n'est pas vide : choisissez un nouveau dossier",
                dir.display()
            );
        }
    }
    Ok(())
}

fn sibling(dir: &Path, tag: &str) -> Result<PathBuf> {
    let name = dir
        .file_name()
        .ok_or_else(|| anyhow!("{} n'est pas un nom de dossier", dir.display()))?;
    let parent = dir.parent().unwrap_or(Path::new("."));
    Ok(parent.join(format!(
        ".{}.{tag}-{}",
        name.to_string_lossy(),
        std::process::id()
    )))
}

/// Writes a backup of the database `conn` is connected to into `dir` (absent or empty).
pub fn backup(conn: &Connection, dir: &Path) -> Result<Manifest> {
    check_destination(dir)?;
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("impossible de créer le dossier {}", parent.display()))?;
    }
    let staging = sibling(dir, "partial")?;
    let _ = std::fs::remove_dir_all(&staging);
    let result = write_backup(conn, &staging).and_then(|m| {
        if dir.exists() {
            std::fs::remove_dir(dir)
                .with_context(|| format!("remplacement du dossier vide {}", dir.display()))?;
        }
        std::fs::rename(&staging, dir)
            .with_context(|| format!("mise en place de la sauvegarde {}", dir.display()))?;
        Ok(m)
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result.with_context(|| format!("sauvegarde dans {} impossible", dir.display()))
}

fn write_backup(conn: &Connection, staging: &Path) -> Result<Manifest> {
    conn.execute_batch("BEGIN TRANSACTION")?;
    let snapshot = (|| -> Result<(Vec<TableEntry>, i64, String)> {
        conn.execute_batch(&format!(
            "EXPORT DATABASE {} (FORMAT parquet, COMPRESSION zstd)",
            sql_path(staging)
        ))
        .map_err(|e| anyhow!("{}", super::one_line(&e.to_string())))?;
        let mut entries = Vec::new();
        for name in tables(conn)? {
            let (rows, fingerprint) = fingerprint(conn, &name)?;
            entries.push(TableEntry {
                file: String::new(),
                name,
                rows,
                fingerprint,
            });
        }
        let version = migrations::current_version(conn)?;
        let duckdb: String = conn.query_row("SELECT version()", [], |r| r.get(0))?;
        Ok((entries, version, duckdb))
    })();
    // a read-only transaction: ending it can only release the snapshot
    let _ = conn.execute_batch(if snapshot.is_ok() {
        "COMMIT"
    } else {
        "ROLLBACK"
    });
    let (mut tables, schema_version, duckdb_version) = snapshot?;
    // EXPORT DATABASE names each file after its table (lowercased, made safe); find it from
    // the load script it writes, which lists `COPY <table> FROM '<file>'`.
    let load = std::fs::read_to_string(staging.join("load.sql")).context("load.sql")?;
    for t in &mut tables {
        t.file = export_file(&load, &t.name)
            .ok_or_else(|| anyhow!("la table {} manque à l'export", t.name))?;
    }
    let mut names: Vec<String> = std::fs::read_dir(staging)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut files = Vec::new();
    for name in names {
        let (bytes, sha256) = sha256_file(&staging.join(&name))?;
        files.push(FileEntry {
            name,
            bytes,
            sha256,
        });
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        observatoire_version: env!("CARGO_PKG_VERSION").into(),
        duckdb_version,
        schema_version,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        tables,
        files,
    };
    let path = staging.join(MANIFEST);
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest)?)
        .with_context(|| format!("écriture de {}", path.display()))?;
    std::fs::File::open(&path)?.sync_all()?;
    Ok(manifest)
}

/// The file `load.sql` loads `table` from, relative to the export folder.
fn export_file(load: &str, table: &str) -> Option<String> {
    load.lines().find_map(|line| {
        let rest = line.strip_prefix("COPY ")?;
        let (name, rest) = rest.split_once(" FROM '")?;
        let name = name.trim_matches('"').replace("\"\"", "\"");
        if name != table {
            return None;
        }
        let path = rest.split('\'').next()?;
        Path::new(path)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
    })
}

/// Reads and checks the backup in `dir`: manifest, version, every file's size and checksum.
pub fn verify(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read(&path).with_context(|| {
        format!(
            "{} n'est pas une sauvegarde de l'observatoire : {MANIFEST} manque ou est illisible",
            dir.display()
        )
    })?;
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| {
        anyhow!(
            "sauvegarde endommagée : {} est illisible ({e})",
            path.display()
        )
    })?;
    if manifest.format != FORMAT {
        bail!(
            "{} : format de sauvegarde {:?} inconnu (attendu {FORMAT:?})",
            path.display(),
            manifest.format
        );
    }
    let latest = migrations::latest_version();
    if manifest.schema_version > latest {
        bail!(
            "cette sauvegarde vient d'une version plus récente de l'observatoire ({}, schéma {}) que \
             celle-ci (schéma {latest}) : restaurez-la avec cette version ou une plus récente",
            manifest.observatoire_version,
            manifest.schema_version
        );
    }
    for f in &manifest.files {
        let file = dir.join(&f.name);
        let (bytes, sha) = sha256_file(&file).map_err(|_| {
            anyhow!(
                "sauvegarde endommagée : le fichier {} manque",
                file.display()
            )
        })?;
        if bytes != f.bytes || sha != f.sha256 {
            bail!(
                "sauvegarde endommagée : {} ne correspond pas à son empreinte SHA-256 ({} octets, {} attendus)",
                file.display(),
                bytes,
                f.bytes
            );
        }
    }
    for t in &manifest.tables {
        if !manifest.files.iter().any(|f| f.name == t.file) {
            bail!(
                "sauvegarde endommagée : la table {} renvoie à un fichier absent du manifeste",
                t.name
            );
        }
    }
    if !manifest.files.iter().any(|f| f.name == SCHEMA) {
        bail!("sauvegarde endommagée : {SCHEMA} manque au manifeste");
    }
    Ok(manifest)
}

#[derive(Debug, Serialize)]
pub struct RestoreReport {
    pub manifest: Manifest,
    pub migrations_applied: usize,
    /// Where the database that was replaced was kept (`--force`).
    pub previous: Option<PathBuf>,
}

/// Restores the backup in `dir` into the database file `target`. An existing target is only
/// replaced with `force`, and is then kept beside it as `<name>.avant-restauration-<date>`.
pub fn restore(dir: &Path, target: &Path, force: bool) -> Result<RestoreReport> {
    let manifest = verify(dir)?;
    if target.exists() {
        if !force {
            bail!(
                "la base {} existe déjà : arrêtez l'observatoire et relancez avec --force pour la remplacer \
                 (elle sera conservée à côté), ou restaurez vers une autre base (--db)",
                target.display()
            );
        }
        // refuses a database that `serve` has open (the lock), before anything is written
        drop(super::Db::open(target)?);
    }
    let building = sibling(target, "restauration")?;
    let _ = std::fs::remove_file(&building);
    let _ = std::fs::remove_file(wal(&building));
    let result = (|| -> Result<usize> {
        let db = super::Db::open(&building)?;
        let mut conn = db.connect()?;
        load(&conn, dir, &manifest)?;
        let applied = migrations::migrate(&mut conn)?;
        conn.execute_batch("CHECKPOINT")?;
        Ok(applied)
    })();
    let migrations_applied = match result {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&building);
            let _ = std::fs::remove_file(wal(&building));
            return Err(e.context(format!(
                "restauration de {} impossible : la base {} n'a pas été modifiée",
                dir.display(),
                target.display()
            )));
        }
    };
    let previous = if target.exists() {
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
        let kept = target.with_file_name(format!(
            "{}.avant-restauration-{stamp}",
            target.file_name().unwrap_or_default().to_string_lossy()
        ));
        std::fs::rename(target, &kept)
            .with_context(|| format!("mise de côté de {}", target.display()))?;
        if wal(target).exists() {
            std::fs::rename(wal(target), wal(&kept))?;
        }
        Some(kept)
    } else {
        None
    };
    std::fs::rename(&building, target)
        .with_context(|| format!("mise en place de {}", target.display()))?;
    Ok(RestoreReport {
        manifest,
        migrations_applied,
        previous,
    })
}

fn wal(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(".wal");
    PathBuf::from(s)
}

/// Creates the schema and loads every table in one transaction, then checks each table's count
/// and fingerprint against the manifest.
fn load(conn: &Connection, dir: &Path, manifest: &Manifest) -> Result<()> {
    let schema = std::fs::read_to_string(dir.join(SCHEMA))?;
    conn.execute_batch("BEGIN TRANSACTION")?;
    let loaded = (|| -> Result<()> {
        conn.execute_batch(&schema)
            .map_err(|e| anyhow!("{SCHEMA} : {}", super::one_line(&e.to_string())))?;
        for t in &manifest.tables {
            let q = t.name.replace('"', "\"\"");
            conn.execute_batch(&format!(
                "COPY \"{q}\" FROM {} (FORMAT parquet)",
                sql_path(&dir.join(&t.file))
            ))
            .map_err(|e| anyhow!("table {} : {}", t.name, super::one_line(&e.to_string())))?;
            let (rows, fp) = fingerprint(conn, &t.name)?;
            if rows != t.rows || fp != t.fingerprint {
                bail!(
                    "la table {} relue compte {rows} lignes (empreinte {fp}) au lieu de {} (empreinte {}) : sauvegarde incohérente",
                    t.name,
                    t.rows,
                    t.fingerprint
                );
            }
        }
        let restored = tables(conn)?;
        let expected: Vec<String> = manifest.tables.iter().map(|t| t.name.clone()).collect();
        if restored != expected {
            bail!("les tables recréées ne sont pas celles du manifeste");
        }
        Ok(())
    })();
    match loaded {
        Ok(()) => Ok(conn.execute_batch("COMMIT")?),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Keeps the `keep` most recent backups `observatoire-*` of `parent` (by name, which is their
/// date) and deletes the older ones. Only folders holding a manifest are considered.
pub fn prune(parent: &Path, keep: usize) -> Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(parent)
        .with_context(|| format!("lecture de {}", parent.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("observatoire-"))
                && p.join(MANIFEST).is_file()
        })
        .collect();
    found.sort();
    let excess = found.len().saturating_sub(keep);
    let removed: Vec<PathBuf> = found.into_iter().take(excess).collect();
    for p in &removed {
        std::fs::remove_dir_all(p).with_context(|| format!("suppression de {}", p.display()))?;
    }
    Ok(removed)
}

/// Folder of a scheduled backup taken now in `parent`: `observatoire-AAAAMMJJ-HHMMSS`, with a
/// `-N` suffix when that name is taken (two backups in the same second).
pub fn dated_dir(parent: &Path) -> PathBuf {
    let base = format!(
        "observatoire-{}",
        chrono::Local::now().format("%Y%m%d-%H%M%S")
    );
    let mut dir = parent.join(&base);
    let mut n = 2;
    while dir.exists() {
        dir = parent.join(format!("{base}-{n}"));
        n += 1;
    }
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_table_file_in_the_load_script() {
        let load = "COPY job_runs FROM '/tmp/x/job_runs.parquet' (FORMAT 'parquet');\n\
                    COPY \"Odd\"\"Name\" FROM '/tmp/x/odd_name.parquet' (FORMAT 'parquet');\n";
        assert_eq!(export_file(load, "job_runs").unwrap(), "job_runs.parquet");
        assert_eq!(export_file(load, "Odd\"Name").unwrap(), "odd_name.parquet");
        assert_eq!(export_file(load, "sources"), None);
    }
}
