//! The rebuild of every derived table over N synthetic offers, beside bare DuckDB SQL computing
//! the same offer and skill aggregates (the families whose cost grows with the offers):
//! `reference.rs`, every aggregate the rebuild publishes, and two narrower scripts kept to compare
//! with earlier measures (fewer aggregates, as GROUPING SETS and as UNION ALL).
//!
//! `cargo bench --bench rebuild [-- N]` (default 1,000,000; the analytics issue asks for
//! 10,000,000). Synthetic offers are the 6,150 real sample offers repeated (their métier, sector,
//! commune, contract, salary and skills mix) with creation dates spread over two years and 90 %
//! of them closed after 1–45 days; labelled synthetic (`source_id` `bench-synthetique`), in a
//! temporary database only. Runs alternate (ours, then each reference, three rounds), each in its own
//! process so that its peak memory (VmHWM) is its own; prints each run and the medians, and the
//! slowest statements of our first run (`indicators::sql` times every statement).
//!
//! `BENCH_DB=PATH` keeps the generated database (and reuses it when it exists: profiling one
//! change after another); `BENCH_ROUNDS=1` for a quick profile; `BENCH_GENERATE_ONLY=1`.
#[path = "rebuild/reference.rs"]
mod reference;

use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};
use duckdb::Connection;

const BARE: &str = "
CREATE OR REPLACE TABLE bare_offres AS
WITH o AS (
    SELECT o.id, o.commune, o.closed_at IS NULL AS ouverte,
        strftime(coalesce(o.date_creation, o.first_seen), '%Y-%m') AS mois,
        CASE WHEN o.type_contrat = 'CDI' THEN true
             WHEN o.type_contrat IN ('CDD', 'MIS', 'SAI', 'DDI') THEN coalesce(o.duree_contrat_mois >= 6, false) END AS durable,
        CASE o.duree_travail WHEN 'Temps plein' THEN true WHEN 'Temps partiel' THEN false END AS plein,
        (o.salaire_min_mensuel + coalesce(o.salaire_max_mensuel, o.salaire_min_mensuel)) / 2 AS salaire,
        CASE WHEN o.closed_at IS NOT NULL THEN date_diff('day', o.first_seen, o.closed_at) END AS jours,
        coalesce(o.rome, '?') AS rome, coalesce(f.fap2021, '?') AS fap2021, coalesce(f.fap2009, '?') AS fap2009,
        coalesce(r.grand_domaine, '?') AS gd, coalesce(n.section, '?') AS a21, coalesce(n.a38, '?') AS a38,
        coalesce(n.division, '?') AS a88
    FROM raw_ft_offre o
    LEFT JOIN ref_rome_fap f ON f.rome = o.rome AND f.qualification = coalesce(o.qualification_code, '0')
    LEFT JOIN ref_rome r ON r.code = o.rome LEFT JOIN ref_naf n ON n.code = o.naf
    WHERE o.commune IS NOT NULL)
SELECT t.kind, t.code, o.mois, o.rome, o.fap2021, o.fap2009, o.gd, o.a21, o.a38, o.a88,
    count(*) AS offres, count(*) FILTER (WHERE o.ouverte) AS ouvertes, median(o.jours) AS jours,
    avg(o.durable::INTEGER) AS durables, avg(o.plein::INTEGER) AS plein,
    quantile_cont(o.salaire, [0.25, 0.5, 0.75]) AS salaires
FROM o JOIN territory_commune t ON t.commune = o.commune
GROUP BY GROUPING SETS ((t.kind, t.code, o.mois), (t.kind, t.code, o.mois, o.rome), (t.kind, t.code, o.mois, o.fap2021),
    (t.kind, t.code, o.mois, o.fap2009), (t.kind, t.code, o.mois, o.gd), (t.kind, t.code, o.mois, o.a21),
    (t.kind, t.code, o.mois, o.a38), (t.kind, t.code, o.mois, o.a88));
CREATE OR REPLACE TABLE bare_competences AS
SELECT t.kind, t.code, c.code_ogr, count(*) AS offres
FROM raw_ft_offre o JOIN raw_ft_offre_competence c ON c.offre_id = o.id
JOIN territory_commune t ON t.commune = o.commune
WHERE o.closed_at IS NULL AND c.code_ogr IS NOT NULL GROUP BY ALL;
";

