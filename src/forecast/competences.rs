//! Skills forecast per territory × compétence (`fc_competences`; method
//! `/methodologie#previsions-competences`): how many offers will ask each skill over the next
//! months, from each ROME métier's offer forecast (`fc_points`, family `offres`) times the
//! métier's skill shares observed in its open offers (`ind_competences`, `observee`, base ≥
//! [`crate::indicators::competences::MIN_OFFERS`] offers).
//!
//! Point forecast: Σ over métiers of (forecast offers over the horizon × share of the métier's
//! offers asking the skill). Intervals by simulation ([`DRAWS`] draws, seeded by the territory,
//! so a rebuild gives the same table): each draw takes, for every métier, one quantile level u
//! for all its months (the months of one forecast err together: summing independent months would
//! understate the spread) and reads each month's value from the quantile function through its
//! 2.5, 10, 50, 90 and 97.5 % points (the forecast's 95 % and 80 % bounds and its mean), and for
//! every skill a share drawn from its Jeffreys posterior Beta(k + ½, n − k + ½) (k offers of n
//! ask it). Métiers are drawn independently. The 80 % and 95 % intervals are the draws' 10–90 %
//! and 2.5–97.5 % quantiles. Only the [`TOP`] skills of largest point forecast are kept per
//! territory. Métiers without an offer forecast (less than 24 months of history) or without a
//! profile do not contribute; `part_couverte` says which share of the forecast offers is covered.
use std::collections::BTreeMap;

use anyhow::Result;
use duckdb::Connection;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution};
use rayon::prelude::*;

pub const DRAWS: usize = 2000;
pub const TOP: usize = 40;
pub const METHOD: &str = "/methodologie#previsions-competences";
/// What the pages and the API say when a territory has no skills forecast.
pub const ABSENT: &str = "pas de prévision des compétences : il faut des prévisions d'offres par métier \
     (24 mois d'historique) et des métiers dont au moins 30 offres ouvertes donnent le profil de compétences";

/// One month of a métier's offer forecast: the 2.5, 10, 50, 90 and 97.5 % points.
type Month = [f64; 5];
const LEVELS: [f64; 5] = [0.025, 0.10, 0.5, 0.90, 0.975];

struct Metier {
    months: Vec<Month>,
    /// skill → (offers asking it, base)
    skills: Vec<(usize, f64, f64)>,
}

struct Territory {
    kind: String,
    code: String,
    first: String,
    last: String,
    horizon: usize,
    /// forecast offers of every ROME métier of the territory (profiled or not)
    all_offers: f64,
    metiers: Vec<Metier>,
    sources: String,
}

/// One skill's forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct SkillForecast {
    pub skill: usize,
    pub mean: f64,
    pub lo80: f64,
    pub hi80: f64,
    pub lo95: f64,
    pub hi95: f64,
    pub metiers: usize,
}

/// The forecast offers over the horizon: the sum of the months' means (none below zero).
fn expected(months: &[Month]) -> f64 {
    months.iter().map(|x| x[2].max(0.0)).sum()
}

/// The value of a month's quantile function at level `u`: linear between the known points,
/// continued with the slope of the outer segment beyond them, never below zero (counts).
fn quantile(m: &Month, u: f64) -> f64 {
    let i = LEVELS
        .partition_point(|l| *l < u)
        .clamp(1, LEVELS.len() - 1);
    let (l0, l1) = (LEVELS[i - 1], LEVELS[i]);
    let v = m[i - 1] + (m[i] - m[i - 1]) * (u - l0) / (l1 - l0);
    v.max(0.0)
}

/// The `q` quantile of sorted draws (linear interpolation).
fn sorted_quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The forecasts of `skills` (indices into the territory's skill list) for one territory.
fn simulate(metiers: &[Metier], skills: &[usize], seed: u64) -> Vec<SkillForecast> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let index: BTreeMap<usize, usize> = skills.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let mut draws = vec![vec![0.0; DRAWS]; skills.len()];
    let mut mean = vec![0.0; skills.len()];
    let mut count = vec![0usize; skills.len()];
    for m in metiers {
        let total = expected(&m.months);
        let asked: Vec<(usize, Beta<f64>, f64)> = m
            .skills
            .iter()
            .filter_map(|(s, k, n)| {
                let i = *index.get(s)?;
                let beta = Beta::new(k + 0.5, (n - k).max(0.0) + 0.5).ok()?;
                Some((i, beta, k / n))
            })
            .collect();
        if asked.is_empty() {
            continue;
        }
        for (i, _, share) in &asked {
            mean[*i] += total * share;
            count[*i] += 1;
        }
        // draw-major: every skill of the métier takes the same demand draw
        #[allow(clippy::needless_range_loop)]
        for d in 0..DRAWS {
            let u: f64 = rng.random_range(0.0..1.0);
            let demand: f64 = m.months.iter().map(|x| quantile(x, u)).sum();
            for (i, beta, _) in &asked {
                draws[*i][d] += demand * beta.sample(&mut rng);
            }
        }
    }
    skills
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut d = std::mem::take(&mut draws[i]);
            d.sort_by(f64::total_cmp);
            let q = |p: f64| sorted_quantile(&d, p);
            SkillForecast {
                skill: *s,
                mean: mean[i],
                lo80: q(0.10).min(mean[i]),
                hi80: q(0.90).max(mean[i]),
                lo95: q(0.025).min(mean[i]),
                hi95: q(0.975).max(mean[i]),
                metiers: count[i],
            }
        })
        .collect()
}

