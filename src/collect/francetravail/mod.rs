//! Collector `francetravail-offres`: the live offers of the configured départements from the
//! France Travail API *Offres d'emploi v2*.
//!
//! The first run of a département, and then a full refresh every `full_refresh_every_hours`,
//! collects every live offer created in the last `full_refresh_lookback_days` and closes the
//! stored offers the API no longer serves. Other runs collect what was created since the last
//! success (with a one-hour overlap). A query whose total exceeds what the API serves (3,150) is
//! split — halving its date window, then by grand domaine — until every part fits, so no offer is
//! silently left out; offers are de-duplicated by id across parts.
pub mod client;
pub mod columns;
pub mod model;
pub mod salary;
pub mod store;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use self::client::{Client, Credentials, Query, MAX_RESULTS, PAGE_SIZE};
use self::model::ApiOffer;
use super::SourceMeta;
use crate::schedule::context::{JobCtx, RunSummary};

pub const JOB: &str = "francetravail-offres";

pub const SOURCE: SourceMeta = SourceMeta {
    id: "ft-offres",
    name: "Offres d'emploi France Travail (collecte quotidienne)",
    publisher: "France Travail (API Offres d'emploi v2)",
    vintage: "offres en cours",
    licence: "Conditions d'utilisation de francetravail.io",
    url: "https://francetravail.io/data/api/offres-emploi",
    method_anchor: "offres",
    expected_period_days: Some(1),
    publication_lag_days: Some(1),
};

/// The 101 départements.
pub const ALL_DEPARTEMENTS: &[&str] = &[
    "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16",
    "17", "18", "19", "21", "22", "23", "24", "25", "26", "27", "28", "29", "2A", "2B", "30", "31",
    "32", "33", "34", "35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46", "47",
    "48", "49", "50", "51", "52", "53", "54", "55", "56", "57", "58", "59", "60", "61", "62", "63",
    "64", "65", "66", "67", "68", "69", "70", "71", "72", "73", "74", "75", "76", "77", "78", "79",
    "80", "81", "82", "83", "84", "85", "86", "87", "88", "89", "90", "91", "92", "93", "94", "95",
    "971", "972", "973", "974", "976",
];

/// Grand domaines of ROME 4.0, the last-resort split of an over-full query.
const GRANDS_DOMAINES: &[&str] = &[
    "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N",
];

/// Reads the credentials from the environment variables named in the configuration.
/// `None` (with the reason) when either is missing: the job is then skipped.
pub fn credentials(cfg: &crate::config::FranceTravailConfig) -> Result<Credentials, String> {
    let get = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match (get(&cfg.client_id_env), get(&cfg.client_secret_env)) {
        (Some(client_id), Some(client_secret)) => Ok(Credentials { client_id, client_secret }),
        _ => Err(format!(
            "identifiants France Travail absents : définissez les variables d'environnement {} et {}",
            cfg.client_id_env, cfg.client_secret_env
        )),
    }
}

