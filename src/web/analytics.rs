//! JSON API of the GPTEC analytics: tension, offers and filières per territory. Reads the
//! derived tables `ind_tension` and `ind_offres`, the `sources` provenance table, and
//! referentials through [`crate::referentials::lookup`].
use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use duckdb::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::extract::{P, Q};
use super::{AppError, AppState};
use crate::indicators::tension::{ComponentSource, COMPONENTS};
use crate::referentials::lookup;

pub const MAX_PER_PAGE: usize = 500;

/// `page` (from 1) and `per_page` (1..=500, default 50). (Not a flattened struct: serde's
/// `flatten` loses the types of query-string values.)
pub(super) fn paging(
    page: Option<usize>,
    per_page: Option<usize>,
) -> Result<(usize, usize), AppError> {
    {
        let page = page.unwrap_or(1);
        let per = per_page.unwrap_or(50);
        if page == 0 {
            return Err(bad("page=0 : les pages sont numérotées à partir de 1"));
        }
        if per == 0 || per > MAX_PER_PAGE {
            return Err(bad(format!("per_page={per} : entre 1 et {MAX_PER_PAGE}")));
        }
        Ok((page, per))
    }
}

/// The JSON of a territory's collection, 404 when the territory is unknown, problem+json on error.
pub(super) fn found(out: anyhow::Result<Option<Value>>) -> Result<Json<Value>, AppError> {
    out.map_err(|e| AppError::from(e).api())?
        .map(Json)
        .ok_or_else(|| AppError::not_found("territoire inconnu").api())
}

pub(super) fn bad(detail: impl Into<String>) -> AppError {
    AppError::bad_request(detail).api()
}

/// The territory of the path, or 404.
pub(super) fn territory(
    conn: &Connection,
    kind: &str,
    code: &str,
) -> anyhow::Result<Option<Value>> {
    Ok(lookup::territory(conn, kind, code)?.map(|t| {
        json!({"kind": t.kind, "code": t.code, "libelle": t.libelle, "nb_communes": t.nb_communes,
               "url": format!("/territoires/{}/{}", t.kind, t.code)})
    }))
}

pub(super) fn check_kind(kind: &str) -> Result<(), AppError> {
    if super::api::KINDS.contains(&kind) {
        Ok(())
    } else {
        Err(AppError::not_found(format!(
            "type de territoire {kind:?} inconnu : {}",
            super::api::KINDS.join(", ")
        ))
        .api())
    }
}

/// Provenance of each source id: name, publisher, vintage, licence, url and method link.
pub(super) fn sources(conn: &Connection) -> anyhow::Result<HashMap<String, Value>> {
    Ok(conn
        .prepare("SELECT source_id, name, publisher, vintage, licence, url, method_anchor FROM sources")?
        .query_map([], |r| {
            let id: String = r.get(0)?;
            let anchor: String = r.get(6)?;
            Ok((
                id.clone(),
                json!({"id": id, "name": r.get::<_, String>(1)?, "publisher": r.get::<_, String>(2)?,
                       "vintage": r.get::<_, String>(3)?, "licence": r.get::<_, String>(4)?,
                       "url": r.get::<_, Option<String>>(5)?, "method": format!("/methodologie#{anchor}")}),
            ))
        })?
        .collect::<Result<_, _>>()?)
}

pub(super) fn source_list(all: &HashMap<String, Value>, ids: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    ids.split(',')
        .filter(|s| !s.is_empty())
        .filter_map(|id| {
            if seen.contains(&id) {
                return None;
            }
            seen.push(id);
            Some(all.get(id).cloned().unwrap_or_else(|| json!({"id": id})))
        })
        .collect()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TensionQuery {
    pub nomenclature: Option<String>,
    /// Only rows of at least this level (1–5).
    pub niveau_min: Option<i32>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
}

pub const NOMENCLATURES: [&str; 4] = ["fap2021", "fap2009", "rome", "filiere"];

/// A territory as the API answers it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TerritoryRef {
    kind: String,
    code: String,
    libelle: String,
    nb_communes: i64,
    url: String,
}

/// One component of the tension indicator.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Component {
    /// The raw value (a share in %, a ratio), or null when absent.
    value: Option<f64>,
    /// Centred and reduced against the national reference distribution.
    standardised: Option<f64>,
    /// The base it is computed on (projects, offers, jobseekers).
    base: Option<i64>,
    /// Why it is absent (base under 30, source not available for this territory).
    absent: Option<String>,
    source: String,
    /// Weight in the score (null: shown beside the score, not in it).
    weight: Option<f64>,
}