/// [`BARE`] written as one GROUP BY per breakdown joined by UNION ALL: the form our rebuild uses
/// (DuckDB 1.5 computes medians and quartiles faster so than in one GROUPING SETS), so that the
/// ratio is also given against the fastest bare SQL we know.
fn bare_union() -> String {
    let (head, rest) = BARE
        .split_once("SELECT t.kind, t.code, o.mois")
        .expect("BARE's shape");
    let (_, skills) = rest.split_once(";\n").expect("BARE's shape");
    let measures = "count(*) AS offres, count(*) FILTER (WHERE o.ouverte) AS ouvertes, median(o.jours) AS jours,
        avg(o.durable::INTEGER) AS durables, avg(o.plein::INTEGER) AS plein,
        quantile_cont(o.salaire, [0.25, 0.5, 0.75]) AS salaires";
    let parts: Vec<String> = std::iter::once(("total", "'total'"))
        .chain([
            ("rome", "o.rome"),
            ("fap2021", "o.fap2021"),
            ("fap2009", "o.fap2009"),
            ("gd", "o.gd"),
            ("a21", "o.a21"),
            ("a38", "o.a38"),
            ("a88", "o.a88"),
        ])
        .map(|(d, k)| {
            format!(
                "SELECT t.kind, t.code, o.mois, '{d}' AS dimension, {k} AS key, {measures}
                 FROM o JOIN territory_commune t ON t.commune = o.commune GROUP BY ALL"
            )
        })
        .collect();
    format!("{head}{};\n{skills}", parts.join("\nUNION ALL\n"))
}

fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn generate(conn: &Connection, n: u64) -> Result<()> {
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE src AS
         SELECT row_number() OVER (ORDER BY id) - 1 AS k, * FROM raw_ft_offre WHERE source_id = 'ft-offres-echantillon';
         CREATE OR REPLACE TEMP TABLE gen AS
         SELECT i, s.id AS src_id, s.*,
             TIMESTAMP '2024-01-01' + to_seconds((i * 7919) % (730 * 86400)) AS created
         FROM range({n}) r(i) JOIN src s ON s.k = i % (SELECT count(*) FROM src);
         INSERT INTO raw_ft_offre (id, source_id, intitule, date_creation, date_actualisation, lieu_libelle,
             commune_brute, code_postal, commune, rome, appellation_libelle, entreprise_nom, type_contrat,
             nature_contrat, experience_exige, qualification_code, naf, secteur_division, nombre_postes,
             alternance, accessible_th, offres_manque_candidats, salaire_libelle, origine, first_seen, last_seen,
             closed_at, salaire_min_mensuel, salaire_max_mensuel, duree_travail, duree_contrat_mois)
         SELECT 'SYN' || i, 'bench-synthetique', intitule, created, created, lieu_libelle, commune_brute,
             code_postal, commune, rome, appellation_libelle, entreprise_nom || ' ' || (i % 997), type_contrat,
             nature_contrat, experience_exige, qualification_code, naf, secteur_division, nombre_postes,
             alternance, accessible_th, offres_manque_candidats, salaire_libelle, origine, created, created,
             CASE WHEN i % 10 <> 0 THEN created + to_days(1 + i % 45) END,
             salaire_min_mensuel, salaire_max_mensuel, duree_travail, duree_contrat_mois
         FROM gen;
         INSERT INTO raw_ft_offre_competence
         SELECT 'SYN' || g.i, c.code_ogr, c.libelle, c.exigence FROM gen g
         JOIN raw_ft_offre_competence c ON c.offre_id = g.src_id;
         DROP TABLE gen; DROP TABLE src;
         CHECKPOINT;"
    ))?;
    Ok(())
}

/// One measured run in this process: prints `ours|bare seconds peak_kib [scaling seconds]`.
fn phase(which: &str, db: &str) -> Result<()> {
    let conn = Connection::open(db)?;
    let started = Instant::now();
    let scaling = match which {
        "ours" => {
            // the rebuild as the indicators job runs it: built beside the published tables,
            // published in one transaction (indicators::publish)
            observatoire::indicators::sql::take_statement_times();
            let times =
                observatoire::indicators::rebuild_then(&conn, || Ok(())).context("rebuild")?;
            print_slowest();
            times
                .iter()
                .filter(|(f, _)| *f == "offres" || *f == "compétences")
                .map(|(_, d)| d.as_secs_f64())
                .sum()
        }
        "bare-full" => {
            // statement by statement, timed like ours (the parent prints the slowest)
            observatoire::indicators::sql::take_statement_times();
            observatoire::indicators::sql::run(&conn, &reference::sql())?;
            print_slowest();
            started.elapsed().as_secs_f64()
        }
        "bare" => {
            conn.execute_batch(BARE)?;
            started.elapsed().as_secs_f64()
        }
        _ => {
            conn.execute_batch(&bare_union())?;
            started.elapsed().as_secs_f64()
        }
    };
    println!(
        "{which} {:.3} {} {:.3}",
        started.elapsed().as_secs_f64(),
        peak_kib(),
        scaling
    );
    Ok(())
}

