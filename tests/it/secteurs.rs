//! Sector dynamics: the shift-share of a three-sector toy economy sums exactly, the national
//! reference is used only when the file covers the country, and employment dynamics.
use crate::helpers::{count, test_db};

/// 306 zones × 3 sectors × {2017, 2022}: zone 2815 has 100/200/300 then 150/180/330 employees in
/// CA / FZ / GZ, every other zone 10/20/30 then 11/20/36.
fn toy_file(dir: &std::path::Path, zones: &[String]) -> std::path::PathBuf {
    let mut s = String::from(
        "code_zone_d_emploi,zone_d_emploi,code_departement,annee,code_ape,ape,code_secteur_na38,code_secteur_na88,nombre_d_etablissements,effectifs_salaries\n",
    );
    for z in zones {
        let (a, b) = if z == "2815" {
            ([100, 200, 300], [150, 180, 330])
        } else {
            ([10, 20, 30], [11, 20, 36])
        };
        for (year, v) in [(2017, a), (2022, b)] {
            for ((ape, na38, na88), e) in [
                ("1071C", "CA", "10"),
                ("4120A", "FZ", "41"),
                ("4511Z", "GZ", "45"),
            ]
            .iter()
            .zip(v)
            {
                s.push_str(&format!(
                    "{z},Zone {z},,{year},{ape},APE {ape},{na38},{na88},3,{e}\n"
                ));
            }
        }
    }
    let path = dir.join("urssaf_ze_ape.csv");
    std::fs::write(&path, s).unwrap();
    path
}

#[test]
fn shift_share_of_a_three_sector_economy_sums_exactly_to_the_change() {
    let t = test_db();
    let mut c = t.db.connect().unwrap();
    let zones: Vec<String> = c
        .prepare("SELECT code FROM ref_zone_emploi ORDER BY code")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(zones.len(), 306);
    let dir = tempfile::tempdir().unwrap();
    let file = toy_file(dir.path(), &zones);
    let r = observatoire::collect::import::import(
        &mut c,
        observatoire::collect::import::ImportSource::UrssafZeSecteur,
        &file,
    )
    .unwrap();
    assert_eq!(r.rows, 306 * 6);
    assert!(observatoire::indicators::rebuild_if_pending(&c).unwrap());
    // national: 2017 CA 100 + 305×10 = 3150, FZ 6300, GZ 9450 (18,900); 2022 CA 3505, FZ 6280,
    // GZ 11,310 (21,095)
    let (n0, n1) = (18_900.0_f64, 21_095.0_f64);
    let national = [(3150.0, 3505.0), (6300.0, 6280.0), (9450.0, 11_310.0)];
    let local = [(100.0, 150.0), (200.0, 180.0), (300.0, 330.0)];
    let mut stmt = c
        .prepare(
            "SELECT secteur, effectifs_debut, effectifs_fin, variation, effet_national, effet_structurel, effet_local,
                 contribution, reference
             FROM ind_secteurs WHERE kind = 'ze' AND code = '2815' AND niveau = 'a38' AND annee_debut = 2017
             ORDER BY secteur",
        )
        .unwrap();
    type Row = (String, i64, i64, i64, f64, f64, f64, f64, String);
    let rows: Vec<Row> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["CA", "FZ", "GZ"]
    );
    let mut contributions = 0.0;
    for (i, r) in rows.iter().enumerate() {
        let (e0, e1) = local[i];
        let (ni0, ni1) = national[i];
        let nat = e0 * (n1 / n0 - 1.0);
        let mix = e0 * (ni1 / ni0 - 1.0) - nat;
        assert_eq!((r.1 as f64, r.2 as f64, r.3 as f64), (e0, e1, e1 - e0));
        assert!(
            (r.4 - nat).abs() < 0.006,
            "{}: national {} vs {nat}",
            r.0,
            r.4
        );
        assert!((r.5 - mix).abs() < 0.006, "{}: mix {} vs {mix}", r.0, r.5);
        assert!(
            (r.6 - (e1 - e0 - nat - mix)).abs() < 0.011,
            "{}: local",
            r.0
        );
        assert!(
            (r.4 + r.5 + r.6 - r.3 as f64).abs() < 1e-9,
            "{}: the effects sum exactly to the change",
            r.0
        );
        assert!(r.8.starts_with("France (306 zones"), "{}", r.8);
        contributions += r.7;
    }
    // CA by hand: national 100 × (21095/18900 − 1) = 11.61; mix 100 × (3505/3150 − 1) − 11.61 = −0.34
    assert!((rows[0].4 - 11.61).abs() < 0.005 && (rows[0].5 + 0.34).abs() < 0.005);
    // contributions sum to the zone's growth: (660 − 600) / 600
    assert!((contributions - 0.1).abs() < 1e-12);
    // 2021 is only in the Rouen extract: the one-year comparison has no national reference
    assert_eq!(count(&t.db, "SELECT count(*) FROM ind_secteurs WHERE annee_debut = 2021 AND effet_national IS NOT NULL"), 0);
    assert_eq!(
        count(
            &t.db,
            "SELECT count(*) FROM ind_secteurs WHERE annee_debut = 2021 AND code <> '2815'"
        ),
        0
    );
}

#[test]
fn without_a_national_file_sectors_are_ranked_but_not_decomposed() {
    let t = test_db();
    let c = t.db.connect().unwrap();
    // the shipped Rouen extract (Seine-Maritime part of zone 2815), 2006–2022
    let (n, with_effects): (i64, i64) = c
        .query_row(
            "SELECT count(*), count(effet_national) FROM ind_secteurs WHERE kind = 'ze' AND code = '2815' AND annee_debut = 2017",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(n > 30, "{n}");
    assert_eq!(with_effects, 0, "no national reference, no shift-share");
    let why: String = c
        .query_row(
            "SELECT any_value(reference) FROM ind_secteurs WHERE code = '2815'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        why.contains("aucune référence nationale") && why.contains("urssaf-ze-secteur"),
        "{why}"
    );
    // the change by sector sums to the change of the zone's total
    let (sum, total): (i64, i64) = c
        .query_row(
            "SELECT sum(variation), sum(effectifs_fin) - sum(effectifs_debut) FROM ind_secteurs
             WHERE kind = 'ze' AND code = '2815' AND niveau = 'a88' AND annee_debut = 2021",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(sum, total);
}

#[test]
fn employment_dynamics_compare_a_zone_with_france_and_its_region() {
    let t = test_db();
    let c = t.db.connect().unwrap();
    let (e, g1, g1_fr, region): (i64, f64, f64, String) = c
        .query_row(
            "SELECT effectifs, evol_1an, evol_1an_france, region FROM ind_emploi_dynamique WHERE kind = 'ze' AND code = '2815'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(region, "28");
    // computed from the raw quarterly series independently
    let (last, year_before): (i64, i64) = c
        .query_row(
            "WITH q AS (SELECT annee * 4 + trimestre AS k, sum(effectifs_cvs) AS e FROM raw_urssaf_ze WHERE ze2020 = '2815' GROUP BY 1)
             SELECT (SELECT e FROM q ORDER BY k DESC LIMIT 1), (SELECT e FROM q WHERE k = (SELECT max(k) - 4 FROM q))",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(e, last);
    assert!((g1 - (last as f64 / year_before as f64 - 1.0)).abs() < 1e-12);
    let fr: f64 = c
        .query_row(
            "SELECT evol_1an FROM ind_emploi_dynamique WHERE kind = 'fr'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(g1_fr, fr);
}
