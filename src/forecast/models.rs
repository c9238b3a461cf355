//! The candidate models. Each gives point forecasts and its own standard deviation of the
//! h-step error (the "model's own" interval, before calibration). Exponential smoothing and
//! MSTL come from `augurs`; the baselines are the textbook ones (Hyndman & Athanasopoulos,
//! *Forecasting: principles and practice*, 3rd ed., §5.2 and §5.5 for their variances), a few
//! lines each, which `augurs` does not provide.
use augurs::ets::model::{ErrorComponent, ModelType, SeasonalComponent, TrendComponent, Unfit};
use std::borrow::Cow;

use augurs::ets::AutoETS;
use augurs::mstl::{FittedTrendModel, MSTLModel, TrendModel};
use augurs::{Fit, Predict};

/// z of the two-sided 95 % normal interval: converts `augurs`' interval back to a deviation.
const Z95: f64 = 1.959_963_984_540_054;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Model {
    Naive,
    SeasonalNaive,
    Mean,
    Drift,
    /// ETS(A,Ad,N): additive damped trend, fitted by `augurs`.
    Damped,
    /// `augurs` AutoETS over non-seasonal ETS (error A/M, trend N/A/Ad), by AICc.
    AutoEts,
    /// `augurs` MSTL decomposition, ETS(A,Ad,N) on the seasonally adjusted series.
    MstlEts,
}

impl Model {
    pub const ALL: [Model; 7] = [
        Model::Naive,
        Model::SeasonalNaive,
        Model::Mean,
        Model::Drift,
        Model::Damped,
        Model::AutoEts,
        Model::MstlEts,
    ];

    /// The name written in outputs and tables.
    pub fn name(self) -> &'static str {
        match self {
            Model::Naive => "naive",
            Model::SeasonalNaive => "seasonal_naive",
            Model::Mean => "mean",
            Model::Drift => "drift",
            Model::Damped => "damped_trend",
            Model::AutoEts => "auto_ets",
            Model::MstlEts => "mstl_ets",
        }
    }

    /// Whether the model can be fitted on `n` points of season length `m`.
    pub fn applies(self, n: usize, m: usize) -> bool {
        match self {
            Model::Naive | Model::Mean => n >= 2,
            Model::Drift => n >= 3,
            Model::SeasonalNaive => m > 1 && n > m,
            Model::Damped => n >= 8,
            // Non-seasonal ETS searches six models: kept for yearly and quarterly series, left
            // to MSTL + ETS on monthly ones (it was rarely chosen there, at 2/3 of the cost).
            Model::AutoEts => n >= 8 && m <= 4,
            Model::MstlEts => m > 1 && n >= 2 * m + 2,
        }
    }

    /// Point forecasts and the model's own error deviation for steps 1..=h, or `None` when the
    /// model does not fit these data (too short, optimiser failure, non-finite output).
    pub fn forecast(self, y: &[f64], m: usize, h: usize) -> Option<Prediction> {
        if !self.applies(y.len(), m) {
            return None;
        }
        let pred = match self {
            Model::Naive => naive(y, h),
            Model::SeasonalNaive => seasonal_naive(y, m, h),
            Model::Mean => mean(y, h),
            Model::Drift => drift(y, h),
            Model::Damped => from_augurs(damped().fit(y).ok()?.predict(h, Z95_LEVEL).ok()?),
            Model::AutoEts => {
                let fitted = AutoETS::non_seasonal().fit(y).ok()?;
                from_augurs(fitted.predict(h, Z95_LEVEL).ok()?)
            }
            Model::MstlEts => {
                let fitted = MSTLModel::new(vec![m], DampedTrend).fit(y).ok()?;
                from_augurs(fitted.predict(h, Z95_LEVEL).ok()?)
            }
        }?;
        pred.is_finite().then_some(pred)
    }
}

const Z95_LEVEL: f64 = 0.95;

fn damped() -> Unfit {
    Unfit::new(ModelType {
        error: ErrorComponent::Additive,
        trend: TrendComponent::Additive,
        season: SeasonalComponent::None,
    })
    .damped(true)
}

/// ETS(A,Ad,N) as the trend model of MSTL: one fit where AutoETS makes six, with the same
/// accuracy on the series measured (see [`super::engine`]).
#[derive(Debug, Clone, Copy)]
struct DampedTrend;

#[derive(Debug)]
struct FittedDamped(augurs::ets::model::Model);

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

impl TrendModel for DampedTrend {
    fn name(&self) -> Cow<'_, str> {
        Cow::Borrowed("ETS(A,Ad,N)")
    }

    fn fit(&self, y: &[f64]) -> Result<Box<dyn FittedTrendModel + Sync + Send>, BoxError> {
        Ok(Box::new(FittedDamped(damped().fit(y)?)))
    }
}

