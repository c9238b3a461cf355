//! Rendered pages and API answers kept in memory and served again until the data change: the key
//! is the address, the validity a *data version* read from the database (last derived-table
//! build, last raw-data change, job runs, and the day — freshness is worded in days). Every
//! answer carries an ETag; a client that sends it back gets `304 Not Modified`.
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// Bytes of bodies kept at most; past it the cache starts afresh.
const MAX_BYTES: usize = 128 << 20;
/// Bodies larger than this are not kept (whole-collection exports).
const MAX_BODY: usize = 8 << 20;

/// How long a data version read from the database is trusted when no job ran in between (writes
/// outside the runner — an import, a test — show within this delay).
const VERSION_TTL: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Default)]
pub struct PageCache {
    inner: Mutex<Inner>,
    /// (runner generation, read at, version).
    version: Mutex<Option<(u64, std::time::Instant, String)>>,
    /// One render per address at a time: concurrent misses of the same address wait for the
    /// first and are served its result (no stampede of identical exports after a change).
    inflight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

#[derive(Default)]
struct Inner {
    bytes: usize,
    entries: HashMap<String, Entry>,
}

#[derive(Clone)]
struct Entry {
    version: String,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    /// The body gzip-compressed, made on the first request that accepts it.
    gzip: Option<Bytes>,
    etag: HeaderValue,
}

/// What the cache may keep: pages and API reads, not the admin, health, metrics or job states.
fn cacheable(path: &str) -> bool {
    !(path.starts_with("/admin")
        || path.starts_with("/metrics")
        || path.starts_with("/health")
        || path.starts_with("/api/v1/jobs")
        || path.starts_with("/static"))
}

/// The data version: changes whenever a job, import or rebuild writes.
pub fn version(conn: &duckdb::Connection) -> anyhow::Result<String> {
    Ok(conn.query_row(
        "SELECT concat_ws('|', (SELECT max(built_at) FROM derived_state), (SELECT max(changed_at) FROM data_changes),
                (SELECT count(*) || '/' || count(finished_at) FROM job_runs), (SELECT max(last_success_at) FROM sources),
                current_date)",
        [],
        |r| r.get(0),
    )?)
}

fn etag_of(body: &[u8], version: &str) -> HeaderValue {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    version.hash(&mut h);
    body.hash(&mut h);
    // weak: the same entity may be sent compressed or not
    HeaderValue::from_str(&format!("W/\"{:016x}\"", h.finish())).expect("ascii")
}

fn not_modified(req_headers: &HeaderMap, etag: &HeaderValue) -> bool {
    req_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == etag.to_str().unwrap_or(""))
        })
}

fn accepts_gzip(h: &HeaderMap) -> bool {
    h.get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")))
}

fn gzip(body: &[u8]) -> Option<Bytes> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(body).ok()?;
    enc.finish().ok().map(Bytes::from)
}

fn respond(e: &Entry, req_headers: &HeaderMap, hit: bool) -> Response {
    if not_modified(req_headers, &e.etag) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().insert(header::ETAG, e.etag.clone());
        return r;
    }
    let compressed = e.gzip.as_ref().filter(|_| accepts_gzip(req_headers));
    let mut r = (e.status, compressed.unwrap_or(&e.body).clone()).into_response();
    *r.headers_mut() = e.headers.clone();
    if compressed.is_some() {
        // the compression layer leaves an encoded body as it is
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        r.headers_mut().remove(header::CONTENT_LENGTH);
    }
    r.headers_mut().insert(header::ETAG, e.etag.clone());
    r.headers_mut().insert(
        "x-cache",
        HeaderValue::from_static(if hit { "hit" } else { "miss" }),
    );
    r
}

pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET || !cacheable(req.uri().path()) {
        return next.run(req).await;
    }
    let key = req.uri().to_string();
    let generation = state
        .runner
        .generation
        .load(std::sync::atomic::Ordering::SeqCst);
    let known = state.cache.version.lock().ok().and_then(|v| {
        v.as_ref()
            .filter(|(g, at, _)| *g == generation && at.elapsed() < VERSION_TTL)
            .map(|x| x.2.clone())
    });
    let version = match known {
        Some(v) => v,
        None => match state.db.call(|c| version(c)).await {
            Ok(v) => {
                if let Ok(mut slot) = state.cache.version.lock() {
                    *slot = Some((generation, std::time::Instant::now(), v.clone()));
                }
                v
            }
            Err(e) => {
                tracing::warn!(
                    "cache : version des données illisible, réponse non mise en cache : {e:#}"
                );
                return next.run(req).await;
            }
        },
    };
    let req_headers = req.headers().clone();
    let lookup = || {
        state.cache.inner.lock().ok().and_then(|c| {
            c.entries
                .get(&key)
                .filter(|e| e.version == version)
                .cloned()
        })
    };
    let mut cached = lookup();
    // a miss: wait for a render of the same address already under way, then look again
    // (`flight` is declared before `_turn`, so the turn is released before the flight ends)
    let flight = match cached {
        None => Flight::join(&state.cache, &key),
        Some(_) => None,
    };
    let _turn = match &flight {
        Some(f) => {
            let turn = f.lock.clone().lock_owned().await;
            cached = lookup();
            Some(turn)
        }
        None => None,
    };
    if let Some(mut e) = cached {
        if e.gzip.is_none() && accepts_gzip(&req_headers) && e.body.len() > 1024 {
            e.gzip = gzip(&e.body);
            if let Ok(mut c) = state.cache.inner.lock() {
                if let Some(slot) = c.entries.get_mut(&key).filter(|x| x.version == e.version) {
                    slot.gzip = e.gzip.clone();
                }
            }
        }
        return respond(&e, &req_headers, true);
    }
    let resp = next.run(req).await;
    // keep successes and the definitive answers to bad addresses (404); never server errors
    if !(resp.status() == StatusCode::OK || resp.status() == StatusCode::NOT_FOUND) {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut headers = parts.headers;
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let e = Entry {
        gzip: None,
        etag: etag_of(&body, &version),
        version,
        status: parts.status,
        headers,
        body,
    };
    if let Ok(mut c) = state.cache.inner.lock() {
        if c.bytes + e.body.len() > MAX_BYTES {
            c.entries.clear();
            c.bytes = 0;
        }
        c.bytes += e.body.len();
        if let Some(old) = c.entries.insert(key.clone(), e.clone()) {
            c.bytes -= old.body.len();
        }
    }
    respond(&e, &req_headers, false)
}

/// A render of one address under way; the last one to leave removes it from the map, on every
/// path (errors included), so the map only holds addresses being rendered.
struct Flight<'a> {
    cache: &'a PageCache,
    key: String,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl<'a> Flight<'a> {
    fn join(cache: &'a PageCache, key: &str) -> Option<Flight<'a>> {
        let lock = cache
            .inflight
            .lock()
            .ok()?
            .entry(key.to_string())
            .or_default()
            .clone();
        Some(Flight {
            cache,
            key: key.to_string(),
            lock,
        })
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        if let Ok(mut m) = self.cache.inflight.lock() {
            // the map's reference and this one: nobody else waits
            if m.get(&self.key)
                .is_some_and(|f| Arc::ptr_eq(f, &self.lock) && Arc::strong_count(f) <= 2)
            {
                m.remove(&self.key);
            }
        }
    }
}
