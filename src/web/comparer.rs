//! `/comparer?t=ze:2815&t=ze:1109…`: two to four territories side by side on the same
//! indicators, each beside France, with the unemployment rates on one chart.
use axum::extract::{RawQuery, State};
use axum::response::Html;
use minijinja::context;

use super::charts::{time_series, Line};
use super::territoire::{dashboard, Dashboard};
use super::{AppError, AppState};

pub const MAX: usize = 4;

/// The `t` parameters, each `kind:code`, validated.
fn parse(query: Option<&str>) -> Result<Vec<(String, String)>, AppError> {
    let mut out = Vec::new();
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if k != "t" {
            return Err(AppError::bad_request(format!(
                "Paramètre « {k} » inconnu : indiquez les territoires par t=type:code, par exemple t=ze:2815&t=ze:1109."
            )));
        }
        if v.is_empty() {
            continue;
        }
        if !v.contains(':') {
            return Err(AppError::bad_request(format!(
                "« {v} » : écrivez type:code, par exemple ze:2815 (types : ze, bassin, dep, reg, custom)."
            )));
        }
        let Some(pair) = super::api::parse_territory(&v) else {
            return Err(AppError::bad_request(format!(
                "« {v} » : type ou code de territoire invalide (types : ze, bassin, dep, reg, custom)."
            )));
        };
        if !out.contains(&pair) {
            out.push(pair);
        }
    }
    if out.len() > MAX {
        return Err(AppError::bad_request(format!(
            "Comparez au plus {MAX} territoires à la fois ({} demandés).",
            out.len()
        )));
    }
    Ok(out)
}

pub async fn page(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Html<String>, AppError> {
    let wanted = parse(query.as_deref())?;
    if wanted.len() == 1 {
        return Err(AppError::bad_request(
            "Indiquez au moins deux territoires à comparer (t=type:code deux fois ou plus).",
        ));
    }
    if wanted.is_empty() {
        return state.render(
            "comparer.html",
            context! { ds => Vec::<Dashboard>::new(), chart => "" },
        );
    }
    let w2 = wanted.clone();
    let (ds, france) = state
        .db
        .call(move |c| {
            let mut ds = Vec::new();
            for (k, code) in &w2 {
                ds.push(dashboard(c, k, code, "niveau", 1)?);
            }
            let france = dashboard(c, "fr", "FR", "niveau", 1)?;
            Ok((ds, france))
        })
        .await?;
    let mut found = Vec::new();
    for ((k, c), d) in wanted.iter().zip(ds) {
        match d {
            Some(d) => found.push(d),
            None => {
                return Err(AppError::not_found(format!(
                    "Le territoire {k}:{c} n'existe pas dans l'observatoire."
                )))
            }
        }
    }
    // one chart of the unemployment rates (zones only: the Insee publishes no other level)
    let lines: Vec<Line> = found
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let s = d.chomage.as_ref()?;
            let pts: Vec<(String, f64)> = s.values.iter().rev().take(40).rev().cloned().collect();
            Some(Line {
                label: d.libelle_court.clone(),
                points: pts,
                style: i as u8,
            })
        })
        .collect();
    let chart = if lines.len() >= 2 {
        let mut periods: Vec<String> = lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.0.clone()))
            .collect();
        periods.sort();
        periods.dedup();
        let names: Vec<String> = lines.iter().map(|l| l.label.clone()).collect();
        time_series(
            "Taux de chômage comparés",
            &format!(
                "Taux de chômage trimestriels de {} sur dix ans.",
                names.join(", ")
            ),
            "%",
            &periods,
            &lines,
            &[],
        )
    } else {
        String::new()
    };
    let ids: Vec<String> = wanted.iter().map(|(k, c)| format!("{k}:{c}")).collect();
    state.render(
        "comparer.html",
        context! { ds => found, france, chart, ids },
    )
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parameters() {
        assert_eq!(parse(Some("t=ze:2815&t=dep:76")).unwrap().len(), 2);
        assert_eq!(parse(Some("t=ze:2815&t=ze:2815")).unwrap().len(), 1);
        assert!(parse(Some("t=2815")).is_err());
        assert!(parse(Some("t=xx:1")).is_err());
        assert!(parse(Some("x=1")).is_err());
        assert!(parse(Some("t=ze:1&t=ze:2&t=ze:3&t=ze:4&t=ze:5")).is_err());
    }
}
