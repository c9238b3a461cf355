//! The HTTP machinery every API collector shares (offers, Marché du travail): OAuth2 client
//! credentials (token cached, renewed before expiry and on 401), rate limiting (governor),
//! jittered exponential retries (backon) on 429 (`Retry-After` honoured), 5xx, time-outs and
//! truncated bodies. A source plugs in with its [`HttpConfig`] and a closure reading a response.
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Result};
use backon::BackoffBuilder;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::StatusCode;
use tokio::sync::Mutex;

/// Endpoint, OAuth2 and fault-handling settings of one API.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// What the API is called in messages ("France Travail", "Marché du travail").
    pub name: String,
    pub api_base: String,
    pub token_url: String,
    pub scope: String,
    /// Requests per second at most.
    pub rate_limit: f64,
    pub request_timeout_secs: f64,
    pub max_retries: usize,
    pub retry_base_delay_secs: f64,
}

impl From<&crate::config::MarcheDuTravailConfig> for HttpConfig {
    fn from(c: &crate::config::MarcheDuTravailConfig) -> Self {
        HttpConfig {
            name: "Marché du travail".into(),
            api_base: c.api_base.clone(),
            token_url: c.token_url.clone(),
            scope: c.scope.clone(),
            rate_limit: c.rate_limit,
            request_timeout_secs: c.request_timeout_secs,
            max_retries: c.max_retries,
            retry_base_delay_secs: c.retry_base_delay_secs,
        }
    }
}

impl From<&crate::config::FranceTravailConfig> for HttpConfig {
    fn from(c: &crate::config::FranceTravailConfig) -> Self {
        HttpConfig {
            name: "France Travail".into(),
            api_base: c.api_base.clone(),
            token_url: c.token_url.clone(),
            scope: c.scope.clone(),
            rate_limit: c.rate_limit,
            request_timeout_secs: c.request_timeout_secs,
            max_retries: c.max_retries,
            retry_base_delay_secs: c.retry_base_delay_secs,
        }
    }
}

#[derive(Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

struct Token {
    value: String,
    renew_at: Instant,
}

/// How one attempt ended, as the retry loop sees it.
pub enum Failure {
    Retry {
        why: String,
        after: Option<Duration>,
    },
    Unauthorized,
    Fatal(String),
}

pub struct ApiClient {
    http: reqwest::Client,
    cfg: HttpConfig,
    creds: Credentials,
    token: Mutex<Option<Token>>,
    limiter: DefaultDirectRateLimiter,
    pub requests: std::sync::atomic::AtomicU64,
}

impl ApiClient {
    pub fn new(cfg: HttpConfig, creds: Credentials) -> Result<ApiClient> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs_f64(cfg.request_timeout_secs))
            .user_agent(concat!("observatoire-gptec/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let period = Duration::from_secs_f64(1.0 / cfg.rate_limit);
        let quota = Quota::with_period(period)
            .ok_or_else(|| anyhow!("rate_limit invalide"))?
            .allow_burst(NonZeroU32::MIN);
        Ok(ApiClient {
            http,
            cfg,
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
    pub async fn with_retries<T, F, Fut>(&self, what: &str, mut attempt: F) -> Result<T>
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

    pub async fn token(&self) -> Result<String> {
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
            .with_retries(&format!("jeton {}", self.cfg.name), || async {
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

    /// The API's base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        self.cfg.api_base.trim_end_matches('/')
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends the request `build` makes (bearer token added) with the retry policy, and reads the
    /// response with `read` (which classifies what it cannot use with [`classify`]).
    pub async fn send<T, B, R, Fut>(&self, what: &str, build: B, read: R) -> Result<T>
    where
        B: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
        R: Fn(reqwest::Response) -> Fut,
        Fut: std::future::Future<Output = Result<T, Failure>>,
    {
        self.with_retries(what, || async {
            let token = self
                .token()
                .await
                .map_err(|e| Failure::Fatal(format!("{e:#}")))?;
            let r = build(&self.http)
                .header(reqwest::header::ACCEPT, "application/json")
                .bearer_auth(token)
                .send()
                .await
                .map_err(transport)?;
            read(r).await
        })
        .await
    }
}

pub fn transport(e: reqwest::Error) -> Failure {
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

pub fn classify(status: StatusCode, r: &reqwest::Response, fatal_msg: &str) -> Failure {
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
