//! Home page: search a territory by its name or by the name of one of its communes.
use axum::extract::{Query, State};
use axum::response::Html;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{AppError, AppState};

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
    Query(q): Query<HomeQuery>,
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
            let mut hits = Vec::new();
            if let Some(q) = q2 {
                let pattern = format!("%{}%", q.to_lowercase());
                let mut stmt = conn.prepare(
                    "WITH hits AS (
                        SELECT kind, code, libelle, NULL AS via, 0 AS rank,
                               strip_accents(lower(libelle)) AS name FROM territory
                        WHERE strip_accents(lower(libelle)) LIKE strip_accents(?1) OR code = ?2
                        UNION ALL
                        SELECT t.kind, t.code, t.libelle, c.libelle || ' (' || c.code || ')', 1,
                               strip_accents(lower(c.libelle))
                        FROM ref_commune c JOIN territory_commune tc ON tc.commune = c.code
                        JOIN territory t ON t.kind = tc.kind AND t.code = tc.code
                        WHERE (strip_accents(lower(c.libelle)) LIKE strip_accents(?1) OR c.code = ?2)
                          AND t.kind IN ('ze', 'bassin'))
                     SELECT kind, code, libelle, via FROM hits
                     -- exact names first, then names starting with the query, then the rest
                     ORDER BY CASE WHEN name = strip_accents(lower(?2)) THEN 0
                                   WHEN starts_with(name, strip_accents(lower(?2))) THEN 1 ELSE 2 END,
                              rank, CASE kind WHEN 'ze' THEN 0 WHEN 'bassin' THEN 1 WHEN 'dep' THEN 2 ELSE 3 END, libelle
                     LIMIT 60",
                )?;
                hits = stmt
                    .query_map(duckdb::params![pattern, q], |r| {
                        let kind: String = r.get(0)?;
                        Ok(Hit { kind_label: kind_label(&kind), kind, code: r.get(1)?, libelle: r.get(2)?, via: r.get(3)? })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
            }
            let zones = conn
                .prepare("SELECT code, libelle FROM territory WHERE kind = 'ze' ORDER BY libelle")?
                .query_map([], |r| Ok(Zone { code: r.get(0)?, libelle: r.get(1)? }))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok((hits, zones))
        })
        .await?;
    state.render("home.html", context! { query, hits, zones })
}
