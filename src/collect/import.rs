//! `observatoire import SOURCE FILE`: load an open-data file downloaded by hand (CSV, or a
//! spreadsheet read with calamine), in one transaction with the indicators that depend on it. A
//! malformed file is refused with the file, line/cell and problem, and nothing of it is written.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{anyhow, bail, Result};
use calamine::{Data, Reader};
use duckdb::Connection;

use super::Replace;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportSource {
    Bmo,
    DaresTensions,
    ChomageZe,
    UrssafZe,
    UrssafZeSecteur,
    Defm,
}

pub const SOURCES: &[(&str, ImportSource, &str)] = &[
    (
        "bmo",
        ImportSource::Bmo,
        "enquête BMO (CSV ou XLSX de France Travail)",
    ),
    (
        "dares-tensions",
        ImportSource::DaresTensions,
        "indicateurs de tension Dares (CSV)",
    ),
    (
        "chomage-ze",
        ImportSource::ChomageZe,
        "taux de chômage localisés par zone d'emploi (CSV ou XLSX Insee)",
    ),
    (
        "urssaf-ze",
        ImportSource::UrssafZe,
        "effectifs salariés par zone d'emploi (export CSV Urssaf)",
    ),
    (
        "urssaf-ze-secteur",
        ImportSource::UrssafZeSecteur,
        "établissements et effectifs par zone d'emploi × APE (export CSV Urssaf)",
    ),
    (
        "defm",
        ImportSource::Defm,
        "demandeurs d'emploi par département (CSV Dares)",
    ),
];

