//! Versioned, idempotent schema migrations recorded in `schema_migrations`.
use anyhow::{bail, Context, Result};
use duckdb::Connection;

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
    /// Work after the SQL, in the same transaction, where the SQL is built by the code (the
    /// privacy patterns).
    pub then: Option<fn(&duckdb::Transaction) -> Result<()>>,
}

/// 9: stored free text scrubbed again with the patterns as fixed by then (runs of spaces and
/// no-break spaces inside phone numbers escaped them).
fn rescrub(tx: &duckdb::Transaction) -> Result<()> {
    use crate::collect::privacy::{sql_has_contact, sql_scrub};
    for (table, cols) in [
        (
            "raw_ft_offre",
            &[
                "intitule",
                "lieu_libelle",
                "appellation_libelle",
                "entreprise_nom",
                "salaire_libelle",
            ][..],
        ),
        ("raw_ft_offre_competence", &["libelle"][..]),
    ] {
        for col in cols {
            // again while something is left: a removal can join its neighbours into a match
            for _ in 0..8 {
                let changed = tx.execute(
                    &format!(
                        "UPDATE {table} SET {col} = {} WHERE {}",
                        sql_scrub(col),
                        sql_has_contact(col)
                    ),
                    [],
                )?;
                if changed == 0 {
                    break;
                }
            }
        }
    }
    Ok(())
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("migrations/0001_initial.sql"),
        then: None,
    },
    Migration {
        version: 2,
        name: "collectors",
        sql: include_str!("migrations/0002_collectors.sql"),
        then: None,
    },
    Migration {
        version: 3,
        name: "boards",
        sql: include_str!("migrations/0003_boards.sql"),
        then: None,
    },
    Migration {
        version: 4,
        name: "clusters",
        sql: include_str!("migrations/0004_clusters.sql"),
        then: None,
    },
    Migration {
        version: 5,
        name: "privacy_freshness",
        sql: include_str!("migrations/0005_privacy_freshness.sql"),
        then: None,
    },
    Migration {
        version: 6,
        name: "analytics",
        sql: include_str!("migrations/0006_analytics.sql"),
        then: None,
    },
    Migration {
        version: 7,
        name: "forecasts",
        sql: include_str!("migrations/0007_forecasts.sql"),
        then: None,
    },
    Migration {
        version: 8,
        name: "search_alerts",
        sql: include_str!("migrations/0008_search_alerts.sql"),
        then: None,
    },
    Migration {
        version: 9,
        name: "offer_fingerprint",
        sql: include_str!("migrations/0009_offer_fingerprint.sql"),
        then: Some(rescrub),
    },
    Migration {
        version: 10,
        name: "skills_forecast",
        sql: include_str!("migrations/0010_skills_forecast.sql"),
        then: None,
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
        if let Some(then) = m.then {
            then(&tx).with_context(|| format!("migration {} ({})", m.version, m.name))?;
        }
        tx.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)",
            duckdb::params![m.version, m.name],
        )?;
        tx.commit()?;
        applied += 1;
    }
    Ok(applied)
}
