//! Local job boards: a generic HTML collector configured per site in `jobs/*.toml` (list URLs, CSS
//! selectors for item, title, employer, place, date, link, next page). It honours robots.txt,
//! sends an honest User-Agent, is rate-limited and stops at a page budget. Offers land in the
//! offers table with their own source (`site-<name>`); titles are classified to ROME 4.0 against
//! the appellations and the match rate is reported with the run.
pub mod classify;
pub mod robots;

use std::collections::{HashMap, HashSet, VecDeque};
use std::num::NonZeroU32;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use governor::{Quota, RateLimiter};
use reqwest::Url;
use scraper::{ElementRef, Html, Selector};
use serde::Deserialize;

use self::classify::{normalise, Classifier};
use self::robots::Robots;
use super::francetravail::model::OfferRow;
use super::francetravail::store;
use super::privacy::scrub;
use super::SourceMeta;
use crate::schedule::context::{JobCtx, RunSummary};

pub const USER_AGENT: &str = concat!(
    "observatoire-gptec/",
    env!("CARGO_PKG_VERSION"),
    " (observatoire territorial de l'emploi; respecte robots.txt)"
);

/// `[params]` of a `kind = "scraper"` job.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardConfig {
    /// Short identifier: offers get the source `site-<site>`.
    pub site: String,
    /// Name shown on pages.
    pub name: String,
    pub start_urls: Vec<String>,
    /// CSS selector of one offer on a list page.
    pub item: String,
    /// Selectors inside an item.
    pub title: String,
    pub link: String,
    #[serde(default)]
    pub employer: Option<String>,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
    /// Attribute holding the date (e.g. `datetime` of `<time>`); the text otherwise.
    #[serde(default)]
    pub date_attr: Option<String>,
    /// Selector of the "next page" link.
    #[serde(default)]
    pub next: Option<String>,
    /// Pages fetched at most per run.
    #[serde(default = "default_pages")]
    pub max_pages: usize,
    /// Requests per second at most.
    #[serde(default = "default_rate")]
    pub rate_limit: f64,
    /// Département of the board, to find communes by name.
    #[serde(default)]
    pub departement: Option<String>,
}

fn default_pages() -> usize {
    20
}
fn default_rate() -> f64 {
    1.0
}

struct Selectors {
    item: Selector,
    title: Selector,
    link: Selector,
    employer: Option<Selector>,
    place: Option<Selector>,
    date: Option<Selector>,
    next: Option<Selector>,
}

fn sel(field: &str, s: &str) -> Result<Selector, String> {
    Selector::parse(s)
        .map_err(|e| format!("champ `params.{field}` : sélecteur CSS {s:?} invalide ({e})"))
}

impl BoardConfig {
    pub fn from_params(params: &toml::Table) -> Result<BoardConfig, String> {
        // `full` and `force` are run flags (`jobs run NAME --full --force`), not settings.
        let mut params = params.clone();
        params.remove("full");
        params.remove("force");
        let cfg: BoardConfig = params.try_into().map_err(|e: toml::de::Error| {
            format!(
                "champ `params` : {}",
                e.to_string().trim().replace('\n', " ")
            )
        })?;
        cfg.selectors()?;
        if cfg.site.is_empty()
            || !cfg
                .site
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(format!(
                "champ `params.site` : {:?} (lettres, chiffres et - seulement)",
                cfg.site
            ));
        }
        if cfg.start_urls.is_empty() || cfg.start_urls.iter().any(|u| Url::parse(u).is_err()) {
            return Err("champ `params.start_urls` : au moins une URL valide attendue".into());
        }
        if !(cfg.rate_limit > 0.0 && cfg.rate_limit.is_finite()) || cfg.max_pages == 0 {
            return Err("champs `params.rate_limit` et `params.max_pages` doivent être > 0".into());
        }
        Ok(cfg)
    }

    fn selectors(&self) -> Result<Selectors, String> {
        let opt = |f: &str, s: &Option<String>| s.as_deref().map(|s| sel(f, s)).transpose();
        Ok(Selectors {
            item: sel("item", &self.item)?,
            title: sel("title", &self.title)?,
            link: sel("link", &self.link)?,
            employer: opt("employer", &self.employer)?,
            place: opt("place", &self.place)?,
            date: opt("date", &self.date)?,
            next: opt("next", &self.next)?,
        })
    }

    pub fn source_id(&self) -> String {
        format!("site-{}", self.site)
    }
}

/// An offer read from a list page: link, title, employer, place, date.
type Scraped = (
    Url,
    String,
    Option<String>,
    Option<String>,
    Option<NaiveDateTime>,
);

