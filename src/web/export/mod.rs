//! Downloads: every `/api/v1` collection answers `?format=csv|xlsx|parquet` (and `json`, the
//! default). One middleware in front of the API asks the API itself for the JSON (every page of it
//! when the caller did not ask for one page), flattens it into a table and writes the format — so
//! an export always holds exactly what the JSON holds, for every collection, present and future.
pub mod table;
pub mod writers;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;
use tower::ServiceExt;

use super::AppError;

pub const FORMATS: [&str; 4] = ["json", "csv", "xlsx", "parquet"];

/// Media types of the download formats (the API document lists the same).
pub const CSV: &str = "text/csv; charset=utf-8";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const PARQUET: &str = "application/vnd.apache.parquet";
/// Largest page the API serves (pages of an export are fetched at this size).
const PAGE: usize = super::analytics::MAX_PER_PAGE;
/// A collection larger than this many pages is refused rather than assembled in memory.
const MAX_PAGES: usize = 2_000;
/// Largest JSON page read back from the API.
const MAX_BODY: usize = 256 << 20;

fn problem(detail: impl Into<String>) -> Response {
    AppError::bad_request(detail).api().into_response()
}

/// The query without `format` (and whether the caller chose a page).
fn split_query(query: &str) -> (Vec<(String, String)>, Vec<String>) {
    let mut rest = Vec::new();
    let mut formats = Vec::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if k == "format" {
            formats.push(v.into_owned());
        } else {
            rest.push((k.into_owned(), v.into_owned()));
        }
    }
    (rest, formats)
}

fn encode(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The part of the caller's request that the API is asked again with (a `Request` holds a body,
/// which is not `Sync`: it must not be borrowed across an await).
struct Origin {
    path: String,
    headers: axum::http::HeaderMap,
}

fn with_query(req: &Origin, pairs: &[(String, String)]) -> Request {
    let path = &req.path;
    let uri = if pairs.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", encode(pairs))
    };
    let mut out = Request::builder().method(Method::GET).uri(uri);
    for (k, v) in &req.headers {
        if k != header::ACCEPT_ENCODING && k != header::IF_NONE_MATCH {
            out = out.header(k, v);
        }
    }
    out.body(Body::empty()).expect("request from a valid one")
}

async fn json_of(inner: &Router, req: Request) -> Result<Value, Response> {
    let resp = inner
        .clone()
        .oneshot(req)
        .await
        .unwrap_or_else(|e| match e {});
    if resp.status() != StatusCode::OK {
        return Err(resp);
    }
    let bytes = axum::body::to_bytes(resp.into_body(), MAX_BODY)
        .await
        .map_err(|e| {
            AppError::internal(format!("export: {e}"))
                .api()
                .into_response()
        })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        AppError::internal(format!("export: JSON illisible : {e}"))
            .api()
            .into_response()
    })
}

/// Every page of a paged collection, concatenated into the first page's document.
async fn all_pages(
    inner: &Router,
    req: &Origin,
    pairs: &[(String, String)],
) -> Result<Value, Response> {
    let first = json_of(inner, with_query(req, pairs)).await?;
    let total = first.get("total").and_then(Value::as_u64);
    let items = first.get("items").and_then(Value::as_array).map(Vec::len);
    let (Some(total), Some(n)) = (total, items) else {
        return Ok(first);
    };
    if n as u64 >= total {
        return Ok(first);
    }
    let pages = (total as usize).div_ceil(PAGE);
    if pages > MAX_PAGES {
        return Err(problem(format!(
            "collection trop grande pour un export ({total} lignes) : filtrez-la ou demandez-la page par page (page, per_page)"
        )));
    }
    let mut doc = Value::Null;
    let mut all = Vec::with_capacity(total as usize);
    for page in 1..=pages {
        let mut p = pairs.to_vec();
        p.retain(|(k, _)| k != "page" && k != "per_page");
        p.push(("page".into(), page.to_string()));
        p.push(("per_page".into(), PAGE.to_string()));
        let mut d = json_of(inner, with_query(req, &p)).await?;
        if let Some(Value::Array(items)) = d.get_mut("items").map(Value::take) {
            all.extend(items);
        }
        if page == 1 {
            doc = d;
        }
    }
    doc["items"] = Value::Array(all);
    doc["page"] = Value::Null;
    doc["per_page"] = Value::Null;
    Ok(doc)
}

