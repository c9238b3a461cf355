//! The zone page as a browser renders it (headless Chromium). On CI Chromium must be installed
//! (`.ci/run` installs it); elsewhere the test says it was skipped.
use std::process::Command;

use crate::helpers::TestApp;

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

/// Chromium, or `None` after saying the test is skipped (never on CI, where it is required).
fn chromium_or_skip() -> Option<&'static str> {
    let bin = chromium();
    if bin.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium is required on CI"
        );
        eprintln!("SKIPPED: no Chromium on this machine");
    }
    bin
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zone_page_renders_in_chromium() {
    let Some(bin) = chromium_or_skip() else {
        return;
    };
    let app = TestApp::spawn().await;
    let url = format!("{}/territoires/ze/2815", app.address);
    let profile = tempfile::tempdir().unwrap();
    let bin = bin.to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(bin)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=3000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("--dump-dom")
            .arg(url)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("<h1>Zone d'emploi : Rouen"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dom.contains("Taux de chômage"));
    assert!(dom.contains("data-indicator=\"taux-chomage\">8,0"));
    assert!(dom.contains("<svg"), "sparkline rendered");
}

/// Every page type in Chromium at 1280 px and 375 px: no console error, no serious or critical
/// axe-core violation, charts and maps rendered, nothing wider than a phone's screen outside a
/// scroll container, and the fiche printing to exactly two A4 pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_pass_axe_render_their_charts_and_the_fiche_prints_on_two_pages() {
    let Some(bin) = chromium_or_skip() else {
        return;
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        dir.join("node_modules/axe-core").exists(),
        "run the tests with scripts/test.sh, which installs tests/browser (npm ci)"
    );
    let app = TestApp::spawn().await;
    observatoire::forecast::store::rebuild(&app.db.db.connect().unwrap()).unwrap();
    let pages = [
        "/",
        "/?q=rouen",
        "/territoires/ze/2815",
        "/territoires/dep/76",
        "/territoires/reg/28",
        "/carte",
        "/carte?indicateur=bmo-difficiles&niveau=bassin",
        "print:/fiche/ze/2815",
        "print:/fiche/dep/76",
        "/methodologie",
        "/metiers/K1304",
        "/metiers/B2X31",
        "/secteurs/FZ",
        "/filieres/batiment-renovation?territoire=ze:2815",
        "/territoires/ze/2815/competences",
        "/comparer?t=ze:2815&t=ze:1109&t=dep:76",
        "/alertes",
        "/territoires/ze/9999",
    ];
    let (address, bin) = (app.address.clone(), bin.to_string());
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(dir.join("check.mjs"))
            .arg(address)
            .args(pages)
            .env("CHROMIUM", bin)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.len(), pages.len() * 2);
    for r in &results {
        let what = format!("{} at {} px", r["path"], r["width"]);
        let expected = if r["path"] == "/territoires/ze/9999" {
            404
        } else {
            200
        };
        assert_eq!(r["status"], expected, "{what}");
        let console: Vec<&str> = r["consoleErrors"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e.as_str())
            // the 404 page's own status is reported by Chromium as a failed resource
            .filter(|e| expected == 200 || !e.contains("404"))
            .collect();
        assert!(console.is_empty(), "{what}: console errors {console:?}");
        assert_eq!(r["axe"], serde_json::json!([]), "{what}: axe-core");
        assert_eq!(r["overflow"], false, "{what}: wider than the screen");
    }
    let get = |path: &str, width: i64| {
        results
            .iter()
            .find(|r| r["path"] == path && r["width"] == width)
            .unwrap()
    };
    let ze = get("/territoires/ze/2815", 375);
    assert!(ze["charts"].as_i64().unwrap() >= 4, "{ze}");
    assert_eq!(ze["maps"], 1);
    assert!(get("/carte", 1280)["paths"].as_i64().unwrap() >= 306);
    assert_eq!(get("/fiche/ze/2815", 1280)["pages"], 2);
    assert_eq!(get("/fiche/dep/76", 1280)["pages"], 2);
}
