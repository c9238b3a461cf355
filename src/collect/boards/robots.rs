//! robots.txt through `texting_robots` (RFC 9309 groups, longest match, `*` and `$` patterns,
//! percent-decoding). The hand-written parser this replaces mis-matched `$` patterns and did no
//! percent-decoding. Absent (4xx) → everything is allowed; unreachable or unreadable → the
//! caller stops the run (it must not guess, and must not close offers it could not check).
pub const AGENT_TOKEN: &str = "observatoire-gptec";

pub enum Robots {
    Rules(Box<texting_robots::Robot>),
    AllowAll,
}

impl Robots {
    pub fn allow_all() -> Robots {
        Robots::AllowAll
    }

    /// Parses a robots.txt body; an unreadable one is an error.
    pub fn parse(text: &str) -> Result<Robots, String> {
        texting_robots::Robot::new(AGENT_TOKEN, text.as_bytes())
            .map(|r| Robots::Rules(Box::new(r)))
            .map_err(|e| format!("robots.txt illisible : {e}"))
    }

    /// Whether `url` (absolute) may be fetched.
    pub fn allowed(&self, url: &str) -> bool {
        match self {
            Robots::Rules(r) => r.allowed(url),
            Robots::AllowAll => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://emplois.example.org";

    fn allowed(r: &Robots, path: &str) -> bool {
        r.allowed(&format!("{BASE}{path}"))
    }

    #[test]
    fn rules_and_groups() {
        let r = Robots::parse("User-agent: *\nDisallow: /offres/privees\nAllow: /offres/privees/publiques\nDisallow: /*.pdf$\n").unwrap();
        assert!(allowed(&r, "/offres?page=2"));
        assert!(!allowed(&r, "/offres/privees/page3"));
        assert!(allowed(&r, "/offres/privees/publiques/1"));
        assert!(!allowed(&r, "/docs/fiche.pdf"));
        assert!(allowed(&r, "/docs/fiche.pdf?x=1"));
        let r = Robots::parse(
            "User-agent: observatoire-gptec\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
        )
        .unwrap();
        assert!(!allowed(&r, "/offres"));
        let r = Robots::parse("User-agent: autrebot\nDisallow: /\n").unwrap();
        assert!(allowed(&r, "/offres"));
    }

    #[test]
    fn dollar_anchors_and_percent_encoding() {
        // `$` anchors the end of the path only.
        let r = Robots::parse("User-agent: *\nDisallow: /offres$\n").unwrap();
        assert!(!allowed(&r, "/offres"));
        assert!(allowed(&r, "/offres/12"));
        // A rule written with an accent matches the percent-encoded path, and back.
        let r = Robots::parse("User-agent: *\nDisallow: /métiers/\n").unwrap();
        assert!(!allowed(&r, "/m%C3%A9tiers/cuisine"));
        let r = Robots::parse("User-agent: *\nDisallow: /m%C3%A9tiers/\n").unwrap();
        assert!(!allowed(&r, "/métiers/cuisine"));
    }
}
