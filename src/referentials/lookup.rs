//! The one place where the web reads referentials: the territory dimension (`territory`,
//! `territory_commune`) and the communes, départements and names behind it. Pages and the API
//! call these functions; everything else they show comes from derived tables (`ind_*`) and the
//! `sources` provenance table.
use anyhow::Result;
use duckdb::Connection;

/// One territory of the dimension.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Territory {
    pub kind: String,
    pub code: String,
    pub libelle: String,
    pub nb_communes: i64,
}

/// A search result: the territory, and the commune through which it was found (if any).
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub kind: String,
    pub code: String,
    pub libelle: String,
    pub via: Option<String>,
}

/// One territory, or `None` when the observatory does not know it.
pub fn territory(conn: &Connection, kind: &str, code: &str) -> Result<Option<Territory>> {
    Ok(conn
        .prepare(
            "SELECT kind, code, libelle, nb_communes FROM territory WHERE kind = ? AND code = ?",
        )?
        .query_map([kind, code], row)?
        .next()
        .transpose()?)
}

/// Every territory of `kind` (all kinds when `None`), by kind then code.
pub fn territories(conn: &Connection, kind: Option<&str>) -> Result<Vec<Territory>> {
    Ok(conn
        .prepare(
            "SELECT kind, code, libelle, nb_communes FROM territory
             WHERE ?1 IS NULL OR kind = ?1 ORDER BY kind, code",
        )?
        .query_map([kind], row)?
        .collect::<Result<_, _>>()?)
}

fn row(r: &duckdb::Row) -> duckdb::Result<Territory> {
    Ok(Territory {
        kind: r.get(0)?,
        code: r.get(1)?,
        libelle: r.get(2)?,
        nb_communes: r.get(3)?,
    })
}