impl FromStr for ImportSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        SOURCES
            .iter()
            .find(|(n, _, _)| *n == s)
            .map(|(_, k, _)| *k)
            .ok_or_else(|| {
                format!(
                    "source inconnue {s:?} ; sources possibles : {}",
                    SOURCES
                        .iter()
                        .map(|(n, _, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

impl ImportSource {
    /// The `sources` row this import feeds.
    pub fn source_id(&self) -> &'static str {
        match self {
            ImportSource::Bmo => super::bmo::SOURCE.id,
            ImportSource::DaresTensions => super::dares::SOURCE.id,
            ImportSource::ChomageZe => super::chomage::SOURCE.id,
            ImportSource::UrssafZe => super::urssaf::SOURCE.id,
            ImportSource::UrssafZeSecteur => super::urssaf::SOURCE_SECTEUR.id,
            ImportSource::Defm => super::defm::SOURCE.id,
        }
    }
}

#[derive(Debug, serde::Serialize)]
pub struct ImportReport {
    pub rows: i64,
    pub vintage: String,
}

/// A spreadsheet's first sheet (or the sheet holding the header) written as CSV; the header row
/// is the first row holding `header_hint`, in any case (banner rows above it are dropped).
fn spreadsheet_to_csv(file: &Path, header_hint: &str) -> Result<(tempfile::NamedTempFile, usize)> {
    let mut wb = calamine::open_workbook_auto(file)
        .map_err(|e| anyhow!("{} : classeur illisible : {e}", file.display()))?;
    let names = wb.sheet_names().to_vec();
    for name in &names {
        let range = wb
            .worksheet_range(name)
            .map_err(|e| anyhow!("{} : feuille {name:?} illisible : {e}", file.display()))?;
        let rows: Vec<&[Data]> = range.rows().collect();
        let Some(header) = rows.iter().position(|r| {
            r.iter()
                .any(|c| matches!(c, Data::String(s) if s.trim().eq_ignore_ascii_case(header_hint)))
        }) else {
            continue;
        };
        let mut out = tempfile::Builder::new().suffix(".csv").tempfile()?;
        {
            let mut w = std::io::BufWriter::new(out.as_file_mut());
            for row in &rows[header..] {
                let line: Vec<String> = row.iter().map(cell_text).map(|s| csv_quote(&s)).collect();
                writeln!(w, "{}", line.join(","))?;
            }
        }
        // the sheet's row number of the header (1-based), for messages
        return Ok((
            out,
            range.start().map_or(0, |(r, _)| r as usize) + header + 1,
        ));
    }
    bail!(
        "{} : aucune feuille ne contient d'en-tête « {header_hint} » (feuilles : {})",
        file.display(),
        names.join(", ")
    )
}

fn cell_text(c: &Data) -> String {
    match c {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::DateTime(d) => d.to_string(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn csv_quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn header_hint(source: ImportSource) -> &'static str {
    match source {
        ImportSource::Bmo => "Code métier BMO",
        ImportSource::DaresTensions => "fap",
        ImportSource::ChomageZe => "ZE2020",
        ImportSource::UrssafZe => "trimestre",
        ImportSource::UrssafZeSecteur => "APE",
        ImportSource::Defm => "code_departement",
    }
}

/// Loads `file` as `source` inside one transaction (replacing the periods × territories it
/// holds) and marks its data changed (the derived tables are rebuilt after it).
pub fn import(conn: &mut Connection, source: ImportSource, file: &Path) -> Result<ImportReport> {
    import_cancellable(
        conn,
        source,
        file,
        Replace::Keys,
        &crate::schedule::context::Cancel::default(),
    )
}

/// [`import`] with a replacement mode, refusing to commit once `cancel` is set (job timeout or
/// shutdown).
pub fn import_cancellable(
    conn: &mut Connection,
    source: ImportSource,
    file: &Path,
    mode: Replace,
    cancel: &crate::schedule::context::Cancel,
) -> Result<ImportReport> {
    if !file.is_file() {
        bail!("fichier introuvable : {}", file.display());
    }
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let converted;
    let (path, offset): (PathBuf, usize) = if ["xlsx", "xlsm", "xls", "ods"].contains(&ext.as_str())
    {
        let (tmp, header_row) = spreadsheet_to_csv(file, header_hint(source))?;
        converted = tmp;
        (converted.path().to_path_buf(), header_row - 1)
    } else {
        (file.to_path_buf(), 0)
    };
    let tx = conn.transaction()?;
    let loaded = match source {
        ImportSource::Bmo => super::bmo::load(&tx, &path, mode),
        ImportSource::DaresTensions => super::dares::load_tensions(&tx, &path, mode),
        ImportSource::ChomageZe => super::chomage::load(&tx, &path, mode),
        ImportSource::UrssafZe => super::urssaf::load_ze(&tx, &path, mode),
        ImportSource::UrssafZeSecteur => super::urssaf::load_ze_secteur(&tx, &path, mode),
        ImportSource::Defm => super::defm::load(&tx, &path, mode),
    };
    let rows = loaded.map_err(|e| {
        // Messages name the file the user gave, and sheet rows for spreadsheets.
        let msg =
            format!("{e:#}").replace(&path.display().to_string(), &file.display().to_string());
        if offset > 0 {
            anyhow!("{}", shift_lines(&msg, offset))
        } else {
            anyhow!("{msg}")
        }
    })?;
    crate::failpoint!("import::after_load", source.source_id());
    let id = source.source_id();
    crate::store::changes::mark_changed(&tx, id)?;
    let vintage: String = tx.query_row(
        "SELECT vintage FROM sources WHERE source_id = ?",
        [id],
        |r| r.get(0),
    )?;
    cancel.check()?;
    tx.commit()?;
    Ok(ImportReport { rows, vintage })
}

/// "ligne N" of the converted CSV → the spreadsheet's row number.
fn shift_lines(msg: &str, offset: usize) -> String {
    let re = regex::Regex::new(r"ligne (\d+)").expect("regex");
    re.replace_all(msg, |c: &regex::Captures| {
        let n: usize = c[1].parse().unwrap_or(0);
        format!("ligne {} de la feuille", n + offset)
    })
    .into_owned()
}
