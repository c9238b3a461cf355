//! Versioned, idempotent schema migrations recorded in `schema_migrations`.
use anyhow::{bail, Context, Result};
use duckdb::Connection;

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "collectors",
        sql: include_str!("migrations/0002_collectors.sql"),
    },
    Migration {
        version: 3,
        name: "boards",
        sql: include_str!("migrations/0003_boards.sql"),
    },
    Migration {
        version: 4,
        name: "clusters",
        sql: include_str!("migrations/0004_clusters.sql"),
    },
    Migration {
        version: 5,
        name: "privacy_freshness",
        sql: include_str!("migrations/0005_privacy_freshness.sql"),
    },
    Migration {
        version: 6,
        name: "analytics",
        sql: include_str!("migrations/0006_analytics.sql"),
    },
    Migration {
        version: 7,
        name: "forecasts",
        sql: include_str!("migrations/0007_forecasts.sql"),
    },
    Migration {
        version: 8,
        name: "search_alerts",
        sql: include_str!("migrations/0008_search_alerts.sql"),
    },
    Migration {
        version: 9,
        name: "offer_fingerprint",
        sql: include_str!("migrations/0009_offer_fingerprint.sql"),
    },
];

pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Current schema version of the database (0 when empty).
pub fn current_version(conn: &Connection) -> Result<i64> {
    let exists: bool = conn.query_row(
        "SELECT count(*) > 0 FROM information_schema.tables WHERE table_name = 'schema_migrations'",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(0);
    }
    Ok(conn.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?)
}

/// Applies the migrations the database lacks, each in its own transaction. Returns how many ran.
/// A database written by a newer version of the observatory is refused, untouched.
pub fn migrate(conn: &mut Connection) -> Result<usize> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)",
    )?;
    let current = current_version(conn)?;
    let latest = latest_version();
    if current > latest {
        bail!(
            "la base de données est au schéma version {current}, plus récent que celui de ce programme \
             (version {latest}) : mettez à jour l'observatoire ou utilisez une autre base (--db)"
        );
    }
    let mut applied = 0;
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql)
            .with_context(|| format!("migration {} ({})", m.version, m.name))?;
        tx.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)",
            duckdb::params![m.version, m.name],
        )?;
        tx.commit()?;
        applied += 1;
    }
    Ok(applied)
}
