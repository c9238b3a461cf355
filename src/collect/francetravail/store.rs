//! Writing collected offers: upsert by id (keeping `first_seen`), competences replaced per offer,
//! and — after a full refresh of a département — offers no longer served are marked closed.
//! One transaction per département: a failure leaves the database as it was for that département.
use anyhow::Result;
use chrono::NaiveDateTime;
use std::collections::HashMap;

use duckdb::{params, Connection};

use super::model::OfferRow;
use crate::collect::SourceMeta;
use crate::schedule::context::{Cancel, RunSummary};

const STAGING: &str = "CREATE OR REPLACE TEMP TABLE ft_new AS SELECT * FROM raw_ft_offre LIMIT 0;
  CREATE OR REPLACE TEMP TABLE ft_staging_comp (offre_id VARCHAR, code_ogr VARCHAR, libelle VARCHAR, exigence VARCHAR);
  CREATE OR REPLACE TEMP TABLE ft_ids (id VARCHAR);";

/// Columns that make an offer's content: all but the dates the collector keeps itself.
const CONTENT: &str = "COLUMNS(c -> c NOT IN ('first_seen', 'last_seen', 'closed_at'))";

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
    tx.execute_batch(STAGING)?;
    // Which offers are already stored.
    {
        let mut ids = tx.appender("ft_ids")?;
        ids.append_record_batch(id_batch(b.rows)?)?;
        ids.flush()?;
    }
    {
        let alias = alias_map(&tx)?;
        let rows: Vec<&OfferRow> = b.rows.iter().collect();
        let mut app = tx.appender("ft_new")?;
        app.append_record_batch(raw_batch(&rows, b, &alias)?)?;
        app.flush()?;
        let mut comp = tx.appender("ft_staging_comp")?;
        comp.append_record_batch(competences_batch(b.rows)?)?;
        comp.flush()?;
    }
    // Only what changed is written. A daily full refresh serves every live offer again, most of
    // them unchanged: rewriting them all (`UPDATE … FROM staging`) made DuckDB join against the
    // whole offers table and fell to ~3,500 offers/s at a few hundred thousand stored offers,
    // depending on the join order it picked. Here the stored versions of the batch's offers are
    // read once (a probe of the batch's ids), compared in SQL, and only new or changed offers
    // (content, skills, or reopened) are deleted and appended again, keeping their first_seen;
    // the unchanged ones only get their last_seen (measured in BENCHMARKS.md).
    tx.execute_batch(&format!(
        "CREATE TEMP TABLE ft_stored AS SELECT * FROM raw_ft_offre WHERE id IN (SELECT id FROM ft_ids);
         CREATE TEMP TABLE ft_write AS
            SELECT id FROM (SELECT {CONTENT} FROM ft_new EXCEPT SELECT {CONTENT} FROM ft_stored WHERE closed_at IS NULL)
            UNION SELECT offre_id FROM (
                SELECT offre_id, code_ogr, libelle, exigence FROM ft_staging_comp
                EXCEPT SELECT offre_id, code_ogr, libelle, exigence FROM raw_ft_offre_competence
                       WHERE offre_id IN (SELECT id FROM ft_ids))
            UNION SELECT offre_id FROM (
                SELECT offre_id, code_ogr, libelle, exigence FROM raw_ft_offre_competence
                WHERE offre_id IN (SELECT id FROM ft_ids)
                EXCEPT SELECT offre_id, code_ogr, libelle, exigence FROM ft_staging_comp);"
    ))?;
    let updated: i64 = tx.query_row("SELECT count(*) FROM ft_stored", [], |r| r.get(0))?;
    let read = b.rows.len() as i64;
    if updated > 0 {
        tx.execute(
            "DELETE FROM raw_ft_offre WHERE id IN (SELECT id FROM ft_stored SEMI JOIN ft_write USING (id))",
            [],
        )?;
        tx.execute(
            "UPDATE raw_ft_offre SET last_seen = ?1
             WHERE id IN (SELECT id FROM ft_stored ANTI JOIN ft_write USING (id))",
            params![b.now],
        )?;
    }
    tx.execute_batch(
        "INSERT INTO raw_ft_offre
         SELECT n.* REPLACE (coalesce(s.first_seen, n.first_seen) AS first_seen)
         FROM ft_new n SEMI JOIN ft_write w USING (id) LEFT JOIN ft_stored s USING (id);
         DELETE FROM raw_ft_offre_competence WHERE offre_id IN (SELECT id FROM ft_write);
         INSERT INTO raw_ft_offre_competence
         SELECT DISTINCT c.offre_id, c.code_ogr, c.libelle, c.exigence FROM ft_staging_comp c
         WHERE c.offre_id IN (SELECT id FROM ft_write);",
    )?;
    crate::failpoint!("store::write::after_insert", b.scope);
    let closed = if full {
        tx.execute(
            "UPDATE raw_ft_offre SET closed_at = ?1
             WHERE source_id = ?2 AND (?3 IS NULL OR departement = ?3) AND closed_at IS NULL
               AND id NOT IN (SELECT id FROM ft_ids)",
            params![b.now, b.source_id, b.departement],
        )? as i64
    } else {
        0
    };
    tx.execute(
        "INSERT INTO collector_state VALUES (?5, ?1, ?2, CASE WHEN ?3 THEN ?4 END)
         ON CONFLICT (collector, scope) DO UPDATE SET last_success_at = excluded.last_success_at,
             last_full_refresh_at = coalesce(excluded.last_full_refresh_at, collector_state.last_full_refresh_at)",
        params![b.scope, b.window_end, full, b.now, b.collector],
    )?;
    tx.execute_batch(
        "DROP TABLE ft_new; DROP TABLE ft_staging_comp; DROP TABLE ft_ids; DROP TABLE ft_stored; DROP TABLE ft_write;",
    )?;
    cancel.check()?;
    tx.commit()?;
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

