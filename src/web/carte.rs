//! `/carte?indicateur=…&niveau=ze|bassin|dep`: a choropleth of one indicator, five quantile
//! classes on a light-to-dark ramp (readable in greyscale), missing values hatched, overseas
//! territories as insets, the same values in a table, and each area linking to its territory.
use axum::extract::State;
use axum::response::Html;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::charts::fr;
use super::extract::Q;
use super::maps::{self, Paint};
use super::{AppError, AppState};

pub struct Indicateur {
    pub id: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub digits: usize,
    pub levels: &'static [&'static str],
    pub source: &'static str,
    pub method: &'static str,
    /// `?1` = kind; returns `(code, value, period)`.
    sql: &'static str,
}

pub const INDICATEURS: &[Indicateur] = &[
    Indicateur {
        id: "chomage",
        label: "Taux de chômage localisé",
        unit: "%",
        digits: 1,
        levels: &["ze"],
        source: "insee-chomage-ze",
        method: "/methodologie#chomage",
        sql: "SELECT code, taux, trimestre FROM ind_chomage
              WHERE kind = ?1 AND trimestre = (SELECT max(trimestre) FROM ind_chomage WHERE kind = ?1)",
    },
    Indicateur {
        id: "emploi-evolution",
        label: "Évolution sur un an de l'emploi salarié privé",
        unit: "%",
        digits: 1,
        levels: &["ze"],
        source: "urssaf-emploi-ze",
        method: "/methodologie#emploi",
        sql: "SELECT code, 100 * evol_1an, trimestre FROM ind_emploi_dynamique WHERE kind = ?1",
    },
    Indicateur {
        id: "offres",
        label: "Offres d'emploi en cours",
        unit: "offres",
        digits: 0,
        levels: &["ze", "bassin", "dep"],
        source: "ft-offres-echantillon",
        method: "/methodologie#offres",
        sql: "SELECT code, offres::DOUBLE, 'actuel' FROM ind_offres
              WHERE kind = ?1 AND dimension = 'total' AND periode = 'actuel'",
    },
    Indicateur {
        id: "bmo-projets",
        label: "Projets de recrutement (BMO)",
        unit: "projets",
        digits: 0,
        levels: &["ze", "bassin", "dep"],
        source: "ft-bmo",
        method: "/methodologie#bmo",
        sql: "SELECT code, sum(projets)::DOUBLE, max(annee)::VARCHAR FROM ind_bmo_metier
              WHERE kind = ?1 AND annee = (SELECT max(annee) FROM ind_bmo_metier) GROUP BY code",
    },
    Indicateur {
        id: "bmo-difficiles",
        label: "Part des projets de recrutement jugés difficiles (BMO)",
        unit: "%",
        digits: 1,
        levels: &["ze", "bassin", "dep"],
        source: "ft-bmo",
        method: "/methodologie#bmo",
        // not published under 20 known projects (as on the territory pages)
        sql: "SELECT code, CASE WHEN sum(base_difficiles) >= 20 THEN 100.0 * sum(difficiles) / sum(base_difficiles) END,
                     max(annee)::VARCHAR
              FROM ind_bmo_metier WHERE kind = ?1 AND annee = (SELECT max(annee) FROM ind_bmo_metier) GROUP BY code",
    },
];