/// Where the time went: the slowest statements since the last call, on stderr (the parent
/// prints them); `TOPN=…` for more than 12.
fn print_slowest() {
    let mut statements = observatoire::indicators::sql::take_statement_times();
    statements.sort_by_key(|s| std::cmp::Reverse(s.1));
    let n = std::env::var("TOPN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    for (statement, took) in statements.iter().take(n) {
        eprintln!("  {:>8.2} s  {statement}", took.as_secs_f64());
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--phase") {
        return phase(&args[i + 1], &args[i + 2]);
    }
    let n: u64 = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    // BENCH_DB=PATH keeps the generated database there (to profile it); a temporary one otherwise
    let path = std::env::var_os("BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("bench.duckdb"));
    // an existing BENCH_DB is reused as it is (profiling one change after another)
    if !path.exists() {
        let db = observatoire::store::Db::open(&path)?;
        let mut conn = db.connect()?;
        let cfg = observatoire::config::Config::default();
        observatoire::init::run(&mut conn, &cfg)?;
        let t = Instant::now();
        generate(&conn, n)?;
        println!(
            "{n} synthetic offers generated in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    if std::env::var_os("BENCH_GENERATE_ONLY").is_some() {
        return Ok(());
    }
    let exe = std::env::current_exe()?;
    // per phase: total seconds, the offer + skill families' seconds, peak KiB
    let all = ["ours", "bare-full", "bare", "bare-union"];
    // BENCH_PHASES=ours,bare-full to run only these (the summary leaves out the others)
    let chosen = std::env::var("BENCH_PHASES").unwrap_or_default();
    let phases: Vec<&str> = all
        .iter()
        .copied()
        .filter(|p| chosen.is_empty() || chosen.split(',').any(|c| c == *p))
        .collect();
    let mut runs: Vec<Vec<(f64, f64, u64)>> = vec![Vec::new(); phases.len()];
    // BENCH_ROUNDS=1 for a quick profile; three rounds by default (medians)
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    for round in 0..rounds {
        for (i, which) in phases.iter().enumerate() {
            let out = Command::new(&exe)
                .args(["--phase", which, path.to_str().unwrap()])
                .output()?;
            anyhow::ensure!(
                out.status.success(),
                "{which}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
            println!("round {round}: {line}");
            if round == 0 && (*which == "ours" || *which == "bare-full") {
                println!("  slowest statements of {which}:");
                print!("{}", String::from_utf8_lossy(&out.stderr));
            }
            let f: Vec<&str> = line.split_whitespace().collect();
            runs[i].push((f[1].parse()?, f[3].parse()?, f[2].parse()?));
        }
    }
    // the median of a phase's runs (0 for a phase not run)
    let at = |name: &str| phases.iter().position(|p| *p == name);
    let med = |name: &str, pick: fn(&(f64, f64, u64)) -> f64| {
        at(name).map_or(0.0, |i| median(runs[i].iter().map(pick).collect()))
    };
    let peak =
        |name: &str| at(name).map_or(0, |i| runs[i].iter().map(|r| r.2).max().unwrap_or(0) / 1024);
    let (o, os, bf, b, bu) = (
        med("ours", |r| r.0),
        med("ours", |r| r.1),
        med("bare-full", |r| r.0),
        med("bare", |r| r.0),
        med("bare-union", |r| r.0),
    );
    println!("offers: {n}");
    println!(
        "full rebuild of every derived table (ours): {o:.2} s, peak {} MiB",
        peak("ours")
    );
    println!("  of which offers + skills families: {os:.2} s");
    println!(
        "bare DuckDB SQL, every offer and skill aggregate of the rebuild (benches/rebuild/reference.rs): {bf:.2} s, peak {} MiB",
        peak("bare-full")
    );
    println!(
        "ratio full rebuild / bare SQL of the same aggregates (goal <= 1.3): {:.2}",
        o / bf
    );
    println!(
        "ratio offers + skills families / bare SQL of the same aggregates: {:.2}",
        os / bf
    );
    // the narrower references, when run
    if at("bare").is_some() && at("bare-union").is_some() {
        println!(
            "bare DuckDB SQL, fewer aggregates (no filières, closures, stock, open offers, emerging skills), GROUPING SETS: {b:.2} s, peak {} MiB",
            peak("bare")
        );
        println!(
            "bare DuckDB SQL, the same fewer aggregates as one GROUP BY per breakdown (UNION ALL): {bu:.2} s, peak {} MiB",
            peak("bare-union")
        );
        println!(
            "ratio full rebuild / fewer aggregates: {:.2} (GROUPING SETS), {:.2} (UNION ALL)",
            o / b,
            o / bu
        );
    }
    Ok(())
}
