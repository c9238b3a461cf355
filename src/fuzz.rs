//! Fuzz entry points: each takes arbitrary bytes, runs one parser of untrusted input the way the
//! product runs it, and panics only when an invariant breaks (a panic of the parser itself, or a
//! result the rest of the product could not trust). The `cargo fuzz` targets of `fuzz/` call them
//! (`scripts/robustness.sh` runs those for minutes), and the test suite replays the seed corpus
//! of `fuzz/seeds/` and deterministic mutations of it through them (`tests/it/fuzzing.rs`).
//!
//! Invariants beyond "no panic":
//! - offers: every kept free text is scrubbed (no e-mail, no phone number left), salaries are
//!   finite with `0 < min <= max`, contract lengths finite and non-negative;
//! - imports: a file that is refused changes nothing stored (the fingerprints of every table are
//!   those from before);
//! - job files: a file that loads has a name, a schedule that yields a next time, and a timeout;
//! - forecast input: every forecast is finite and inside its intervals.
use std::io::Write;
use std::sync::Mutex;

use duckdb::Connection;

use crate::collect::francetravail::model::{contract_months, SearchPage};
use crate::collect::francetravail::salary::monthly_range;
use crate::collect::import::{import, ImportSource};
use crate::collect::privacy::has_contact;

fn check_salary(lo: f64, hi: f64, what: &str) {
    assert!(
        lo.is_finite() && hi.is_finite() && lo > 0.0 && lo <= hi,
        "{what}: salary range ({lo}, {hi}) is not a finite 0 < min <= max"
    );
}

/// A France Travail search page (the body of `/offres/search`), parsed and normalised as the
/// collector does.
pub fn offer_page(data: &[u8]) -> bool {
    let Ok(page) = serde_json::from_slice::<SearchPage>(data) else {
        return false;
    };
    let accepted = !page.resultats.is_empty();
    for offer in page.resultats {
        let row = offer.normalise();
        let texts = [
            &row.intitule,
            &row.lieu_libelle,
            &row.appellation_libelle,
            &row.entreprise_nom,
            &row.salaire_libelle,
        ];
        for t in texts.into_iter().flatten() {
            assert!(!has_contact(t), "contact data kept in {t:?}");
        }
        for (_, libelle, _) in &row.competences {
            if let Some(l) = libelle {
                assert!(!has_contact(l), "contact data kept in skill {l:?}");
            }
        }
        if let (Some(lo), Some(hi)) = (row.salaire_min_mensuel, row.salaire_max_mensuel) {
            check_salary(lo, hi, "offer");
        }
        if let Some(m) = row.duree_contrat_mois {
            assert!(m.is_finite() && m >= 0.0, "contract length {m}");
        }
        assert!(row.nombre_postes >= 1);
    }
    accepted
}

/// A salary text (`salaire.libelle`) and a contract label (`typeContratLibelle`).
pub fn salary(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let range = monthly_range(&text);
    if let Some((lo, hi)) = range {
        check_salary(lo, hi, &format!("{text:?}"));
    }
    let months = contract_months(&text);
    if let Some(m) = months {
        assert!(m.is_finite() && m >= 0.0, "{text:?}: contract length {m}");
    }
    range.is_some() || months.is_some()
}

/// The database the import target writes to: schema and referentials, made once per process (in
/// memory). Without the embedded default data: a 24-line seed would otherwise be refused by the
/// guard against an import that shrinks a series.
fn import_db() -> &'static Mutex<Connection> {
    static DB: std::sync::OnceLock<Mutex<Connection>> = std::sync::OnceLock::new();
    DB.get_or_init(|| {
        let mut conn = Connection::open_in_memory().expect("in-memory database");
        crate::store::migrations::migrate(&mut conn).expect("migrations");
        let dir = tempfile::tempdir().expect("temporary folder");
        crate::store::embedded::extract_to(dir.path()).expect("embedded data");
        let tx = conn.transaction().expect("transaction");
        crate::referentials::load(&tx, dir.path()).expect("referentials");
        tx.commit().expect("commit");
        Mutex::new(conn)
    })
}

