//! A hostile France Travail endpoint: the listing changes while it is paged (offers published,
//! withdrawn, moved to another département). Every offer it serves arrives exactly once, and a
//! full refresh never closes an offer that is still served.
use chrono::Utc;
use observatoire::collect::francetravail;
use observatoire::config::Config;
use observatoire::schedule::context::RunSummary;
use serde_json::Value;

use crate::ft_mock::{offers, FtMock};
use crate::helpers::{count, test_db, TestDb};

async fn run(db: &TestDb, cfg: &Config, full: bool) -> anyhow::Result<RunSummary> {
    let ctx = crate::helpers::job_ctx(db, cfg.clone());
    francetravail::run(&ctx, crate::helpers::test_credentials(), full, false).await
}

fn q(db: &TestDb, sql: &str) -> i64 {
    count(&db.db, sql)
}

const LIVE: &str =
    "SELECT count(*) FROM raw_ft_offre WHERE source_id = 'ft-offres' AND closed_at IS NULL";
const ROWS: &str = "SELECT count(*) FROM raw_ft_offre WHERE source_id = 'ft-offres'";

fn id(o: &(String, Value)) -> String {
    o.1["id"].as_str().unwrap().to_string()
}

/// Searches asked since the start, as `range=…` values.
fn ranges(mock: &FtMock) -> Vec<String> {
    mock.state
        .log
        .lock()
        .unwrap()
        .iter()
        .filter_map(|q| q.split('&').find(|p| p.starts_with("range=")))
        .map(|r| r.trim_start_matches("range=").to_string())
        .collect()
}

#[tokio::test]
async fn an_offer_withdrawn_while_paging_hides_no_other_offer_from_the_full_refresh() {
    let mock = FtMock::start().await;
    let all = offers("76", "76540", 400, 10, Utc::now());
    mock.set_offers(all.clone());
    let db = test_db();
    let cfg = mock.config(&["76"]);
    run(&db, &cfg, true).await.unwrap();
    assert_eq!(q(&db, LIVE), 400);
    // after the first page was served, the 11th offer is withdrawn: every later offer moves up
    // one place, and the one at place 151 would never be served by the second page
    let withdrawn = id(&all[10]);
    let start = mock.state.log.lock().unwrap().len() as u64;
    let w = withdrawn.clone();
    mock.on_request(move |i, offers| {
        if i == start + 1 {
            offers.retain(|o| o.1["id"] != w.as_str());
        }
    });
    let s = run(&db, &cfg, true).await.unwrap();
    assert_eq!(s.rows_closed, 0, "no offer still served is closed");
    assert_eq!(
        s.rows_read, 400,
        "the withdrawn one was read before it went"
    );
    assert!(s.degraded.is_none());
    assert_eq!(q(&db, LIVE), 400);
    // the total moved (400 → 399): the query was paged again
    assert_eq!(
        ranges(&mock)[start as usize..],
        ["0-149", "150-299", "300-449", "0-149", "150-299", "300-449"]
    );
    // the next full refresh closes the withdrawn offer, and only it
    let s = run(&db, &cfg, true).await.unwrap();
    assert_eq!((s.rows_closed, q(&db, LIVE), q(&db, ROWS)), (1, 399, 400));
    assert_eq!(
        q(
            &db,
            &format!("SELECT count(*) FROM raw_ft_offre WHERE id = '{withdrawn}' AND closed_at IS NOT NULL")
        ),
        1
    );
}

