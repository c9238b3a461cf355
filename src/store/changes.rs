//! Which raw data changed since the derived tables were last rebuilt. Collectors and imports call
//! [`mark_changed`] inside their own transaction (so a rolled-back write marks nothing); the
//! rebuild records, in its transaction, the latest change its snapshot included; the scheduler
//! and the command line rebuild while [`pending`] is true. Collectors never call indicator code.
use anyhow::Result;
use duckdb::Connection;

/// Records that `source_id`'s raw data changed now.
pub fn mark_changed(conn: &Connection, source_id: &str) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO data_changes VALUES (?, now()::TIMESTAMP)",
        [source_id],
    )?;
    Ok(())
}

/// Called inside the rebuild's transaction: the rebuild covers every change visible to it.
pub fn record_rebuild(conn: &Connection, name: &str) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO derived_state
         SELECT ?, now()::TIMESTAMP, (SELECT max(changed_at) FROM data_changes)",
        [name],
    )?;
    Ok(())
}

/// Records a rebuild published although raw data changed while it ran: it stays pending.
pub fn record_rebuild_incomplete(conn: &Connection, name: &str) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO derived_state VALUES (?, now()::TIMESTAMP, TIMESTAMP '1970-01-01')",
        [name],
    )?;
    Ok(())
}

/// True when some raw data changed after the snapshot of the last `name` rebuild (or none ran).
pub fn pending(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT CASE WHEN d.name IS NULL THEN true
                     ELSE coalesce((SELECT max(changed_at) FROM data_changes) > coalesce(d.built_from, TIMESTAMP '1970-01-01'), false) END
         FROM (SELECT 1) LEFT JOIN derived_state d ON d.name = ?",
        [name],
        |r| r.get(0),
    )?)
}
