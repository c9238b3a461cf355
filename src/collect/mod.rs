//! Collect step: each source in its own file. A loader reads one file (the embedded default or a
//! file given by the user) into its raw table inside the caller's transaction, then records the
//! source's provenance in `sources`.
pub mod bmo;
pub mod boards;
pub mod chomage;
pub mod dares;
pub mod defm;
pub mod francetravail;
pub mod ft_offres_sample;
pub mod http;
pub mod import;
pub mod marche_travail;
pub mod opendata;
pub mod privacy;
pub mod urssaf;

use std::path::Path;

use anyhow::{Context, Result};
use duckdb::Connection;

use crate::store::sql_path;

/// Provenance of a dataset, shown beside every figure that comes from it.
pub struct SourceMeta<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub publisher: &'a str,
    pub vintage: &'a str,
    pub licence: &'a str,
    pub url: &'a str,
    /// Anchor of its section in `/methodologie`.
    pub method_anchor: &'a str,
    /// Length of one period of the data, in days (1 for a daily collection, 92 for a quarterly
    /// series); `None` for nomenclatures and fixed samples, which are never stale.
    pub expected_period_days: Option<i64>,
    /// Days from the start of a period to its publication (the publisher's usual delay, with a
    /// little grace). The data is stale once the next period should have been published:
    /// `data_date + period + lag < today`.
    pub publication_lag_days: Option<i64>,
}

pub const LICENCE_OUVERTE: &str = "Licence Ouverte / Etalab 2.0";

/// `read_csv(...)` over a (possibly gzipped) CSV, every column as text so that codes keep their
/// leading zeros; loaders cast explicitly so a malformed value fails loudly.
pub fn csv(path: &Path) -> String {
    format!(
        "read_csv({}, header = true, all_varchar = true)",
        sql_path(path)
    )
}

/// Runs one loader statement, naming the file in any error.
pub fn exec(conn: &Connection, sql: &str, file: &Path) -> Result<usize> {
    conn.execute(sql, [])
        .map_err(|e| anyhow::anyhow!(crate::store::one_line(&e.to_string())))
        .with_context(|| format!("chargement de {}", file.display()))
}

/// Records (or replaces) the provenance row of a source after a successful load, with the
/// vintage of the static description.
pub fn record_source(
    conn: &Connection,
    meta: &SourceMeta,
    rows: i64,
    data_date: Option<&str>,
) -> Result<()> {
    record_source_vintage(conn, meta, rows, data_date, meta.vintage)
}

/// Same, with the vintage read from the data loaded.
pub fn record_source_vintage(
    conn: &Connection,
    meta: &SourceMeta,
    rows: i64,
    data_date: Option<&str>,
    vintage: &str,
) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS DATE), ?, now()::TIMESTAMP, ?, now()::TIMESTAMP, ?)",
        duckdb::params![
            meta.id,
            meta.name,
            meta.publisher,
            vintage,
            meta.licence,
            meta.url,
            meta.method_anchor,
            data_date,
            meta.expected_period_days,
            rows,
            meta.publication_lag_days
        ],
    )?;
    Ok(())
}

/// Loads every embedded dataset from `dir` (extracted default files).
pub fn load_defaults(conn: &Connection, dir: &Path) -> Result<()> {
    ft_offres_sample::load(conn, dir)?;
    bmo::load(conn, &dir.join(bmo::DEFAULT_FILE), Replace::Keys)?;
    dares::load(conn, dir)?;
    chomage::load(conn, &dir.join(chomage::DEFAULT_FILE), Replace::Keys)?;
    urssaf::load(conn, dir)?;
    defm::load(conn, &dir.join(defm::DEFAULT_FILE), Replace::Keys)?;
    Ok(())
}

/// How an import replaces what is stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Replace {
    /// Exactly the periods × territories present in the file (the default).
    #[default]
    Keys,
    /// The whole series (`import … --replace-all`).
    All,
}

