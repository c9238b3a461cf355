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
    observatoire::init::run(&mut db.connect()?)?;
    eprintln!("init: {:.1} s (not counted)", t.elapsed().as_secs_f64());

    let t0 = Instant::now();
    let mut rows = Vec::with_capacity(n);
    for b in &bodies {
        let page: SearchPage = serde_json::from_slice(b)?;
        rows.extend(page.resultats.into_iter().map(ApiOffer::normalise));
    }
    let parse = t0.elapsed().as_secs_f64();

    let now = chrono::Utc::now().naive_utc();
    let t1 = Instant::now();
    let mut conn = db.connect()?;
    let s = write(
        &mut conn,
        &Batch {
            source_id: "ft-offres",
            collector: "bench",
            scope: "75",
            departement: Some("75"),
            rows: &rows,
            full: true,
            now,
            window_end: now,
        },
        &Cancel::default(),
    )?;
    let upsert_new = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let s2 = write(
        &mut conn,
        &Batch {
            source_id: "ft-offres",
            collector: "bench",
            scope: "75",
            departement: Some("75"),
            rows: &rows,
            full: true,
            now,
            window_end: now,
        },
        &Cancel::default(),
    )?;
    let upsert_again = t2.elapsed().as_secs_f64();
    assert_eq!((s.rows_added, s2.rows_updated), (n as i64, n as i64));

    // Parsing the next batch while the previous one is written (two threads), fresh database.
    let dir2 = tempfile::tempdir()?;
    let db2 = Db::open(&dir2.path().join("bench2.duckdb"))?;
    observatoire::init::run(&mut db2.connect()?)?;
    let batches: Vec<&[Vec<u8>]> = bodies.chunks(200).collect();
    let t3 = Instant::now();
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<_>>(1);
    let mut conn2 = db2.connect()?;
    let writer = std::thread::spawn(move || -> anyhow::Result<i64> {
        let mut added = 0;
        for (k, rows) in rx.into_iter().enumerate() {
            let dep = format!("{k:02}");
            let s = write(
                &mut conn2,
                &Batch {
                    source_id: "ft-offres",
                    collector: "bench",
                    scope: &dep,
                    departement: Some(&dep),
                    rows: &rows,
                    full: true,
                    now,
                    window_end: now,
                },
                &Cancel::default(),
            )?;
            added += s.rows_added;
        }
        Ok(added)
    });
    for batch in batches {
        let mut rows = Vec::new();
        for b in batch {
            let page: SearchPage = serde_json::from_slice(b)?;
            rows.extend(page.resultats.into_iter().map(ApiOffer::normalise));
        }
        tx.send(rows)?;
    }
    drop(tx);
    let added = writer.join().expect("writer thread")?;
    let pipelined = t3.elapsed().as_secs_f64();
    assert_eq!(added, n as i64);

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
        "parse + normalise + upsert   {:>10.0} offers/s ({total:.2} s, one after the other)",
        n as f64 / total
    );
    println!(
        "  parse ∥ write, 2 threads   {:>10.0} offers/s ({pipelined:.2} s, batches of 30,000)",
        n as f64 / pipelined
    );
    Ok(())
}
