//! JSON API: forecasts of a territory (`fc_series`, `fc_points`) with their measured accuracy
//! (`fc_accuracy`).
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::analytics::{bad, check_kind, found, source_list, sources, territory};
use super::extract::{P, Q};
use super::{AppError, AppState};

pub const FAMILIES: [&str; 6] = [
    "chomage",
    "emploi",
    "emploi_secteur",
    "defm",
    "tension_dares",
    "offres",
];

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PrevisionsQuery {
    /// One family (default: all): chomage, emploi, emploi_secteur, defm, tension_dares, offres.
    pub famille: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/territoires/{kind}/{code}/previsions", tag = "previsions", params(super::api_doc::TerritoryPath, PrevisionsQuery, super::api_doc::ExportFormat), responses(
        (status = 200, description = "prévisions avec intervalles 80/95 % calibrés et précision mesurée", body = serde_json::Value),
        (status = 400, description = "paramètre invalide", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "territoire inconnu", body = super::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn previsions(
    State(state): State<AppState>,
    P((kind, code)): P<(String, String)>,
    Q(q): Q<PrevisionsQuery>,
) -> Result<Json<Value>, AppError> {
    check_kind(&kind)?;
    if let Some(f) = &q.famille {
        if !FAMILIES.contains(&f.as_str()) {
            return Err(bad(format!("famille={f:?} : {}", FAMILIES.join(", "))));
        }
    }
    let out = state
        .db
        .call(move |conn| -> anyhow::Result<Option<Value>> {
            let Some(t) = territory(conn, &kind, &code)? else {
                return Ok(None);
            };
            let srcs = sources(conn)?;
            let family = q.famille.clone().unwrap_or_default();
            let mut points = conn.prepare(
                "SELECT period, mean, lo80, hi80, lo95, hi95 FROM fc_points
                 WHERE family = ? AND kind = ? AND code = ? AND dimension = ? ORDER BY step",
            )?;
            let mut stmt = conn.prepare(
                "SELECT family, dimension, label, unit, frequency, first_period, last_period, points,
                        horizon, model, calibration, backtest_mase, backtest_mase_snaive, holdout_mase,
                        holdout_coverage80, holdout_coverage95, source_id, vintage, method, fitted_at::VARCHAR
                 FROM fc_series WHERE kind = ? AND code = ? AND (? = '' OR family = ?)
                 ORDER BY family, dimension",
            )?;
            let rows = stmt.query_map(duckdb::params![kind, code, family, family], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    json!({
                        "family": r.get::<_, String>(0)?, "dimension": r.get::<_, String>(1)?,
                        "label": r.get::<_, Option<String>>(2)?, "unit": r.get::<_, String>(3)?,
                        "frequency": r.get::<_, String>(4)?,
                        "history": {"first": r.get::<_, String>(5)?, "last": r.get::<_, String>(6)?,
                                    "points": r.get::<_, i64>(7)?},
                        "horizon": r.get::<_, i64>(8)?, "model": r.get::<_, String>(9)?,
                        "calibration": r.get::<_, String>(10)?,
                        "accuracy": {
                            "backtest_mase": r.get::<_, Option<f64>>(11)?,
                            "backtest_mase_seasonal_naive": r.get::<_, Option<f64>>(12)?,
                            "holdout_mase": r.get::<_, Option<f64>>(13)?,
                            "holdout_coverage80": r.get::<_, Option<f64>>(14)?,
                            "holdout_coverage95": r.get::<_, Option<f64>>(15)?,
                        },
                        "source_id": r.get::<_, String>(16)?, "vintage": r.get::<_, String>(17)?,
                        "method": r.get::<_, String>(18)?, "fitted_at": r.get::<_, String>(19)?,
                    }),
                ))
            })?;
            let mut items = Vec::new();
            for row in rows {
                let (fam, dim, mut item) = row?;
                let pts: Vec<Value> = points
                    .query_map(duckdb::params![fam, kind, code, dim], |r| {
                        Ok(json!({
                            "period": r.get::<_, String>(0)?, "mean": r.get::<_, Option<f64>>(1)?,
                            "lo80": r.get::<_, Option<f64>>(2)?, "hi80": r.get::<_, Option<f64>>(3)?,
                            "lo95": r.get::<_, Option<f64>>(4)?, "hi95": r.get::<_, Option<f64>>(5)?,
                        }))
                    })?
                    .collect::<Result<_, _>>()?;
                let src = item["source_id"].as_str().unwrap_or_default().to_string();
                item["sources"] = json!(source_list(&srcs, &src));
                item["forecast"] = json!(pts);
                items.push(item);
            }
            let accuracy: Vec<Value> = conn
                .prepare(
                    "SELECT family, series, evaluated, horizon, holdout_mase, holdout_mase_naive,
                            coverage80, coverage95, note FROM fc_accuracy ORDER BY family",
                )?
                .query_map([], |r| {
                    Ok(json!({
                        "family": r.get::<_, String>(0)?, "series": r.get::<_, i64>(1)?,
                        "evaluated": r.get::<_, i64>(2)?, "horizon": r.get::<_, i64>(3)?,
                        "holdout_mase": r.get::<_, Option<f64>>(4)?,
                        "holdout_mase_naive": r.get::<_, Option<f64>>(5)?,
                        "coverage80": r.get::<_, Option<f64>>(6)?, "coverage95": r.get::<_, Option<f64>>(7)?,
                        "note": r.get::<_, Option<String>>(8)?,
                    }))
                })?
                .collect::<Result<_, _>>()?;
            // skills: offers asking each skill over the horizon (`fc_competences`)
            let competences: Vec<Value> = super::competences::skill_forecasts(conn, &kind, &code, None)?
                .into_iter()
                .map(|f| {
                    json!({
                        "competence": f.competence, "label": f.libelle,
                        "first_period": f.first_period, "last_period": f.last_period,
                        "horizon": f.horizon, "mean": f.mean,
                        "lo80": f.lo80, "hi80": f.hi80, "lo95": f.lo95, "hi95": f.hi95,
                        "metiers": f.metiers, "forecast_offers_covered": f.offres_prevues,
                        "share_covered": f.part_couverte,
                        "sources": source_list(&srcs, &f.source_id), "method": f.method,
                    })
                })
                .collect();
            let built: bool = conn.query_row(
                "SELECT count(*) > 0 FROM derived_state WHERE name = ?",
                [crate::forecast::store::REBUILD],
                |r| r.get(0),
            )?;
            Ok(Some(json!({
                "territory": t, "items": items, "accuracy": accuracy,
                "competences_note": if competences.is_empty() { json!(crate::forecast::competences::ABSENT) } else { Value::Null },
                "competences": competences,
                "note": if built { Value::Null } else {
                    json!("prévisions pas encore calculées (tâche « forecasts »)")
                },
                "method": crate::forecast::store::METHOD,
            })))
        })
        .await;
    found(out)
}
