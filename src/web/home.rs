//! Home page: search a territory by its name or by the name of one of its communes.
use axum::extract::State;
use axum::response::Html;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::extract::Q;
use super::{AppError, AppState};
use crate::referentials::lookup;

#[derive(Deserialize)]
pub struct HomeQuery {
    q: Option<String>,
}

#[derive(Serialize)]
pub struct Hit {
    kind: String,
    kind_label: &'static str,
    code: String,
    libelle: String,
    via: Option<String>,
}

#[derive(Serialize)]
pub struct Zone {
    code: String,
    libelle: String,
}

pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "ze" => "Zone d'emploi",
        "bassin" => "Bassin d'emploi BMO",
        "dep" => "Département",
        "reg" => "Région",
        "custom" => "Territoire personnalisé",
        _ => "Territoire",
    }
}

pub async fn page(
    State(state): State<AppState>,
    Q(q): Q<HomeQuery>,
) -> Result<Html<String>, AppError> {
    let query = q.q.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if let Some(s) = &query {
        if s.chars().count() > 100 {
            return Err(AppError::bad_request(
                "La recherche est limitée à 100 caractères.",
            ));
        }
    }
    let q2 = query.clone();
    let (hits, zones) = state
        .db
        .call(move |conn| {
            let hits = match q2 {
                Some(q) => lookup::search(conn, &q)?,
                None => vec![],
            };
            let mut zones = lookup::territories(conn, Some("ze"))?;
            zones.sort_by(|a, b| a.libelle.cmp(&b.libelle));
            Ok((hits, zones))
        })
        .await?;
    let hits: Vec<Hit> = hits
        .into_iter()
        .map(|h| Hit {
            kind_label: kind_label(&h.kind),
            kind: h.kind,
            code: h.code,
            libelle: h.libelle,
            via: h.via,
        })
        .collect();
    let zones: Vec<Zone> = zones
        .into_iter()
        .map(|z| Zone {
            code: z.code,
            libelle: z.libelle,
        })
        .collect();
    state.render("home.html", context! { query, hits, zones })
}
