//! `GET /health`: database reachability and, per source, last success and staleness.
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::AppState;

pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let res = state
        .db
        .call(|conn| {
            conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?;
            crate::status::sources(conn)
        })
        .await;
    match res {
        Ok(sources) => {
            let stale: Vec<&str> = sources
                .iter()
                .filter(|s| s.stale)
                .map(|s| s.id.as_str())
                .collect();
            let status = if stale.is_empty() { "ok" } else { "degraded" };
            let list: Vec<Value> = sources
                .iter()
                .map(|s| {
                    json!({
                        "id": s.id, "name": s.name, "vintage": s.vintage, "data_date": s.data_date,
                        "data_period": s.data_period, "data_age_days": s.data_age_days,
                        "last_success": s.last_success, "age_days": s.age_days,
                        "expected_period_days": s.expected_period_days,
                        "publication_lag_days": s.publication_lag_days, "stale": s.stale,
                        "freshness": s.freshness,
                    })
                })
                .collect();
            (
                StatusCode::OK,
                Json(
                    json!({"status": status, "database": "ok", "stale_sources": stale, "sources": list}),
                ),
            )
        }
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "error", "database": "unavailable", "sources": []})),
            )
        }
    }
}
