//! Web layer: axum + minijinja. Reads derived tables (`ind_*`), `sources` and `job_runs`; referentials
//! (the territory dimension, communes, départements) only through `crate::referentials::lookup`.
mod analytics;
mod api;
mod api_previsions;
mod api_secteurs;
mod error;
mod extract;
mod format;
mod health;
mod home;
mod jobs;
mod methodologie;
pub mod metrics;
mod territoire;

use std::sync::Arc;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use minijinja::Environment;

pub use error::AppError;

use crate::schedule::jobs::{JobDef, JobFileError};
use crate::schedule::runner::Runner;
use crate::store::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub templates: Arc<Environment<'static>>,
    pub jobs: Arc<Vec<JobDef>>,
    pub job_errors: Arc<Vec<JobFileError>>,
    pub runner: Runner,
    /// `OBSERVATOIRE_ADMIN_TOKEN`; `None` disables the admin routes.
    pub admin_token: Option<Arc<str>>,
    pub metrics: Arc<metrics::HttpMetrics>,
}

impl AppState {
    pub fn new(
        runner: Runner,
        jobs: Vec<JobDef>,
        job_errors: Vec<JobFileError>,
        admin_token: Option<String>,
    ) -> AppState {
        AppState {
            db: runner.db.clone(),
            templates: Arc::new(templates()),
            jobs: Arc::new(jobs),
            job_errors: Arc::new(job_errors),
            runner,
            admin_token: admin_token.filter(|t| !t.is_empty()).map(Arc::from),
            metrics: Default::default(),
        }
    }

    pub fn render(
        &self,
        name: &str,
        ctx: minijinja::Value,
    ) -> Result<axum::response::Html<String>, AppError> {
        let tpl = self
            .templates
            .get_template(name)
            .map_err(|e| AppError::internal(format!("template {name}: {e}")))?;
        tpl.render(ctx)
            .map(axum::response::Html)
            .map_err(|e| AppError::internal(format!("template {name}: {e:#}")))
    }
}

pub(crate) fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    minijinja_embed::load_templates!(&mut env);
    format::register(&mut env);
    env
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home::page))
        .route("/territoires/{kind}/{code}", get(territoire::page))
        .route("/methodologie", get(methodologie::page))
        .route("/health", get(health::health))
        .route("/api/v1/territoires", get(api::territoires))
        .route(
            "/api/v1/territoires/{kind}/{code}/tension",
            get(analytics::tension),
        )
        .route(
            "/api/v1/territoires/{kind}/{code}/offres",
            get(analytics::offres),
        )
        .route(
            "/api/v1/territoires/{kind}/{code}/secteurs",
            get(api_secteurs::secteurs),
        )
        .route(
            "/api/v1/territoires/{kind}/{code}/competences",
            get(api_secteurs::competences),
        )
        .route(
            "/api/v1/territoires/{kind}/{code}/previsions",
            get(api_previsions::previsions),
        )
        .route("/api/v1/filieres", get(analytics::filieres))
        .route("/api/v1/filieres/{id}", get(analytics::filiere))
        .route("/api/v1/jobs", get(jobs::api_jobs))
        .route("/admin/jobs", get(jobs::admin_page))
        .route(
            "/admin/jobs/{name}/run",
            axum::routing::post(jobs::admin_run),
        )
        .route("/metrics", get(metrics::metrics))
        .route("/static/style.css", get(style))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn style() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../dashboards/static/style.css"),
    )
}
