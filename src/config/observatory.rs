//! The MDE's own scope: followed territories, custom territories and filières. Syntax is
//! checked here (ids, code shapes, references between sections); whether a commune or zone code
//! exists is checked against the referentials when the territories are loaded
//! ([`crate::referentials::custom`]).
use serde::Deserialize;

use super::Config;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ObservatoryConfig {
    /// Territories shown first on pages and collected by per-territory collectors, as
    /// `kind:code` (`ze:2815`, `bassin:2801`, `dep:76`, `reg:28`, `custom:rouen-metropole`).
    pub followed: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerritoryConfig {
    pub id: String,
    pub name: String,
    /// INSEE commune codes (current, old or arrondissement codes).
    #[serde(default)]
    pub communes: Vec<String>,
    /// Whole zones d'emploi 2020 (4-digit codes).
    #[serde(default)]
    pub zones_emploi: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiliereConfig {
    pub id: String,
    pub name: String,
    /// ROME 4.0 codes or prefixes (`F1703`, `F16`).
    #[serde(default)]
    pub rome: Vec<String>,
    /// NAF rév. 2 codes at any level (`41`, `43.2`, `43.21A`).
    #[serde(default)]
    pub naf: Vec<String>,
}

/// Lowercase letters, digits and hyphens, not starting or ending with a hyphen.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The ROME 4.0 code shape: a letter and up to four digits (`F`, `F16`, `F1703`).
fn valid_rome(code: &str) -> bool {
    let mut c = code.chars();
    matches!(c.next(), Some(l) if l.is_ascii_uppercase())
        && code.len() <= 5
        && c.all(|d| d.is_ascii_digit())
}

/// NAF rév. 2: section letter, division `43`, group `43.2`, class `43.21`, sub-class `43.21A`.
fn valid_naf(code: &str) -> bool {
    let b = code.as_bytes();
    match b.len() {
        1 => b[0].is_ascii_uppercase(),
        2 => b.iter().all(u8::is_ascii_digit),
        4..=6 => {
            b[..2].iter().all(u8::is_ascii_digit)
                && b[2] == b'.'
                && b[3..b.len().min(5)].iter().all(u8::is_ascii_digit)
                && (b.len() < 6 || b[5].is_ascii_uppercase())
        }
        _ => false,
    }
}

pub(super) fn validate(cfg: &Config) -> Result<(), String> {
    let mut ids = std::collections::HashSet::new();
    for t in &cfg.territories {
        if !valid_id(&t.id) {
            return Err(format!(
                "[[territories]] id = {:?} : lettres minuscules, chiffres et tirets seulement (ex. \"rouen-metropole\")",
                t.id
            ));
        }
        if !ids.insert(t.id.as_str()) {
            return Err(format!(
                "[[territories]] id = {:?} est déclaré deux fois",
                t.id
            ));
        }
        if t.name.trim().is_empty() {
            return Err(format!("[[territories]] {} : name est vide", t.id));
        }
        if t.communes.is_empty() && t.zones_emploi.is_empty() {
            return Err(format!(
                "[[territories]] {} : indiquez des communes (codes INSEE) et/ou des zones_emploi",
                t.id
            ));
        }
        for c in &t.communes {
            if c.len() != 5 || !c.chars().all(|x| x.is_ascii_alphanumeric()) {
                return Err(format!(
                    "[[territories]] {} : commune {c:?} n'est pas un code INSEE à 5 caractères",
                    t.id
                ));
            }
        }
        for z in &t.zones_emploi {
            if z.len() != 4 || !z.chars().all(|x| x.is_ascii_digit()) {
                return Err(format!(
                    "[[territories]] {} : zone d'emploi {z:?} n'est pas un code à 4 chiffres",
                    t.id
                ));
            }
        }
    }
    for f in &cfg.observatory.followed {
        let Some((kind, code)) = f.split_once(':') else {
            return Err(format!(
                "[observatory] followed : {f:?} doit s'écrire type:code (ex. \"ze:2815\", \"custom:rouen-metropole\")"
            ));
        };
        if !["ze", "bassin", "dep", "reg", "custom"].contains(&kind) || code.is_empty() {
            return Err(format!(
                "[observatory] followed : {f:?} — type inconnu {kind:?} (ze, bassin, dep, reg ou custom)"
            ));
        }
        if kind == "custom" && !ids.contains(code) {
            return Err(format!(
                "[observatory] followed : {f:?} — aucun [[territories]] ne porte l'id {code:?}"
            ));
        }
    }
    let mut fids = std::collections::HashSet::new();
    for f in &cfg.filieres() {
        if !valid_id(&f.id) {
            return Err(format!(
                "[[filieres]] id = {:?} : lettres minuscules, chiffres et tirets seulement",
                f.id
            ));
        }
        if f.id.starts_with("transition-") {
            return Err(format!(
                "[[filieres]] id = {:?} : les ids transition-… sont réservés aux filières de transition du ROME",
                f.id
            ));
        }
        if !fids.insert(f.id.as_str()) {
            return Err(format!(
                "[[filieres]] id = {:?} est déclaré deux fois",
                f.id
            ));
        }
        if f.rome.is_empty() && f.naf.is_empty() {
            return Err(format!(
                "[[filieres]] {} : indiquez des codes rome et/ou naf",
                f.id
            ));
        }
        if let Some(r) = f.rome.iter().find(|r| !valid_rome(r)) {
            return Err(format!(
                "[[filieres]] {} : {r:?} n'est pas un code ou préfixe ROME (ex. \"F1703\", \"F16\")",
                f.id
            ));
        }
        if let Some(n) = f.naf.iter().find(|n| !valid_naf(n)) {
            return Err(format!(
                "[[filieres]] {} : {n:?} n'est pas un code NAF rév. 2 (ex. \"43\", \"43.21A\")",
                f.id
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Config;

    #[test]
    fn ids_codes_and_references_are_checked() {
        let ok = "[[territories]]\nid = \"rouen-metropole\"\nname = \"Rouen\"\ncommunes = [\"76540\"]\n\
                  [observatory]\nfollowed = [\"ze:2815\", \"custom:rouen-metropole\"]\n\
                  [[filieres]]\nid = \"bat\"\nname = \"Bâtiment\"\nrome = [\"F16\"]\nnaf = [\"43.21A\", \"41\"]\n";
        let cfg = Config::parse(ok).unwrap();
        assert_eq!(cfg.territories[0].communes, ["76540"]);
        for (bad, needle) in [
            (
                "[[territories]]\nid = \"Rouen\"\nname = \"R\"\ncommunes = [\"76540\"]\n",
                "Rouen",
            ),
            ("[[territories]]\nid = \"r\"\nname = \"R\"\n", "indiquez"),
            (
                "[[territories]]\nid = \"r\"\nname = \"R\"\ncommunes = [\"7654\"]\n",
                "7654",
            ),
            ("[observatory]\nfollowed = [\"custom:absent\"]\n", "absent"),
            ("[observatory]\nfollowed = [\"zone:2815\"]\n", "zone"),
            (
                "[[filieres]]\nid = \"f\"\nname = \"F\"\nrome = [\"f16\"]\n",
                "f16",
            ),
            (
                "[[filieres]]\nid = \"f\"\nname = \"F\"\nnaf = [\"4321\"]\n",
                "4321",
            ),
            (
                "[[filieres]]\nid = \"transition-eco\"\nname = \"F\"\nnaf = [\"43\"]\n",
                "réservés",
            ),
        ] {
            let e = Config::parse(bad).unwrap_err();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }
}
