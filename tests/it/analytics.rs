//! GPTEC analytics: offer indicators computed by hand, tension standardisation and suppression,
//! custom territories, filières, crosswalk coverage, the rebuild that follows a collection, and
//! the JSON API.
use std::sync::Arc;
use std::time::Duration;

use duckdb::Connection;
use observatoire::config::Config;
use observatoire::schedule::context::RunSummary;
use observatoire::schedule::runner::{BodyResult, Runner, Status, Trigger};
use observatoire::schedule::scheduler::Scheduler;

use crate::helpers::{count, shipped_config, test_db, TestApp};

fn one<T: duckdb::types::FromSql>(c: &Connection, sql: &str) -> T {
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// 21 offers in Rouen (76540), designed so that every figure can be computed by hand.
fn twenty_one_offers(c: &Connection) {
    c.execute_batch("DELETE FROM raw_ft_offre_competence; DELETE FROM raw_ft_offre;")
        .unwrap();
    for i in 0..20 {
        let (contract, months) = match i {
            0..8 => ("CDI", None),
            8..12 => ("CDD", Some(6.0)),
            12..15 => ("CDD", Some(3.0)),
            15..18 => ("MIS", Some(1.0)),
            _ => ("LIB", None),
        };
        let time = match i {
            0..15 => Some("Temps plein"),
            15..18 => Some("Temps partiel"),
            _ => None,
        };
        let salary = (i < 12).then_some(2000.0 + 100.0 * i as f64);
        let closed =
            (i >= 10).then(|| format!("TIMESTAMP '2025-11-25 10:00:00' + INTERVAL {} DAY", i - 3));
        let rome = if i < 5 { "F1703" } else { "M1805" };
        let naf = if i == 5 { "43.21A" } else { "64.20Z" };
        c.execute(
            &format!(
                "INSERT INTO raw_ft_offre (id, source_id, intitule, date_creation, commune, rome, type_contrat,
                     duree_contrat_mois, duree_travail, experience_exige, salaire_min_mensuel, salaire_max_mensuel,
                     nombre_postes, naf, first_seen, last_seen, closed_at)
                 VALUES (?, 'ft-offres', 'Offre', TIMESTAMP '2025-11-25 10:00:00', '76540', ?, ?, ?, ?, ?, ?, ?, 1, ?,
                     TIMESTAMP '2025-11-25 10:00:00', TIMESTAMP '2025-11-25 10:00:00', {})",
                closed.unwrap_or_else(|| "NULL".to_string())
            ),
            duckdb::params![
                format!("T{i:02}"),
                rome,
                contract,
                months,
                time,
                if i % 2 == 0 { "D" } else { "E" },
                salary,
                salary,
                naf
            ],
        )
        .unwrap();
    }
    c.execute_batch(
        "INSERT INTO raw_ft_offre (id, source_id, intitule, date_creation, commune, rome, type_contrat, nombre_postes,
             first_seen, last_seen, closed_at)
         VALUES ('T20', 'ft-offres', 'Offre', TIMESTAMP '2024-11-20 10:00:00', '76540', 'F1703', 'CDI', 1,
             TIMESTAMP '2024-11-20 10:00:00', TIMESTAMP '2024-11-20 10:00:00', TIMESTAMP '2024-12-05 10:00:00');",
    )
    .unwrap();
    observatoire::store::changes::mark_changed(c, "test").unwrap();
}

