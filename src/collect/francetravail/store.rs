//! Writing collected offers: upsert by id (keeping `first_seen`), competences replaced per offer,
//! and — after a full refresh of a département — offers no longer served are marked closed.
//! One transaction per département: a failure leaves the database as it was for that département.
use anyhow::Result;
use chrono::NaiveDateTime;
use std::collections::HashMap;

use duckdb::{params, Connection};

use super::columns::{competences_batch, content_hash, ids_batch, raw_batch, Scope};
use super::model::OfferRow;
use crate::collect::SourceMeta;
use crate::schedule::context::{Cancel, RunSummary};

pub struct Batch<'a> {
    /// `sources` id of the offers (`ft-offres`, `site-…`).
    pub source_id: &'a str,
    /// `collector_state` key: the collector and its scope (a département, a site).
    pub collector: &'a str,
    pub scope: &'a str,
    /// Département stored with the offers (France Travail: the one queried); a full refresh
    /// closes the source's offers of this département, or all its offers when `None`.
    pub departement: Option<&'a str>,
    pub rows: &'a [OfferRow],
    /// The rows are every live offer of the département (a full refresh): close the others.
    pub full: bool,
    pub now: NaiveDateTime,
    /// Upper bound of the collected window, for the next incremental run.
    pub window_end: NaiveDateTime,
    /// When a full refresh may close offers.
    pub guard: Guard,
}

/// The rule that keeps a collection that could not read its source from closing what is stored.
#[derive(Debug, Clone, Copy)]
pub struct Guard {
    /// Largest share of the stored open offers that may vanish in one full refresh.
    pub max_drop_share: f64,
    /// A human checked the source: close whatever is missing.
    pub force: bool,
}

/// Below this many stored open offers the share rule is not applied (small boards fluctuate);
/// reading none at all where some are stored still trips the guard.
const GUARD_MIN_STORED: i64 = 10;

impl Guard {
    /// Why closing would be wrong, when it would.
    pub fn refuses(&self, stored_open: i64, read: i64) -> Option<String> {
        if self.force || stored_open == 0 {
            return None;
        }
        let floor = stored_open as f64 * (1.0 - self.max_drop_share);
        if read == 0 || (stored_open >= GUARD_MIN_STORED && (read as f64) < floor) {
            return Some(format!(
                "{read} offres lues pour {stored_open} enregistrées ouvertes (baisse de plus de {:.0} %) : \
                 source sans doute mal lue, aucune offre fermée ; après vérification, relancez avec --full --force",
                self.max_drop_share * 100.0
            ));
        }
        None
    }
}

/// DuckDB checkpoints its write-ahead log into the database file once the log passes
/// `checkpoint_threshold` (16 MB by default), at the commit that passes it; each checkpoint
/// rewrites the offers' primary-key index and their last row groups. While a collection appends
/// hundreds of thousands of offers that made ~60 % of the write time (measured at 300k new
/// offers: commit 5.4 s of 9.2 s; 1.4 s at 256 MB). [`BulkWrites`] raises the threshold for the
/// time of a collection and restores the default after it, so other work (the rebuild, imports)
/// keeps the default; the log is at most 256 MB more to replay after a crash.
pub const BULK_CHECKPOINT_THRESHOLD: &str = "256MB";

/// The larger checkpoint threshold of a collection, for as long as this value lives.
pub struct BulkWrites(crate::store::Db);

impl BulkWrites {
    pub fn begin(db: &crate::store::Db) -> Result<BulkWrites> {
        db.connect()?.execute_batch(&format!(
            "SET checkpoint_threshold = '{BULK_CHECKPOINT_THRESHOLD}'"
        ))?;
        Ok(BulkWrites(db.clone()))
    }
}

impl Drop for BulkWrites {
    fn drop(&mut self) {
        // a setting, no data: quick enough to run where the collection ends, even on error
        if let Ok(c) = self.0.connect() {
            let _ = c.execute_batch("RESET checkpoint_threshold");
        }
    }
}

