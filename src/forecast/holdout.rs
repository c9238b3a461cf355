//! Held-out accuracy: the last `horizon` points of each series set aside, the whole procedure
//! of [`super::engine`] rerun on the rest, the held-out points scored.
use rayon::prelude::*;

use super::engine::{analyse, finish, naive_scale, Analysis, Bound, Settings};

/// Accuracy of one series on its held-out last `horizon` points.
#[derive(Debug, Clone)]
pub struct Holdout {
    /// Scaled by the in-sample lag-1 naive MAE of the kept part (statsforecast / M4 usage).
    pub mase: Option<f64>,
    pub mase_naive: Option<f64>,
    /// Share of held-out points inside each level's interval.
    pub coverage: Vec<f64>,
    pub model: String,
}

/// Holds out the last `horizon` points of each series long enough (more than `horizon + 1`
/// points), reruns the whole procedure (selection and calibration) on the rest, and scores the
/// held-out points. `None` for the series too short to evaluate.
pub fn holdout(series: &[&[f64]], bounds: &[Bound], s: &Settings) -> Vec<Option<Holdout>> {
    holdout_with(series, bounds, s, &|| {})
}

/// [`holdout`], calling `tick` after each series' analysis (progress bars).
pub fn holdout_with(
    series: &[&[f64]],
    bounds: &[Bound],
    s: &Settings,
    tick: &(dyn Fn() + Sync),
) -> Vec<Option<Holdout>> {
    let h = s.horizon;
    let idx: Vec<usize> = (0..series.len())
        .filter(|&i| series[i].len() > h + 1)
        .collect();
    let analyses: Vec<Analysis> = idx
        .par_iter()
        .map(|&i| {
            let a = analyse(&series[i][..series[i].len() - h], s);
            tick();
            a
        })
        .collect();
    let b: Vec<Bound> = idx.iter().map(|&i| bounds[i]).collect();
    let outcomes = finish(analyses, s, &b);
    let mut out = vec![None; series.len()];
    for (&i, o) in idx.iter().zip(outcomes) {
        let (train, test) = series[i].split_at(series[i].len() - h);
        let scale = naive_scale(train, 1);
        let mae = |f: &mut dyn Iterator<Item = f64>| {
            test.iter().zip(f).map(|(y, f)| (y - f).abs()).sum::<f64>() / h as f64
        };
        let last = train[train.len() - 1];
        out[i] = Some(Holdout {
            mase: scale.map(|sc| mae(&mut o.mean.iter().copied()) / sc),
            mase_naive: scale.map(|sc| mae(&mut std::iter::repeat(last)) / sc),
            coverage: o
                .intervals
                .iter()
                .map(|(lo, hi)| {
                    let inside = test
                        .iter()
                        .enumerate()
                        .filter(|(k, y)| lo[*k] <= **y && **y <= hi[*k])
                        .count();
                    inside as f64 / h as f64
                })
                .collect(),
            model: o.model,
        });
    }
    out
}
