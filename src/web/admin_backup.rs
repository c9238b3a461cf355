//! `POST /admin/backup` (admin token): a backup made by the running `serve`, which holds the
//! database; `observatoire backup DIR` calls it when `serve` runs. Body `{"dir": "/absolute/path"}`
//! (a new or empty folder); answers the backup's manifest.
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;

use super::{AppError, AppState};

pub async fn run(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<crate::store::backup::Manifest>, AppError> {
    super::jobs::authorize(&state, &headers).map_err(AppError::api)?;
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Request {
        dir: std::path::PathBuf,
    }
    let req: Request = serde_json::from_slice(&body).map_err(|e| {
        AppError::bad_request(format!(
            "corps attendu : {{\"dir\": \"/chemin/absolu\"}} ({e})"
        ))
        .api()
    })?;
    if !req.dir.is_absolute() {
        return Err(AppError::bad_request(format!(
            "le dossier de sauvegarde doit être un chemin absolu : {}",
            req.dir.display()
        ))
        .api());
    }
    if let Err(e) = crate::store::backup::check_destination(&req.dir) {
        return Err(AppError {
            status: StatusCode::CONFLICT,
            title: "Dossier déjà utilisé",
            detail: e.to_string(),
            api: true,
        });
    }
    let dir = req.dir.clone();
    let manifest = state
        .db
        .call(move |c| crate::store::backup::backup(c, &dir))
        .await
        .map_err(|e| {
            tracing::warn!("sauvegarde dans {} : {e:#}", req.dir.display());
            AppError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                title: "Sauvegarde impossible",
                detail: format!("{e:#}"),
                api: true,
            }
        })?;
    tracing::info!(
        dir = %req.dir.display(),
        tables = manifest.tables.len(),
        rows = manifest.rows(),
        "sauvegarde faite à la demande"
    );
    Ok(Json(manifest))
}
