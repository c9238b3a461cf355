//! Offers as Arrow record batches in the column order of `raw_ft_offre` and
//! `raw_ft_offre_competence`, and the content fingerprint of an offer: what
//! [`store::write`](super::store::write) appends and compares.
use anyhow::Result;
use chrono::NaiveDateTime;
use duckdb::arrow::array::StringArray;
use duckdb::arrow::record_batch::RecordBatch;

use super::model::OfferRow;

/// What the rows of one write share: their source, département and time.
pub struct Scope<'a> {
    pub source_id: &'a str,
    pub departement: Option<&'a str>,
    pub now: NaiveDateTime,
}

/// Arrow columns built from offers.
mod arrays {
    use std::sync::Arc;

    use chrono::NaiveDateTime;
    use duckdb::arrow::array::{
        ArrayRef, BooleanArray, Float64Array, Int32Array, StringArray, TimestampMicrosecondArray,
    };

    use super::OfferRow;

    pub fn text<'a>(
        rows: &[&'a OfferRow],
        f: impl Fn(&'a OfferRow) -> Option<&'a str>,
    ) -> ArrayRef {
        Arc::new(rows.iter().map(|r| f(r)).collect::<StringArray>())
    }
    pub fn constant(n: usize, v: Option<&str>) -> ArrayRef {
        Arc::new(std::iter::repeat_n(v, n).collect::<StringArray>())
    }
    pub fn float(rows: &[&OfferRow], f: impl Fn(&OfferRow) -> Option<f64>) -> ArrayRef {
        Arc::new(rows.iter().map(|r| f(r)).collect::<Float64Array>())
    }
    pub fn flag(rows: &[&OfferRow], f: impl Fn(&OfferRow) -> Option<bool>) -> ArrayRef {
        Arc::new(rows.iter().map(|r| f(r)).collect::<BooleanArray>())
    }
    pub fn int(rows: &[&OfferRow], f: impl Fn(&OfferRow) -> Option<i32>) -> ArrayRef {
        Arc::new(rows.iter().map(|r| f(r)).collect::<Int32Array>())
    }
    pub fn ts(rows: &[&OfferRow], f: impl Fn(&OfferRow) -> Option<NaiveDateTime>) -> ArrayRef {
        Arc::new(
            rows.iter()
                .map(|r| f(r).map(|t| t.and_utc().timestamp_micros()))
                .collect::<TimestampMicrosecondArray>(),
        )
    }
}

type Columns = Vec<(&'static str, duckdb::arrow::array::ArrayRef)>;

/// The offer fields shared by the staging table and the offers table, in table order.
fn head(rows: &[&OfferRow]) -> Columns {
    use arrays::*;
    vec![
        ("intitule", text(rows, |r| r.intitule.as_deref())),
        ("date_creation", ts(rows, |r| r.date_creation)),
        ("date_actualisation", ts(rows, |r| r.date_actualisation)),
        ("lieu_libelle", text(rows, |r| r.lieu_libelle.as_deref())),
        ("commune_brute", text(rows, |r| r.commune_brute.as_deref())),
        ("code_postal", text(rows, |r| r.code_postal.as_deref())),
    ]
}

fn middle(rows: &[&OfferRow]) -> Columns {
    use arrays::*;
    vec![
        ("rome", text(rows, |r| r.rome.as_deref())),
        (
            "appellation_libelle",
            text(rows, |r| r.appellation_libelle.as_deref()),
        ),
        (
            "entreprise_nom",
            text(rows, |r| r.entreprise_nom.as_deref()),
        ),
        ("type_contrat", text(rows, |r| r.type_contrat.as_deref())),
        (
            "nature_contrat",
            text(rows, |r| r.nature_contrat.as_deref()),
        ),
        (
            "experience_exige",
            text(rows, |r| r.experience_exige.as_deref()),
        ),
        (
            "qualification_code",
            text(rows, |r| r.qualification_code.as_deref()),
        ),
        ("naf", text(rows, |r| r.naf.as_deref())),
        (
            "secteur_division",
            text(rows, |r| r.secteur_division.as_deref()),
        ),
        ("nombre_postes", int(rows, |r| Some(r.nombre_postes))),
        ("alternance", flag(rows, |r| r.alternance)),
        ("accessible_th", flag(rows, |r| r.accessible_th)),
        (
            "offres_manque_candidats",
            flag(rows, |r| r.offres_manque_candidats),
        ),
        (
            "salaire_libelle",
            text(rows, |r| r.salaire_libelle.as_deref()),
        ),
    ]
}

fn batch(columns: Columns) -> Result<RecordBatch> {
    Ok(duckdb::arrow::record_batch::RecordBatch::try_from_iter(
        columns,
    )?)
}

/// One `id` column.
pub fn ids_batch(ids: &[&str]) -> Result<RecordBatch> {
    batch(vec![(
        "id",
        std::sync::Arc::new(ids.iter().map(|s| Some(*s)).collect::<StringArray>()),
    )])
}

/// A stable fingerprint of what is stored of an offer: every column but the dates the collector
/// keeps (first_seen, last_seen, closed_at), and its distinct skills in sorted order. The first
/// 8 bytes of a SHA-256 (a fingerprint that stays the same across builds and versions, unlike
/// the standard library's hasher); fields are length-prefixed so that no two rows share a byte
/// stream.
pub fn content_hash(r: &OfferRow, scope: &Scope, commune: Option<&str>) -> i64 {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    let mut text = |v: Option<&str>| match v {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        }
    };
    for v in [
        Some(r.id.as_str()),
        Some(scope.source_id),
        scope.departement,
        commune,
        r.intitule.as_deref(),
        r.lieu_libelle.as_deref(),
        r.commune_brute.as_deref(),
        r.code_postal.as_deref(),
        r.rome.as_deref(),
        r.appellation_libelle.as_deref(),
        r.entreprise_nom.as_deref(),
        r.type_contrat.as_deref(),
        r.nature_contrat.as_deref(),
        r.experience_exige.as_deref(),
        r.qualification_code.as_deref(),
        r.naf.as_deref(),
        r.secteur_division.as_deref(),
        r.salaire_libelle.as_deref(),
        r.duree_travail.as_deref(),
        r.origine.as_deref(),
        r.url.as_deref(),
    ] {
        text(v);
    }
    let mut skills: Vec<&super::model::Skill> = r.competences.iter().collect();
    skills.sort();
    skills.dedup();
    text(Some(&skills.len().to_string()));
    for (code, libelle, exigence) in skills {
        text(code.as_deref());
        text(libelle.as_deref());
        text(exigence.as_deref());
    }
    let ts = |t: Option<NaiveDateTime>| t.map_or(i64::MIN, |t| t.and_utc().timestamp_micros());
    let num = |v: Option<f64>| v.map_or(u64::MAX, f64::to_bits);
    let flag = |v: Option<bool>| v.map_or(2u8, u8::from);
    h.update(ts(r.date_creation).to_le_bytes());
    h.update(ts(r.date_actualisation).to_le_bytes());
    h.update(r.nombre_postes.to_le_bytes());
    h.update([
        flag(r.alternance),
        flag(r.accessible_th),
        flag(r.offres_manque_candidats),
    ]);
    for v in [
        r.salaire_min_mensuel,
        r.salaire_max_mensuel,
        r.duree_contrat_mois,
    ] {
        h.update(num(v).to_le_bytes());
    }
    let d = h.finalize();
    i64::from_le_bytes(d[..8].try_into().expect("8 bytes"))
}

/// Offers in the column order of `raw_ft_offre`, seen now, with their first_seen, commune and
/// fingerprint.
pub fn raw_batch(
    rows: &[&OfferRow],
    scope: &Scope,
    communes: &[Option<&str>],
    first_seen: &[NaiveDateTime],
    hashes: &[i64],
) -> Result<RecordBatch> {
    use arrays::*;
    use duckdb::arrow::array::{Int64Array, TimestampMicrosecondArray};
    let n = rows.len();
    let now = scope.now.and_utc().timestamp_micros();
    let mut c: Columns = vec![
        ("id", text(rows, |r| Some(r.id.as_str()))),
        ("source_id", constant(n, Some(scope.source_id))),
    ];
    let mut h = head(rows);
    c.append(&mut h);
    c.push((
        "commune",
        std::sync::Arc::new(communes.iter().copied().collect::<StringArray>()),
    ));
    c.append(&mut middle(rows));
    c.push(("origine", text(rows, |r| r.origine.as_deref())));
    c.push((
        "first_seen",
        std::sync::Arc::new(
            first_seen
                .iter()
                .map(|t| Some(t.and_utc().timestamp_micros()))
                .collect::<TimestampMicrosecondArray>(),
        ),
    ));
    c.push((
        "last_seen",
        std::sync::Arc::new(
            std::iter::repeat_n(Some(now), n).collect::<TimestampMicrosecondArray>(),
        ),
    ));
    c.push(("closed_at", ts(rows, |_| None)));
    c.push(("departement", constant(n, scope.departement)));
    c.push((
        "salaire_min_mensuel",
        float(rows, |r| r.salaire_min_mensuel),
    ));
    c.push((
        "salaire_max_mensuel",
        float(rows, |r| r.salaire_max_mensuel),
    ));
    c.push(("url", text(rows, |r| r.url.as_deref())));
    c.push(("duree_travail", text(rows, |r| r.duree_travail.as_deref())));
    c.push(("duree_contrat_mois", float(rows, |r| r.duree_contrat_mois)));
    c.push((
        "content_hash",
        std::sync::Arc::new(hashes.iter().map(|h| Some(*h)).collect::<Int64Array>()),
    ));
    batch(c)
}

/// (offre_id, code_ogr, libelle, exigence) of every offer, each distinct skill once, as one Arrow
/// record batch.
pub fn competences_batch(rows: &[&OfferRow]) -> Result<RecordBatch> {
    use std::sync::Arc;

    let mut all: Vec<(&str, &super::model::Skill)> = Vec::new();
    for r in rows {
        let start = all.len();
        for c in &r.competences {
            if !all[start..].iter().any(|(_, s)| *s == c) {
                all.push((r.id.as_str(), c));
            }
        }
    }
    let columns: Columns = vec![
        (
            "offre_id",
            Arc::new(all.iter().map(|c| Some(c.0)).collect::<StringArray>()),
        ),
        (
            "code_ogr",
            Arc::new(
                all.iter()
                    .map(|c| c.1 .0.as_deref())
                    .collect::<StringArray>(),
            ),
        ),
        (
            "libelle",
            Arc::new(
                all.iter()
                    .map(|c| c.1 .1.as_deref())
                    .collect::<StringArray>(),
            ),
        ),
        (
            "exigence",
            Arc::new(
                all.iter()
                    .map(|c| c.1 .2.as_deref())
                    .collect::<StringArray>(),
            ),
        ),
    ];
    batch(columns)
}
