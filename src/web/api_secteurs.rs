//! JSON API: sectors (`ind_secteurs`, `ind_emploi_dynamique`) and skills (`ind_competences`,
//! `ind_mobilite`) of a territory.
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::analytics::{bad, check_kind, found, paging, source_list, sources, territory};
use super::extract::{P, Q};
use super::{AppError, AppState};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SecteursQuery {
    /// `a38` (default) or `a88`.
    pub niveau: Option<String>,
    /// Years of the comparison: 1 or 5 (default).
    pub annees: Option<i32>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/territoires/{kind}/{code}/secteurs", tag = "secteurs", params(super::api_doc::TerritoryPath, SecteursQuery, super::api_doc::ExportFormat), responses(
        (status = 200, description = "dynamique de l'emploi salarié par secteur (A38/A88)", body = serde_json::Value),
        (status = 400, description = "paramètre invalide", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "territoire inconnu", body = super::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn secteurs(
    State(state): State<AppState>,
    P((kind, code)): P<(String, String)>,
    Q(q): Q<SecteursQuery>,
) -> Result<Json<Value>, AppError> {
    check_kind(&kind)?;
    let niveau = q.niveau.clone().unwrap_or_else(|| "a38".into());
    if !["a38", "a88"].contains(&niveau.as_str()) {
        return Err(bad(format!("niveau={niveau:?} : a38 ou a88")));
    }
    let years = q.annees.unwrap_or(5);
    if ![1, 5].contains(&years) {
        return Err(bad(format!("annees={years} : 1 ou 5")));
    }
    let (page, per) = paging(q.page, q.per_page)?;
    let out = state
        .db
        .call(move |conn| -> anyhow::Result<Option<Value>> {
            let Some(t) = territory(conn, &kind, &code)? else {
                return Ok(None);
            };
            let srcs = sources(conn)?;
            let emploi: Option<Value> = conn
                .prepare(
                    "SELECT trimestre, effectifs, evol_1an, evol_5ans, evol_1an_region, evol_5ans_region,
                         evol_1an_france, evol_5ans_france, region, source_id
                     FROM ind_emploi_dynamique WHERE kind = ? AND code = ?",
                )?
                .query_map([&kind, &code], |r| {
                    let s: String = r.get(9)?;
                    Ok(json!({
                        "trimestre": r.get::<_, String>(0)?, "effectifs": r.get::<_, i64>(1)?,
                        "evolution_1an": r.get::<_, Option<f64>>(2)?, "evolution_5ans": r.get::<_, Option<f64>>(3)?,
                        "region": {"code": r.get::<_, Option<String>>(8)?,
                                   "evolution_1an": r.get::<_, Option<f64>>(4)?, "evolution_5ans": r.get::<_, Option<f64>>(5)?,
                                   "note": "zones d'emploi dont la majorité des communes est dans la région"},
                        "france": {"evolution_1an": r.get::<_, Option<f64>>(6)?, "evolution_5ans": r.get::<_, Option<f64>>(7)?},
                        "sources": source_list(&srcs, &s), "method": "/methodologie#urssaf",
                    }))
                })?
                .next()
                .transpose()?;
            let filter = "kind = ?1 AND code = ?2 AND niveau = ?3 AND annee_fin - annee_debut = ?4";
            let total: i64 = conn.query_row(
                &format!("SELECT count(*) FROM ind_secteurs WHERE {filter}"),
                duckdb::params![kind, code, niveau, years],
                |r| r.get(0),
            )?;
            let items: Vec<Value> = conn
                .prepare(&format!(
                    "SELECT secteur, libelle, annee_debut, annee_fin, effectifs_debut, effectifs_fin, variation,
                         effet_national, effet_structurel, effet_local, contribution, offres, source_id, reference
                     FROM ind_secteurs WHERE {filter}
                     ORDER BY contribution DESC NULLS LAST, secteur LIMIT ?5 OFFSET ?6"
                ))?
                .query_map(
                    duckdb::params![kind, code, niveau, years, per as i64, ((page - 1) * per) as i64],
                    |r| {
                        let s: String = r.get(12)?;
                        Ok(json!({
                            "secteur": r.get::<_, String>(0)?, "label": r.get::<_, Option<String>>(1)?,
                            "annee_debut": r.get::<_, i32>(2)?, "annee_fin": r.get::<_, i32>(3)?,
                            "effectifs_debut": r.get::<_, Option<i64>>(4)?, "effectifs_fin": r.get::<_, Option<i64>>(5)?,
                            "variation": r.get::<_, Option<i64>>(6)?,
                            "effet_national": r.get::<_, Option<f64>>(7)?, "effet_structurel": r.get::<_, Option<f64>>(8)?,
                            "effet_local": r.get::<_, Option<f64>>(9)?, "contribution": r.get::<_, Option<f64>>(10)?,
                            "offers": r.get::<_, Option<i64>>(11)?,
                            "reference": r.get::<_, Option<String>>(13)?,
                            "sources": source_list(&srcs, &s),
                        }))
                    },
                )?
                .collect::<Result<_, _>>()?;
            Ok(Some(json!({
                "territory": t, "niveau": niveau, "annees": years, "emploi": emploi,
                "page": page, "per_page": per, "total": total, "items": items,
                "method": "/methodologie#secteurs",
            })))
        })
        .await;
    found(out)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CompetencesQuery {
    /// `observee` (default), `structurelle`, `emergente`, `transferable`.
    pub nature: Option<String>,
    /// With `observee`: `total` (default), `rome`, `fap2021`, `filiere` — and `key`.
    pub dimension: Option<String>,
    pub key: Option<String>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
}

pub const NATURES: [&str; 4] = ["observee", "structurelle", "emergente", "transferable"];

#[utoipa::path(get, path = "/api/v1/territoires/{kind}/{code}/competences", tag = "competences", params(super::api_doc::TerritoryPath, CompetencesQuery, super::api_doc::ExportFormat), responses(
        (status = 200, description = "compétences demandées (observées dans les offres, structurelles, émergentes, transférables)", body = serde_json::Value),
        (status = 400, description = "paramètre invalide", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "territoire inconnu", body = super::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn competences(
    State(state): State<AppState>,
    P((kind, code)): P<(String, String)>,
    Q(q): Q<CompetencesQuery>,
) -> Result<Json<Value>, AppError> {
    check_kind(&kind)?;
    let nature = q.nature.clone().unwrap_or_else(|| "observee".into());
    if !NATURES.contains(&nature.as_str()) {
        return Err(bad(format!("nature={nature:?} : {}", NATURES.join(", "))));
    }
    let (dimension, key) = match nature.as_str() {
        "observee" => {
            let d = q.dimension.clone().unwrap_or_else(|| "total".into());
            if !["total", "rome", "fap2021", "filiere"].contains(&d.as_str()) {
                return Err(bad(format!(
                    "dimension={d:?} : total, rome, fap2021 ou filiere"
                )));
            }
            let k = if d == "total" {
                "total".to_string()
            } else {
                q.key
                    .clone()
                    .ok_or_else(|| bad(format!("dimension={d} : précisez key (un code {d})")))?
            };
            (d, k)
        }
        "transferable" => ("tension".to_string(), "niveau-4-et-plus".to_string()),
        _ => ("total".to_string(), "total".to_string()),
    };
    let (page, per) = paging(q.page, q.per_page)?;
    let out = state
        .db
        .call(move |conn| -> anyhow::Result<Option<Value>> {
            let Some(t) = territory(conn, &kind, &code)? else {
                return Ok(None);
            };
            let srcs = sources(conn)?;
            let filter = "kind = ?1 AND code = ?2 AND nature = ?3 AND dimension = ?4 AND key = ?5";
            let total: i64 = conn.query_row(
                &format!("SELECT count(*) FROM ind_competences WHERE {filter}"),
                duckdb::params![kind, code, nature, dimension, key],
                |r| r.get(0),
            )?;
            let order = match nature.as_str() {
                "structurelle" => "poids DESC",
                "emergente" => "poids DESC",
                _ => "offres DESC",
            };
            let items: Vec<Value> = conn
                .prepare(&format!(
                    "SELECT competence, libelle, type_competence, offres, base, part, part_precedente, poids,
                         transition_eco, transition_num, sources
                     FROM ind_competences WHERE {filter} ORDER BY {order}, competence LIMIT ?6 OFFSET ?7"
                ))?
                .query_map(
                    duckdb::params![kind, code, nature, dimension, key, per as i64, ((page - 1) * per) as i64],
                    |r| {
                        let s: String = r.get(10)?;
                        Ok(json!({
                            "competence": r.get::<_, String>(0)?, "label": r.get::<_, Option<String>>(1)?,
                            "type": r.get::<_, Option<String>>(2)?, "offers": r.get::<_, Option<i64>>(3)?,
                            "base": r.get::<_, Option<i64>>(4)?, "part": r.get::<_, Option<f64>>(5)?,
                            "part_precedente": r.get::<_, Option<f64>>(6)?, "poids": r.get::<_, Option<f64>>(7)?,
                            "transition_ecologique": r.get::<_, Option<bool>>(8)?,
                            "transition_numerique": r.get::<_, Option<bool>>(9)?,
                            "sources": source_list(&srcs, &s),
                        }))
                    },
                )?
                .collect::<Result<_, _>>()?;
            let note = match nature.as_str() {
                "structurelle" => "structurel, non observé : liens métier → compétences du ROME 4.0 pondérés par les projets BMO",
                "emergente" => "part des offres des derniers mois comparée à la période précédente (publiée seulement quand les deux périodes ont assez d'offres)",
                "transferable" => "compétences clés partagées par au moins deux métiers de niveau de tension 4 ou 5",
                _ => "part des offres ouvertes qui demandent la compétence (publiée à partir de 30 offres)",
            };
            Ok(Some(json!({
                "territory": t, "nature": nature, "dimension": dimension, "key": key, "note": note,
                "page": page, "per_page": per, "total": total, "items": items,
                "method": "/methodologie#competences",
            })))
        })
        .await;
    found(out)
}