fn text(el: ElementRef) -> String {
    el.text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `2025-11-13`, `2025-11-13T08:00:00Z`, `13/11/2025`.
fn parse_date(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(d.naive_utc());
    }
    let re = regex::Regex::new(r"(\d{4})-(\d{2})-(\d{2})|(\d{1,2})/(\d{1,2})/(\d{4})").ok()?;
    let c = re.captures(s)?;
    let date = if c.get(1).is_some() {
        NaiveDate::from_ymd_opt(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
    } else {
        NaiveDate::from_ymd_opt(c[6].parse().ok()?, c[5].parse().ok()?, c[4].parse().ok()?)
    }?;
    date.and_hms_opt(0, 0, 0)
}

/// The address kept for a scraped offer, without query string or fragment (they can carry
/// session or tracking tokens), and the key that identifies it: that address plus a hash of the
/// query, so offers told apart only by their query stay apart. Migration 0005 computes the same
/// key in SQL for offers stored before.
pub fn public_address(url: &Url) -> (String, String) {
    use sha2::Digest;
    let mut bare = url.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    let address = bare.to_string();
    let key = match url.query() {
        Some(q) => {
            let hash = sha2::Sha256::digest(q.as_bytes());
            let hex: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
            format!("{address}|q:{hex}")
        }
        None => address.clone(),
    };
    (address, key)
}

/// Commune names of a département (normalised) → code; names shared by several communes are dropped.
fn communes(conn: &duckdb::Connection, dep: Option<&str>) -> Result<HashMap<String, String>> {
    let mut by_name: HashMap<String, Option<String>> = HashMap::new();
    let mut stmt =
        conn.prepare("SELECT libelle, code FROM ref_commune WHERE ?1 IS NULL OR departement = ?1")?;
    let rows = stmt.query_map([dep], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    for row in rows {
        let (name, code) = row?;
        by_name
            .entry(normalise(&name))
            .and_modify(|c| *c = None)
            .or_insert(Some(code));
    }
    Ok(by_name
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect())
}

fn locate(place: &str, communes: &HashMap<String, String>) -> Option<String> {
    let cleaned: String = place
        .chars()
        .map(|c| {
            if c.is_ascii_digit() || c == '(' || c == ')' {
                ' '
            } else {
                c
            }
        })
        .collect();
    let norm = normalise(&cleaned);
    communes.get(&norm).cloned().or_else(|| {
        // "Rouen - Rive gauche", "Le Havre, quartier…": the longest leading run of words that is a commune
        let words: Vec<&str> = norm.split(' ').collect();
        (1..words.len())
            .rev()
            .find_map(|n| communes.get(&words[..n].join(" ")).cloned())
    })
}

pub async fn run(ctx: &JobCtx, cfg: &BoardConfig, force_close: bool) -> Result<RunSummary> {
    let s = cfg.selectors().map_err(|e| anyhow!(e))?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .user_agent(USER_AGENT)
        .build()?;
    let period = Duration::from_secs_f64(1.0 / cfg.rate_limit);
    let limiter = RateLimiter::direct(
        Quota::with_period(period)
            .ok_or_else(|| anyhow!("rate_limit"))?
            .allow_burst(NonZeroU32::MIN),
    );
    let mut robots: HashMap<String, Robots> = HashMap::new();
    let mut queue: VecDeque<Url> = cfg
        .start_urls
        .iter()
        .filter_map(|u| Url::parse(u).ok())
        .collect();
    let own_origins: HashSet<String> = queue
        .iter()
        .map(|u| u.origin().ascii_serialization())
        .collect();
    let mut seen_pages: HashSet<Url> = HashSet::new();
    let (mut pages, mut blocked) = (0usize, 0usize);
    let mut items: Vec<Scraped> = Vec::new();
    let mut budget_hit = false;
    while let Some(url) = queue.pop_front() {
        ctx.cancel.check()?;
        if !seen_pages.insert(url.clone()) {
            continue;
        }
        if pages >= cfg.max_pages {
            budget_hit = true;
            break;
        }
        let origin = url.origin().ascii_serialization();
        if !robots.contains_key(&origin) {
            limiter.until_ready().await;
            // robots.txt unreachable (5xx, network) or unreadable: the site cannot be read as it
            // asks, so the run stops here, writing and closing nothing.
            let unavailable = |why: String| {
                anyhow!("robots.txt de {origin} indisponible ({why}) : collecte arrêtée, aucune offre enregistrée ni fermée")
            };
            let r = match http.get(format!("{origin}/robots.txt")).send().await {
                Ok(resp) if resp.status().is_success() => {
                    let text = resp.text().await.map_err(|e| unavailable(e.to_string()))?;
                    Robots::parse(&text).map_err(unavailable)?
                }
                Ok(resp) if resp.status().is_client_error() => Robots::allow_all(),
                Ok(resp) => return Err(unavailable(format!("réponse {}", resp.status()))),
                Err(e) => return Err(unavailable(e.to_string())),
            };
            robots.insert(origin.clone(), r);
        }
        if !robots[&origin].allowed(url.as_str()) {
            tracing::info!(%url, "page interdite par robots.txt : non visitée");
            blocked += 1;
            continue;
        }
        limiter.until_ready().await;
        ctx.progress
            .message(&format!("{} : page {}", cfg.site, pages + 1));
        let resp = http
            .get(url.clone())
            .send()
            .await
            .with_context(|| format!("{url}"))?;
        if !resp.status().is_success() {
            bail!("{url} : réponse {}", resp.status());
        }
        let body = resp.text().await.with_context(|| format!("{url}"))?;
        pages += 1;
        let doc = Html::parse_document(&body);
        for item in doc.select(&s.item) {
            let Some(title) = item
                .select(&s.title)
                .next()
                .map(text)
                .filter(|t| !t.is_empty())
            else {
                continue;
            };
            let link = item
                .select(&s.link)
                .next()
                .and_then(|a| a.value().attr("href"))
                .and_then(|h| url.join(h).ok());
            let Some(link) = link else { continue };
            let pick = |sel: &Option<Selector>| {
                sel.as_ref()
                    .and_then(|s| item.select(s).next())
                    .map(text)
                    .filter(|t| !t.is_empty())
            };
            let date = s
                .date
                .as_ref()
                .and_then(|d| item.select(d).next())
                .and_then(|el| match &cfg.date_attr {
                    Some(a) => el.value().attr(a).map(str::to_string),
                    None => Some(text(el)),
                });
            items.push((
                link,
                title,
                pick(&s.employer),
                pick(&s.place),
                date.as_deref().and_then(parse_date),
            ));
        }
        if let Some(next) = s
            .next
            .as_ref()
            .and_then(|n| doc.select(n).next())
            .and_then(|a| a.value().attr("href"))
        {
            match url.join(next) {
                // The crawler stays on the board's own site(s).
                Ok(u) if own_origins.contains(&u.origin().ascii_serialization()) => {
                    queue.push_back(u)
                }
                Ok(u) => tracing::info!(%u, "lien « page suivante » hors du site : non suivi"),
                Err(_) => {}
            }
        }
        ctx.progress.add(1);
    }

    let (classifier, places) = {
        let dep = cfg.departement.clone();
        ctx.db
            .call(move |c| Ok((Classifier::load(c)?, communes(c, dep.as_deref())?)))
            .await?
    };
    let now = Utc::now().naive_utc();
    let mut by_id: HashMap<String, OfferRow> = HashMap::new();
    let mut matched = 0;
    for (link, title, employer, place, date) in items {
        let rome = classifier.classify(&title).map(str::to_string);
        matched += rome.is_some() as usize;
        let (link, key) = public_address(&link);
        let id = format!("{}:{key}", cfg.source_id());
        by_id.insert(
            id.clone(),
            OfferRow {
                id,
                intitule: scrub(&title),
                date_creation: Some(date.unwrap_or(now)),
                date_actualisation: None,
                lieu_libelle: place.as_deref().and_then(scrub),
                commune_brute: place.as_deref().and_then(|p| locate(p, &places)),
                code_postal: None,
                rome,
                appellation_libelle: None,
                entreprise_nom: employer.as_deref().and_then(scrub),
                type_contrat: None,
                nature_contrat: None,
                experience_exige: None,
                qualification_code: None,
                naf: None,
                secteur_division: None,
                nombre_postes: 1,
                alternance: None,
                accessible_th: None,
                offres_manque_candidats: None,
                salaire_libelle: None,
                salaire_min_mensuel: None,
                salaire_max_mensuel: None,
                duree_travail: None,
                duree_contrat_mois: None,
                origine: None,
                url: Some(link),
                competences: vec![],
            },
        );
    }
    let total = by_id.len();
    let rows: Vec<OfferRow> = by_id.into_values().collect();
    let source_id = cfg.source_id();
    let (cancel, site, name) = (ctx.cancel.clone(), cfg.site.clone(), cfg.name.clone());
    let url0 = cfg.start_urls[0].clone();
    // A run cut by the page budget did not see every offer: it closes nothing.
    let full = !budget_hit;
    let guard = store::Guard {
        max_drop_share: ctx.config.sources.max_drop_share,
        force: force_close,
    };
    let mut summary = ctx
        .db
        .call(move |c| {
            let batch = store::Batch {
                source_id: &source_id,
                collector: "scraper",
                scope: &site,
                departement: None,
                rows: &rows,
                full,
                now,
                window_end: now,
                guard,
            };
            let s = store::write(c, &batch, &cancel)?;
            let publisher = format!("site {site}");
            let source = SourceMeta {
                id: &source_id,
                name: &name,
                publisher: &publisher,
                vintage: "offres en ligne",
                licence: "Conditions du site",
                url: &url0,
                method_anchor: "offres",
                expected_period_days: Some(1),
                publication_lag_days: Some(1),
            };
            store::finish(c, &source, &cancel)?;
            Ok(s)
        })
        .await?;
    let rate = if total > 0 {
        matched as f64 * 100.0 / total as f64
    } else {
        0.0
    };
    summary.note = Some(format!(
        "{pages} pages{}, {blocked} interdite(s) par robots.txt, {total} offres, ROME reconnu pour {matched} ({rate:.0} %)",
        if budget_hit { " (budget de pages atteint : aucune offre fermée)" } else { "" }
    ));
    tracing::info!(site = %cfg.site, pages, blocked, offers = total, matched, "tableau d'offres collecté ; taux de reconnaissance ROME {rate:.0} %");
    Ok(summary)
}
