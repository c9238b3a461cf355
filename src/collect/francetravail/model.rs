//! The France Travail offer as the API sends it, reduced by construction to what the observatory
//! keeps: `contact`, `description`, `agence`, the employer's description and logo are not even
//! deserialised, so they can never be stored. Free text that is kept goes through
//! [`privacy::scrub`](crate::collect::privacy::scrub).
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::salary;
use crate::collect::privacy::scrub;

#[derive(Debug, Deserialize)]
pub struct SearchPage {
    #[serde(default)]
    pub resultats: Vec<ApiOffer>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ApiOffer {
    pub id: String,
    pub intitule: Option<String>,
    pub date_creation: Option<String>,
    pub date_actualisation: Option<String>,
    pub lieu_travail: Option<Lieu>,
    pub rome_code: Option<String>,
    #[serde(rename = "appellationlibelle")]
    pub appellation_libelle: Option<String>,
    pub entreprise: Option<Entreprise>,
    pub type_contrat: Option<String>,
    pub type_contrat_libelle: Option<String>,
    pub nature_contrat: Option<String>,
    pub experience_exige: Option<String>,
    pub duree_travail_libelle_converti: Option<String>,
    pub competences: Vec<Competence>,
    pub salaire: Option<Salaire>,
    pub alternance: Option<bool>,
    pub nombre_postes: Option<i32>,
    #[serde(rename = "accessibleTH")]
    pub accessible_th: Option<bool>,
    pub qualification_code: Option<String>,
    #[serde(rename = "codeNAF")]
    pub code_naf: Option<String>,
    pub secteur_activite: Option<String>,
    pub origine_offre: Option<Origine>,
    pub offres_manque_candidats: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct Lieu {
    pub libelle: Option<String>,
    // latitude/longitude are never read: nothing finer than the commune is kept.
    #[serde(rename = "codePostal")]
    pub code_postal: Option<String>,
    pub commune: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct Entreprise {
    pub nom: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct Competence {
    pub code: Option<String>,
    pub libelle: Option<String>,
    pub exigence: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct Salaire {
    pub libelle: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct Origine {
    pub origine: Option<String>,
    #[serde(rename = "urlOrigine")]
    pub url_origine: Option<String>,
}

/// A skill of an offer: ROME code (None for free text), label, requirement (E exigé / S souhaité).
pub type Skill = (Option<String>, Option<String>, Option<String>);

/// One offer ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferRow {
    pub id: String,
    pub intitule: Option<String>,
    pub date_creation: Option<NaiveDateTime>,
    pub date_actualisation: Option<NaiveDateTime>,
    pub lieu_libelle: Option<String>,
    pub commune_brute: Option<String>,
    pub code_postal: Option<String>,
    pub rome: Option<String>,
    pub appellation_libelle: Option<String>,
    pub entreprise_nom: Option<String>,
    pub type_contrat: Option<String>,
    pub nature_contrat: Option<String>,
    pub experience_exige: Option<String>,
    pub qualification_code: Option<String>,
    pub naf: Option<String>,
    pub secteur_division: Option<String>,
    pub nombre_postes: i32,
    pub alternance: Option<bool>,
    pub accessible_th: Option<bool>,
    pub offres_manque_candidats: Option<bool>,
    pub salaire_libelle: Option<String>,
    pub salaire_min_mensuel: Option<f64>,
    pub salaire_max_mensuel: Option<f64>,
    /// "Temps plein" / "Temps partiel".
    pub duree_travail: Option<String>,
    /// Length of a fixed-term contract in months, from its label ("CDD - 6 Mois").
    pub duree_contrat_mois: Option<f64>,
    pub origine: Option<String>,
    /// Public page of the offer.
    pub url: Option<String>,
    pub competences: Vec<Skill>,
}

/// API timestamps: `2025-11-13T22:47:20.057Z` (UTC).
pub fn parse_ts(s: &str) -> Option<NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.naive_utc())
        .or_else(|| {
            NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f").ok()
        })
}

fn text(s: Option<String>) -> Option<String> {
    s.as_deref().and_then(scrub)
}

fn code(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl ApiOffer {
    pub fn normalise(self) -> OfferRow {
        let lieu = self.lieu_travail.unwrap_or_default();
        let salaire_libelle = self.salaire.and_then(|s| s.libelle).and_then(|s| scrub(&s));
        let range = salaire_libelle.as_deref().and_then(salary::monthly_range);
        OfferRow {
            id: self.id.trim().to_string(),
            intitule: text(self.intitule),
            date_creation: self.date_creation.as_deref().and_then(parse_ts),
            date_actualisation: self.date_actualisation.as_deref().and_then(parse_ts),
            lieu_libelle: text(lieu.libelle),
            commune_brute: code(lieu.commune),
            code_postal: code(lieu.code_postal),
            rome: code(self.rome_code),
            appellation_libelle: text(self.appellation_libelle),
            entreprise_nom: text(self.entreprise.and_then(|e| e.nom)),
            type_contrat: code(self.type_contrat),
            nature_contrat: code(self.nature_contrat),
            experience_exige: code(self.experience_exige),
            qualification_code: code(self.qualification_code),
            naf: code(self.code_naf),
            secteur_division: code(self.secteur_activite),
            nombre_postes: self.nombre_postes.unwrap_or(1).max(1),
            alternance: self.alternance,
            accessible_th: self.accessible_th,
            offres_manque_candidats: self.offres_manque_candidats,
            salaire_min_mensuel: range.map(|r| r.0),
            salaire_max_mensuel: range.map(|r| r.1),
            salaire_libelle,
            duree_travail: code(self.duree_travail_libelle_converti),
            duree_contrat_mois: self
                .type_contrat_libelle
                .as_deref()
                .and_then(contract_months),
            url: self
                .origine_offre
                .as_ref()
                .and_then(|o| o.url_origine.clone()),
            origine: self.origine_offre.and_then(|o| o.origine),
            competences: self
                .competences
                .into_iter()
                .map(|c| (code(c.code), text(c.libelle), code(c.exigence)))
                .collect(),
        }
    }
}

/// Months of a contract label: "CDD - 6 Mois" → 6, "Intérim - 15 Jour(s)" → 0.49 (30.44 days a
/// month); `None` without a length (CDI, "Profession libérale").
pub fn contract_months(label: &str) -> Option<f64> {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)(\d+(?:[.,]\d+)?)\s*(mois|jour|semaine|an)").expect("regex")
    });
    let c = RE.captures(label)?;
    let n: f64 = c[1].replace(',', ".").parse().ok()?;
    let months = match c[2].to_lowercase().as_str() {
        "mois" => n,
        "jour" => n / 30.44,
        "semaine" => n * 7.0 / 30.44,
        _ => n * 12.0,
    };
    // at most a century: a longer "length" is a typo or garbage, not a contract (and a number
    // of 400 digits made an infinite length, found by fuzzing)
    (months > 0.0 && months <= 1200.0).then_some((months * 100.0).round() / 100.0)
}

#[cfg(test)]
mod contract_tests {
    #[test]
    fn contract_lengths_in_months() {
        assert_eq!(super::contract_months("CDD - 6 Mois"), Some(6.0));
        assert_eq!(super::contract_months("Intérim - 15 Jour(s)"), Some(0.49));
        assert_eq!(super::contract_months("CDI"), None);
        assert_eq!(
            super::contract_months(&format!("CDD - {} Mois", "4".repeat(400))),
            None
        );
    }
}
