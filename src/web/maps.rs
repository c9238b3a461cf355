//! Server-rendered SVG maps of the shipped geometries (`ref_geometry`, WGS84): metropolitan
//! France in the main frame and the overseas territories as insets. One `<path>` per area, each
//! with its name as `<title>` and, when given, a link to its territory. Read once (the geometries
//! are a referential) and projected to screen coordinates with points closer than a pixel merged.
use std::collections::HashMap;
use std::fmt::Write;

use anyhow::Result;
use duckdb::Connection;

use super::charts::esc;

pub const W: f64 = 600.0;
const MAIN_H: f64 = 560.0;
const INSET_H: f64 = 90.0;
pub const H: f64 = MAIN_H + INSET_H + 8.0;

/// Frames: metropolitan France, then the overseas insets (name, lat range).
const GROUPS: [(&str, f64, f64); 6] = [
    ("France métropolitaine", 40.0, 52.0),
    ("Guadeloupe", 15.7, 16.7),
    ("Martinique", 14.2, 15.0),
    ("Guyane", 1.5, 6.5),
    ("La Réunion", -21.5, -20.7),
    ("Mayotte", -13.2, -12.5),
];

fn group_of(lat: f64) -> Option<usize> {
    GROUPS
        .iter()
        .position(|(_, lo, hi)| lat >= *lo && lat <= *hi)
}

/// The frame of group `g` on screen: `(x, y, w, h)`.
fn frame(g: usize) -> (f64, f64, f64, f64) {
    if g == 0 {
        (0.0, 0.0, W, MAIN_H)
    } else {
        let w = W / 5.0;
        ((g - 1) as f64 * w, MAIN_H + 8.0, w - 6.0, INSET_H)
    }
}

struct Area {
    code: String,
    /// Screen-space path data.
    d: String,
    /// The same, with points closer than 3 px merged (background of small locator maps).
    coarse: String,
}

/// Every layer (`ze`, `bassin`, `dep`) projected once.
pub struct Geo {
    layers: HashMap<String, Vec<Area>>,
}

type Ring = Vec<(f64, f64)>;
/// kind, code, rings with their frame.
type ParsedArea = (String, String, Vec<(usize, Ring)>);

fn rings(g: &serde_json::Value) -> Vec<Ring> {
    let mut out = Vec::new();
    let poly = |p: &serde_json::Value, out: &mut Vec<Ring>| {
        for ring in p.as_array().into_iter().flatten() {
            let pts: Ring = ring
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| Some((c.get(0)?.as_f64()?, c.get(1)?.as_f64()?)))
                .collect();
            if pts.len() >= 3 {
                out.push(pts);
            }
        }
    };
    match g["type"].as_str() {
        Some("Polygon") => poly(&g["coordinates"], &mut out),
        Some("MultiPolygon") => {
            for p in g["coordinates"].as_array().into_iter().flatten() {
                poly(p, &mut out);
            }
        }
        _ => {}
    }
    out
}

impl Geo {
    pub fn load(conn: &Connection) -> Result<Geo> {
        let rows: Vec<(String, String, String)> = conn
            .prepare("SELECT kind, code, geojson FROM ref_geometry ORDER BY kind, code")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        // rings per area, grouped by frame (from the ring's first point)
        let mut parsed: Vec<ParsedArea> = Vec::new();
        for (kind, code, text) in rows {
            let g: serde_json::Value = serde_json::from_str(&text)?;
            let rs = rings(&g)
                .into_iter()
                .filter_map(|r| group_of(r[0].1).map(|grp| (grp, r)))
                .collect();
            parsed.push((kind, code, rs));
        }
        // one projection per frame, shared by every layer (so layers overlay)
        let mut bbox = [(f64::MAX, f64::MIN, f64::MAX, f64::MIN); 6];
        for (_, _, rs) in &parsed {
            for (g, r) in rs {
                for (x, y) in r {
                    let b = &mut bbox[*g];
                    b.0 = b.0.min(*x);
                    b.1 = b.1.max(*x);
                    b.2 = b.2.min(*y);
                    b.3 = b.3.max(*y);
                }
            }
        }
        // per frame: (west longitude, north latitude, x scale, y scale, x offset, y offset)
        let proj: Vec<Option<Projection>> = (0..6)
            .map(|g| {
                let (x0, x1, y0, y1) = bbox[g];
                if x0 > x1 {
                    return None;
                }
                let k = ((y0 + y1) / 2.0).to_radians().cos();
                let (fx, fy, fw, fh) = frame(g);
                // insets: shapes below their label
                let (fy, fh) = if g == 0 {
                    (fy, fh)
                } else {
                    (fy + 13.0, fh - 13.0)
                };
                let s = ((fw - 8.0) / ((x1 - x0) * k)).min((fh - 8.0) / (y1 - y0));
                // centred in the frame
                let ox = fx + (fw - (x1 - x0) * k * s) / 2.0;
                let oy = fy + (fh - (y1 - y0) * s) / 2.0;
                Some((x0, y1, k * s, s, ox, oy))
            })
            .collect();
        let mut layers: HashMap<String, Vec<Area>> = HashMap::new();
        for (kind, code, rs) in parsed {
            let d = path(&rs, &proj, 0.8);
            let coarse = path(&rs, &proj, 3.0);
            if !d.is_empty() {
                layers
                    .entry(kind)
                    .or_default()
                    .push(Area { code, d, coarse });
            }
        }
        Ok(Geo { layers })
    }

