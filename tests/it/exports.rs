//! Downloads of the API collections (`?format=csv|xlsx|parquet`) read back with DuckDB and
//! calamine and compared with the derived tables; the OpenAPI document valid and covering every
//! `/api/v1` route.
use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::helpers::TestApp;

/// `(metier, level, score)` of the zone's FAP 2021 tension rows, from the derived table.
fn tension_rows(app: &TestApp) -> HashMap<String, (Option<i32>, Option<f64>)> {
    let c = app.db.db.connect().unwrap();
    let mut stmt = c
        .prepare(
            "SELECT metier, level, score FROM ind_tension
             WHERE kind = 'ze' AND code = '2815' AND nomenclature = 'fap2021'",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

async fn download(app: &TestApp, path: &str, mime: &str) -> Vec<u8> {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    assert_eq!(r.headers()["content-type"], mime, "{path}");
    let disp = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disp.starts_with("attachment; filename=\"observatoire_territoires_ze_2815_tension_"),
        "{disp}"
    );
    assert!(r.headers().contains_key("x-observatoire-sources"));
    r.bytes().await.unwrap().to_vec()
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() < 1e-9 * a.abs().max(1.0),
        _ => false,
    }
}

#[tokio::test]
async fn every_tension_row_is_exported_in_csv_xlsx_and_parquet_equal_to_the_table() {
    let app = TestApp::spawn().await;
    let expected = tension_rows(&app);
    // more rows than one API page: the export assembles every page
    assert!(expected.len() > 50, "{}", expected.len());
    let dir = tempfile::tempdir().unwrap();
    let duck = duckdb::Connection::open_in_memory().unwrap();
    let read_back = |sql: &str| -> HashMap<String, (Option<i32>, Option<f64>)> {
        let mut stmt = duck.prepare(sql).unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };

    // CSV: BOM, `;`, decimal comma — read by DuckDB with French settings
    let csv = download(
        &app,
        "/api/v1/territoires/ze/2815/tension?format=csv",
        "text/csv; charset=utf-8",
    )
    .await;
    assert!(csv.starts_with(b"\xEF\xBB\xBFmetier;nomenclature;label;level;score;"));
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(
        text.lines().nth(1).unwrap().contains(','),
        "decimal comma: {}",
        text.lines().nth(1).unwrap()
    );
    let csv_path = dir.path().join("t.csv");
    std::fs::write(&csv_path, &csv).unwrap();
    let got = read_back(&format!(
        "SELECT metier, level::INTEGER, score::DOUBLE FROM read_csv('{}', delim = ';', decimal_separator = ',', header = true)",
        csv_path.display()
    ));
    assert_eq!(got.len(), expected.len());
    for (m, (level, score)) in &expected {
        let (l, s) = got[m];
        assert_eq!(l, *level, "{m}");
        assert!(close(s, *score), "{m}: {s:?} vs {score:?}");
    }

    // Parquet: typed columns and the provenance in the metadata
    let pq = download(
        &app,
        "/api/v1/territoires/ze/2815/tension?format=parquet",
        "application/vnd.apache.parquet",
    )
    .await;
    let pq_path = dir.path().join("t.parquet");
    std::fs::write(&pq_path, &pq).unwrap();
    let got = read_back(&format!(
        "SELECT metier, level, score FROM '{}'",
        pq_path.display()
    ));
    assert_eq!(got.len(), expected.len());
    for (m, (level, score)) in &expected {
        assert_eq!(got[m].0, *level, "{m}");
        assert!(close(got[m].1, *score), "{m}");
    }
    let meta: Vec<(String, String)> = duck
        .prepare(&format!(
            "SELECT decode(key), decode(value) FROM parquet_kv_metadata('{}')",
            pq_path.display()
        ))
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let meta: HashMap<_, _> = meta.into_iter().collect();
    assert!(meta["source"].contains("BMO"), "{meta:?}");
    assert!(meta["extrait_le"].starts_with("20"), "{meta:?}");
    assert_eq!(meta["methode"], "/methodologie#tension");

    // XLSX: a header row, numbers as numbers, and a Sources sheet
    let xlsx = download(
        &app,
        "/api/v1/territoires/ze/2815/tension?format=xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    .await;
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    assert_eq!(wb.sheet_names(), ["Données", "Sources"]);
    let data = wb.worksheet_range("Données").unwrap();
    let head: Vec<String> = data
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let (im, il, is) = (
        head.iter().position(|h| h == "metier").unwrap(),
        head.iter().position(|h| h == "level").unwrap(),
        head.iter().position(|h| h == "score").unwrap(),
    );
    assert_eq!(data.rows().count() - 1, expected.len());
    for row in data.rows().skip(1) {
        let m = row[im].to_string();
        let (level, score) = expected[&m];
        let num = |c: &Data| match c {
            Data::Float(f) => Some(*f),
            Data::Int(i) => Some(*i as f64),
            Data::Empty => None,
            other => panic!("{m}: not a number: {other:?}"),
        };
        assert_eq!(num(&row[il]).map(|f| f as i32), level, "{m}");
        assert!(close(num(&row[is]), score), "{m}");
    }
    let sources = wb.worksheet_range("Sources").unwrap();
    let all: Vec<String> = sources.rows().flatten().map(|c| c.to_string()).collect();
    assert!(
        all.iter().any(|c| c.contains("Besoins en Main-d")),
        "{all:?}"
    );
    assert!(all.iter().any(|c| c == "Extrait le"), "{all:?}");
    assert!(all
        .iter()
        .any(|c| c.starts_with("/api/v1/territoires/ze/2815/tension")));

    // one page when the caller asks for one
    let one = app
        .get("/api/v1/territoires/ze/2815/tension?format=csv&per_page=10&page=2")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(one.lines().count(), 11);
}

#[tokio::test]
async fn every_collection_exports_and_bad_formats_are_problems() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/territoires?kind=dep",
        "/api/v1/territoires/ze/2815/offres?by=rome",
        "/api/v1/territoires/ze/2815/secteurs",
        "/api/v1/territoires/ze/2815/competences",
        "/api/v1/filieres",
        "/api/v1/filieres/agroalimentaire?territory=ze:2815",
        "/api/v1/jobs",
    ] {
        let sep = if path.contains('?') { '&' } else { '?' };
        let json: serde_json::Value = app.get(path).await.json().await.unwrap();
        let r = app.get(&format!("{path}{sep}format=csv")).await;
        assert_eq!(r.status(), 200, "{path}");
        let text = r.text().await.unwrap();
        let rows = json
            .get("items")
            .or(json.get("metiers"))
            .unwrap_or(&json)
            .as_array()
            .unwrap_or_else(|| panic!("{path}: {json}"))
            .len();
        // header + one line per row (jobs: runs are nested lists exploded per run, ≥ rows)
        assert!(text.lines().count() > rows, "{path}: {rows} rows, {text}");
        // `json` is the default and can be asked for
        let same: serde_json::Value = app
            .get(&format!("{path}{sep}format=json"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(same, json, "{path}");
    }
    app.assert_problems(&[
        ("/api/v1/territoires/ze/2815/tension?format=xml", 400),
        (
            "/api/v1/territoires/ze/2815/tension?format=csv&format=xlsx",
            400,
        ),
        ("/api/v1/territoires/ze/9999/tension?format=csv", 404),
        (
            "/api/v1/territoires/ze/2815/tension?format=csv&niveau_min=9",
            400,
        ),
        // not a collection: a filière without territory is one object
        ("/api/v1/filieres/agroalimentaire?format=csv", 400),
    ])
    .await;
}

/// The interpreter of the test virtualenv made by `scripts/test.sh` (with openapi-spec-validator).
fn test_python() -> std::path::PathBuf {
    let p = std::env::var_os("OBSERVATOIRE_TEST_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap())
                .join(".cache/observatoire/venv/bin/python")
        });
    assert!(
        p.exists(),
        "{} missing: run the tests with scripts/test.sh, which makes the virtualenv",
        p.display()
    );
    p
}