pub async fn run(
    ctx: &JobCtx,
    creds: Credentials,
    force_full: bool,
    force_close: bool,
) -> Result<RunSummary> {
    let cfg = &ctx.config.sources.france_travail;
    let guard = store::Guard {
        max_drop_share: ctx.config.sources.max_drop_share,
        force: force_close,
    };
    let client = Client::new(cfg, creds)?;
    // the configured départements; else those of the followed territories; else all of them
    let followed = {
        let f = ctx.config.observatory.followed.clone();
        ctx.db
            .call(move |c| crate::referentials::lookup::departements_of_followed(c, &f))
            .await?
    };
    let deps: Vec<String> = if !cfg.departements.is_empty() {
        cfg.departements.clone()
    } else if !followed.is_empty() {
        followed
    } else {
        ALL_DEPARTEMENTS.iter().map(|d| d.to_string()).collect()
    };
    let mut summary = RunSummary::default();
    let mut full_deps = 0;
    let bulk = {
        let db = ctx.db.db().clone();
        tokio::task::spawn_blocking(move || store::BulkWrites::begin(&db)).await??
    };
    for dep in &deps {
        ctx.cancel.check()?;
        let now = Utc::now();
        let dep2 = dep.clone();
        let state: Option<(Option<NaiveDateTime>, Option<NaiveDateTime>)> = ctx
            .db
            .call(move |c| {
                Ok(c.prepare(
                    "SELECT last_success_at, last_full_refresh_at FROM collector_state
                     WHERE collector = 'francetravail-offres' AND scope = ?",
                )?
                .query_map([dep2], |r| Ok((r.get(0)?, r.get(1)?)))?
                .next()
                .transpose()?)
            })
            .await?;
        let (last_success, last_full) = state.unwrap_or((None, None));
        let full = force_full
            || last_full.is_none_or(|t| {
                now.naive_utc() - t >= Duration::hours(cfg.full_refresh_every_hours)
            });
        let min = match (full, last_success) {
            (false, Some(t)) => t.and_utc() - Duration::hours(1),
            _ => now - Duration::days(cfg.full_refresh_lookback_days),
        };
        ctx.progress.message(&format!(
            "département {dep} : {} depuis {}",
            if full {
                "collecte complète"
            } else {
                "nouvelles offres"
            },
            client::fmt_date(&min)
        ));
        // A day past now: an offer stamped slightly ahead of our clock is not left out.
        let query = Query {
            departement: dep.clone(),
            min,
            max: now + Duration::days(1),
            grand_domaine: None,
        };
        let mut got = Collected::default();
        collect(&client, query, &mut got, ctx)
            .await
            .with_context(|| format!("département {dep}"))?;
        // Offers may have been missed where the results kept moving: store what was read, but a
        // full refresh closes nothing and stays due.
        let unstable = (!got.unstable.is_empty()).then(|| {
            format!(
                "résultats instables pendant la pagination ({}) : offres enregistrées, aucune fermée, \
                 collecte complète à refaire",
                got.unstable.join(" ; ")
            )
        });
        let retry_full = full && unstable.is_some();
        let full = full && unstable.is_none();
        let rows: Vec<_> = got.offers.into_values().map(ApiOffer::normalise).collect();
        let (dep2, cancel) = (dep.clone(), ctx.cancel.clone());
        let part = ctx
            .db
            .call(move |c| {
                let batch = store::Batch {
                    source_id: SOURCE.id,
                    collector: JOB,
                    scope: &dep2,
                    departement: Some(&dep2),
                    rows: &rows,
                    full,
                    now: now.naive_utc(),
                    window_end: now.naive_utc(),
                    guard,
                };
                let part = store::write(c, &batch, &cancel)?;
                if retry_full {
                    // the next run is a full refresh again, as after a first run
                    c.execute(
                        "UPDATE collector_state SET last_full_refresh_at = NULL
                         WHERE collector = ? AND scope = ?",
                        duckdb::params![JOB, dep2],
                    )?;
                }
                Ok(part)
            })
            .await?;
        tracing::info!(
            departement = %dep, full, read = part.rows_read, added = part.rows_added,
            updated = part.rows_updated, closed = part.rows_closed, "offres France Travail enregistrées"
        );
        full_deps += full as usize;
        summary.merge(&part);
        if let Some(why) = unstable {
            tracing::warn!(departement = %dep, "{why}");
            summary.merge(&RunSummary {
                degraded: Some(why),
                ..RunSummary::default()
            });
        }
    }
    drop(bulk);
    // Offers indicators and provenance, in one transaction.
    let cancel = ctx.cancel.clone();
    ctx.db
        .call(move |c| store::finish(c, &SOURCE, &cancel))
        .await?;
    summary.note = Some(format!(
        "{} départements ({} en collecte complète), {} requêtes",
        deps.len(),
        full_deps,
        client
            .api
            .requests
            .load(std::sync::atomic::Ordering::Relaxed)
    ));
    Ok(summary)
}

type BoxFut<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// Pagings of one query whose total keeps moving before it is given up as unstable.
const PAGING_ATTEMPTS: u32 = 3;