fn file_name(path: &str, date: &str, ext: &str) -> String {
    let stem: Vec<&str> = path
        .trim_start_matches("/api/v1/")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let stem: String = stem
        .join("_")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("observatoire_{stem}_{date}.{ext}")
}

/// The middleware: passes through unless `format` asks for a download.
pub async fn middleware(State(inner): State<Router>, req: Request, next: Next) -> Response {
    let Some(query) = req.uri().query().map(str::to_string) else {
        return next.run(req).await;
    };
    let (pairs, formats) = split_query(&query);
    if formats.is_empty() {
        return next.run(req).await;
    }
    if formats.len() > 1 {
        return problem(
            "le paramètre « format » est donné plusieurs fois ; donnez-le une seule fois",
        );
    }
    let format = formats[0].as_str();
    if !FORMATS.contains(&format) {
        return problem(format!(
            "format={format:?} inconnu : json, csv, xlsx ou parquet"
        ));
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return problem("format ne s'emploie qu'avec GET");
    }
    let origin = Origin {
        path: req.uri().path().to_string(),
        headers: req.headers().clone(),
    };
    if format == "json" {
        let (mut parts, body) = req.into_parts();
        parts.uri = with_query(&origin, &pairs).uri().clone();
        return next.run(Request::from_parts(parts, body)).await;
    }
    drop(req);
    let req = origin;
    let chose_page = pairs.iter().any(|(k, _)| k == "page" || k == "per_page");
    let doc = if chose_page {
        json_of(&inner, with_query(&req, &pairs)).await
    } else {
        all_pages(&inner, &req, &pairs).await
    };
    let doc = match doc {
        Ok(d) => d,
        Err(resp) => return resp,
    };
    let url = format!("{}{}", req.path, {
        let q = encode(&pairs);
        if q.is_empty() {
            String::new()
        } else {
            format!("?{q}")
        }
    });
    download(&doc, &req.path, url, format).await
}

/// The download of a JSON collection in `format` (`csv`, `xlsx`, `parquet`), named after `path`
/// and the day; a document that is not a collection is a 400.
pub async fn download(doc: &Value, path: &str, url: String, format: &str) -> Response {
    let Some(table) = table::from_json(doc) else {
        return problem("cette ressource n'est pas une collection : elle ne s'exporte qu'en JSON");
    };
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Paris);
    let about = writers::About {
        url,
        extracted: now.format("%Y-%m-%d %H:%M").to_string(),
    };
    let name = file_name(path, &now.format("%Y-%m-%d").to_string(), format);
    let format = format.to_string();
    let sources = table.sources_line();
    let written = tokio::task::spawn_blocking(move || match format.as_str() {
        "csv" => writers::csv(&table).map(|b| (b, CSV)),
        "xlsx" => writers::xlsx(&table, &about).map(|b| (b, XLSX)),
        _ => writers::parquet(&table, &about).map(|b| (b, PARQUET)),
    })
    .await;
    let (bytes, mime) = match written {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => {
            return AppError::internal(format!("export: {e:#}"))
                .api()
                .into_response()
        }
        Err(e) => {
            return AppError::internal(format!("export: {e}"))
                .api()
                .into_response()
        }
    };
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    // provenance in a header too (ASCII only: accents are percent-encoded)
    let encoded: String = form_urlencoded::byte_serialize(sources.as_bytes()).collect();
    if let Ok(v) = HeaderValue::from_str(&encoded) {
        h.insert("x-observatoire-sources", v);
    }
    resp
}
