//! Territory dashboard `/territoires/{kind}/{code}`: unemployment, salaried employment, BMO
//! recruitment projects and job offers by métier, each with its source, vintage and method.
use std::collections::HashMap;

use axum::extract::State;
use axum::response::{Html, IntoResponse};
use duckdb::Connection;
use minijinja::context;
use serde::Serialize;

use super::extract::P;
use super::home::kind_label;
use super::territoire_bmo::{bmo, offres, BmoBassin, BmoMetier, BmoTotal, Offres};
use super::{api::KINDS, AppError, AppState};
use crate::status::SourceStatus;

#[derive(Serialize)]
pub(super) struct Serie {
    last_period: String,
    last_value: f64,
    prev_year_period: Option<String>,
    change: Option<f64>,
    first_period: String,
    min: f64,
    max: f64,
    points: String,
    pub(super) values: Vec<(String, f64)>,
}

#[derive(Serialize)]
pub(super) struct Dashboard {
    kind: String,
    kind_label: &'static str,
    code: String,
    libelle: String,
    nb_communes: i64,
    departements: Vec<(String, String)>,
    pub(super) libelle_court: String,
    pub(super) chomage: Option<Serie>,
    pub(super) emploi: Option<Serie>,
    bmo_total: Option<BmoTotal>,
    bmo_bassins: Vec<BmoBassin>,
    bmo_metiers: Vec<BmoMetier>,
    offres: Option<Offres>,
    sources: HashMap<String, SourceStatus>,
    tension: super::territoire_analyses::Tension,
    secteurs: Option<super::territoire_analyses::Secteurs>,
    competences: Option<super::territoire_analyses::Competences>,
    previsions: Vec<super::territoire_analyses::Forecast>,
    /// Forecasts computed at all (else the page says the job has not run yet).
    previsions_calculees: bool,
    tree: super::territoire_analyses::Tree,
    locator: String,
    chomage_chart: String,
    emploi_chart: String,
    followed: bool,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashQuery {
    /// Sort of the tension table: niveau, metier, projets, difficultes, offres, dares.
    tri: Option<String>,
    /// Page of the tension table (from 1).
    page: Option<usize>,
}

pub async fn page(
    State(state): State<AppState>,
    P((kind, code)): P<(String, String)>,
    super::extract::Q(q): super::extract::Q<DashQuery>,
) -> Result<axum::response::Response, AppError> {
    let tri = q.tri.unwrap_or_else(|| "niveau".into());
    if !super::territoire_analyses::TENSION_SORTS
        .iter()
        .any(|(k, _)| *k == tri)
    {
        return Err(AppError::bad_request(format!(
            "Tri « {tri} » inconnu : {}.",
            super::territoire_analyses::TENSION_SORTS
                .iter()
                .map(|s| s.0)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if q.page == Some(0) {
        return Err(AppError::bad_request(
            "Les pages sont numérotées à partir de 1.",
        ));
    }
    // `/territoires/ze/2815.csv`: the headline figures as a table
    for ext in ["csv", "xlsx", "parquet"] {
        if let Some(code) = code.strip_suffix(&format!(".{ext}")) {
            let path = format!("/territoires/{kind}/{code}");
            let d = load(&state, kind, code.to_string(), tri, 1).await?;
            let url = format!("{path}.{ext}");
            return Ok(super::export::download(
                &synthese(&d),
                &format!("{path}_synthese"),
                url,
                ext,
            )
            .await);
        }
    }
    let d = load(&state, kind, code, tri, q.page.unwrap_or(1)).await?;
    Ok(state
        .render("territoire.html", context! { d })?
        .into_response())
}

/// The headline figures of a dashboard as a collection (one row per indicator, with its period
/// and source), for `/territoires/{kind}/{code}.csv|xlsx|parquet`.
fn synthese(d: &Dashboard) -> serde_json::Value {
    use serde_json::json;
    let src = |id: &str| -> Vec<serde_json::Value> {
        d.sources
            .get(id)
            .map(|s| {
                vec![json!({"id": s.id, "name": s.name, "publisher": s.publisher, "vintage": s.vintage,
                            "licence": s.licence, "url": s.url, "method": format!("/methodologie#{}", s.method_anchor)})]
            })
            .unwrap_or_default()
    };
    let row = |indicateur: &str, valeur: Option<f64>, unite: &str, periode: &str, source: &str| {
        // computed changes and shares to two decimals (no floating-point noise in a spreadsheet)
        let valeur = valeur.map(|v| (v * 100.0).round() / 100.0);
        json!({"territoire": format!("{}:{}", d.kind, d.code), "libelle": d.libelle, "indicateur": indicateur,
               "valeur": valeur, "unite": unite, "periode": periode, "sources": src(source)})
    };
    let mut items = Vec::new();
    if let Some(c) = &d.chomage {
        items.push(row(
            "Taux de chômage",
            Some(c.last_value),
            "%",
            &c.last_period,
            "insee-chomage-ze",
        ));
        items.push(row(
            "Évolution du taux de chômage sur un an",
            c.change,
            "points",
            &c.last_period,
            "insee-chomage-ze",
        ));
    }
    if let Some(e) = &d.emploi {
        items.push(row(
            "Emploi salarié privé (CVS)",
            Some(e.last_value),
            "salariés",
            &e.last_period,
            "urssaf-emploi-ze",
        ));
        items.push(row(
            "Évolution de l'emploi salarié sur un an",
            e.change,
            "%",
            &e.last_period,
            "urssaf-emploi-ze",
        ));
    }
    if let Some(b) = &d.bmo_total {
        let year = b.annee.to_string();
        items.push(row(
            "Projets de recrutement (BMO)",
            Some(b.projets as f64),
            "projets",
            &year,
            "ft-bmo",
        ));
        items.push(row(
            "Part des projets jugés difficiles",
            b.part_difficiles,
            "%",
            &year,
            "ft-bmo",
        ));
    }
    if let Some(o) = &d.offres {
        let period = format!("{} au {}", o.debut, o.fin);
        let source = o
            .sources
            .first()
            .map(String::as_str)
            .unwrap_or("ft-offres-echantillon");
        items.push(row(
            "Offres d'emploi en cours",
            Some(o.total as f64),
            "offres",
            &period,
            source,
        ));
    }
    let (strong, ranked) = d.tension.in_tension();
    items.push(row(
        "Métiers en tension forte ou très forte (niveaux 4-5)",
        Some(strong as f64),
        "métiers FAP 2021",
        "BMO 2024",
        "ft-bmo",
    ));
    items.push(row(
        "Métiers classés en tension",
        Some(ranked as f64),
        "métiers FAP 2021",
        "BMO 2024",
        "ft-bmo",
    ));
    json!({"items": items, "method": "/methodologie"})
}

/// `/fiche/{kind}/{code}`: the two-page synthesis for élus, from the same figures.
pub async fn fiche(
    State(state): State<AppState>,
    P((kind, code)): P<(String, String)>,
) -> Result<Html<String>, AppError> {
    let d = load(&state, kind, code, "niveau".into(), 1).await?;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y")
        .to_string();
    state.render("fiche.html", context! { d, today })
}

/// The dashboard of a territory (404 when unknown, 400 when malformed), with its locator map.
async fn load(
    state: &AppState,
    kind: String,
    code: String,
    tri: String,
    page: usize,
) -> Result<Dashboard, AppError> {
    if !KINDS.contains(&kind.as_str()) {
        return Err(AppError::bad_request(format!(
            "Type de territoire « {kind} » inconnu : utilisez ze, bassin, dep, reg ou custom."
        )));
    }
    if !super::api::valid_code(&code) {
        return Err(AppError::bad_request("Code de territoire mal formé."));
    }
    let geo = state.geo().await?;
    let followed = state
        .runner
        .config
        .observatory
        .followed
        .contains(&format!("{kind}:{code}"));
    let d = state
        .db
        .call(move |conn| dashboard(conn, &kind, &code, &tri, page))
        .await?;
    let Some(mut d) = d else {
        return Err(AppError::not_found(
            "Ce territoire n'existe pas dans l'observatoire.",
        ));
    };
    d.followed = followed;
    // the map locating the territory: its own shape, or its départements
    let (layer, codes): (&str, Vec<String>) = match d.kind.as_str() {
        "ze" | "bassin" | "dep" if geo.has_layer(&d.kind) => {
            (d.kind.as_str(), vec![d.code.clone()])
        }
        _ => ("dep", d.departements.iter().map(|x| x.0.clone()).collect()),
    };
    d.locator = super::maps::locator(
        &geo,
        layer,
        &codes,
        &format!("Carte de situation : {} en France", d.libelle),
    );
    Ok(d)
}

pub(super) fn dashboard(
    conn: &Connection,
    kind: &str,
    code: &str,
    tri: &str,
    page: usize,
) -> anyhow::Result<Option<Dashboard>> {
    use super::territoire_analyses as an;
    let Some(t) = crate::referentials::lookup::territory(conn, kind, code)? else {
        return Ok(None);
    };
    let (libelle, nb_communes) = (t.libelle, t.nb_communes);
    let departements = crate::referentials::lookup::departements_of(conn, kind, code)?;
    let chomage = serie(
        conn,
        "SELECT trimestre, taux FROM ind_chomage WHERE kind = ? AND code = ? ORDER BY 1",
        kind,
        code,
        false,
    )?;
    let emploi = serie(
        conn,
        "SELECT trimestre, effectifs_cvs::DOUBLE FROM ind_emploi_salarie WHERE kind = ? AND code = ? ORDER BY 1",
        kind,
        code,
        true,
    )?;
    let (bmo_total, bmo_bassins, bmo_metiers) = bmo(conn, kind, code)?;
    let offres = offres(conn, kind, code)?;
    let sources = crate::status::sources(conn)?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    let tension = an::tension(conn, kind, code, tri, page)?;
    let secteurs = an::secteurs(conn, kind, code)?;
    let competences = an::competences(conn, kind, code)?;
    let previsions = an::forecasts(conn, kind, code)?;
    let previsions_calculees: bool =
        conn.query_row("SELECT count(*) > 0 FROM fc_series", [], |r| r.get(0))?;
    let tree = an::tree(conn, kind, code, nb_communes)?;
    let chomage_chart = chomage
        .as_ref()
        .map(|s| chart(s, "Taux de chômage", "%", None))
        .unwrap_or_default();
    let france = if kind == "fr" {
        None
    } else {
        serie(
            conn,
            "SELECT trimestre, effectifs_cvs::DOUBLE FROM ind_emploi_salarie WHERE kind = ? AND code = ? ORDER BY 1",
            "fr",
            "FR",
            true,
        )?
    };
    let emploi_chart = emploi
        .as_ref()
        .map(|s| {
            chart(
                s,
                "Emploi salarié privé (indice 100 au début)",
                "indice",
                france.as_ref(),
            )
        })
        .unwrap_or_default();
    Ok(Some(Dashboard {
        libelle_court: libelle.clone(),
        tension,
        secteurs,
        competences,
        previsions,
        previsions_calculees,
        tree,
        locator: String::new(),
        chomage_chart,
        emploi_chart,
        followed: false,
        kind: kind.into(),
        kind_label: kind_label(kind),
        code: code.into(),
        libelle,
        nb_communes,
        departements,
        chomage,
        emploi,
        bmo_total,
        bmo_bassins,
        bmo_metiers,
        offres,
        sources,
    }))
}

/// The chart of a quarterly series; with `compare` (France), both as an index (100 at the first
/// common quarter), so that a zone's growth reads against the country's.
fn chart(s: &Serie, title: &str, unit: &str, compare: Option<&Serie>) -> String {
    use super::charts::{time_series, Line};
    let periods: Vec<String> = s.values.iter().map(|v| v.0.clone()).collect();
    let (main, other) = match compare {
        Some(c) => {
            let first = s
                .values
                .iter()
                .find(|(p, _)| c.values.iter().any(|(q, _)| q == p));
            let Some((p0, v0)) = first.cloned() else {
                return String::new();
            };
            let c0 = c
                .values
                .iter()
                .find(|(q, _)| *q == p0)
                .map(|x| x.1)
                .unwrap_or(1.0);
            let idx = |vals: &[(String, f64)], base: f64| -> Vec<(String, f64)> {
                vals.iter()
                    .filter(|(p, _)| *p >= p0 && periods.contains(p))
                    .map(|(p, v)| (p.clone(), v / base * 100.0))
                    .collect()
            };
            (idx(&s.values, v0), Some(idx(&c.values, c0)))
        }
        None => (s.values.clone(), None),
    };
    let periods: Vec<String> = main.iter().map(|v| v.0.clone()).collect();
    let mut lines = vec![Line {
        label: "territoire".into(),
        points: main.clone(),
        style: 0,
    }];
    let summary = match (&other, main.first(), main.last()) {
        (Some(o), Some(a), Some(b)) => format!(
            "De {} à {} : indice {} pour le territoire, {} pour la France (100 = {}).",
            a.0,
            b.0,
            super::charts::fr(b.1, 1),
            o.last()
                .map(|x| super::charts::fr(x.1, 1))
                .unwrap_or_default(),
            a.0
        ),
        (None, Some(a), Some(b)) => format!(
            "De {} à {} : de {} à {} {unit} (minimum {}, maximum {}).",
            a.0,
            b.0,
            super::charts::fr(a.1, 1),
            super::charts::fr(b.1, 1),
            super::charts::fr(s.min, 1),
            super::charts::fr(s.max, 1)
        ),
        _ => String::new(),
    };
    if let Some(o) = other {
        lines.push(Line {
            label: "France".into(),
            points: o,
            style: 1,
        });
    }
    time_series(title, &summary, unit, &periods, &lines, &[])
}

/// A quarterly series with its year-on-year change (points for a rate, % for a level) and an SVG
/// polyline (600 × 120 user units).
fn serie(
    conn: &Connection,
    sql: &str,
    kind: &str,
    code: &str,
    relative: bool,
) -> anyhow::Result<Option<Serie>> {
    let values: Vec<(String, f64)> = conn
        .prepare(sql)?
        .query_map([kind, code], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let Some((last_period, last_value)) = values.last().cloned() else {
        return Ok(None);
    };
    let prev = values.len().checked_sub(5).map(|i| values[i].clone());
    let change = prev.as_ref().map(|(_, p)| {
        if relative {
            (last_value / p - 1.0) * 100.0
        } else {
            last_value - p
        }
    });
    let min = values.iter().map(|v| v.1).fold(f64::INFINITY, f64::min);
    let max = values.iter().map(|v| v.1).fold(f64::NEG_INFINITY, f64::max);
    let span = if max > min { max - min } else { 1.0 };
    let n = values.len().max(2) - 1;
    let points = values
        .iter()
        .enumerate()
        .map(|(i, (_, v))| {
            format!(
                "{:.1},{:.1}",
                i as f64 * 600.0 / n as f64,
                110.0 - (v - min) / span * 100.0
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Some(Serie {
        first_period: values[0].0.clone(),
        last_period,
        last_value,
        prev_year_period: prev.map(|p| p.0),
        change,
        min,
        max,
        points,
        values,
    }))
}
