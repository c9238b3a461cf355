//! `config.toml`: one struct per section. Unknown keys are errors, so a typo never goes unnoticed.
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod observatory;
pub use observatory::{FiliereConfig, ObservatoryConfig, TerritoryConfig};

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub database: DatabaseConfig,
    pub server: ServerConfig,
    pub sources: SourcesConfig,
    pub scheduler: SchedulerConfig,
    pub observatory: ObservatoryConfig,
    /// Custom territories (kind `custom`): lists of communes and/or whole zones d'emploi.
    pub territories: Vec<TerritoryConfig>,
    /// Filières: named sets of ROME métiers and NAF sectors. Absent: those of the shipped
    /// `config.toml` (like every other key); `filieres = []`: none.
    pub filieres: Option<Vec<FiliereConfig>>,
}

impl Config {
    /// The filières in force: the configured ones, or the shipped defaults.
    pub fn filieres(&self) -> Vec<FiliereConfig> {
        static SHIPPED: std::sync::LazyLock<Vec<FiliereConfig>> = std::sync::LazyLock::new(|| {
            #[derive(Deserialize)]
            struct Shipped {
                filieres: Vec<FiliereConfig>,
            }
            // the file is parsed (and tested) as a whole in `shipped_config_parses…`
            toml::from_str::<toml::Table>(include_str!("../../config.toml"))
                .ok()
                .and_then(|t| t.get("filieres").cloned())
                .and_then(|v| {
                    toml::Value::Table([("filieres".to_string(), v)].into_iter().collect())
                        .try_into::<Shipped>()
                        .ok()
                })
                .map(|s| s.filieres)
                .unwrap_or_default()
        });
        self.filieres.clone().unwrap_or_else(|| SHIPPED.clone())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulerConfig {
    /// Folder of the job files (`*.toml`).
    pub jobs_dir: PathBuf,
    /// Run scheduled jobs inside `serve` (false: web only; jobs can still be run by hand).
    pub enabled: bool,
    /// At start-up, run once a job whose last success is older than its period.
    pub catch_up: bool,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            jobs_dir: PathBuf::from("jobs"),
            enabled: true,
            catch_up: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    pub path: PathBuf,
    /// Memory DuckDB may use (its `memory_limit`, e.g. "8GB"); beyond it, large aggregations
    /// spill to a temporary folder beside the database. Empty: DuckDB's own default, 80 % of
    /// the machine's memory, which a rebuild over a million offers fills (measured: 19.8 GiB
    /// peak). Not lowered by default: at 2 GB the skills family of that rebuild fails for lack
    /// of memory (measured), some of its operators do not spill.
    pub memory_limit: String,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("data/observatoire.duckdb"),
            memory_limit: String::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub bind: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourcesConfig {
    /// A full collection that reads fewer than `(1 - max_drop_share)` of the offers stored open
    /// for its scope (or none at all) is taken as a failure to read the source: it closes
    /// nothing and the run is recorded `degraded`. `jobs run NAME --full --force` overrides.
    pub max_drop_share: f64,
    /// Largest open-data file a scheduled download accepts, in megabytes (streamed to disk).
    pub max_download_mb: u64,
    pub france_travail: FranceTravailConfig,
    pub marche_du_travail: MarcheDuTravailConfig,
}

impl Default for SourcesConfig {
    fn default() -> Self {
        Self {
            max_drop_share: 0.5,
            max_download_mb: 500,
            france_travail: FranceTravailConfig::default(),
            marche_du_travail: MarcheDuTravailConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FranceTravailConfig {
    pub api_base: String,
    pub token_url: String,
    pub client_id_env: String,
    pub client_secret_env: String,
    pub scope: String,
    pub rate_limit: f64,
    /// Départements collected (INSEE codes); empty = all 101.
    pub departements: Vec<String>,
    /// Seconds before a request is abandoned (then retried).
    pub request_timeout_secs: f64,
    /// Retries of one request on 429, 5xx, time-outs and truncated bodies.
    pub max_retries: usize,
    /// First delay of the exponential back-off, seconds.
    pub retry_base_delay_secs: f64,
    /// How far back a full refresh looks for live offers (creation date), days.
    pub full_refresh_lookback_days: i64,
    /// Hours between full refreshes (which detect closed offers).
    pub full_refresh_every_hours: i64,
}

impl Default for FranceTravailConfig {
    fn default() -> Self {
        Self {
            api_base: "https://api.francetravail.io/partenaire/offresdemploi".into(),
            token_url:
                "https://entreprise.francetravail.fr/connexion/oauth2/access_token?realm=%2Fpartenaire"
                    .into(),
            client_id_env: "FT_CLIENT_ID".into(),
            client_secret_env: "FT_CLIENT_SECRET".into(),
            scope: "api_offresdemploiv2 o2dsoffre".into(),
            rate_limit: 3.0,
            departements: Vec::new(),
            request_timeout_secs: 30.0,
            max_retries: 6,
            retry_base_delay_secs: 1.0,
            full_refresh_lookback_days: 3650,
            full_refresh_every_hours: 24,
        }
    }
}

/// France Travail API *Marché du travail v1* (same OAuth2 client and credential variables as the
/// offers API, its own scope).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarcheDuTravailConfig {
    pub api_base: String,
    pub token_url: String,
    pub scope: String,
    pub rate_limit: f64,
    pub request_timeout_secs: f64,
    pub max_retries: usize,
    pub retry_base_delay_secs: f64,
    /// Métiers (ROME 4.0) asked per territory at most: those with the most BMO projects and offers.
    pub max_metiers: usize,
    /// Territory types of the API for the observatory's kinds (check them against
    /// `/v1/referentiel/type-territoires`).
    pub type_departement: String,
    pub type_region: String,
    pub type_france: String,
}

impl Default for MarcheDuTravailConfig {
    fn default() -> Self {
        Self {
            api_base: "https://api.francetravail.io/partenaire/stats-offres-demandes-emploi".into(),
            token_url:
                "https://entreprise.francetravail.fr/connexion/oauth2/access_token?realm=%2Fpartenaire"
                    .into(),
            scope: "api_stats-offres-demandes-emploiv1 offresetdemandesemploi".into(),
            rate_limit: 3.0,
            request_timeout_secs: 30.0,
            max_retries: 6,
            retry_base_delay_secs: 1.0,
            max_metiers: 300,
            type_departement: "DEP".into(),
            type_region: "REG".into(),
            type_france: "NAT".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("fichier de configuration introuvable : {0} (créez-le ou passez --config CHEMIN)")]
    Missing(PathBuf),
    #[error("fichier de configuration illisible : {path} : {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration invalide dans {path} : {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ConfigError::Missing(path.to_path_buf())
            } else {
                ConfigError::Unreadable {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        })?;
        Self::parse(&text).map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let cfg: Config =
            toml::from_str(text).map_err(|e| e.to_string().trim().replace('\n', " "))?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), String> {
        if self.server.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!(
                "[server] bind = {:?} n'est pas une adresse IP:port (ex. \"127.0.0.1:8080\")",
                self.server.bind
            ));
        }
        if self.database.path.as_os_str().is_empty() {
            return Err("[database] path est vide".into());
        }
        if !self.database.memory_limit.trim().is_empty()
            && crate::store::parse_memory_limit(&self.database.memory_limit).is_none()
        {
            return Err(format!(
                "[database] memory_limit = {:?} : attendu une taille comme \"2GB\" ou \"512MB\"",
                self.database.memory_limit
            ));
        }
        let share = self.sources.max_drop_share;
        if !(share > 0.0 && share < 1.0) {
            return Err(format!(
                "[sources] max_drop_share = {share} doit être strictement entre 0 et 1 (ex. 0.5)"
            ));
        }
        let ft = &self.sources.france_travail;
        if !(ft.rate_limit > 0.0 && ft.rate_limit.is_finite()) {
            return Err(format!(
                "[sources.france_travail] rate_limit = {} doit être un nombre positif",
                ft.rate_limit
            ));
        }
        if !(ft.request_timeout_secs > 0.0 && ft.retry_base_delay_secs >= 0.0) {
            return Err("[sources.france_travail] request_timeout_secs doit être > 0".into());
        }
        if ft.full_refresh_lookback_days < 1 || ft.full_refresh_every_hours < 1 {
            return Err(
                "[sources.france_travail] full_refresh_lookback_days et full_refresh_every_hours doivent être ≥ 1".into(),
            );
        }
        let mdt = &self.sources.marche_du_travail;
        if !(mdt.rate_limit > 0.0 && mdt.rate_limit.is_finite() && mdt.request_timeout_secs > 0.0)
            || mdt.max_metiers == 0
        {
            return Err("[sources.marche_du_travail] rate_limit, request_timeout_secs et max_metiers doivent être > 0".into());
        }
        for (key, url) in [("api_base", &mdt.api_base), ("token_url", &mdt.token_url)] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "[sources.marche_du_travail] {key} = {url:?} n'est pas une URL http(s)"
                ));
            }
        }
        for (key, url) in [("api_base", &ft.api_base), ("token_url", &ft.token_url)] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "[sources.france_travail] {key} = {url:?} n'est pas une URL http(s)"
                ));
            }
        }
        observatory::validate(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_config_parses_and_matches_defaults() {
        let cfg = Config::parse(include_str!("../../config.toml")).unwrap();
        assert_eq!(cfg.server.bind, "127.0.0.1:8080");
        assert_eq!(cfg.sources.france_travail.client_id_env, "FT_CLIENT_ID");
        assert_eq!(
            cfg.sources.france_travail.token_url,
            FranceTravailConfig::default().token_url
        );
        assert!(cfg.filieres().len() >= 6, "the shipped filières");
        let ids: Vec<String> = Config::default()
            .filieres()
            .into_iter()
            .map(|f| f.id)
            .collect();
        assert!(
            ids.contains(&"batiment-renovation".to_string()),
            "defaults when absent: {ids:?}"
        );
        assert!(Config::parse("filieres = []\n")
            .unwrap()
            .filieres()
            .is_empty());
    }

    #[test]
    fn unknown_key_and_bad_bind_are_errors() {
        let e = Config::parse("[server]\nbnd = \"x\"\n").unwrap_err();
        assert!(e.contains("bnd"), "{e}");
        let e = Config::parse("[server]\nbind = \"localhost\"\n").unwrap_err();
        assert!(e.contains("bind"), "{e}");
    }

    #[test]
    fn memory_limit_is_a_size_or_empty() {
        assert_eq!(Config::default().database.memory_limit, "");
        for (text, normalised) in [("8GB", "8192MB"), ("512 MB", "512MB"), ("1.5GiB", "1536MB")] {
            let cfg = Config::parse(&format!("[database]\nmemory_limit = \"{text}\"\n")).unwrap();
            assert_eq!(
                crate::store::parse_memory_limit(&cfg.database.memory_limit).as_deref(),
                Some(normalised)
            );
        }
        for bad in ["beaucoup", "8", "10KB", "0GB", "-1GB"] {
            let e = Config::parse(&format!("[database]\nmemory_limit = \"{bad}\"\n")).unwrap_err();
            assert!(e.contains("memory_limit") && e.contains(bad), "{bad}: {e}");
        }
    }
}
