//! An in-process France Travail *Offres d'emploi v2* server (wiremock on loopback) that serves
//! real-format offers built from a real API page, follows the paging contract (range p-d ≤ 150,
//! p ≤ 3000, d ≤ 3149, 200/206/204 with Content-Range), checks bearer tokens, and injects faults.
use std::collections::{HashSet, VecDeque};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[derive(Debug, Clone)]
pub enum Fault {
    TooMany {
        retry_after_secs: u64,
    },
    ServerError,
    Delay(Duration),
    Truncated,
    /// Every token issued so far becomes invalid (expiry mid-run): the request gets 401.
    ExpireTokens,
}

#[derive(Default)]
pub struct State {
    /// (département, offer JSON)
    pub offers: Mutex<Vec<(String, Value)>>,
    pub faults: Mutex<VecDeque<Fault>>,
    /// Fault injected at every search request whose index (0-based) is in this set.
    pub fail_at: Mutex<HashSet<u64>>,
    pub search_requests: AtomicU64,
    pub token_requests: AtomicU64,
    valid_tokens: Mutex<HashSet<String>>,
    pub log: Mutex<Vec<String>>,
    /// Delay added to every search response.
    pub slow: Mutex<Duration>,
    /// Called with the request's index before each search request is answered: the listing
    /// changing while it is paged (offers published, withdrawn, moved).
    #[allow(clippy::type_complexity)]
    pub mutate: Mutex<Option<Box<dyn FnMut(u64, &mut Vec<(String, Value)>) + Send>>>,
}

pub struct FtMock {
    pub server: MockServer,
    pub state: Arc<State>,
}

pub fn real_page() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/offres_search_2025-11-13_page0.json.gz"
    );
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    let v: Value = serde_json::from_str(&s).unwrap();
    v["resultats"].as_array().unwrap().clone()
}

/// `n` offers for département `dep`, cloned from the real page with new ids, created at
/// regular intervals over the `days` days before `end`, located in `commune`.
pub fn offers(
    dep: &str,
    commune: &str,
    n: usize,
    days: i64,
    end: DateTime<Utc>,
) -> Vec<(String, Value)> {
    let page = real_page();
    let span = chrono::Duration::days(days).num_seconds();
    (0..n)
        .map(|i| {
            let mut o = page[i % page.len()].clone();
            o["id"] = Value::String(format!("T{dep}{i:06}"));
            let created = end
                - chrono::Duration::seconds(span * i as i64 / n.max(1) as i64)
                - chrono::Duration::seconds(1);
            o["dateCreation"] = Value::String(created.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
            o["lieuTravail"]["commune"] = Value::String(commune.into());
            o["lieuTravail"]["libelle"] = Value::String(format!("{dep} - COMMUNE"));
            (dep.to_string(), o)
        })
        .collect()
}

fn param(req: &Request, key: &str) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

struct TokenResponder(Arc<State>);
impl Respond for TokenResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let n = self.0.token_requests.fetch_add(1, Ordering::SeqCst);
        let body = String::from_utf8_lossy(&req.body);
        if !body.contains("grant_type=client_credentials") || !body.contains("client_secret=s3cret")
        {
            return ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": "invalid_client"}));
        }
        let token = format!("tok-{n}");
        self.0.valid_tokens.lock().unwrap().insert(token.clone());
        ResponseTemplate::new(200)
            .set_body_json(serde_json::json!({"access_token": token, "token_type": "Bearer", "expires_in": 1499, "scope": "api_offresdemploiv2 o2dsoffre"}))
    }
}

