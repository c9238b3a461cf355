//! `observatoire export --parquet DIR`: every derived table (`ind_*`, `fc_*`) as Hive-partitioned
//! Parquet — `DIR/<table>/kind=<kind>/annee=<year>/*.parquet` — for DuckDB, Spark or Trino at a
//! regional or national network, with a `manifest.json` (rows, partitions, provenance, date).
//!
//! All tables are written under a temporary folder inside `DIR` and each replaces its previous
//! export only once every table is written: a failed export leaves the previous one whole.
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use duckdb::Connection;
use serde_json::json;

/// Columns a year can be read from, in order of preference (`annee`, or the first four digits of
/// a period such as `2024-Q1`, `2024-03`, `2023T3`); periods without a year (`actuel`) form
/// their own partition.
const YEAR_COLUMNS: [&str; 6] = [
    "annee",
    "annee_fin",
    "trimestre",
    "periode",
    "period",
    "last_period",
];

#[derive(Debug)]
pub struct TableExport {
    pub table: String,
    pub rows: i64,
    pub partitions: Vec<String>,
}

fn derived_tables(conn: &Connection) -> Result<Vec<(String, Vec<String>)>> {
    let tables: Vec<String> = conn
        .prepare(
            "SELECT table_name FROM duckdb_tables()
             WHERE schema_name = 'main' AND (table_name LIKE 'ind\\_%' ESCAPE '\\' OR table_name LIKE 'fc\\_%' ESCAPE '\\')
             ORDER BY table_name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    tables
        .into_iter()
        .map(|t| {
            let cols: Vec<String> = conn
                .prepare("SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ? ORDER BY column_index")?
                .query_map([&t], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            Ok((t, cols))
        })
        .collect()
}

/// Writes every derived table under `dir`; returns what was written.
pub fn parquet(conn: &Connection, dir: &Path) -> Result<Vec<TableExport>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("impossible de créer le dossier {}", dir.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".export-")
        .tempdir_in(dir)
        .with_context(|| format!("impossible d'écrire dans {}", dir.display()))?;
    let tables = derived_tables(conn)?;
    if tables.is_empty() {
        bail!("aucune table dérivée dans la base : lancez d'abord `observatoire init`");
    }
    let mut out = Vec::new();
    for (table, cols) in &tables {
        let has = |c: &str| cols.iter().any(|x| x == c);
        let year_col = YEAR_COLUMNS.iter().find(|c| has(c));
        let mut partitions = Vec::new();
        if has("kind") {
            partitions.push("kind".to_string());
        }
        let select = match year_col {
            Some(&"annee") => {
                partitions.push("annee".into());
                format!("SELECT * FROM \"{table}\"")
            }
            Some(c) => {
                partitions.push("annee".into());
                format!(
                    "SELECT *, CASE WHEN regexp_matches(\"{c}\"::VARCHAR, '^[0-9]{{4}}') THEN left(\"{c}\"::VARCHAR, 4)
                                    ELSE 'sans' END AS annee
                     FROM \"{table}\""
                )
            }
            None => format!("SELECT * FROM \"{table}\""),
        };
        let rows: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
            r.get(0)
        })?;
        let target = staging.path().join(table);
        let options = if partitions.is_empty() {
            std::fs::create_dir_all(&target)?;
            "FORMAT parquet, COMPRESSION zstd".to_string()
        } else {
            format!(
                "FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({}), OVERWRITE_OR_IGNORE",
                partitions.join(", ")
            )
        };
        let dest = if partitions.is_empty() {
            target.join("data.parquet")
        } else {
            target.clone()
        };
        if rows == 0 && !partitions.is_empty() {
            // an empty table still gets its schema, in one unpartitioned file
            std::fs::create_dir_all(&target)?;
            conn.execute_batch(&format!(
                "COPY ({select}) TO {} (FORMAT parquet)",
                super::sql_path(&target.join("data.parquet"))
            ))
            .with_context(|| format!("export de {table}"))?;
        } else {
            conn.execute_batch(&format!(
                "COPY ({select}) TO {} ({options})",
                super::sql_path(&dest)
            ))
            .with_context(|| format!("export de {table}"))?;
        }
        out.push(TableExport {
            table: table.clone(),
            rows,
            partitions,
        });
    }
    let sources: Vec<serde_json::Value> = conn
        .prepare("SELECT source_id, name, publisher, vintage, licence, url FROM sources ORDER BY source_id")?
        .query_map([], |r| {
            Ok(json!({"id": r.get::<_, String>(0)?, "name": r.get::<_, String>(1)?,
                      "publisher": r.get::<_, String>(2)?, "vintage": r.get::<_, String>(3)?,
                      "licence": r.get::<_, String>(4)?, "url": r.get::<_, Option<String>>(5)?}))
        })?
        .collect::<Result<_, _>>()?;
    let manifest = json!({
        "exported_at": chrono::Utc::now().to_rfc3339(),
        "observatoire": env!("CARGO_PKG_VERSION"),
        "layout": "Hive : <table>/kind=<type de territoire>/annee=<année>/*.parquet ; « annee=sans » : lignes sans année (offres actuelles)",
        "read_with": "SELECT * FROM read_parquet('<dossier>/ind_tension/**/*.parquet', hive_partitioning = true)",
        "method": "/methodologie",
        "tables": out.iter().map(|t| json!({"table": t.table, "rows": t.rows, "partitions": t.partitions})).collect::<Vec<_>>(),
        "sources": sources,
    });
    std::fs::write(
        staging.path().join("manifest.json"),
        serde_json::to_vec_pretty(&manifest)?,
    )?;
    // every table written: replace the previous export, table by table
    let staged = staging.keep();
    let result = (|| -> Result<()> {
        for name in out
            .iter()
            .map(|t| t.table.as_str())
            .chain(["manifest.json"])
        {
            let final_path: PathBuf = dir.join(name);
            if final_path.is_dir() {
                std::fs::remove_dir_all(&final_path)?;
            } else if final_path.exists() {
                std::fs::remove_file(&final_path)?;
            }
            std::fs::rename(staged.join(name), &final_path)?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&staged);
    result.with_context(|| format!("remplacement de l'export précédent dans {}", dir.display()))?;
    Ok(out)
}