pub fn level_label(kind: &str) -> &'static str {
    match kind {
        "ze" => "zones d'emploi",
        "bassin" => "bassins d'emploi BMO",
        "dep" => "départements",
        _ => "territoires",
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarteQuery {
    indicateur: Option<String>,
    niveau: Option<String>,
}

#[derive(Serialize)]
struct Row {
    code: String,
    libelle: String,
    value: Option<f64>,
    shown: String,
    class: String,
    /// 1-based class number (none for missing values).
    rank: Option<usize>,
}

#[derive(Serialize)]
struct LegendItem {
    class: String,
    text: String,
    count: usize,
}

/// Quantile breaks (4 inner breaks → 5 classes) of sorted values.
pub fn breaks(sorted: &[f64]) -> Vec<f64> {
    if sorted.is_empty() {
        return vec![];
    }
    let mut b: Vec<f64> = (1..5)
        .map(|i| sorted[(i * sorted.len() / 5).min(sorted.len() - 1)])
        .collect();
    b.dedup();
    b
}

pub fn class_of(v: f64, breaks: &[f64]) -> usize {
    breaks.iter().filter(|b| v >= **b).count()
}

pub async fn page(
    State(state): State<AppState>,
    Q(q): Q<CarteQuery>,
) -> Result<Html<String>, AppError> {
    let id = q.indicateur.unwrap_or_else(|| "chomage".into());
    let Some(ind) = INDICATEURS.iter().find(|i| i.id == id) else {
        return Err(AppError::bad_request(format!(
            "Indicateur « {id} » inconnu : {}.",
            INDICATEURS
                .iter()
                .map(|i| i.id)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let niveau = q.niveau.unwrap_or_else(|| ind.levels[0].to_string());
    if !["ze", "bassin", "dep"].contains(&niveau.as_str()) {
        return Err(AppError::bad_request(format!(
            "Niveau « {niveau} » inconnu : ze, bassin ou dep."
        )));
    }
    if !ind.levels.contains(&niveau.as_str()) {
        return Err(AppError::bad_request(format!(
            "L'indicateur « {} » n'est publié que pour : {}.",
            ind.label,
            ind.levels
                .iter()
                .map(|l| level_label(l))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let geo = state.geo().await?;
    let (kind, sql) = (niveau.clone(), ind.sql);
    let (values, territories, source) = state
        .db
        .call(move |c| {
            let values: Vec<(String, Option<f64>, Option<String>)> = c
                .prepare(sql)?
                .query_map([&kind], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?;
            let territories = crate::referentials::lookup::territories(c, Some(&kind))?;
            let source = crate::status::sources(c)?;
            Ok((values, territories, source))
        })
        .await?;
    let source = source.into_iter().find(|s| s.id == ind.source);
    let period = values.iter().find_map(|v| v.2.clone()).unwrap_or_default();
    let by_code: std::collections::HashMap<&str, Option<f64>> =
        values.iter().map(|(c, v, _)| (c.as_str(), *v)).collect();
    let mut sorted: Vec<f64> = values.iter().filter_map(|v| v.1).collect();
    sorted.sort_by(f64::total_cmp);
    let br = breaks(&sorted);
    let classes = br.len() + 1;
    let shown = |v: f64| {
        if ind.unit == "%" {
            format!("{} %", fr(v, ind.digits))
        } else {
            fr(v, ind.digits)
        }
    };
    let mut rows: Vec<Row> = territories
        .iter()
        .map(|t| {
            let value = by_code.get(t.code.as_str()).copied().flatten();
            Row {
                code: t.code.clone(),
                libelle: t.libelle.clone(),
                value,
                shown: value.map(shown).unwrap_or_else(|| "n.d.".into()),
                class: value
                    .map(|v| format!("c{}", class_of(v, &br)))
                    .unwrap_or_else(|| "na".into()),
                rank: value.map(|v| class_of(v, &br) + 1),
            }
        })
        .collect();
    let names: std::collections::HashMap<&str, &Row> =
        rows.iter().map(|r| (r.code.as_str(), r)).collect();
    let svg = maps::render(
        &geo,
        &niveau,
        &format!("{} par {}", ind.label, level_label(&niveau)),
        &format!(
            "Carte de France en {classes} classes de même effectif (quantiles), de la plus claire (valeurs faibles) à la plus foncée (valeurs fortes) ; hachures : donnée non disponible."
        ),
        |code| {
            let r = names.get(code)?;
            Some(Paint {
                class: r.class.clone(),
                title: format!("{} ({}) : {}", r.libelle, r.code, r.shown),
                href: Some(format!("/territoires/{niveau}/{code}")),
            })
        },
    );
    let mut legend = Vec::new();
    for c in 0..classes {
        let lo = if c == 0 {
            sorted.first().copied()
        } else {
            Some(br[c - 1])
        };
        let hi = if c + 1 == classes {
            sorted.last().copied()
        } else {
            Some(br[c])
        };
        let text = match (lo, hi) {
            (Some(a), Some(b)) if c + 1 == classes => format!("de {} à {}", shown(a), shown(b)),
            (Some(a), Some(b)) => format!("de {} à moins de {}", shown(a), shown(b)),
            _ => String::new(),
        };
        let count = rows.iter().filter(|r| r.class == format!("c{c}")).count();
        legend.push(LegendItem {
            class: format!("c{c}"),
            text,
            count,
        });
    }
    let missing = rows.iter().filter(|r| r.value.is_none()).count();
    let unmapped: Vec<&str> = {
        let codes = geo.codes(&niveau);
        rows.iter()
            .filter(|r| !codes.contains(&r.code.as_str()))
            .map(|r| r.code.as_str())
            .collect()
    };
    let unmapped = unmapped.len();
    rows.sort_by(|a, b| {
        b.value
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.value.unwrap_or(f64::NEG_INFINITY))
            .then_with(|| a.libelle.cmp(&b.libelle))
    });
    let choices: Vec<_> = INDICATEURS
        .iter()
        .map(|i| context! { id => i.id, label => i.label, levels => i.levels })
        .collect();
    state.render(
        "carte.html",
        context! {
            ind => context! { id => ind.id, label => ind.label, unit => ind.unit, method => ind.method },
            niveau, niveau_label => level_label(&niveau), period, svg, legend, missing, unmapped,
            rows, choices, source,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quintile_classes() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        let b = breaks(&v);
        assert_eq!(b, vec![3.0, 5.0, 7.0, 9.0]);
        assert_eq!(class_of(1.0, &b), 0);
        assert_eq!(class_of(5.0, &b), 2);
        assert_eq!(class_of(10.0, &b), 4);
    }
}
