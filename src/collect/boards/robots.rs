//! robots.txt (RFC 9309): the group for our user-agent token, else `*`; longest matching rule
//! wins, `Allow` wins a tie; `*` and `$` patterns. Unreachable (5xx, network) → everything is
//! disallowed; absent (4xx) → everything is allowed.
pub const AGENT_TOKEN: &str = "observatoire-gptec";

#[derive(Debug, Clone, Default)]
pub struct Robots {
    /// (allow, pattern)
    rules: Vec<(bool, String)>,
    disallow_all: bool,
}

impl Robots {
    pub fn allow_all() -> Robots {
        Robots::default()
    }

    pub fn disallow_all() -> Robots {
        Robots {
            rules: vec![],
            disallow_all: true,
        }
    }

    pub fn parse(text: &str) -> Robots {
        // groups: (agents, rules)
        type Group = (Vec<String>, Vec<(bool, String)>);
        let mut groups: Vec<Group> = Vec::new();
        let mut in_agents = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let (key, value) = (key.trim().to_ascii_lowercase(), value.trim().to_string());
            match key.as_str() {
                "user-agent" => {
                    if !in_agents {
                        groups.push((vec![], vec![]));
                        in_agents = true;
                    }
                    if let Some(g) = groups.last_mut() {
                        g.0.push(value.to_ascii_lowercase());
                    }
                }
                "allow" | "disallow" => {
                    in_agents = false;
                    if let Some(g) = groups.last_mut() {
                        if !value.is_empty() {
                            g.1.push((key == "allow", value));
                        }
                    }
                }
                _ => {}
            }
        }
        let ours: Vec<(bool, String)> = groups
            .iter()
            .filter(|(a, _)| a.iter().any(|a| a == AGENT_TOKEN))
            .flat_map(|(_, r)| r.clone())
            .collect();
        let rules = if !ours.is_empty()
            || groups
                .iter()
                .any(|(a, _)| a.iter().any(|a| a == AGENT_TOKEN))
        {
            ours
        } else {
            groups
                .iter()
                .filter(|(a, _)| a.iter().any(|a| a == "*"))
                .flat_map(|(_, r)| r.clone())
                .collect()
        };
        Robots {
            rules,
            disallow_all: false,
        }
    }

    /// Whether `path` (path and query of a URL) may be fetched.
    pub fn allowed(&self, path: &str) -> bool {
        if self.disallow_all {
            return false;
        }
        let mut best: Option<(usize, bool)> = None;
        for (allow, pattern) in &self.rules {
            if matches(pattern, path) {
                let len = pattern.len();
                best = match best {
                    Some((l, a)) if l > len || (l == len && a) => Some((l, a)),
                    _ => Some((len, *allow)),
                };
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

/// Robots pattern match: prefix, `*` any run, trailing `$` end.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut pos = 0;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            if !path.starts_with(part) {
                return false;
            }
            pos = part.len();
        } else {
            match path[pos..].find(part) {
                Some(at) => pos += at + part.len(),
                None => return false,
            }
        }
    }
    !anchored || pos == path.len() || parts.last().is_some_and(|p| p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_and_groups() {
        let r = Robots::parse("User-agent: *\nDisallow: /offres/privees\nAllow: /offres/privees/publiques\nDisallow: /*.pdf$\n");
        assert!(r.allowed("/offres?page=2"));
        assert!(!r.allowed("/offres/privees/page3"));
        assert!(r.allowed("/offres/privees/publiques/1"));
        assert!(!r.allowed("/docs/fiche.pdf"));
        assert!(r.allowed("/docs/fiche.pdf?x=1"));
        let r = Robots::parse(
            "User-agent: observatoire-gptec\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
        );
        assert!(!r.allowed("/offres"));
        let r = Robots::parse("User-agent: autrebot\nDisallow: /\n");
        assert!(r.allowed("/offres"));
        assert!(!Robots::disallow_all().allowed("/"));
    }
}
