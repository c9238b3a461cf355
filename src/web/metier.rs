//! `/metiers/{code}` (ROME 4.0, FAP 2021 or FAP 2009): the métier across territories (map of its
//! tension level by zone d'emploi, and the table), its national tension components, skills,
//! salaries, close métiers (ROME mobility) and forecast.
use axum::extract::State;
use axum::response::Html;
use duckdb::Connection;
use minijinja::context;
use serde::Serialize;

use super::extract::P;
use super::maps;
use super::territoire_analyses::level_text;
use super::{AppError, AppState};
use crate::referentials::lookup;

#[derive(Serialize)]
struct TerritoryLevel {
    code: String,
    libelle: String,
    level: Option<i32>,
    level_text: Option<&'static str>,
    difficultes: Option<f64>,
    projets: Option<i64>,
    offres: Option<i64>,
    suppressed: Option<String>,
}

#[derive(Serialize)]
struct National {
    level: Option<i32>,
    score: Option<f64>,
    indicator: Option<String>,
    difficultes: Option<f64>,
    projets: Option<i64>,
    offres: Option<i64>,
    dares_2019: Option<f64>,
    suppressed: Option<String>,
}

#[derive(Serialize)]
struct Offres {
    offres: i64,
    part_durables: Option<f64>,
    part_temps_plein: Option<f64>,
    salaire_q1: Option<f64>,
    salaire_median: Option<f64>,
    salaire_q3: Option<f64>,
    salaires_connus: Option<i64>,
    duree_mediane_jours: Option<f64>,
}

#[derive(Serialize)]
struct Proche {
    code: String,
    libelle: String,
    part_communes: Option<f64>,
    level: Option<i32>,
}

#[derive(Serialize)]
struct Skill {
    libelle: Option<String>,
    type_competence: Option<String>,
    part: Option<f64>,
    offres: Option<i64>,
}

#[derive(Serialize)]
struct ForecastRow {
    period: String,
    mean: f64,
    lo95: Option<f64>,
    hi95: Option<f64>,
}

#[derive(Serialize)]
struct Forecast {
    dimension: String,
    label: Option<String>,
    model: String,
    holdout_coverage95: Option<f64>,
    backtest_mase: Option<f64>,
    points: Vec<ForecastRow>,
}

#[derive(Serialize)]
struct Page {
    metier: lookup::Metier,
    /// The nomenclature whose tension rows describe this métier (FAP 2009 métiers: none).
    tension_nomenclature: Option<&'static str>,
    national: Option<National>,
    zones: Vec<TerritoryLevel>,
    zones_with_level: usize,
    offres: Option<Offres>,
    proches: Vec<Proche>,
    skills: Vec<Skill>,
    forecast: Option<Forecast>,
}

fn valid(code: &str) -> bool {
    (3..=8).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric())
}

