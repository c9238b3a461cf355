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
    let Some(v) = v else { return "—".into() };
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{202F}');
        }
        out.push(c);
    }
    if v < 0 {
        format!("−{out}")
    } else {
        out
    }
}

pub fn fr_dec(v: f64, digits: usize) -> String {
    format!("{v:.digits$}").replace('.', ",")
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