/// Replaces rows of `table` by the rows of `select` (a query producing the table's columns in
/// order): with [`Replace::Keys`], the stored rows whose `keys` (period and territory columns)
/// appear in the new rows; with [`Replace::All`], every row. A keyed replacement that would
/// delete more rows than it brings is refused: it would shrink a series the file only
/// partly covers. Returns (deleted, inserted). Runs in the caller's transaction.
pub fn replace_rows(
    conn: &Connection,
    table: &str,
    select: &str,
    keys: &[&str],
    mode: Replace,
    file: &Path,
) -> Result<(i64, i64)> {
    exec(
        conn,
        &format!("CREATE OR REPLACE TEMP TABLE replace_stage AS {select}"),
        file,
    )?;
    let inserted = count(conn, "SELECT count(*) FROM replace_stage")?;
    let deleted = match mode {
        Replace::All => exec(conn, &format!("DELETE FROM {table}"), file)? as i64,
        Replace::Keys => {
            let on = keys
                .iter()
                .map(|k| format!("t.{k} IS NOT DISTINCT FROM s.{k}"))
                .collect::<Vec<_>>()
                .join(" AND ");
            exec(
                conn,
                &format!(
                    "DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM (SELECT DISTINCT {k} FROM replace_stage) s WHERE {on})",
                    k = keys.join(", ")
                ),
                file,
            )? as i64
        }
    };
    if mode == Replace::Keys && deleted > inserted {
        anyhow::bail!(
            "{} : l'import supprimerait {deleted} lignes déjà enregistrées pour n'en apporter que {inserted} \
             (mêmes {} que le fichier) ; rien n'a été importé. Pour remplacer toute la série par ce fichier, \
             relancez avec --replace-all",
            file.display(),
            keys.join(" × ")
        );
    }
    exec(
        conn,
        &format!("INSERT INTO {table} SELECT * FROM replace_stage"),
        file,
    )?;
    exec(conn, "DROP TABLE replace_stage", file)?;
    Ok((deleted, inserted))
}

pub fn count(conn: &Connection, sql: &str) -> Result<i64> {
    Ok(conn.query_row(sql, [], |r| r.get(0))?)
}

/// Expected content of a column, checked before loading so that a malformed file is refused with
/// the file, line, column and value at fault, and nothing of it is written.
#[derive(Clone, Copy, PartialEq)]
pub enum Col {
    /// Any text, may be empty.
    Text,
    /// Non-empty text (a code).
    Code,
    /// Integer.
    Int,
    /// Integer, or `*` (statistical secrecy), or empty.
    IntOrSecret,
    /// Decimal number, may be empty.
    Decimal,
    /// Quarter `YYYY-Tn`.
    Quarter,
    /// Month `YYYY-MM`.
    Month,
}

fn col_check(kind: Col, col: &str) -> Option<(String, &'static str)> {
    let c = format!("\"{}\"", col.replace('"', "\"\""));
    let v = format!("trim({c})");
    let (bad, what) = match kind {
        Col::Text => return None,
        Col::Code => (format!("{c} IS NULL OR {v} = ''"), "valeur vide"),
        Col::Int => (
            format!("{c} IS NULL OR TRY_CAST({v} AS BIGINT) IS NULL"),
            "nombre entier attendu",
        ),
        Col::IntOrSecret => (
            format!("{v} NOT IN ('', '*') AND TRY_CAST({v} AS BIGINT) IS NULL"),
            "nombre entier ou « * » (secret) attendu",
        ),
        Col::Decimal => (
            format!("{v} <> '' AND TRY_CAST(replace({v}, ',', '.') AS DOUBLE) IS NULL"),
            "nombre attendu",
        ),
        Col::Quarter => (
            format!("{c} IS NULL OR NOT regexp_full_match({v}, '[0-9]{{4}}-T[1-4]')"),
            "trimestre AAAA-Tn attendu",
        ),
        Col::Month => (
            format!("{c} IS NULL OR NOT regexp_full_match({v}, '[0-9]{{4}}-(0[1-9]|1[0-2])')"),
            "mois AAAA-MM attendu",
        ),
    };
    Some((bad, what))
}