#[test]
fn offer_indicators_match_a_hand_computed_table() {
    let t = test_db();
    let c = t.db.connect().unwrap();
    twenty_one_offers(&c);
    assert!(observatoire::indicators::rebuild_if_pending(&c).unwrap());
    let row = |periode: &str, dimension: &str, key: &str| -> Vec<Option<f64>> {
        c.query_row(
            "SELECT offres, stock_fin_mois, duree_mediane_jours, n_fermees, part_durables, n_contrat,
                 part_temps_plein, n_duree_connue, salaire_q1, salaire_median, salaire_q3, n_salaires,
                 part_sans_experience, offres_an_precedent, evolution_an
             FROM ind_offres WHERE kind = 'dep' AND code = '76' AND dimension = ? AND key = ? AND periode = ?",
            [dimension, key, periode],
            |r| (0..15).map(|i| r.get::<_, Option<f64>>(i)).collect(),
        )
        .unwrap()
    };
    let n = |v: f64| Some(v);
    // November 2025: 20 created; 12 durable of 18 salaried contracts (CDI 8 + CDD of 6 months 4);
    // 15 full time of 18 stating it; salaries 2000..3100 step 100: quartiles at positions 2.75,
    // 5.5, 8.25 → 2275, 2550, 2825; 10 of 20 "débutant accepté"; 10 closed after 7..16 days →
    // median 11.5; November 2024 had 1 → +1900 %.
    let nov = row("2025-11", "total", "total");
    assert_eq!(nov[0], n(20.0));
    assert_eq!(nov[1], n(20.0), "stock at the end of November");
    assert_eq!(nov[2], n(11.5));
    assert_eq!(nov[3], n(10.0));
    assert!((nov[4].unwrap() - 12.0 / 18.0).abs() < 1e-12);
    assert_eq!(nov[5], n(18.0));
    assert!((nov[6].unwrap() - 15.0 / 18.0).abs() < 1e-12);
    assert_eq!(nov[7], n(18.0));
    assert_eq!(
        (nov[8], nov[9], nov[10], nov[11]),
        (n(2275.0), n(2550.0), n(2825.0), n(12.0))
    );
    assert_eq!(nov[12], n(0.5));
    assert_eq!((nov[13], nov[14]), (n(1.0), n(19.0)));
    // December 2025: no creation, 10 closures → 10 open at the month's end
    let dec = row("2025-12", "total", "total");
    assert_eq!((dec[0], dec[1]), (n(0.0), n(10.0)));
    assert_eq!(row("2024-12", "total", "total")[1], n(0.0));
    // open now: the 10 offers i < 10, all durable (8 CDI, 2 CDD of 6 months); salaries
    // 2000..2900 → 2225, 2450, 2675
    let now = row("actuel", "total", "total");
    assert_eq!(now[0], n(10.0));
    assert_eq!(now[4], n(1.0));
    assert_eq!((now[8], now[9], now[10]), (n(2225.0), n(2450.0), n(2675.0)));
    // small cells: the 5 open offers of F1703 publish their count, not their shares
    let small = row("actuel", "rome", "F1703");
    assert_eq!(small[0], n(5.0));
    assert_eq!(
        (small[4], small[8]),
        (None, None),
        "shares and quartiles under 10 offers are withheld"
    );
    // filières: by métier (F…) or by employer sector (43.21A) — 6 in November; numérique (M18…) 15
    assert_eq!(row("2025-11", "filiere", "batiment-renovation")[0], n(6.0));
    assert_eq!(row("2025-11", "filiere", "numerique")[0], n(15.0));
    // the same offers reach the zone, the région and France identically
    let zone: i64 = one(&c, "SELECT offres FROM ind_offres WHERE kind = 'ze' AND code = '2815' AND dimension = 'total' AND periode = '2025-11'");
    let france: i64 = one(&c, "SELECT offres FROM ind_offres WHERE kind = 'fr' AND code = 'FR' AND dimension = 'total' AND periode = '2025-11'");
    assert_eq!((zone, france), (20, 20));
}

