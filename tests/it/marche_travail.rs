//! The Marché du travail collector against a loopback server answering in the spec's format
//! (`IndicateurRetour` / `ValeursParPeriode`), with faults: 429 + Retry-After, 5xx, a truncated
//! body, an expired token; one transaction per territory; idempotent reruns; skipped without
//! credentials; the jobseekers it brings reach the tension indicator.
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use observatoire::collect::http::Credentials;
use observatoire::config::Config;
use observatoire::schedule::context::JobCtx;
use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::helpers::{count, test_db, TestDb};

#[derive(Clone, Debug)]
enum Fault {
    TooMany,
    ServerError,
    Truncated,
    ExpireTokens,
}

#[derive(Default)]
struct State {
    faults: Mutex<VecDeque<Fault>>,
    /// Territory codes that always answer 500.
    broken: Mutex<HashSet<String>>,
    tokens: Mutex<HashSet<String>>,
    token_requests: AtomicU64,
    requests: AtomicU64,
    scopes: Mutex<Vec<String>>,
}

struct Token(Arc<State>);
impl Respond for Token {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let n = self.0.token_requests.fetch_add(1, Ordering::SeqCst);
        let body = String::from_utf8_lossy(&req.body).to_string();
        self.0.scopes.lock().unwrap().push(body);
        let t = format!("mdt-{n}");
        self.0.tokens.lock().unwrap().insert(t.clone());
        ResponseTemplate::new(200)
            .set_body_json(json!({"access_token": t, "token_type": "Bearer", "expires_in": 1499}))
    }
}

/// A deterministic value for a territory × métier (so that métiers differ).
fn seed(territory: &str, rome: &str) -> i64 {
    (territory
        .bytes()
        .chain(rome.bytes())
        .map(i64::from)
        .sum::<i64>()
        % 37)
        + 5
}

struct Stats(Arc<State>);
impl Respond for Stats {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let s = &self.0;
        s.requests.fetch_add(1, Ordering::SeqCst);
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        match s.faults.lock().unwrap().pop_front() {
            Some(Fault::TooMany) => {
                return ResponseTemplate::new(429).insert_header("retry-after", "0")
            }
            Some(Fault::ServerError) => return ResponseTemplate::new(503),
            Some(Fault::Truncated) => {
                return ResponseTemplate::new(200)
                    .set_body_string("{\"codeIndicateur\": \"DE_1\", \"listeValeursPar")
            }
            Some(Fault::ExpireTokens) => s.tokens.lock().unwrap().clear(),
            None => {}
        }
        if !s
            .tokens
            .lock()
            .unwrap()
            .contains(auth.trim_start_matches("Bearer "))
        {
            return ResponseTemplate::new(401);
        }
        let p = req.url.path().to_string();
        let (territory, rome, code) = if p.contains("salaire-rome-fap") {
            let parts: Vec<&str> = p.rsplit('/').take(2).collect();
            let rome = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "codeRome")
                .map(|(_, v)| v.to_string())
                .unwrap_or_default();
            (parts[0].to_string(), rome, "SAL_3")
        } else {
            let b: Value = serde_json::from_slice(&req.body).unwrap();
            let code = match p.rsplit('/').next().unwrap() {
                "stat-demandeurs" => "DE_1",
                "stat-demandeurs-entrant" => "DE_5",
                "stat-offres" => "OFF_1",
                "stat-embauches" => "EMB_1",
                _ => "PERSP_2",
            };
            (
                b["codeTerritoire"].as_str().unwrap().to_string(),
                b["codeActivite"].as_str().unwrap().to_string(),
                code,
            )
        };
        if s.broken.lock().unwrap().contains(&territory) {
            return ResponseTemplate::new(500);
        }
        let k = seed(&territory, &rome);
        let value = |periode: &str, nomenclature: &str, n: i64| {
            json!({"codeTypeTerritoire": "DEP", "codeTerritoire": territory, "codeTypeActivite": "ROME",
                   "codeActivite": rome, "libActivite": "Métier", "codeNomenclature": nomenclature,
                   "libNomenclature": nomenclature, "codeTypePeriode": "TRIMESTRE", "codePeriode": periode,
                   "valeurPrincipaleNom": "Nombre", "valeurPrincipaleNombre": n,
                   "datMaj": "2025-10-21T17:13:44+02:00"})
        };
        let values: Vec<Value> = match code {
            // jobseekers A, B, C: 10k, 2k, k at the end of each quarter
            "DE_1" => ["2025T2", "2025T3"]
                .iter()
                .flat_map(|q| {
                    [
                        value(q, "A", 10 * k),
                        value(q, "B", 2 * k),
                        value(q, "C", k),
                    ]
                })
                .collect(),
            // offers: 4k + k mod 7 in the quarter, from two origins
            "OFF_1" => ["2025T2", "2025T3"]
                .iter()
                .flat_map(|q| [value(q, "FT", 3 * k + k % 7), value(q, "PART", k)])
                .collect(),
            _ => vec![value("2025T3", "", k)],
        };
        ResponseTemplate::new(200).set_body_json(json!({"codeIndicateur": code, "libTerritoire": territory, "listeValeursParPeriode": values}))
    }
}

