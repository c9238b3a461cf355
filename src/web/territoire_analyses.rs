//! The analyses of a territory's dashboard, read from the derived tables: métiers in tension
//! (sortable, paged), sectors that grow or shrink, skills asked for, forecasts with their
//! intervals and measured accuracy, and the territories above, below and beside it.
use duckdb::Connection;
use serde::Serialize;

use super::charts::{self, Band, Line};

pub const TENSION_PAGE: usize = 25;
/// Sort keys of the tension table (`?tri=`), each with its SQL order.
pub const TENSION_SORTS: [(&str, &str); 6] = [
    (
        "niveau",
        "level DESC NULLS LAST, score DESC NULLS LAST, projets DESC NULLS LAST, metier",
    ),
    ("metier", "label, metier"),
    ("projets", "projets DESC NULLS LAST, metier"),
    ("difficultes", "diff_value DESC NULLS LAST, metier"),
    ("offres", "offres DESC NULLS LAST, metier"),
    ("dares", "dares_2019_category DESC NULLS LAST, metier"),
];

pub fn level_text(level: i32) -> &'static str {
    match level {
        5 => "très forte",
        4 => "forte",
        3 => "moyenne",
        2 => "faible",
        _ => "très faible",
    }
}

#[derive(Serialize)]
pub struct TensionRow {
    metier: String,
    label: Option<String>,
    level: Option<i32>,
    level_text: Option<&'static str>,
    score: Option<f64>,
    difficultes: Option<f64>,
    saisonniers: Option<f64>,
    non_durables: Option<f64>,
    offres: Option<i64>,
    projets: Option<i64>,
    dares_2019: Option<f64>,
    indicator: Option<String>,
    suppressed: Option<String>,
}

#[derive(Serialize)]
pub struct Tension {
    rows: Vec<TensionRow>,
    total: usize,
    /// Rows with a level, and per level 5..1.
    with_level: usize,
    per_level: Vec<(i32, usize)>,
    page: usize,
    pages: usize,
    tri: String,
    indicator: Option<String>,
}

impl Tension {
    /// Métiers at level 4 or 5, and métiers with a level.
    pub fn in_tension(&self) -> (usize, usize) {
        let strong = self
            .per_level
            .iter()
            .filter(|(l, _)| *l >= 4)
            .map(|x| x.1)
            .sum();
        (strong, self.with_level)
    }
}

