//! The offers store's rewrite of already-stored offers (only changes are written, first_seen is
//! kept, last_seen follows), and the scale tools: `bench generate` is deterministic, labelled
//! synthetic and drawn from the real referentials; `bench ingest` loads every offer once.
use std::process::Command;

use chrono::NaiveDateTime;
use observatoire::collect::francetravail::model::{ApiOffer, OfferRow, SearchPage};
use observatoire::collect::francetravail::store::{write, Batch, Guard};
use observatoire::schedule::context::Cancel;

use crate::helpers::{count, test_db};

fn rows() -> Vec<OfferRow> {
    let page: SearchPage = serde_json::from_value(serde_json::json!({
        "resultats": crate::ft_mock::real_page()
            .into_iter()
            .filter(|o| o["competences"].as_array().is_some_and(|c| !c.is_empty()))
            .take(3)
            .collect::<Vec<_>>()
    }))
    .unwrap();
    // ids of their own: the embedded sample already holds the real ones
    page.resultats
        .into_iter()
        .map(|o| ApiOffer {
            id: format!("TST{}", o.id),
            ..o
        })
        .map(ApiOffer::normalise)
        .collect()
}

fn batch<'a>(rows: &'a [OfferRow], now: NaiveDateTime, full: bool) -> Batch<'a> {
    Batch {
        source_id: "ft-offres",
        collector: "test",
        scope: "76",
        departement: Some("76"),
        rows,
        full,
        now,
        window_end: now,
        guard: Guard {
            max_drop_share: 0.9,
            force: true,
        },
    }
}

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

#[test]
fn stored_offers_are_rewritten_only_when_they_changed_and_keep_their_first_seen() {
    let t = test_db();
    let mut conn = t.db.connect().unwrap();
    let cancel = Cancel::default();
    let mut offers = rows();
    let ids: Vec<String> = offers.iter().map(|o| o.id.clone()).collect();
    let s = write(
        &mut conn,
        &batch(&offers, at("2026-11-01 08:00"), false),
        &cancel,
    )
    .unwrap();
    assert_eq!((s.rows_added, s.rows_updated), (3, 0));
    let comps = |id: &str| {
        count(
            &t.db,
            &format!("SELECT count(*) FROM raw_ft_offre_competence WHERE offre_id = '{id}'"),
        )
    };
    let before: Vec<i64> = ids.iter().map(|id| comps(id)).collect();
    // offer 0 unchanged; offer 1 retitled; offer 2 loses its skills; then offer 2 is closed by a
    // full refresh without it, and comes back
    offers[1].intitule = Some("Intitulé modifié".into());
    offers[2].competences.clear();
    let s = write(
        &mut conn,
        &batch(&offers, at("2026-11-02 08:00"), false),
        &cancel,
    )
    .unwrap();
    assert_eq!((s.rows_added, s.rows_updated), (0, 3));
    let reader = t.db.connect().unwrap();
    let row = |id: &str| -> (String, String, String, Option<String>) {
        reader.query_row(
            "SELECT first_seen::VARCHAR, last_seen::VARCHAR, intitule, closed_at::VARCHAR FROM raw_ft_offre WHERE id = ?",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap()
    };
    for id in &ids {
        let (first, last, _, closed) = row(id);
        assert_eq!(first, "2026-11-01 08:00:00", "{id}");
        assert_eq!(last, "2026-11-02 08:00:00", "{id}");
        assert_eq!(closed, None);
    }
    assert_eq!(row(&ids[1]).2, "Intitulé modifié");
    assert_eq!(comps(&ids[0]), before[0]);
    assert_eq!(comps(&ids[1]), before[1]);
    assert_eq!(comps(&ids[2]), 0);
    assert!(before[2] > 0);
    // one row per offer, whatever was rewritten
    assert_eq!(
        count(
            &t.db,
            "SELECT count(*) - count(DISTINCT id) FROM raw_ft_offre"
        ),
        0
    );

    let s = write(
        &mut conn,
        &batch(&offers[..2], at("2026-11-03 08:00"), true),
        &cancel,
    )
    .unwrap();
    assert_eq!(s.rows_closed, 1);
    assert_eq!(row(&ids[2]).3.as_deref(), Some("2026-11-03 08:00:00"));
    let s = write(
        &mut conn,
        &batch(&offers, at("2026-11-04 08:00"), true),
        &cancel,
    )
    .unwrap();
    assert_eq!(s.rows_closed, 0);
    let (first, last, _, closed) = row(&ids[2]);
    assert_eq!(
        (first.as_str(), last.as_str(), closed),
        ("2026-11-01 08:00:00", "2026-11-04 08:00:00", None)
    );
}

fn generate(out: &std::path::Path, seed: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .args([
            "bench", "generate", "--offers", "2000", "--years", "2", "--seed", seed,
        ])
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn tree(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn generated_pages_are_deterministic_synthetic_and_load_once_each() {
    let work = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        work.path().join("a"),
        work.path().join("b"),
        work.path().join("c"),
    );
    for (dir, seed) in [(&a, "7"), (&b, "7"), (&c, "8")] {
        let out = generate(dir, seed);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (ta, tb, tc) = (tree(&a), tree(&b), tree(&c));
    assert_eq!(ta, tb, "same seed, different files");
    assert_ne!(ta, tc);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["synthetic"], true);

    // every offer is in the France Travail format, synthetic, with real codes
    let t = test_db();
    let conn = t.db.connect().unwrap();
    let (mut offers, mut ft) = (0, 0);
    for (name, bytes) in &ta {
        if name == "manifest.json" {
            continue;
        }
        let page: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        for o in page["resultats"].as_array().unwrap() {
            offers += 1;
            assert!(o.get("contact").is_none());
            assert!(o["description"]
                .as_str()
                .unwrap()
                .starts_with("Offre synthétique"));
            let id = o["id"].as_str().unwrap();
            if name.starts_with("ft/") {
                ft += 1;
                assert!(id.starts_with('S'), "{id}");
                let dep = name.split('/').nth(1).unwrap();
                let commune = o["lieuTravail"]["commune"].as_str().unwrap();
                let (known, same_dep): (bool, bool) = conn
                    .query_row(
                        "SELECT count(*) > 0, bool_and(departement = ?) FROM ref_commune WHERE code = ?",
                        [dep, commune],
                        |r| Ok((r.get(0)?, r.get::<_, Option<bool>>(1)?.unwrap_or(false))),
                    )
                    .unwrap();
                assert!(known && same_dep, "{commune} in {dep}");
            }
            let rome = o["romeCode"].as_str().unwrap();
            let n: i64 = conn
                .query_row(
                    "SELECT count(*) FROM ref_rome WHERE code = ?",
                    [rome],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 1, "{rome}");
        }
    }
    assert_eq!(ft, 2000);
    assert!(offers > ft, "no board copies");

    // ingest: every offer once, then every offer already stored
    let db = work.path().join("bench.duckdb");
    let out = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .arg("--db")
        .arg(&db)
        .args(["bench", "ingest", "--json", "--pages"])
        .arg(&a)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["new"]["offers"], offers);
    assert_eq!(r["new"]["added"], offers);
    assert_eq!(r["stored"]["updated"], offers);
    assert_eq!(r["stored"]["added"], 0);
    let stored = observatoire::store::Db::open(&db).unwrap();
    assert_eq!(
        count(&stored, "SELECT count(*) FROM raw_ft_offre WHERE id LIKE 'S%' OR source_id = 'site-synthetique'"),
        offers
    );
    drop(stored);
    // never into an existing database, never from a folder that is not synthetic
    let out = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .arg("--db")
        .arg(&db)
        .args(["bench", "ingest", "--pages"])
        .arg(&a)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("existe déjà"));
    let out = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .args(["bench", "ingest", "--pages"])
        .arg(work.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("manifest.json"));
}

