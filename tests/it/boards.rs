//! The job-board scraper on saved HTML pages served on loopback, with a robots.txt that forbids
//! part of the site.
use observatoire::schedule::jobs::load_dir;
use observatoire::schedule::runner::Status;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{count, test_db, TestDb};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/board/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

async fn board() -> MockServer {
    let server = MockServer::start().await;
    let html = |s: String| ResponseTemplate::new(200).set_body_raw(s, "text/html; charset=utf-8");
    Mock::given(method("GET"))
        .and(path("/robots.txt"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("robots.txt")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/offres"))
        .and(query_param("page", "2"))
        .respond_with(html(fixture("page2.html")))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/offres"))
        .respond_with(html(fixture("page1.html")))
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/offres/privees/page3"))
        .respond_with(html("<p>privé</p>".into()))
        .mount(&server)
        .await;
    server
}

async fn run(
    server: &MockServer,
    db: &TestDb,
    max_pages: usize,
) -> observatoire::schedule::runner::Outcome {
    crate::helpers::run_job_file(
        db,
        &format!(
            r#"name = "site-metropole"
kind = "scraper"
schedule = "0 0 7 * * *"
retry_delay = "0.05s"
[params]
site = "metropole"
name = "Emploi Métropole Rouen Normandie"
start_urls = ["{uri}/offres"]
item = "li.offre"
title = ".offre-titre"
link = ".offre-titre a"
employer = ".offre-employeur"
place = ".offre-lieu"
date = "time.offre-date"
date_attr = "datetime"
next = "a[rel=next]"
max_pages = {max_pages}
rate_limit = 50.0
departement = "76"
"#,
            uri = server.uri()
        ),
    )
    .await
}

#[tokio::test]
async fn scrapes_pages_honours_robots_and_classifies_titles() {
    let server = board().await;
    let db = test_db();
    let out = run(&server, &db, 20).await;
    assert_eq!(out.status, Status::Success, "{:?}", out.error);
    let requests = server.received_requests().await.unwrap();
    let paths: Vec<String> = requests.iter().map(|r| r.url.path().to_string()).collect();
    assert!(
        !paths.iter().any(|p| p.starts_with("/offres/privees")),
        "robots.txt disallowed path fetched: {paths:?}"
    );
    assert!(requests.iter().all(|r| r
        .headers
        .get("user-agent")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("observatoire-gptec/")));
    let c = db.db.connect().unwrap();
    let rome = |id: &str| -> Option<String> {
        c.query_row(
            "SELECT rome FROM raw_ft_offre WHERE url LIKE ?",
            [format!("%{id}%")],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(
        count(
            &db.db,
            "SELECT count(*) FROM raw_ft_offre WHERE source_id = 'site-metropole'"
        ),
        6
    );
    assert_eq!(rome("12871").as_deref(), Some("J1501")); // Aide-soignant H/F – nuit
    assert_eq!(rome("12872").as_deref(), Some("N4101")); // Chauffeur poids lourd (F/H) CDI
    assert_eq!(rome("12873").as_deref(), Some("D1102")); // Boulanger / Boulangère
    assert_eq!(rome("12880").as_deref(), Some("N1101")); // Cariste CACES 3
    assert_eq!(rome("12881").as_deref(), Some("G1803")); // Serveur en restauration
    assert_eq!(rome("12874"), None); // "Perle rare…": no métier
    let note: String = c
        .query_row(
            "SELECT error FROM job_runs WHERE job = 'site-metropole'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        note.contains("2 pages")
            && note.contains("1 interdite")
            && note.contains("ROME reconnu pour 5 (83 %)"),
        "{note}"
    );
    // located in communes, phone number removed, source recorded
    assert_eq!(count(&db.db, "SELECT count(*) FROM raw_ft_offre WHERE source_id = 'site-metropole' AND commune = '76540'"), 3);
    assert_eq!(
        count(
            &db.db,
            "SELECT count(*) FROM raw_ft_offre WHERE entreprise_nom LIKE '%02 61%'"
        ),
        0
    );
    assert_eq!(
        count(
            &db.db,
            "SELECT count(*) FROM raw_ft_offre WHERE entreprise_nom = 'Transports Lemoine – tél.'"
        ),
        1
    );
    assert_eq!(
        count(
            &db.db,
            "SELECT count(*) FROM sources WHERE source_id = 'site-metropole'"
        ),
        1
    );
    // a rerun does not duplicate
    run(&server, &db, 20).await;
    assert_eq!(
        count(
            &db.db,
            "SELECT count(*) FROM raw_ft_offre WHERE source_id = 'site-metropole'"
        ),
        6
    );
}

#[tokio::test]
async fn the_page_budget_stops_the_run_and_closes_nothing() {
    let server = board().await;
    let db = test_db();
    run(&server, &db, 20).await;
    let out = run(&server, &db, 1).await;
    assert_eq!(out.status, Status::Success);
    let pages = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/offres")
        .count();
    assert_eq!(pages, 3, "2 pages on the first run, 1 on the budgeted one");
    assert_eq!(count(&db.db, "SELECT count(*) FROM raw_ft_offre WHERE source_id = 'site-metropole' AND closed_at IS NULL"), 6);
}

#[test]
fn invalid_scraper_settings_are_reported_at_load() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "name = \"s\"\nkind = \"scraper\"\nschedule = \"0 0 7 * * *\"\n[params]\nsite = \"x\"\nname = \"X\"\nstart_urls = [\"https://x.example/\"]\nitem = \"li..offre\"\ntitle = \"h2\"\nlink = \"a\"\n",
    )
    .unwrap();
    let (jobs, errors) = load_dir(dir.path());
    assert!(jobs.is_empty());
    assert!(errors[0].message.contains("params.item"), "{errors:?}");
}

/// The classifier on the 6,150 real France Travail titles, whose ROME code France Travail set.
#[test]
fn classifier_recognises_real_titles() {
    let t = test_db();
    let c = t.db.connect().unwrap();
    let classifier = observatoire::collect::boards::classify::Classifier::load(&c).unwrap();
    let rows: Vec<(String, String)> = c
        .prepare("SELECT intitule, rome FROM raw_ft_offre WHERE intitule IS NOT NULL AND rome IS NOT NULL")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let (mut matched, mut agree) = (0, 0);
    for (title, rome) in &rows {
        if let Some(r) = classifier.classify(title) {
            matched += 1;
            agree += (r == rome) as usize;
        }
    }
    let (rate, precision) = (
        matched as f64 / rows.len() as f64,
        agree as f64 / matched as f64,
    );
    println!("titles {}, recognised {matched} ({:.1} %), same ROME as France Travail {agree} ({:.1} % of recognised)", rows.len(), rate * 100.0, precision * 100.0);
    assert!(rate > 0.55, "match rate {rate}"); // measured 59.9 %
    assert!(precision > 0.75, "agreement {precision}"); // measured 82.2 %
}

/// The same job on France Travail and on a local board counts once; both rows are kept.
#[tokio::test]
async fn the_same_job_on_two_sources_counts_once() {
    let server = board().await;
    let db = test_db();
    // a France Travail offer for the Rouen bakery job of the board (same title, employer, commune)
    db.db
        .connect()
        .unwrap()
        .execute(
            "INSERT INTO raw_ft_offre (id, source_id, intitule, date_creation, commune, rome, entreprise_nom, nombre_postes, first_seen, last_seen)
             VALUES ('FT999', 'ft-offres', 'BOULANGER / BOULANGÈRE (H/F)', TIMESTAMP '2026-11-10 09:00:00', '76540', 'D1102',
                     'Boulangerie du Vieux-Marché', 1, now()::TIMESTAMP, now()::TIMESTAMP)",
            [],
        )
        .unwrap();
    run(&server, &db, 20).await;
    crate::helpers::rebuild(&db.db);
    let c = db.db.connect().unwrap();
    let (cluster, size): (String, i64) = c
        .query_row(
            "SELECT cluster_id, cluster_size FROM ind_offre_cluster WHERE offre_id LIKE '%12873%'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (cluster.as_str(), size),
        ("FT999", 2),
        "France Travail gives the cluster its id"
    );
    assert_eq!(
        count(
            &db.db,
            "SELECT count(*) FROM raw_ft_offre WHERE id = 'FT999' OR url LIKE '%12873%'"
        ),
        2,
        "both kept"
    );
    // every duplicate (an offer of a cluster that is not its representative) is left out of the counts
    let in_zone =
        "closed_at IS NULL AND commune IN (SELECT code FROM ref_commune WHERE ze2020 = '2815')";
    let located = count(
        &db.db,
        &format!("SELECT count(*) FROM raw_ft_offre WHERE {in_zone}"),
    );
    let duplicates = count(&db.db, &format!(
        "SELECT count(*) FROM raw_ft_offre o JOIN ind_offre_cluster c ON c.offre_id = o.id WHERE c.cluster_id <> o.id AND {in_zone}"
    ));
    assert!(duplicates >= 1);
    let shown = count(
        &db.db,
        "SELECT offres FROM ind_offres_total WHERE kind = 'ze' AND code = '2815'",
    );
    assert_eq!(shown, located - duplicates);
    let bakers = count(&db.db, "SELECT offres FROM ind_offres_metier WHERE kind = 'ze' AND code = '2815' AND rome = 'D1102'");
    let raw = count(
        &db.db,
        &format!("SELECT count(*) FROM raw_ft_offre WHERE rome = 'D1102' AND {in_zone}"),
    );
    assert_eq!(bakers, raw - 1);
}

/// A board whose list page is served by `page` and robots.txt by `robots`.
async fn board_serving(robots: ResponseTemplate, page: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/robots.txt"))
        .respond_with(robots)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/offres"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(page.to_string(), "text/html; charset=utf-8"),
        )
        .mount(&server)
        .await;
    server
}

fn open_offers(db: &TestDb) -> i64 {
    count(
        &db.db,
        "SELECT count(*) FROM raw_ft_offre WHERE source_id = 'site-metropole' AND closed_at IS NULL",
    )
}

#[tokio::test]
async fn a_board_whose_robots_txt_is_unavailable_stores_and_closes_nothing() {
    let db = test_db();
    run(&board().await, &db, 20).await;
    assert_eq!(open_offers(&db), 6);
    for robots in [
        ResponseTemplate::new(503),
        ResponseTemplate::new(500).set_body_string("erreur"),
    ] {
        let down = board_serving(robots, "<ul></ul>").await;
        let out = run(&down, &db, 20).await;
        assert_eq!(out.status, Status::Failed, "{:?}", out.error);
        let err = out.error.unwrap();
        assert!(
            err.contains("robots.txt") && err.contains("aucune offre enregistrée ni fermée"),
            "{err}"
        );
        assert_eq!(
            open_offers(&db),
            6,
            "offers closed after a robots.txt failure"
        );
        let pages = down.received_requests().await.unwrap();
        assert!(
            pages.iter().all(|r| r.url.path() == "/robots.txt"),
            "a page was fetched without robots.txt"
        );
    }
}

#[tokio::test]
async fn a_redesigned_board_matching_nothing_closes_nothing_unless_forced() {
    let db = test_db();
    run(&board().await, &db, 20).await;
    // The site changed its markup: the selectors find no offer.
    let redesigned = board_serving(
        ResponseTemplate::new(200).set_body_string("User-agent: *\nAllow: /\n"),
        "<html><body><div class=\"job-card\"><h3>Aide-soignant</h3></div></body></html>",
    )
    .await;
    let out = run(&redesigned, &db, 20).await;
    assert_eq!(out.status, Status::Degraded, "{:?}", out.error);
    let why = out.error.unwrap();
    assert!(
        why.contains("0 offres lues pour 6 enregistrées ouvertes") && why.contains("--force"),
        "{why}"
    );
    assert_eq!(open_offers(&db), 6);
    let status: String = db
        .db
        .connect()
        .unwrap()
        .query_row(
            "SELECT status FROM job_runs WHERE job = 'site-metropole' ORDER BY run_id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(status, "degraded");

    // After a human check, --full --force (the job parameter `force`) closes them.
    let jobs = board_job_dir(&redesigned);
    let db_path = db.db.path().to_path_buf();
    let TestDb {
        db: handle,
        _dir: keep,
    } = db;
    drop(handle); // the binary opens the database itself
    let cfg = jobs.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[database]\npath = {:?}\n[scheduler]\njobs_dir = {:?}\nenabled = false\n",
            db_path,
            jobs.path().join("jobs")
        ),
    )
    .unwrap();
    let run_bin = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_observatoire"))
            .arg("--config")
            .arg(&cfg)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, text) = run_bin(&["jobs", "run", "site-metropole", "--full"]);
    assert!(!ok, "a degraded run must exit non-zero: {text}");
    assert!(
        text.contains("degraded") && text.contains("--force"),
        "{text}"
    );
    let (ok, text) = run_bin(&["jobs", "run", "site-metropole", "--force"]);
    assert!(!ok && text.contains("--full"), "--force alone: {text}");
    let (ok, text) = run_bin(&["jobs", "run", "site-metropole", "--full", "--force"]);
    assert!(ok, "{text}");
    assert!(text.contains("6 fermées"), "{text}");
    let db = observatoire::store::Db::open(&db_path).unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM raw_ft_offre WHERE source_id = 'site-metropole' AND closed_at IS NULL"), 0);
    drop(keep);
}