/// Seconds spent in each phase of [`write`] since the last [`take_phases`], in first-seen
/// order: `bench ingest` prints them, to show where a write's time goes.
static PHASES: std::sync::Mutex<Vec<(&'static str, f64)>> = std::sync::Mutex::new(Vec::new());

fn phase<T>(name: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let started = std::time::Instant::now();
    let out = f();
    let secs = started.elapsed().as_secs_f64();
    let mut p = PHASES.lock().unwrap_or_else(|e| e.into_inner());
    match p.iter_mut().find(|(n, _)| *n == name) {
        Some((_, s)) => *s += secs,
        None => p.push((name, secs)),
    }
    out
}

/// The phase times of [`write`] since the last call, and resets them.
pub fn take_phases() -> Vec<(&'static str, f64)> {
    std::mem::take(&mut *PHASES.lock().unwrap_or_else(|e| e.into_inner()))
}

pub fn write(conn: &mut Connection, b: &Batch, cancel: &Cancel) -> Result<RunSummary> {
    let tx = conn.transaction()?;
    // A full refresh is guarded by the offers open before it (counted before the upsert reopens
    // any); an incremental run closes nothing and needs no count.
    let refused = if b.full {
        let stored_open: i64 = tx.query_row(
            "SELECT count(*) FROM raw_ft_offre
             WHERE source_id = ?1 AND (?2 IS NULL OR departement = ?2) AND closed_at IS NULL",
            params![b.source_id, b.departement],
            |r| r.get(0),
        )?;
        b.guard.refuses(stored_open, b.rows.len() as i64)
    } else {
        None
    };
    // A refused full refresh stores what it read but is not a full refresh.
    let full = b.full && refused.is_none();
    let alias = alias_map(&tx)?;
    // One row per id (the last one read wins), with its commune and content fingerprint.
    let mut seen = std::collections::HashSet::with_capacity(b.rows.len());
    let mut rows: Vec<&OfferRow> = b
        .rows
        .iter()
        .rev()
        .filter(|r| seen.insert(r.id.as_str()))
        .collect();
    rows.reverse();
    let communes: Vec<Option<&str>> = rows
        .iter()
        .map(|r| {
            r.commune_brute
                .as_deref()
                .and_then(|code| alias.get(code))
                .map(String::as_str)
        })
        .collect();
    let scope = Scope {
        source_id: b.source_id,
        departement: b.departement,
        now: b.now,
    };
    let hashes: Vec<i64> = phase("fingerprint", || {
        Ok(rows
            .iter()
            .zip(&communes)
            .map(|(r, c)| content_hash(r, &scope, *c))
            .collect())
    })?;
    // A temporary table of ids, to probe, delete or update by.
    let id_table = |table: &str, ids: &[&str]| -> Result<()> {
        tx.execute_batch(&format!(
            "CREATE OR REPLACE TEMP TABLE {table} (id VARCHAR)"
        ))?;
        let mut app = tx.appender(table)?;
        app.append_record_batch(ids_batch(ids)?)?;
        app.flush()?;
        Ok(())
    };
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    phase("staging", || id_table("ft_ids", &ids))?;
    // Only what changed is written. A daily full refresh serves every live offer again, most of
    // them unchanged. The stored fingerprints of the batch's offers are read (two narrow
    // columns of a probe by id) and compared here: new offers are appended; changed ones (content
    // or skills), and closed ones that reappear, are deleted and appended again keeping their
    // first_seen; unchanged ones only get their last_seen. Rewriting every offer
    // (`UPDATE … FROM staging`) fell to ~3,500 offers/s at a few hundred thousand stored offers,
    // and comparing every column and skill in SQL (`EXCEPT`) scanned the skills table twice per
    // département (measured in BENCHMARKS.md).
    let stored: HashMap<String, (Option<i64>, bool, NaiveDateTime)> = phase("stored", || {
        Ok(tx
            .prepare(
                "SELECT id, content_hash, closed_at IS NULL, first_seen FROM raw_ft_offre
                 WHERE id IN (SELECT id FROM ft_ids)",
            )?
            .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))?
            .collect::<Result<_, _>>()?)
    })?;
    let mut write_rows: Vec<&OfferRow> = Vec::new();
    let mut write_hashes = Vec::new();
    let mut write_communes = Vec::new();
    let mut first_seen = Vec::new();
    let mut changed: Vec<&str> = Vec::new();
    let mut same: Vec<&str> = Vec::new();
    for ((r, h), c) in rows.iter().zip(&hashes).zip(&communes) {
        match stored.get(&r.id) {
            Some((Some(old), true, _)) if old == h => {
                same.push(&r.id);
                continue;
            }
            Some((_, _, fs)) => {
                changed.push(&r.id);
                first_seen.push(*fs);
            }
            None => first_seen.push(b.now),
        }
        write_rows.push(r);
        write_hashes.push(*h);
        write_communes.push(*c);
    }
    let updated = stored.len() as i64;
    let read = rows.len() as i64;
    if !changed.is_empty() {
        phase("delete_changed", || {
            id_table("ft_changed", &changed)?;
            tx.execute_batch(
                "DELETE FROM raw_ft_offre WHERE id IN (SELECT id FROM ft_changed);
                 DELETE FROM raw_ft_offre_competence WHERE offre_id IN (SELECT id FROM ft_changed);
                 DROP TABLE ft_changed;",
            )?;
            Ok(())
        })?;
    }
    if !same.is_empty() {
        phase("last_seen", || {
            id_table("ft_same", &same)?;
            tx.execute(
                "UPDATE raw_ft_offre SET last_seen = ?1 WHERE id IN (SELECT id FROM ft_same)",
                params![b.now],
            )?;
            tx.execute_batch("DROP TABLE ft_same")?;
            Ok(())
        })?;
    }
    if !write_rows.is_empty() {
        phase("insert", || {
            let mut app = tx.appender("raw_ft_offre")?;
            app.append_record_batch(raw_batch(
                &write_rows,
                &scope,
                &write_communes,
                &first_seen,
                &write_hashes,
            )?)?;
            app.flush()?;
            drop(app);
            let mut comp = tx.appender("raw_ft_offre_competence")?;
            comp.append_record_batch(competences_batch(&write_rows)?)?;
            comp.flush()?;
            Ok(())
        })?;
    }
    crate::failpoint!("store::write::after_insert", b.scope);
    let closed = if full {
        phase("close", || {
            Ok(tx.execute(
                "UPDATE raw_ft_offre SET closed_at = ?1
             WHERE source_id = ?2 AND (?3 IS NULL OR departement = ?3) AND closed_at IS NULL
               AND id NOT IN (SELECT id FROM ft_ids)",
                params![b.now, b.source_id, b.departement],
            )? as i64)
        })?
    } else {
        0
    };
    tx.execute(
        "INSERT INTO collector_state VALUES (?5, ?1, ?2, CASE WHEN ?3 THEN ?4 END)
         ON CONFLICT (collector, scope) DO UPDATE SET last_success_at = excluded.last_success_at,
             last_full_refresh_at = coalesce(excluded.last_full_refresh_at, collector_state.last_full_refresh_at)",
        params![b.scope, b.window_end, full, b.now, b.collector],
    )?;
    tx.execute_batch("DROP TABLE ft_ids;")?;
    cancel.check()?;
    phase("commit", || Ok(tx.commit()?))?;
    Ok(RunSummary {
        rows_read: read,
        rows_added: read - updated,
        rows_updated: updated,
        rows_closed: closed,
        note: None,
        degraded: refused.map(|why| format!("{} : {why}", b.scope)),
    })
}

