//! The France Travail offers search (API Offres d'emploi v2) on the shared HTTP layer
//! ([`crate::collect::http`]): `range` paging and `Content-Range` totals.
use anyhow::Result;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;

use super::model::{ApiOffer, SearchPage};
pub use crate::collect::http::Credentials;
use crate::collect::http::{classify, transport, ApiClient, Failure};

/// The API serves at most this many results for one query (`range` up to 3000-3149).
pub const MAX_RESULTS: u64 = 3150;
pub const PAGE_SIZE: u64 = 150;

/// One search: a département and a creation-date window, optionally narrowed to a grand domaine.
#[derive(Debug, Clone)]
pub struct Query {
    pub departement: String,
    pub min: DateTime<Utc>,
    pub max: DateTime<Utc>,
    pub grand_domaine: Option<String>,
}

pub struct Page {
    pub offers: Vec<ApiOffer>,
    /// Total matching the query, from `Content-Range` (0 on 204).
    pub total: u64,
}

/// The offers API client.
pub struct Client {
    pub api: ApiClient,
}

pub fn fmt_date(d: &DateTime<Utc>) -> String {
    d.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Client {
    pub fn new(cfg: &crate::config::FranceTravailConfig, creds: Credentials) -> Result<Client> {
        Ok(Client {
            api: ApiClient::new(cfg.into(), creds)?,
        })
    }

    /// One page `range=start-end` of a query.
    pub async fn search(&self, q: &Query, start: u64, end: u64) -> Result<Page> {
        let url = format!("{}/v2/offres/search", self.api.base());
        let mut params = vec![
            ("departement", q.departement.clone()),
            ("minCreationDate", fmt_date(&q.min)),
            ("maxCreationDate", fmt_date(&q.max)),
            ("range", format!("{start}-{end}")),
        ];
        if let Some(gd) = &q.grand_domaine {
            params.push(("grandDomaine", gd.clone()));
        }
        let what = format!(
            "offres {} {}→{} range {start}-{end}",
            q.departement,
            fmt_date(&q.min),
            fmt_date(&q.max)
        );
        let build = |http: &reqwest::Client| http.get(&url).query(&params);
        self.api
            .send(&what, build, |r| async move {
                let status = r.status();
                match status {
                    StatusCode::NO_CONTENT => Ok(Page {
                        offers: vec![],
                        total: 0,
                    }),
                    StatusCode::OK | StatusCode::PARTIAL_CONTENT => {
                        let range = r
                            .headers()
                            .get("content-range")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string);
                        let body = r.bytes().await.map_err(transport)?;
                        let page: SearchPage =
                            serde_json::from_slice(&body).map_err(|e| Failure::Retry {
                                why: format!(
                                    "corps JSON tronqué ou invalide ({} octets) : {e}",
                                    body.len()
                                ),
                                after: None,
                            })?;
                        let total = match range.as_deref().and_then(parse_total) {
                            Some(t) => t,
                            None if status == StatusCode::OK => start + page.resultats.len() as u64,
                            None => {
                                return Err(Failure::Retry {
                                    why: format!(
                                        "réponse 206 sans Content-Range exploitable ({range:?})"
                                    ),
                                    after: None,
                                })
                            }
                        };
                        Ok(Page {
                            offers: page.resultats,
                            total,
                        })
                    }
                    _ => Err(classify(status, &r, "requête refusée")),
                }
            })
            .await
    }
}

/// `offres 0-149/1234` → 1234; `*/0` → 0.
pub fn parse_total(h: &str) -> Option<u64> {
    h.rsplit('/').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::parse_total;

    #[test]
    fn content_range() {
        assert_eq!(parse_total("offres 0-149/1234"), Some(1234));
        assert_eq!(parse_total("offres 3000-3149/9999"), Some(9999));
        assert_eq!(parse_total("*/0"), Some(0));
        assert_eq!(parse_total("offres 0-149/"), None);
    }
}