impl FittedTrendModel for FittedDamped {
    fn predict_inplace(
        &self,
        horizon: usize,
        level: Option<f64>,
        forecast: &mut augurs::Forecast,
    ) -> Result<(), BoxError> {
        Ok(self.0.predict_inplace(horizon, level, forecast)?)
    }

    fn predict_in_sample_inplace(
        &self,
        level: Option<f64>,
        forecast: &mut augurs::Forecast,
    ) -> Result<(), BoxError> {
        Ok(self.0.predict_in_sample_inplace(level, forecast)?)
    }

    fn training_data_size(&self) -> Option<usize> {
        Some(self.0.training_data_size())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub point: Vec<f64>,
    /// Standard deviation of the h-step error under the model (0 when it has no noise).
    pub sd: Vec<f64>,
}

impl Prediction {
    fn is_finite(&self) -> bool {
        self.point.iter().chain(&self.sd).all(|v| v.is_finite())
    }
}

fn from_augurs(f: augurs::Forecast) -> Option<Prediction> {
    let iv = f.intervals?;
    let sd = iv
        .lower
        .iter()
        .zip(&iv.upper)
        .map(|(l, u)| ((u - l) / (2.0 * Z95)).abs())
        .collect();
    Some(Prediction { point: f.point, sd })
}

/// Root mean square of residuals with `params` estimated parameters.
fn sigma(residuals: impl Iterator<Item = f64>, params: usize) -> f64 {
    let (mut n, mut ss) = (0usize, 0.0);
    for r in residuals {
        n += 1;
        ss += r * r;
    }
    if n <= params {
        return 0.0;
    }
    (ss / (n - params) as f64).sqrt()
}

fn naive(y: &[f64], h: usize) -> Option<Prediction> {
    let last = *y.last()?;
    let s = sigma(y.windows(2).map(|w| w[1] - w[0]), 0);
    Some(Prediction {
        point: vec![last; h],
        sd: (1..=h).map(|k| s * (k as f64).sqrt()).collect(),
    })
}

fn seasonal_naive(y: &[f64], m: usize, h: usize) -> Option<Prediction> {
    let n = y.len();
    let s = sigma((m..n).map(|t| y[t] - y[t - m]), 0);
    Some(Prediction {
        point: (1..=h).map(|k| y[n - m + (k - 1) % m]).collect(),
        sd: (1..=h)
            .map(|k| s * (((k - 1) / m + 1) as f64).sqrt())
            .collect(),
    })
}

fn mean(y: &[f64], h: usize) -> Option<Prediction> {
    let n = y.len() as f64;
    let avg = y.iter().sum::<f64>() / n;
    let s = sigma(y.iter().map(|v| v - avg), 1);
    Some(Prediction {
        point: vec![avg; h],
        sd: vec![s * (1.0 + 1.0 / n).sqrt(); h],
    })
}

fn drift(y: &[f64], h: usize) -> Option<Prediction> {
    let n = y.len();
    let slope = (y[n - 1] - y[0]) / (n - 1) as f64;
    let s = sigma(y.windows(2).map(|w| w[1] - w[0] - slope), 1);
    let t = (n - 1) as f64;
    Some(Prediction {
        point: (1..=h).map(|k| y[n - 1] + slope * k as f64).collect(),
        sd: (1..=h)
            .map(|k| {
                let k = k as f64;
                s * (k * (1.0 + k / t)).sqrt()
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_follow_the_textbook() {
        let y = [1.0, 2.0, 4.0, 7.0, 11.0, 16.0, 22.0, 29.0];
        assert_eq!(Model::Naive.forecast(&y, 1, 2).unwrap().point, [29.0, 29.0]);
        let d = Model::Drift.forecast(&y, 1, 2).unwrap();
        assert_eq!(d.point, [33.0, 37.0]);
        let s = Model::SeasonalNaive.forecast(&y, 4, 5).unwrap();
        assert_eq!(s.point, [11.0, 16.0, 22.0, 29.0, 11.0]);
        assert!(s.sd[4] > s.sd[3]);
        let m = Model::Mean.forecast(&y, 1, 1).unwrap();
        assert_eq!(m.point, [11.5]);
        let e = Model::AutoEts.forecast(&y, 1, 3).unwrap();
        assert_eq!(e.point.len(), 3);
        assert!(
            Model::MstlEts.forecast(&y, 4, 3).is_none(),
            "too short for MSTL"
        );
    }
}
