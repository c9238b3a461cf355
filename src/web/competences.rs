//! `/territoires/{kind}/{code}/competences`: skills demand of a territory — observed in its
//! offers, structural (implied by its BMO projects), emerging, transferable — and its forecasts
//! with their intervals and each series' measured accuracy.
use axum::extract::State;
use axum::response::Html;
use duckdb::Connection;
use minijinja::context;
use serde::Serialize;

use super::extract::P;
use super::{AppError, AppState};
use crate::referentials::lookup;

#[derive(Serialize)]
struct Skill {
    code: String,
    libelle: Option<String>,
    type_competence: Option<String>,
    offres: Option<i64>,
    base: Option<i64>,
    part: Option<f64>,
    part_precedente: Option<f64>,
    poids: Option<f64>,
    transition_eco: Option<bool>,
    transition_num: Option<bool>,
}

/// What the page shows.
#[derive(Serialize)]
struct Page {
    t: lookup::Territory,
    kind_label: &'static str,
    observed: Vec<Skill>,
    structural: Vec<Skill>,
    emerging: Vec<Skill>,
    transferable: Vec<Skill>,
    forecasts: Vec<super::territoire_analyses::Forecast>,
    computed: bool,
    skill_forecasts: Vec<SkillForecast>,
}

/// One row of `fc_competences`, as the page and the API show it.
#[derive(Serialize)]
pub(super) struct SkillForecast {
    pub competence: String,
    pub libelle: Option<String>,
    pub first_period: String,
    pub last_period: String,
    pub horizon: i64,
    pub mean: f64,
    pub lo80: Option<f64>,
    pub hi80: Option<f64>,
    pub lo95: Option<f64>,
    pub hi95: Option<f64>,
    pub metiers: i64,
    pub offres_prevues: f64,
    /// a share (0–1)
    pub part_couverte: Option<f64>,
    pub source_id: String,
    pub method: String,
}

/// The territory's skills forecast (`fc_competences`), largest first, at most `limit` rows.
pub(super) fn skill_forecasts(
    conn: &Connection,
    kind: &str,
    code: &str,
    limit: Option<usize>,
) -> anyhow::Result<Vec<SkillForecast>> {
    let limit = limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
    Ok(conn
        .prepare(&format!(
            "SELECT competence, libelle, first_period, last_period, horizon, mean, lo80, hi80, lo95, hi95,
                    metiers, offres_prevues, part_couverte, source_id, method
             FROM fc_competences WHERE kind = ? AND code = ? ORDER BY mean DESC, competence{limit}"
        ))?
        .query_map([kind, code], |r| {
            Ok(SkillForecast {
                competence: r.get(0)?,
                libelle: r.get(1)?,
                first_period: r.get(2)?,
                last_period: r.get(3)?,
                horizon: r.get(4)?,
                mean: r.get(5)?,
                lo80: r.get(6)?,
                hi80: r.get(7)?,
                lo95: r.get(8)?,
                hi95: r.get(9)?,
                metiers: r.get(10)?,
                offres_prevues: r.get(11)?,
                part_couverte: r.get(12)?,
                source_id: r.get(13)?,
                method: r.get(14)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

fn skills(
    conn: &Connection,
    kind: &str,
    code: &str,
    nature: &str,
    dimension: &str,
    limit: usize,
) -> anyhow::Result<Vec<Skill>> {
    Ok(conn
        .prepare(&format!(
            "SELECT competence, libelle, type_competence, offres, base, part, part_precedente, poids, transition_eco, transition_num
             FROM ind_competences WHERE kind = ? AND code = ? AND nature = ? AND dimension = ?
             ORDER BY poids DESC NULLS LAST, offres DESC NULLS LAST, competence LIMIT {limit}"
        ))?
        .query_map([kind, code, nature, dimension], |r| {
            Ok(Skill {
                code: r.get(0)?,
                libelle: r.get(1)?,
                type_competence: r.get(2)?,
                offres: r.get(3)?,
                base: r.get(4)?,
                part: r.get::<_, Option<f64>>(5)?.map(|p| p * 100.0),
                part_precedente: r.get::<_, Option<f64>>(6)?.map(|p| p * 100.0),
                poids: r.get(7)?,
                transition_eco: r.get(8)?,
                transition_num: r.get(9)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

pub async fn page(
    State(state): State<AppState>,
    P((kind, code)): P<(String, String)>,
) -> Result<Html<String>, AppError> {
    if !super::api::KINDS.contains(&kind.as_str()) {
        return Err(AppError::bad_request(format!(
            "Type de territoire « {kind} » inconnu : utilisez ze, bassin, dep, reg ou custom."
        )));
    }
    if !super::api::valid_code(&code) {
        return Err(AppError::bad_request("Code de territoire mal formé."));
    }
    let out = state
        .db
        .call(move |c| {
            let Some(t) = lookup::territory(c, &kind, &code)? else {
                return Ok(None);
            };
            Ok(Some(Page {
                observed: skills(c, &kind, &code, "observee", "total", 60)?,
                structural: skills(c, &kind, &code, "structurelle", "total", 30)?,
                emerging: skills(c, &kind, &code, "emergente", "total", 30)?,
                transferable: skills(c, &kind, &code, "transferable", "tension", 30)?,
                forecasts: super::territoire_analyses::forecasts(c, &kind, &code)?,
                computed: c.query_row("SELECT count(*) > 0 FROM fc_series", [], |r| r.get(0))?,
                skill_forecasts: skill_forecasts(c, &kind, &code, Some(30))?,
                kind_label: super::home::kind_label(&t.kind),
                t,
            }))
        })
        .await?;
    let Some(page) = out else {
        return Err(AppError::not_found(
            "Ce territoire n'existe pas dans l'observatoire.",
        ));
    };
    state.render(
        "competences.html",
        context! {
            skills_absent => crate::forecast::competences::ABSENT,
            ..minijinja::Value::from_serialize(&page)
        },
    )
}
