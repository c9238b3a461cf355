//! HTTP client of the France Travail API: OAuth2 client credentials (token cached, renewed before
//! expiry and on 401), rate limiting (governor), jittered exponential retries (backon) on 429
//! (`Retry-After` honoured), 5xx, time-outs and truncated bodies, and `range` paging.
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use backon::BackoffBuilder;
use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::StatusCode;
use tokio::sync::Mutex;

use super::model::{ApiOffer, SearchPage};
use crate::config::FranceTravailConfig;

/// The API serves at most this many results for one query (`range` up to 3000-3149).
pub const MAX_RESULTS: u64 = 3150;
pub const PAGE_SIZE: u64 = 150;

#[derive(Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

struct Token {
    value: String,
    renew_at: Instant,
}

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

enum Failure {
    Retry {
        why: String,
        after: Option<Duration>,
    },
    Unauthorized,
    Fatal(String),
}

pub struct Client {
    http: reqwest::Client,
    cfg: FranceTravailConfig,
    creds: Credentials,
    token: Mutex<Option<Token>>,
    limiter: DefaultDirectRateLimiter,
    pub requests: std::sync::atomic::AtomicU64,
}

pub fn fmt_date(d: &DateTime<Utc>) -> String {
    d.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Client {
    pub fn new(cfg: &FranceTravailConfig, creds: Credentials) -> Result<Client> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs_f64(cfg.request_timeout_secs))
            .user_agent(concat!("observatoire-gptec/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let period = Duration::from_secs_f64(1.0 / cfg.rate_limit);
        let quota = Quota::with_period(period)
            .ok_or_else(|| anyhow!("rate_limit invalide"))?
            .allow_burst(NonZeroU32::MIN);
        Ok(Client {
            http,
            cfg: cfg.clone(),
            creds,
            token: Mutex::new(None),
            limiter: RateLimiter::direct(quota),
            requests: Default::default(),
        })
    }

    fn backoff(&self) -> impl Iterator<Item = Duration> {
        backon::ExponentialBuilder::default()
            .with_min_delay(Duration::from_secs_f64(self.cfg.retry_base_delay_secs))
            .with_max_delay(Duration::from_secs(120))
            .with_max_times(self.cfg.max_retries)
            .with_jitter()
            .build()
    }

    /// Runs `attempt` with rate limiting and retries; on 401 renews the token once per failure.
    async fn with_retries<T, F, Fut>(&self, what: &str, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Failure>>,
    {
        let mut delays = self.backoff();
        let mut renewed = 0;
        loop {
            self.limiter.until_ready().await;
            self.requests
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            match attempt().await {
                Ok(v) => return Ok(v),
                Err(Failure::Fatal(msg)) => bail!("{what} : {msg}"),
                Err(Failure::Unauthorized) => {
                    renewed += 1;
                    if renewed > 2 {
                        bail!("{what} : accès refusé (401) même avec un jeton renouvelé");
                    }
                    tracing::info!("{what} : jeton refusé (401), renouvellement");
                    *self.token.lock().await = None;
                }
                Err(Failure::Retry { why, after }) => {
                    let Some(delay) = delays.next() else {
                        bail!(
                            "{what} : échec après {} nouvelles tentatives : {why}",
                            self.cfg.max_retries
                        );
                    };
                    // The server's Retry-After wins over our own back-off.
                    let delay = after.unwrap_or(delay);
                    tracing::warn!(
                        "{what} : {why} ; nouvel essai dans {:.1} s",
                        delay.as_secs_f64()
                    );
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    async fn token(&self) -> Result<String> {
        let mut guard = self.token.lock().await;
        if let Some(t) = guard.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(t.value.clone());
        }
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            access_token: String,
            /// Seconds, as a number (or a string, from some gateways).
            #[serde(default)]
            expires_in: Option<serde_json::Value>,
        }
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.creds.client_id.as_str()),
            ("client_secret", self.creds.client_secret.as_str()),
            ("scope", self.cfg.scope.as_str()),
        ];
        let resp: TokenResponse = self
            .with_retries("jeton France Travail", || async {
                let r = self
                    .http
                    .post(&self.cfg.token_url)
                    .form(&form)
                    .send()
                    .await
                    .map_err(transport)?;
                let status = r.status();
                if status.is_success() {
                    let body = r.bytes().await.map_err(transport)?;
                    return serde_json::from_slice::<TokenResponse>(&body).map_err(|e| {
                        Failure::Retry {
                            why: format!("réponse de jeton illisible : {e}"),
                            after: None,
                        }
                    });
                }
                Err(classify(
                    status,
                    &r,
                    "identifiants refusés par le serveur de jetons",
                ))
            })
            .await?;
        let ttl = resp
            .expires_in
            .as_ref()
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            })
            .unwrap_or(1500);
        // Renew before expiry: at 90 % of the lifetime, and at least 30 s before.
        let margin = (ttl / 10).max(30).min(ttl / 2);
        *guard = Some(Token {
            value: resp.access_token.clone(),
            renew_at: Instant::now() + Duration::from_secs(ttl.saturating_sub(margin)),
        });
        Ok(resp.access_token)
    }

    /// One page `range=start-end` of a query.
    pub async fn search(&self, q: &Query, start: u64, end: u64) -> Result<Page> {
        let url = format!(
            "{}/v2/offres/search",
            self.cfg.api_base.trim_end_matches('/')
        );
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
        self.with_retries(&what, || async {
            let token = self
                .token()
                .await
                .map_err(|e| Failure::Fatal(format!("{e:#}")))?;
            let r = self
                .http
                .get(&url)
                .query(&params)
                .header(reqwest::header::ACCEPT, "application/json")
                .bearer_auth(token)
                .send()
                .await
                .map_err(transport)?;
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

fn transport(e: reqwest::Error) -> Failure {
    let kind = if e.is_timeout() {
        "délai dépassé"
    } else if e.is_connect() {
        "connexion impossible"
    } else if e.is_body() || e.is_decode() {
        "corps de réponse interrompu"
    } else {
        "erreur réseau"
    };
    Failure::Retry {
        why: format!("{kind} : {e}"),
        after: None,
    }
}

fn classify(status: StatusCode, r: &reqwest::Response, fatal_msg: &str) -> Failure {
    match status {
        StatusCode::UNAUTHORIZED if !r.url().path().contains("token") => Failure::Unauthorized,
        StatusCode::TOO_MANY_REQUESTS => Failure::Retry {
            why: "trop de requêtes (429)".into(),
            after: r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(|s| Duration::from_secs_f64(s.min(600.0))),
        },
        s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => Failure::Retry {
            why: format!("erreur serveur ({s})"),
            after: None,
        },
        s => Failure::Fatal(format!("{fatal_msg} ({s})")),
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
