//! Job definitions: one TOML file per job in `jobs/`, readable and editable by analysts.
//!
//! ```toml
//! name = "francetravail-offres"
//! kind = "francetravail-offres"     # what it runs
//! schedule = "0 30 6 * * *"         # cron (sec min hour day month weekday), Europe/Paris local time
//! timeout = "2h"                    # s, m or h
//! retries = 2                       # further attempts after a failure, with back-off
//! retry_delay = "5m"                # first back-off delay (doubles each time)
//! after = []                        # jobs that must have succeeded today before this one runs
//! [params]                          # kind-specific
//! ```
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

/// What a job runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobKind {
    /// France Travail offers (collector).
    FrancetravailOffres,
    /// Recompute every derived indicator table.
    Indicators,
    /// Download an open-data file (`params.url`) and import it as `params.source`.
    Opendata,
    /// Scrape a local job board (`params`: see `collect::boards::BoardConfig`).
    Scraper,
    /// France Travail *Marché du travail* statistics by métier (collector).
    MarcheDuTravail,
    /// Recompute the forecast tables (`fc_*`) from the indicators.
    Forecasts,
    /// Back the whole database up (`params.dir`, `params.keep`): see `store::backup`.
    Backup,
}

impl JobKind {
    pub fn label(&self) -> &'static str {
        match self {
            JobKind::FrancetravailOffres => "collecteur",
            JobKind::Indicators => "indicateurs",
            JobKind::Opendata => "open data",
            JobKind::Scraper => "site d'offres",
            JobKind::MarcheDuTravail => "collecteur",
            JobKind::Forecasts => "prévisions",
            JobKind::Backup => "sauvegarde",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    name: String,
    kind: JobKind,
    schedule: String,
    #[serde(default = "default_timeout")]
    timeout: String,
    #[serde(default)]
    retries: u32,
    #[serde(default = "default_retry_delay")]
    retry_delay: String,
    #[serde(default)]
    after: Vec<String>,
    #[serde(default)]
    params: toml::Table,
    #[serde(default)]
    description: Option<String>,
}

fn default_timeout() -> String {
    "1h".into()
}
fn default_retry_delay() -> String {
    "1m".into()
}

#[derive(Debug, Clone)]
pub struct JobDef {
    pub name: String,
    pub kind: JobKind,
    pub schedule_text: String,
    pub schedule: cron::Schedule,
    pub timeout: Duration,
    pub retries: u32,
    pub retry_delay: Duration,
    pub after: Vec<String>,
    pub params: toml::Table,
    pub description: Option<String>,
    pub file: PathBuf,
}

impl JobDef {
    pub fn param_str(&self, key: &str) -> Option<&str> {
        self.params.get(key).and_then(|v| v.as_str())
    }

    /// The `sources` row this job refreshes, if any (catch-up also trusts a recent load of it).
    pub fn source_id(&self) -> Option<&'static str> {
        match self.kind {
            JobKind::FrancetravailOffres => Some(crate::collect::francetravail::SOURCE.id),
            JobKind::MarcheDuTravail => Some(crate::collect::marche_travail::SOURCE.id),
            JobKind::Opendata => self
                .param_str("source")
                .and_then(|s| s.parse::<crate::collect::import::ImportSource>().ok())
                .map(|s| s.source_id()),
            JobKind::Indicators | JobKind::Scraper | JobKind::Forecasts | JobKind::Backup => None,
        }
    }

    pub fn param_bool(&self, key: &str) -> bool {
        self.params
            .get(key)
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }
}

/// Parameters of a `backup` job: the folder that receives the dated copies (relative paths are
/// taken from the database's folder; default `sauvegardes`) and how many copies to keep.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupParams {
    pub dir: PathBuf,
    pub keep: usize,
}

impl BackupParams {
    pub fn from_params(params: &toml::Table) -> Result<BackupParams, String> {
        let dir = match params.get("dir") {
            None => PathBuf::from("sauvegardes"),
            Some(toml::Value::String(s)) if !s.trim().is_empty() => PathBuf::from(s),
            Some(v) => {
                return Err(format!(
                    "champ `params.dir` : {v} n'est pas un chemin de dossier"
                ))
            }
        };
        let keep = match params.get("keep") {
            None => 7,
            Some(toml::Value::Integer(n)) if (1..=1000).contains(n) => *n as usize,
            Some(v) => {
                return Err(format!(
                    "champ `params.keep` : {v} (attendu un nombre de copies entre 1 et 1000)"
                ))
            }
        };
        if let Some(k) = params
            .keys()
            .find(|k| !["dir", "keep"].contains(&k.as_str()))
        {
            return Err(format!("champ `params.{k}` inconnu (attendus : dir, keep)"));
        }
        Ok(BackupParams { dir, keep })
    }

    /// The folder of the copies for the database at `db`.
    pub fn folder(&self, db: &std::path::Path) -> PathBuf {
        if self.dir.is_absolute() {
            self.dir.clone()
        } else {
            db.parent()
                .unwrap_or(std::path::Path::new("."))
                .join(&self.dir)
        }
    }
}

/// `90s`, `30m`, `2h`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit() && c != '.')?);
    let n: f64 = num
        .parse()
        .ok()
        .filter(|n: &f64| *n > 0.0 && n.is_finite())?;
    let secs = match unit.trim() {
        "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(secs))
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct JobFileError {
    pub file: String,
    pub message: String,
}

impl std::fmt::Display for JobFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} : {}", self.file, self.message)
    }
}

