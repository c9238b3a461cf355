//! The pages users read: the territory dashboard's analyses, the map, and their figures equal to
//! the derived tables; bad parameters answered with a French 400.
use crate::helpers::{count, TestApp};

fn french(v: f64, digits: usize) -> String {
    format!("{v:.digits$}").replace('.', ",")
}

#[tokio::test]
async fn the_map_paints_every_zone_with_its_value_and_links_it() {
    let app = TestApp::spawn().await;
    let r = app.get("/carte?indicateur=chomage&niveau=ze").await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    // one <path> per zone with a geometry, each a link to its territory
    let paths =
        html.matches("<path class=\"c").count() + html.matches("<path class=\"na\"").count();
    let zones = count(
        &app.db.db,
        "SELECT count(*) FROM ref_geometry WHERE kind = 'ze'",
    );
    assert_eq!(paths as i64, zones);
    assert!(html.contains("<a href=\"/territoires/ze/2815\" aria-label=\"Rouen (2815) : "));
    // the table holds the same values as the derived table
    let c = app.db.db.connect().unwrap();
    let (taux, trimestre): (f64, String) = c
        .query_row(
            "SELECT taux, trimestre FROM ind_chomage WHERE kind = 'ze' AND code = '2815'
             ORDER BY trimestre DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(
        html.contains(&format!("data-code=\"2815\">{} %</td>", french(taux, 1))),
        "Rouen {taux}"
    );
    assert!(html.contains(&trimestre));
    // a legend of five classes, the hatching for missing values explained, overseas insets
    assert_eq!(html.matches("<rect class=\"c").count(), 5);
    assert!(html.contains("Martinique") && html.contains("La Réunion"));
    assert!(html.contains("Source : Insee"));
    // other indicators and levels
    for path in [
        "/carte?indicateur=offres&niveau=dep",
        "/carte?indicateur=bmo-difficiles&niveau=bassin",
        "/carte?indicateur=emploi-evolution",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            r.text().await.unwrap().contains("<path class=\"c"),
            "{path}"
        );
    }
    for (path, needle) in [
        (
            "/carte?indicateur=inconnu",
            "Indicateur « inconnu » inconnu",
        ),
        (
            "/carte?indicateur=chomage&niveau=dep",
            "est publié que pour : zones d",
        ),
        ("/carte?niveau=commune", "Niveau « commune » inconnu"),
        ("/carte?couleur=rouge", "paramètre « couleur » inconnu"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 400, "{path}");
        let html = r.text().await.unwrap();
        assert!(html.contains(needle), "{path}: {html}");
    }
}

