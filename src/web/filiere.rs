//! `/filieres/{id}[?territoire=ze:2815]`: a filière's métiers and sectors in a territory (France
//! by default) — the filière's tension, each métier's, its offers and the skills they ask for:
//! what a branch planning training needs.
use axum::extract::State;
use axum::response::Html;
use duckdb::Connection;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::extract::{P, Q};
use super::territoire_analyses::level_text;
use super::{AppError, AppState};
use crate::referentials::lookup;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiliereQuery {
    territoire: Option<String>,
}

#[derive(Serialize)]
struct Metier {
    code: String,
    label: String,
    level: Option<i32>,
    level_text: Option<&'static str>,
    difficultes: Option<f64>,
    projets: Option<i64>,
    offres: Option<i64>,
    suppressed: Option<String>,
}

#[derive(Serialize)]
struct Page {
    id: String,
    libelle: String,
    origine: String,
    territory: lookup::Territory,
    level: Option<i32>,
    level_text: Option<&'static str>,
    indicator: Option<String>,
    projets: Option<i64>,
    difficultes: Option<f64>,
    offres: Option<i64>,
    salaire_median: Option<f64>,
    metiers: Vec<Metier>,
    naf: Vec<(String, String)>,
    skills: Vec<(Option<String>, Option<i64>, Option<f64>)>,
}

/// level, indicator, projects, share difficult, offers.
type FiliereCells = (
    Option<i32>,
    Option<String>,
    Option<i64>,
    Option<f64>,
    Option<i64>,
);
/// level, share difficult, projects, offers, suppression reason.
type RomeCells = (
    Option<i32>,
    Option<f64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

fn load(
    conn: &Connection,
    id: &str,
    kind: &str,
    code: &str,
) -> anyhow::Result<Result<Page, AppError>> {
    let Some(f) = lookup::filieres(conn, Some(id))?.into_iter().next() else {
        return Ok(Err(AppError::not_found(format!(
            "La filière « {id} » n'existe pas."
        ))));
    };
    let Some(t) = lookup::territory(conn, kind, code)? else {
        return Ok(Err(AppError::not_found(format!(
            "Le territoire {kind}:{code} n'existe pas."
        ))));
    };
    let head: Option<FiliereCells> = conn
        .prepare(
            "SELECT level, indicator, projets, diff_value, offres FROM ind_tension
             WHERE kind = ? AND code = ? AND nomenclature = 'filiere' AND metier = ?",
        )?
        .query_map([kind, code, id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .next()
        .transpose()?;
    let salaire: Option<f64> = conn
        .prepare(
            "SELECT salaire_median FROM ind_offres WHERE kind = ? AND code = ? AND dimension = 'filiere' AND key = ? AND periode = 'actuel'",
        )?
        .query_map([kind, code, id], |r| r.get(0))?
        .next()
        .transpose()?
        .flatten();
    let labels = lookup::rome_labels(conn)?;
    let mut metiers: Vec<Metier> = Vec::new();
    for rome in &f.rome {
        let row: Option<RomeCells> = conn
            .prepare(
                "SELECT level, diff_value, projets, offres, suppressed_reason FROM ind_tension
                 WHERE kind = ? AND code = ? AND nomenclature = 'rome' AND metier = ?",
            )?
            .query_map([kind, code, rome.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .next()
            .transpose()?;
        let (level, difficultes, projets, offres, suppressed) =
            row.unwrap_or((None, None, None, None, None));
        metiers.push(Metier {
            code: rome.clone(),
            label: labels.get(rome).cloned().unwrap_or_else(|| rome.clone()),
            level,
            level_text: level.map(level_text),
            difficultes,
            projets,
            offres,
            suppressed: suppressed.or_else(|| row_missing(level, projets)),
        });
    }
    metiers.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then(b.projets.cmp(&a.projets))
            .then(a.code.cmp(&b.code))
    });
    let naf: Vec<(String, String)> = f
        .naf
        .iter()
        .map(|n| -> anyhow::Result<(String, String)> {
            let label = lookup::naf(conn, n)?.map(|x| x.1).unwrap_or_default();
            Ok((n.clone(), label))
        })
        .collect::<anyhow::Result<_>>()?;
    let skills = conn
        .prepare(
            "SELECT libelle, offres, part FROM ind_competences
             WHERE kind = ? AND code = ? AND nature = 'observee' AND dimension = 'filiere' AND key = ?
             ORDER BY offres DESC NULLS LAST, competence LIMIT 15",
        )?
        .query_map([kind, code, id], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, Option<f64>>(2)?.map(|p| p * 100.0))))?
        .collect::<Result<_, _>>()?;
    let (level, indicator, projets, difficultes, offres) =
        head.unwrap_or((None, None, None, None, None));
    Ok(Ok(Page {
        id: f.id,
        libelle: f.libelle,
        origine: f.origine,
        territory: t,
        level,
        level_text: level.map(level_text),
        indicator,
        projets,
        difficultes,
        offres,
        salaire_median: salaire,
        metiers,
        naf,
        skills,
    }))
}

fn row_missing(level: Option<i32>, projets: Option<i64>) -> Option<String> {
    (level.is_none() && projets.is_none())
        .then(|| "aucun projet BMO ni offre pour ce métier dans le territoire".into())
}

pub async fn page(
    State(state): State<AppState>,
    P(id): P<String>,
    Q(q): Q<FiliereQuery>,
) -> Result<Html<String>, AppError> {
    let (kind, code) = match q.territoire.as_deref() {
        None | Some("") => ("fr".to_string(), "FR".to_string()),
        Some(t) => match super::api::parse_territory(t) {
            Some(pair) => pair,
            None => {
                return Err(AppError::bad_request(format!(
                    "territoire={t:?} : écrivez type:code, par exemple ze:2815."
                )))
            }
        },
    };
    let all = state.db.call(|c| lookup::filieres(c, None)).await?;
    let p = state.db.call(move |c| load(c, &id, &kind, &code)).await??;
    state.render("filiere.html", context! { p, all })
}
