//! Charts rendered on the server as SVG (no script, no CDN; readable printed and in greyscale):
//! time series with axes, years, a comparison line and forecast intervals, and horizontal bars
//! for rankings. Every chart carries a `<title>` and a `<desc>` (one-sentence summary); the page
//! shows the data table behind it. Lines differ by dash pattern and markers, not by colour alone.
use std::fmt::Write;

pub use super::format::fr_dec as fr;

const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 34.0;

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// "Nice" axis ticks covering `[lo, hi]`: 3 to 6 round values.
pub fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 1.0, hi + 1.0)
    };
    let raw = (hi - lo) / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| (hi - lo) / s <= 5.0)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).floor() * step;
    let mut out = Vec::new();
    let mut t = start;
    while t <= hi + step * 0.999 {
        out.push((t / step).round() * step);
        t += step;
        if out.len() > 8 {
            break;
        }
    }
    out
}

fn digits_for(ticks: &[f64]) -> usize {
    if ticks.len() < 2 {
        return 0;
    }
    let step = (ticks[1] - ticks[0]).abs();
    if step >= 1.0 {
        0
    } else if step >= 0.1 {
        1
    } else {
        2
    }
}

#[derive(Debug, Clone)]
pub struct Line {
    pub label: String,
    /// `(period, value)`, in period order; periods are those of the chart.
    pub points: Vec<(String, f64)>,
    /// 0: solid; 1: dashed (comparison); 2: dotted (forecast); 3: long dashes.
    pub style: u8,
}

/// An interval band (forecasts): `(period, low, high)`.
#[derive(Debug, Clone)]
pub struct Band {
    pub label: String,
    pub points: Vec<(String, f64, f64)>,
    /// 0: outer (95 %), 1: inner (80 %).
    pub inner: bool,
}

fn year_of(p: &str) -> &str {
    p.get(..4).unwrap_or(p)
}

