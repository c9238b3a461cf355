//! Alerts: notable changes since the last refresh, from the derived tables — a métier entering or
//! leaving tension (level 4–5) between the last two indicator builds (`ind_tension_previous`), an
//! observed value outside the 95 % interval the previous forecasts gave it (`fc_surprises`), and
//! a source older than its publication rhythm. Page `/alertes`, JSON `/api/v1/alertes`.
use axum::extract::State;
use axum::response::Html;
use axum::Json;
use duckdb::Connection;
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::analytics::{bad, paging};
use super::extract::Q;
use super::{AppError, AppState};

pub const TYPES: [&str; 4] = [
    "entree_tension",
    "sortie_tension",
    "hors_intervalle",
    "source_ancienne",
];
/// Level from which a métier is said to be "in tension" (forte, très forte).
pub const TENSION: i32 = 4;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertesQuery {
    /// `entree_tension`, `sortie_tension`, `hors_intervalle` or `source_ancienne`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// `kind:code`, e.g. `ze:2815`.
    pub territoire: Option<String>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
}

#[derive(Serialize, Clone)]
pub struct Alerte {
    #[serde(rename = "type")]
    kind: &'static str,
    territoire: Option<Value>,
    metier: Option<Value>,
    /// The figures behind the alert.
    valeurs: Value,
    date: String,
    message: String,
    method: &'static str,
}

fn territory_filter(t: Option<&str>) -> Result<Option<(String, String)>, AppError> {
    match t {
        None => Ok(None),
        Some(t) => super::api::parse_territory(t).map(Some).ok_or_else(|| {
            bad(format!(
                "territoire={t:?} : écrivez type:code, par exemple ze:2815"
            ))
        }),
    }
}

fn level_word(l: Option<i32>) -> String {
    match l {
        Some(l) => format!("niveau {l} ({})", super::territoire_analyses::level_text(l)),
        None => "sans niveau publiable".into(),
    }
}

/// Every alert (filtered), tension changes first by territory, then forecast surprises, then sources.
pub fn all(
    conn: &Connection,
    kind: Option<&str>,
    scope: Option<(&str, &str)>,
) -> anyhow::Result<Vec<Alerte>> {
    let mut out = Vec::new();
    let (sk, sc) = scope.unwrap_or(("", ""));
    let names: std::collections::HashMap<(String, String), String> =
        crate::referentials::lookup::territories(conn, None)?
            .into_iter()
            .map(|t| ((t.kind, t.code), t.libelle))
            .collect();
    let terr = |k: &str, c: &str| {
        json!({"kind": k, "code": c, "libelle": names.get(&(k.to_string(), c.to_string())),
               "url": format!("/territoires/{k}/{c}")})
    };
    if kind.is_none_or(|k| k.ends_with("_tension")) {
        let mut stmt = conn.prepare(
            "SELECT n.kind, n.code, n.metier, coalesce(n.label, p.label), p.level, n.level, n.projets, n.diff_value,
                    strftime(p.built_at, '%Y-%m-%d')
             FROM ind_tension n JOIN ind_tension_previous p
               ON p.kind = n.kind AND p.code = n.code AND p.nomenclature = n.nomenclature AND p.metier = n.metier
             WHERE n.nomenclature = 'fap2021' AND (?1 = '' OR (n.kind = ?1 AND n.code = ?2))
               AND (coalesce(p.level, 0) >= ?3) <> (coalesce(n.level, 0) >= ?3)
             ORDER BY n.kind, n.code, n.level DESC NULLS LAST, n.metier",
        )?;
        let rows = stmt.query_map(duckdb::params![sk, sc, TENSION], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<i32>>(4)?,
                r.get::<_, Option<i32>>(5)?,
                r.get::<_, Option<i64>>(6)?,
                r.get::<_, Option<f64>>(7)?,
                r.get::<_, String>(8)?,
            ))
        })?;
        for row in rows {
            let (k, c, m, label, before, after, projets, diff, date) = row?;
            let entering = after.unwrap_or(0) >= TENSION;
            let t = if entering {
                "entree_tension"
            } else {
                "sortie_tension"
            };
            if kind.is_some_and(|x| x != t) {
                continue;
            }
            let name = names
                .get(&(k.clone(), c.clone()))
                .cloned()
                .unwrap_or_else(|| c.clone());
            out.push(Alerte {
                kind: t,
                message: format!(
                    "{} : « {} » {} en tension ({} → {}).",
                    name,
                    label.clone().unwrap_or_else(|| m.clone()),
                    if entering { "entre" } else { "sort" },
                    level_word(before),
                    level_word(after)
                ),
                territoire: Some(terr(&k, &c)),
                metier: Some(json!({"code": m, "label": label, "nomenclature": "fap2021", "url": format!("/metiers/{m}")})),
                valeurs: json!({"niveau_precedent": before, "niveau": after, "projets": projets, "part_difficiles": diff}),
                date,
                method: "/methodologie#tension",
            });
        }
    }
    if kind.is_none_or(|k| k == "hors_intervalle") {
        let mut stmt = conn.prepare(
            "SELECT family, kind, code, dimension, label, period, observed, mean, lo95, hi95, unit, strftime(detected_at, '%Y-%m-%d')
             FROM fc_surprises WHERE (?1 = '' OR (kind = ?1 AND code = ?2)) ORDER BY family, kind, code, period",
        )?;
        let rows = stmt.query_map(duckdb::params![sk, sc], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, f64>(6)?,
                r.get::<_, Option<f64>>(7)?,
                r.get::<_, Option<f64>>(8)?,
                r.get::<_, Option<f64>>(9)?,
                r.get::<_, Option<String>>(10)?,
                r.get::<_, String>(11)?,
            ))
        })?;
        for row in rows {
            let (family, k, c, dim, label, period, obs, mean, lo, hi, unit, date) = row?;
            let name = names
                .get(&(k.clone(), c.clone()))
                .cloned()
                .unwrap_or_else(|| c.clone());
            let f = |v: Option<f64>| v.map(|v| super::charts::fr(v, 1)).unwrap_or_default();
            out.push(Alerte {
                kind: "hors_intervalle",
                message: format!(
                    "{name} : {} {period} observé à {} {}, hors de l'intervalle à 95 % prévu ({} à {}).",
                    label.clone().unwrap_or_else(|| family.clone()),
                    super::charts::fr(obs, 1),
                    unit.clone().unwrap_or_default(),
                    f(lo),
                    f(hi)
                ),
                territoire: Some(terr(&k, &c)),
                metier: None,
                valeurs: json!({"famille": family, "dimension": dim, "periode": period, "observe": obs,
                                "prevu": mean, "bas95": lo, "haut95": hi, "unite": unit}),
                date,
                method: "/methodologie#previsions",
            });
        }
    }
    if kind.is_none_or(|k| k == "source_ancienne") && scope.is_none() {
        for s in crate::status::sources(conn)?
            .into_iter()
            .filter(|s| s.stale)
        {
            out.push(Alerte {
                kind: "source_ancienne",
                message: format!(
                    "{} ({}) : données de {} — plus anciennes que le rythme de publication ; des données plus récentes devraient exister.",
                    s.name,
                    s.publisher,
                    s.data_period.clone().unwrap_or_else(|| s.vintage.clone())
                ),
                territoire: None,
                metier: None,
                valeurs: json!({"source": s.id, "periode": s.data_period, "age_jours": s.data_age_days}),
                date: s.last_success.get(..10).unwrap_or(&s.last_success).to_string(),
                method: "/methodologie#sources",
            });
        }
    }
    Ok(out)
}