/// One métier's tension in a territory.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TensionItem {
    metier: String,
    nomenclature: String,
    label: Option<String>,
    /// 1 (lowest) to 5 (among the 20 % most strained in France); null when suppressed.
    level: Option<i32>,
    score: Option<f64>,
    components: std::collections::BTreeMap<String, Component>,
    /// `dares` with the three components, else `tension-partielle-<components>`.
    indicator: Option<String>,
    dares_2019_category: Option<f64>,
    dares_2019_fap: Option<String>,
    suppressed_reason: Option<String>,
    offres: Option<i64>,
    projets: Option<i64>,
    #[schema(value_type = Vec<Object>)]
    sources: Vec<Value>,
    method: &'static str,
}

/// The tension table of a territory.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TensionPage {
    territory: TerritoryRef,
    nomenclature: String,
    page: usize,
    per_page: usize,
    total: i64,
    items: Vec<TensionItem>,
    method: &'static str,
}

#[utoipa::path(get, path = "/api/v1/territoires/{kind}/{code}/tension", tag = "tension", params(super::api_doc::TerritoryPath, TensionQuery, super::api_doc::ExportFormat), responses(
        (status = 200, description = "métiers en tension du territoire (indicateur composite, composantes, niveau 1–5, secret)", body = TensionPage),
        (status = 400, description = "paramètre invalide", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "territoire inconnu", body = super::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn tension(
    State(state): State<AppState>,
    P((kind, code)): P<(String, String)>,
    Q(q): Q<TensionQuery>,
) -> Result<Json<TensionPage>, AppError> {
    check_kind(&kind)?;
    let nomenclature = q.nomenclature.clone().unwrap_or_else(|| "fap2021".into());
    if !NOMENCLATURES.contains(&nomenclature.as_str()) {
        return Err(bad(format!(
            "nomenclature={nomenclature:?} inconnue : fap2021, fap2009, rome ou filiere"
        )));
    }
    if let Some(n) = q.niveau_min.filter(|n| !(1..=5).contains(n)) {
        return Err(bad(format!("niveau_min={n} : entre 1 et 5")));
    }
    let (page, per) = paging(q.page, q.per_page)?;
    let out = state
        .db
        .call(move |conn| -> anyhow::Result<Option<TensionPage>> {
            let Some(t) = lookup::territory(conn, &kind, &code)? else {
                return Ok(None);
            };
            let srcs = sources(conn)?;
            let comp_cols: Vec<String> = COMPONENTS
                .iter()
                .filter_map(|c| c.prefix)
                .map(|p| format!("{p}_value, {p}_z, {p}_base, {p}_absent"))
                .collect();
            let filter = "kind = ?1 AND code = ?2 AND nomenclature = ?3 AND (?4 IS NULL OR level >= ?4)";
            let total: i64 = conn.query_row(
                &format!("SELECT count(*) FROM ind_tension WHERE {filter}"),
                duckdb::params![kind, code, nomenclature, q.niveau_min],
                |r| r.get(0),
            )?;
            let sql = format!(
                "SELECT metier, label, level, score, indicator, dares_2019_category, dares_2019_fap,
                     suppressed_reason, sources, offres, projets, bmo_source, offres_source, {}
                 FROM ind_tension WHERE {filter}
                 ORDER BY level DESC NULLS LAST, score DESC NULLS LAST, projets DESC NULLS LAST, metier
                 LIMIT ?5 OFFSET ?6",
                comp_cols.join(", ")
            );
            let mut stmt = conn.prepare(&sql)?;
            let mut rows = stmt.query(duckdb::params![
                kind,
                code,
                nomenclature,
                q.niveau_min,
                per as i64,
                ((page - 1) * per) as i64
            ])?;
            let mut items = Vec::new();
            while let Some(r) = rows.next()? {
                let bmo: Option<String> = r.get(11)?;
                let offers: Option<String> = r.get(12)?;
                let mut comps = std::collections::BTreeMap::new();
                let mut i = 13;
                for c in COMPONENTS {
                    let source = match c.source {
                        ComponentSource::Bmo => bmo.clone().unwrap_or_else(|| "BMO France Travail".into()),
                        ComponentSource::Offres => offers.clone().unwrap_or_default(),
                        ComponentSource::Fixed(s) => s.to_string(),
                    };
                    let v = if c.prefix.is_some() {
                        let v = Component {
                            value: r.get(i)?,
                            standardised: r.get(i + 1)?,
                            base: r.get(i + 2)?,
                            absent: r.get(i + 3)?,
                            source,
                            weight: c.weight,
                        };
                        i += 4;
                        v
                    } else {
                        Component {
                            value: None,
                            standardised: None,
                            base: None,
                            absent: Some(c.unavailable.to_string()),
                            source,
                            weight: c.weight,
                        }
                    };
                    comps.insert(c.name.to_string(), v);
                }
                let src: String = r.get(8)?;
                items.push(TensionItem {
                    metier: r.get(0)?,
                    nomenclature: nomenclature.clone(),
                    label: r.get(1)?,
                    level: r.get(2)?,
                    score: r.get(3)?,
                    indicator: r.get(4)?,
                    components: comps,
                    dares_2019_category: r.get(5)?,
                    dares_2019_fap: r.get(6)?,
                    suppressed_reason: r.get(7)?,
                    offres: r.get(9)?,
                    projets: r.get(10)?,
                    sources: source_list(&srcs, &src),
                    method: "/methodologie#tension",
                });
            }
            Ok(Some(TensionPage {
                territory: TerritoryRef {
                    url: format!("/territoires/{}/{}", t.kind, t.code),
                    kind: t.kind,
                    code: t.code,
                    libelle: t.libelle,
                    nb_communes: t.nb_communes,
                },
                nomenclature,
                page,
                per_page: per,
                total,
                items,
                method: "/methodologie#tension",
            }))
        })
        .await;
    out.map_err(|e| AppError::from(e).api())?
        .map(Json)
        .ok_or_else(|| AppError::not_found("territoire inconnu").api())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OffresQuery {
    pub by: Option<String>,
    /// `actuel` (open offers, default) or a month `YYYY-MM`; ignored with `by=month`.
    pub periode: Option<String>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
}

/// `by` values: the offer breakdowns of `ind_offres`, filières, and the monthly series.
fn offres_by() -> Vec<&'static str> {
    let mut by = crate::indicators::offres::DIMENSIONS.to_vec();
    by.extend(["filiere", "month"]);
    by
}

#[derive(Serialize)]
struct OffresItem {
    key: String,
    label: Option<String>,
    periode: String,
    offers: i64,
    stock_fin_mois: Option<i64>,
    postes: Option<i64>,
    duree_mediane_jours: Option<f64>,
    offres_fermees: Option<i64>,
    part_durables: Option<f64>,
    part_temps_plein: Option<f64>,
    salaire_q1: Option<f64>,
    salaire_median: Option<f64>,
    salaire_q3: Option<f64>,
    salaires_connus: Option<i64>,
    part_sans_experience: Option<f64>,
    offres_an_precedent: Option<i64>,
    evolution_an: Option<f64>,
    sources: Vec<Value>,
}

#[utoipa::path(get, path = "/api/v1/territoires/{kind}/{code}/offres", tag = "offres", params(super::api_doc::TerritoryPath, OffresQuery, super::api_doc::ExportFormat), responses(
        (status = 200, description = "offres d'emploi par métier, secteur, filière ou mois", body = serde_json::Value),
        (status = 400, description = "paramètre invalide", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "territoire inconnu", body = super::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn offres(
    State(state): State<AppState>,
    P((kind, code)): P<(String, String)>,
    Q(q): Q<OffresQuery>,
) -> Result<Json<Value>, AppError> {
    check_kind(&kind)?;
    let by = q.by.clone().unwrap_or_else(|| "rome".into());
    let known = offres_by();
    if !known.contains(&by.as_str()) {
        return Err(bad(format!("by={by:?} inconnu : {}", known.join(", "))));
    }
    let periode = q.periode.clone().unwrap_or_else(|| "actuel".into());
    let month_ok = periode.len() == 7
        && chrono::NaiveDate::parse_from_str(&format!("{periode}-01"), "%Y-%m-%d").is_ok();
    if periode != "actuel" && !month_ok {
        return Err(bad(format!(
            "periode={periode:?} : « actuel » ou un mois AAAA-MM"
        )));
    }
    let (page, per) = paging(q.page, q.per_page)?;
    let out = state
        .db
        .call(move |conn| -> anyhow::Result<Option<Value>> {
            let Some(t) = territory(conn, &kind, &code)? else {
                return Ok(None);
            };
            let srcs = sources(conn)?;
            // by=month: the monthly series of all offers; otherwise one period's breakdown
            let (dimension, filter, order) = if by == "month" {
                ("total", "periode <> 'actuel'", "periode")
            } else if periode == "actuel" {
                (by.as_str(), "periode = 'actuel'", "offres DESC, key")
            } else {
                (by.as_str(), "periode = ?4", "offres DESC, key")
            };
            let cond = format!("kind = ?1 AND code = ?2 AND dimension = ?3 AND {filter}");
            let p4 = if filter.contains("?4") { Some(periode.clone()) } else { None };
            let total: i64 = if p4.is_some() {
                conn.query_row(&format!("SELECT count(*) FROM ind_offres WHERE {cond}"),
                    duckdb::params![kind, code, dimension, p4], |r| r.get(0))?
            } else {
                conn.query_row(&format!("SELECT count(*) FROM ind_offres WHERE {cond}"),
                    duckdb::params![kind, code, dimension], |r| r.get(0))?
            };
            let cond = cond.replace("?4", "?6");
            let sql = format!(
                "SELECT CASE WHEN ?3 = 'total' AND periode <> 'actuel' THEN periode ELSE key END,
                     label, periode, offres, stock_fin_mois, postes, duree_mediane_jours, n_fermees,
                     part_durables, part_temps_plein, salaire_q1, salaire_median, salaire_q3, n_salaires,
                     part_sans_experience, offres_an_precedent, evolution_an, sources
                 FROM ind_offres WHERE {cond} ORDER BY {order} LIMIT ?4 OFFSET ?5"
            );
            let map = |r: &duckdb::Row| -> duckdb::Result<OffresItem> {
                let s: String = r.get(17)?;
                Ok(OffresItem {
                    key: r.get(0)?,
                    label: r.get(1)?,
                    periode: r.get(2)?,
                    offers: r.get(3)?,
                    stock_fin_mois: r.get(4)?,
                    postes: r.get(5)?,
                    duree_mediane_jours: r.get(6)?,
                    offres_fermees: r.get(7)?,
                    part_durables: r.get(8)?,
                    part_temps_plein: r.get(9)?,
                    salaire_q1: r.get(10)?,
                    salaire_median: r.get(11)?,
                    salaire_q3: r.get(12)?,
                    salaires_connus: r.get(13)?,
                    part_sans_experience: r.get(14)?,
                    offres_an_precedent: r.get(15)?,
                    evolution_an: r.get(16)?,
                    sources: source_list(&srcs, &s),
                })
            };
            let mut stmt = conn.prepare(&sql)?;
            let (limit, offset) = (per as i64, ((page - 1) * per) as i64);
            let items: Vec<OffresItem> = if p4.is_some() {
                stmt.query_map(duckdb::params![kind, code, dimension, limit, offset, p4], map)?
                    .collect::<Result<_, _>>()?
            } else {
                stmt.query_map(duckdb::params![kind, code, dimension, limit, offset], map)?
                    .collect::<Result<_, _>>()?
            };
            Ok(Some(json!({
                "territory": t, "by": by, "periode": if by == "month" { "mois".to_string() } else { periode },
                "page": page, "per_page": per, "total": total, "items": items,
                "method": "/methodologie#offres",
            })))
        })
        .await;
    found(out)
}

#[utoipa::path(get, path = "/api/v1/filieres", tag = "filieres", params(super::api_doc::ExportFormat), responses((status = 200, description = "filières déclarées et intégrées", body = serde_json::Value)))]
pub async fn filieres(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    let list = state
        .db
        .call(|conn| lookup::filieres(conn, None))
        .await
        .map_err(|e| AppError::from(e).api())?;
    let items: Vec<Value> = list
        .into_iter()
        .map(|f| {
            json!({"id": f.id, "libelle": f.libelle, "origine": f.origine,
                   "metiers_rome": f.rome.len(), "sous_classes_naf": f.naf.len(),
                   "url": format!("/api/v1/filieres/{}", f.id)})
        })
        .collect();
    Ok(Json(
        json!({"items": items, "method": "/methodologie#filieres"}),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FiliereQuery {
    /// `kind:code`, e.g. `ze:2815`.
    pub territory: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/filieres/{id}", tag = "filieres", params(("id" = String, Path, description = "identifiant de la filière"), FiliereQuery, super::api_doc::ExportFormat), responses(
        (status = 200, description = "une filière, ses métiers et secteurs, et ses indicateurs dans un territoire", body = serde_json::Value),
        (status = 400, description = "paramètre invalide", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "filière ou territoire inconnu", body = super::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn filiere(
    State(state): State<AppState>,
    P(id): P<String>,
    Q(q): Q<FiliereQuery>,
) -> Result<Json<Value>, AppError> {
    let scope = match q.territory.as_deref() {
        None => None,
        Some(t) => match super::api::parse_territory(t) {
            Some(pair) => Some(pair),
            None => {
                return Err(bad(format!(
                    "territory={t:?} : écrivez type:code, par exemple ze:2815 ({})",
                    super::api::KINDS.join(", ")
                )))
            }
        },
    };
    let out = state
        .db
        .call(move |conn| -> anyhow::Result<Result<Value, AppError>> {
            let Some(f) = lookup::filieres(conn, Some(&id))?.into_iter().next() else {
                return Ok(Err(AppError::not_found(format!("filière {id:?} inconnue")).api()));
            };
            let mut body = json!({"id": f.id, "libelle": f.libelle, "origine": f.origine,
                "rome": f.rome, "naf": f.naf, "method": "/methodologie#filieres"});
            if let Some((kind, code)) = scope {
                let Some(t) = territory(conn, &kind, &code)? else {
                    return Ok(Err(AppError::not_found("territoire inconnu").api()));
                };
                let srcs = sources(conn)?;
                let offers: Option<(i64, Option<f64>, Option<f64>, String)> = conn
                    .prepare("SELECT offres, part_durables, salaire_median, sources FROM ind_offres
                              WHERE kind = ? AND code = ? AND dimension = 'filiere' AND key = ? AND periode = 'actuel'")?
                    .query_map(duckdb::params![kind, code, f.id], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })?
                    .next()
                    .transpose()?;
                let metiers: Vec<Value> = conn
                    .prepare("SELECT t.metier, t.label, t.level, t.indicator, t.offres, t.projets, t.suppressed_reason
                              FROM ind_tension t JOIN ref_filiere_rome r ON r.rome = t.metier AND r.filiere = ?3
                              WHERE t.kind = ?1 AND t.code = ?2 AND t.nomenclature = 'rome'
                              ORDER BY t.level DESC NULLS LAST, t.offres DESC NULLS LAST, t.metier")?
                    .query_map(duckdb::params![kind, code, f.id], |r| {
                        Ok(json!({"metier": r.get::<_, String>(0)?, "label": r.get::<_, Option<String>>(1)?,
                                  "level": r.get::<_, Option<i32>>(2)?, "indicator": r.get::<_, Option<String>>(3)?,
                                  "offres": r.get::<_, Option<i64>>(4)?, "projets": r.get::<_, Option<i64>>(5)?,
                                  "suppressed_reason": r.get::<_, Option<String>>(6)?}))
                    })?
                    .collect::<Result<_, _>>()?;
                body["territory"] = t;
                body["offres"] = match offers {
                    Some((n, d, s, src)) => json!({"offers": n, "part_durables": d, "salaire_median": s,
                                                   "sources": source_list(&srcs, &src)}),
                    None => json!({"offers": 0, "sources": []}),
                };
                body["metiers"] = Value::Array(metiers);
                // the filière as a whole: BMO of its families, its offers, its jobseekers
                body["tension"] = conn
                    .prepare(
                        "SELECT level, score, indicator, projets, offres, diff_value, suppressed_reason FROM ind_tension
                         WHERE kind = ? AND code = ? AND nomenclature = 'filiere' AND metier = ?",
                    )?
                    .query_map(duckdb::params![kind, code, f.id], |r| {
                        Ok(json!({"level": r.get::<_, Option<i32>>(0)?, "score": r.get::<_, Option<f64>>(1)?,
                                  "indicator": r.get::<_, Option<String>>(2)?, "projets": r.get::<_, Option<i64>>(3)?,
                                  "offres": r.get::<_, Option<i64>>(4)?, "difficultes": r.get::<_, Option<f64>>(5)?,
                                  "suppressed_reason": r.get::<_, Option<String>>(6)?,
                                  "method": "/methodologie#tension"}))
                    })?
                    .next()
                    .transpose()?
                    .unwrap_or(Value::Null);
            }
            Ok(Ok(body))
        })
        .await
        .map_err(|e| AppError::from(e).api())?;
    out.map(Json)
}
