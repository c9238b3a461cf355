use crate::helpers::{default_data, TestApp};

/// The latest rate and its year-on-year change, read straight from the INSEE file.
fn expected_unemployment(ze: &str) -> (f64, f64) {
    let text = default_data("insee_taux_chomage_ze2020_2003T1_2023T3_long.csv.gz");
    let mut rows: Vec<(String, f64)> = text
        .lines()
        .skip(1)
        .filter(|l| l.starts_with(&format!("{ze},")))
        .map(|l| {
            let f: Vec<&str> = l.rsplitn(3, ',').collect();
            (f[1].to_string(), f[0].parse().unwrap())
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let last = rows.last().unwrap().1;
    (last, last - rows[rows.len() - 5].1)
}

fn indicator(html: &str, name: &str) -> String {
    let key = format!("data-indicator=\"{name}\">");
    let start = html
        .find(&key)
        .unwrap_or_else(|| panic!("indicator {name} missing"))
        + key.len();
    html[start..]
        .split('<')
        .next()
        .unwrap()
        .replace("&nbsp;", " ")
}

#[tokio::test]
async fn zone_page_shows_the_right_unemployment_figure_and_cites_sources() {
    let app = TestApp::spawn().await;
    for ze in ["2815", "1109", "8408"] {
        let res = app.get(&format!("/territoires/ze/{ze}")).await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        let (rate, change) = expected_unemployment(ze);
        let shown = format!("{rate:.1}").replace('.', ",");
        assert_eq!(
            indicator(&html, "taux-chomage"),
            format!("{shown} %"),
            "zone {ze}"
        );
        let sign = if change > 0.0 {
            "+"
        } else if change < 0.0 {
            "−"
        } else {
            ""
        };
        let ch = format!("{sign}{:.1}", change.abs()).replace('.', ",");
        assert_eq!(
            indicator(&html, "taux-chomage-evolution"),
            format!("{ch} point"),
            "zone {ze}"
        );
        assert!(html.contains("Insee"), "source missing");
        assert!(html.contains("/methodologie#chomage"));
        assert!(html.contains("/methodologie#bmo"));
        assert!(html.contains("millésime 2024"));
    }
}

#[tokio::test]
async fn zone_page_shows_bmo_and_offers_of_its_territory() {
    let app = TestApp::spawn().await;
    let html = app.get("/territoires/ze/2815").await.text().await.unwrap();
    // BMO: the total is over Rouen's principal bassins (≥ half of their communes in the zone):
    // Rouen 2801, Elbeuf 2809, Louviers 2810 — not Évreux (2 %), listed but not counted.
    let conn = app.db.db.connect().unwrap();
    let principal: Vec<String> = conn
        .prepare(
            "SELECT bassin_bmo FROM ref_commune GROUP BY bassin_bmo
             HAVING count(*) FILTER (WHERE ze2020 = '2815') * 2 >= count(*) ORDER BY 1",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(principal, ["2801", "2809", "2810"]);
    let expected: i64 = conn
        .query_row(
            "SELECT sum(projets) FROM raw_bmo WHERE bassin IN ('2801', '2809', '2810')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(html.contains("EVREUX"), "overlapping bassins are listed");
    let shown = indicator(&html, "bmo-projets").replace('\u{202F}', "");
    assert_eq!(shown, expected.to_string());
    // Offers: counted by the commune of the workplace. The expected count comes from the raw
    // files themselves (the offers sample and INSEE's zone composition), read by a separate
    // in-memory DuckDB, not from any table the observatory built: one offer per id whose
    // workplace commune belongs to zone 2815 (no Rouen offer carries an old or arrondissement
    // code, and the sample has a single source, so no cross-source duplicate).
    let offers: i64 = {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/default");
        let mem = duckdb::Connection::open_in_memory().unwrap();
        mem.query_row(
            &format!(
                "SELECT count(DISTINCT o.id) FROM read_csv('{}', all_varchar = true) o
                 JOIN read_csv('{}', all_varchar = true) z ON z.CODGEO = o.lieuTravail_commune
                 WHERE z.ZE2020 = '2815'",
                data.join("offres_2025-11-13_15_flat.csv.gz").display(),
                data.join("ze2020_communes_cog2023.csv.gz").display()
            ),
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(offers, 48, "the sample holds 48 offers in the Rouen zone");
    assert_eq!(
        indicator(&html, "offres-total").replace('\u{202F}', ""),
        offers.to_string()
    );
    assert!(
        html.contains("moins de 3 offres"),
        "small cells must be grouped and explained"
    );
}

#[tokio::test]
async fn paris_offers_with_arrondissement_codes_count_for_paris() {
    let app = TestApp::spawn().await;
    let html = app.get("/territoires/ze/1109").await.text().await.unwrap();
    let n: i64 = indicator(&html, "offres-total")
        .replace('\u{202F}', "")
        .parse()
        .unwrap();
    let arr: i64 = crate::helpers::count(
        &app.db.db,
        "SELECT count(*) FROM raw_ft_offre WHERE commune_brute LIKE '751%'",
    );
    assert!(
        arr > 0 && n >= arr,
        "{n} offers shown, {arr} with arrondissement codes"
    );
}

#[tokio::test]
async fn unknown_territory_is_404_and_malformed_is_400() {
    let app = TestApp::spawn().await;
    let res = app.get("/territoires/ze/9999").await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("n&#x27;existe pas"));
    assert_eq!(app.get("/territoires/planete/2815").await.status(), 400);
    assert_eq!(app.get("/territoires/ze/%3Cscript%3E").await.status(), 400);
    assert_eq!(app.get("/nulle-part").await.status(), 404);
    let res = app.get("/api/v1/nulle-part").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn other_territory_kinds_render() {
    let app = TestApp::spawn().await;
    for path in [
        "/territoires/bassin/8457",
        "/territoires/dep/76",
        "/territoires/reg/28",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("data-indicator=\"bmo-projets\""), "{path}");
    }
    // A département's BMO total is the exact sum of its published cells.
    let html = app.get("/territoires/dep/76").await.text().await.unwrap();
    let expected = crate::helpers::count(
        &app.db.db,
        "SELECT sum(projets) FROM raw_bmo WHERE departement = '76'",
    );
    assert_eq!(
        indicator(&html, "bmo-projets").replace('\u{202F}', ""),
        expected.to_string()
    );
}

#[tokio::test]
async fn home_search_finds_a_zone_from_a_commune_name() {
    let app = TestApp::spawn().await;
    let html = app
        .get("/?q=sotteville-les-rouen")
        .await
        .text()
        .await
        .unwrap();
    let results = html.split("id=\"parcourir\"").next().unwrap();
    assert!(
        results.contains("href=\"/territoires/ze/2815\"")
            && results.contains("contient la commune Sotteville"),
        "accent-insensitive commune search"
    );
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("Les 306 zones d'emploi"));
    let html = app.get("/?q=zzzzqqq").await.text().await.unwrap();
    assert!(html.contains("Aucun territoire"));
}

#[tokio::test]
async fn api_lists_territories_and_rejects_bad_kinds() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/territoires?kind=ze").await;
    assert_eq!(res.status(), 200);
    let list: Vec<serde_json::Value> = res.json().await.unwrap();
    assert_eq!(list.len(), 306);
    let rouen = list.iter().find(|t| t["code"] == "2815").unwrap();
    assert_eq!(rouen["libelle"], "Rouen");
    assert_eq!(rouen["url"], "/territoires/ze/2815");
    let res = app.get("/api/v1/territoires?kind=canton").await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], 400);
    assert!(body["detail"].as_str().unwrap().contains("canton"));
}

#[tokio::test]
async fn axum_rejections_answer_in_french() {
    let app = TestApp::spawn().await;
    // duplicate query keys on a page: the French error page
    let res = app.get("/?q=Rouen&q=Lyon").await;
    assert_eq!(res.status(), 400);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(
        html.contains("lang=\"fr\"") && html.contains("« q » est donné plusieurs fois"),
        "{html}"
    );
    assert!(!html.contains("Failed to deserialize"), "{html}");
    // on the API: problem+json
    let res = app.get("/api/v1/territoires?kind=ze&kind=dep").await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("« kind »"),
        "{body}"
    );
    // bad UTF-8 in a path segment
    let res = app.get("/territoires/ze/%FF%FE").await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(html.contains("UTF-8 valide"), "{html}");
    assert!(!html.contains("Invalid URL"), "{html}");
}