/// The [`TOP`] skills of largest point forecast over `metiers` (indices of the skill list).
fn top_skills(metiers: &[Metier]) -> Vec<usize> {
    let mut point: BTreeMap<usize, f64> = BTreeMap::new();
    for m in metiers {
        let total = expected(&m.months);
        for (s, k, n) in &m.skills {
            *point.entry(*s).or_default() += total * k / n;
        }
    }
    let mut ranked: Vec<(usize, f64)> = point.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.into_iter().take(TOP).map(|(s, _)| s).collect()
}

/// A stable seed for a territory (FNV-1a of its kind and code).
fn seed(kind: &str, code: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in kind.bytes().chain([b':']).chain(code.bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

type Key = (String, String, String);

/// Rebuilds `fc_competences` from `fc_points` and `ind_competences` (in the caller's transaction).
pub fn rebuild(conn: &Connection) -> Result<()> {
    conn.execute_batch("DELETE FROM fc_competences")?;
    // each ROME métier's monthly offer forecast, per territory
    let mut months: BTreeMap<Key, (Vec<Month>, String, String)> = BTreeMap::new();
    let mut stmt = conn.prepare(
        "SELECT kind, code, substr(dimension, 6), period, mean, lo80, hi80, lo95, hi95 FROM fc_points
         WHERE family = 'offres' AND dimension LIKE 'rome:%' AND dimension <> 'rome:?' AND mean IS NOT NULL
         ORDER BY kind, code, dimension, step",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let key: Key = (r.get(0)?, r.get(1)?, r.get(2)?);
        let period: String = r.get(3)?;
        let mean: f64 = r.get(4)?;
        let b =
            |i: usize| -> duckdb::Result<f64> { Ok(r.get::<_, Option<f64>>(i)?.unwrap_or(mean)) };
        let month = [b(7)?, b(5)?, mean, b(6)?, b(8)?];
        let e = months
            .entry(key)
            .or_insert_with(|| (Vec::new(), period.clone(), period.clone()));
        e.0.push(month);
        e.2 = period;
    }
    if months.is_empty() {
        return Ok(());
    }
    // skill profiles: share of each métier's open offers asking each skill
    let mut names: Vec<(String, Option<String>)> = Vec::new();
    let mut skill_ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut profiles: BTreeMap<Key, Vec<(usize, f64, f64)>> = BTreeMap::new();
    let mut sources: BTreeMap<(String, String), std::collections::BTreeSet<String>> =
        BTreeMap::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT kind, code, key, competence, libelle, offres, base, sources FROM ind_competences
         WHERE nature = 'observee' AND dimension = 'rome' AND base >= {} AND offres > 0",
        crate::indicators::competences::MIN_OFFERS
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let key: Key = (r.get(0)?, r.get(1)?, r.get(2)?);
        if !months.contains_key(&key) {
            continue;
        }
        let skill: String = r.get(3)?;
        let id = *skill_ids.entry(skill.clone()).or_insert_with(|| {
            names.push((skill, r.get::<_, Option<String>>(4).ok().flatten()));
            names.len() - 1
        });
        let (k, n): (i64, i64) = (r.get(5)?, r.get(6)?);
        profiles
            .entry(key.clone())
            .or_default()
            .push((id, k as f64, n as f64));
        let s: String = r.get(7)?;
        sources
            .entry((key.0, key.1))
            .or_default()
            .extend(s.split(',').filter(|s| !s.is_empty()).map(str::to_string));
    }
    // territories
    let mut territories: BTreeMap<(String, String), Territory> = BTreeMap::new();
    for ((kind, code, rome), (ms, first, last)) in months {
        let t = territories
            .entry((kind.clone(), code.clone()))
            .or_insert_with(|| Territory {
                kind: kind.clone(),
                code: code.clone(),
                horizon: ms.len(),
                first: first.clone(),
                last: last.clone(),
                all_offers: 0.0,
                metiers: Vec::new(),
                sources: String::new(),
            });
        t.all_offers += expected(&ms);
        if let Some(skills) = profiles.remove(&(kind, code, rome)) {
            t.metiers.push(Metier { months: ms, skills });
        }
    }
    for ((kind, code), s) in sources {
        if let Some(t) = territories.get_mut(&(kind, code)) {
            t.sources = s.into_iter().collect::<Vec<_>>().join(",");
        }
    }
    let results: Vec<(&Territory, Vec<SkillForecast>)> = territories
        .values()
        .filter(|t| !t.metiers.is_empty())
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|t| {
            let top = top_skills(&t.metiers);
            (t, simulate(&t.metiers, &top, seed(&t.kind, &t.code)))
        })
        .collect();
    let now = chrono::Utc::now().naive_utc();
    let mut app = conn.appender("fc_competences")?;
    for (t, forecasts) in results {
        let covered: f64 = t.metiers.iter().map(|m| expected(&m.months)).sum();
        let share = (t.all_offers > 0.0).then(|| covered / t.all_offers);
        for f in forecasts {
            app.append_row(duckdb::params![
                t.kind,
                t.code,
                names[f.skill].0,
                names[f.skill].1,
                t.first,
                t.last,
                t.horizon as i64,
                f.mean,
                f.lo80,
                f.hi80,
                f.lo95,
                f.hi95,
                f.metiers as i64,
                covered,
                share,
                format!("{},ft-rome4", t.sources),
                METHOD,
                now,
            ])?;
        }
    }
    app.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quantile_function_passes_through_the_bounds_and_stays_positive() {
        let m = [60.0, 80.0, 100.0, 120.0, 140.0];
        for (l, v) in LEVELS.iter().zip(m) {
            assert!((quantile(&m, *l) - v).abs() < 1e-9);
        }
        assert!((quantile(&m, 0.3) - 90.0).abs() < 1e-9);
        assert!(quantile(&[0.0, 1.0, 2.0, 3.0, 4.0], 0.0001) >= 0.0);
        assert!(quantile(&m, 0.999) > 140.0);
    }

    /// One métier whose every offer asks the skill: the skill's forecast is the métier's, and its
    /// intervals are those of the summed months (perfectly correlated months: bounds add up).
    #[test]
    fn a_skill_asked_by_every_offer_of_one_metier_follows_its_forecast() {
        let month = [60.0, 80.0, 100.0, 120.0, 140.0];
        let m = Metier {
            months: vec![month; 12],
            skills: vec![(0, 1000.0, 1000.0)],
        };
        let f = &simulate(&[m], &[0], 7)[0];
        assert!((f.mean - 1200.0).abs() < 1e-6);
        // the Beta(1000.5, 0.5) share is ≈ 1: the bounds are 12 × the monthly bounds, ± 3 %
        for (got, want) in [
            (f.lo95, 720.0),
            (f.lo80, 960.0),
            (f.hi80, 1440.0),
            (f.hi95, 1680.0),
        ] {
            assert!((got / want - 1.0).abs() < 0.03, "{got} vs {want}");
        }
    }

    /// Two independent métiers of equal spread: the sum's interval is narrower than the sum of
    /// the intervals (√2 rather than 2 half-widths), and a share of ½ on 40 offers widens it.
    #[test]
    fn independent_metiers_and_uncertain_shares_propagate() {
        let month = [60.0, 80.0, 100.0, 120.0, 140.0];
        let two = [0, 1].map(|_| Metier {
            months: vec![month; 12],
            skills: vec![(0, 1_000_000.0, 1_000_000.0)],
        });
        let f = &simulate(&two, &[0], 11)[0];
        let half = (f.hi95 - f.lo95) / 2.0;
        // one métier's 95 % half-width over 12 months is 480; perfectly correlated métiers would
        // give 960; independent ones ≈ 626 (1.30 ×, computed from 200,000 draws of this law)
        let one = 480.0;
        assert!(half > 1.15 * one && half < 1.45 * one, "{half}");
        let uncertain = Metier {
            months: vec![month; 12],
            skills: vec![(0, 20.0, 40.0)],
        };
        let certain = Metier {
            months: vec![month; 12],
            skills: vec![(0, 500_000.0, 1_000_000.0)],
        };
        let a = &simulate(&[uncertain], &[0], 3)[0];
        let b = &simulate(&[certain], &[0], 3)[0];
        assert!((a.mean - 600.0).abs() < 1e-6 && (b.mean - 600.0).abs() < 1e-6);
        // a share of ½ on 40 offers has a standard error of 0.079: combined with the demand's
        // spread (80 % half-width 20 %), the 80 % interval widens by about √(0.2² + 0.2²) / 0.2
        assert!(a.hi80 - a.lo80 > 1.3 * (b.hi80 - b.lo80), "{a:?} {b:?}");
        assert!(a.hi95 - a.lo95 > 1.1 * (b.hi95 - b.lo95), "{a:?} {b:?}");
        assert_eq!(
            simulate(&two, &[0], 11),
            simulate(&two, &[0], 11),
            "deterministic"
        );
    }
}