/// What the queries of one département brought back.
#[derive(Default)]
struct Collected {
    offers: HashMap<String, ApiOffer>,
    /// Queries whose results kept moving while they were paged (see [`collect`]).
    unstable: Vec<String>,
}

/// Collects every offer of `q` into `out`, splitting the query when the API cannot serve it whole.
///
/// Pages are offsets into a list sorted by creation date that the API recomputes at every
/// request: an offer published while the query is paged shifts the rest down (the last offer of
/// a page comes again at the top of the next one: merged by id), and an offer withdrawn shifts
/// them up, so that one offer is never served. The total of every page is compared with the
/// first one's; when it moved, the query is paged again (what was read is kept) until one
/// paging sees a steady total, at most [`PAGING_ATTEMPTS`] times. A query that never settles
/// is recorded in `out.unstable`: the département's full refresh then closes nothing.
fn collect<'a>(
    client: &'a Client,
    q: Query,
    out: &'a mut Collected,
    ctx: &'a JobCtx,
) -> BoxFut<'a> {
    Box::pin(async move {
        for attempt in 1..=PAGING_ATTEMPTS {
            ctx.cancel.check()?;
            let first = client.search(&q, 0, PAGE_SIZE - 1).await?;
            let total = first.total;
            if total > MAX_RESULTS {
                return split(client, q, total, out, ctx).await;
            }
            let mut got = first.offers.len() as u64;
            add(&mut out.offers, first.offers, ctx);
            let mut start = PAGE_SIZE;
            let mut steady = true;
            while start < total && got > 0 {
                ctx.cancel.check()?;
                let end = (start + PAGE_SIZE - 1).min(MAX_RESULTS - 1);
                let page = client.search(&q, start, end).await?;
                steady &= page.total == total;
                if page.offers.is_empty() {
                    break;
                }
                got = page.offers.len() as u64;
                add(&mut out.offers, page.offers, ctx);
                start += PAGE_SIZE;
            }
            if steady {
                return Ok(());
            }
            tracing::warn!(
                departement = %q.departement, attempt,
                "le nombre d'offres a changé pendant la pagination : requête reprise"
            );
        }
        out.unstable.push(format!(
            "département {}, offres créées du {} au {}{}",
            q.departement,
            client::fmt_date(&q.min),
            client::fmt_date(&q.max),
            q.grand_domaine
                .as_deref()
                .map(|g| format!(", grand domaine {g}"))
                .unwrap_or_default()
        ));
        Ok(())
    })
}

fn add(out: &mut HashMap<String, ApiOffer>, offers: Vec<ApiOffer>, ctx: &JobCtx) {
    ctx.progress.add(offers.len() as u64);
    for o in offers {
        if !o.id.trim().is_empty() {
            out.insert(o.id.trim().to_string(), o);
        }
    }
}

async fn split(
    client: &Client,
    q: Query,
    total: u64,
    out: &mut Collected,
    ctx: &JobCtx,
) -> Result<()> {
    let span = q.max - q.min;
    if span > Duration::seconds(1) {
        // Halve the creation window; both halves share the mid second (duplicates merge by id).
        let mid: DateTime<Utc> = q.min + span / 2;
        let mid = DateTime::from_timestamp(mid.timestamp(), 0).unwrap_or(mid);
        tracing::debug!(
            total,
            "requête trop large ({total} offres) : fenêtre coupée en deux"
        );
        collect(
            client,
            Query {
                max: mid,
                ..q.clone()
            },
            out,
            ctx,
        )
        .await?;
        return collect(client, Query { min: mid, ..q }, out, ctx).await;
    }
    if q.grand_domaine.is_none() {
        for gd in GRANDS_DOMAINES {
            collect(
                client,
                Query {
                    grand_domaine: Some(gd.to_string()),
                    ..q.clone()
                },
                out,
                ctx,
            )
            .await?;
        }
        return Ok(());
    }
    bail!(
        "{total} offres créées dans la même seconde ({}) pour le département {} et le grand domaine {:?} : \
         plus que les {MAX_RESULTS} que l'API sait servir, la requête ne peut plus être découpée",
        client::fmt_date(&q.min),
        q.departement,
        q.grand_domaine
    )
}
