//! Skills forecast (`fc_competences`): each métier's offer forecast × its observed skill shares,
//! with intervals propagated by simulation; the API and the page show it, or say why not.
use crate::helpers::{count, TestApp};

fn f(db: &observatoire::store::Db, sql: &str) -> f64 {
    db.connect()
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

/// 36 months of offers for three métiers of the Rouen zone, and the skills asked in their open
/// offers (the third métier has only 10 offers: no profile).
const SETUP: &str = "
INSERT INTO ind_offres (kind, code, dimension, key, label, periode, offres, sources)
SELECT 'ze', '2815', 'rome', m.rome, m.label, strftime(DATE '2023-01-01' + to_months(i), '%Y-%m'),
    CAST(round(m.level + m.slope * i + m.season * sin(2 * pi() * i / 12) + ((i * 7919) % 13) - 6) AS BIGINT),
    'ft-offres'
FROM range(36) r(i),
     (VALUES ('ZZR01', 'Métier un', 100.0, 0.0, 20.0), ('ZZR02', 'Métier deux', 60.0, 0.5, 0.0),
             ('ZZR03', 'Métier trois', 40.0, 0.0, 5.0)) m(rome, label, level, slope, season);
INSERT INTO ind_competences (kind, code, dimension, key, competence, libelle, type_competence, nature,
    offres, base, part, sources) VALUES
    ('ze', '2815', 'rome', 'ZZR01', 'ZZC1', 'Compétence un', 'Savoir-faire', 'observee', 40, 40, 1.0, 'ft-offres'),
    ('ze', '2815', 'rome', 'ZZR01', 'ZZC2', 'Compétence deux', 'Savoir-faire', 'observee', 20, 40, 0.5, 'ft-offres'),
    ('ze', '2815', 'rome', 'ZZR02', 'ZZC2', 'Compétence deux', 'Savoir-faire', 'observee', 30, 60, 0.5, 'ft-offres'),
    ('ze', '2815', 'rome', 'ZZR02', 'ZZC3', 'Compétence trois', 'Savoir', 'observee', 10, 60, 0.1667, 'ft-offres'),
    ('ze', '2815', 'rome', 'ZZR03', 'ZZC4', 'Compétence quatre', 'Savoir', 'observee', 10, 10, NULL, 'ft-offres');";

#[tokio::test]
async fn skills_are_forecast_from_the_metiers_forecasts_and_shares_with_intervals() {
    let app = TestApp::spawn().await;
    let db = &app.db.db;
    // On the embedded data (days of offers, not 24 months) there is no skills forecast, and the
    // API says why.
    {
        let mut c = db.connect().unwrap();
        observatoire::forecast::store::rebuild_if_pending(&mut c).unwrap();
    }
    assert_eq!(count(db, "SELECT count(*) FROM fc_competences"), 0);
    let body = app.json("/api/v1/territoires/ze/2815/previsions").await;
    assert_eq!(body["competences"].as_array().unwrap().len(), 0);
    assert!(body["competences_note"]
        .as_str()
        .unwrap()
        .contains("24 mois"));

    let rebuild = || {
        let mut c = db.connect().unwrap();
        let tx = c.transaction().unwrap();
        observatoire::forecast::store::rebuild(&tx).unwrap();
        tx.commit().unwrap();
    };
    db.connect().unwrap().execute_batch(SETUP).unwrap();
    rebuild();
    // the three métiers are forecast 12 months ahead
    let d = |rome: &str| {
        f(
            db,
            &format!(
                "SELECT sum(greatest(mean, 0)) FROM fc_points WHERE family = 'offres' AND kind = 'ze'
                 AND code = '2815' AND dimension = 'rome:{rome}'"
            ),
        )
    };
    let (d1, d2, d3) = (d("ZZR01"), d("ZZR02"), d("ZZR03"));
    assert!(d1 > 1000.0 && d2 > 600.0 && d3 > 400.0, "{d1} {d2} {d3}");
    let skill = |c: &str, col: &str| {
        f(
            db,
            &format!("SELECT {col} FROM fc_competences WHERE kind = 'ze' AND code = '2815' AND competence = '{c}'"),
        )
    };
    // point forecasts: Σ métier forecast × share
    assert!((skill("ZZC1", "mean") - d1).abs() < 1e-6);
    assert!((skill("ZZC2", "mean") - (0.5 * d1 + 0.5 * d2)).abs() < 1e-6);
    assert!((skill("ZZC3", "mean") - d2 * 10.0 / 60.0).abs() < 1e-6);
    assert_eq!(skill("ZZC2", "metiers"), 2.0);
    // a métier without a profile of 30 offers gives no skill, but counts in the coverage
    assert_eq!(
        count(
            db,
            "SELECT count(*) FROM fc_competences WHERE competence = 'ZZC4'"
        ),
        0
    );
    assert!((skill("ZZC1", "part_couverte") - (d1 + d2) / (d1 + d2 + d3)).abs() < 1e-9);
    // intervals nested around the point, never below zero
    assert_eq!(
        count(
            db,
            "SELECT count(*) FROM fc_competences WHERE NOT (0 <= lo95 AND lo95 <= lo80 AND lo80 <= mean
             AND mean <= hi80 AND hi80 <= hi95)"
        ),
        0
    );
    // a skill asked by every offer of one métier: its 95 % interval is about the summed monthly
    // bounds of that métier (its months err together), not narrower
    let (lo, hi) = (
        f(db, "SELECT sum(lo95) FROM fc_points WHERE family = 'offres' AND code = '2815' AND dimension = 'rome:ZZR01'"),
        f(db, "SELECT sum(hi95) FROM fc_points WHERE family = 'offres' AND code = '2815' AND dimension = 'rome:ZZR01'"),
    );
    let (slo, shi) = (skill("ZZC1", "lo95"), skill("ZZC1", "hi95"));
    assert!(
        slo <= lo * 1.02 && shi >= hi * 0.93 && shi <= hi * 1.05,
        "{slo}..{shi} vs {lo}..{hi}"
    );
    // a share drawn from 60 offers, on one métier, is wider relative to its point than ZZC1
    let rel = |c: &str| (skill(c, "hi80") - skill(c, "lo80")) / skill(c, "mean");
    assert!(rel("ZZC3") > rel("ZZC1"), "{} {}", rel("ZZC3"), rel("ZZC1"));
    // the same inputs give the same table
    let snapshot = || -> Vec<(String, f64, f64, f64)> {
        db.connect()
            .unwrap()
            .prepare("SELECT competence, mean, lo95, hi95 FROM fc_competences ORDER BY competence")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let first = snapshot();
    rebuild();
    assert_eq!(snapshot(), first);

    // the API and the page show it with its sources and method
    let body = app.json("/api/v1/territoires/ze/2815/previsions").await;
    let items = body["competences"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    // largest first: ZZC1 (every offer of métier one) before ZZC2 (half of métiers one and two)
    assert_eq!(items[0]["competence"], "ZZC1", "largest first");
    assert_eq!(items[1]["competence"], "ZZC2");
    assert_eq!(items[1]["metiers"], 2);
    assert_eq!(items[0]["horizon"], 12);
    assert_eq!(items[0]["method"], "/methodologie#previsions-competences");
    assert!(body["competences_note"].is_null());
    let html = app.text("/territoires/ze/2815/competences").await;
    assert!(
        html.contains("Offres prévues demandant la compétence"),
        "{html}"
    );
    assert!(html.contains("Compétence deux"));
    assert!(!html.contains("Non publiée"));
}
