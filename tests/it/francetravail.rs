//! The France Travail collector against an in-process server following the API contract.
use std::sync::atomic::Ordering;
use std::time::Instant;

use chrono::Utc;
use observatoire::collect::francetravail::{self, client::Credentials};
use observatoire::config::Config;
use observatoire::schedule::context::{JobCtx, RunSummary};

use crate::ft_mock::{offers, Fault, FtMock};
use crate::helpers::{count, test_db, TestDb};

fn creds() -> Credentials {
    crate::helpers::test_credentials()
}

fn ctx(db: &TestDb, cfg: Config) -> JobCtx {
    crate::helpers::job_ctx(db, cfg)
}

async fn run(db: &TestDb, cfg: &Config, full: bool) -> anyhow::Result<RunSummary> {
    francetravail::run(&ctx(db, cfg.clone()), creds(), full, false).await
}

fn live(db: &TestDb) -> i64 {
    count(
        &db.db,
        "SELECT count(*) FROM raw_ft_offre WHERE source_id = 'ft-offres' AND closed_at IS NULL",
    )
}

fn stored(db: &TestDb) -> i64 {
    count(
        &db.db,
        "SELECT count(*) FROM raw_ft_offre WHERE source_id = 'ft-offres'",
    )
}

#[tokio::test]
async fn pages_through_200_206_204_and_stores_each_offer_once() {
    let mock = FtMock::start().await;
    mock.set_offers(offers("76", "76540", 400, 20, Utc::now()));
    let db = test_db();
    let s = run(&db, &mock.config(&["76"]), false).await.unwrap();
    assert_eq!((s.rows_read, s.rows_added, s.rows_updated), (400, 400, 0));
    assert_eq!(stored(&db), 400);
    let log = mock.state.log.lock().unwrap().clone();
    let ranges: Vec<&str> = log
        .iter()
        .filter_map(|q| q.split('&').find(|p| p.starts_with("range=")))
        .collect();
    assert_eq!(ranges, ["range=0-149", "range=150-299", "range=300-449"]);
    // located through the commune referential, counted in the indicators
    assert_eq!(
        count(
            &db.db,
            "SELECT count(*) FROM raw_ft_offre WHERE source_id = 'ft-offres' AND commune = '76540'"
        ),
        400
    );
    crate::helpers::rebuild(&db.db);
    assert!(
        count(
            &db.db,
            "SELECT offres FROM ind_offres_total WHERE kind = 'ze' AND code = '2815'"
        ) >= 400
    );
    // the source's provenance row: its open offers, data of today
    assert_eq!(
        count(
            &db.db,
            "SELECT rows_loaded FROM sources WHERE source_id = 'ft-offres' AND data_date = current_date"
        ),
        400
    );
    // a full rerun updates, never duplicates
    let s = run(&db, &mock.config(&["76"]), true).await.unwrap();
    assert_eq!((s.rows_added, s.rows_updated), (0, 400));
    assert_eq!(stored(&db), 400);
}

#[tokio::test]
async fn a_query_over_3150_offers_is_split_until_every_offer_arrives() {
    let mock = FtMock::start().await;
    let now = Utc::now();
    let mut all = offers("76", "76540", 4_000, 30, now);
    // a burst of 40 offers in the same second, to exercise the narrowest windows
    for (i, (_, o)) in all.iter_mut().take(40).enumerate() {
        o["dateCreation"] = serde_json::Value::String(
            (now - chrono::Duration::seconds(5))
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
        );
        o["id"] = serde_json::Value::String(format!("BURST{i}"));
    }
    mock.set_offers(all);
    let db = test_db();
    let s = run(&db, &mock.config(&["76"]), false).await.unwrap();
    assert_eq!(s.rows_read, 4_000);
    assert_eq!(stored(&db), 4_000);
    let log = mock.state.log.lock().unwrap().clone();
    assert!(
        log.len() > 27,
        "4000 offers need at least 27 pages, got {} requests",
        log.len()
    );
    // every range respected the API limits (the mock answers 400 otherwise, failing the run)
    assert!(log.iter().all(|q| !q.contains("range=3150")));
}

