//! `TestApp`: a copy of a database initialised once per test run, served on a random port.
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use observatoire::store::Db;
use tempfile::TempDir;

/// One initialised database per test process; each test gets its own copy.
fn template_db() -> &'static Path {
    static TEMPLATE: OnceLock<(TempDir, PathBuf)> = OnceLock::new();
    &TEMPLATE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("template.duckdb");
            let db = Db::open(&path).unwrap();
            observatoire::init::run(&mut db.connect().unwrap(), &shipped_config()).unwrap();
            drop(db);
            (dir, path)
        })
        .1
}

/// The configuration shipped in `config.toml` (with its filières).
pub fn shipped_config() -> observatoire::config::Config {
    observatoire::config::Config::parse(include_str!("../../config.toml")).unwrap()
}

pub struct TestDb {
    pub db: Db,
    pub _dir: TempDir,
}

/// A private copy of the initialised database file, not opened (for the binary to open).
pub fn test_db_file() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("observatoire.duckdb");
    std::fs::copy(template_db(), &path).unwrap();
    (dir, path)
}

/// A `config.toml` in `dir` whose only setting is the repository's `jobs/` folder (for the
/// binary run from `dir`).
pub fn write_jobs_config(dir: &Path) {
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[scheduler]\njobs_dir = \"{}\"\n",
            concat!(env!("CARGO_MANIFEST_DIR"), "/jobs")
        ),
    )
    .unwrap();
}

/// A private, initialised database, opened.
pub fn test_db() -> TestDb {
    let (dir, path) = test_db_file();
    let db = Db::open(&path).unwrap();
    TestDb { db, _dir: dir }
}

/// A loopback port nobody listens on (for a `serve` child to bind).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (60 s at most) until something listens on the loopback `port`.
pub fn wait_listening(port: u16) {
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "nothing listens on port {port} after 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

pub const ADMIN_TOKEN: &str = "jeton-de-test-5f2c";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDb,
}

/// Builds a `TestApp`: default config, admin token set, no scheduler.
pub struct TestAppBuilder {
    config: observatoire::config::Config,
    admin_token: Option<String>,
}

impl TestAppBuilder {
    pub fn admin_token(mut self, token: Option<&str>) -> Self {
        self.admin_token = token.map(str::to_string);
        self
    }
    pub async fn spawn(self) -> TestApp {
        let db = test_db();
        let listener = observatoire::startup::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let state = observatoire::startup::app_state(
            db.db.clone(),
            std::sync::Arc::new(self.config),
            self.admin_token,
        );
        tokio::spawn(async move {
            observatoire::startup::serve(listener, state, std::future::pending())
                .await
                .unwrap()
        });
        TestApp {
            address,
            client: reqwest::Client::new(),
            db,
        }
    }
}

impl TestApp {
    /// Each path answers its status with `application/problem+json`.
    pub async fn assert_problems(&self, cases: &[(&str, u16)]) {
        for (path, status) in cases {
            let r = self.get(path).await;
            assert_eq!(r.status(), *status, "{path}");
            assert_eq!(
                r.headers()["content-type"],
                "application/problem+json",
                "{path}"
            );
        }
    }

    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            config: observatoire::config::Config::default(),
            admin_token: Some(ADMIN_TOKEN.into()),
        }
    }

    pub async fn spawn() -> TestApp {
        Self::builder().spawn().await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .unwrap()
    }

    /// The JSON body of `GET path`.
    pub async fn json(&self, path: &str) -> serde_json::Value {
        self.get(path).await.json().await.unwrap()
    }

    /// The text body of `GET path`.
    pub async fn text(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap()
    }
}

/// Reads a file of the embedded default dataset (independently of the loaders under test).
pub fn default_data(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/default")
        .join(name);
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    s
}

/// What the scheduler does after a collection: rebuild the derived tables. Asserts that the
/// collection marked its data changed (a collector never rebuilds them itself).
pub fn rebuild(db: &Db) {
    let c = db.connect().unwrap();
    assert!(
        observatoire::indicators::rebuild_if_pending(&c).unwrap(),
        "the collection marked its data changed"
    );
}

pub fn count(db: &Db, sql: &str) -> i64 {
    db.connect()
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

/// Writes `text` as a job file, loads it as the scheduler would, and runs it now with the
/// product's runner.
pub async fn run_job_file(db: &TestDb, text: &str) -> observatoire::schedule::runner::Outcome {
    run_job_file_with(db, text, observatoire::config::Config::default()).await
}

/// [`run_job_file`] with a configuration.
pub async fn run_job_file_with(
    db: &TestDb,
    text: &str,
    config: observatoire::config::Config,
) -> observatoire::schedule::runner::Outcome {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.toml"), text).unwrap();
    let (jobs, errors) = observatoire::schedule::jobs::load_dir(dir.path());
    assert!(errors.is_empty(), "{errors:?}");
    observatoire::schedule::runner::Runner::new(db.db.clone(), std::sync::Arc::new(config))
        .run(
            &jobs[0],
            observatoire::schedule::runner::Trigger::Manual,
            None,
        )
        .await
        .unwrap()
}

/// Today (UTC) in French words, as the freshness sentences write it.
/// The date in French words, in France, of a UTC timestamp as `/health` gives it
/// (`2026-12-01T23:48:49`): a load just before midnight in Paris is of that day.
pub fn french_date_of(utc: &str) -> String {
    use chrono::TimeZone;
    let t = chrono::NaiveDateTime::parse_from_str(utc, "%Y-%m-%dT%H:%M:%S%.f").unwrap();
    observatoire::status::french_date(chrono_tz::Europe::Paris.from_utc_datetime(&t).date_naive())
}

/// Every table whose name starts with `prefix` ("" for all), with its row count and a hash of its content
/// (order-independent): equal fingerprints mean equal tables.
pub fn table_fingerprint(db: &Db, prefix: &str) -> Vec<(String, String)> {
    let conn = db.connect().unwrap();
    observatoire::store::backup::tables(&conn)
        .unwrap()
        .into_iter()
        .filter(|t| t.starts_with(prefix))
        .map(|t| {
            let (rows, fp) = observatoire::store::backup::fingerprint(&conn, &t).unwrap();
            (t, format!("{rows}:{fp}"))
        })
        .collect()
}

/// The credentials the loopback OAuth servers accept.
pub fn test_credentials() -> observatoire::collect::http::Credentials {
    observatoire::collect::http::Credentials {
        client_id: "observatoire".into(),
        client_secret: "s3cret".into(),
    }
}

/// A job context on `db` with `cfg`, no progress display, never cancelled.
pub fn job_ctx(
    db: &TestDb,
    cfg: observatoire::config::Config,
) -> observatoire::schedule::context::JobCtx {
    observatoire::schedule::context::JobCtx::new(
        db.db.clone(),
        std::sync::Arc::new(cfg),
        observatoire::schedule::context::Cancel::default(),
        std::sync::Arc::new(observatoire::schedule::context::NoProgress),
    )
}
