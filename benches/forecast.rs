//! Forecast engine throughput: `cargo bench --bench forecast [-- N]` (default 100,000 monthly
//! series of 60 points, 12-month horizon, 80/95 % intervals). Prints, for the same series:
//! the final fit + forecast + calibrated intervals alone (the goal "backtests excluded":
//! < 60 s for 100,000 series on 2 cores), and the whole default procedure (rolling-origin
//! backtests, selection and calibration included). The statsforecast side is
//! `scripts/bench_forecast.sh`, on the CSV this bench writes when BENCH_CSV=PATH is set.
use std::io::Write;
use std::time::Instant;

use observatoire::forecast::engine::{self, Bound, Choice, Settings};
use rayon::prelude::*;

fn series(count: usize) -> Vec<Vec<f64>> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    (0..count)
        .map(|_| {
            let level = 50.0 + 450.0 * uniform();
            let trend = uniform() - 0.5;
            let amp = 0.2 * uniform();
            (0..60)
                .map(|t| {
                    let noise = (-2.0 * uniform().ln()).sqrt()
                        * (2.0 * std::f64::consts::PI * uniform()).cos();
                    let season = (2.0 * std::f64::consts::PI * t as f64 / 12.0).sin();
                    (level + trend * t as f64 + level * amp * season + 0.05 * level * noise)
                        .max(0.0)
                })
                .collect()
        })
        .collect()
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let data = series(n);
    if let Ok(path) = std::env::var("BENCH_CSV") {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        writeln!(f, "series_id,period,value").unwrap();
        for (i, y) in data.iter().enumerate() {
            for (t, v) in y.iter().enumerate() {
                writeln!(f, "s{i},{}-{:02},{v:.3}", 2020 + t / 12, t % 12 + 1).unwrap();
            }
        }
        eprintln!("séries écrites dans {path}");
    }
    let s = Settings::new(12, 12);
    let bounds = vec![Bound::NonNegative; n];
    let cores = rayon::current_num_threads();

    let started = Instant::now();
    let members = engine::robust_members(12).to_vec();
    let finals: Vec<_> = data
        .par_iter()
        .map(|y| engine::final_prediction(y, Choice::Combination(members.clone()), &s))
        .collect();
    let final_only = started.elapsed().as_secs_f64();
    assert_eq!(finals.len(), n);

    let started = Instant::now();
    let out = engine::forecast_batch(&data, &bounds, &s);
    let whole = started.elapsed().as_secs_f64();
    let mase: Vec<f64> = out.iter().filter_map(|o| o.mase).collect();
    println!("{n} séries mensuelles de 60 points, horizon 12, {cores} cœurs");
    println!(
        "  ajustement final + prévision (sans backtest) : {final_only:.1} s ({:.0} séries/s)",
        n as f64 / final_only
    );
    println!(
        "  procédure complète (backtests, sélection, calibration) : {whole:.1} s ({:.0} séries/s), MASE de backtest moyenne {:.3}",
        n as f64 / whole,
        mase.iter().sum::<f64>() / mase.len().max(1) as f64
    );
}
