//! Simplified geometries (WGS84 GeoJSON) of zones d'emploi, bassins BMO and départements, stored
//! one feature per row for server-rendered maps.
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use duckdb::Connection;

/// (kind, embedded file, property holding the code)
const LAYERS: &[(&str, &str, &str)] = &[
    ("ze", "ze2020_simplified.geojson.gz", "ze2020"),
    (
        "bassin",
        "bassins_bmo_simplified.geojson.gz",
        "code_bassin_bmo",
    ),
    ("dep", "departements_simplified.geojson.gz", "code"),
];

pub fn load(conn: &Connection, dir: &Path) -> Result<()> {
    let mut app = conn.appender("ref_geometry")?;
    for (kind, file, prop) in LAYERS {
        let path = dir.join(file);
        let mut text = String::new();
        flate2::read::GzDecoder::new(
            std::fs::File::open(&path)
                .with_context(|| format!("ouverture de {}", path.display()))?,
        )
        .read_to_string(&mut text)
        .with_context(|| format!("lecture de {}", path.display()))?;
        let doc: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("GeoJSON invalide : {}", path.display()))?;
        let features = doc["features"]
            .as_array()
            .with_context(|| format!("{} : pas de tableau `features`", path.display()))?;
        for (i, f) in features.iter().enumerate() {
            let code = f["properties"][prop].as_str().with_context(|| {
                format!("{} : entité {i} sans propriété `{prop}`", path.display())
            })?;
            app.append_row(duckdb::params![kind, code, f["geometry"].to_string()])?;
        }
    }
    app.flush()?;
    Ok(())
}
