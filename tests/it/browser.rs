//! The zone page as a browser renders it (headless Chromium). On CI Chromium must be installed
//! (`.ci/run` installs it); elsewhere the test says it was skipped.
use std::process::Command;

use crate::helpers::TestApp;

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zone_page_renders_in_chromium() {
    let Some(bin) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium is required on CI"
        );
        eprintln!("SKIPPED: no Chromium on this machine");
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
