//! `observatoire import`: CSV and spreadsheet files downloaded by hand; malformed ones refused
//! with file, line/cell and problem, and nothing written.
use std::path::Path;
use std::process::Command;

use observatoire::collect::import::{ImportReport, ImportSource};

use crate::helpers::{count, default_data, test_db, test_db_file};

/// The library import, then the rebuild that the command line and the scheduler run after it:
/// a successful import marks its data changed; a refused one changes nothing, not even that.
fn import(
    conn: &mut duckdb::Connection,
    source: ImportSource,
    file: &Path,
) -> anyhow::Result<ImportReport> {
    let pending = |c: &duckdb::Connection| {
        observatoire::store::changes::pending(c, observatoire::indicators::REBUILD).unwrap()
    };
    assert!(
        !pending(conn),
        "the test database starts with its indicators built"
    );
    match observatoire::collect::import::import(conn, source, file) {
        Ok(r) => {
            assert!(pending(conn), "a successful import marks its data changed");
            observatoire::indicators::rebuild_if_pending(conn)?;
            Ok(r)
        }
        Err(e) => {
            assert!(!pending(conn), "a refused import marks nothing changed");
            Err(e)
        }
    }
}

fn fingerprint(db: &observatoire::store::Db) -> (i64, i64, i64, String, String) {
    let c = db.connect().unwrap();
    let n = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    let v: String = c
        .query_row(
            "SELECT string_agg(source_id || vintage, ',' ORDER BY source_id) FROM sources",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (
        n("SELECT count(*) FROM raw_bmo"),
        n("SELECT coalesce(sum(projets), 0) FROM raw_bmo"),
        n("SELECT count(*) FROM raw_chomage_ze"),
        v,
        c.query_row(
            "SELECT sum(taux)::VARCHAR || '|' || (SELECT count(*) FROM ind_chomage) || '|' || (SELECT sum(effectifs_cvs) FROM raw_urssaf_ze) FROM raw_chomage_ze",
            [],
            |r| r.get(0),
        )
        .unwrap(),
    )
}

/// The first `n` rows of the real BMO file, relabelled as survey year `year`.
fn bmo_csv(n: usize, year: &str) -> String {
    let text = default_data("bmo_2024_bassin_metier.csv.gz");
    let mut lines = text.lines();
    let mut out = vec![lines.next().unwrap().to_string()];
    out.extend(
        lines
            .take(n)
            .map(|l| l.replacen("2024,", &format!("{year},"), 1)),
    );
    out.join("\n") + "\n"
}

#[test]
fn a_new_bmo_vintage_is_added_and_reimporting_it_replaces_it() {
    let t = test_db();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bmo2025.csv");
    std::fs::write(&f, bmo_csv(500, "2025")).unwrap();
    let r = import(&mut t.db.connect().unwrap(), ImportSource::Bmo, &f).unwrap();
    assert_eq!(r.rows, 500);
    assert_eq!(r.vintage, "2024 à 2025");
    assert_eq!(
        count(&t.db, "SELECT count(*) FROM raw_bmo WHERE annee = 2025"),
        500
    );
    assert_eq!(
        count(&t.db, "SELECT count(*) FROM raw_bmo WHERE annee = 2024"),
        53_443
    );
    import(&mut t.db.connect().unwrap(), ImportSource::Bmo, &f).unwrap();
    assert_eq!(
        count(&t.db, "SELECT count(*) FROM raw_bmo WHERE annee = 2025"),
        500,
        "a vintage is replaced, not duplicated"
    );
    // the indicators now show the newest survey year
    assert_eq!(count(&t.db, "SELECT max(annee) FROM ind_bmo_metier"), 2025);
}

/// The whole real unemployment series re-imported with revised values and, at its end, one row
/// that repeats a zone × quarter: every value is valid, so the import deletes the stored quarters
/// and inserts the new ones before the duplicate fails. The transaction must undo all of it.
#[test]
fn a_failure_after_rows_were_written_rolls_the_whole_import_back() {
    let t = test_db();
    let before = fingerprint(&t.db);
    let text = default_data(observatoire::collect::chomage::DEFAULT_FILE);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(
        lines[0].ends_with(",trimestre,taux_chomage"),
        "{}",
        lines[0]
    );
    for l in lines.iter_mut().skip(1) {
        // revised values: every rate + 1
        let (head, v) = l.rsplit_once(',').unwrap();
        if let Ok(v) = v.parse::<f64>() {
            *l = format!("{head},{}", v + 1.0);
        }
    }
    let dup = lines[1].clone();
    lines.push(dup);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("chomage.csv");
    std::fs::write(&f, lines.join("\n") + "\n").unwrap();
    let err = import(&mut t.db.connect().unwrap(), ImportSource::ChomageZe, &f).unwrap_err();
    assert!(format!("{err:#}").contains("chomage.csv"), "{err:#}");
    assert_eq!(fingerprint(&t.db), before);
}

/// An injected failure after a valid file was loaded (its rows replaced, before the indicators
/// and the commit): nothing of it is visible.
#[cfg(feature = "failpoints")]
#[test]
fn an_injected_failure_after_the_load_leaves_nothing() {
    let t = test_db();
    let before = fingerprint(&t.db);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("effectifs.csv");
    std::fs::write(
        &f,
        "Année;Trimestre;Code zone d'emploi;Zone d'emploi;Effectifs salariés brut;Effectifs salariés CVS;Masse salariale CVS\n\
         2025;4;2815;Rouen;1;1;1\n",
    )
    .unwrap();
    fail::cfg("import::after_load", "return(error@urssaf-emploi-ze)").unwrap();
    let err = import(&mut t.db.connect().unwrap(), ImportSource::UrssafZe, &f).unwrap_err();
    fail::remove("import::after_load");
    assert!(
        format!("{err:#}").contains("défaillance injectée"),
        "{err:#}"
    );
    assert_eq!(fingerprint(&t.db), before);
    // and the same file imports once the failure is gone
    import(&mut t.db.connect().unwrap(), ImportSource::UrssafZe, &f).unwrap();
    assert_ne!(fingerprint(&t.db), before);
}

#[test]
fn a_malformed_csv_row_is_named_and_nothing_is_written() {
    let t = test_db();
    let before = fingerprint(&t.db);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bmo-abime.csv");
    let mut lines: Vec<String> = bmo_csv(10, "2025").lines().map(str::to_string).collect();
    // line 4 of the file: `met` = "douze"
    let mut fields: Vec<String> = lines[3].split(',').map(str::to_string).collect();
    let n = fields.len();
    fields[n - 3] = "douze".into();
    lines[3] = fields.join(",");
    std::fs::write(&f, lines.join("\n")).unwrap();
    let err = format!(
        "{:#}",
        import(&mut t.db.connect().unwrap(), ImportSource::Bmo, &f).unwrap_err()
    );
    assert!(
        err.contains("bmo-abime.csv")
            && err.contains("ligne 4")
            && err.contains("« met »")
            && err.contains("douze"),
        "{err}"
    );
    // a CSV line is a file line, not a spreadsheet row
    assert!(!err.contains("de la feuille"), "{err}");
    assert_eq!(fingerprint(&t.db), before);
    // a missing column
    std::fs::write(&f, "annee,Code métier BMO\n2025,A0X40\n").unwrap();
    let err = format!(
        "{:#}",
        import(&mut t.db.connect().unwrap(), ImportSource::Bmo, &f).unwrap_err()
    );
    assert!(
        err.contains("colonne(s) manquante(s)") && err.contains("BE24"),
        "{err}"
    );
    // not a CSV at all
    std::fs::write(&f, [0u8, 159, 146, 150, 0, 1, 2]).unwrap();
    assert!(import(&mut t.db.connect().unwrap(), ImportSource::Bmo, &f).is_err());
    assert_eq!(fingerprint(&t.db), before);
}

fn write_xlsx(path: &Path, banner: &[&str], csv: &str) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("BMO_2025_open_data").unwrap();
    for (i, b) in banner.iter().enumerate() {
        ws.write_string(i as u32, 0, *b).unwrap();
    }
    for (r, line) in csv.lines().enumerate() {
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        for ch in line.chars() {
            match ch {
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        fields.push(cur);
        for (c, v) in fields.iter().enumerate() {
            let row = (r + banner.len()) as u32;
            match v.parse::<f64>() {
                Ok(x) if r > 0 && c >= 11 => ws.write_number(row, c as u16, x).unwrap(),
                _ => ws.write_string(row, c as u16, v).unwrap(),
            };
        }
    }
    wb.save(path).unwrap();
}

#[test]
fn bmo_xlsx_with_banner_rows_is_read_and_bad_cells_are_located() {
    let t = test_db();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("Base_open_data_BMO_2025.xlsx");
    write_xlsx(
        &f,
        &[
            "Enquête Besoins en Main-d'Œuvre 2025",
            "Source : France Travail",
        ],
        &bmo_csv(300, "2025"),
    );
    let r = import(&mut t.db.connect().unwrap(), ImportSource::Bmo, &f).unwrap();
    assert_eq!(r.rows, 300);
    assert_eq!(
        count(&t.db, "SELECT count(*) FROM raw_bmo WHERE annee = 2025"),
        300
    );
    // secrecy survives the spreadsheet path
    assert!(
        count(
            &t.db,
            "SELECT count(*) FROM raw_bmo WHERE annee = 2025 AND projets_secret"
        ) > 0
    );
    // a bad cell: row 7 of the sheet (2 banner rows, header on row 3, data row 4 of the CSV)
    let mut csv: Vec<String> = bmo_csv(20, "2026").lines().map(str::to_string).collect();
    let mut fields: Vec<String> = csv[4].split(',').map(str::to_string).collect();
    let n = fields.len();
    fields[n - 2] = "beaucoup".into();
    csv[4] = fields.join(",");
    let bad = dir.path().join("bmo-abime.xlsx");
    write_xlsx(&bad, &["bandeau", "bandeau"], &csv.join("\n"));
    let before = fingerprint(&t.db);
    let err = format!(
        "{:#}",
        import(&mut t.db.connect().unwrap(), ImportSource::Bmo, &bad).unwrap_err()
    );
    assert!(
        err.contains("bmo-abime.xlsx")
            && err.contains("ligne 7 de la feuille")
            && err.contains("xmet")
            && err.contains("(M)"),
        "{err}"
    );
    assert_eq!(fingerprint(&t.db), before);
}

#[test]
fn unemployment_in_insee_wide_layout_replaces_its_quarters() {
    let t = test_db();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("txcho_ze.csv");
    std::fs::write(&f, "ZE2020,LIBZE2020,REG,LIBREG,2023-T3,2023-T4,2024-T1\n2815,Rouen,28,NORMANDIE,8,8.1,\"8,3\"\n1109,Paris,11,ILE-DE-FRANCE,6.9,7,7.2\n").unwrap();
    let r = import(&mut t.db.connect().unwrap(), ImportSource::ChomageZe, &f).unwrap();
    assert_eq!(r.rows, 6);
    // the quarters of the file are replaced or added; the rest of the series stays
    assert_eq!(r.vintage, "2003-T1 à 2024-T1");
    let c = t.db.connect().unwrap();
    let v: f64 = c
        .query_row(
            "SELECT taux FROM ind_chomage WHERE code = '2815' AND trimestre = '2024-T1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(v, 8.3);
}

#[test]
fn urssaf_opendatasoft_export_with_semicolons_and_french_headers() {
    let t = test_db();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("effectifs.csv");
    std::fs::write(
        &f,
        "Année;Trimestre;Code zone d'emploi;Zone d'emploi;Effectifs salariés brut;Effectifs salariés CVS;Masse salariale CVS\n\
         2026;1;2815;Rouen;206000;205500;1500000000\n2026;1;1109;Paris;2000000;1999000;30000000000\n",
    )
    .unwrap();
    let r = import(&mut t.db.connect().unwrap(), ImportSource::UrssafZe, &f).unwrap();
    assert_eq!(r.rows, 2);
    assert_eq!(count(&t.db, "SELECT effectifs_cvs FROM ind_emploi_salarie WHERE code = '2815' AND trimestre = '2026-T1'"), 205_500);
}

#[test]
fn the_import_command_reports_clearly() {
    let (dir, db) = test_db_file();
    std::fs::write(dir.path().join("config.toml"), "").unwrap();
    let f = dir.path().join("bmo.csv");
    std::fs::write(&f, bmo_csv(50, "2025")).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_observatoire"))
            .args(["--db", db.to_str().unwrap()])
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let out = run(&["import", "bmo", "bmo.csv"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("50 lignes importées"));
    let out = run(&["import", "bmoo", "bmo.csv"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sources possibles"));
    let out = run(&["import", "bmo", "absent.csv"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("fichier introuvable"));
}

mod scheduled {
    use observatoire::schedule::runner::Status;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use crate::helpers::{count, test_db};

    const URSSAF: &str = "Année;Trimestre;Code zone d'emploi;Zone d'emploi;Effectifs salariés brut;Effectifs salariés CVS;Masse salariale CVS\n\
        2026;2;2815;Rouen;207000;206500;1500000000\n";

    async fn run_job(
        url: &str,
        db: &crate::helpers::TestDb,
    ) -> observatoire::schedule::runner::Outcome {
        crate::helpers::run_job_file(
            db,
            &format!("name = \"urssaf-ze\"\nkind = \"opendata\"\nschedule = \"0 0 4 10 * *\"\nretry_delay = \"0.05s\"\n[params]\nsource = \"urssaf-ze\"\nurl = \"{url}\"\n"),
        )
        .await
    }

    #[tokio::test]
    async fn an_open_data_job_downloads_and_imports() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/exports/csv"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_string(URSSAF)
                    .insert_header("content-type", "text/csv"),
            )
            .mount(&server)
            .await;
        let db = test_db();
        let out = run_job(&format!("{}/exports/csv?delimiter=%3B", server.uri()), &db).await;
        assert_eq!(out.status, Status::Success, "{:?}", out.error);
        crate::helpers::rebuild(&db.db);
        assert_eq!(count(&db.db, "SELECT effectifs_cvs FROM ind_emploi_salarie WHERE code = '2815' AND trimestre = '2026-T2'"), 206_500);
        assert_eq!(
            count(
                &db.db,
                "SELECT count(*) FROM job_runs WHERE job = 'urssaf-ze' AND status = 'success'"
            ),
            1
        );
    }

    #[tokio::test]
    async fn a_failed_download_or_a_bad_file_changes_nothing() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/down"))
            .respond_with(ResponseTemplate::new(404))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/bad"))
            .respond_with(ResponseTemplate::new(200).set_body_string(
                "Année;Trimestre;Code zone d'emploi;Effectifs salariés CVS\n2026;2;2815;beaucoup\n",
            ))
            .mount(&server)
            .await;
        let db = test_db();
        let before = count(&db.db, "SELECT count(*) FROM raw_urssaf_ze");
        let out = run_job(&format!("{}/down", server.uri()), &db).await;
        assert_eq!(out.status, Status::Failed);
        assert!(out.error.unwrap().contains("404"));
        let out = run_job(&format!("{}/bad", server.uri()), &db).await;
        assert_eq!(out.status, Status::Failed);
        assert!(
            out.error.as_deref().unwrap().contains("beaucoup"),
            "{:?}",
            out.error
        );
        assert_eq!(count(&db.db, "SELECT count(*) FROM raw_urssaf_ze"), before);
    }

    #[tokio::test]
    async fn a_download_past_the_size_cap_is_refused() {
        let server = MockServer::start().await;
        let big = format!("{URSSAF}{}", "2026;2;2815;Rouen;1;1;1\n".repeat(60_000));
        assert!(big.len() > 1_000_000);
        Mock::given(method("GET"))
            .and(path("/gros"))
            .respond_with(ResponseTemplate::new(200).set_body_string(big))
            .mount(&server)
            .await;
        let db = test_db();
        let before = count(&db.db, "SELECT count(*) FROM raw_urssaf_ze");
        let mut config = observatoire::config::Config::default();
        config.sources.max_download_mb = 1;
        let out = crate::helpers::run_job_file_with(
            &db,
            &format!("name = \"urssaf-ze\"\nkind = \"opendata\"\nschedule = \"0 0 4 10 * *\"\nretries = 0\n[params]\nsource = \"urssaf-ze\"\nurl = \"{}/gros\"\n", server.uri()),
            config,
        )
        .await;
        assert_eq!(out.status, Status::Failed);
        let err = out.error.unwrap();
        assert!(err.contains("plus de 1 Mo"), "{err}");
        assert_eq!(count(&db.db, "SELECT count(*) FROM raw_urssaf_ze"), before);
    }
}

/// What a partial file must not do: erase the periods and territories it does not hold.
mod partial {
    use super::*;

    fn series(db: &observatoire::store::Db, sql: &str) -> String {
        db.connect()
            .unwrap()
            .query_row(sql, [], |r| r.get::<_, String>(0))
            .unwrap()
    }

    const URSSAF: &str = "SELECT count(*) || '|' || min(annee) || '|' || max(annee) || '|' || sum(effectifs_cvs) FROM raw_urssaf_ze";

    #[test]
    fn a_one_quarter_urssaf_file_replaces_that_quarter_only() {
        let t = test_db();
        let before_rows = count(&t.db, "SELECT count(*) FROM raw_urssaf_ze");
        let (last_y, last_q): (i64, i64) = t
            .db
            .connect()
            .unwrap()
            .query_row(
                "SELECT arg_max(annee, annee * 10 + trimestre), arg_max(trimestre, annee * 10 + trimestre) FROM raw_urssaf_ze",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let rouen_before = count(&t.db, &format!("SELECT sum(effectifs_cvs) FROM raw_urssaf_ze WHERE ze2020 = '2815' AND annee = {last_y} AND trimestre = {last_q}"));
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("un_trimestre.csv");
        std::fs::write(
            &f,
            format!("Année;Trimestre;Code zone d'emploi;Zone d'emploi;Effectifs salariés brut;Effectifs salariés CVS;Masse salariale CVS\n\
                     {last_y};{last_q};2815;Rouen;206000;{};1500000000\n", rouen_before + 1000),
        )
        .unwrap();
        let r = import(&mut t.db.connect().unwrap(), ImportSource::UrssafZe, &f).unwrap();
        assert_eq!(r.rows, 1);
        assert!(r.vintage.starts_with("2012-T1 à "), "{}", r.vintage);
        // Rouen's regionalised parts of that quarter became one row; every other row stays.
        let rouen_rows_before = 1; // Rouen is not an inter-regional zone
        assert_eq!(
            count(&t.db, "SELECT count(*) FROM raw_urssaf_ze"),
            before_rows - rouen_rows_before + 1
        );
        assert_eq!(count(&t.db, "SELECT min(annee) FROM raw_urssaf_ze"), 2012);
        assert_eq!(
            count(&t.db, &format!("SELECT effectifs_cvs FROM raw_urssaf_ze WHERE ze2020 = '2815' AND annee = {last_y} AND trimestre = {last_q}")),
            rouen_before + 1000
        );
        assert_eq!(
            count(&t.db, "SELECT count(DISTINCT annee * 10 + trimestre) FROM raw_urssaf_ze WHERE ze2020 = '2815'"),
            count(&t.db, "SELECT count(DISTINCT annee * 10 + trimestre) FROM raw_urssaf_ze")
        );
    }

    #[test]
    fn a_one_quarter_unemployment_file_keeps_the_series() {
        let t = test_db();
        let before = count(&t.db, "SELECT count(*) FROM raw_chomage_ze");
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.csv");
        std::fs::write(&f, "ze2020,trimestre,taux_chomage\n2815,2023-T3,9.9\n").unwrap();
        import(&mut t.db.connect().unwrap(), ImportSource::ChomageZe, &f).unwrap();
        assert_eq!(count(&t.db, "SELECT count(*) FROM raw_chomage_ze"), before);
        let v: f64 = t
            .db
            .connect()
            .unwrap()
            .query_row(
                "SELECT taux FROM raw_chomage_ze WHERE ze2020 = '2815' AND trimestre = '2023-T3'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(v, 9.9);
    }

    /// One FAP of one year in a national series of 2011–2019: the year's other FAP would be
    /// deleted — refused unless --replace-all, through the binary as users meet it.
    #[test]
    fn an_import_that_would_delete_more_than_it_brings_needs_replace_all() {
        let (dir, db) = test_db_file();
        std::fs::write(dir.path().join("config.toml"), "").unwrap();
        let f = dir.path().join("urssaf.csv");
        std::fs::write(
            &f,
            "Année;Trimestre;Code zone d'emploi;Zone d'emploi;Effectifs salariés brut;Effectifs salariés CVS;Masse salariale CVS\n\
             2025;4;0051;Lille (partie);1;1;1\n",
        )
        .unwrap();
        let run = |args: &[&str]| {
            let out = Command::new(env!("CARGO_BIN_EXE_observatoire"))
                .args(["--db", db.to_str().unwrap()])
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).to_string()
                    + &String::from_utf8_lossy(&out.stderr),
            )
        };
        let state = || {
            let d = observatoire::store::Db::open(&db).unwrap();
            let s = series(&d, URSSAF);
            drop(d);
            s
        };
        let before = state();
        // an inter-regional zone has one row per regional part: one row for it deletes several
        let parts = {
            let d = observatoire::store::Db::open(&db).unwrap();
            count(&d, "SELECT count(*) FROM raw_urssaf_ze WHERE ze2020 = '0051' AND annee = 2025 AND trimestre = 4")
        };
        assert!(parts > 1, "zone 0051 should have several regional parts");
        let (ok, text) = run(&["import", "urssaf-ze", "urssaf.csv"]);
        assert!(!ok, "{text}");
        assert!(
            text.contains("--replace-all") && text.contains("rien n'a été importé"),
            "{text}"
        );
        assert_eq!(state(), before, "a refused import changed the data");
        // the DARES national series: one year of one FAP
        std::fs::write(
            dir.path().join("dares.csv"),
            "fap,Tension,Année\nA0Z40,1.5,2019\n",
        )
        .unwrap();
        let dares = || {
            let d = observatoire::store::Db::open(&db).unwrap();
            let n = count(&d, "SELECT count(*) FROM raw_dares_tension_evolution");
            drop(d);
            n
        };
        let before_dares = dares();
        assert!(before_dares > 100);
        // (the evolution series is loaded with the defaults; imports of `dares-tensions` take the
        // tensions file, so the national series is checked through its loader)
        let d = observatoire::store::Db::open(&db).unwrap();
        let mut c = d.connect().unwrap();
        let tx = c.transaction().unwrap();
        let err = observatoire::collect::dares::load_evolution(
            &tx,
            &dir.path().join("dares.csv"),
            observatoire::collect::Replace::Keys,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("--replace-all"), "{err:#}");
        drop(tx);
        drop(c);
        drop(d);
        assert_eq!(dares(), before_dares);
        // --replace-all replaces the whole series with the file, as asked
        let (ok, text) = run(&["import", "urssaf-ze", "urssaf.csv", "--replace-all"]);
        assert!(ok, "{text}");
        let d = observatoire::store::Db::open(&db).unwrap();
        assert_eq!(count(&d, "SELECT count(*) FROM raw_urssaf_ze"), 1);
    }
}
