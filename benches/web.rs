//! The pages and the API under load on loopback: 64 concurrent connections (keep-alive) against
//! `serve`'s router over the embedded data. Prints, for each case, requests/s, p50 and p99:
//! the territory dashboard cached (the data version unchanged), the same uncached (a distinct
//! address per request, so every request renders the page from the derived tables), one user
//! uncached (the latency one person sees), the tension API and its CSV export; then the
//! process's peak memory (VmHWM).
//!
//! `cargo bench --bench web [-- REQUESTS]` (default 3,000 per case). `cargo bench --bench web --
//! serve SECONDS` only serves (address printed) for an external load tool such as `oha`, then
//! prints the server's own peak memory (`scripts/bench_web.sh` does both). The load is generated
//! in-process by reqwest on the same two cores as the server: the figures are a floor for what
//! the server alone does. National scale (10 million offers) awaits the scale dataset of the
//! benchmark issue.
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

async fn load(client: &reqwest::Client, urls: Vec<String>, conns: usize) -> (f64, Vec<Duration>) {
    let sem = Arc::new(Semaphore::new(conns));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(urls.len());
    for url in urls {
        let (client, sem) = (client.clone(), sem.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await.unwrap();
            let t = Instant::now();
            let r = client.get(&url).send().await.unwrap();
            assert!(r.status().is_success(), "{url}: {}", r.status());
            r.bytes().await.unwrap();
            t.elapsed()
        }));
    }
    let mut lat = Vec::with_capacity(tasks.len());
    for t in tasks {
        lat.push(t.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort();
    (lat.len() as f64 / secs, lat)
}

fn pct(lat: &[Duration], p: f64) -> f64 {
    lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)].as_secs_f64() * 1000.0
}

/// A memory line of `/proc/self/status` (`VmHWM`: peak, `VmRSS`: now), in MiB.
fn status_mib(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(key)).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

fn rss_mib() -> f64 {
    status_mib("VmRSS:")
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let serve_only = args.iter().any(|a| a == "serve");
    let n: usize = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(if serve_only { 120 } else { 3_000 });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.duckdb");
    let db = observatoire::store::Db::open(&path)?;
    let config = observatoire::config::Config::parse(include_str!("../config.toml"))
        .map_err(anyhow::Error::msg)?;
    let t = Instant::now();
    observatoire::init::run(&mut db.connect()?, &config)?;
    observatoire::forecast::store::rebuild(&db.connect()?)?;
    println!(
        "données embarquées et prévisions : {:.1} s",
        t.elapsed().as_secs_f64()
    );
    rt.block_on(async move {
        let listener = observatoire::startup::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let state = observatoire::startup::app_state(db, Arc::new(config), None);
        tokio::spawn(async move {
            observatoire::startup::serve(listener, state, std::future::pending()).await
        });
        if serve_only {
            println!("serveur prêt : {base}");
            tokio::time::sleep(Duration::from_secs(n as u64)).await;
            println!(
                "mémoire du serveur : maximale {:.0} Mio (chargement des données compris), à la fin {:.0} Mio",
                peak_rss_mib(),
                rss_mib()
            );
            return anyhow::Ok(());
        }
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .no_gzip()
            .build()?;
        let same = |path: &str| vec![format!("{base}{path}"); n];
        // warm-up: the geometries, the first render
        load(&client, same("/territoires/ze/2815"), 4).await;
        let cases: Vec<(&str, Vec<String>, usize)> = vec![
            (
                "tableau de bord, en cache, 64 connexions",
                same("/territoires/ze/2815"),
                64,
            ),
            (
                "tableau de bord, en cache, 1 utilisateur",
                same("/territoires/ze/2815")[..n / 10].to_vec(),
                1,
            ),
            ("santé (/health), 64 connexions", same("/health"), 64),
            (
                "tableau de bord, hors cache, 64 connexions",
                (0..n)
                    .map(|i| format!("{base}/territoires/ze/2815?tri=niveau&page={}", i + 2))
                    .collect(),
                64,
            ),
            (
                "tableau de bord, hors cache, 1 utilisateur",
                (0..n / 10)
                    .map(|i| format!("{base}/territoires/ze/2815?tri=projets&page={}", i + 2))
                    .collect(),
                1,
            ),
            (
                "API tension, en cache, 64 connexions",
                same("/api/v1/territoires/ze/2815/tension"),
                64,
            ),
            (
                "export CSV tension, en cache, 64 connexions",
                same("/api/v1/territoires/ze/2815/tension?format=csv"),
                64,
            ),
        ];
        println!(
            "{:<48} {:>10} {:>9} {:>9}",
            "cas", "req/s", "p50 ms", "p99 ms"
        );
        for (name, urls, conns) in cases {
            let (rps, lat) = load(&client, urls, conns).await;
            println!(
                "{name:<48} {rps:>10.0} {:>9.1} {:>9.1}",
                pct(&lat, 0.5),
                pct(&lat, 0.99)
            );
        }
        println!(
            "mémoire maximale du processus (serveur + générateur de charge) : {:.0} Mio",
            peak_rss_mib()
        );
        anyhow::Ok(())
    })?;
    Ok(())
}