/// Five national métiers with 10 … 50 % of difficult projects: mean 30, population sd √200.
fn toy_bmo(c: &Connection) {
    c.execute_batch(
        "DELETE FROM ind_bmo_metier; DELETE FROM ind_offres;
         INSERT INTO ind_bmo_metier VALUES
           ('fr', 'FR', 2024, 'ZZX01', 'Un', NULL, 100, 10, 100, 0, 1, 0, NULL, 'ft-bmo'),
           ('fr', 'FR', 2024, 'ZZX02', 'Deux', NULL, 100, 20, 100, 0, 1, 0, NULL, 'ft-bmo'),
           ('fr', 'FR', 2024, 'ZZX03', 'Trois', NULL, 100, 30, 100, 50, 1, 0, NULL, 'ft-bmo'),
           ('fr', 'FR', 2024, 'ZZX04', 'Quatre', NULL, 100, 40, 100, 0, 1, 0, NULL, 'ft-bmo'),
           ('fr', 'FR', 2024, 'ZZX05', 'Cinq', NULL, 100, 50, 100, 0, 1, 0, NULL, 'ft-bmo'),
           ('ze', '2815', 2024, 'ZZX05', 'Cinq', NULL, 40, 18, 40, 0, 1, 0, NULL, 'ft-bmo'),
           ('ze', '2815', 2024, 'ZZX03', 'Trois', NULL, 100, 30, 100, 10, 1, 0, NULL, 'ft-bmo'),
           ('ze', '2815', 2024, 'ZZX01', 'Un', NULL, 29, 10, 29, 0, 1, 0, NULL, 'ft-bmo'),
           ('ze', '2815', 2024, 'ZZX02', 'Deux', NULL, NULL, NULL, NULL, NULL, 2, 2, 'secret', 'ft-bmo');",
    )
    .unwrap();
}