pub fn parse(file: &Path, text: &str) -> Result<JobDef, String> {
    let raw: RawJob = toml::from_str(text).map_err(|e| e.to_string().trim().replace('\n', " "))?;
    if raw.name.trim().is_empty()
        || !raw
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "champ `name` : {:?} doit être fait de lettres, chiffres, - ou _",
            raw.name
        ));
    }
    let schedule = cron::Schedule::from_str(&raw.schedule).map_err(|e| {
        format!(
            "champ `schedule` : {:?} n'est pas une expression cron valide ({e})",
            raw.schedule
        )
    })?;
    let timeout = parse_duration(&raw.timeout).ok_or_else(|| {
        format!(
            "champ `timeout` : {:?} (attendu par ex. \"90s\", \"30m\", \"2h\")",
            raw.timeout
        )
    })?;
    if raw.kind == JobKind::Opendata {
        let source = raw
            .params
            .get("source")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        source
            .parse::<crate::collect::import::ImportSource>()
            .map_err(|e| format!("champ `params.source` : {e}"))?;
        let url = raw.params.get("url").and_then(|v| v.as_str()).unwrap_or("");
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "champ `params.url` : {url:?} n'est pas une URL http(s)"
            ));
        }
    }
    if raw.kind == JobKind::Scraper {
        crate::collect::boards::BoardConfig::from_params(&raw.params)?;
    }
    if raw.kind == JobKind::Backup {
        BackupParams::from_params(&raw.params)?;
    }
    let retry_delay = parse_duration(&raw.retry_delay).ok_or_else(|| {
        format!(
            "champ `retry_delay` : {:?} (attendu par ex. \"30s\", \"5m\")",
            raw.retry_delay
        )
    })?;
    Ok(JobDef {
        name: raw.name,
        kind: raw.kind,
        schedule_text: raw.schedule,
        schedule,
        timeout,
        retries: raw.retries,
        retry_delay,
        after: raw.after,
        params: raw.params,
        description: raw.description,
        file: file.to_path_buf(),
    })
}

/// Loads every `*.toml` of `dir`. Invalid files are reported (file and field) and left out; the
/// others are returned. Unknown `after` targets and duplicate names are errors of the file.
/// The job files shipped in `jobs/`, compiled in: used when the configured folder does not exist
/// (e.g. the binary run outside the checkout).
pub const BUILTIN: &[(&str, &str)] = &[
    ("jobs/bmo.toml", include_str!("../../jobs/bmo.toml")),
    (
        "jobs/francetravail-offres.toml",
        include_str!("../../jobs/francetravail-offres.toml"),
    ),
    (
        "jobs/marche-du-travail.toml",
        include_str!("../../jobs/marche-du-travail.toml"),
    ),
    (
        "jobs/forecasts.toml",
        include_str!("../../jobs/forecasts.toml"),
    ),
    ("jobs/backup.toml", include_str!("../../jobs/backup.toml")),
    (
        "jobs/indicators.toml",
        include_str!("../../jobs/indicators.toml"),
    ),
    (
        "jobs/urssaf-ze.toml",
        include_str!("../../jobs/urssaf-ze.toml"),
    ),
];

pub fn load_dir(dir: &Path) -> (Vec<JobDef>, Vec<JobFileError>) {
    let mut errors = Vec::new();
    let sources: Vec<(PathBuf, Result<String, String>)> = match std::fs::read_dir(dir) {
        Ok(rd) => {
            let mut files: Vec<PathBuf> = rd
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            files
                .into_iter()
                .map(|f| {
                    let text = std::fs::read_to_string(&f).map_err(|e| e.to_string());
                    (f, text)
                })
                .collect()
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::info!(
                "dossier de tâches {} absent : tâches intégrées au programme",
                dir.display()
            );
            BUILTIN
                .iter()
                .map(|(f, t)| (PathBuf::from(format!("(intégré) {f}")), Ok(t.to_string())))
                .collect()
        }
        Err(e) => {
            errors.push(JobFileError {
                file: dir.display().to_string(),
                message: format!("dossier illisible : {e}"),
            });
            return (vec![], errors);
        }
    };
    let mut jobs: BTreeMap<String, JobDef> = BTreeMap::new();
    for (file, text) in sources {
        match text.and_then(|t| parse(&file, &t)) {
            Ok(job) if jobs.contains_key(&job.name) => errors.push(JobFileError {
                file: file.display().to_string(),
                message: format!("champ `name` : la tâche {:?} est déjà définie", job.name),
            }),
            Ok(job) => {
                jobs.insert(job.name.clone(), job);
            }
            Err(message) => errors.push(JobFileError {
                file: file.display().to_string(),
                message,
            }),
        }
    }
    let names: Vec<String> = jobs.keys().cloned().collect();
    jobs.retain(|_, j| match j.after.iter().find(|a| !names.contains(a)) {
        Some(missing) => {
            errors.push(JobFileError {
                file: j.file.display().to_string(),
                message: format!("champ `after` : tâche inconnue {missing:?}"),
            });
            false
        }
        None => true,
    });
    (jobs.into_values().collect(), errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("0.5s"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2 days"), None);
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("0s"), None);
    }

    #[test]
    fn builtin_jobs_stand_in_for_a_missing_folder() {
        let (jobs, errors) = load_dir(Path::new("/nonexistent/jobs"));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(jobs.len(), BUILTIN.len());
        let on_disk = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs"))
            .unwrap()
            .count();
        assert_eq!(
            on_disk,
            BUILTIN.len(),
            "every shipped job file is compiled in"
        );
    }

    #[test]
    fn shipped_jobs_are_valid() {
        let (jobs, errors) = load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs"));
        assert!(errors.is_empty(), "{errors:?}");
        assert!(jobs.iter().any(|j| j.name == "francetravail-offres"));
    }
}
