//! Skills demand: observed shares, emerging skills between two periods, structural skills,
//! transferable skills of métiers in tension, mobility — and their API.
use duckdb::Connection;

use crate::helpers::{count, test_db, TestApp};

/// 80 offers in Rouen: 40 created in September–November 2025 (open), 40 in June–August 2025
/// (closed). Skill 100023 is asked by 12 recent and 4 earlier offers, 100063 by 4 recent ones.
fn eighty_offers(c: &Connection) {
    c.execute_batch("DELETE FROM raw_ft_offre_competence; DELETE FROM raw_ft_offre;")
        .unwrap();
    for i in 0..80 {
        let recent = i < 40;
        let month = if recent { 9 + i % 3 } else { 6 + i % 3 };
        c.execute(
            &format!(
                "INSERT INTO raw_ft_offre (id, source_id, intitule, date_creation, commune, rome, type_contrat, nombre_postes,
                     first_seen, last_seen, closed_at)
                 VALUES (?, 'ft-offres', 'Offre', TIMESTAMP '2025-{month:02}-10 10:00:00', '76540', 'A1203', 'CDI', 1,
                     TIMESTAMP '2025-{month:02}-10 10:00:00', now()::TIMESTAMP, {closed})",
                closed = if recent { "NULL" } else { "TIMESTAMP '2025-09-01 00:00:00'" }
            ),
            [format!("S{i:02}")],
        )
        .unwrap();
        let mut skills = Vec::new();
        if (recent && i < 12) || (!recent && i < 44) {
            skills.push("100023");
        }
        if recent && (12..16).contains(&i) {
            skills.push("100063");
        }
        for s in skills {
            c.execute(
                "INSERT INTO raw_ft_offre_competence VALUES (?, ?, 'compétence', 'E')",
                [format!("S{i:02}"), s.to_string()],
            )
            .unwrap();
        }
    }
    observatoire::store::changes::mark_changed(c, "test").unwrap();
}

/// (offers, base, share, previous share, change in points)
type Share = (
    Option<i64>,
    Option<i64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

fn share(c: &Connection, nature: &str, skill: &str) -> Share {
    c.query_row(
        "SELECT offres, base, part, part_precedente, poids FROM ind_competences
         WHERE kind = 'dep' AND code = '76' AND dimension = 'total' AND nature = ? AND competence = ?",
        [nature, skill],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )
    .unwrap_or((None, None, None, None, None))
}

#[test]
fn observed_and_emerging_skills_match_a_hand_count() {
    let t = test_db();
    let c = t.db.connect().unwrap();
    eighty_offers(&c);
    assert!(observatoire::indicators::rebuild_if_pending(&c).unwrap());
    // observed, over the 40 open offers: 12 / 40 and 4 / 40
    assert_eq!(
        share(&c, "observee", "100023"),
        (Some(12), Some(40), Some(0.3), None, None)
    );
    assert_eq!(share(&c, "observee", "100063").2, Some(0.1));
    // emerging: 12 / 40 now against 4 / 40 in the three months before → +20 points
    let (n, base, now, before, points) = share(&c, "emergente", "100023");
    assert_eq!(
        (n, base, now, before, points),
        (Some(12), Some(40), Some(0.3), Some(0.1), Some(20.0))
    );
    // 100063: only 4 recent offers (< 5): not called emerging
    assert_eq!(share(&c, "emergente", "100063").0, None);
    // under 30 offers in a cell, the share is withheld but the count is kept
    let (n, base, part): (i64, i64, Option<f64>) = c
        .query_row(
            "SELECT offres, base, part FROM ind_competences WHERE kind = 'dep' AND code = '76' AND dimension = 'rome'
             AND key = 'A1203' AND nature = 'observee' AND competence = '100023'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((n, base, part), (12, 40, Some(0.3)));
}

#[test]
fn structural_transferable_and_mobility_follow_their_definitions() {
    let t = test_db();
    let c = t.db.connect().unwrap();
    // structural shares of a territory sum to at most 1 and are labelled as such
    let (n, sum): (i64, f64) = c
        .query_row(
            "SELECT count(*), sum(part) FROM ind_competences WHERE kind = 'ze' AND code = '2815' AND nature = 'structurelle'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(n, observatoire::indicators::competences::TOP_STRUCTURAL);
    assert!(sum > 0.0 && sum <= 1.0 + 1e-9, "{sum}");
    // transferable: each skill's count is the number of level >= 4 métiers sharing it as a core skill
    let wrong = count(
        &t.db,
        "SELECT count(*) FROM ind_competences i WHERE i.kind = 'ze' AND i.code = '2815' AND i.nature = 'transferable'
           AND i.offres <> (SELECT count(DISTINCT t.metier) FROM ind_tension t JOIN ref_rome_competence l
                            ON l.code_rome = t.metier AND l.coeur_metier AND l.code_ogr = i.competence
                            WHERE t.kind = 'ze' AND t.code = '2815' AND t.nomenclature = 'rome' AND t.level >= 4)",
    );
    assert_eq!(wrong, 0);
    assert!(count(&t.db, "SELECT count(*) FROM ind_competences WHERE kind = 'ze' AND code = '2815' AND nature = 'transferable'") > 0);
    // mobility: every ROME link, with the skills both métiers share
    assert_eq!(
        count(&t.db, "SELECT count(*) FROM ind_mobilite"),
        count(&t.db, "SELECT count(*) FROM ref_rome_mobilite")
    );
    let by_hand = count(
        &t.db,
        "SELECT count(*) FROM ref_rome_competence a JOIN ref_rome_competence b ON b.code_ogr = a.code_ogr
         WHERE a.code_rome = 'A1201' AND b.code_rome = 'H2205'",
    );
    assert_eq!(
        count(&t.db, "SELECT competences_communes FROM ind_mobilite WHERE rome = 'A1201' AND rome_cible = 'H2205'"),
        by_hand
    );
}

#[tokio::test]
async fn the_sectors_and_skills_api_answer_with_sources_and_problems() {
    let app = TestApp::spawn().await;
    let v: serde_json::Value = app
        .get("/api/v1/territoires/ze/2815/secteurs?niveau=a88&annees=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["emploi"]["region"]["code"], "28");
    let items = v["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items[0]["reference"]
        .as_str()
        .unwrap()
        .contains("aucune référence nationale"));
    assert!(!items[0]["sources"].as_array().unwrap().is_empty());
    let v: serde_json::Value = app
        .get("/api/v1/territoires/fr/FR/competences")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        v["items"][0]["offers"].as_i64().unwrap() > 100,
        "{}",
        v["items"][0]
    );
    let v: serde_json::Value = app
        .get("/api/v1/territoires/ze/2815/competences?nature=structurelle&per_page=3")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
    assert!(v["note"].as_str().unwrap().contains("non observé"));
    app.assert_problems(&[
        ("/api/v1/territoires/ze/2815/secteurs?niveau=a10", 400),
        ("/api/v1/territoires/ze/2815/secteurs?annees=3", 400),
        ("/api/v1/territoires/ze/2815/competences?nature=x", 400),
        (
            "/api/v1/territoires/ze/2815/competences?dimension=rome",
            400,
        ),
        ("/api/v1/territoires/ze/9999/competences", 404),
    ])
    .await;
}
