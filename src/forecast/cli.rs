//! `observatoire forecast --input CSV --horizon H --output CSV [--level 80,95] [--season N]
//! [--backtest]`: forecasts any user series. Input `series_id,period,value` (long format, one
//! frequency per series, no gap, no duplicate); output
//! `series_id,period,mean,lo80,hi80,lo95,hi95,model`, `horizon` rows per series, in the order
//! the series first appear. The whole input is checked before anything is written; the output
//! goes to a temporary file renamed at the end, so a failure leaves no partial file.
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::engine::{self, Analysis, Bound, Outcome, Settings};
use super::holdout;
use super::period::{Frequency, Period};
use super::ForecastError;

#[derive(Debug, Clone)]
pub struct Args {
    pub input: PathBuf,
    pub output: PathBuf,
    pub horizon: usize,
    pub levels: Vec<u32>,
    pub season: Option<usize>,
    pub backtest: bool,
}

/// One input series, its points in period order.
#[derive(Debug, Clone)]
pub struct Series {
    pub id: String,
    pub start: Period,
    pub values: Vec<f64>,
}

impl Series {
    pub fn frequency(&self) -> Frequency {
        self.start.frequency
    }
}

fn err(file: &Path, line: u64, reason: String) -> ForecastError {
    ForecastError::Input {
        file: file.to_path_buf(),
        line,
        reason,
    }
}

/// The largest magnitude accepted in an input series. Beyond it the models' sums of squares
/// overflow and the forecast is NaN (found by fuzzing: one value of 1e308 made every forecast
/// of its series empty); no labour-market count or rate comes near it.
pub const MAX_VALUE: f64 = 1e15;

/// Reads and checks the whole input file.
pub fn read_series(file: &Path) -> Result<Vec<Series>, ForecastError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(file)
        .map_err(|e| err(file, 0, format!("lecture impossible : {e}")))?;
    let headers = reader
        .headers()
        .map_err(|e| err(file, 1, format!("en-tête illisible : {e}")))?
        .clone();
    let column = |name: &str| -> Result<usize, ForecastError> {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
            .ok_or_else(|| {
                err(
                    file,
                    1,
                    format!("colonne « {name} » absente (attendu series_id,period,value)"),
                )
            })
    };
    let (c_id, c_period, c_value) = (column("series_id")?, column("period")?, column("value")?);
    let mut order: Vec<String> = Vec::new();
    let mut points: HashMap<String, Vec<(Period, f64, u64)>> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            err(file, line, format!("ligne CSV illisible : {e}"))
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let field = |i: usize, name: &str| {
            record
                .get(i)
                .ok_or_else(|| err(file, line, format!("champ « {name} » manquant")))
        };
        let id = field(c_id, "series_id")?;
        if id.is_empty() {
            return Err(err(file, line, "series_id vide".into()));
        }
        let period = Period::parse(field(c_period, "period")?).map_err(|r| err(file, line, r))?;
        let raw = field(c_value, "value")?;
        let value: f64 = raw
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| err(file, line, format!("valeur « {raw} » non numérique")))?;
        if value.abs() > MAX_VALUE {
            return Err(err(
                file,
                line,
                format!("valeur « {raw} » hors de la plage acceptée (±1e15)"),
            ));
        }
        let entry = points.entry(id.to_string()).or_insert_with(|| {
            order.push(id.to_string());
            Vec::new()
        });
        if let Some(&(first, _, first_line)) = entry.first() {
            if first.frequency != period.frequency {
                return Err(err(
                    file,
                    line,
                    format!(
                        "série « {id} » : fréquences mêlées (période {period}, {} ; ligne {first_line} : {first}, {})",
                        period.frequency.name(),
                        first.frequency.name()
                    ),
                ));
            }
        }
        entry.push((period, value, line));
    }
    if order.is_empty() {
        return Err(err(file, 1, "aucune ligne de données".into()));
    }
    order
        .into_iter()
        .map(|id| {
            let mut pts = points.remove(&id).expect("every id has points");
            pts.sort_by_key(|p| (p.0, p.2));
            for w in pts.windows(2) {
                let ((a, _, la), (b, _, lb)) = (w[0], w[1]);
                if a == b {
                    return Err(err(
                        file,
                        la.max(lb),
                        format!("série « {id} » : période {b} en double (aussi ligne {})", la.min(lb)),
                    ));
                }
                if b.index != a.index + 1 {
                    return Err(err(
                        file,
                        lb,
                        format!(
                            "série « {id} » : trou entre {a} (ligne {la}) et {b} : période {} manquante",
                            a.plus(1)
                        ),
                    ));
                }
            }
            Ok(Series {
                start: pts[0].0,
                values: pts.iter().map(|p| p.1).collect(),
                id,
            })
        })
        .collect()
}

