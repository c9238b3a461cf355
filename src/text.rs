//! Text folding shared by the collectors (matching job titles) and the web (search, French
//! collation order): lower case, accents removed (Unicode NFD, combining marks dropped), `œ`/`æ`
//! spelled out, every other non-alphanumeric character a single space.
use unicode_normalization::UnicodeNormalization;

/// `"Saint-Étienne-du-Rouvray"` → `"saint etienne du rouvray"`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd().flat_map(char::to_lowercase) {
        match c {
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            c if unicode_normalization::char::is_combining_mark(c) => {}
            c if c.is_alphanumeric() => out.push(c),
            _ => out.push(' '),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A key that sorts names in French dictionary order: letters compared without accents or case
/// first (so "Épinal" sits between "Entre-Sambre" and "Eure"), then the exact text to break ties.
pub fn collation_key(s: &str) -> (String, String) {
    (fold(s), s.to_string())
}

/// [`fold`] for searching: also `st`/`ste` as `saint`/`sainte` and no spaces at all, so that
/// "St-Etienne", "saint étienne" and "SAINTETIENNE" are the same needle.
pub fn search_key(s: &str) -> String {
    fold(s)
        .split(' ')
        .map(|w| match w {
            "st" => "saint",
            "ste" => "sainte",
            w => w,
        })
        .collect::<String>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_collation_and_search() {
        assert_eq!(fold("Saint-Étienne-du-Rouvray"), "saint etienne du rouvray");
        assert_eq!(fold("Cœur  d'Œuvre"), "coeur d oeuvre");
        let mut v = vec!["Eure", "Épinal", "Entre-Sambre", "Ajaccio"];
        v.sort_by_key(|s| collation_key(s));
        assert_eq!(v, ["Ajaccio", "Entre-Sambre", "Épinal", "Eure"]);
        assert_eq!(search_key("St-Étienne"), search_key("saint etienne"));
        assert_eq!(
            search_key("Ste Geneviève des Bois"),
            "saintegenevievedesbois"
        );
    }
}