    pub fn has_layer(&self, kind: &str) -> bool {
        self.layers.contains_key(kind)
    }

    /// The codes of a layer.
    pub fn codes(&self, kind: &str) -> Vec<&str> {
        self.layers
            .get(kind)
            .map(|a| a.iter().map(|x| x.code.as_str()).collect())
            .unwrap_or_default()
    }
}

type Projection = (f64, f64, f64, f64, f64, f64);

/// SVG path data of an area's rings, dropping points within `min_px` of the previous one.
fn path(rings: &[(usize, Ring)], proj: &[Option<Projection>], min_px: f64) -> String {
    let mut d = String::new();
    for (g, r) in rings {
        let Some((x0, ytop, sx, sy, ox, oy)) = proj[*g] else {
            continue;
        };
        let mut last: Option<(f64, f64)> = None;
        let mut n = 0;
        let mut ring = String::new();
        for (x, y) in r {
            let px = ox + (x - x0) * sx;
            let py = oy + (ytop - y) * sy;
            if let Some((lx, ly)) = last {
                if (px - lx).abs() < min_px && (py - ly).abs() < min_px {
                    continue;
                }
            }
            let _ = write!(
                ring,
                "{}{:.1} {:.1}",
                if n == 0 { "M" } else { "L" },
                px,
                py
            );
            last = Some((px, py));
            n += 1;
        }
        if n >= 3 {
            d.push_str(&ring);
            d.push('Z');
        }
    }
    d
}

/// A small map locating areas of `kind` (highlighted) on the départements (coarse background).
pub fn locator(geo: &Geo, kind: &str, codes: &[String], title: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="map locator" viewBox="0 0 {W} {H}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        esc(title)
    );
    for a in geo.layers.get("dep").into_iter().flatten() {
        let _ = write!(s, r#"<path class="bg" d="{}"/>"#, a.coarse);
    }
    for a in geo.layers.get(kind).into_iter().flatten() {
        if codes.contains(&a.code) {
            let _ = write!(
                s,
                r#"<path class="hl" d="{}" data-code="{}"/>"#,
                a.d,
                esc(&a.code)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// What one area shows.
pub struct Paint {
    /// CSS class (`c0`…`c4`, `na`, `hl`, `bg`).
    pub class: String,
    pub title: String,
    pub href: Option<String>,
}

/// A map of `kind`'s areas painted by `paint` (areas it returns `None` for are drawn as
/// background), with the inset frames labelled.
pub fn render(
    geo: &Geo,
    kind: &str,
    title: &str,
    summary: &str,
    paint: impl Fn(&str) -> Option<Paint>,
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="map" viewBox="0 0 {W} {H}" role="group" aria-labelledby="mapt mapd" xmlns="http://www.w3.org/2000/svg"><title id="mapt">{}</title><desc id="mapd">{}</desc>"#,
        esc(title),
        esc(summary)
    );
    s.push_str(r##"<defs><pattern id="hachures" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#555" stroke-width="1.5"/></pattern></defs>"##);
    for (g, (name, _, _)) in GROUPS.iter().enumerate().skip(1) {
        let (x, y, w, h) = frame(g);
        let _ = write!(
            s,
            r#"<rect class="inset" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}"/><text class="inset-label" x="{:.1}" y="{:.1}">{}</text>"#,
            x + 3.0,
            y + 11.0,
            esc(name)
        );
    }
    for a in geo.layers.get(kind).into_iter().flatten() {
        match paint(&a.code) {
            Some(p) => {
                let path = format!(
                    r#"<path class="{}" d="{}" data-code="{}"><title>{}</title></path>"#,
                    esc(&p.class),
                    a.d,
                    esc(&a.code),
                    esc(&p.title)
                );
                match p.href {
                    Some(h) => {
                        let _ = write!(
                            s,
                            r#"<a href="{}" aria-label="{}">{path}</a>"#,
                            esc(&h),
                            esc(&p.title)
                        );
                    }
                    None => s.push_str(&path),
                }
            }
            None => {
                let _ = write!(s, r#"<path class="bg" d="{}"/>"#, a.d);
            }
        }
    }
    s.push_str("</svg>");
    s
}

/// A map of the zones d'emploi, each painted by `paint` (`(class, title)`, `None`: background) and
/// linking to its dashboard; empty when no zone has a value.
pub fn zones(
    geo: &Geo,
    title: &str,
    summary: &str,
    paint: impl Fn(&str) -> Option<(String, String)>,
    any: bool,
) -> String {
    if !any {
        return String::new();
    }
    render(geo, "ze", title, summary, |code| {
        paint(code).map(|(class, title)| Paint {
            class,
            title,
            href: Some(format!("/territoires/ze/{code}")),
        })
    })
}