#[tokio::test]
async fn the_dashboard_shows_tension_sectors_skills_tree_and_forecasts_from_the_tables() {
    let app = TestApp::spawn().await;
    let c = app.db.db.connect().unwrap();
    let total = count(
        &app.db.db,
        "SELECT count(*) FROM ind_tension WHERE kind = 'ze' AND code = '2815' AND nomenclature = 'fap2021'",
    );
    let pages = (total as usize).div_ceil(25);
    let top: (String, i32) = c
        .query_row(
            "SELECT metier, level FROM ind_tension WHERE kind = 'ze' AND code = '2815' AND nomenclature = 'fap2021'
             ORDER BY level DESC NULLS LAST, score DESC NULLS LAST, projets DESC NULLS LAST, metier LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let html = app.get("/territoires/ze/2815").await.text().await.unwrap();
    assert!(
        html.contains(&format!("Page 1 sur {pages}")),
        "{pages} pages"
    );
    let first_row = html.split("<table class=\"tension\">").nth(1).unwrap();
    let first_row = first_row.split("<tbody>").nth(1).unwrap();
    assert!(
        first_row.trim_start().starts_with(&format!(
            "<tr><th scope=\"row\"><a href=\"/metiers/{}\">",
            top.0
        )),
        "{}",
        &first_row[..300]
    );
    assert!(first_row.contains(&format!("<span class=\"level l{0}\">{0}</span>", top.1)));
    // sorted by projects: the first row is the métier with the most projects
    let most: String = c
        .query_row(
            "SELECT metier FROM ind_tension WHERE kind = 'ze' AND code = '2815' AND nomenclature = 'fap2021'
             ORDER BY projets DESC NULLS LAST, metier LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let sorted = app
        .get("/territoires/ze/2815?tri=projets")
        .await
        .text()
        .await
        .unwrap();
    let body = sorted.split("<table class=\"tension\">").nth(1).unwrap();
    let body = body.split("<tbody>").nth(1).unwrap();
    assert!(body.trim_start().contains(&format!("/metiers/{most}\"")));
    assert!(body.find(&format!("/metiers/{most}\"")).unwrap() < 120);
    // the last page has the remaining rows, and a page past the end shows the last one
    let last = app
        .get(&format!("/territoires/ze/2815?page={pages}"))
        .await
        .text()
        .await
        .unwrap();
    let rows = last
        .split("<table class=\"tension\">")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap()
        .matches("<tr><th scope=\"row\">")
        .count();
    assert_eq!(rows, total as usize - (pages - 1) * 25);
    // suppressed rows (ranked last) say why
    assert!(last.contains("pas de niveau : moins de 30 projets"));
    // sectors, skills and downloads
    assert!(html.contains("Secteurs qui recrutent ou perdent des emplois"));
    assert!(html.contains("Compétences les plus demandées"));
    assert!(html.contains("/api/v1/territoires/ze/2815/tension?format=csv"));
    // the territorial tree: up to its région, across to its bassins; a département lists its zones
    assert!(html.contains("<a href=\"/territoires/reg/28\">Région Normandie</a>"));
    assert!(html.contains("/territoires/bassin/"));
    let dep = app.get("/territoires/dep/76").await.text().await.unwrap();
    assert!(
        dep.contains("href=\"/territoires/ze/2815\""),
        "dep 76 links its zones"
    );
    assert!(dep.contains("class=\"map locator\""));
    // forecasts: said missing before the job, shown with bands and accuracy after
    assert!(html.contains("Les prévisions n'ont pas encore été calculées"));
    observatoire::forecast::store::rebuild(&c).unwrap();
    let html = app.get("/territoires/ze/2815").await.text().await.unwrap();
    let (c95, model): (f64, String) = c
        .query_row(
            "SELECT holdout_coverage95, model FROM fc_series WHERE family = 'chomage' AND kind = 'ze' AND code = '2815'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(html.contains("<path class=\"band\""), "95 % band drawn");
    assert!(
        html.contains("<path class=\"band inner\""),
        "80 % band drawn"
    );
    assert!(html.contains(&format!("Modèle : {model}")));
    assert!(html.contains(&format!(
        "{}&nbsp;% des valeurs observées",
        french(c95 * 100.0, 0)
    )));
    // bad parameters
    for path in [
        "/territoires/ze/2815?tri=hasard",
        "/territoires/ze/2815?page=0",
        "/territoires/ze/2815?page=x",
    ] {
        assert_eq!(app.get(path).await.status(), 400, "{path}");
    }
}

#[tokio::test]
async fn metier_pages_for_rome_and_fap_codes_show_the_tables_figures() {
    let app = TestApp::spawn().await;
    let c = app.db.db.connect().unwrap();
    // a FAP 2021 family with levels in several zones
    let (fap, zones, level_2815): (String, i64, Option<i32>) = c
        .query_row(
            "SELECT metier, count(*), max(level) FILTER (WHERE code = '2815') FROM ind_tension
             WHERE kind = 'ze' AND nomenclature = 'fap2021' AND level IS NOT NULL
             GROUP BY metier HAVING count(*) FILTER (WHERE code = '2815') = 1 ORDER BY count(*) DESC, metier LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let html = app
        .get(&format!("/metiers/{fap}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("(FAP 2021 {fap})")), "{fap}");
    assert!(
        html.contains(&format!("({zones} zones classées sur")),
        "{fap}: {zones}"
    );
    let level = level_2815.unwrap();
    assert!(
        html.contains(&format!("<td data-code=\"2815\">{level} — ")),
        "{fap} in Rouen: level {level}"
    );
    assert!(html.contains("<a href=\"/territoires/ze/2815\" aria-label=\"Rouen : niveau"));
    // its ROME métiers link to their pages, which show national offers, salaries and close métiers
    let rome: String = c
        .query_row(
            "SELECT key FROM ind_offres WHERE kind = 'fr' AND dimension = 'rome' AND periode = 'actuel'
               AND n_salaires >= 10 ORDER BY offres DESC, key LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let (offres, median): (i64, f64) = c
        .query_row(
            "SELECT offres, salaire_median FROM ind_offres WHERE kind = 'fr' AND dimension = 'rome' AND key = ? AND periode = 'actuel'",
            [&rome],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let html = app
        .get(&format!("/metiers/{rome}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("(ROME 4.0 {rome})")));
    assert!(
        html.contains(&format!("{offres} offres en cours")),
        "{rome}"
    );
    let median = observatoire::web::format::fr_int(Some(median.round() as i64));
    assert!(
        html.contains(&format!("médiane {median}&nbsp;€")),
        "{rome} {median}"
    );
    assert!(html.contains("Métiers proches (mobilités du ROME)"));
    assert!(html.contains("Famille professionnelle FAP 2021 : <a href=\"/metiers/"));
    // lower case accepted; unknown → 404; malformed → 400
    assert_eq!(
        app.get(&format!("/metiers/{}", rome.to_lowercase()))
            .await
            .status(),
        200
    );
    assert_eq!(app.get("/metiers/Z9999").await.status(), 404);
    assert_eq!(app.get("/metiers/a-b").await.status(), 400);
    // FAP 2009 (the DARES nomenclature) answers too, pointing to FAP 2021
    let html = app.get("/metiers/A0Z40").await.text().await.unwrap();
    assert!(html.contains("(FAP 2009 A0Z40)"));
    assert!(html.contains("/metiers/A0X40"));
}

#[tokio::test]
async fn home_finds_postal_codes_saint_spellings_and_metiers_and_lists_in_french_order() {
    let app = TestApp::spawn().await;
    let c = app.db.db.connect().unwrap();
    // a postal code seen in the offers, and the zone of its commune
    let (cp, ze): (String, String) = c
        .query_row(
            "SELECT p.code_postal, rc.ze2020 FROM ind_code_postal p JOIN ref_commune rc ON rc.code = p.commune
             ORDER BY p.offres DESC, p.code_postal LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let html = app.get(&format!("/?q={cp}")).await.text().await.unwrap();
    assert!(
        html.contains(&format!("href=\"/territoires/ze/{ze}\"")),
        "{cp} → {ze}"
    );
    assert!(html.contains(&format!("(code postal {cp})")));
    // accents, hyphens, spaces and st/saint do not matter
    for q in [
        "st etienne du rouvray",
        "Saint-Étienne-du-Rouvray",
        "SAINTETIENNEDUROUVRAY",
    ] {
        let html = app.get(&format!("/?q={q}")).await.text().await.unwrap();
        assert!(html.contains("href=\"/territoires/ze/2815\""), "{q}");
    }
    // métiers by appellation or ROME label
    let html = app.get("/?q=aide%20soignante").await.text().await.unwrap();
    assert!(html.contains("href=\"/metiers/J1501\""));
    // French alphabetical order: Épinal among the E, not after Z
    let html = app.get("/").await.text().await.unwrap();
    let zones = html.split("id=\"zones\"").nth(1).unwrap();
    let pos = |name: &str| {
        zones
            .find(&format!(">{name}</a>"))
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert!(pos("Épernay") < pos("Épinal") && pos("Épinal") < pos("Evreux"));
    assert!(pos("Evreux") < pos("Figeac-Villefranche"));
    assert!(html.contains("Les 18 régions") || html.contains("régions</h3>"));
    assert!(html.contains("Fraîcheur des données"));
}

#[tokio::test]
async fn pages_are_cached_until_the_data_change_with_etags_and_compression() {
    let app = TestApp::spawn().await;
    // a client that leaves the body compressed, to see the encoding
    let client = reqwest::Client::builder().no_gzip().build().unwrap();
    let get = |path: &'static str, etag: Option<String>| {
        let mut r = client
            .get(format!("{}{path}", app.address))
            .header("accept-encoding", "gzip");
        if let Some(e) = etag {
            r = r.header("if-none-match", e);
        }
        r.send()
    };
    let first = get("/territoires/ze/2815", None).await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["x-cache"], "miss");
    assert_eq!(first.headers()["content-encoding"], "gzip");
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let second = get("/territoires/ze/2815", None).await.unwrap();
    assert_eq!(second.headers()["x-cache"], "hit");
    assert_eq!(second.headers()["etag"].to_str().unwrap(), etag);
    let not_modified = get("/territoires/ze/2815", Some(etag.clone()))
        .await
        .unwrap();
    assert_eq!(not_modified.status(), 304);
    // the API too
    let api = get("/api/v1/territoires/ze/2815/tension", None)
        .await
        .unwrap();
    assert_eq!(api.headers()["x-cache"], "miss");
    assert_eq!(
        get("/api/v1/territoires/ze/2815/tension", None)
            .await
            .unwrap()
            .headers()["x-cache"],
        "hit"
    );
    // a rebuild changes the data version: the page is rendered again, with the forecasts
    observatoire::forecast::store::rebuild(&app.db.db.connect().unwrap()).unwrap();
    let after = get("/territoires/ze/2815", Some(etag.clone()))
        .await
        .unwrap();
    assert_eq!(after.status(), 200);
    assert_eq!(after.headers()["x-cache"], "miss");
    assert_ne!(after.headers()["etag"].to_str().unwrap(), etag);
    // concurrent first requests of one address: one renders, the others get its result
    let url = format!(
        "{}/api/v1/territoires/ze/2815/tension?format=csv",
        app.address
    );
    let answers = futures_join(
        (0..16)
            .map(|_| {
                let (c, u) = (client.clone(), url.clone());
                tokio::spawn(async move {
                    c.get(u).send().await.unwrap().headers()["x-cache"]
                        .to_str()
                        .unwrap()
                        .to_string()
                })
            })
            .collect(),
    )
    .await;
    assert_eq!(
        answers.iter().filter(|a| *a == "miss").count(),
        1,
        "{answers:?}"
    );
    // job states are never cached
    let jobs = get("/api/v1/jobs", None).await.unwrap();
    assert!(jobs.headers().get("x-cache").is_none());
}

#[tokio::test]
async fn comparer_sets_territories_side_by_side_with_france() {
    let app = TestApp::spawn().await;
    let html = app
        .get("/comparer?t=ze:2815&t=ze:1109&t=dep:76")
        .await
        .text()
        .await
        .unwrap();
    for needle in [
        "href=\"/territoires/ze/2815\">Rouen</a>",
        "href=\"/territoires/ze/1109\">Paris</a>",
        "href=\"/territoires/dep/76\">",
        ">France</th>",
        "Taux de chômage comparés",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    let c = app.db.db.connect().unwrap();
    let paris: f64 = c
        .query_row(
            "SELECT taux FROM ind_chomage WHERE kind = 'ze' AND code = '1109' ORDER BY trimestre DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        html.contains(&format!("{}&nbsp;%", french(paris, 1))),
        "Paris {paris}"
    );
    assert_eq!(app.get("/comparer").await.status(), 200, "the form");
    for (path, status) in [
        ("/comparer?t=ze:2815", 400),
        ("/comparer?t=ze:1&t=ze:2&t=ze:3&t=ze:4&t=ze:5", 400),
        ("/comparer?t=2815&t=1109", 400),
        ("/comparer?t=ze:2815&t=ze:9999", 404),
        ("/comparer?x=1", 400),
    ] {
        assert_eq!(app.get(path).await.status(), status, "{path}");
    }
}

#[tokio::test]
async fn alerts_report_metiers_entering_tension_and_values_outside_their_forecast() {
    let app = TestApp::spawn().await;
    let c = app.db.db.connect().unwrap();
    // a rebuild keeps the levels it replaces
    observatoire::indicators::rebuild(&c).unwrap();
    let kept = count(&app.db.db, "SELECT count(*) FROM ind_tension_previous");
    assert_eq!(kept, count(&app.db.db, "SELECT count(*) FROM ind_tension"));
    // same data: nothing entered or left tension
    let v: serde_json::Value = app
        .get("/api/v1/alertes?type=entree_tension")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"], 0, "{v}");
    // a métier of Rouen that was at level 2 before and is at 5 now
    let metier: String = c
        .query_row(
            "SELECT metier FROM ind_tension WHERE kind = 'ze' AND code = '2815' AND nomenclature = 'fap2021' AND level = 5
             ORDER BY metier LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    c.execute(
        "UPDATE ind_tension_previous SET level = 2 WHERE kind = 'ze' AND code = '2815' AND nomenclature = 'fap2021' AND metier = ?",
        [&metier],
    )
    .unwrap();
    let v: serde_json::Value = app
        .get("/api/v1/alertes?type=entree_tension&territoire=ze:2815")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"], 1, "{v}");
    let a = &v["items"][0];
    assert_eq!(a["metier"]["code"], metier.as_str());
    assert_eq!(a["valeurs"]["niveau_precedent"], 2);
    assert_eq!(a["valeurs"]["niveau"], 5);
    assert!(a["message"].as_str().unwrap().contains("entre en tension"));
    // a value outside the interval the previous forecasts gave it
    observatoire::forecast::store::rebuild(&c).unwrap();
    let taux: f64 = c
        .query_row(
            "SELECT taux FROM ind_chomage WHERE kind = 'ze' AND code = '2815' AND trimestre = '2023-T3'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    c.execute(
        "INSERT INTO fc_points VALUES ('chomage', 'ze', '2815', '', 1, '2023-Q3', ?, ?, ?, ?, ?)",
        duckdb::params![taux + 2.0, taux + 1.5, taux + 2.5, taux + 1.0, taux + 3.0],
    )
    .unwrap();
    observatoire::forecast::store::rebuild(&c).unwrap();
    let v: serde_json::Value = app
        .get("/api/v1/alertes?type=hors_intervalle")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["valeurs"]["periode"], "2023-Q3");
    assert_eq!(v["items"][0]["territoire"]["code"], "2815");
    // stale sources are alerts too; the page lists them all; bad filters are problems
    let html = app.get("/alertes").await.text().await.unwrap();
    assert!(html.contains("entrée en tension") && html.contains("hors intervalle"));
    assert!(html.contains("source ancienne"));
    app.assert_problems(&[
        ("/api/v1/alertes?type=autre", 400),
        ("/api/v1/alertes?territoire=2815", 400),
    ])
    .await;
}

#[tokio::test]
async fn sector_filiere_and_skills_pages_show_their_tables() {
    let app = TestApp::spawn().await;
    let c = app.db.db.connect().unwrap();
    // sector: offers by zone from ind_offres
    let (sector, ze, n): (String, String, i64) = c
        .query_row(
            "SELECT key, code, offres FROM ind_offres WHERE kind = 'ze' AND dimension = 'naf_a38' AND periode = 'actuel'
               AND key <> '?' ORDER BY offres DESC, key LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let html = app
        .get(&format!("/secteurs/{sector}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("(NAF A38 {sector})")));
    assert!(
        html.contains(&format!("data-code=\"{ze}\">{n}</td>")),
        "{sector} {ze} {n}"
    );
    assert_eq!(app.get("/secteurs/ZZ").await.status(), 404);
    assert_eq!(app.get("/secteurs/a-b").await.status(), 400);
    // filière in a territory: its ROME métiers with their levels
    let (rome, level): (String, Option<i32>) = c
        .query_row(
            "SELECT r.rome, t.level FROM ref_filiere_rome r
             LEFT JOIN ind_tension t ON t.kind = 'ze' AND t.code = '2815' AND t.nomenclature = 'rome' AND t.metier = r.rome
             WHERE r.filiere = 'batiment-renovation' ORDER BY r.rome LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let html = app
        .get("/filieres/batiment-renovation?territoire=ze:2815")
        .await
        .text()
        .await
        .unwrap();
    let cell = match level {
        Some(l) => format!("data-code=\"{rome}\">{l} — "),
        None => format!("data-code=\"{rome}\">—"),
    };
    assert!(html.contains(&cell), "{cell}");
    assert_eq!(app.get("/filieres/inconnue").await.status(), 404);
    assert_eq!(
        app.get("/filieres/batiment-renovation?territoire=x")
            .await
            .status(),
        400
    );
    assert_eq!(
        app.get("/filieres/batiment-renovation?territoire=ze:9999")
            .await
            .status(),
        404
    );
    // skills page: the most cited skill of the zone, and the honest note on the skills forecast
    let (skill, offres): (String, i64) = c
        .query_row(
            "SELECT libelle, offres FROM ind_competences WHERE kind = 'ze' AND code = '2815' AND nature = 'observee'
               AND dimension = 'total' ORDER BY offres DESC, competence LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let html = app
        .get("/territoires/ze/2815/competences")
        .await
        .text()
        .await
        .unwrap();
    let escaped = skill.replace('\'', "&#x27;");
    assert!(html.contains(&escaped), "{skill}");
    assert!(html.contains(&format!("<td class=\"num\">{offres}</td>")));
    assert!(html.contains("Prévision des compétences"));
    assert_eq!(
        app.get("/territoires/ze/9999/competences").await.status(),
        404
    );
}

#[tokio::test]
async fn a_custom_territory_has_its_dashboard_fiche_and_comparison() {
    let app = TestApp::spawn().await;
    observatoire::init::run(
        &mut app.db.db.connect().unwrap(),
        &crate::analytics::custom_config(""),
    )
    .unwrap();
    let html = app
        .get("/territoires/custom/copie-rouen")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Copie de la zone de Rouen"));
    assert!(html.contains("<table class=\"tension\">"));
    // a copy of the zone contains it and shares its région
    assert!(html.contains("href=\"/territoires/ze/2815\""));
    assert!(html.contains("class=\"map locator\""));
    assert_eq!(app.get("/fiche/custom/copie-rouen").await.status(), 200);
    let cmp = app
        .get("/comparer?t=custom:copie-rouen&t=ze:2815")
        .await
        .text()
        .await
        .unwrap();
    assert!(cmp.contains("Copie de la zone de Rouen") && cmp.contains(">France</th>"));
    assert_eq!(
        app.get("/territoires/custom/copie-rouen.csv")
            .await
            .status(),
        200
    );
    // an id longer than a zone or département code (custom ids go up to 64 characters)
    for path in [
        "/territoires/custom/communes-rouen",
        "/territoires/custom/communes-rouen/competences",
        "/fiche/custom/communes-rouen",
        "/comparer?t=custom:communes-rouen&t=ze:2815",
        "/api/v1/alertes?territoire=custom:communes-rouen",
    ] {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
}

async fn futures_join(tasks: Vec<tokio::task::JoinHandle<String>>) -> Vec<String> {
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}