#[tokio::test]
async fn retries_429_with_retry_after_then_500_then_succeeds() {
    let mock = FtMock::start().await;
    mock.set_offers(offers("76", "76540", 200, 10, Utc::now()));
    mock.fault(Fault::TooMany {
        retry_after_secs: 1,
    });
    mock.fault(Fault::ServerError);
    let db = test_db();
    let started = Instant::now();
    let s = run(&db, &mock.config(&["76"]), false).await.unwrap();
    assert!(
        started.elapsed().as_secs_f64() >= 1.0,
        "Retry-After was not honoured"
    );
    assert_eq!(s.rows_read, 200);
    assert_eq!(stored(&db), 200);
    assert_eq!(mock.state.search_requests.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_timeout_and_a_truncated_body_are_retried() {
    let mock = FtMock::start().await;
    mock.set_offers(offers("76", "76540", 300, 10, Utc::now()));
    mock.fault(Fault::Delay(std::time::Duration::from_millis(2_500)));
    mock.fault(Fault::Truncated);
    let db = test_db();
    let s = run(&db, &mock.config(&["76"]), false).await.unwrap();
    assert_eq!(s.rows_read, 300);
    assert_eq!(stored(&db), 300);
}

#[tokio::test]
async fn an_expired_token_mid_run_is_renewed() {
    let mock = FtMock::start().await;
    mock.set_offers(offers("76", "76540", 450, 10, Utc::now()));
    mock.fault(Fault::TooMany {
        retry_after_secs: 0,
    }); // first request
    let db = test_db();
    // expire tokens on the 3rd search request
    {
        let mut f = mock.state.faults.lock().unwrap();
        f.push_back(Fault::Delay(std::time::Duration::ZERO));
        f.push_back(Fault::ExpireTokens);
    }
    let s = run(&db, &mock.config(&["76"]), false).await.unwrap();
    assert_eq!(s.rows_read, 450);
    assert!(
        mock.state.token_requests.load(Ordering::SeqCst) >= 2,
        "token was not renewed"
    );
}

#[tokio::test]
async fn wrong_credentials_fail_clearly() {
    let mock = FtMock::start().await;
    let db = test_db();
    let bad = Credentials {
        client_id: "x".into(),
        client_secret: "wrong".into(),
    };
    let err = francetravail::run(&ctx(&db, mock.config(&["76"])), bad, false, false)
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("identifiants refusés"),
        "{err:#}"
    );
}

#[tokio::test]
async fn a_full_refresh_closes_vanished_offers_and_reopens_returning_ones() {
    let mock = FtMock::start().await;
    let now = Utc::now();
    let all = offers("76", "76540", 300, 10, now);
    mock.set_offers(all.clone());
    let db = test_db();
    let cfg = mock.config(&["76"]);
    run(&db, &cfg, false).await.unwrap(); // first run: full
    assert_eq!(live(&db), 300);
    // 50 offers are filled and disappear from the API
    mock.set_offers(all[50..].to_vec());
    let s = run(&db, &cfg, false).await.unwrap(); // incremental: closes nothing
    assert_eq!((s.rows_closed, live(&db)), (0, 300));
    let s = run(&db, &cfg, true).await.unwrap(); // full refresh
    assert_eq!(s.rows_closed, 50);
    assert_eq!(live(&db), 250);
    assert_eq!(
        count(
            &db.db,
            "SELECT count(*) FROM raw_ft_offre WHERE closed_at IS NOT NULL AND id < 'T76000050'"
        ),
        50
    );
    assert_eq!(stored(&db), 300, "closed offers are kept, marked closed");
    // closed offers leave the indicators (sample offers of the zone + the 250 live ones) once the
    // derived tables are rebuilt, as the scheduler does after the collection
    crate::helpers::rebuild(&db.db);
    let sample = count(
        &db.db,
        "SELECT count(*) FROM raw_ft_offre o JOIN ref_commune c ON c.code = o.commune
        WHERE o.source_id = 'ft-offres-echantillon' AND c.ze2020 = '2815'",
    );
    assert_eq!(
        count(
            &db.db,
            "SELECT offres FROM ind_offres_total WHERE kind = 'ze' AND code = '2815'"
        ),
        sample + 250
    );
    // one comes back
    mock.set_offers(all[49..].to_vec());
    run(&db, &cfg, true).await.unwrap();
    assert_eq!(live(&db), 251);
    assert_eq!(stored(&db), 300);
}

/// A full refresh that reads far fewer offers than are stored open (an API serving a partial
/// total, a query that stopped matching) closes nothing and says why; `force` closes.
#[tokio::test]
async fn a_full_refresh_that_reads_too_little_closes_nothing() {
    let mock = FtMock::start().await;
    let all = offers("76", "76540", 300, 10, Utc::now());
    mock.set_offers(all.clone());
    let db = test_db();
    let cfg = mock.config(&["76"]);
    run(&db, &cfg, true).await.unwrap();
    assert_eq!(live(&db), 300);
    // The API now serves 100 of them: a drop of two thirds (> 50 %).
    mock.set_offers(all[..100].to_vec());
    let s = run(&db, &cfg, true).await.unwrap();
    assert_eq!(s.rows_closed, 0);
    assert_eq!(live(&db), 300);
    let why = s.degraded.expect("the run must be degraded");
    assert!(
        why.starts_with("76 : 100 offres lues pour 300 enregistrées ouvertes"),
        "{why}"
    );
    // A drop within the configured share is an ordinary full refresh.
    mock.set_offers(all[..200].to_vec());
    let s = run(&db, &cfg, true).await.unwrap();
    assert_eq!((s.rows_closed, s.degraded), (100, None));
    assert_eq!(live(&db), 200);
    // Nothing served at all where 200 are stored: refused whatever the share.
    mock.set_offers(vec![]);
    let mut loose = cfg.clone();
    loose.sources.max_drop_share = 0.99;
    let s = run(&db, &loose, true).await.unwrap();
    assert!(s.degraded.is_some());
    assert_eq!(live(&db), 200);
    // After a human check, force closes.
    let s = francetravail::run(&ctx(&db, cfg.clone()), creds(), true, true)
        .await
        .unwrap();
    assert_eq!((s.rows_closed, s.degraded), (200, None));
    assert_eq!(live(&db), 0);
}

#[tokio::test]
async fn incremental_runs_ask_only_for_recent_offers() {
    let mock = FtMock::start().await;
    mock.set_offers(offers("76", "76540", 100, 10, Utc::now()));
    let db = test_db();
    let cfg = mock.config(&["76"]);
    run(&db, &cfg, false).await.unwrap();
    mock.state.log.lock().unwrap().clear();
    run(&db, &cfg, false).await.unwrap();
    let q = mock.state.log.lock().unwrap()[0].clone();
    let min = q
        .split('&')
        .find_map(|p| p.strip_prefix("minCreationDate="))
        .unwrap()
        .replace("%3A", ":");
    let min = chrono::DateTime::parse_from_rfc3339(&min).unwrap();
    let age = Utc::now().signed_duration_since(min);
    assert!(
        age < chrono::Duration::hours(2),
        "incremental window starts {age} ago"
    );
}

#[tokio::test]
async fn no_personal_data_reaches_the_database() {
    let mock = FtMock::start().await;
    let mut all = offers("76", "76540", 150, 5, Utc::now());
    all[0].1["intitule"] = "Vendeur H/F - appeler le 06 12 34 56 78".into();
    all[1].1["entreprise"]["nom"] = "Boulangerie Martin (martin.boulanger@exemple.fr)".into();
    all[2].1["salaire"]["libelle"] =
        "Mensuel de 1900.0 Euros sur 12 mois, tél. 02 35 00 00 00".into();
    mock.set_offers(all);
    let db = test_db();
    run(&db, &mock.config(&["76"]), false).await.unwrap();
    let conn = db.db.connect().unwrap();
    let text: String = conn
        .query_row(
            "SELECT string_agg(concat_ws('|', intitule, entreprise_nom, lieu_libelle, salaire_libelle, appellation_libelle), '\n')
             FROM raw_ft_offre WHERE source_id = 'ft-offres'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    for personal in [
        "06 12 34 56 78",
        "martin.boulanger@exemple.fr",
        "02 35 00 00 00",
        "Mme Inconnu",
        "aplitrak",
    ] {
        assert!(!text.contains(personal), "{personal} stored");
    }
    assert!(text.contains("Boulangerie Martin"));
    assert!(text.contains("Vendeur H/F - appeler le"));
    let (lo, hi): (f64, f64) = conn
        .query_row("SELECT salaire_min_mensuel, salaire_max_mensuel FROM raw_ft_offre WHERE id = 'T76000002'", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((lo, hi), (1900.0, 1900.0));
    let skills = count(
        &db.db,
        "SELECT count(*) FROM raw_ft_offre_competence WHERE offre_id LIKE 'T76%'",
    );
    assert!(skills > 0, "competences stored");
}

#[tokio::test]
async fn a_run_failing_half_way_leaves_the_database_as_it_was_and_a_rerun_completes() {
    let mock = FtMock::start().await;
    mock.set_offers(
        [
            offers("76", "76540", 300, 10, Utc::now()),
            offers("27", "27229", 300, 10, Utc::now()),
        ]
        .concat(),
    );
    let db = test_db();
    let cfg = mock.config(&["76", "27"]);
    // département 76 page 2 fails on every retry
    mock.state.fail_at.lock().unwrap().extend([1, 2, 3, 4, 5]);
    let err = run(&db, &cfg, false).await.unwrap_err();
    assert!(format!("{err:#}").contains("département 76"), "{err:#}");
    assert_eq!(
        stored(&db),
        0,
        "nothing of the failed département is stored"
    );
    mock.state.fail_at.lock().unwrap().clear();
    let s = run(&db, &cfg, false).await.unwrap();
    assert_eq!((s.rows_read, s.rows_added, s.rows_updated), (600, 600, 0));
    assert_eq!(stored(&db), 600);
    // a full refresh of both, 27 having lost 100 offers: the run's counts add up the two
    let mut fewer = offers("76", "76540", 300, 10, Utc::now());
    fewer.extend(offers("27", "27229", 200, 10, Utc::now()));
    mock.set_offers(fewer);
    let s = run(&db, &cfg, true).await.unwrap();
    assert_eq!(
        (s.rows_read, s.rows_added, s.rows_updated, s.rows_closed),
        (500, 0, 500, 100)
    );
    assert_eq!(
        count(
            &db.db,
            "SELECT count(DISTINCT id) FROM raw_ft_offre WHERE source_id = 'ft-offres'"
        ),
        600
    );
}

/// The failure comes inside the write of a département, after its offers were appended and
/// updated in the transaction (an injected failure just before closing and committing): that
/// département stays as it was, the one before it is whole, and a rerun completes.
#[cfg(feature = "failpoints")]
#[tokio::test]
async fn a_run_failing_inside_the_write_leaves_that_departement_as_it_was() {
    let mock = FtMock::start().await;
    let now = Utc::now();
    mock.set_offers(
        [
            offers("971", "97101", 300, 10, now),
            offers("972", "97209", 300, 10, now),
        ]
        .concat(),
    );
    let db = test_db();
    let cfg = mock.config(&["971", "972"]);
    // 972 already holds 100 of its offers from an earlier run
    mock.set_offers(offers("972", "97209", 100, 10, now));
    run(&db, &mock.config(&["972"]), true).await.unwrap();
    let snapshot = |db: &TestDb| -> String {
        db.db
            .connect()
            .unwrap()
            .query_row(
                "SELECT count(*) || '|' || count(closed_at) || '|' || string_agg(id || coalesce(intitule, ''), ',' ORDER BY id)
                 FROM raw_ft_offre WHERE source_id = 'ft-offres' AND departement = '972'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    let before_972 = snapshot(&db);
    mock.set_offers(
        [
            offers("971", "97101", 300, 10, now),
            offers("972", "97209", 300, 10, now),
        ]
        .concat(),
    );
    fail::cfg("store::write::after_insert", "return(error@972)").unwrap();
    let err = run(&db, &cfg, true).await.unwrap_err();
    fail::remove("store::write::after_insert");
    let msg = format!("{err:#}");
    assert!(msg.contains("défaillance injectée"), "{msg}");
    assert_eq!(
        count(&db.db, "SELECT count(*) FROM raw_ft_offre WHERE source_id = 'ft-offres' AND departement = '971'"),
        300,
        "the département written before the failure is whole"
    );
    assert_eq!(snapshot(&db), before_972, "the failing département changed");
    let s = run(&db, &cfg, true).await.unwrap();
    assert_eq!(s.rows_read, 600);
    assert_eq!(
        count(&db.db, "SELECT count(DISTINCT id) FROM raw_ft_offre WHERE source_id = 'ft-offres' AND departement IN ('971', '972')"),
        600
    );
}

#[tokio::test]
async fn old_and_slightly_future_offers_are_collected_too() {
    let mock = FtMock::start().await;
    // 3,500 live offers created over the last four years, and one stamped an hour ahead of our clock
    let mut all = offers("76", "76540", 3_500, 4 * 365, Utc::now());
    let mut ahead = all[0].clone();
    ahead.1["id"] = "AHEAD".into();
    ahead.1["dateCreation"] = (Utc::now() + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
        .into();
    all.push(ahead);
    mock.set_offers(all);
    let db = test_db();
    let s = run(&db, &mock.config(&["76"]), false).await.unwrap();
    assert_eq!(s.rows_read, 3_501);
    assert_eq!(stored(&db), 3_501);
}

/// With no `departements` configured, the collector asks for the départements of the followed
/// territories (the Rouen zone: Eure and Seine-Maritime), not the whole country.
#[tokio::test]
async fn the_followed_territories_set_the_departements_collected() {
    let mock = FtMock::start().await;
    mock.set_offers(offers("76", "76540", 20, 10, Utc::now()));
    let db = test_db();
    let mut cfg = mock.config(&[]);
    cfg.observatory.followed = vec!["ze:2815".into()];
    run(&db, &cfg, false).await.unwrap();
    let deps: std::collections::BTreeSet<String> = mock
        .state
        .log
        .lock()
        .unwrap()
        .iter()
        .filter_map(|q| {
            q.split('&')
                .find_map(|p| p.strip_prefix("departement="))
                .map(str::to_string)
        })
        .collect();
    assert_eq!(deps.into_iter().collect::<Vec<_>>(), ["27", "76"]);
    assert_eq!(stored(&db), 20);
}