fn load(conn: &Connection, code: &str) -> anyhow::Result<Option<Page>> {
    let Some(metier) = lookup::metier(conn, code)? else {
        return Ok(None);
    };
    let nomenclature = match metier.nomenclature {
        "rome" => Some("rome"),
        "fap2021" => Some("fap2021"),
        _ => None,
    };
    let tension_of = |kind: &str| -> anyhow::Result<Vec<(String, National)>> {
        let Some(n) = nomenclature else {
            return Ok(vec![]);
        };
        Ok(conn
            .prepare(
                "SELECT code, level, score, indicator, diff_value, projets, offres, dares_2019_category, suppressed_reason
                 FROM ind_tension WHERE kind = ? AND nomenclature = ? AND metier = ?",
            )?
            .query_map([kind, n, code], |r| {
                Ok((
                    r.get(0)?,
                    National {
                        level: r.get(1)?,
                        score: r.get(2)?,
                        indicator: r.get(3)?,
                        difficultes: r.get(4)?,
                        projets: r.get(5)?,
                        offres: r.get(6)?,
                        dares_2019: r.get(7)?,
                        suppressed: r.get(8)?,
                    },
                ))
            })?
            .collect::<Result<_, _>>()?)
    };
    let national = tension_of("fr")?.into_iter().next().map(|x| x.1);
    let names: std::collections::HashMap<String, String> = lookup::territories(conn, Some("ze"))?
        .into_iter()
        .map(|t| (t.code, t.libelle))
        .collect();
    let mut zones: Vec<TerritoryLevel> = tension_of("ze")?
        .into_iter()
        .map(|(c, n)| TerritoryLevel {
            libelle: names.get(&c).cloned().unwrap_or_else(|| c.clone()),
            code: c,
            level: n.level,
            level_text: n.level.map(level_text),
            difficultes: n.difficultes,
            projets: n.projets,
            offres: n.offres,
            suppressed: n.suppressed,
        })
        .collect();
    zones.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then(b.projets.cmp(&a.projets))
            .then_with(|| {
                crate::text::collation_key(&a.libelle).cmp(&crate::text::collation_key(&b.libelle))
            })
    });
    let zones_with_level = zones.iter().filter(|z| z.level.is_some()).count();
    let dim = metier.nomenclature;
    let offres = conn
        .prepare(
            "SELECT offres, part_durables, part_temps_plein, salaire_q1, salaire_median, salaire_q3, n_salaires,
                    duree_mediane_jours
             FROM ind_offres WHERE kind = 'fr' AND dimension = ? AND key = ? AND periode = 'actuel'",
        )?
        .query_map([dim, code], |r| {
            Ok(Offres {
                offres: r.get(0)?,
                // stored as shares in [0, 1]
                part_durables: r.get::<_, Option<f64>>(1)?.map(|p| p * 100.0),
                part_temps_plein: r.get::<_, Option<f64>>(2)?.map(|p| p * 100.0),
                salaire_q1: r.get(3)?,
                salaire_median: r.get(4)?,
                salaire_q3: r.get(5)?,
                salaires_connus: r.get(6)?,
                duree_mediane_jours: r.get(7)?,
            })
        })?
        .next()
        .transpose()?;
    let labels = lookup::rome_labels(conn)?;
    let proches: Vec<Proche> = if dim == "rome" {
        conn.prepare(
            "SELECT m.rome_cible, m.part_communes, t.level FROM ind_mobilite m
             LEFT JOIN ind_tension t ON t.kind = 'fr' AND t.nomenclature = 'rome' AND t.metier = m.rome_cible
             WHERE m.rome = ? ORDER BY m.ordre, m.rome_cible LIMIT 12",
        )?
        .query_map([code], |r| {
            let c: String = r.get(0)?;
            Ok(Proche {
                libelle: labels.get(&c).cloned().unwrap_or_else(|| c.clone()),
                code: c,
                part_communes: r.get::<_, Option<f64>>(1)?.map(|p| p * 100.0),
                level: r.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?
    } else {
        vec![]
    };
    let skills: Vec<Skill> = conn
        .prepare(
            "SELECT libelle, type_competence, part, offres FROM ind_competences
             WHERE kind = 'fr' AND nature = 'observee' AND dimension = ? AND key = ?
             ORDER BY offres DESC NULLS LAST, competence LIMIT 15",
        )?
        .query_map([dim, code], |r| {
            Ok(Skill {
                libelle: r.get(0)?,
                type_competence: r.get(1)?,
                part: r.get::<_, Option<f64>>(2)?.map(|p| p * 100.0),
                offres: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    // the national DARES tension forecast of the FAP 2009 family
    let fap09 = if dim == "fap2009" {
        Some(code.to_string())
    } else {
        metier.fap2009.first().map(|f| f.0.clone())
    };
    let forecast = match fap09 {
        None => None,
        Some(f) => {
            let head = conn
                .prepare(
                    "SELECT dimension, label, model, holdout_coverage95, backtest_mase FROM fc_series
                     WHERE family = 'tension_dares' AND kind = 'fr' AND dimension = ?",
                )?
                .query_map([&f], |r| {
                    Ok(Forecast {
                        dimension: r.get(0)?,
                        label: r.get(1)?,
                        model: r.get(2)?,
                        holdout_coverage95: r.get::<_, Option<f64>>(3)?.map(|c| c * 100.0),
                        backtest_mase: r.get(4)?,
                        points: vec![],
                    })
                })?
                .next()
                .transpose()?;
            match head {
                None => None,
                Some(mut h) => {
                    h.points = conn
                        .prepare(
                            "SELECT period, mean, lo95, hi95 FROM fc_points
                             WHERE family = 'tension_dares' AND kind = 'fr' AND dimension = ? ORDER BY step",
                        )?
                        .query_map([&f], |r| {
                            Ok(ForecastRow { period: r.get(0)?, mean: r.get(1)?, lo95: r.get(2)?, hi95: r.get(3)? })
                        })?
                        .collect::<Result<_, _>>()?;
                    Some(h)
                }
            }
        }
    };
    Ok(Some(Page {
        metier,
        tension_nomenclature: nomenclature,
        national,
        zones,
        zones_with_level,
        offres,
        proches,
        skills,
        forecast,
    }))
}

pub async fn page(
    State(state): State<AppState>,
    P(code): P<String>,
) -> Result<Html<String>, AppError> {
    let code = code.to_ascii_uppercase();
    if !valid(&code) {
        return Err(AppError::bad_request(
            "Code de métier mal formé : un code ROME (H2101), FAP 2021 (T2A60) ou FAP 2009 (A0Z40).",
        ));
    }
    let geo = state.geo().await?;
    let c2 = code.clone();
    let Some(p) = state.db.call(move |c| load(c, &c2)).await? else {
        return Err(AppError::not_found(format!(
            "Le métier {code} n'existe ni dans le ROME 4.0, ni dans les FAP 2021 ou 2009."
        )));
    };
    let by_zone: std::collections::HashMap<&str, &TerritoryLevel> =
        p.zones.iter().map(|z| (z.code.as_str(), z)).collect();
    let map = maps::zones(
        &geo,
        &format!("Tension : {} par zone d'emploi", p.metier.libelle),
        "Niveau de tension du métier par zone d'emploi, de 1 (teinte la plus claire) à 5 (la plus foncée) ; hachures : niveau non publiable.",
        |code| {
            let z = by_zone.get(code)?;
            Some((
                z.level.map(|l| format!("c{}", l - 1)).unwrap_or_else(|| "na".into()),
                format!(
                    "{} : {}",
                    z.libelle,
                    z.level
                        .map(|l| format!("niveau {l} ({})", level_text(l)))
                        .unwrap_or_else(|| "non publiable".into())
                ),
            ))
        },
        !p.zones.is_empty(),
    );
    let sources = state.db.call(|c| crate::status::sources(c)).await?;
    let sources: std::collections::HashMap<String, crate::status::SourceStatus> =
        sources.into_iter().map(|s| (s.id.clone(), s)).collect();
    state.render("metier.html", context! { p, map, sources })
}
