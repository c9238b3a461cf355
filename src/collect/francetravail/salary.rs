//! Salary text of France Travail offers → monthly equivalent range (euros).
//!
//! `salaire.libelle` reads e.g. "Mensuel de 1800.0 Euros à 2000.0 Euros sur 12 mois",
//! "Annuel de 30000.0 Euros sur 12 mois", "Horaire de 11.88 Euros". Monthly equivalents:
//! mensuel × (months / 12) (a 13th month counts), annuel / 12, horaire × 151.67 (legal monthly
//! hours at 35 h/week). "Cachet" (per performance) has no monthly equivalent.
use std::sync::LazyLock;

use regex::Regex;

/// Legal monthly working hours at 35 h a week (35 × 52 / 12).
pub const HOURS_PER_MONTH: f64 = 151.67;

static RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(mensuel|annuel|horaire)\s+de\s+([0-9]+(?:[.,][0-9]+)?)\s*euros?(?:\s+à\s+([0-9]+(?:[.,][0-9]+)?)\s*euros?)?(?:\s+sur\s+([0-9]+(?:[.,][0-9]+)?)\s*mois)?",
    )
    .unwrap()
});

fn num(s: &str) -> Option<f64> {
    s.replace(',', ".").parse().ok()
}

/// `(min, max)` monthly equivalents, or `None` when the text gives no usable amount.
pub fn monthly_range(libelle: &str) -> Option<(f64, f64)> {
    let c = RE.captures(libelle)?;
    let lo = num(&c[2])?;
    let hi = c.get(3).and_then(|m| num(m.as_str())).unwrap_or(lo);
    let months = c
        .get(4)
        .and_then(|m| num(m.as_str()))
        .filter(|m| *m >= 1.0 && *m <= 16.0);
    let factor = match c[1].to_lowercase().as_str() {
        "mensuel" => months.unwrap_or(12.0) / 12.0,
        "annuel" => 1.0 / 12.0,
        _ => HOURS_PER_MONTH,
    };
    let round = |v: f64| (v * 100.0).round() / 100.0;
    let (lo, hi) = (round(lo * factor), round(hi * factor));
    // checked after rounding (0.02 a year rounded to a monthly 0.00, found by fuzzing); finite:
    // a number of 400 digits parses as infinity
    (lo > 0.0 && hi >= lo && hi.is_finite()).then_some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::monthly_range;

    #[test]
    fn parses_the_forms_found_in_real_offers() {
        assert_eq!(
            monthly_range("Mensuel de 1800.0 Euros à 2000.0 Euros sur 12 mois"),
            Some((1800.0, 2000.0))
        );
        assert_eq!(
            monthly_range("Mensuel de 1814.0 Euros sur 12.0 mois"),
            Some((1814.0, 1814.0))
        );
        assert_eq!(
            monthly_range("Mensuel de 2400.0 Euros sur 13 mois"),
            Some((2600.0, 2600.0))
        );
        assert_eq!(
            monthly_range("Annuel de 30000.0 Euros à 36000.0 Euros sur 12 mois"),
            Some((2500.0, 3000.0))
        );
        assert_eq!(
            monthly_range("Horaire de 11.88 Euros"),
            Some((1801.84, 1801.84))
        );
        assert_eq!(
            monthly_range("Horaire de 12.0 Euros à 13.0 Euros sur 12 mois"),
            Some((1820.04, 1971.71))
        );
        assert_eq!(monthly_range("Cachet de 150.0 Euros"), None);
        assert_eq!(monthly_range(""), None);
        assert_eq!(
            monthly_range("Mensuel de 2000.0 Euros à 1500.0 Euros"),
            None
        );
    }
}
