//! Collector throughput: parse + normalise + upsert of real-format France Travail pages.
//!
//! `cargo bench --bench collect [-- N]` (default 300,000 offers). The pages are built from the real
//! API page in `tests/fixtures/` (new ids, spread creation dates); the database is a fresh
//! `init`-ed DuckDB file. Prints offers per second for each stage and for the whole.
use std::io::Read;
use std::time::Instant;

use observatoire::collect::francetravail::model::{ApiOffer, SearchPage};
use observatoire::collect::francetravail::store::{write, Batch};
use observatoire::schedule::context::Cancel;
use observatoire::store::Db;

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300_000);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/offres_search_2025-11-13_page0.json.gz"
    );
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path)?).read_to_string(&mut text)?;
    let page: serde_json::Value = serde_json::from_str(&text)?;
    let offers = page["resultats"].as_array().unwrap().clone();

    // Real-format response bodies, 150 offers each.
    let mut bodies = Vec::new();
    let mut i = 0;
    while i < n {
        let chunk: Vec<serde_json::Value> = (i..(i + 150).min(n))
            .map(|k| {
                let mut o = offers[k % offers.len()].clone();
                o["id"] = serde_json::Value::String(format!("B{k:08}"));
                o
            })
            .collect();
        bodies.push(serde_json::to_vec(
            &serde_json::json!({ "resultats": chunk }),
        )?);
        i += 150;
    }
    let bytes: usize = bodies.iter().map(Vec::len).sum();

    let dir = tempfile::tempdir()?;
    let db = Db::open(&dir.path().join("bench.duckdb"))?;
    let t = Instant::now();
    observatoire::init::run(&mut db.connect()?, &observatoire::config::Config::default())?;
    eprintln!("init: {:.1} s (not counted)", t.elapsed().as_secs_f64());

    let t0 = Instant::now();
    let mut api = Vec::with_capacity(n);
    for b in &bodies {
        let page: SearchPage = serde_json::from_slice(b)?;
        api.extend(page.resultats);
    }
    let parse_only = t0.elapsed().as_secs_f64();
    let rows: Vec<_> = api.into_iter().map(ApiOffer::normalise).collect();
    let parse = t0.elapsed().as_secs_f64();
    eprintln!(
        "  of which JSON {parse_only:.2} s, normalise {:.2} s",
        parse - parse_only
    );

    let now = chrono::Utc::now().naive_utc();
    let batch = Batch {
        source_id: "ft-offres",
        collector: "bench",
        scope: "75",
        departement: Some("75"),
        rows: &rows,
        full: true,
        now,
        window_end: now,
        guard: observatoire::collect::francetravail::store::Guard {
            max_drop_share: 0.5,
            force: false,
        },
    };
    let mut conn = db.connect()?;
    let t1 = Instant::now();
    let s = write(&mut conn, &batch, &Cancel::default())?;
    let upsert_new = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let s2 = write(&mut conn, &batch, &Cancel::default())?;
    let upsert_again = t2.elapsed().as_secs_f64();
    assert_eq!((s.rows_added, s2.rows_updated), (n as i64, n as i64));

    let total = parse + upsert_new;
    println!("offers                       {n}");
    println!("JSON                         {:.1} MB", bytes as f64 / 1e6);
    println!(
        "parse + normalise            {:>10.0} offers/s ({parse:.2} s)",
        n as f64 / parse
    );
    println!(
        "upsert, new offers           {:>10.0} offers/s ({upsert_new:.2} s)",
        n as f64 / upsert_new
    );
    println!(
        "upsert, existing offers      {:>10.0} offers/s ({upsert_again:.2} s)",
        n as f64 / upsert_again
    );
    println!(
        "parse + normalise + upsert   {:>10.0} offers/s ({total:.2} s)",
        n as f64 / total
    );
    Ok(())
}
