//! JSON API `/api/v1`.
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::extract::Q;
use super::{AppError, AppState};

pub const KINDS: &[&str] = &["ze", "bassin", "dep", "reg", "custom", "fr"];

/// A territory code as the observatory writes them: letters, digits and hyphens, as long as a
/// custom territory's id may be (`config::observatory::valid_id`: 64).
pub fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// `kind:code` (`ze:2815`, `custom:rouen-metropole`) with a known kind and a well-formed code.
pub fn parse_territory(s: &str) -> Option<(String, String)> {
    let (kind, code) = s.split_once(':')?;
    (KINDS.contains(&kind) && valid_code(code)).then(|| (kind.to_string(), code.to_string()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TerritoiresQuery {
    kind: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Territoire {
    kind: String,
    code: String,
    libelle: String,
    nb_communes: i64,
    url: String,
    /// Followed by this observatory (`[observatory] followed`): listed first.
    followed: bool,
}

#[utoipa::path(get, path = "/api/v1/territoires", tag = "territoires", params(TerritoiresQuery, super::api_doc::ExportFormat), responses((status = 200, description = "territoires, suivis en premier", body = Vec<Territoire>), (status = 400, description = "paramètre invalide", body = super::error::Problem, content_type = "application/problem+json")))]
pub async fn territoires(
    State(state): State<AppState>,
    Q(q): Q<TerritoiresQuery>,
) -> Result<Json<Vec<Territoire>>, AppError> {
    let kind = q.kind.unwrap_or_default();
    if !kind.is_empty() && !KINDS.contains(&kind.as_str()) {
        return Err(AppError::bad_request(format!(
            "kind={kind:?} inconnu : valeurs possibles {}",
            KINDS.join(", ")
        ))
        .api());
    }
    let followed = state.runner.config.observatory.followed.clone();
    let list = state
        .db
        .call(move |conn| {
            let kind = Some(kind.as_str()).filter(|k| !k.is_empty());
            let mut list = crate::referentials::lookup::territories(conn, kind)?
                .into_iter()
                .map(|t| Territoire {
                    followed: followed.contains(&format!("{}:{}", t.kind, t.code)),
                    url: format!("/territoires/{}/{}", t.kind, t.code),
                    kind: t.kind,
                    code: t.code,
                    libelle: t.libelle,
                    nb_communes: t.nb_communes,
                })
                .collect::<Vec<_>>();
            // followed first, the rest in the order of the dimension (stable sort)
            list.sort_by_key(|t| !t.followed);
            Ok(list)
        })
        .await
        .map_err(|e| AppError::from(e).api())?;
    Ok(Json(list))
}