pub fn tension(
    conn: &Connection,
    kind: &str,
    code: &str,
    tri: &str,
    page: usize,
) -> anyhow::Result<Tension> {
    let order = TENSION_SORTS
        .iter()
        .find(|(k, _)| *k == tri)
        .map(|(_, o)| *o)
        .unwrap_or(TENSION_SORTS[0].1);
    let counts: Vec<(Option<i32>, usize)> = conn
        .prepare(
            "SELECT level, count(*) FROM ind_tension WHERE kind = ? AND code = ? AND nomenclature = 'fap2021'
             GROUP BY level",
        )?
        .query_map([kind, code], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize)))?
        .collect::<Result<_, _>>()?;
    let total: usize = counts.iter().map(|c| c.1).sum();
    let with_level = counts.iter().filter(|c| c.0.is_some()).map(|c| c.1).sum();
    let per_level = (1..=5)
        .rev()
        .map(|l| {
            (
                l,
                counts
                    .iter()
                    .find(|c| c.0 == Some(l))
                    .map(|c| c.1)
                    .unwrap_or(0),
            )
        })
        .collect();
    let pages = total.div_ceil(TENSION_PAGE).max(1);
    let page = page.clamp(1, pages);
    let rows: Vec<TensionRow> = conn
        .prepare(&format!(
            "SELECT metier, label, level, score, diff_value, saison_value, nondur_value, offres, projets,
                    dares_2019_category, indicator, suppressed_reason
             FROM ind_tension WHERE kind = ? AND code = ? AND nomenclature = 'fap2021'
             ORDER BY {order} LIMIT {TENSION_PAGE} OFFSET {}",
            (page - 1) * TENSION_PAGE
        ))?
        .query_map([kind, code], |r| {
            let level: Option<i32> = r.get(2)?;
            Ok(TensionRow {
                metier: r.get(0)?,
                label: r.get(1)?,
                level,
                level_text: level.map(level_text),
                score: r.get(3)?,
                difficultes: r.get(4)?,
                saisonniers: r.get(5)?,
                non_durables: r.get(6)?,
                offres: r.get(7)?,
                projets: r.get(8)?,
                dares_2019: r.get(9)?,
                indicator: r.get(10)?,
                suppressed: r.get(11)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let indicator = rows.iter().find_map(|r| r.indicator.clone());
    Ok(Tension {
        rows,
        total,
        with_level,
        per_level,
        page,
        pages,
        tri: tri.to_string(),
        indicator,
    })
}

#[derive(Serialize)]
pub struct Secteur {
    code: String,
    libelle: Option<String>,
    debut: Option<i64>,
    fin: Option<i64>,
    variation: Option<i64>,
    evolution_pct: Option<f64>,
}

#[derive(Serialize)]
pub struct Secteurs {
    annee_debut: i32,
    annee_fin: i32,
    source: String,
    reference: Option<String>,
    hausses: Vec<Secteur>,
    baisses: Vec<Secteur>,
    chart: String,
}

/// The A38 sectors with the largest rise and fall of salaried employment over the longest
/// published span.
pub fn secteurs(conn: &Connection, kind: &str, code: &str) -> anyhow::Result<Option<Secteurs>> {
    let span: Option<(i32, i32, String, Option<String>)> = conn
        .prepare(
            "SELECT annee_debut, annee_fin, source_id, any_value(reference) FROM ind_secteurs
             WHERE kind = ? AND code = ? AND niveau = 'a38'
             GROUP BY annee_debut, annee_fin, source_id ORDER BY annee_fin DESC, annee_fin - annee_debut DESC LIMIT 1",
        )?
        .query_map([kind, code], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .next()
        .transpose()?;
    let Some((debut, fin, source, reference)) = span else {
        return Ok(None);
    };
    let all: Vec<Secteur> = conn
        .prepare(
            "SELECT secteur, libelle, effectifs_debut, effectifs_fin, variation FROM ind_secteurs
             WHERE kind = ? AND code = ? AND niveau = 'a38' AND annee_debut = ? AND annee_fin = ?
               AND variation IS NOT NULL ORDER BY variation DESC, secteur",
        )?
        .query_map(duckdb::params![kind, code, debut, fin], |r| {
            let d: Option<i64> = r.get(2)?;
            let v: Option<i64> = r.get(4)?;
            Ok(Secteur {
                code: r.get(0)?,
                libelle: r.get(1)?,
                debut: d,
                fin: r.get(3)?,
                variation: v,
                evolution_pct: match (d, v) {
                    (Some(d), Some(v)) if d >= 10 => Some(v as f64 * 100.0 / d as f64),
                    _ => None,
                },
            })
        })?
        .collect::<Result<_, _>>()?;
    let hausses: Vec<Secteur> = all
        .iter()
        .filter(|s| s.variation > Some(0))
        .take(8)
        .map(copy)
        .collect();
    let baisses: Vec<Secteur> = all
        .iter()
        .rev()
        .filter(|s| s.variation < Some(0))
        .take(8)
        .map(copy)
        .collect();
    let items: Vec<(String, f64, Option<String>)> = hausses
        .iter()
        .chain(baisses.iter().rev())
        .map(|s| {
            (
                s.libelle.clone().unwrap_or_else(|| s.code.clone()),
                s.variation.unwrap_or(0) as f64,
                None,
            )
        })
        .collect();
    let chart = charts::bars(
        &format!("Variation de l'emploi salarié par secteur, {debut}–{fin}"),
        &format!(
            "{} secteurs en hausse et {} en baisse entre {debut} et {fin} ; barres vers la droite : emplois gagnés, vers la gauche : emplois perdus.",
            hausses.len(),
            baisses.len()
        ),
        "salariés",
        &items,
    );
    Ok(Some(Secteurs {
        annee_debut: debut,
        annee_fin: fin,
        source,
        reference,
        hausses,
        baisses,
        chart,
    }))
}

fn copy(s: &Secteur) -> Secteur {
    Secteur {
        code: s.code.clone(),
        libelle: s.libelle.clone(),
        debut: s.debut,
        fin: s.fin,
        variation: s.variation,
        evolution_pct: s.evolution_pct,
    }
}

#[derive(Serialize)]
pub struct Competence {
    code: String,
    libelle: Option<String>,
    type_competence: Option<String>,
    offres: Option<i64>,
    part: Option<f64>,
}

#[derive(Serialize)]
pub struct Competences {
    base: i64,
    items: Vec<Competence>,
    source: String,
}

/// The skills most asked for in the territory's offers (share of offers naming each).
pub fn competences(
    conn: &Connection,
    kind: &str,
    code: &str,
) -> anyhow::Result<Option<Competences>> {
    let items: Vec<(Competence, i64, String)> = conn
        .prepare(
            "SELECT competence, libelle, type_competence, offres, part, base, sources FROM ind_competences
             WHERE kind = ? AND code = ? AND nature = 'observee' AND dimension = 'total'
             ORDER BY offres DESC NULLS LAST, competence LIMIT 15",
        )?
        .query_map([kind, code], |r| {
            Ok((
                Competence {
                    code: r.get(0)?,
                    libelle: r.get(1)?,
                    type_competence: r.get(2)?,
                    offres: r.get(3)?,
                    part: r.get::<_, Option<f64>>(4)?.map(|p| p * 100.0),
                },
                r.get::<_, Option<i64>>(5)?.unwrap_or(0),
                r.get(6)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let Some((_, base, source)) = items.first().map(|(_, b, s)| ((), *b, s.clone())) else {
        return Ok(None);
    };
    Ok(Some(Competences {
        base,
        source,
        items: items.into_iter().map(|i| i.0).collect(),
    }))
}

#[derive(Serialize)]
pub struct ForecastPoint {
    period: String,
    mean: f64,
    lo80: Option<f64>,
    hi80: Option<f64>,
    lo95: Option<f64>,
    hi95: Option<f64>,
}

#[derive(Serialize)]
pub struct Forecast {
    family: String,
    title: String,
    unit: String,
    model: String,
    calibration: String,
    backtest_mase: Option<f64>,
    backtest_mase_snaive: Option<f64>,
    holdout_coverage80: Option<f64>,
    holdout_coverage95: Option<f64>,
    fitted_at: String,
    source: String,
    points: Vec<ForecastPoint>,
    chart: String,
}

fn family_title(f: &str) -> &'static str {
    match f {
        "chomage" => "Taux de chômage",
        "emploi" => "Emploi salarié privé",
        "defm" => "Demandeurs d'emploi (catégories A, B, C)",
        "offres" => "Offres d'emploi",
        _ => "Série",
    }
}

/// Stored history of a family's series (the forecast table holds the future only).
fn history(
    conn: &Connection,
    family: &str,
    kind: &str,
    code: &str,
) -> anyhow::Result<Vec<(String, f64)>> {
    let sql = match family {
        "chomage" => "SELECT replace(trimestre, '-T', '-Q'), taux FROM ind_chomage WHERE kind = ? AND code = ? ORDER BY 1",
        "emploi" => "SELECT replace(trimestre, '-T', '-Q'), effectifs_cvs::DOUBLE FROM ind_emploi_salarie WHERE kind = ? AND code = ? ORDER BY 1",
        _ => return Ok(vec![]),
    };
    Ok(conn
        .prepare(sql)?
        .query_map([kind, code], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// The headline forecasts of a territory (unemployment, employment), last 5 years of history
/// then the forecast with its 80 % and 95 % intervals.
pub fn forecasts(conn: &Connection, kind: &str, code: &str) -> anyhow::Result<Vec<Forecast>> {
    let series: Vec<Forecast> = conn
        .prepare(
            "SELECT family, unit, model, calibration, backtest_mase, backtest_mase_snaive, holdout_coverage80,
                    holdout_coverage95, strftime(fitted_at, '%d/%m/%Y'), source_id
             FROM fc_series WHERE kind = ? AND code = ? AND family IN ('chomage', 'emploi', 'defm', 'offres')
               AND dimension = '' ORDER BY CASE family WHEN 'chomage' THEN 0 WHEN 'emploi' THEN 1 ELSE 2 END",
        )?
        .query_map([kind, code], |r| {
            let family: String = r.get(0)?;
            Ok(Forecast {
                title: family_title(&family).to_string(),
                family,
                unit: r.get(1)?,
                model: r.get(2)?,
                calibration: r.get(3)?,
                backtest_mase: r.get(4)?,
                backtest_mase_snaive: r.get(5)?,
                holdout_coverage80: r.get::<_, Option<f64>>(6)?.map(|c| c * 100.0),
                holdout_coverage95: r.get::<_, Option<f64>>(7)?.map(|c| c * 100.0),
                fitted_at: r.get(8)?,
                source: r.get(9)?,
                points: vec![],
                chart: String::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for mut f in series {
        let (family, unit) = (f.family.clone(), f.unit.clone());
        let points: Vec<ForecastPoint> = conn
            .prepare(
                "SELECT period, mean, lo80, hi80, lo95, hi95 FROM fc_points
                 WHERE family = ? AND kind = ? AND code = ? AND dimension = '' ORDER BY step",
            )?
            .query_map([&family, kind, code], |r| {
                Ok(ForecastPoint {
                    period: r.get(0)?,
                    mean: r.get(1)?,
                    lo80: r.get(2)?,
                    hi80: r.get(3)?,
                    lo95: r.get(4)?,
                    hi95: r.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let hist = history(conn, &family, kind, code)?;
        let hist: Vec<(String, f64)> = hist
            .iter()
            .skip(hist.len().saturating_sub(20))
            .cloned()
            .collect();
        let title = f.title.clone();
        let mut periods: Vec<String> = hist.iter().map(|h| h.0.clone()).collect();
        periods.extend(points.iter().map(|p| p.period.clone()));
        let band = |inner: bool| Band {
            label: if inner {
                "intervalle à 80 %".into()
            } else {
                "intervalle à 95 %".into()
            },
            inner,
            points: points
                .iter()
                .filter_map(|p| {
                    let (lo, hi) = if inner {
                        (p.lo80?, p.hi80?)
                    } else {
                        (p.lo95?, p.hi95?)
                    };
                    Some((p.period.clone(), lo, hi))
                })
                .collect(),
        };
        let mut fc_line: Vec<(String, f64)> = hist.last().cloned().into_iter().collect();
        fc_line.extend(points.iter().map(|p| (p.period.clone(), p.mean)));
        let summary =
            match (points.first(), points.last()) {
                (Some(_), Some(l)) => format!(
                "{title} : observé jusqu'à {}, prévu à {} pour {} (intervalle à 95 % : {} à {}).",
                hist.last().map(|h| h.0.as_str()).unwrap_or("?"),
                charts::fr(l.mean, if unit == "%" { 1 } else { 0 }),
                l.period,
                l.lo95.map(|v| charts::fr(v, if unit == "%" { 1 } else { 0 })).unwrap_or_default(),
                l.hi95.map(|v| charts::fr(v, if unit == "%" { 1 } else { 0 })).unwrap_or_default(),
            ),
                _ => title.clone(),
            };
        let chart = charts::time_series(
            &format!("{title} : observé et prévu"),
            &summary,
            &unit,
            &periods,
            &[
                Line {
                    label: "observé".into(),
                    points: hist.clone(),
                    style: 0,
                },
                Line {
                    label: "prévision (moyenne)".into(),
                    points: fc_line,
                    style: 2,
                },
            ],
            &[band(false), band(true)],
        );
        f.points = points;
        f.chart = chart;
        out.push(f);
    }
    Ok(out)
}

#[derive(Serialize, Clone)]
pub struct Related {
    kind: String,
    kind_label: &'static str,
    code: String,
    libelle: String,
    /// Share of this territory's communes in the other one (%).
    part: f64,
}

#[derive(Serialize, Default)]
pub struct Tree {
    /// Territories containing this one entirely.
    up: Vec<Related>,
    /// Territories this one contains entirely.
    down: Vec<Related>,
    /// Territories sharing part of their communes with this one.
    overlap: Vec<Related>,
}

/// The territories above, below and across this one, from their communes.
pub fn tree(conn: &Connection, kind: &str, code: &str, n_communes: i64) -> anyhow::Result<Tree> {
    let rows: Vec<(String, String, String, i64, i64)> = conn
        .prepare(
            "SELECT o.kind, o.code, t.libelle, count(*) AS shared, any_value(t.nb_communes)
             FROM territory_commune a
             JOIN territory_commune o ON o.commune = a.commune AND NOT (o.kind = a.kind AND o.code = a.code)
             JOIN territory t ON t.kind = o.kind AND t.code = o.code
             WHERE a.kind = ? AND a.code = ? AND o.kind <> 'fr'
             GROUP BY o.kind, o.code, t.libelle",
        )?
        .query_map([kind, code], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
        .collect::<Result<_, _>>()?;
    let mut tree = Tree::default();
    let order = |k: &str| match k {
        "reg" => 0,
        "dep" => 1,
        "ze" => 2,
        "bassin" => 3,
        _ => 4,
    };
    for (k, c, libelle, shared, total) in rows {
        let r = Related {
            kind_label: super::home::kind_label(&k),
            part: shared as f64 * 100.0 / n_communes.max(1) as f64,
            kind: k,
            code: c,
            libelle,
        };
        if shared == n_communes && total >= n_communes {
            tree.up.push(r);
        } else if shared == total {
            tree.down.push(r);
        } else if r.part >= 1.0 || shared * 10 >= total {
            tree.overlap.push(r);
        }
    }
    let by = |a: &Related, b: &Related| {
        order(&a.kind).cmp(&order(&b.kind)).then_with(|| {
            crate::text::collation_key(&a.libelle).cmp(&crate::text::collation_key(&b.libelle))
        })
    };
    tree.up.sort_by(by);
    tree.down.sort_by(by);
    tree.overlap.sort_by(|a, b| {
        order(&a.kind)
            .cmp(&order(&b.kind))
            .then(b.part.total_cmp(&a.part))
    });
    Ok(tree)
}
