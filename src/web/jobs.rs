//! Jobs in the web layer: `GET /api/v1/jobs` (public JSON), and the admin routes `GET /admin/jobs`
//! and `POST /admin/jobs/{name}/run`, protected by `Authorization: Bearer $OBSERVATOIRE_ADMIN_TOKEN`
//! (no token configured: admin disabled). The token is compared in constant time and never logged.
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Html;
use axum::Json;
use minijinja::context;
use serde::Serialize;
use serde_json::{json, Value};

use super::extract::P;
use super::{AppError, AppState};
use crate::schedule::clock::{self, TZ};
use crate::schedule::runner::Trigger;

#[derive(Serialize, utoipa::ToSchema)]
pub struct JobView {
    name: String,
    kind: String,
    description: Option<String>,
    schedule: String,
    timezone: &'static str,
    next_run: Option<String>,
    timeout_seconds: u64,
    retries: u32,
    after: Vec<String>,
    running: bool,
    /// The last runs: started_at, finished_at, status, rows, duration.
    #[schema(value_type = Vec<Object>)]
    last_runs: Vec<crate::status::JobRun>,
}

async fn views(state: &AppState) -> Result<Vec<JobView>, AppError> {
    let names: Vec<String> = state.jobs.iter().map(|j| j.name.clone()).collect();
    let mut runs = state
        .db
        .call(move |c| {
            let mut out = std::collections::HashMap::new();
            for name in names {
                let runs = crate::status::job_runs(c, Some(&name), 10)?;
                out.insert(name, runs);
            }
            Ok(out)
        })
        .await?;
    let now = chrono::Utc::now();
    Ok(state
        .jobs
        .iter()
        .map(|j| JobView {
            name: j.name.clone(),
            kind: serde_json::to_value(j.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            description: j.description.clone(),
            schedule: j.schedule_text.clone(),
            timezone: "Europe/Paris",
            next_run: clock::next_run(&j.schedule, now).map(|t| t.with_timezone(&TZ).to_rfc3339()),
            timeout_seconds: j.timeout.as_secs(),
            retries: j.retries,
            after: j.after.clone(),
            running: state.runner.is_running(&j.name),
            last_runs: runs.remove(&j.name).unwrap_or_default(),
        })
        .collect())
}

/// The jobs, each with its schedule, next run (Europe/Paris) and last runs. Job files that could
/// not be read are listed on `/admin/jobs` and in the start-up log.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", params(super::api_doc::ExportFormat), responses((status = 200, description = "tâches planifiées, prochaine exécution (Europe/Paris) et dernières exécutions", body = Vec<JobView>)))]
pub async fn api_jobs(State(state): State<AppState>) -> Result<Json<Vec<JobView>>, AppError> {
    let mut views = views(&state).await.map_err(AppError::api)?;
    // Errors and notes stay on /admin/jobs.
    for v in &mut views {
        for r in &mut v.last_runs {
            r.error = None;
        }
    }
    Ok(Json(views))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Admin access: 404 when no token is configured, 401 when absent or wrong.
pub(super) fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), AppError> {
    let Some(expected) = &state.admin_token else {
        return Err(AppError::not_found(
            "L'administration est désactivée : définissez OBSERVATOIRE_ADMIN_TOKEN pour l'activer.",
        ));
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if constant_time_eq(given.trim().as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(AppError {
            status: StatusCode::UNAUTHORIZED,
            title: "Accès refusé",
            detail: "Jeton d'administration absent ou incorrect (en-tête Authorization: Bearer …)."
                .into(),
            api: false,
        })
    }
}

pub async fn admin_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Html<String>, AppError> {
    authorize(&state, &headers)?;
    let jobs = views(&state).await?;
    let errors = state.job_errors.as_ref().clone();
    state.render("admin_jobs.html", context! { jobs, errors })
}

pub async fn admin_run(
    State(state): State<AppState>,
    headers: HeaderMap,
    P(name): P<String>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    authorize(&state, &headers).map_err(AppError::api)?;
    let job = state
        .jobs
        .iter()
        .find(|j| j.name == name)
        .cloned()
        .ok_or_else(|| AppError::not_found(format!("Tâche inconnue : {name}")).api())?;
    if state.runner.is_running(&job.name) {
        return Err(AppError {
            status: StatusCode::CONFLICT,
            title: "Tâche déjà en cours",
            detail: format!("La tâche {name} est déjà en cours d'exécution."),
            api: true,
        });
    }
    let runner = state.runner.clone();
    tokio::spawn(async move {
        if let Err(e) = runner.run(&job, Trigger::Manual, None).await {
            tracing::warn!("{e}");
        }
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"job": name, "status": "started"})),
    ))
}
