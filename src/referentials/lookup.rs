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

/// Territories whose name, or one of whose communes' name, contains `q` (case- and
/// accent-insensitive, taken literally: `%` and `_` are ordinary characters), or whose code is
/// `q`. Exact names first, then names starting with `q`; at most 60.
pub fn search(conn: &Connection, q: &str) -> Result<Vec<SearchHit>> {
    Ok(conn
        .prepare(
            "WITH needle AS (SELECT strip_accents(lower(?1)) AS n),
             hits AS (
                SELECT kind, code, libelle, NULL AS via, 0 AS rank,
                       strip_accents(lower(libelle)) AS name FROM territory
                WHERE contains(strip_accents(lower(libelle)), (SELECT n FROM needle)) OR code = ?1
                UNION ALL
                SELECT t.kind, t.code, t.libelle, c.libelle || ' (' || c.code || ')', 1,
                       strip_accents(lower(c.libelle))
                FROM ref_commune c JOIN territory_commune tc ON tc.commune = c.code
                JOIN territory t ON t.kind = tc.kind AND t.code = tc.code
                WHERE (contains(strip_accents(lower(c.libelle)), (SELECT n FROM needle)) OR c.code = ?1)
                  AND t.kind IN ('ze', 'bassin'))
             SELECT kind, code, libelle, via FROM hits
             -- exact names first, then names starting with the query, then the rest
             ORDER BY CASE WHEN name = (SELECT n FROM needle) THEN 0
                           WHEN starts_with(name, (SELECT n FROM needle)) THEN 1 ELSE 2 END,
                      rank, CASE kind WHEN 'ze' THEN 0 WHEN 'bassin' THEN 1 WHEN 'dep' THEN 2 ELSE 3 END, libelle
             LIMIT 60",
        )?
        .query_map([q], |r| {
            Ok(SearchHit {
                kind: r.get(0)?,
                code: r.get(1)?,
                libelle: r.get(2)?,
                via: r.get(3)?,
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
