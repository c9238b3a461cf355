//! The three download formats of a [`Table`]: CSV as French spreadsheets open it (UTF-8 with BOM,
//! `;`, decimal comma), XLSX (header row, a "Sources" sheet) and Parquet (typed columns, provenance
//! in the file's key–value metadata).
use anyhow::{Context, Result};
use rust_xlsxwriter::{Format, Workbook};

use super::table::{Cell, ColType, Table};

/// What every export says about itself: the address it answers, when, and from which sources.
pub struct About {
    pub url: String,
    /// `YYYY-MM-DD HH:MM` (Europe/Paris).
    pub extracted: String,
}

pub fn csv(table: &Table) -> Result<Vec<u8>> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut out);
        w.write_record(&table.columns)?;
        for row in &table.rows {
            w.write_record(row.iter().map(Cell::french))?;
        }
        w.flush()?;
    }
    Ok(out)
}

pub fn xlsx(table: &Table, about: &About) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let data = wb.add_worksheet();
    data.set_name("Données")?;
    for (j, c) in table.columns.iter().enumerate() {
        data.write_string_with_format(0, j as u16, c, &bold)?;
    }
    for (i, row) in table.rows.iter().enumerate() {
        let r = i as u32 + 1;
        for (j, cell) in row.iter().enumerate() {
            let c = j as u16;
            match cell {
                Cell::Null => {}
                Cell::Bool(b) => {
                    data.write_boolean(r, c, *b)?;
                }
                Cell::Int(n) => {
                    data.write_number(r, c, *n as f64)?;
                }
                Cell::Num(f) => {
                    data.write_number(r, c, *f)?;
                }
                Cell::Text(s) => {
                    data.write_string(r, c, s)?;
                }
            }
        }
    }
    if !table.columns.is_empty() {
        data.set_freeze_panes(1, 0)?;
        data.autofilter(
            0,
            0,
            table.rows.len() as u32,
            table.columns.len() as u16 - 1,
        )?;
    }
    let src = wb.add_worksheet();
    src.set_name("Sources")?;
    let head = [
        "Source",
        "Producteur",
        "Millésime",
        "Licence",
        "Adresse",
        "Méthode",
    ];
    for (j, h) in head.iter().enumerate() {
        src.write_string_with_format(0, j as u16, *h, &bold)?;
    }
    let get = |s: &serde_json::Value, k: &str| {
        s.get(k)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut r = 1;
    for s in &table.sources {
        let name = match get(s, "name") {
            n if n.is_empty() => get(s, "id"),
            n => n,
        };
        for (j, v) in [
            name,
            get(s, "publisher"),
            get(s, "vintage"),
            get(s, "licence"),
            get(s, "url"),
            get(s, "method"),
        ]
        .iter()
        .enumerate()
        {
            src.write_string(r, j as u16, v)?;
        }
        r += 1;
    }
    r += 1;
    for (k, v) in [
        ("Extrait de", about.url.as_str()),
        ("Extrait le", about.extracted.as_str()),
        ("Méthodes", &table.methods.join(", ")),
        ("Éditeur", "Observatoire emploi et compétences"),
    ] {
        src.write_string_with_format(r, 0, k, &bold)?;
        src.write_string(r, 1, v)?;
        r += 1;
    }
    wb.save_to_buffer().context("classeur XLSX")
}

fn sql_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Parquet through an in-memory DuckDB (the observatory's own engine, already linked): typed
/// columns, provenance and extraction date in the key–value metadata.
pub fn parquet(table: &Table, about: &About) -> Result<Vec<u8>> {
    let conn = duckdb::Connection::open_in_memory()?;
    let cols: Vec<String> = (0..table.columns.len())
        .map(|i| {
            let t = match table.col_type(i) {
                ColType::Bool => "BOOLEAN",
                ColType::Int => "BIGINT",
                ColType::Num => "DOUBLE",
                ColType::Text => "VARCHAR",
            };
            format!("\"{}\" {t}", table.columns[i].replace('"', "\"\""))
        })
        .collect();
    if cols.is_empty() {
        conn.execute_batch("CREATE TABLE t (vide VARCHAR)")?;
    } else {
        conn.execute_batch(&format!("CREATE TABLE t ({})", cols.join(", ")))?;
    }
    let types: Vec<ColType> = (0..table.columns.len())
        .map(|i| table.col_type(i))
        .collect();
    {
        let mut app = conn.appender("t")?;
        for row in &table.rows {
            let vals: Vec<duckdb::types::Value> = row
                .iter()
                .zip(&types)
                .map(|(c, t)| match (c, t) {
                    (Cell::Null, _) => duckdb::types::Value::Null,
                    (Cell::Bool(b), ColType::Bool) => duckdb::types::Value::Boolean(*b),
                    (Cell::Int(n), ColType::Int) => duckdb::types::Value::BigInt(*n),
                    (Cell::Int(n), ColType::Num) => duckdb::types::Value::Double(*n as f64),
                    (Cell::Num(f), ColType::Num) => duckdb::types::Value::Double(*f),
                    (c, _) => duckdb::types::Value::Text(match c {
                        Cell::Text(s) => s.clone(),
                        Cell::Int(n) => n.to_string(),
                        Cell::Num(f) => f.to_string(),
                        Cell::Bool(b) => b.to_string(),
                        Cell::Null => String::new(),
                    }),
                })
                .collect();
            app.append_row(duckdb::appender_params_from_iter(vals))?;
        }
        app.flush()?;
    }
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("export.parquet");
    conn.execute_batch(&format!(
        "COPY t TO {} (FORMAT parquet, COMPRESSION zstd, KV_METADATA {{source: {}, url: {}, extrait_le: {}, methode: {}}})",
        sql_quote(&path.display().to_string()),
        sql_quote(&table.sources_line()),
        sql_quote(&about.url),
        sql_quote(&about.extracted),
        sql_quote(&table.methods.join(", ")),
    ))?;
    Ok(std::fs::read(&path)?)
}
