//! Web layer: axum + minijinja. Reads only derived tables (`ind_*`), the territory dimension and
//! the `sources` provenance table.
mod api;
mod error;
mod format;
mod health;
mod home;
mod methodologie;
mod territoire;

use std::sync::Arc;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use minijinja::Environment;

pub use error::AppError;

use crate::store::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub templates: Arc<Environment<'static>>,
}

impl AppState {
    pub fn new(db: Db) -> AppState {
        AppState {
            db,
            templates: Arc::new(templates()),
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

fn templates() -> Environment<'static> {
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
        .route("/static/style.css", get(style))
        .fallback(error::not_found)
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