/// A time-series chart. `periods` orders the x axis (every line's and band's periods must be in it).
pub fn time_series(
    title: &str,
    summary: &str,
    unit: &str,
    periods: &[String],
    lines: &[Line],
    bands: &[Band],
) -> String {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for l in lines {
        for (_, v) in &l.points {
            lo = lo.min(*v);
            hi = hi.max(*v);
        }
    }
    for b in bands {
        for (_, a, z) in &b.points {
            lo = lo.min(*a);
            hi = hi.max(*z);
        }
    }
    if periods.is_empty() || !lo.is_finite() {
        return String::new();
    }
    let yt = ticks(lo, hi);
    let (ylo, yhi) = (yt[0], *yt.last().unwrap());
    let dg = digits_for(&yt);
    let n = periods.len().max(2) - 1;
    let x = |p: &str| -> f64 {
        let i = periods.iter().position(|q| q == p).unwrap_or(0);
        LEFT + i as f64 * (W - LEFT - RIGHT) / n as f64
    };
    let y = |v: f64| -> f64 {
        let span = if yhi > ylo { yhi - ylo } else { 1.0 };
        TOP + (yhi - v) / span * (H - TOP - BOTTOM)
    };
    let mut s = String::new();
    let id = format!("c{:x}", fxhash(title));
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="{id}t {id}d" xmlns="http://www.w3.org/2000/svg"><title id="{id}t">{}</title><desc id="{id}d">{}</desc>"#,
        esc(title),
        esc(summary)
    );
    // y grid and labels
    for t in &yt {
        let yy = y(*t);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{yy:.1}" y2="{yy:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            W - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            esc(&fr(*t, dg))
        );
    }
    // x axis: one label per year, thinned to at most 8
    let mut years: Vec<(&str, &str)> = Vec::new();
    for p in periods {
        let yv = year_of(p);
        if years.last().map(|l| l.0) != Some(yv) {
            years.push((yv, p));
        }
    }
    let every = years.len().div_ceil(8).max(1);
    let base = H - BOTTOM;
    let _ = write!(
        s,
        r#"<line class="axis" x1="{LEFT}" x2="{}" y1="{base}" y2="{base}"/>"#,
        W - RIGHT
    );
    for (i, (yv, p)) in years.iter().enumerate() {
        if i % every != 0 {
            continue;
        }
        let xx = x(p);
        let _ = write!(
            s,
            r#"<line class="axis" x1="{xx:.1}" x2="{xx:.1}" y1="{base}" y2="{}"/><text class="tick" x="{xx:.1}" y="{}" text-anchor="middle">{yv}</text>"#,
            base + 4.0,
            base + 18.0
        );
    }
    if !unit.is_empty() {
        let _ = write!(
            s,
            r#"<text class="unit" x="4" y="{}">{}</text>"#,
            TOP - 2.0,
            esc(unit)
        );
    }
    for b in bands {
        if b.points.is_empty() {
            continue;
        }
        let mut path = String::new();
        for (i, (p, _, z)) in b.points.iter().enumerate() {
            let _ = write!(
                path,
                "{}{:.1},{:.1} ",
                if i == 0 { "M" } else { "L" },
                x(p),
                y(*z)
            );
        }
        for (p, a, _) in b.points.iter().rev() {
            let _ = write!(path, "L{:.1},{:.1} ", x(p), y(*a));
        }
        let _ = write!(
            s,
            r#"<path class="band{}" d="{}Z"><title>{}</title></path>"#,
            if b.inner { " inner" } else { "" },
            path.trim_end(),
            esc(&b.label)
        );
    }
    for l in lines {
        let pts: Vec<String> = l
            .points
            .iter()
            .map(|(p, v)| format!("{:.1},{:.1}", x(p), y(*v)))
            .collect();
        let class = match l.style {
            0 => "line",
            1 => "line compare",
            2 => "line forecast",
            _ => "line s3",
        };
        let _ = write!(
            s,
            r#"<polyline class="{class}" points="{}"><title>{}</title></polyline>"#,
            pts.join(" "),
            esc(&l.label)
        );
        if let Some((p, v)) = l.points.last() {
            let _ = write!(
                s,
                r#"<circle class="{class}" cx="{:.1}" cy="{:.1}" r="3"/>"#,
                x(p),
                y(*v)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars (rankings, signed changes). `items`: `(label, value, link)`.
pub fn bars(
    title: &str,
    summary: &str,
    unit: &str,
    items: &[(String, f64, Option<String>)],
) -> String {
    if items.is_empty() {
        return String::new();
    }
    let row = 22.0;
    let label_w = 250.0;
    let h = TOP + row * items.len() as f64 + 20.0;
    let lo = items.iter().map(|i| i.1).fold(0.0, f64::min);
    let hi = items.iter().map(|i| i.1).fold(0.0, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let plot = W - label_w - 70.0;
    let x = |v: f64| label_w + (v - lo) / span * plot;
    let dg = if span < 10.0 { 1 } else { 0 };
    let id = format!("b{:x}", fxhash(title));
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart bars" viewBox="0 0 {W} {h}" role="img" aria-labelledby="{id}t {id}d" xmlns="http://www.w3.org/2000/svg"><title id="{id}t">{}</title><desc id="{id}d">{}</desc>"#,
        esc(title),
        esc(summary)
    );
    let zero = x(0.0);
    for (i, (label, v, link)) in items.iter().enumerate() {
        let yy = TOP + i as f64 * row;
        let (a, b) = if *v >= 0.0 {
            (zero, x(*v))
        } else {
            (x(*v), zero)
        };
        let short: String = if label.chars().count() > 38 {
            label.chars().take(37).collect::<String>() + "…"
        } else {
            label.clone()
        };
        let text = format!(
            r#"<text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            label_w - 6.0,
            yy + 14.0,
            esc(&short)
        );
        match link {
            Some(href) => {
                let _ = write!(s, r#"<a href="{}">{text}</a>"#, esc(href));
            }
            None => s.push_str(&text),
        }
        let _ = write!(
            s,
            r#"<rect class="bar{}" x="{a:.1}" y="{:.1}" width="{:.1}" height="{}"><title>{}</title></rect><text class="tick" x="{:.1}" y="{:.1}">{}{}</text>"#,
            if *v < 0.0 { " neg" } else { "" },
            yy + 3.0,
            (b - a).max(0.5),
            row - 6.0,
            esc(&format!("{label} : {} {unit}", fr(*v, dg))),
            b.max(zero) + 4.0,
            yy + 14.0,
            esc(&fr(*v, dg)),
            if unit.is_empty() {
                String::new()
            } else {
                format!(" {}", esc(unit))
            }
        );
    }
    let _ = write!(
        s,
        r#"<line class="axis" x1="{zero:.1}" x2="{zero:.1}" y1="{TOP}" y2="{:.1}"/></svg>"#,
        h - 20.0
    );
    s
}

/// A small stable hash for element ids (several charts on one page).
fn fxhash(s: &str) -> u32 {
    s.bytes()
        .fold(2166136261u32, |h, b| (h ^ b as u32).wrapping_mul(16777619))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_numbers_and_ticks() {
        assert_eq!(fr(1234567.0, 0), "1\u{202f}234\u{202f}567");
        assert_eq!(fr(-7.25, 1), "−7,2");
        assert_eq!(fr(-0.01, 1), "0,0");
        assert_eq!(ticks(6.8, 9.4), vec![6.0, 7.0, 8.0, 9.0, 10.0]);
        assert_eq!(ticks(0.0, 100.0), vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
    }
}

#[cfg(test)]
mod snapshots {
    use super::*;

    /// Compares with `src/web/snapshots/NAME.svg`; `UPDATE_SNAPSHOTS=1` rewrites it.
    fn snapshot(name: &str, svg: &str) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/web/snapshots")
            .join(format!("{name}.svg"));
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, svg).unwrap();
        }
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} missing: run with UPDATE_SNAPSHOTS=1", path.display()));
        assert_eq!(
            svg, expected,
            "{name}: rendering changed (UPDATE_SNAPSHOTS=1 to accept)"
        );
    }

    #[test]
    fn time_series_with_comparison_and_forecast_band() {
        let periods: Vec<String> = [
            "2022-Q3", "2022-Q4", "2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4", "2024-Q1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let obs: Vec<(String, f64)> = periods[..5]
            .iter()
            .cloned()
            .zip([7.4, 7.2, 7.1, 7.3, 7.5])
            .collect();
        let fr: Vec<(String, f64)> = periods[..5]
            .iter()
            .cloned()
            .zip([7.1, 7.0, 7.1, 7.2, 7.4])
            .collect();
        let svg = time_series(
            "Taux de chômage",
            "De 7,4 % à 7,5 %.",
            "%",
            &periods,
            &[
                Line {
                    label: "Rouen".into(),
                    points: obs,
                    style: 0,
                },
                Line {
                    label: "France".into(),
                    points: fr,
                    style: 1,
                },
                Line {
                    label: "prévision".into(),
                    points: vec![
                        ("2023-Q3".into(), 7.5),
                        ("2023-Q4".into(), 7.6),
                        ("2024-Q1".into(), 7.7),
                    ],
                    style: 2,
                },
            ],
            &[Band {
                label: "intervalle à 95 %".into(),
                inner: false,
                points: vec![("2023-Q4".into(), 7.0, 8.2), ("2024-Q1".into(), 6.8, 8.6)],
            }],
        );
        assert!(svg.contains("<title id=") && svg.contains("<desc id="));
        assert!(
            svg.contains(">2023</text>") && svg.contains(">2024</text>"),
            "years on the axis"
        );
        assert!(svg.contains("class=\"line compare\"") && svg.contains("class=\"band\""));
        snapshot("time_series", &svg);
    }

    #[test]
    fn signed_bars() {
        let svg = bars(
            "Variation de l'emploi",
            "2 secteurs.",
            "salariés",
            &[
                ("Construction".into(), 1200.0, Some("/secteurs/FZ".into())),
                ("Industrie <textile>".into(), -300.0, None),
            ],
        );
        assert!(svg.contains("&lt;textile&gt;"), "labels escaped");
        assert!(svg.contains("class=\"bar neg\""));
        assert!(svg.contains("<a href=\"/secteurs/FZ\">"));
        snapshot("bars", &svg);
    }
}