#[tokio::test]
async fn an_offer_published_while_paging_is_stored_once_like_the_one_it_pushes_down() {
    let mock = FtMock::start().await;
    let now = Utc::now();
    let all = offers("76", "76540", 400, 10, now);
    mock.set_offers(all.clone());
    let mut fresh = all[0].clone();
    fresh.1["id"] = Value::String("NOUVELLE".into());
    fresh.1["dateCreation"] = Value::String(now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
    // published after the first page: the 150th offer comes again at the top of the second
    mock.on_request(move |i, offers| {
        if i == 1 {
            offers.insert(0, fresh.clone());
        }
    });
    let db = test_db();
    let s = run(&db, &mock.config(&["76"]), true).await.unwrap();
    assert_eq!((s.rows_read, s.rows_added), (401, 401));
    assert_eq!(q(&db, ROWS), 401);
    assert_eq!(
        q(
            &db,
            "SELECT count(DISTINCT id) FROM raw_ft_offre WHERE source_id = 'ft-offres'"
        ),
        401
    );
    assert_eq!(
        q(
            &db,
            "SELECT count(*) FROM raw_ft_offre WHERE id = 'NOUVELLE'"
        ),
        1
    );
}

fn full_done(db: &TestDb) -> i64 {
    q(
        db,
        "SELECT coalesce(epoch_ms(last_full_refresh_at), 0) FROM collector_state
         WHERE collector = 'francetravail-offres' AND scope = '76'",
    )
}

#[tokio::test]
async fn results_that_never_settle_close_nothing_and_the_full_refresh_stays_due() {
    let mock = FtMock::start().await;
    let now = Utc::now();
    let all = offers("76", "76540", 400, 10, now);
    mock.set_offers(all.clone());
    let db = test_db();
    let cfg = mock.config(&["76"]);
    run(&db, &cfg, true).await.unwrap();
    let done = full_done(&db);
    // 50 offers are filled, and a new offer is published before every request
    let kept = all[50..].to_vec();
    let template = all[0].clone();
    mock.set_offers(kept.clone());
    mock.on_request(move |i, offers| {
        let mut o = template.clone();
        o.1["id"] = Value::String(format!("FLUX{i:04}"));
        o.1["dateCreation"] = Value::String(now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        offers.insert(0, o);
    });
    let s = run(&db, &cfg, true).await.unwrap();
    let why = s.degraded.expect("the run says the results were unstable");
    assert!(why.contains("instables") && why.contains("76"), "{why}");
    assert_eq!(s.rows_closed, 0, "nothing closed on an unstable read");
    assert_eq!(q(&db, LIVE), 400 + s.rows_added);
    assert!(done > 0);
    assert_eq!(full_done(&db), 0, "the full refresh is due again");
    // the listing settles: the next run, not forced, is still a full refresh and closes the 50
    *mock.state.mutate.lock().unwrap() = None;
    mock.set_offers(kept);
    let flux = s.rows_added;
    let s = run(&db, &cfg, false).await.unwrap();
    assert_eq!(
        s.rows_closed,
        50 + flux,
        "the 50 filled ones and the new ones gone since"
    );
    assert_eq!(q(&db, LIVE), 350);
}

#[tokio::test]
async fn an_offer_moving_between_departements_is_stored_once_in_its_new_place() {
    let mock = FtMock::start().await;
    let now = Utc::now();
    let mut all = offers("76", "76540", 200, 10, now);
    all.extend(offers("27", "27229", 200, 10, now));
    mock.set_offers(all.clone());
    let db = test_db();
    // collected in this order: 76, then 27
    let cfg = mock.config(&["76", "27"]);
    run(&db, &cfg, true).await.unwrap();
    assert_eq!(q(&db, LIVE), 400);
    let first_seen = |id: &str| {
        q(
            &db,
            &format!("SELECT epoch(first_seen)::BIGINT FROM raw_ft_offre WHERE id = '{id}'"),
        )
    };
    let moved_to = |offers: &mut Vec<(String, Value)>, id: &str, dep: &str, commune: &str| {
        let o = offers.iter_mut().find(|o| o.1["id"] == id).unwrap();
        o.0 = dep.to_string();
        o.1["lieuTravail"]["commune"] = Value::String(commune.into());
        o.1["lieuTravail"]["libelle"] = Value::String(format!("{dep} - COMMUNE"));
    };
    let where_is = |id: &str| -> (i64, i64, i64) {
        (
            q(&db, &format!("SELECT count(*) FROM raw_ft_offre WHERE id = '{id}'")),
            q(&db, &format!("SELECT count(*) FROM raw_ft_offre WHERE id = '{id}' AND closed_at IS NULL AND departement = '27' AND commune = '27229'")),
            q(&db, &format!("SELECT count(*) FROM raw_ft_offre WHERE id = '{id}' AND departement = '76'")),
        )
    };
    // moved from 76 (collected first, which no longer serves it) to 27
    let a = "T76000005";
    let seen = first_seen(a);
    let mut next = all.clone();
    moved_to(&mut next, a, "27", "27229");
    mock.set_offers(next.clone());
    let s = run(&db, &cfg, true).await.unwrap();
    assert_eq!(where_is(a), (1, 1, 0));
    assert_eq!(first_seen(a), seen, "first_seen kept through the move");
    assert_eq!(q(&db, LIVE), 400);
    assert_eq!(s.rows_read, 400);
    // moved while the run is under way: 76 served it, then 27 serves it too
    let b = "T76000007";
    let start = mock.state.log.lock().unwrap().len() as u64;
    let b2 = b.to_string();
    mock.on_request(move |i, offers| {
        // request start+2 is the first one for 27 (76 holds 199 offers: two pages)
        if i == start + 2 {
            let o = offers
                .iter_mut()
                .find(|o| o.1["id"] == b2.as_str())
                .unwrap();
            o.0 = "27".into();
            o.1["lieuTravail"]["commune"] = Value::String("27229".into());
        }
    });
    let s = run(&db, &cfg, true).await.unwrap();
    assert_eq!(s.rows_read, 401, "read twice, once in each département");
    assert_eq!(where_is(b), (1, 1, 0));
    assert_eq!(q(&db, LIVE), 400);
    assert_eq!(q(&db, ROWS), 400);
    // and back, with 27 collected before 76
    *mock.state.mutate.lock().unwrap() = None;
    let mut back = mock.state.offers.lock().unwrap().clone();
    moved_to(&mut back, a, "76", "76540");
    mock.set_offers(back);
    let cfg = mock.config(&["27", "76"]);
    run(&db, &cfg, true).await.unwrap();
    assert_eq!(
        q(&db, &format!("SELECT count(*) FROM raw_ft_offre WHERE id = '{a}' AND closed_at IS NULL AND departement = '76' AND commune = '76540'")),
        1
    );
    assert_eq!((q(&db, LIVE), q(&db, ROWS)), (400, 400));
    assert_eq!(first_seen(a), seen);
}
