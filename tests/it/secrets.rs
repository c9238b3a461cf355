//! Secrets — the France Travail client secret, its access tokens, the admin token (right or
//! wrong) — never appear in the logs (debug level, JSON), the pages, the error responses,
//! `/metrics`, `/health`, `/api/v1/jobs` or `status --json`, whether the collection succeeds or
//! its credentials are refused.
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::ft_mock::{offers, FtMock};
use crate::helpers::{test_db_file, ADMIN_TOKEN};

const SECRETS: [&str; 4] = ["s3cret", "faux-secret-9x", "jeton-faux-77", ADMIN_TOKEN];

fn assert_clean(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} shows {s:?}");
    }
    // access tokens the loopback OAuth server issued
    assert!(
        !text.contains("tok-0") && !text.contains("tok-1"),
        "{what} shows an access token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_logs_pages_metrics_or_status() {
    let mock = FtMock::start().await;
    mock.set_offers(offers("76", "76540", 200, 10, Utc::now()));
    let (dir, db) = test_db_file();
    // the shipped job, without its retries (minutes apart)
    let jobs = dir.path().join("jobs");
    std::fs::create_dir(&jobs).unwrap();
    let job = include_str!("../../jobs/francetravail-offres.toml")
        .lines()
        .filter(|l| !l.starts_with("retries") && !l.starts_with("retry_delay"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(jobs.join("francetravail-offres.toml"), job).unwrap();
    let port = crate::helpers::free_port();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[server]\nbind = \"127.0.0.1:{port}\"\n\n[scheduler]\nenabled = false\njobs_dir = \"{jobs}\"\n\n\
             [sources.france_travail]\napi_base = \"{uri}/partenaire/offresdemploi\"\ntoken_url = \"{uri}/token\"\n\
             departements = [\"76\"]\nrate_limit = 200.0\nrequest_timeout_secs = 5.0\nretry_base_delay_secs = 0.01\nmax_retries = 1\n",
            jobs = jobs.display(),
            uri = mock.server.uri()
        ),
    )
    .unwrap();
    let log_path = dir.path().join("serve.log");
    let mut serve = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .arg("--db")
        .arg(&db)
        .args(["--log-format", "json", "serve"])
        .current_dir(dir.path())
        .env("FT_CLIENT_ID", "observatoire")
        .env("FT_CLIENT_SECRET", "s3cret")
        .env("OBSERVATOIRE_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    crate::helpers::wait_listening(port);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let run = http
        .post(format!("{base}/admin/jobs/francetravail-offres/run"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(run.status(), 202);
    // wait for the run to finish
    let started = Instant::now();
    loop {
        let jobs: serde_json::Value = http
            .get(format!("{base}/api/v1/jobs"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let job = jobs
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["name"] == "francetravail-offres")
            .unwrap()
            .clone();
        let done = job["last_runs"]
            .as_array()
            .and_then(|r| r.first())
            .is_some_and(|r| r["status"] == "success");
        if done {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{job}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (path, token) in [
        ("/metrics", None),
        ("/health", None),
        ("/api/v1/jobs", None),
        ("/admin/jobs", Some(ADMIN_TOKEN)),
        ("/admin/jobs", Some("jeton-faux-77")),
        ("/territoires/ze/2815", None),
        ("/territoires/ze/9999", None),
    ] {
        let mut req = http.get(format!("{base}{path}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let body = req.send().await.unwrap().text().await.unwrap();
        assert_clean(path, &body);
    }
    let refused = http
        .post(format!("{base}/admin/jobs/francetravail-offres/run"))
        .bearer_auth("jeton-faux-77")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_clean("401", &refused.text().await.unwrap());
    drop(http);
    Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .unwrap();
    assert!(serve.wait().unwrap().success());

    // credentials refused by the OAuth server: the run fails and says why, without the secret
    let out = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .arg("--db")
        .arg(&db)
        .args(["jobs", "run", "francetravail-offres"])
        .current_dir(dir.path())
        .env("FT_CLIENT_ID", "observatoire")
        .env("FT_CLIENT_SECRET", "faux-secret-9x")
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("401") || err.contains("refus"), "{err}");
    assert_clean("jobs run", &err);
    assert_clean("jobs run (stdout)", &String::from_utf8_lossy(&out.stdout));

    let status = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .arg("--db")
        .arg(&db)
        .args(["status", "--json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(status.status.success());
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("francetravail-offres"), "{text}");
    assert_clean("status --json", &text);
    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(logs.lines().count() > 20, "{logs}");
    assert_clean("serve logs", &logs);
}
