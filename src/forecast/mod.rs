//! Forecasts: an engine on `augurs` (AutoETS, MSTL + ETS) and textbook baselines, selected per
//! series by rolling-origin backtest, with intervals calibrated on the backtest errors
//! ([`engine`]); the `observatoire forecast` command on user files ([`cli`]); and the `fc_*`
//! tables built from the indicators for the pages ([`store`]).
pub mod cli;
pub mod competences;
pub mod engine;
pub mod holdout;
pub mod models;
pub mod period;

use std::path::PathBuf;

/// Errors of the forecast layer: each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ForecastError {
    #[error("{}, ligne {line} : {reason}", file.display())]
    Input {
        file: PathBuf,
        line: u64,
        reason: String,
    },
    #[error("{0}")]
    Usage(String),
    #[error("écriture de {path} impossible : {1}", path = .0.display())]
    Output(PathBuf, String),
}
pub mod store;