struct MdtMock {
    server: MockServer,
    state: Arc<State>,
}

impl MdtMock {
    async fn start() -> MdtMock {
        let server = MockServer::start().await;
        let state = Arc::new(State::default());
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(Token(state.clone()))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path_regex("^/mdt/v1/indicateur/stat-"))
            .respond_with(Stats(state.clone()))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path_regex("^/mdt/v1/indicateur/salaire-rome-fap/"))
            .respond_with(Stats(state.clone()))
            .mount(&server)
            .await;
        MdtMock { server, state }
    }

    fn config(&self, metiers: usize) -> Config {
        let mut cfg = Config::parse("[observatory]\nfollowed = [\"ze:2815\"]\n").unwrap();
        let m = &mut cfg.sources.marche_du_travail;
        m.api_base = format!("{}/mdt", self.server.uri());
        m.token_url = format!("{}/token", self.server.uri());
        m.scope = "api_stats-offres-demandes-emploiv1 offresetdemandesemploi".into();
        m.rate_limit = 1000.0;
        m.request_timeout_secs = 2.0;
        m.retry_base_delay_secs = 0.01;
        m.max_retries = 4;
        m.max_metiers = metiers;
        cfg
    }
}

fn creds() -> Credentials {
    crate::helpers::test_credentials()
}

fn ctx(db: &TestDb, cfg: Config) -> JobCtx {
    crate::helpers::job_ctx(db, cfg)
}

fn stored(db: &TestDb, sql_where: &str) -> i64 {
    count(
        &db.db,
        &format!("SELECT count(*) FROM raw_mdt WHERE {sql_where}"),
    )
}

#[tokio::test]
async fn collects_every_indicator_through_faults_and_a_rerun_changes_nothing() {
    let mock = MdtMock::start().await;
    mock.state.faults.lock().unwrap().extend([
        Fault::TooMany,
        Fault::ServerError,
        Fault::Truncated,
        Fault::ExpireTokens,
    ]);
    let db = test_db();
    let cfg = mock.config(6);
    let s = observatoire::collect::marche_travail::run(&ctx(&db, cfg.clone()), creds())
        .await
        .unwrap()
        .unwrap();
    // the zone of Rouen → département 76, région 28, and France; 6 métiers × 6 indicators each,
    // plus one retried request per fault (the expired token costs a renewal)
    let scopes = {
        let c = db.db.connect().unwrap();
        observatoire::collect::marche_travail::scopes(&c, &cfg).unwrap()
    };
    // the Rouen zone spans the Seine-Maritime and the Eure
    let codes: Vec<&str> = scopes.iter().map(|s| s.api_code.as_str()).collect();
    assert_eq!(codes, ["27", "28", "76", "FR"]);
    let requests = mock.state.requests.load(Ordering::SeqCst);
    assert_eq!(requests, 4 * 6 * 6 + 4, "{requests}");
    assert!(
        mock.state.token_requests.load(Ordering::SeqCst) >= 2,
        "the token was renewed"
    );
    assert!(
        mock.state.scopes.lock().unwrap()[0].contains("api_stats-offres-demandes-emploiv1"),
        "its own scope"
    );
    // per territory × métier: DE_1 6 rows, OFF_1 4, DE_5 / EMB_1 / PERSP_2 / SAL_3 1 each → 14
    for (t, kind) in [("27", "dep"), ("76", "dep"), ("28", "reg"), ("FR", "fr")] {
        assert_eq!(
            stored(&db, &format!("territoire = '{t}' AND kind = '{kind}'")),
            6 * 14,
            "{t}"
        );
    }
    assert_eq!(s.rows_read, 4 * 6 * 14);
    assert_eq!(stored(&db, "indicateur = 'SAL_3'"), 24);
    let n = stored(&db, "true");
    observatoire::collect::marche_travail::run(&ctx(&db, cfg), creds())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored(&db, "true"), n, "a rerun replaces, never duplicates");
    assert_eq!(
        count(&db.db, "SELECT count(*) FROM (SELECT indicateur, territoire, activite, periode, nomenclature FROM raw_mdt GROUP BY ALL HAVING count(*) > 1)"),
        0
    );
}