/// A jobs folder holding the board job pointed at `server`.
fn board_job_dir(server: &MockServer) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("jobs")).unwrap();
    std::fs::write(
        dir.path().join("jobs/site.toml"),
        format!(
            r#"name = "site-metropole"
kind = "scraper"
schedule = "0 0 7 * * *"
retries = 0
[params]
site = "metropole"
name = "Emploi Métropole Rouen Normandie"
start_urls = ["{uri}/offres"]
item = "li.offre"
title = ".offre-titre"
link = ".offre-titre a"
rate_limit = 50.0
"#,
            uri = server.uri()
        ),
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn the_crawler_stays_on_its_site_and_keeps_no_query_strings() {
    let other = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<ul></ul>"))
        .mount(&other)
        .await;
    let page = format!(
        r#"<ul>
  <li class="offre"><h2 class="offre-titre"><a href="/offres/1-cariste?utm_source=lettre&amp;sid=8f3a#postuler">Cariste</a></h2></li>
  <li class="offre"><h2 class="offre-titre"><a href="/offres/voir?id=2">Serveur</a></h2></li>
  <li class="offre"><h2 class="offre-titre"><a href="/offres/voir?id=3">Boulanger</a></h2></li>
</ul>
<a rel="next" href="{}/offres?page=2">suivante</a>"#,
        other.uri()
    );
    let server = board_serving(
        ResponseTemplate::new(200).set_body_string("User-agent: *\nAllow: /\n"),
        &page,
    )
    .await;
    let db = test_db();
    let out = run(&server, &db, 20).await;
    assert_eq!(out.status, Status::Success, "{:?}", out.error);
    assert!(
        other.received_requests().await.unwrap().is_empty(),
        "followed a next-page link to another site"
    );
    let c = db.db.connect().unwrap();
    let stored: Vec<(String, String)> = c
        .prepare(
            "SELECT id, url FROM raw_ft_offre WHERE source_id = 'site-metropole' ORDER BY url, id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        stored.len(),
        3,
        "offers told apart by their query stay apart: {stored:?}"
    );
    for (id, url) in &stored {
        for s in [id, url] {
            assert!(
                !s.contains('?') && !s.contains('#') && !s.contains("sid"),
                "{s}"
            );
        }
    }
    assert!(stored[0].1.ends_with("/offres/1-cariste"), "{stored:?}");
    assert!(stored[1].1.ends_with("/offres/voir"), "{stored:?}");
}