fn settings_for(args: &Args, frequency: Frequency) -> Settings {
    let mut s = Settings::new(args.horizon, args.season.unwrap_or(frequency.per_year()));
    s.levels = args.levels.clone();
    s
}

/// Runs `run` once per frequency present, on that frequency's series (their values, bounds
/// and settings: each group is calibrated on its own errors), and returns its results in the
/// order of `series`.
fn per_frequency<T>(
    series: &[&Series],
    args: &Args,
    run: impl Fn(&[&[f64]], &[Bound], &Settings) -> Vec<T>,
) -> Vec<T> {
    let mut out: Vec<Option<T>> = (0..series.len()).map(|_| None).collect();
    let mut frequencies: Vec<Frequency> = series.iter().map(|s| s.frequency()).collect();
    frequencies.sort();
    frequencies.dedup();
    for f in frequencies {
        let idx: Vec<usize> = (0..series.len())
            .filter(|&i| series[i].frequency() == f)
            .collect();
        let values: Vec<&[f64]> = idx.iter().map(|&i| series[i].values.as_slice()).collect();
        let bounds: Vec<Bound> = values.iter().map(|v| engine::infer_bound(v)).collect();
        for (i, r) in idx
            .into_iter()
            .zip(run(&values, &bounds, &settings_for(args, f)))
        {
            out[i] = Some(r);
        }
    }
    out.into_iter()
        .map(|o| o.expect("every series in one frequency group"))
        .collect()
}

/// Forecasts every series (phase one on every core).
fn forecast_all(
    series: &[&Series],
    args: &Args,
    progress: &indicatif::ProgressBar,
) -> Vec<Outcome> {
    per_frequency(series, args, |values, bounds, settings| {
        let analyses: Vec<Analysis> = values
            .par_iter()
            .map(|v| {
                let a = engine::analyse(v, settings);
                progress.inc(1);
                a
            })
            .collect();
        engine::finish(analyses, settings, bounds)
    })
}

fn bar(len: u64, what: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{what} {{bar:40}} {{pos}}/{{len}} séries ({{eta}})"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

fn number(v: f64) -> String {
    if v.is_finite() {
        // Six decimals: stable across platforms, finer than any labour-market figure.
        let s = format!("{:.6}", v);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" {
            "0".into()
        } else {
            s.to_string()
        }
    } else {
        String::new()
    }
}

/// Runs the command; returns the text printed on standard output.
pub fn run(args: &Args) -> Result<(), ForecastError> {
    if args.horizon == 0 {
        return Err(ForecastError::Usage(
            "--horizon doit être au moins 1".into(),
        ));
    }
    if args.levels.is_empty() || args.levels.iter().any(|l| !(1..=99).contains(l)) {
        return Err(ForecastError::Usage(
            "--level : niveaux entre 1 et 99, séparés par des virgules (ex. 80,95)".into(),
        ));
    }
    let series = read_series(&args.input)?;
    let refs: Vec<&Series> = series.iter().collect();
    let progress = bar(series.len() as u64, "prévision");
    let outcomes = forecast_all(&refs, args, &progress);
    progress.finish_and_clear();
    write_output(&args.output, &series, &outcomes, args)?;
    if args.backtest {
        let report = backtest(&refs, args);
        print!("{report}");
    }
    Ok(())
}

