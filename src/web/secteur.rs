//! `/secteurs/{naf}` (NAF rév. 2 at A21, A38 or A88): the sector's open offers across zones
//! d'emploi (map and table) and in France, its salaried employment where the data has sectors,
//! and its employment forecast.
use axum::extract::State;
use axum::response::Html;
use duckdb::Connection;
use minijinja::context;
use serde::Serialize;

use super::extract::P;
use super::maps;
use super::{AppError, AppState};

#[derive(Serialize)]
struct Zone {
    code: String,
    libelle: String,
    offres: i64,
    part_durables: Option<f64>,
    salaire_median: Option<f64>,
    class: String,
}

#[derive(Serialize)]
struct Emploi {
    kind: String,
    code: String,
    libelle: String,
    annee_debut: i32,
    annee_fin: i32,
    debut: Option<i64>,
    fin: Option<i64>,
    variation: Option<i64>,
}

#[derive(Serialize)]
struct Page {
    code: String,
    niveau: String,
    libelle: String,
    france_offres: Option<i64>,
    france_salaire: Option<f64>,
    zones: Vec<Zone>,
    emploi: Vec<Emploi>,
    forecasts: Vec<ForecastRow>,
}

/// territory, period, mean, low 95, high 95, model, measured 95 % coverage.
type ForecastRow = (
    String,
    String,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    String,
    Option<f64>,
);
/// kind, code, offers, share durable, median salary.
type OfferRow = (String, String, i64, Option<f64>, Option<f64>);

fn load(conn: &Connection, code: &str) -> anyhow::Result<Option<Page>> {
    let Some((niveau, libelle)) = crate::referentials::lookup::naf(conn, code)? else {
        return Ok(None);
    };
    if !["a21", "a38", "a88"].contains(&niveau.as_str()) {
        return Ok(None);
    }
    let dim = format!("naf_{niveau}");
    let names: std::collections::HashMap<(String, String), String> =
        crate::referentials::lookup::territories(conn, None)?
            .into_iter()
            .map(|t| ((t.kind, t.code), t.libelle))
            .collect();
    let rows: Vec<OfferRow> = conn
        .prepare(
            "SELECT kind, code, offres, part_durables, salaire_median FROM ind_offres
             WHERE dimension = ? AND key = ? AND periode = 'actuel' AND kind IN ('ze', 'fr')",
        )?
        .query_map([&dim, code], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?;
    let france = rows.iter().find(|r| r.0 == "fr");
    let mut values: Vec<f64> = rows
        .iter()
        .filter(|r| r.0 == "ze")
        .map(|r| r.2 as f64)
        .collect();
    values.sort_by(f64::total_cmp);
    let br = super::carte::breaks(&values);
    let mut zones: Vec<Zone> = rows
        .iter()
        .filter(|r| r.0 == "ze")
        .map(|r| Zone {
            libelle: names
                .get(&(r.0.clone(), r.1.clone()))
                .cloned()
                .unwrap_or_else(|| r.1.clone()),
            code: r.1.clone(),
            offres: r.2,
            part_durables: r.3.map(|p| p * 100.0),
            salaire_median: r.4,
            class: format!("c{}", super::carte::class_of(r.2 as f64, &br)),
        })
        .collect();
    zones.sort_by(|a, b| {
        b.offres
            .cmp(&a.offres)
            .then_with(|| a.libelle.cmp(&b.libelle))
    });
    let emploi: Vec<Emploi> = conn
        .prepare(
            "SELECT kind, code, annee_debut, annee_fin, effectifs_debut, effectifs_fin, variation FROM ind_secteurs
             WHERE niveau = ? AND secteur = ? ORDER BY kind, code, annee_fin DESC, annee_debut",
        )?
        .query_map([&niveau, code], |r| {
            let (k, c): (String, String) = (r.get(0)?, r.get(1)?);
            Ok(Emploi {
                libelle: names.get(&(k.clone(), c.clone())).cloned().unwrap_or_else(|| c.clone()),
                kind: k,
                code: c,
                annee_debut: r.get(2)?,
                annee_fin: r.get(3)?,
                debut: r.get(4)?,
                fin: r.get(5)?,
                variation: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let forecasts = conn
        .prepare(
            "SELECT s.kind || ':' || s.code, p.period, p.mean, p.lo95, p.hi95, s.model, s.holdout_coverage95
             FROM fc_series s JOIN fc_points p USING (family, kind, code, dimension)
             WHERE s.family = 'emploi_secteur' AND s.dimension = ? ORDER BY 1, p.step",
        )?
        .query_map([code], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get::<_, Option<f64>>(6)?.map(|c| c * 100.0)))
        })?
        .collect::<Result<_, _>>()?;
    Ok(Some(Page {
        code: code.into(),
        niveau: niveau.to_uppercase(),
        libelle,
        france_offres: france.map(|f| f.2),
        france_salaire: france.and_then(|f| f.4),
        zones,
        emploi,
        forecasts,
    }))
}

pub async fn page(
    State(state): State<AppState>,
    P(code): P<String>,
) -> Result<Html<String>, AppError> {
    let code = code.to_ascii_uppercase();
    if code.is_empty() || code.len() > 6 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::bad_request(
            "Code de secteur mal formé : un code NAF rév. 2 de niveau A21 (F), A38 (FZ) ou A88 (43).",
        ));
    }
    let geo = state.geo().await?;
    let c2 = code.clone();
    let Some(p) = state.db.call(move |c| load(c, &c2)).await? else {
        return Err(AppError::not_found(format!(
            "Le secteur {code} n'existe pas dans la NAF rév. 2 aux niveaux A21, A38 ou A88."
        )));
    };
    let by: std::collections::HashMap<&str, &Zone> =
        p.zones.iter().map(|z| (z.code.as_str(), z)).collect();
    let map = maps::zones(
        &geo,
        &format!("Offres d'emploi du secteur {} par zone d'emploi", p.libelle),
        "Offres en cours du secteur par zone d'emploi, en cinq classes de même effectif, de la plus claire à la plus foncée ; zones grises : aucune offre.",
        |code| {
            let z = by.get(code)?;
            Some((z.class.clone(), format!("{} : {} offres", z.libelle, z.offres)))
        },
        !p.zones.is_empty(),
    );
    state.render("secteur.html", context! { p, map })
}
