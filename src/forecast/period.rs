//! Periods of a series: `YYYY-MM` (monthly), `YYYY-Qn` (quarterly, also `YYYY-Tn` as INSEE
//! writes it), `YYYY` (yearly). A period is stored as its index since year 0 in its own
//! frequency, so the next period and gaps are plain arithmetic.
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Frequency {
    Yearly,
    Quarterly,
    Monthly,
}

impl Frequency {
    /// Periods per year: the season length used by default.
    pub fn per_year(self) -> usize {
        match self {
            Frequency::Yearly => 1,
            Frequency::Quarterly => 4,
            Frequency::Monthly => 12,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Frequency::Yearly => "annuelle",
            Frequency::Quarterly => "trimestrielle",
            Frequency::Monthly => "mensuelle",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub frequency: Frequency,
    /// `year * per_year + (sub - 1)`.
    pub index: i64,
}

impl Period {
    pub fn new(frequency: Frequency, year: i64, sub: i64) -> Period {
        Period {
            frequency,
            index: year * frequency.per_year() as i64 + sub - 1,
        }
    }

    pub fn year(self) -> i64 {
        self.index.div_euclid(self.frequency.per_year() as i64)
    }

    /// Month (1–12), quarter (1–4) or 1 for a year.
    pub fn sub(self) -> i64 {
        self.index.rem_euclid(self.frequency.per_year() as i64) + 1
    }

    pub fn plus(self, steps: i64) -> Period {
        Period {
            index: self.index + steps,
            ..self
        }
    }

    /// Parses `YYYY-MM`, `YYYY-Qn` / `YYYY-Tn` or `YYYY`; the message says what was expected.
    pub fn parse(text: &str) -> Result<Period, String> {
        let text = text.trim();
        let bad =
            || format!("période « {text} » illisible (attendu AAAA-MM, AAAA-Tn / AAAA-Qn ou AAAA)");
        let (year, rest) = match text.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (text, None),
        };
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i64 = year.parse().map_err(|_| bad())?;
        match rest {
            None => Ok(Period::new(Frequency::Yearly, year, 1)),
            Some(r) if r.len() == 2 && (r.starts_with('Q') || r.starts_with('T')) => {
                match r[1..].parse::<i64>() {
                    Ok(q @ 1..=4) => Ok(Period::new(Frequency::Quarterly, year, q)),
                    _ => Err(bad()),
                }
            }
            Some(r) if r.len() == 2 && r.bytes().all(|b| b.is_ascii_digit()) => {
                match r.parse::<i64>() {
                    Ok(m @ 1..=12) => Ok(Period::new(Frequency::Monthly, year, m)),
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.frequency {
            Frequency::Yearly => write!(f, "{:04}", self.year()),
            Frequency::Quarterly => write!(f, "{:04}-Q{}", self.year(), self.sub()),
            Frequency::Monthly => write!(f, "{:04}-{:02}", self.year(), self.sub()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_formats_and_steps() {
        let m = Period::parse("2023-12").unwrap();
        assert_eq!(m.plus(1).to_string(), "2024-01");
        let q = Period::parse("2021-T3").unwrap();
        assert_eq!(q.to_string(), "2021-Q3");
        assert_eq!(q.plus(2).to_string(), "2022-Q1");
        assert_eq!(Period::parse("2019").unwrap().plus(1).to_string(), "2020");
        for bad in [
            "2023-13", "2023-Q5", "23-01", "2023-1", "abcd", "2023-M1", "",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }
}