fn write_output(
    path: &Path,
    series: &[Series],
    outcomes: &[Outcome],
    args: &Args,
) -> Result<(), ForecastError> {
    let io = |e: std::io::Error| ForecastError::Output(path.to_path_buf(), e.to_string());
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(tmp));
    let mut header = vec!["series_id".to_string(), "period".into(), "mean".into()];
    for l in &args.levels {
        header.push(format!("lo{l}"));
        header.push(format!("hi{l}"));
    }
    header.push("model".into());
    let csv_err = |e: csv::Error| ForecastError::Output(path.to_path_buf(), e.to_string());
    w.write_record(&header).map_err(csv_err)?;
    for (s, o) in series.iter().zip(outcomes) {
        let last = s.start.plus(s.values.len() as i64 - 1);
        for k in 0..args.horizon {
            let mut row = vec![
                s.id.clone(),
                last.plus(k as i64 + 1).to_string(),
                number(o.mean[k]),
            ];
            for (lo, hi) in &o.intervals {
                row.push(number(lo[k]));
                row.push(number(hi[k]));
            }
            row.push(o.model.clone());
            w.write_record(&row).map_err(csv_err)?;
        }
    }
    let buffered = w
        .into_inner()
        .map_err(|e| ForecastError::Output(path.to_path_buf(), e.to_string()))?;
    let tmp = buffered
        .into_inner()
        .map_err(|e| ForecastError::Output(path.to_path_buf(), e.to_string()))?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Holds out the last `horizon` points of each series, forecasts from the rest with the whole
/// procedure ([`holdout::holdout`]) and reports MASE and interval coverage per series and overall.
pub fn backtest(series: &[&Series], args: &Args) -> String {
    let mut text = String::new();
    let levels: Vec<String> = args
        .levels
        .iter()
        .map(|l| format!("couverture{l}"))
        .collect();
    text.push_str(&format!("series_id;modele;mase;{}\n", levels.join(";")));
    let progress = bar(series.len() as u64, "évaluation");
    let results = per_frequency(series, args, |values, bounds, settings| {
        holdout::holdout_with(values, bounds, settings, &|| progress.inc(1))
    });
    progress.finish_and_clear();
    let (mut mase_sum, mut mase_n, mut points) = (0.0, 0usize, 0usize);
    let mut covered = vec![0.0; args.levels.len()];
    for (s, r) in series.iter().zip(&results) {
        let Some(r) = r else { continue };
        if let Some(m) = r.mase {
            mase_sum += m;
            mase_n += 1;
        }
        points += args.horizon;
        for (c, v) in covered.iter_mut().zip(&r.coverage) {
            *c += v * args.horizon as f64;
        }
        let covs: Vec<String> = r.coverage.iter().map(|c| format!("{c:.3}")).collect();
        text.push_str(&format!(
            "{};{};{};{}\n",
            s.id,
            r.model,
            r.mase.map(|m| format!("{m:.3}")).unwrap_or_default(),
            covs.join(";")
        ));
    }
    let evaluated = results.iter().filter(|r| r.is_some()).count();
    let covs: Vec<String> = covered
        .iter()
        .map(|c| format!("{:.3}", c / points.max(1) as f64))
        .collect();
    text.push_str(&format!(
        "ENSEMBLE ({evaluated} séries, {} exclues car trop courtes);;{};{}\n",
        series.len() - evaluated,
        if mase_n > 0 {
            format!("{:.3}", mase_sum / mase_n as f64)
        } else {
            String::new()
        },
        covs.join(";")
    ));
    text
}