#[tokio::test]
async fn percent_and_underscore_in_the_search_are_not_wildcards() {
    let app = TestApp::spawn().await;
    // punctuation is ignored (as hyphens and spaces are): nothing is left to search for
    for q in ["%25", "_", "%25%25"] {
        let html = app.get(&format!("/?q={q}")).await.text().await.unwrap();
        assert!(
            html.contains("Aucun territoire, aucune commune ni aucun métier ne correspond"),
            "q={q} matched something"
        );
    }
    // `_` is not "any character": R_uen does not find Rouen
    let html = app.get("/?q=R_uen").await.text().await.unwrap();
    let results = html.split("id=\"parcourir\"").next().unwrap();
    assert!(
        !results.contains("/territoires/ze/2815\""),
        "R_uen found Rouen"
    );
    let html = app.get("/?q=rouen").await.text().await.unwrap();
    let results = html.split("id=\"parcourir\"").next().unwrap();
    assert!(results.contains("/territoires/ze/2815"));
}

#[tokio::test]
async fn health_reports_database_and_sources() {
    let app = TestApp::spawn().await;
    let res = app.get("/health").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    // the embedded data ends in 2019 (DARES) or 2016 (DEFM): honest freshness is degraded
    assert_eq!(body["status"], "degraded");
    let sources = body["sources"].as_array().unwrap();
    assert!(sources
        .iter()
        .any(|s| s["id"] == "insee-chomage-ze" && s["last_success"].is_string()));
}

