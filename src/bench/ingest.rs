//! `observatoire bench ingest --pages DIR [--db PATH]`: the offers collector's own path — JSON
//! page parsing (`SearchPage`), normalisation and privacy scrubbing (`ApiOffer::normalise`), the
//! one-transaction-per-département write (`store::write`) — over pages made by `bench generate`,
//! into a fresh database. Twice: first every offer is new, then the same pages again as the
//! daily full refresh sees them (every offer already stored). Pages of département k+1 are parsed
//! on one thread while département k is written on the other.
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::collect::francetravail::model::{ApiOffer, OfferRow, SearchPage};
use crate::collect::francetravail::store::{self, Batch, Guard};
use crate::schedule::context::{Cancel, RunSummary};
use crate::store::Db;

/// One folder of pages and how it is stored.
struct Scope {
    dir: PathBuf,
    name: String,
    source_id: &'static str,
    departement: Option<String>,
}

fn scopes(pages: &Path) -> Result<Vec<Scope>> {
    let mut out = Vec::new();
    let ft = pages.join("ft");
    let mut deps: Vec<PathBuf> = std::fs::read_dir(&ft)
        .with_context(|| format!("{} illisible", ft.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    deps.sort();
    for dir in deps {
        let dep = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        out.push(Scope {
            dir,
            name: dep.clone(),
            source_id: crate::collect::francetravail::SOURCE.id,
            departement: Some(dep),
        });
    }
    let site = pages.join(super::generate::SITE);
    if site.is_dir() {
        out.push(Scope {
            dir: site,
            name: super::generate::SITE.into(),
            source_id: super::generate::SITE,
            departement: None,
        });
    }
    Ok(out)
}

fn read_page(path: &Path) -> Result<Vec<ApiOffer>> {
    let raw = std::fs::read(path).with_context(|| format!("lecture de {}", path.display()))?;
    let bytes = if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::with_capacity(raw.len() * 6);
        flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out)?;
        out
    } else {
        raw
    };
    let page: SearchPage = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} : JSON invalide", path.display()))?;
    Ok(page.resultats)
}

/// Every offer of a scope, one per id (as the collector keeps them), normalised.
fn parse_scope(scope: &Scope) -> Result<Vec<OfferRow>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(&scope.dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("page-"))
        })
        .collect();
    files.sort();
    // pages parsed and normalised on every core (rayon), merged by id in page order as the
    // collector does (the last copy of an id wins)
    use rayon::prelude::*;
    let pages: Vec<Vec<OfferRow>> = files
        .par_iter()
        .map(|f| Ok(read_page(f)?.into_iter().map(ApiOffer::normalise).collect()))
        .collect::<Result<_>>()?;
    let mut offers: HashMap<String, OfferRow> = HashMap::new();
    for o in pages.into_iter().flatten() {
        offers.insert(o.id.clone(), o);
    }
    let mut rows: Vec<OfferRow> = offers.into_values().collect();
    // the order the API would give is arbitrary; a sorted batch makes runs comparable
    rows.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    Ok(rows)
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Pass {
    pub offers: i64,
    pub added: i64,
    pub updated: i64,
    pub seconds: f64,
    pub parse_seconds: f64,
    pub write_seconds: f64,
    /// Seconds per phase of the writes (`store::write`).
    pub write_phases: Vec<(&'static str, f64)>,
}

impl Pass {
    pub fn rate(&self) -> f64 {
        self.offers as f64 / self.seconds.max(1e-9)
    }
}

/// One pass over every scope: parsing on a second thread, one scope ahead of the writes.
fn pass(db: &Db, scopes: &[Scope], full: bool) -> Result<Pass> {
    let started = Instant::now();
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<(usize, Vec<OfferRow>, f64)>>(1);
    let mut summary = RunSummary::default();
    let mut write_seconds = 0.0;
    let mut parse_seconds = 0.0;
    store::take_phases();
    // as the collector does for a collection
    let bulk = store::BulkWrites::begin(db)?;
    std::thread::scope(|s| -> Result<()> {
        s.spawn(move || {
            for (i, scope) in scopes.iter().enumerate() {
                let t = Instant::now();
                let parsed = parse_scope(scope).map(|rows| (i, rows, t.elapsed().as_secs_f64()));
                let failed = parsed.is_err();
                if tx.send(parsed).is_err() || failed {
                    return;
                }
            }
        });
        let mut conn = db.connect()?;
        let cancel = Cancel::default();
        for msg in rx {
            let (i, rows, parse) = msg?;
            parse_seconds += parse;
            let scope = &scopes[i];
            let now = chrono::Utc::now().naive_utc();
            let t = Instant::now();
            let part = store::write(
                &mut conn,
                &Batch {
                    source_id: scope.source_id,
                    collector: "bench-ingest",
                    scope: &scope.name,
                    departement: scope.departement.as_deref(),
                    rows: &rows,
                    full,
                    now,
                    window_end: now,
                    guard: Guard {
                        max_drop_share: 0.5,
                        force: false,
                    },
                },
                &cancel,
            )?;
            write_seconds += t.elapsed().as_secs_f64();
            summary.merge(&part);
        }
        Ok(())
    })?;
    // the log left by the pass is checkpointed at the collection's next commit: part of its cost
    drop(bulk);
    let t = Instant::now();
    db.connect()?.execute_batch("CHECKPOINT")?;
    let checkpoint = t.elapsed().as_secs_f64();
    write_seconds += checkpoint;
    let mut write_phases = store::take_phases();
    write_phases.push(("checkpoint final", checkpoint));
    Ok(Pass {
        offers: summary.rows_read,
        added: summary.rows_added,
        updated: summary.rows_updated,
        seconds: started.elapsed().as_secs_f64(),
        parse_seconds,
        write_seconds,
        write_phases,
    })
}

#[derive(Debug, serde::Serialize)]
pub struct Report {
    pub database: PathBuf,
    pub init_seconds: f64,
    pub new: Pass,
    pub stored: Pass,
    pub database_bytes: u64,
}

/// Runs both passes into `db` (a new file; a temporary one when `None`).
pub fn ingest(pages: &Path, db: Option<&Path>) -> Result<Report> {
    super::generate::check_synthetic(pages)?;
    let scopes = scopes(pages)?;
    if scopes.is_empty() {
        bail!(
            "{} ne contient aucune page (ft/<département>/)",
            pages.display()
        );
    }
    let tmp = tempfile::tempdir()?;
    let path = match db {
        Some(p) if p.exists() => bail!(
            "{} existe déjà : le banc d'essai n'écrit que dans une base neuve (les offres sont synthétiques)",
            p.display()
        ),
        Some(p) => p.to_path_buf(),
        None => tmp.path().join("bench.duckdb"),
    };
    let database = Db::open(&path)?;
    let t = Instant::now();
    crate::init::run(&mut database.connect()?, &crate::config::Config::default())?;
    let init_seconds = t.elapsed().as_secs_f64();
    let new = pass(&database, &scopes, false)?;
    let stored = pass(&database, &scopes, true)?;
    let database_bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    Ok(Report {
        database: path,
        init_seconds,
        new,
        stored,
        database_bytes,
    })
}