#[tokio::test]
async fn a_territory_that_fails_is_written_not_at_all_and_the_rerun_completes() {
    let mock = MdtMock::start().await;
    mock.state.broken.lock().unwrap().insert("28".into());
    let db = test_db();
    let cfg = mock.config(3);
    let err = observatoire::collect::marche_travail::run(&ctx(&db, cfg.clone()), creds())
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("REG 28"), "{err:#}");
    // the département before it (Eure) is whole, in its own transaction; nothing of the région,
    // and the run stopped there
    assert_eq!(stored(&db, "territoire = '27'"), 3 * 14);
    assert_eq!(stored(&db, "territoire IN ('28', '76', 'FR')"), 0);
    mock.state.broken.lock().unwrap().clear();
    observatoire::collect::marche_travail::run(&ctx(&db, cfg), creds())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored(&db, "true"), 4 * 3 * 14);
}

#[tokio::test]
async fn without_credentials_or_followed_territories_the_job_is_skipped() {
    let db = test_db();
    let text = "name = \"marche-du-travail\"\nkind = \"marche-du-travail\"\nschedule = \"0 0 4 * * MON\"\n";
    let mut cfg = Config::default();
    cfg.sources.france_travail.client_id_env = "OBSERVATOIRE_TEST_ABSENT_ID".into();
    cfg.sources.france_travail.client_secret_env = "OBSERVATOIRE_TEST_ABSENT_SECRET".into();
    let out = crate::helpers::run_job_file_with(&db, text, cfg).await;
    assert_eq!(out.status, observatoire::schedule::runner::Status::Skipped);
    assert!(out.error.unwrap().contains("OBSERVATOIRE_TEST_ABSENT_ID"));
    // credentials but nothing followed: skipped too, saying what to set
    let mock = MdtMock::start().await;
    let mut cfg = mock.config(3);
    cfg.observatory.followed.clear();
    assert!(
        observatoire::collect::marche_travail::run(&ctx(&db, cfg), creds())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(mock.state.requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_jobseekers_it_brings_enter_the_tension_indicator() {
    let mock = MdtMock::start().await;
    let db = test_db();
    observatoire::collect::marche_travail::run(&ctx(&db, mock.config(8)), creds())
        .await
        .unwrap()
        .unwrap();
    crate::helpers::rebuild(&db.db);
    let c = db.db.connect().unwrap();
    // a collected métier of département 76: offers per jobseeker = (4k + k mod 7) / 13k
    let (rome, value, base, indicator): (String, f64, i64, Option<String>) = c
        .query_row(
            "SELECT metier, off_value, off_base, indicator FROM ind_tension
             WHERE kind = 'dep' AND code = '76' AND nomenclature = 'rome' AND off_value IS NOT NULL
             ORDER BY metier LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    let k = seed("76", &rome);
    assert_eq!(base, 13 * k);
    let expected = (4 * k + k % 7) as f64 / (13 * k) as f64;
    assert!((value - expected).abs() < 1e-4, "{value} vs {expected}");
    if let Some(i) = indicator {
        assert_eq!(
            i, "tension-partielle-difficultes-offres",
            "the outflow rate is still absent: never 'dares'"
        );
    }
    // a zone gets no jobseeker component, and says where to look
    let why: String = c
        .query_row(
            "SELECT off_absent FROM ind_tension WHERE kind = 'ze' AND code = '2815' AND nomenclature = 'rome' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(why.contains("départements"), "{why}");
}
