//! A JSON collection of the API turned into one flat table: the rows of its `items` (or the
//! top-level array, or its one array of objects), nested objects flattened into dotted columns
//! (`components.offres.value`), `sources` joined into one readable cell, and a row's one nested
//! list of objects (a forecast's points) exploded into one row per element.
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    Text(String),
}

impl Cell {
    /// The cell as text, numbers with a decimal comma (what French spreadsheets read).
    pub fn french(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Bool(b) => if *b { "oui" } else { "non" }.into(),
            Cell::Int(i) => i.to_string(),
            Cell::Num(f) => f.to_string().replace('.', ","),
            Cell::Text(s) => s.clone(),
        }
    }
}

/// Column type, for the Parquet export.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColType {
    Bool,
    Int,
    Num,
    Text,
}

#[derive(Debug, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Provenance objects (`name`, `publisher`, `vintage`, `licence`, `url`, `method`) met in the
    /// document, each once.
    pub sources: Vec<Value>,
    /// `/methodologie#…` links met in the document.
    pub methods: Vec<String>,
}

impl Table {
    pub fn col_type(&self, i: usize) -> ColType {
        let mut t: Option<ColType> = None;
        for row in &self.rows {
            let c = match &row[i] {
                Cell::Null => continue,
                Cell::Bool(_) => ColType::Bool,
                Cell::Int(_) => ColType::Int,
                Cell::Num(_) => ColType::Num,
                Cell::Text(_) => ColType::Text,
            };
            t = Some(match (t, c) {
                (None, c) => c,
                (Some(a), b) if a == b => a,
                (Some(ColType::Int), ColType::Num) | (Some(ColType::Num), ColType::Int) => {
                    ColType::Num
                }
                _ => ColType::Text,
            });
        }
        t.unwrap_or(ColType::Text)
    }

    /// One-line provenance: "publisher, name (millésime v) ; …".
    pub fn sources_line(&self) -> String {
        self.sources
            .iter()
            .map(source_text)
            .collect::<Vec<_>>()
            .join(" ; ")
    }
}

fn source_text(s: &Value) -> String {
    let get = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("");
    let mut out = match (get("publisher"), get("name")) {
        ("", "") => get("id").to_string(),
        ("", n) => n.to_string(),
        (p, n) => format!("{p}, {n}"),
    };
    if !get("vintage").is_empty() {
        out.push_str(&format!(" (millésime {})", get("vintage")));
    }
    out
}

/// The rows of a collection document, or `None` when it holds no list of rows.
fn rows_of(doc: &Value) -> Option<&Vec<Value>> {
    match doc {
        Value::Array(a) => Some(a),
        Value::Object(o) => o.get("items").and_then(Value::as_array).or_else(|| {
            // a document with one list of objects, maybe empty (a filière's métiers)
            let lists: Vec<&Vec<Value>> = o
                .iter()
                .filter(|(k, _)| k.as_str() != "sources")
                .filter_map(|(_, v)| v.as_array())
                .filter(|a| a.first().is_none_or(Value::is_object))
                .collect();
            (lists.len() == 1).then(|| lists[0])
        }),
        _ => None,
    }
}

fn is_source_list(k: &str, v: &Value) -> bool {
    k == "sources" && v.as_array().is_some_and(|a| a.iter().all(Value::is_object))
}