#[utoipa::path(get, path = "/api/v1/alertes", tag = "alertes", params(AlertesQuery, super::api_doc::ExportFormat),
    responses(
        (status = 200, description = "changements notables depuis la dernière mise à jour", body = serde_json::Value),
        (status = 400, description = "paramètre invalide", body = super::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn api(
    State(state): State<AppState>,
    Q(q): Q<AlertesQuery>,
) -> Result<Json<Value>, AppError> {
    if let Some(k) = q.kind.as_deref().filter(|k| !TYPES.contains(k)) {
        return Err(bad(format!("type={k:?} : {}", TYPES.join(", "))));
    }
    let scope = territory_filter(q.territoire.as_deref())?;
    let (page, per) = paging(q.page, q.per_page)?;
    let kind = q.kind.clone();
    let items = state
        .db
        .call(move |c| {
            all(
                c,
                kind.as_deref(),
                scope.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
            )
        })
        .await
        .map_err(|e| AppError::from(e).api())?;
    let total = items.len();
    let items: Vec<Alerte> = items.into_iter().skip((page - 1) * per).take(per).collect();
    Ok(Json(
        json!({"page": page, "per_page": per, "total": total, "items": items,
                   "method": "/methodologie#alertes"}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    territoire: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    Q(q): Q<PageQuery>,
) -> Result<Html<String>, AppError> {
    let scope = match territory_filter(q.territoire.as_deref()) {
        Ok(s) => s,
        Err(e) => return Err(AppError::bad_request(e.detail)),
    };
    let followed = state.runner.config.observatory.followed.clone();
    let (items, built) = state
        .db
        .call(move |c| {
            let mut items = all(
                c,
                None,
                scope.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
            )?;
            // the followed territories first
            items.sort_by_key(|a| {
                let id = a.territoire.as_ref().map(|t| {
                    format!(
                        "{}:{}",
                        t["kind"].as_str().unwrap_or(""),
                        t["code"].as_str().unwrap_or("")
                    )
                });
                !id.is_some_and(|i| followed.contains(&i))
            });
            let built: Option<String> = c.query_row(
                "SELECT strftime(max(built_at), '%d/%m/%Y %H:%M') FROM ind_tension_previous",
                [],
                |r| r.get(0),
            )?;
            Ok((items, built))
        })
        .await?;
    let total = items.len();
    let counts: Vec<(&str, usize)> = TYPES
        .iter()
        .map(|t| (*t, items.iter().filter(|a| a.kind == *t).count()))
        .collect();
    let shown: Vec<Alerte> = items.into_iter().take(300).collect();
    state.render(
        "alertes.html",
        context! { items => shown, total, counts, built },
    )
}