/// The départements a territory's communes belong to (code, name).
pub fn departements_of(conn: &Connection, kind: &str, code: &str) -> Result<Vec<(String, String)>> {
    Ok(conn
        .prepare(
            "SELECT DISTINCT d.code, d.libelle FROM territory_commune t JOIN ref_commune c ON c.code = t.commune
             JOIN ref_departement d ON d.code = c.departement WHERE t.kind = ? AND t.code = ? ORDER BY 1",
        )?
        .query_map([kind, code], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// SQL folding a column the way [`crate::text::search_key`] folds the needle: lower case, no
/// accents, `œ`/`æ` spelled out, letters and digits only.
fn folded(col: &str) -> String {
    format!(
        "regexp_replace(strip_accents(replace(replace(lower({col}), 'œ', 'oe'), 'æ', 'ae')), '[^a-z0-9]', '', 'g')"
    )
}

/// Territories whose name, or one of whose communes' name, contains `q` (case-, accent-, hyphen-
/// and space-insensitive, `st`/`saint` alike), whose code is `q`, or — for a postal code — whose
/// communes have it (postal codes as seen in the offers: `ind_code_postal`). Exact names first,
/// then names starting with `q`; at most 60.
pub fn search(conn: &Connection, q: &str) -> Result<Vec<SearchHit>> {
    let needle = crate::text::search_key(q);
    if needle.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "WITH hits AS (
            SELECT kind, code, libelle, NULL AS via, 0 AS rank, {t} AS name FROM territory
            WHERE contains({t}, ?1) OR code = ?2
            UNION ALL
            SELECT t.kind, t.code, t.libelle, c.libelle || ' (' || c.code || ')', 1, {c}
            FROM ref_commune c JOIN territory_commune tc ON tc.commune = c.code
            JOIN territory t ON t.kind = tc.kind AND t.code = tc.code
            WHERE (contains({c}, ?1) OR c.code = ?2) AND t.kind IN ('ze', 'bassin')
            UNION ALL
            SELECT DISTINCT t.kind, t.code, t.libelle, c.libelle || ' (code postal ' || p.code_postal || ')', 1, ?1
            FROM ind_code_postal p JOIN ref_commune c ON c.code = p.commune
            JOIN territory_commune tc ON tc.commune = c.code
            JOIN territory t ON t.kind = tc.kind AND t.code = tc.code
            WHERE p.code_postal = ?2 AND t.kind IN ('ze', 'bassin'))
         SELECT kind, code, libelle, first(via ORDER BY rank) FROM hits
         GROUP BY kind, code, libelle
         -- exact names first, then names starting with the query, then the rest
         ORDER BY min(CASE WHEN name = ?1 THEN 0 WHEN starts_with(name, ?1) THEN 1 ELSE 2 END),
                  min(rank), CASE kind WHEN 'ze' THEN 0 WHEN 'bassin' THEN 1 WHEN 'dep' THEN 2 ELSE 3 END, libelle
         LIMIT 60",
        t = folded("libelle"),
        c = folded("c.libelle"),
    );
    Ok(conn
        .prepare(&sql)?
        .query_map([needle.as_str(), q.trim()], |r| {
            Ok(SearchHit {
                kind: r.get(0)?,
                code: r.get(1)?,
                libelle: r.get(2)?,
                via: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// A métier found by its ROME label or one of its appellations.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MetierHit {
    pub rome: String,
    pub libelle: String,
    /// The appellation that matched, when not the ROME label itself.
    pub via: Option<String>,
}

/// ROME métiers whose label or one of whose appellations contains `q` (folded like [`search`]);
/// at most 30, label matches first.
pub fn search_metiers(conn: &Connection, q: &str) -> Result<Vec<MetierHit>> {
    let needle = crate::text::search_key(q);
    if needle.chars().count() < 3 {
        return Ok(vec![]);
    }
    let sql = format!(
        "WITH hits AS (
            SELECT code AS rome, libelle, NULL AS via, 0 AS rank FROM ref_rome WHERE contains({r}, ?1) OR code = upper(?2)
            UNION ALL
            SELECT a.code_rome, r.libelle, a.libelle, 1 FROM ref_rome_appellation a JOIN ref_rome r ON r.code = a.code_rome
            WHERE contains({a}, ?1))
         SELECT rome, libelle, first(via ORDER BY rank, length(via)) FROM hits GROUP BY rome, libelle
         ORDER BY min(rank), libelle LIMIT 30",
        r = folded("libelle"),
        a = folded("a.libelle"),
    );
    Ok(conn
        .prepare(&sql)?
        .query_map([needle.as_str(), q.trim()], |r| {
            Ok(MetierHit {
                rome: r.get(0)?,
                libelle: r.get(1)?,
                via: r.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// A filière with its ROME métiers and NAF sub-classes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Filiere {
    pub id: String,
    pub libelle: String,
    pub origine: String,
    pub rome: Vec<String>,
    pub naf: Vec<String>,
}

/// Every filière (`id = None`) or one, in id order.
pub fn filieres(conn: &Connection, id: Option<&str>) -> Result<Vec<Filiere>> {
    Ok(conn
        .prepare(
            "SELECT f.id, f.libelle, f.origine,
                 coalesce((SELECT list(rome ORDER BY rome) FROM ref_filiere_rome r WHERE r.filiere = f.id), []),
                 coalesce((SELECT list(naf ORDER BY naf) FROM ref_filiere_naf n WHERE n.filiere = f.id), [])
             FROM ref_filiere f WHERE ?1 IS NULL OR f.id = ?1 ORDER BY f.origine, f.id",
        )?
        .query_map([id], |r| {
            let list = |i: usize| -> duckdb::Result<Vec<String>> {
                let v: duckdb::types::Value = r.get(i)?;
                Ok(match v {
                    duckdb::types::Value::List(items) => items
                        .into_iter()
                        .filter_map(|x| match x {
                            duckdb::types::Value::Text(s) => Some(s),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                })
            };
            Ok(Filiere {
                id: r.get(0)?,
                libelle: r.get(1)?,
                origine: r.get(2)?,
                rome: list(3)?,
                naf: list(4)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// The départements of the followed territories (`kind:code`), in code order.
pub fn departements_of_followed(conn: &Connection, followed: &[String]) -> Result<Vec<String>> {
    let mut out = std::collections::BTreeSet::new();
    for f in followed {
        if let Some((kind, code)) = f.split_once(':') {
            for (d, _) in departements_of(conn, kind, code)? {
                out.insert(d);
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// A métier of one of the nomenclatures the observatory crosses (ROME 4.0, FAP 2021, FAP 2009),
/// with its correspondences in the others.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Metier {
    pub code: String,
    /// `rome`, `fap2021` or `fap2009`.
    pub nomenclature: &'static str,
    pub libelle: String,
    /// ROME: its grand domaine; FAP 2021: its domain (FAP 22).
    pub domaine: Option<String>,
    pub fap2021: Vec<(String, String)>,
    pub fap2009: Vec<(String, String)>,
    pub rome: Vec<(String, String)>,
}

fn pairs(conn: &Connection, sql: &str, code: &str) -> Result<Vec<(String, String)>> {
    Ok(conn
        .prepare(sql)?
        .query_map([code], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// The métier of `code` in whichever nomenclature has it, or `None`.
pub fn metier(conn: &Connection, code: &str) -> Result<Option<Metier>> {
    let rome: Option<(String, Option<String>)> = conn
        .prepare(
            "SELECT r.libelle, g.libelle FROM ref_rome r LEFT JOIN ref_rome_grand_domaine g ON g.code = r.grand_domaine
             WHERE r.code = ?",
        )?
        .query_map([code], |r| Ok((r.get(0)?, r.get(1)?)))?
        .next()
        .transpose()?;
    if let Some((libelle, domaine)) = rome {
        return Ok(Some(Metier {
            code: code.into(),
            nomenclature: "rome",
            libelle,
            domaine,
            fap2021: pairs(conn, "SELECT DISTINCT m.fap2021, coalesce(f.libelle, m.fap2021) FROM ref_rome_fap m
                 LEFT JOIN (SELECT fap228, any_value(fap228_libelle) AS libelle FROM ref_fap2021 GROUP BY fap228) f ON f.fap228 = m.fap2021
                 WHERE m.rome = ? ORDER BY 1", code)?,
            fap2009: pairs(conn, "SELECT DISTINCT m.fap2009, coalesce(c.fap2009_libelle, m.fap2009) FROM ref_rome_fap m LEFT JOIN (SELECT DISTINCT fap2009, fap2009_libelle FROM ref_fap2021_fap2009) c ON c.fap2009 = m.fap2009 WHERE m.rome = ? ORDER BY 1", code)?,
            rome: vec![],
        }));
    }
    // FAP 2021 at the level BMO, the tensions and the crosswalks use (225 families, `fap228`),
    // or one of its detailed 341 codes
    let fap21: Option<(String, Option<String>)> = conn
        .prepare(
            "SELECT libelle, domaine FROM (
                 SELECT any_value(fap228_libelle) AS libelle, any_value(fap22_libelle) AS domaine, 0 AS o
                 FROM ref_fap2021 WHERE fap228 = ?1 HAVING count(*) > 0
                 UNION ALL
                 SELECT fap341_libelle, fap22_libelle, 1 FROM ref_fap2021 WHERE fap341 = ?1)
             ORDER BY o LIMIT 1",
        )?
        .query_map([code], |r| Ok((r.get(0)?, r.get(1)?)))?
        .next()
        .transpose()?;
    if let Some((libelle, domaine)) = fap21 {
        return Ok(Some(Metier {
            code: code.into(),
            nomenclature: "fap2021",
            libelle,
            domaine,
            fap2021: vec![],
            fap2009: pairs(conn, "SELECT DISTINCT fap2009, fap2009_libelle FROM ref_fap2021_fap2009 WHERE fap2021 = ? ORDER BY 1", code)?,
            rome: pairs(conn, "SELECT DISTINCT m.rome, r.libelle FROM ref_rome_fap m JOIN ref_rome r ON r.code = m.rome WHERE m.fap2021 = ? ORDER BY 1", code)?,
        }));
    }
    let fap09: Option<String> = conn
        .prepare("SELECT any_value(fap2009_libelle) FROM ref_fap2021_fap2009 WHERE fap2009 = ? HAVING count(*) > 0")?
        .query_map([code], |r| r.get(0))?
        .next()
        .transpose()?;
    let Some(libelle) = fap09 else {
        return Ok(None);
    };
    Ok(Some(Metier {
        code: code.into(),
        nomenclature: "fap2009",
        libelle,
        domaine: None,
        fap2021: pairs(conn, "SELECT DISTINCT fap2021, fap2021_libelle FROM ref_fap2021_fap2009 WHERE fap2009 = ? ORDER BY 1", code)?,
        fap2009: vec![],
        rome: pairs(conn, "SELECT DISTINCT m.rome, r.libelle FROM ref_rome_fap m JOIN ref_rome r ON r.code = m.rome WHERE m.fap2009 = ? ORDER BY 1", code)?,
    }))
}

/// ROME labels of several codes (for lists of close métiers).
pub fn rome_labels(conn: &Connection) -> Result<std::collections::HashMap<String, String>> {
    Ok(conn
        .prepare("SELECT code, libelle FROM ref_rome")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// The label of a NAF rév. 2 code at an aggregation level (`a21`, `a38`, `a88`, …), the most
/// aggregated level first when a code exists at several.
pub fn naf(conn: &Connection, code: &str) -> Result<Option<(String, String)>> {
    Ok(conn
        .prepare(
            "SELECT lower(niveau), libelle FROM ref_naf_libelle WHERE code = ?
             ORDER BY CASE lower(niveau) WHEN 'a38' THEN 0 WHEN 'a88' THEN 1 WHEN 'a21' THEN 2 ELSE 3 END LIMIT 1",
        )?
        .query_map([code], |r| Ok((r.get(0)?, r.get(1)?)))?
        .next()
        .transpose()?)
}
