//! Methodology page: definitions, sources, suppression rules. Every figure links to an anchor here.
use axum::extract::State;
use axum::response::Html;
use minijinja::context;

use super::{AppError, AppState};

pub async fn page(State(state): State<AppState>) -> Result<Html<String>, AppError> {
    let sources = state.db.call(|conn| crate::status::sources(conn)).await?;
    state.render("methodologie.html", context! { sources })
}
