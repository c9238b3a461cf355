//! Command line (`observatoire`): global `--config` / `--db`, and one subcommand per action.
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::store::Db;

#[derive(Parser, Debug)]
#[command(
    name = "observatoire",
    version,
    about = "Observatoire territorial de l'emploi et des compétences"
)]
pub struct Cli {
    /// Configuration file.
    #[arg(long, global = true, default_value = "config.toml")]
    pub config: PathBuf,
    /// Database file (overrides `[database] path`).
    #[arg(long, global = true)]
    pub db: Option<PathBuf>,
    /// Log lines as text or as JSON objects (journald, log collectors).
    #[arg(
        long,
        global = true,
        value_enum,
        env = "OBSERVATOIRE_LOG_FORMAT",
        default_value = "text"
    )]
    pub log_format: crate::telemetry::LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create or migrate the database and load the embedded default dataset (idempotent).
    Init,
    /// Run the web server (runs `init` first when needed).
    Serve {
        /// Listen address, e.g. 127.0.0.1:8080 (overrides `[server] bind`).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Tables and row counts, sources and freshness, last job runs.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Load an open-data file downloaded by hand: bmo, dares-tensions, chomage-ze, urssaf-ze, defm.
    Import {
        /// Source: bmo, dares-tensions, chomage-ze, urssaf-ze, defm.
        source: String,
        /// CSV file (or XLSX/ODS spreadsheet).
        file: PathBuf,
        /// Replace the whole stored series by the file (by default, only the periods ×
        /// territories the file holds are replaced).
        #[arg(long)]
        replace_all: bool,
    },
    /// Scheduled jobs (`jobs/*.toml`).
    Jobs {
        #[command(subcommand)]
        action: JobsAction,
    },
    /// Forecast series from a CSV file `series_id,period,value` (periods AAAA-MM, AAAA-Qn or
    /// AAAA); writes `series_id,period,mean,lo80,hi80,lo95,hi95,model`.
    Forecast {
        /// Input CSV (long format).
        #[arg(long)]
        input: PathBuf,
        /// Periods to forecast per series.
        #[arg(long)]
        horizon: usize,
        /// Output CSV (written whole at the end, or not at all).
        #[arg(long)]
        output: PathBuf,
        /// Interval levels in percent.
        #[arg(long, value_delimiter = ',', default_value = "80,95")]
        level: Vec<u32>,
        /// Season length (default: 12 monthly, 4 quarterly, 1 yearly).
        #[arg(long)]
        season: Option<usize>,
        /// Also hold out the last `horizon` points of each series and print the MASE and the
        /// interval coverage obtained on them, per series and overall.
        #[arg(long)]
        backtest: bool,
    },
    /// Export every derived table (`ind_*`, `fc_*`) as Hive-partitioned Parquet (by territory
    /// kind and year), with a manifest.json.
    Export {
        /// Destination folder.
        #[arg(long)]
        parquet: PathBuf,
    },
    /// Consistent copy of the whole database into DIR (new or empty), with a manifest (schema
    /// version, row counts, checksums). While `serve` runs, the copy is made by it (set
    /// OBSERVATOIRE_ADMIN_TOKEN to the service's token).
    Backup {
        /// Destination folder (must not exist, or be empty).
        dir: PathBuf,
    },
    /// Benchmarks' tools: synthetic France Travail pages, and the collector path over them.
    Bench {
        #[command(subcommand)]
        action: BenchAction,
    },
    /// Restore a backup made by `observatoire backup` into the database (`--db`), after checking
    /// it whole; `serve` must be stopped.
    Restore {
        /// Backup folder.
        dir: PathBuf,
        /// Replace an existing database (it is kept beside as `*.avant-restauration-…`).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum BenchAction {
    /// Write N synthetic offers as raw France Travail search pages (distributions from the
    /// embedded real data; deterministic by seed; labelled synthetic).
    Generate {
        #[arg(long)]
        offers: usize,
        /// Years of creation dates, ending at --end.
        #[arg(long, default_value_t = 2)]
        years: u32,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Share of offers also published by a local board (duplicates across sources).
        #[arg(long, default_value_t = 0.1)]
        dup_rate: f64,
        /// Gzip the pages (as the API serves them compressed).
        #[arg(long)]
        gzip: bool,
        /// Last creation date (AAAA-MM-JJ).
        #[arg(long, default_value = "2026-11-30")]
        end: chrono::NaiveDate,
    },
    /// The collector path over generated pages into a new database (`--db`, default a temporary
    /// file): offers/s for new offers, then for the same offers already stored.
    Ingest {
        #[arg(long)]
        pages: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum JobsAction {
    /// Every job with its schedule, next run (Europe/Paris) and last status.
    List,
    /// Run one job now (exit code ≠ 0 if it fails or is skipped).
    Run {
        name: String,
        /// For collectors: force a full refresh.
        #[arg(long)]
        full: bool,
        /// With --full: close the offers no longer served even when far fewer were read than
        /// are stored (after checking by hand that the source really shrank).
        #[arg(long, requires = "full")]
        force: bool,
    },
}

pub fn run(cli: Cli) -> Result<()> {
    // Forecasting a user file needs neither the configuration nor the database.
    if let Command::Forecast {
        input,
        horizon,
        output,
        level,
        season,
        backtest,
    } = &cli.command
    {
        let args = crate::forecast::cli::Args {
            input: input.clone(),
            output: output.clone(),
            horizon: *horizon,
            levels: level.clone(),
            season: *season,
            backtest: *backtest,
        };
        return Ok(crate::forecast::cli::run(&args)?);
    }
    if let Command::Bench { action } = &cli.command {
        return bench(action, cli.db.as_deref());
    }
    let config = Config::load(&cli.config)?;
    let db_path = cli
        .db
        .clone()
        .unwrap_or_else(|| config.database.path.clone());
    match cli.command {
        Command::Init => {
            let db = Db::open(&db_path)?;
            db.configure(&config.database)?;
            let report = crate::init::run(&mut db.connect()?, &config)?;
            println!(
                "Base {} prête : {} migration(s) appliquée(s), données embarquées {} ({:.1} s).",
                db_path.display(),
                report.migrations_applied,
                if report.default_data_loaded {
                    "chargées"
                } else {
                    "déjà présentes"
                },
                report.seconds
            );
            Ok(())
        }
        Command::Status { json } => {
            require_db(&db_path)?;
            let db = Db::open(&db_path)?;
            db.configure(&config.database)?;
            let status = crate::status::collect(&db.connect()?, &db_path.display().to_string())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                crate::status::print_text(&status);
            }
            Ok(())
        }
        Command::Import {
            source,
            file,
            replace_all,
        } => {
            let source: crate::collect::import::ImportSource =
                source.parse().map_err(anyhow::Error::msg)?;
            let db = Db::open(&db_path)?;
            db.configure(&config.database)?;
            crate::init::run(&mut db.connect()?, &config)?;
            let mode = if replace_all {
                crate::collect::Replace::All
            } else {
                crate::collect::Replace::Keys
            };
            let report = crate::collect::import::import_cancellable(
                &mut db.connect()?,
                source,
                &file,
                mode,
                &crate::schedule::context::Cancel::default(),
            )?;
            println!(
                "{} : {} lignes importées (millésime {}).",
                file.display(),
                report.rows,
                report.vintage
            );
            // the derived tables follow the data (a collector or import never rebuilds them)
            if crate::indicators::rebuild_if_pending(&db.connect()?)? {
                println!("Indicateurs recalculés.");
            }
            Ok(())
        }
        Command::Export { parquet } => {
            require_db(&db_path)?;
            let db = Db::open(&db_path)?;
            db.configure(&config.database)?;
            let written = crate::store::export::parquet(&db.connect()?, &parquet)?;
            let rows: i64 = written.iter().map(|t| t.rows).sum();
            println!(
                "{} tables ({} lignes) exportées en Parquet dans {} (manifest.json).",
                written.len(),
                rows,
                parquet.display()
            );
            Ok(())
        }
        Command::Backup { dir } => crate::cli_backup::backup(&config, &db_path, &dir),
        Command::Restore { dir, force } => {
            let report = crate::store::backup::restore(&dir, &db_path, force)?;
            println!(
                "Sauvegarde du {} restaurée dans {} : {} tables, {} lignes vérifiées (schéma {}, {} migration(s) appliquée(s)).",
                report.manifest.created_at,
                db_path.display(),
                report.manifest.tables.len(),
                report.manifest.rows(),
                report.manifest.schema_version,
                report.migrations_applied
            );
            if let Some(prev) = report.previous {
                println!("L'ancienne base est conservée dans {}.", prev.display());
            }
            Ok(())
        }
        Command::Jobs { action } => crate::schedule::cli::run(action, &config, &db_path),
        Command::Forecast { .. } | Command::Bench { .. } => {
            unreachable!("handled before the configuration is read")
        }
        Command::Serve { bind } => {
            let bind = bind.unwrap_or_else(|| config.server.bind.clone());
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            rt.block_on(async move {
                // Signals first: SIGTERM during start-up stops cleanly instead of killing.
                let shutdown = crate::startup::shutdown_signal();
                // Bind first: a busy port fails fast, before any database work.
                let listener = crate::startup::bind(&bind).await?;
                let db = Db::open(&db_path)?;
                db.configure(&config.database)?;
                let conn_db = db.clone();
                let init_config = config.clone();
                let report = tokio::task::spawn_blocking(move || -> Result<_> {
                    let mut conn = conn_db.connect()?;
                    crate::init::run(&mut conn, &init_config)
                })
                .await
                .context("init")??;
                if report.default_data_loaded {
                    tracing::info!(seconds = report.seconds, "données embarquées chargées");
                }
                let config = std::sync::Arc::new(config);
                let token = std::env::var("OBSERVATOIRE_ADMIN_TOKEN").ok();
                if token.as_deref().is_none_or(str::is_empty) {
                    tracing::info!(
                        "administration désactivée (OBSERVATOIRE_ADMIN_TOKEN non défini)"
                    );
                }
                let state = crate::startup::app_state(db, config.clone(), token);
                if config.scheduler.enabled {
                    crate::startup::start_scheduler(
                        &state,
                        std::sync::Arc::new(crate::schedule::clock::SystemClock),
                        config.scheduler.catch_up,
                    );
                }
                tracing::info!(
                    "Observatoire en ligne sur http://{}",
                    listener.local_addr()?
                );
                crate::startup::serve(listener, state, shutdown).await
            })
        }
    }
}

/// Commands that read an existing database refuse to create an empty one.
pub(crate) fn require_db(path: &std::path::Path) -> Result<()> {
    if !path.exists() {
        anyhow::bail!(
            "base de données introuvable : {} (lancez d'abord `observatoire init`)",
            path.display()
        );
    }
    Ok(())
}

/// `observatoire bench …`: needs neither the configuration nor the configured database (synthetic
/// data only goes into a new file).
fn bench(action: &BenchAction, db: Option<&std::path::Path>) -> Result<()> {
    match action {
        BenchAction::Generate {
            offers,
            years,
            out,
            seed,
            dup_rate,
            gzip,
            end,
        } => {
            let r = crate::bench::generate::generate(&crate::bench::generate::Args {
                offers: *offers,
                years: *years,
                out: out.clone(),
                seed: *seed,
                dup_rate: *dup_rate,
                gzip: *gzip,
                end: *end,
            })?;
            println!(
                "{} offres synthétiques ({} doublons France Travail, {} copies site-synthetique) en {} pages, {} départements, dans {} ({:.1} s).",
                r.offers, r.ft_duplicates, r.site_copies, r.pages, r.departements, out.display(), r.seconds
            );
            Ok(())
        }
        BenchAction::Ingest { pages, json } => {
            let r = crate::bench::ingest::ingest(pages, db)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                for (what, p) in [("nouvelles", &r.new), ("déjà enregistrées", &r.stored)] {
                    println!(
                        "offres {what} : {} en {:.2} s → {:.0} offres/s (analyse {:.2} s, écriture {:.2} s ; {} ajoutées, {} mises à jour)",
                        p.offers, p.seconds, p.rate(), p.parse_seconds, p.write_seconds, p.added, p.updated
                    );
                    let phases: Vec<String> = p
                        .write_phases
                        .iter()
                        .map(|(n, s)| format!("{n} {s:.2} s"))
                        .collect();
                    println!("  écriture par phase : {}", phases.join(", "));
                }
                println!(
                    "base {} : {:.1} Mo (init {:.1} s, non compté)",
                    r.database.display(),
                    r.database_bytes as f64 / 1e6,
                    r.init_seconds
                );
            }
            Ok(())
        }
    }
}
