//! Web layer: axum + minijinja. Reads derived tables (`ind_*`), `sources` and `job_runs`; referentials
//! (the territory dimension, communes, départements) only through `crate::referentials::lookup`.
mod admin_backup;
mod alertes;
mod analytics;
mod api;
mod api_doc;
mod api_previsions;
mod api_secteurs;
mod cache;
mod carte;
mod charts;
mod comparer;
mod competences;
mod error;
mod export;
mod extract;
mod filiere;
pub mod format;
mod health;
mod home;
mod jobs;
mod maps;
mod methodologie;
mod metier;
pub mod metrics;
mod secteur;
mod territoire;
mod territoire_analyses;
mod territoire_bmo;

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
    /// The projected geometries, read on first use (a referential: it does not change while
    /// the process runs).
    geo: Arc<tokio::sync::OnceCell<Arc<maps::Geo>>>,
    cache: Arc<cache::PageCache>,
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
            geo: Default::default(),
            cache: Default::default(),
        }
    }

    pub async fn geo(&self) -> Result<Arc<maps::Geo>, AppError> {
        let db = self.db.clone();
        self.geo
            .get_or_try_init(|| async move {
                db.call(|c| maps::Geo::load(c).map(Arc::new))
                    .await
                    .map_err(AppError::from)
            })
            .await
            .cloned()
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
    let (api, doc) = api_doc::api(state.clone());
    let doc = Arc::new(doc.to_pretty_json().unwrap_or_default());
    Router::new()
        .route("/", get(home::page))
        .route("/territoires/{kind}/{code}", get(territoire::page))
        .route(
            "/territoires/{kind}/{code}/competences",
            get(competences::page),
        )
        .route("/carte", get(carte::page))
        .route("/comparer", get(comparer::page))
        .route("/alertes", get(alertes::page))
        .route("/metiers/{code}", get(metier::page))
        .route("/secteurs/{naf}", get(secteur::page))
        .route("/filieres/{id}", get(filiere::page))
        .route("/fiche/{kind}/{code}", get(territoire::fiche))
        .route("/methodologie", get(methodologie::page))
        .route("/health", get(health::health))
        .route(
            "/api/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], (*doc).clone()) }
            }),
        )
        .route("/admin/jobs", get(jobs::admin_page))
        .route("/admin/backup", axum::routing::post(admin_backup::run))
        .route(
            "/admin/jobs/{name}/run",
            axum::routing::post(jobs::admin_run),
        )
        .route("/metrics", get(metrics::metrics))
        .route("/static/style.css", get(style))
        // per route, so that the route is known; the API tracks its own routes
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        // `/api/v1/…` and every unknown address (the API answers its 404s as problem+json, the
        // others as a French page)
        .fallback_service(api)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cache::middleware,
        ))
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Fastest),
        )
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