/// Column letters of a spreadsheet (0 → A, 26 → AA), for messages about converted XLSX files.
pub fn column_letter(mut i: usize) -> String {
    let mut s = String::new();
    loop {
        s.insert(0, (b'A' + (i % 26) as u8) as char);
        if i < 26 {
            return s;
        }
        i = i / 26 - 1;
    }
}

/// Checks that `file` has the columns of `spec` and that every value fits; the error names the
/// file, the line (header = line 1), the column and the value.
pub fn validate(conn: &Connection, file: &Path, label: &str, spec: &[(&str, Col)]) -> Result<()> {
    validate_from(conn, &csv(file), label, spec)
}

/// [`validate`] over any relation (`from` is a table name or a table function call).
pub fn validate_from(
    conn: &Connection,
    from: &str,
    label: &str,
    spec: &[(&str, Col)],
) -> Result<()> {
    let cols = columns(conn, from, label)?;
    let missing: Vec<&str> = spec
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| !cols.iter().any(|x| x == c))
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "{label} : colonne(s) manquante(s) : {} (colonnes trouvées : {})",
            missing.join(", "),
            cols.join(", ")
        );
    }
    let checks: Vec<(usize, &str, String, &str)> = spec
        .iter()
        .filter_map(|(c, k)| {
            let (bad, what) = col_check(*k, c)?;
            Some((cols.iter().position(|x| x == c).unwrap_or(0), *c, bad, what))
        })
        .collect();
    if checks.is_empty() {
        return Ok(());
    }
    let cond = checks
        .iter()
        .map(|(_, _, b, _)| format!("coalesce(({b}), false)"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let sql = format!(
        "SELECT * FROM (SELECT *, row_number() OVER () + 1 AS __ligne FROM {from}) WHERE {cond} ORDER BY __ligne LIMIT 1"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    if let Some(row) = rows.next()? {
        let line: i64 = row.get(cols.len())?;
        for (pos, col, bad, what) in &checks {
            let value: Option<String> = row.get(*pos)?;
            let one: bool = conn.query_row(
                &format!(
                    "SELECT coalesce(({bad}), false) FROM (SELECT ?::VARCHAR AS \"{}\")",
                    col.replace('"', "\"\"")
                ),
                [value.clone()],
                |r| r.get(0),
            )?;
            if one {
                anyhow::bail!(
                    "{label}, ligne {line}, colonne « {col} » ({}) : valeur {:?} invalide, {what} ; rien n'a été importé",
                    column_letter(*pos),
                    value.unwrap_or_default()
                );
            }
        }
        anyhow::bail!("{label}, ligne {line} : valeur invalide ; rien n'a été importé");
    }
    Ok(())
}

/// The column names of `from` (a table or a `read_csv(...)` query); a file DuckDB cannot read as
/// CSV is an error naming it.
pub fn columns(conn: &Connection, from: &str, label: &str) -> Result<Vec<String>> {
    conn.prepare(&format!("DESCRIBE SELECT * FROM {from}"))
        .and_then(|mut st| st.query_map([], |r| r.get::<_, String>(0))?.collect())
        .map_err(|e| {
            anyhow::anyhow!(
                "{label} : fichier illisible comme CSV : {}",
                crate::store::one_line(&e.to_string())
            )
        })
}

/// `read_csv` of a user's file with normalised column names (lower case, accents and punctuation
/// folded to `_`), every column as text.
pub fn csv_normalised(path: &Path) -> String {
    format!(
        "(SELECT * FROM read_csv({}, header = true, all_varchar = true, normalize_names = true))",
        crate::store::sql_path(path)
    )
}

/// The first of `candidates` present in `cols`.
pub fn pick(cols: &[String], candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .find(|c| cols.iter().any(|x| x == *c))
        .map(|c| c.to_string())
}