/// Arrow columns built from offers.
mod arrays {
    use std::sync::Arc;

    use chrono::NaiveDateTime;
    use duckdb::arrow::array::{
        ArrayRef, BooleanArray, Float64Array, Int32Array, StringArray, TimestampMicrosecondArray,
    };

    use super::OfferRow;

    pub fn text<'a>(
        rows: &[&'a OfferRow],
        f: impl Fn(&'a OfferRow) -> Option<&'a str>,
    ) -> ArrayRef {
        Arc::new(rows.iter().map(|r| f(r)).collect::<StringArray>())
    }
    pub fn constant(n: usize, v: Option<&str>) -> ArrayRef {
        Arc::new(std::iter::repeat_n(v, n).collect::<StringArray>())
    }
    pub fn float(rows: &[&OfferRow], f: impl Fn(&OfferRow) -> Option<f64>) -> ArrayRef {
        Arc::new(rows.iter().map(|r| f(r)).collect::<Float64Array>())
    }
    pub fn flag(rows: &[&OfferRow], f: impl Fn(&OfferRow) -> Option<bool>) -> ArrayRef {
        Arc::new(rows.iter().map(|r| f(r)).collect::<BooleanArray>())
    }
    pub fn int(rows: &[&OfferRow], f: impl Fn(&OfferRow) -> Option<i32>) -> ArrayRef {
        Arc::new(rows.iter().map(|r| f(r)).collect::<Int32Array>())
    }
    pub fn ts(rows: &[&OfferRow], f: impl Fn(&OfferRow) -> Option<NaiveDateTime>) -> ArrayRef {
        Arc::new(
            rows.iter()
                .map(|r| f(r).map(|t| t.and_utc().timestamp_micros()))
                .collect::<TimestampMicrosecondArray>(),
        )
    }
}

type Columns = Vec<(&'static str, duckdb::arrow::array::ArrayRef)>;

/// The offer fields shared by the staging table and the offers table, in table order.
fn head(rows: &[&OfferRow]) -> Columns {
    use arrays::*;
    vec![
        ("intitule", text(rows, |r| r.intitule.as_deref())),
        ("date_creation", ts(rows, |r| r.date_creation)),
        ("date_actualisation", ts(rows, |r| r.date_actualisation)),
        ("lieu_libelle", text(rows, |r| r.lieu_libelle.as_deref())),
        ("commune_brute", text(rows, |r| r.commune_brute.as_deref())),
        ("code_postal", text(rows, |r| r.code_postal.as_deref())),
    ]
}

fn middle(rows: &[&OfferRow]) -> Columns {
    use arrays::*;
    vec![
        ("rome", text(rows, |r| r.rome.as_deref())),
        (
            "appellation_libelle",
            text(rows, |r| r.appellation_libelle.as_deref()),
        ),
        (
            "entreprise_nom",
            text(rows, |r| r.entreprise_nom.as_deref()),
        ),
        ("type_contrat", text(rows, |r| r.type_contrat.as_deref())),
        (
            "nature_contrat",
            text(rows, |r| r.nature_contrat.as_deref()),
        ),
        (
            "experience_exige",
            text(rows, |r| r.experience_exige.as_deref()),
        ),
        (
            "qualification_code",
            text(rows, |r| r.qualification_code.as_deref()),
        ),
        ("naf", text(rows, |r| r.naf.as_deref())),
        (
            "secteur_division",
            text(rows, |r| r.secteur_division.as_deref()),
        ),
        ("nombre_postes", int(rows, |r| Some(r.nombre_postes))),
        ("alternance", flag(rows, |r| r.alternance)),
        ("accessible_th", flag(rows, |r| r.accessible_th)),
        (
            "offres_manque_candidats",
            flag(rows, |r| r.offres_manque_candidats),
        ),
        (
            "salaire_libelle",
            text(rows, |r| r.salaire_libelle.as_deref()),
        ),
    ]
}

fn batch(columns: Columns) -> Result<duckdb::arrow::record_batch::RecordBatch> {
    Ok(duckdb::arrow::record_batch::RecordBatch::try_from_iter(
        columns,
    )?)
}

fn id_batch(rows: &[OfferRow]) -> Result<duckdb::arrow::record_batch::RecordBatch> {
    let refs: Vec<&OfferRow> = rows.iter().collect();
    batch(vec![("id", arrays::text(&refs, |r| Some(r.id.as_str())))])
}

/// Offers in the column order of `raw_ft_offre`, seen now (first_seen is kept by the insert).
fn raw_batch(
    rows: &[&OfferRow],
    b: &Batch,
    alias: &HashMap<String, String>,
) -> Result<duckdb::arrow::record_batch::RecordBatch> {
    use arrays::*;
    let n = rows.len();
    let now = b.now.and_utc().timestamp_micros();
    let now_col = || -> duckdb::arrow::array::ArrayRef {
        std::sync::Arc::new(
            std::iter::repeat_n(Some(now), n)
                .collect::<duckdb::arrow::array::TimestampMicrosecondArray>(),
        )
    };
    let mut c: Columns = vec![
        ("id", text(rows, |r| Some(r.id.as_str()))),
        ("source_id", constant(n, Some(b.source_id))),
    ];
    let mut h = head(rows);
    let commune = text(rows, |r| {
        r.commune_brute
            .as_deref()
            .and_then(|code| alias.get(code))
            .map(String::as_str)
    });
    c.append(&mut h);
    c.push(("commune", commune));
    c.append(&mut middle(rows));
    c.push(("origine", text(rows, |r| r.origine.as_deref())));
    c.push(("first_seen", now_col()));
    c.push(("last_seen", now_col()));
    c.push(("closed_at", ts(rows, |_| None)));
    c.push(("departement", constant(n, b.departement)));
    c.push((
        "salaire_min_mensuel",
        float(rows, |r| r.salaire_min_mensuel),
    ));
    c.push((
        "salaire_max_mensuel",
        float(rows, |r| r.salaire_max_mensuel),
    ));
    c.push(("url", text(rows, |r| r.url.as_deref())));
    c.push(("duree_travail", text(rows, |r| r.duree_travail.as_deref())));
    c.push(("duree_contrat_mois", float(rows, |r| r.duree_contrat_mois)));
    batch(c)
}

/// (offre_id, code_ogr, libelle, exigence) of every offer, as one Arrow record batch.
fn competences_batch(rows: &[OfferRow]) -> Result<duckdb::arrow::record_batch::RecordBatch> {
    use std::sync::Arc;

    use duckdb::arrow::array::{ArrayRef, StringArray};

    let all: Vec<(&str, &super::model::Skill)> = rows
        .iter()
        .flat_map(|r| r.competences.iter().map(move |c| (r.id.as_str(), c)))
        .collect();
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "offre_id",
            Arc::new(all.iter().map(|c| Some(c.0)).collect::<StringArray>()),
        ),
        (
            "code_ogr",
            Arc::new(
                all.iter()
                    .map(|c| c.1 .0.as_deref())
                    .collect::<StringArray>(),
            ),
        ),
        (
            "libelle",
            Arc::new(
                all.iter()
                    .map(|c| c.1 .1.as_deref())
                    .collect::<StringArray>(),
            ),
        ),
        (
            "exigence",
            Arc::new(
                all.iter()
                    .map(|c| c.1 .2.as_deref())
                    .collect::<StringArray>(),
            ),
        ),
    ];
    Ok(duckdb::arrow::record_batch::RecordBatch::try_from_iter(
        columns,
    )?)
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
