//! French number formatting for templates: `12 345`, `7,4`, `12,3 %`.
use minijinja::{Environment, Value};

pub fn register(env: &mut Environment<'static>) {
    env.add_filter("int", |v: Value| {
        fr_int(
            v.as_i64()
                .or_else(|| f64::try_from(v).ok().map(|f| f.round() as i64)),
        )
    });
    env.add_filter("dec", |v: f64, digits: Option<usize>| {
        fr_dec(v, digits.unwrap_or(1))
    });
    env.add_filter("signed", |v: f64, digits: Option<usize>| {
        let s = fr_dec(v.abs(), digits.unwrap_or(1));
        if v > 0.0 {
            format!("+{s}")
        } else if v < 0.0 {
            format!("−{s}")
        } else {
            s
        }
    });
}

/// Thousands separated by a narrow no-break space, as in French typography.
pub fn fr_int(v: Option<i64>) -> String {
    v.map_or_else(|| "—".into(), |v| fr_dec(v as f64, 0))
}

/// A number the French way: decimal comma, narrow no-break space between thousands, a true
/// minus sign (and no "−0,0").
pub fn fr_dec(v: f64, digits: usize) -> String {
    let s = format!("{:.*}", digits, v.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(a, b)| (a, b));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(c);
    }
    let sign = if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "−"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_numbers() {
        assert_eq!(fr_int(Some(2751069)), "2\u{202F}751\u{202F}069");
        assert_eq!(fr_int(Some(999)), "999");
        assert_eq!(fr_int(None), "—");
        assert_eq!(fr_dec(7.46, 1), "7,5");
        assert_eq!(fr_dec(12.0, 1), "12,0");
    }
}