#[tokio::test]
async fn methodology_lists_every_loaded_source() {
    let app = TestApp::spawn().await;
    let html = app.get("/methodologie").await.text().await.unwrap();
    let n = crate::helpers::count(&app.db.db, "SELECT count(*) FROM sources");
    assert_eq!(html.matches("id=\"source-").count() as i64, n);
    for anchor in ["chomage", "bmo", "offres", "urssaf", "territoires"] {
        assert!(html.contains(&format!("id=\"{anchor}\"")), "{anchor}");
    }
}

#[tokio::test]
async fn freshness_is_the_age_of_the_data_not_of_the_load() {
    let app = TestApp::spawn().await;
    // Everything was loaded moments ago, but the DARES tensions are of 2019 and the DEFM series
    // ends in 2016: both are out of date, and /health says so.
    let body: serde_json::Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(body["status"], "degraded");
    let stale: Vec<&str> = body["stale_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for id in ["dares-tensions", "dares-defm-dep", "insee-chomage-ze"] {
        assert!(stale.contains(&id), "{id} not stale: {stale:?}");
    }
    // Nomenclatures are versions, not series.
    assert!(!stale.contains(&"ft-rome4"), "{stale:?}");
    let dares = body["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "dares-tensions")
        .unwrap();
    // the day of the load (the test database was made when the tests started: maybe yesterday)
    let loaded = crate::helpers::french_date_of(dares["last_success"].as_str().unwrap());
    assert_eq!(
        dares["freshness"],
        format!("données de 2019 — chargées le {loaded}")
    );
    assert_eq!(dares["age_days"], 0);

    // Unemployment data whose latest quarter is the current one is fresh again.
    app.db
        .db
        .connect()
        .unwrap()
        .execute(
            "UPDATE sources SET data_date = date_trunc('quarter', current_date) WHERE source_id = 'insee-chomage-ze'",
            [],
        )
        .unwrap();
    let body: serde_json::Value = app.get("/health").await.json().await.unwrap();
    let stale = body["stale_sources"].to_string();
    assert!(!stale.contains("insee-chomage-ze"), "{stale}");
    assert!(stale.contains("dares-tensions"), "{stale}");
    let html = app.get("/territoires/ze/2815").await.text().await.unwrap();
    assert!(
        html.contains("données de 2024 — chargées le"),
        "BMO freshness sentence missing"
    );
    assert!(
        html.contains("des données plus récentes que 2024 devraient être publiées"),
        "stale BMO warning missing"
    );
}