#[test]
fn tension_is_standardised_against_the_national_reference_and_suppressed_by_rule() {
    let t = test_db();
    let c = t.db.connect().unwrap();
    toy_bmo(&c);
    observatoire::indicators::tension::refresh(&c).unwrap();
    let (m, s): (f64, f64) = c
        .query_row(
            "SELECT mean, sd FROM ind_tension_reference WHERE indicator = 'fap2021' AND component = 'difficultes_recrutement'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(m, 30.0);
    assert!((s - 200f64.sqrt()).abs() < 1e-6, "{s}");
    type Row = (
        Option<String>,
        Option<f64>,
        Option<i32>,
        Option<f64>,
        Option<String>,
    );
    let get = |metier: &str| -> Row {
        c.query_row(
            "SELECT indicator, score, level, diff_z, suppressed_reason FROM ind_tension
             WHERE kind = 'ze' AND code = '2815' AND nomenclature = 'fap2021' AND metier = ?",
            [metier],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap()
    };
    // 45 %: z = 15 / √200 = 1.061 > the top quintile of national scores (0.849) → level 5
    let five = get("ZZX05");
    assert_eq!(
        five.0.as_deref(),
        Some("tension-partielle-difficultes"),
        "never the DARES name"
    );
    assert_eq!(
        (five.1, five.2, five.3),
        (Some(1.061), Some(5), Some(1.061))
    );
    // 30 %: z = 0, between the 40 % and 60 % quantiles (−0.283, 0.283) → level 3
    assert_eq!(get("ZZX03").2, Some(3));
    // 29 projects: under the 30 rule — no level, and why
    let small = get("ZZX01");
    assert_eq!((small.0, small.2), (None, None));
    assert!(
        small.4.unwrap().contains("moins de 30"),
        "the reason is stored"
    );
    // BMO secret propagates
    let secret = get("ZZX02");
    assert_eq!(secret.2, None);
    assert!(secret.4.unwrap().contains("secret statistique"));
    // national levels follow the quintiles: one métier per level
    let levels: Vec<i32> = c
        .prepare("SELECT level FROM ind_tension WHERE kind = 'fr' AND nomenclature = 'fap2021' ORDER BY metier")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(levels, [1, 2, 3, 4, 5]);
    // the seasonal share is a complementary indicator: shown, not in the score
    let seasonal: f64 = one(
        &c,
        "SELECT saison_value FROM ind_tension WHERE kind = 'fr' AND metier = 'ZZX03'",
    );
    assert_eq!(seasonal, 50.0);
}

pub(crate) fn custom_config(extra: &str) -> Config {
    let communes: String = {
        let t = test_db();
        let c = t.db.connect().unwrap();
        one::<String>(&c, "SELECT string_agg('\"' || code || '\"', ', ' ORDER BY code) FROM ref_commune WHERE ze2020 = '2815'")
    };
    Config::parse(&format!(
        "[[territories]]\nid = \"copie-rouen\"\nname = \"Copie de la zone de Rouen\"\nzones_emploi = [\"2815\"]\n\
         [[territories]]\nid = \"communes-rouen\"\nname = \"Communes de la zone de Rouen\"\ncommunes = [{communes}]\n\
         [observatory]\nfollowed = [\"custom:copie-rouen\"]\n{extra}"
    ))
    .unwrap()
}

fn cells(c: &Connection, table: &str, kind: &str, code: &str, skip: &str) -> Vec<String> {
    c.prepare(&format!(
        "SELECT (COLUMNS(c -> c NOT IN ('kind', 'code'{skip}))::VARCHAR) FROM {table} WHERE kind = ? AND code = ? ORDER BY ALL"
    ))
    .unwrap()
    .query_map([kind, code], |r| {
        let n = r.as_ref().column_count();
        Ok((0..n).map(|i| r.get::<_, Option<String>>(i).unwrap().unwrap_or_default()).collect::<Vec<_>>().join("|"))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[test]
fn a_custom_territory_equals_the_zone_it_copies_and_the_sum_of_its_communes() {
    let t = test_db();
    let mut c = t.db.connect().unwrap();
    let report = observatoire::init::run(&mut c, &custom_config("")).unwrap();
    assert!(
        report.indicators_rebuilt,
        "a new territory rebuilds the indicators"
    );
    let zone = cells(&c, "ind_offres", "ze", "2815", "");
    assert!(!zone.is_empty());
    for id in ["copie-rouen", "communes-rouen"] {
        assert_eq!(
            cells(&c, "ind_offres", "custom", id, ""),
            zone,
            "{id}: offers"
        );
        assert_eq!(
            cells(&c, "ind_bmo_metier", "custom", id, ""),
            cells(&c, "ind_bmo_metier", "ze", "2815", ""),
            "{id}: BMO"
        );
        assert_eq!(
            cells(&c, "ind_tension", "custom", id, ""),
            cells(&c, "ind_tension", "ze", "2815", ""),
            "{id}: tension"
        );
    }
    let n: i64 = one(
        &c,
        "SELECT nb_communes FROM territory WHERE kind = 'custom' AND code = 'communes-rouen'",
    );
    assert_eq!(
        n,
        one::<i64>(
            &c,
            "SELECT nb_communes FROM territory WHERE kind = 'ze' AND code = '2815'"
        )
    );
    // an unknown commune: one error naming it, and nothing changed
    let before = crate::helpers::table_fingerprint(&t.db, "territory");
    let mut bad = custom_config("");
    bad.territories[1].communes.push("99999".into());
    let err = format!("{:#}", observatoire::init::run(&mut c, &bad).unwrap_err());
    assert!(
        err.contains("99999") && err.contains("communes-rouen"),
        "{err}"
    );
    assert_eq!(
        crate::helpers::table_fingerprint(&t.db, "territory"),
        before
    );
    // the configuration unchanged: nothing to rebuild on the next start
    assert!(
        !observatoire::init::run(&mut c, &custom_config(""))
            .unwrap()
            .indicators_rebuilt
    );
}

#[test]
fn filieres_cover_their_metiers_and_sectors_and_the_rome_transitions() {
    let t = test_db();
    let c = t.db.connect().unwrap();
    let members = |f: &str, sql: &str| -> i64 { one(&c, &sql.replace("{f}", f)) };
    let rome = "SELECT count(*) FROM ref_filiere_rome WHERE filiere = '{f}'";
    assert!(members("batiment-renovation", rome) > 50);
    assert_eq!(
        members(
            "batiment-renovation",
            "SELECT count(*) FROM ref_filiere_rome WHERE filiere = '{f}' AND rome = 'F1703'"
        ),
        1
    );
    assert_eq!(
        members("numerique", "SELECT count(*) FROM ref_filiere_rome WHERE filiere = '{f}' AND NOT starts_with(rome, 'M18')"),
        0
    );
    // NAF at any level: division 43 → its sub-classes; section C → manufacturing sub-classes
    assert_eq!(
        members(
            "batiment-renovation",
            "SELECT count(*) FROM ref_filiere_naf WHERE filiere = '{f}' AND naf = '43.21A'"
        ),
        1
    );
    assert_eq!(
        members(
            "industrie",
            "SELECT count(*) FROM ref_filiere_naf WHERE filiere = '{f}'"
        ),
        one::<i64>(
            &c,
            "SELECT count(*) FROM ref_naf WHERE section IN ('B', 'C')"
        )
    );
    for id in [
        "transition-ecologique",
        "transition-numerique",
        "transition-demographique",
    ] {
        assert!(members(id, rome) > 10, "{id}");
    }
    // the offers of a filière are those of its métiers or sectors, counted once
    let by_hand: i64 = one(
        &c,
        "SELECT count(DISTINCT o.id) FROM raw_ft_offre o JOIN ref_commune m ON m.code = o.commune
         LEFT JOIN ind_offre_cluster k ON k.offre_id = o.id
         WHERE o.closed_at IS NULL AND (k.cluster_id IS NULL OR k.cluster_id = o.id)
           AND (starts_with(o.rome, 'F') OR o.rome IN ('I1306', 'I1308', 'I1316')
                OR substr(o.naf, 1, 2) IN ('41', '42', '43'))",
    );
    let stored: i64 = one(&c, "SELECT offres FROM ind_offres WHERE kind = 'fr' AND dimension = 'filiere' AND key = 'batiment-renovation' AND periode = 'actuel'");
    assert_eq!(stored, by_hand);
}

#[test]
fn crosswalks_reach_most_projects_and_offers_and_list_what_they_miss() {
    let t = test_db();
    let c = t.db.connect().unwrap();
    let cov = observatoire::referentials::crosswalks::coverage(&c).unwrap();
    let bmo = cov.bmo_projets_fap2009 as f64 / cov.bmo_projets as f64;
    let off09 = cov.offres_fap2009 as f64 / cov.offres as f64;
    let off21 = cov.offres_fap2021 as f64 / cov.offres as f64;
    println!("coverage: BMO projects → FAP 2009 {bmo:.4}; offers → FAP 2009 {off09:.4}, → FAP 2021 {off21:.4}; unmapped BMO {:?}", cov.bmo_unmapped);
    assert!(bmo > 0.9, "{bmo}");
    assert!(off09 > 0.95 && off21 > 0.9, "{off09} {off21}");
    // no silent drops: every BMO métier is in the correspondence, the unmapped ones say why
    let absent: i64 = one(&c, "SELECT count(DISTINCT metier) FROM raw_bmo WHERE metier NOT IN (SELECT fap2021 FROM ref_fap2021_fap2009)");
    assert_eq!(absent, 0);
    let listed: i64 = one(&c, "SELECT count(*) FROM ref_fap2021_fap2009 WHERE fap2009 IS NULL AND (note IS NULL OR methode <> 'aucune')");
    assert_eq!(listed, 0, "an unmapped code has its reason");
    assert_eq!(
        cov.bmo_unmapped.len() as i64,
        one::<i64>(&c, "SELECT count(DISTINCT b.metier) FROM raw_bmo b JOIN ref_fap2021_fap2009 x ON x.fap2021 = b.metier WHERE x.fap2009 IS NULL")
    );
}

#[test]
fn derived_tables_have_unique_keys() {
    let t = test_db();
    let c = t.db.connect().unwrap();
    for (table, key) in [
        ("ind_offres", "kind, code, dimension, key, periode"),
        ("ind_tension", "kind, code, nomenclature, metier"),
        ("ind_bmo_metier", "kind, code, annee, metier"),
        ("ind_bmo_bassin", "kind, code, annee, bassin"),
        ("ind_offres_metier", "kind, code, rome"),
        ("ind_chomage", "kind, code, trimestre"),
        ("ind_emploi_salarie", "kind, code, trimestre"),
    ] {
        let dup: i64 = one(
            &c,
            &format!(
                "SELECT count(*) FROM (SELECT {key} FROM {table} GROUP BY ALL HAVING count(*) > 1)"
            ),
        );
        assert_eq!(dup, 0, "{table}");
    }
}

/// A collection never rebuilds the derived tables; it marks its data changed, and the scheduler
/// rebuilds (trigger `change`) right after it.
#[tokio::test]
async fn the_scheduler_rebuilds_after_a_collection_marks_a_change() {
    let db = test_db();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("collecte.toml"),
        "name = \"collecte\"\nkind = \"opendata\"\nschedule = \"0 0 3 1 1 *\"\nparams = { source = \"urssaf-ze\", url = \"http://127.0.0.1:9/x\" }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("indicators.toml"),
        "name = \"indicators\"\nkind = \"indicators\"\nschedule = \"0 0 3 1 1 *\"\n",
    )
    .unwrap();
    let (jobs, errors) = observatoire::schedule::jobs::load_dir(dir.path());
    assert!(errors.is_empty(), "{errors:?}");
    let body: observatoire::schedule::runner::BodyFn = Arc::new(|job, ctx| {
        Box::pin(async move {
            if job.name == "collecte" {
                ctx.db
                    .call(|c| {
                        c.execute(
                            "UPDATE raw_chomage_ze SET taux = taux + 1 WHERE ze2020 = '2815'",
                            [],
                        )?;
                        observatoire::store::changes::mark_changed(c, "insee-chomage-ze")
                    })
                    .await?;
                Ok(BodyResult::Done(RunSummary::default()))
            } else {
                observatoire::schedule::runner::body(&job, &ctx).await
            }
        })
    });
    let runner = Runner::with_body(db.db.clone(), Arc::new(shipped_config()), body);
    let clock = observatoire::schedule::clock::ManualClock::new(
        chrono::DateTime::parse_from_rfc3339("2026-06-01T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    let before = count(
        &db.db,
        "SELECT round(sum(taux) * 10)::BIGINT FROM ind_chomage WHERE code = '2815'",
    );
    let handles = Scheduler::new(runner.clone(), Arc::new(jobs.clone()), clock).spawn(false);
    let collect = jobs.iter().find(|j| j.name == "collecte").unwrap();
    let finished = runner.finished.clone();
    let wait = finished.notified();
    let out = runner.run(collect, Trigger::Manual, None).await.unwrap();
    assert_eq!(out.status, Status::Success);
    let rebuilt = async {
        let mut wait = Box::pin(wait);
        loop {
            wait.as_mut().await;
            wait = Box::pin(finished.notified());
            if count(&db.db, "SELECT count(*) FROM job_runs WHERE job = 'indicators' AND trigger = 'change' AND status = 'success'") == 1 {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(120), rebuilt)
        .await
        .expect("a rebuild followed the collection");
    let after = count(
        &db.db,
        "SELECT round(sum(taux) * 10)::BIGINT FROM ind_chomage WHERE code = '2815'",
    );
    let quarters = count(
        &db.db,
        "SELECT count(*) FROM ind_chomage WHERE code = '2815'",
    );
    assert_eq!(
        after - before,
        quarters * 10,
        "the rebuilt table shows the collected data"
    );
    runner.shutdown.cancel();
    for h in handles {
        let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
    }
}

#[tokio::test]
async fn the_tension_and_offers_api_answer_for_every_kind_with_problems_on_bad_input() {
    let app = TestApp::spawn().await;
    observatoire::init::run(&mut app.db.db.connect().unwrap(), &custom_config("")).unwrap();
    for (kind, code) in [
        ("ze", "2815"),
        ("custom", "copie-rouen"),
        ("dep", "76"),
        ("fr", "FR"),
        ("bassin", "2801"),
    ] {
        let r = app
            .get(&format!(
                "/api/v1/territoires/{kind}/{code}/tension?per_page=500"
            ))
            .await;
        assert_eq!(r.status(), 200, "{kind}:{code}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["territory"]["kind"], kind);
        let items = v["items"].as_array().unwrap();
        assert!(!items.is_empty(), "{kind}:{code}");
        for it in items {
            for key in [
                "metier",
                "nomenclature",
                "label",
                "level",
                "score",
                "components",
                "indicator",
                "dares_2019_category",
                "suppressed_reason",
                "sources",
            ] {
                assert!(it.get(key).is_some(), "{key} in {it}");
            }
            let comps = it["components"].as_object().unwrap();
            for c in comps.values() {
                for key in ["value", "standardised", "source"] {
                    assert!(c.get(key).is_some(), "{key} in {c}");
                }
            }
            // a row has a level exactly when it has no suppression reason
            assert_eq!(
                it["level"].is_null(),
                !it["suppressed_reason"].is_null(),
                "{it}"
            );
            assert_ne!(
                it["indicator"], "dares",
                "jobseekers are absent from the embedded data"
            );
        }
    }
    // the métiers of a zone are ranked: level 5 before level 1
    let v: serde_json::Value = app
        .get("/api/v1/territoires/ze/2815/tension")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["items"][0]["level"], 5);
    let v: serde_json::Value = app.get("/api/v1/territoires/ze/2815/tension?nomenclature=fap2009&niveau_min=4&per_page=5&page=1").await.json().await.unwrap();
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["level"].as_i64().unwrap() >= 4));
    assert!(v["items"].as_array().unwrap().len() <= 5);
    let v: serde_json::Value = app
        .get("/api/v1/territoires/fr/FR/offres?by=naf_a21")
        .await
        .json()
        .await
        .unwrap();
    let sum: i64 = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["offers"].as_i64().unwrap())
        .sum();
    let total = count(&app.db.db, "SELECT offres FROM ind_offres WHERE kind = 'fr' AND dimension = 'total' AND periode = 'actuel'");
    assert_eq!(sum, total, "a breakdown sums to the total");
    app.assert_problems(&[
        ("/api/v1/territoires/ze/2815/tension?nomenclature=naf", 400),
        ("/api/v1/territoires/ze/2815/tension?per_page=100000", 400),
        ("/api/v1/territoires/ze/2815/tension?niveau_min=9", 400),
        ("/api/v1/territoires/ze/2815/tension?page=abc", 400),
        ("/api/v1/territoires/ze/0000/tension", 404),
        ("/api/v1/territoires/zz/2815/tension", 404),
        ("/api/v1/territoires/ze/2815/offres?by=x", 400),
        ("/api/v1/territoires/ze/2815/offres?periode=2025-13", 400),
        ("/api/v1/filieres/absente", 404),
        ("/api/v1/filieres/numerique?territory=ze", 400),
    ])
    .await;
    let v: serde_json::Value = app.get("/api/v1/filieres").await.json().await.unwrap();
    assert!(v["items"].as_array().unwrap().len() >= 9);
    let v: serde_json::Value = app
        .get("/api/v1/filieres/batiment-renovation?territory=custom:copie-rouen")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["territory"]["code"], "copie-rouen");
    assert!(v["metiers"].as_array().is_some());
    assert!(
        v["tension"]["projets"].as_i64().unwrap() > 0,
        "{}",
        v["tension"]
    );
    // a filière's projects: the BMO families at least one of its métiers belongs to, by hand
    let by_hand = count(
        &app.db.db,
        "SELECT sum(projets) FROM ind_bmo_metier WHERE kind = 'ze' AND code = '2815'
           AND annee = (SELECT max(annee) FROM ind_bmo_metier)
           AND metier IN (SELECT DISTINCT x.fap2021 FROM ref_filiere_rome r JOIN ref_rome_fap x
                          ON x.rome = r.rome AND x.qualification = '0' WHERE r.filiere = 'batiment-renovation')",
    );
    let v: serde_json::Value = app
        .get("/api/v1/territoires/ze/2815/tension?nomenclature=filiere&per_page=50")
        .await
        .json()
        .await
        .unwrap();
    let bat = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["metier"] == "batiment-renovation")
        .unwrap();
    assert_eq!(bat["projets"].as_i64().unwrap(), by_hand);
    assert_eq!(
        v["items"].as_array().unwrap().len(),
        9,
        "every filière ranked"
    );
}