/// schemathesis (from the test virtualenv) generates requests from `/api/openapi.json` — the
/// documented examples, boundary and invalid values, then random ones — and checks that no
/// answer is a 5xx and that every status, media type and body is the documented one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_answers_as_its_openapi_document_says_under_schemathesis() {
    let app = TestApp::spawn().await;
    let st = test_python().with_file_name("schemathesis");
    let url = format!("{}/api/openapi.json", app.address);
    // in a folder of its own: schemathesis keeps a cache of past failures in its working
    // directory, which would make runs depend on each other (and write into the checkout)
    let work = tempfile::tempdir().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(st)
            .current_dir(work.path())
            .args(["run", &url, "--checks"])
            .arg("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance")
            .args(["--max-examples", "30", "--phases", "examples,coverage,fuzzing", "--seed", "20261201"])
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("passed") && !text.contains("failed"),
        "{text}"
    );
}

#[tokio::test]
async fn the_openapi_document_is_valid_and_covers_every_api_route() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/openapi.json").await;
    assert_eq!(r.status(), 200);
    let doc: serde_json::Value = r.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    // every documented path answers (so the document describes real routes) …
    for (path, item) in paths {
        let concrete = path
            .replace("{kind}", "ze")
            .replace("{code}", "2815")
            .replace("{id}", "agroalimentaire");
        let r = app.get(&concrete).await;
        assert_eq!(r.status(), 200, "{path}");
        let params: Vec<&str> = item["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(params.contains(&"format"), "{path}: {params:?}");
        assert!(item["get"]["responses"]["200"].is_object(), "{path}");
    }
    // … and every route of the API is documented
    for route in [
        "/api/v1/territoires",
        "/api/v1/territoires/{kind}/{code}/tension",
        "/api/v1/territoires/{kind}/{code}/offres",
        "/api/v1/territoires/{kind}/{code}/secteurs",
        "/api/v1/territoires/{kind}/{code}/competences",
        "/api/v1/territoires/{kind}/{code}/previsions",
        "/api/v1/filieres",
        "/api/v1/filieres/{id}",
        "/api/v1/jobs",
    ] {
        assert!(paths.contains_key(route), "{route} not documented");
    }
    let tension = &paths["/api/v1/territoires/{kind}/{code}/tension"]["get"];
    let names: Vec<&str> = tension["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for n in [
        "kind",
        "code",
        "nomenclature",
        "niveau_min",
        "page",
        "per_page",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    assert!(tension["responses"]["400"]["content"]["application/problem+json"].is_object());
    // the tension answer is described by the types the handler serialises
    assert_eq!(
        tension["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/TensionPage"
    );
    let item = &doc["components"]["schemas"]["TensionItem"]["properties"];
    for field in [
        "metier",
        "level",
        "components",
        "indicator",
        "suppressed_reason",
        "dares_2019_category",
    ] {
        assert!(item.get(field).is_some(), "TensionItem.{field}");
    }
    // valid OpenAPI 3.1 for an independent validator
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let out = std::process::Command::new(test_python())
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn export_parquet_writes_every_derived_table_hive_partitioned_and_fails_clearly() {
    let (dir, db_path) = crate::helpers::test_db_file();
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");
    let out_dir = dir.path().join("parquet");
    let run = |dest: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_observatoire"))
            .arg("--config")
            .arg(&config)
            .arg("--db")
            .arg(&db_path)
            .args(["export", "--parquet"])
            .arg(dest)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = run(&out_dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = observatoire::store::Db::open(&db_path).unwrap();
    let c = db.connect().unwrap();
    let tables: Vec<String> = c
        .prepare("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'ind\\_%' ESCAPE '\\' OR table_name LIKE 'fc\\_%' ESCAPE '\\'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(tables.len() >= 15, "{tables:?}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("manifest.json")).unwrap()).unwrap();
    for t in &tables {
        let stored: i64 = c
            .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
            .unwrap();
        let read: i64 = c
            .query_row(
                &format!(
                    "SELECT count(*) FROM read_parquet('{}/{t}/**/*.parquet', hive_partitioning = true)",
                    out_dir.display()
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(read, stored, "{t}");
        let m = manifest["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["table"] == t.as_str())
            .unwrap_or_else(|| panic!("{t} in manifest"));
        assert_eq!(m["rows"], stored, "{t}");
    }
    // partitioned by territory kind and year; values equal to the table once read back
    assert!(out_dir.join("ind_tension/kind=ze").is_dir());
    assert!(out_dir.join("ind_chomage/kind=ze/annee=2023").is_dir());
    let diff: i64 = c
        .query_row(
            &format!(
                "SELECT count(*) FROM (
                   SELECT kind, code, nomenclature, metier, level, score FROM ind_tension
                   EXCEPT
                   SELECT kind, code, nomenclature, metier, level, score
                   FROM read_parquet('{}/ind_tension/**/*.parquet', hive_partitioning = true))",
                out_dir.display()
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(diff, 0);
    drop(c);
    drop(db);
    // a destination that cannot be written: a clear error, and the previous export is whole
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let out = run(&blocker.join("sub"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("erreur : ") && err.contains("a-file"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out_dir.join("manifest.json").exists());
}

#[tokio::test]
async fn a_territory_page_downloads_its_headline_figures() {
    let app = TestApp::spawn().await;
    let r = app.get("/territoires/ze/2815.csv").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("observatoire_territoires_ze_2815_synthese_"));
    let text = r.text().await.unwrap();
    let c = app.db.db.connect().unwrap();
    let taux: f64 = c
        .query_row(
            "SELECT taux FROM ind_chomage WHERE kind = 'ze' AND code = '2815' ORDER BY trimestre DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let line = text
        .lines()
        .find(|l| l.contains(";Taux de chômage;"))
        .unwrap();
    let value: f64 = line
        .split(';')
        .nth(3)
        .unwrap()
        .replace(',', ".")
        .parse()
        .unwrap();
    assert!((value - taux).abs() < 0.01, "{line}");
    assert!(line.contains("Insee"), "{line}");
    let r = app.get("/territoires/dep/76.xlsx").await;
    assert_eq!(r.status(), 200);
    let mut wb: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
    assert!(wb.worksheet_range("Données").unwrap().rows().count() > 3);
    assert_eq!(app.get("/territoires/ze/9999.csv").await.status(), 404);
}