struct SearchResponder(Arc<State>);
impl Respond for SearchResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let s = &self.0;
        let idx = s.search_requests.fetch_add(1, Ordering::SeqCst);
        if let Some(f) = s.mutate.lock().unwrap().as_mut() {
            f(idx, &mut s.offers.lock().unwrap());
        }
        s.log
            .lock()
            .unwrap()
            .push(req.url.query().unwrap_or("").to_string());
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let fault = if s.fail_at.lock().unwrap().contains(&idx) {
            Some(Fault::ServerError)
        } else {
            s.faults.lock().unwrap().pop_front()
        };
        match fault {
            Some(Fault::TooMany { retry_after_secs }) => {
                return ResponseTemplate::new(429)
                    .insert_header("Retry-After", retry_after_secs.to_string().as_str())
            }
            Some(Fault::ServerError) => {
                return ResponseTemplate::new(500)
                    .set_body_string("{\"message\":\"Erreur interne\"}")
            }
            Some(Fault::ExpireTokens) => s.valid_tokens.lock().unwrap().clear(),
            _ => {}
        }
        let token = auth.strip_prefix("Bearer ").unwrap_or("");
        if !s.valid_tokens.lock().unwrap().contains(token) {
            return ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"message": "Token expired"}));
        }
        let (Some(dep), Some(min), Some(max), Some(range)) = (
            param(req, "departement"),
            param(req, "minCreationDate"),
            param(req, "maxCreationDate"),
            param(req, "range"),
        ) else {
            return ResponseTemplate::new(400).set_body_string("paramètres manquants");
        };
        let parse = |d: &str| DateTime::parse_from_rfc3339(d).map(|d| d.with_timezone(&Utc));
        let (Ok(min), Ok(max)) = (parse(&min), parse(&max)) else {
            return ResponseTemplate::new(400);
        };
        let Some((p, d)) = range
            .split_once('-')
            .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
        else {
            return ResponseTemplate::new(400);
        };
        if p > 3000 || d > 3149 || d < p || d - p >= 150 {
            return ResponseTemplate::new(400).set_body_string("range invalide");
        }
        let gd = param(req, "grandDomaine");
        let mut matching: Vec<Value> = s
            .offers
            .lock()
            .unwrap()
            .iter()
            .filter(|(od, o)| {
                let created = parse(o["dateCreation"].as_str().unwrap()).unwrap();
                od == &dep
                    && created >= min
                    && created <= max
                    && gd
                        .as_deref()
                        .is_none_or(|g| o["romeCode"].as_str().unwrap_or("").starts_with(g))
            })
            .map(|(_, o)| o.clone())
            .collect();
        matching.sort_by(|a, b| {
            b["dateCreation"]
                .as_str()
                .cmp(&a["dateCreation"].as_str())
                .then(a["id"].as_str().cmp(&b["id"].as_str()))
        });
        let total = matching.len() as u64;
        if total == 0 || p >= total {
            return ResponseTemplate::new(204)
                .insert_header("Content-Range", format!("offres */{total}").as_str());
        }
        let last = d.min(total - 1);
        let page: Vec<Value> = matching[p as usize..=last as usize].to_vec();
        let body =
            serde_json::to_string(&serde_json::json!({"resultats": page, "filtresPossibles": []}))
                .unwrap();
        let status = if p == 0 && last + 1 >= total {
            200
        } else {
            206
        };
        let mut resp = ResponseTemplate::new(status)
            .insert_header(
                "Content-Range",
                format!("offres {p}-{last}/{total}").as_str(),
            )
            .insert_header("Content-Type", "application/json");
        let slow = *s.slow.lock().unwrap();
        if !slow.is_zero() {
            resp = resp.set_delay(slow);
        }
        match fault {
            Some(Fault::Truncated) => resp = resp.set_body_string(&body[..body.len() / 2]),
            Some(Fault::Delay(delay)) => resp = resp.set_body_string(body).set_delay(delay),
            _ => resp = resp.set_body_string(body),
        }
        resp
    }
}

impl FtMock {
    pub async fn start() -> FtMock {
        let server = MockServer::start().await;
        let state = Arc::new(State::default());
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(TokenResponder(state.clone()))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/partenaire/offresdemploi/v2/offres/search"))
            .respond_with(SearchResponder(state.clone()))
            .mount(&server)
            .await;
        FtMock { server, state }
    }

    pub fn set_offers(&self, offers: Vec<(String, Value)>) {
        *self.state.offers.lock().unwrap() = offers;
    }

    pub fn on_request(&self, f: impl FnMut(u64, &mut Vec<(String, Value)>) + Send + 'static) {
        *self.state.mutate.lock().unwrap() = Some(Box::new(f));
    }

    pub fn fault(&self, f: Fault) {
        self.state.faults.lock().unwrap().push_back(f);
    }

    pub fn config(&self, deps: &[&str]) -> observatoire::config::Config {
        let mut cfg = observatoire::config::Config::default();
        let ft = &mut cfg.sources.france_travail;
        ft.api_base = format!("{}/partenaire/offresdemploi", self.server.uri());
        ft.token_url = format!("{}/token", self.server.uri());
        ft.departements = deps.iter().map(|d| d.to_string()).collect();
        ft.rate_limit = 1000.0;
        ft.request_timeout_secs = 1.0;
        ft.retry_base_delay_secs = 0.02;
        ft.max_retries = 4;
        cfg
    }
}
