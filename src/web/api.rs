//! JSON API `/api/v1`.
use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{AppError, AppState};

pub const KINDS: &[&str] = &["ze", "bassin", "dep", "reg", "custom"];

#[derive(Deserialize)]
pub struct TerritoiresQuery {
    kind: Option<String>,
}

#[derive(Serialize)]
pub struct Territoire {
    kind: String,
    code: String,
    libelle: String,
    nb_communes: i64,
    url: String,
}

pub async fn territoires(
    State(state): State<AppState>,
    Query(q): Query<TerritoiresQuery>,
) -> Result<Json<Vec<Territoire>>, AppError> {
    let kind = q.kind.unwrap_or_default();
    if !kind.is_empty() && !KINDS.contains(&kind.as_str()) {
        return Err(AppError::bad_request(format!(
            "kind={kind:?} inconnu : valeurs possibles {}",
            KINDS.join(", ")
        ))
        .api());
    }
    let list = state
        .db
        .call(move |conn| {
            let rows = conn
                .prepare(
                    "SELECT kind, code, libelle, nb_communes FROM territory
                     WHERE ?1 = '' OR kind = ?1 ORDER BY kind, code",
                )?
                .query_map([&kind], |r| {
                    let kind: String = r.get(0)?;
                    let code: String = r.get(1)?;
                    Ok(Territoire {
                        url: format!("/territoires/{kind}/{code}"),
                        kind,
                        code,
                        libelle: r.get(2)?,
                        nb_communes: r.get(3)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
        .map_err(|e| AppError::from(e).api())?;
    Ok(Json(list))
}