/// Fingerprints of the tables an import may write: every table but the referentials (`ref_*`)
/// and the derived ones (`ind_*`), which an import does not touch (its indicators are rebuilt
/// by a later job); leaving those out keeps a run under a few milliseconds.
fn fingerprints(conn: &Connection) -> Vec<(String, i64, String)> {
    crate::store::backup::tables(conn)
        .expect("tables")
        .into_iter()
        .filter(|t| !t.starts_with("ref_") && !t.starts_with("ind_"))
        .map(|t| {
            let (rows, fp) = crate::store::backup::fingerprint(conn, &t).expect("fingerprint");
            (t, rows, fp)
        })
        .collect()
}

/// An open-data file given to `observatoire import`: the first byte picks the source and the
/// format (CSV or XLSX), the rest is the file. A refused file must leave every table as it was.
pub fn import_file(data: &[u8]) -> bool {
    let Some((&pick, body)) = data.split_first() else {
        return false;
    };
    let sources = crate::collect::import::SOURCES;
    let source: ImportSource = sources[pick as usize % sources.len()].1;
    let ext = if pick as usize / sources.len() % 2 == 1 {
        "xlsx"
    } else {
        "csv"
    };
    let mut file = tempfile::Builder::new()
        .suffix(&format!(".{ext}"))
        .tempfile()
        .expect("temporary file");
    file.write_all(body).expect("write");
    file.flush().expect("flush");
    let mut conn = import_db().lock().unwrap_or_else(|e| e.into_inner());
    let before = fingerprints(&conn);
    let accepted = import(&mut conn, source, file.path()).is_ok();
    if !accepted {
        assert_eq!(
            fingerprints(&conn),
            before,
            "a refused {ext} file of {source:?} changed what is stored"
        );
    }
    accepted
}

/// A job file of `jobs/` (TOML).
pub fn job_file(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let Ok(job) = crate::schedule::jobs::parse(std::path::Path::new("fuzz.toml"), text) else {
        return false;
    };
    assert!(!job.name.is_empty());
    assert!(job.timeout > std::time::Duration::ZERO, "zero timeout kept");
    true
}

/// The input CSV of `observatoire forecast`, read, then forecast over 6 periods at 80 and 95 %.
pub fn forecast_csv(data: &[u8]) -> bool {
    let mut file = tempfile::Builder::new()
        .suffix(".csv")
        .tempfile()
        .expect("temporary file");
    file.write_all(data).expect("write");
    file.flush().expect("flush");
    let Ok(series) = crate::forecast::cli::read_series(file.path()) else {
        return false;
    };
    use crate::forecast::engine;
    for s in series.iter().take(8) {
        assert!(
            s.values.iter().all(|v| v.is_finite()),
            "non-finite input kept"
        );
        let settings = engine::Settings::new(6, s.frequency().per_year());
        let bounds = [engine::infer_bound(&s.values)];
        let out = engine::forecast_batch(std::slice::from_ref(&s.values), &bounds, &settings);
        for o in out {
            for (h, m) in o.mean.iter().enumerate() {
                assert!(m.is_finite(), "series {:?}: forecast {m} at {h}", s.id);
                for (lo, hi) in &o.intervals {
                    let (l, u) = (lo[h], hi[h]);
                    if l.is_nan() || u.is_nan() {
                        continue;
                    }
                    assert!(
                        l <= *m + 1e-9 * m.abs().max(1.0) && *m <= u + 1e-9 * m.abs().max(1.0),
                        "series {:?}: forecast {m} outside [{l}, {u}] at {h}",
                        s.id
                    );
                }
            }
        }
    }
    !series.is_empty()
}

/// A target: runs one input, returns whether the parser accepted it (the replay test checks
/// that mutations still reach the code past the parser often enough).
pub type Target = fn(&[u8]) -> bool;

/// The targets by name, for the corpus replay and the `fuzz/` crate.
pub const TARGETS: &[(&str, Target)] = &[
    ("offer_page", offer_page),
    ("salary", salary),
    ("import_file", import_file),
    ("job_file", job_file),
    ("forecast_csv", forecast_csv),
];
