//! Home page: search a territory (name, code, commune, postal code) or a métier (ROME label or
//! appellation), the followed territories first, every région, département, zone d'emploi and
//! bassin in French alphabetical order, and the freshness of each source.
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
pub struct Entry {
    kind: String,
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
        "fr" => "France",
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
    let followed_ids = state.runner.config.observatory.followed.clone();
    let q2 = query.clone();
    let (hits, metiers, all, sources) = state
        .db
        .call(move |conn| {
            let (hits, metiers) = match q2 {
                Some(q) => (lookup::search(conn, &q)?, lookup::search_metiers(conn, &q)?),
                None => (vec![], vec![]),
            };
            let all = lookup::territories(conn, None)?;
            let sources = crate::status::sources(conn)?;
            Ok((hits, metiers, all, sources))
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
    let mut all: Vec<Entry> = all
        .into_iter()
        .map(|t| Entry {
            kind: t.kind,
            code: t.code,
            libelle: t.libelle,
        })
        .collect();
    all.sort_by(|a, b| {
        crate::text::collation_key(&a.libelle).cmp(&crate::text::collation_key(&b.libelle))
    });
    let of = |kind: &str| -> Vec<&Entry> { all.iter().filter(|t| t.kind == kind).collect() };
    let followed: Vec<Hit> = followed_ids
        .iter()
        .filter_map(|id| {
            let (k, c) = id.split_once(':')?;
            all.iter()
                .find(|t| t.kind == k && t.code == c)
                .map(|t| Hit {
                    kind_label: kind_label(k),
                    kind: t.kind.clone(),
                    code: t.code.clone(),
                    libelle: t.libelle.clone(),
                    via: None,
                })
        })
        .collect();
    let stale = sources.iter().filter(|s| s.stale).count();
    state.render(
        "home.html",
        context! {
            query, hits, metiers, followed, sources, stale,
            regions => of("reg"), departements => of("dep"), zones => of("ze"),
            bassins => of("bassin"), customs => of("custom"),
        },
    )
}