/// The fingerprint decides what is rewritten: an offer stored before migration 9 (no
/// fingerprint) is rewritten once and gets one; the same skills in another order, or twice, are
/// no change; a changed salary is.
#[test]
fn the_fingerprint_decides_what_is_rewritten() {
    let t = test_db();
    let mut conn = t.db.connect().unwrap();
    let cancel = Cancel::default();
    let mut offers = rows();
    let id = offers[0].id.clone();
    write(
        &mut conn,
        &batch(&offers, at("2026-11-01 08:00"), false),
        &cancel,
    )
    .unwrap();
    let reader = t.db.connect().unwrap();
    let hash = || -> Option<i64> {
        reader
            .query_row(
                "SELECT content_hash FROM raw_ft_offre WHERE id = ?",
                [&id],
                |r| r.get(0),
            )
            .unwrap()
    };
    let first = hash().expect("a fingerprint");
    let skills = || {
        count(
            &t.db,
            &format!("SELECT count(*) FROM raw_ft_offre_competence WHERE offre_id = '{id}'"),
        )
    };
    let n_skills = skills();
    assert!(n_skills > 1, "the test needs an offer with several skills");
    // as stored by an older version
    reader
        .execute(
            "UPDATE raw_ft_offre SET content_hash = NULL WHERE id = ?",
            [&id],
        )
        .unwrap();
    write(
        &mut conn,
        &batch(&offers, at("2026-11-02 08:00"), false),
        &cancel,
    )
    .unwrap();
    assert_eq!(
        hash(),
        Some(first),
        "rewritten once, with the same fingerprint"
    );
    assert_eq!(skills(), n_skills);
    // skills reversed and one repeated: the same offer
    offers[0].competences.reverse();
    let again = offers[0].competences[0].clone();
    offers[0].competences.push(again);
    write(
        &mut conn,
        &batch(&offers, at("2026-11-03 08:00"), false),
        &cancel,
    )
    .unwrap();
    assert_eq!(hash(), Some(first));
    assert_eq!(skills(), n_skills, "each distinct skill stored once");
    // a changed salary is a change
    offers[0].salaire_min_mensuel = Some(1234.5);
    write(
        &mut conn,
        &batch(&offers, at("2026-11-04 08:00"), false),
        &cancel,
    )
    .unwrap();
    assert_ne!(hash(), Some(first));
    assert_eq!(
        count(
            &t.db,
            &format!("SELECT count(*) FROM raw_ft_offre WHERE id = '{id}' AND salaire_min_mensuel = 1234.5 AND first_seen = TIMESTAMP '2026-11-01 08:00:00'")
        ),
        1
    );
}