/// Flattens one object into `(column, cell)` pairs; returns the key and elements of its one nested
/// list of objects, if any (exploded by the caller).
fn flatten<'a>(
    prefix: &str,
    obj: &'a Map<String, Value>,
    out: &mut Vec<(String, Cell)>,
    nested: &mut Vec<(String, &'a Vec<Value>)>,
    table: &mut Table,
) {
    for (k, v) in obj {
        let name = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Null => out.push((name, Cell::Null)),
            Value::Bool(b) => out.push((name, Cell::Bool(*b))),
            Value::Number(n) => out.push((
                name,
                n.as_i64()
                    .map(Cell::Int)
                    .unwrap_or_else(|| Cell::Num(n.as_f64().unwrap_or(f64::NAN))),
            )),
            Value::String(s) => {
                if k == "method" && s.starts_with("/methodologie") && !table.methods.contains(s) {
                    table.methods.push(s.clone());
                }
                out.push((name, Cell::Text(s.clone())))
            }
            Value::Object(o) => flatten(&name, o, out, nested, table),
            Value::Array(a) if is_source_list(k, v) => {
                for s in a {
                    if !table.sources.contains(s) {
                        table.sources.push(s.clone());
                    }
                }
                let text = a.iter().map(source_text).collect::<Vec<_>>().join(" ; ");
                out.push((name, Cell::Text(text)));
            }
            Value::Array(a) if a.first().is_some_and(Value::is_object) => {
                nested.push((name, a));
            }
            Value::Array(a) => {
                let text = a
                    .iter()
                    .map(|x| match x {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push((name, Cell::Text(text)));
            }
        }
    }
}

/// The table of a collection document; `None` when it is not a collection.
pub fn from_json(doc: &Value) -> Option<Table> {
    let rows = rows_of(doc)?;
    let mut table = Table::default();
    // provenance given once for the whole document
    if let Some(o) = doc.as_object() {
        let mut ignored = Vec::new();
        let mut nested = Vec::new();
        let top: Map<String, Value> = o
            .iter()
            .filter(|(k, v)| k.as_str() == "method" || is_source_list(k, v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        flatten("", &top, &mut ignored, &mut nested, &mut table);
    }
    let mut flat_rows: Vec<Vec<(String, Cell)>> = Vec::new();
    for row in rows {
        let Some(obj) = row.as_object() else {
            flat_rows.push(vec![("valeur".into(), scalar(row))]);
            continue;
        };
        let mut cells = Vec::new();
        let mut nested = Vec::new();
        flatten("", obj, &mut cells, &mut nested, &mut table);
        // explode the row's one list of objects; several lists stay as JSON text
        if nested.len() == 1 && !nested[0].1.is_empty() {
            let (key, list) = nested.pop().expect("one list");
            for el in list {
                let mut c = cells.clone();
                let mut inner_nested = Vec::new();
                match el.as_object() {
                    Some(o) => flatten(&key, o, &mut c, &mut inner_nested, &mut table),
                    None => c.push((key.clone(), scalar(el))),
                }
                for (k, l) in inner_nested {
                    c.push((k, Cell::Text(Value::Array(l.clone()).to_string())));
                }
                flat_rows.push(c);
            }
        } else {
            for (k, l) in nested {
                cells.push((k, Cell::Text(Value::Array(l.clone()).to_string())));
            }
            flat_rows.push(cells);
        }
    }
    for row in &flat_rows {
        for (k, _) in row {
            if !table.columns.contains(k) {
                table.columns.push(k.clone());
            }
        }
    }
    table.rows = flat_rows
        .into_iter()
        .map(|row| {
            let mut cells = vec![Cell::Null; table.columns.len()];
            for (k, v) in row {
                let i = table.columns.iter().position(|c| *c == k).expect("column");
                cells[i] = v;
            }
            cells
        })
        .collect();
    Some(table)
}

fn scalar(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Bool(b) => Cell::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map(Cell::Int)
            .unwrap_or(Cell::Num(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => Cell::Text(s.clone()),
        other => Cell::Text(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_flattened_and_points_exploded() {
        let doc = json!({
            "method": "/methodologie#previsions",
            "items": [
                {"family": "chomage", "acc": {"mase": 1.5}, "forecast": [
                    {"period": "2024-Q1", "mean": 7.5}, {"period": "2024-Q2", "mean": 7.25}],
                 "sources": [{"id": "x", "name": "Taux", "publisher": "Insee", "vintage": "2023T3"}]},
                {"family": "emploi", "acc": {"mase": 2}, "forecast": []}
            ]
        });
        let t = from_json(&doc).unwrap();
        assert_eq!(
            t.columns,
            [
                "family",
                "acc.mase",
                "sources",
                "forecast.period",
                "forecast.mean",
                "forecast"
            ]
        );
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[1][4], Cell::Num(7.25));
        assert_eq!(
            t.rows[0][2],
            Cell::Text("Insee, Taux (millésime 2023T3)".into())
        );
        assert_eq!(t.col_type(1), ColType::Num);
        assert_eq!(t.methods, ["/methodologie#previsions"]);
        assert_eq!(t.sources.len(), 1);
        assert_eq!(Cell::Num(7.25).french(), "7,25");
        assert!(from_json(&json!({"a": 1})).is_none());
    }
}