/// Old commune codes and arrondissements → COG commune (`ref_commune_alias`), read once and
/// kept while the table is unchanged (a count and a hash of its rows tell).
fn alias_map(conn: &Connection) -> Result<std::sync::Arc<HashMap<String, String>>> {
    type Cache = Option<((i64, String), std::sync::Arc<HashMap<String, String>>)>;
    static CACHE: std::sync::Mutex<Cache> = std::sync::Mutex::new(None);
    let key: (i64, String) = conn.query_row(
        "SELECT count(*), coalesce(sum(hash(code, commune)), 0)::VARCHAR FROM ref_commune_alias",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((k, map)) = cache.as_ref() {
        if *k == key {
            return Ok(map.clone());
        }
    }
    let map: HashMap<String, String> = conn
        .prepare("SELECT code, commune FROM ref_commune_alias")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let map = std::sync::Arc::new(map);
    *cache = Some((key, map.clone()));
    Ok(map)
}

/// After a collector's writes: record `source` with its count of open offers, and that its data
/// changed (the derived tables follow, rebuilt by the scheduler or the command line), in one
/// transaction that a cancelled run does not commit.
pub fn finish(conn: &mut Connection, source: &SourceMeta, cancel: &Cancel) -> Result<()> {
    let tx = conn.transaction()?;
    crate::store::changes::mark_changed(&tx, source.id)?;
    let open: i64 = tx.query_row(
        "SELECT count(*) FROM raw_ft_offre WHERE source_id = ? AND closed_at IS NULL",
        [source.id],
        |r| r.get(0),
    )?;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    crate::collect::record_source(&tx, source, open, Some(&today))?;
    cancel.check()?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Guard;

    #[test]
    fn the_guard_refuses_drops_beyond_the_share_and_empty_reads() {
        let g = Guard {
            max_drop_share: 0.5,
            force: false,
        };
        // exactly half kept is within the share; one fewer is not
        assert_eq!(g.refuses(300, 150), None);
        assert!(g.refuses(300, 149).is_some());
        assert_eq!(g.refuses(300, 300), None);
        assert_eq!(g.refuses(300, 400), None);
        // the share rule starts at 10 stored offers
        assert!(g.refuses(10, 4).is_some());
        assert_eq!(g.refuses(10, 5), None);
        assert_eq!(g.refuses(9, 1), None);
        // nothing read where something is stored: always refused
        assert!(g.refuses(1, 0).is_some());
        assert!(g.refuses(9, 0).is_some());
        // nothing stored: nothing to protect
        assert_eq!(g.refuses(0, 0), None);
        let why = g.refuses(300, 100).unwrap();
        assert!(
            why.contains("100 offres lues pour 300") && why.contains("50 %"),
            "{why}"
        );
        let forced = Guard { force: true, ..g };
        assert_eq!(forced.refuses(300, 0), None);
        let strict = Guard {
            max_drop_share: 0.2,
            force: false,
        };
        assert!(strict.refuses(100, 79).is_some());
        assert_eq!(strict.refuses(100, 80), None);
    }
}
