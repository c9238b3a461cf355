//! Job title → ROME 4.0 métier, by matching against the 13,120 ROME appellations.
//!
//! Titles and appellations are normalised the same way (lower case, accents removed, punctuation
//! to spaces, gender marks such as "H/F" dropped). Each appellation "Conducteur / Conductrice de
//! bus" gives its masculine and feminine forms. A title matches the appellation whose form is the
//! longest run of consecutive words found in it ("Chauffeur poids lourd H/F - CDI" → "chauffeur
//! poids lourd"); ties go to the appellation listed first.
use std::collections::HashMap;

use anyhow::Result;
use duckdb::Connection;

/// Little words that job titles often drop ("chauffeur poids lourd" for "chauffeur de poids lourd").
const STOP_WORDS: &[&str] = &[
    "de", "du", "des", "d", "en", "la", "le", "les", "l", "a", "au", "aux", "et", "pour",
];

/// [`normalise`] without the little words: the form titles are matched on.
pub fn key(s: &str) -> String {
    normalise(s)
        .split(' ')
        .filter(|w| !STOP_WORDS.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

static FEMININE_SUFFIX: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(\p{L})\((?:e|ne|se|le|te|ère|ière|euse|trice|rice|ice|es|nes)\)").unwrap()
});

/// Lower case, no accents, letters and digits only, single spaces; inclusive endings such as
/// "agent(e)" or "mécanicien(ne)" keep their first form.
pub fn normalise(s: &str) -> String {
    let s = FEMININE_SUFFIX.replace_all(s, "$1");
    let out = crate::text::fold(&s);
    let words: Vec<&str> = out.split_whitespace().collect();
    // gender marks: "h f", "f h", "h/f/x"…
    let mut kept = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let next = words.get(i + 1).copied();
        let after = words.get(i + 2).copied();
        if (w == "h" || w == "f")
            && next == Some("ou")
            && (after == Some("f") || after == Some("h"))
        {
            i += 3;
            continue;
        }
        if (w == "h" && next == Some("f")) || (w == "f" && next == Some("h")) {
            i += 2;
            if words.get(i) == Some(&"x") {
                i += 1;
            }
            continue;
        }
        kept.push(w);
        i += 1;
    }
    kept.join(" ")
}

/// Masculine and feminine forms of an appellation label.
pub fn forms(label: &str) -> Vec<String> {
    let Some((left, right)) = label.split_once(" / ") else {
        return vec![key(label)];
    };
    let (l, r): (Vec<&str>, Vec<&str>) = (
        left.split_whitespace().collect(),
        right.split_whitespace().collect(),
    );
    let masculine = if l.len() >= r.len() {
        left.to_string()
    } else {
        format!("{} {}", left, r[l.len()..].join(" "))
    };
    vec![key(&masculine), key(right)]
}

pub struct Classifier {
    /// normalised form → (ROME code, rank of the appellation)
    forms: HashMap<String, (String, usize)>,
    max_words: usize,
}

impl Classifier {
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Classifier {
        let mut map: HashMap<String, (String, usize)> = HashMap::new();
        let mut max_words = 1;
        for (rank, (label, rome)) in pairs.into_iter().enumerate() {
            for f in forms(label) {
                if f.is_empty() {
                    continue;
                }
                max_words = max_words.max(f.split(' ').count());
                map.entry(f).or_insert_with(|| (rome.to_string(), rank));
            }
        }
        Classifier {
            forms: map,
            max_words,
        }
    }

    /// From the ROME 4.0 appellations of the database (rarely used ones last).
    pub fn load(conn: &Connection) -> Result<Classifier> {
        let pairs: Vec<(String, String)> = conn
            .prepare(
                "SELECT libelle, code_rome FROM ref_rome_appellation ORDER BY peu_usite, code_ogr",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(Self::from_pairs(
            pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())),
        ))
    }

    /// The ROME code of a title, if some appellation form appears in it.
    pub fn classify(&self, title: &str) -> Option<&str> {
        let norm = key(title);
        let words: Vec<&str> = norm.split(' ').filter(|w| !w.is_empty()).collect();
        for n in (1..=self.max_words.min(words.len())).rev() {
            let best = words
                .windows(n)
                .filter_map(|w| self.forms.get(&w.join(" ")))
                .min_by_key(|(_, rank)| *rank);
            if let Some((rome, _)) = best {
                return Some(rome);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_and_forms() {
        assert_eq!(
            normalise("Chauffeur Poids-Lourd (H/F) – CDI"),
            "chauffeur poids lourd cdi"
        );
        assert_eq!(
            normalise("Aide-soignant F/H/X de nuit"),
            "aide soignant de nuit"
        );
        assert_eq!(normalise("Cœur de métier"), "coeur de metier");
        assert_eq!(
            normalise("Agent(e) de fabrication polyvalent(e)"),
            "agent de fabrication polyvalent"
        );
        assert_eq!(
            normalise("Infirmier(ière) coordinateur(trice)"),
            "infirmier coordinateur"
        );
        assert_eq!(
            normalise("Agente ou agent d'escale (F ou H)"),
            "agente ou agent d escale"
        );
        assert_eq!(
            forms("Conducteur / Conductrice de bus"),
            ["conducteur bus", "conductrice bus"]
        );
        assert_eq!(
            forms("Chef de rang / Cheffe de rang"),
            ["chef rang", "cheffe rang"]
        );
        assert_eq!(
            key("Chauffeur poids lourd"),
            key("Chauffeur de poids lourd")
        );
        assert_eq!(forms("Accessoiriste"), ["accessoiriste"]);
    }

    #[test]
    fn longest_form_wins() {
        let c = Classifier::from_pairs([
            ("Conducteur / Conductrice de bus", "N4103"),
            ("Conducteur / Conductrice", "N4101"),
            ("Aide-soignant / Aide-soignante", "J1501"),
        ]);
        assert_eq!(c.classify("CONDUCTEUR DE BUS H/F - Rouen"), Some("N4103"));
        assert_eq!(c.classify("Conductrice de bus scolaire"), Some("N4103"));
        assert_eq!(c.classify("Aide soignant(e) de nuit H/F"), Some("J1501"));
        assert_eq!(c.classify("Développeur Rust"), None);
    }
}
