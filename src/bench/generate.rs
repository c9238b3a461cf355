//! `observatoire bench generate --offers N --years Y --out DIR`: synthetic offers written as raw
//! France Travail search pages (`{"resultats": [...]}`, 150 offers a page, the API's field names),
//! so that `bench ingest` measures the real collector path. **Synthetic**: ids start with `S`,
//! every description says so, and `DIR/manifest.json` records `"synthetic": true`, the seed and
//! where each distribution comes from. Nothing loads them by default. Deterministic by seed.
//!
//! Distributions, all read from the embedded real data:
//! - métier × territory: BMO 2024 recruitment projects per bassin × FAP 2021, shared equally among
//!   the ROME codes of that FAP (ROME → FAP crosswalk); the commune is drawn uniformly among the
//!   bassin's communes;
//! - month of creation: uniform over the years, plus the BMO seasonal share of the cell spread
//!   over April–August (the months of the seasonal recruitment the BMO survey asks about);
//! - everything else (title, employer, contract, experience, qualification, NAF, working time,
//!   salary label, number of posts): copied from a real offer of the same ROME in the embedded
//!   France Travail sample (any real offer of the same grand domaine when the ROME has none, the
//!   title then being one of the ROME's appellations);
//! - compétences: as many as the template offer had (else 3–8), drawn among the ROME's linked
//!   skills (ROME 4.0 referential);
//! - duplicates: within France Travail at the rate measured in the sample (same title, employer
//!   and commune under two ids), and copies published by a local board (`site-synthetique/`) at
//!   `--dup-rate` (an assumption: no public figure exists).
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use super::model::{model, real_data};

/// Offers per page, as the API serves them.
pub const PAGE_SIZE: usize = 150;
/// Board that republishes some offers (`site-synthetique/`).
pub const SITE: &str = "site-synthetique";

#[derive(Debug, Clone)]
pub struct Args {
    pub offers: usize,
    pub years: u32,
    pub out: PathBuf,
    pub seed: u64,
    /// Share of the offers a local board republishes.
    pub dup_rate: f64,
    pub gzip: bool,
    /// Last day of creation dates.
    pub end: NaiveDate,
}

/// Month weights: uniform, plus the seasonal share spread over April–August.
fn month_weights(seasonal: f64) -> [f64; 12] {
    let mut w = [(1.0 - seasonal) / 12.0; 12];
    for m in w.iter_mut().take(8).skip(3) {
        *m += seasonal / 5.0;
    }
    w
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut out = vec![b'0'; 8];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8(out).expect("ascii")
}

const WORDS: &[&str] = &[
    "offre",
    "synthétique",
    "générée",
    "pour",
    "le",
    "banc",
    "d'essai",
    "de",
    "l'observatoire",
    "poste",
    "équipe",
    "missions",
    "horaires",
    "expérience",
    "formation",
    "entreprise",
    "secteur",
    "accueil",
    "clients",
    "qualité",
    "sécurité",
    "organisation",
    "suivi",
    "activité",
];

fn description(rng: &mut ChaCha8Rng) -> String {
    // real descriptions: quartiles 0.8, 1.2 and 1.6 thousand characters
    let len = rng.random_range(300..2400);
    let mut s = String::from("Offre synthétique (banc d'essai, aucune donnée réelle). ");
    while s.len() < len {
        s.push_str(WORDS[rng.random_range(0..WORDS.len())]);
        s.push(' ');
    }
    s
}

fn fmt_ts(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Pages of one folder, flushed every [`PAGE_SIZE`] offers.
struct PageWriter {
    dir: PathBuf,
    buffer: Vec<Value>,
    pages: usize,
    offers: usize,
    gzip: bool,
}

impl PageWriter {
    fn new(dir: PathBuf, gzip: bool) -> PageWriter {
        PageWriter {
            dir,
            buffer: Vec::with_capacity(PAGE_SIZE),
            pages: 0,
            offers: 0,
            gzip,
        }
    }

    fn push(&mut self, offer: Value) -> Result<()> {
        self.buffer.push(offer);
        if self.buffer.len() == PAGE_SIZE {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        if self.pages == 0 {
            std::fs::create_dir_all(&self.dir)
                .with_context(|| format!("création de {}", self.dir.display()))?;
        }
        let page = json!({ "resultats": std::mem::take(&mut self.buffer), "filtresPossibles": [] });
        let name = format!(
            "page-{:06}.json{}",
            self.pages,
            if self.gzip { ".gz" } else { "" }
        );
        let path = self.dir.join(name);
        let file = std::io::BufWriter::new(
            std::fs::File::create(&path)
                .with_context(|| format!("écriture de {}", path.display()))?,
        );
        if self.gzip {
            let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
            serde_json::to_writer(&mut gz, &page)?;
            gz.finish()?.flush()?;
        } else {
            let mut file = file;
            serde_json::to_writer(&mut file, &page)?;
            file.flush()?;
        }
        self.offers += PAGE_SIZE.min(page["resultats"].as_array().map_or(0, Vec::len));
        self.pages += 1;
        Ok(())
    }
}

#[derive(Debug, serde::Serialize)]
pub struct Report {
    pub offers: usize,
    pub ft_duplicates: usize,
    pub site_copies: usize,
    pub departements: usize,
    pub pages: usize,
    pub seconds: f64,
}

pub fn generate(args: &Args) -> Result<Report> {
    if args.offers == 0 || args.years == 0 {
        bail!("--offers et --years doivent être positifs");
    }
    if !(0.0..=1.0).contains(&args.dup_rate) {
        bail!("--dup-rate doit être entre 0 et 1");
    }
    if args.out.exists()
        && std::fs::read_dir(&args.out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "le dossier {} existe déjà et n'est pas vide",
            args.out.display()
        );
    }
    let started = std::time::Instant::now();
    let conn = real_data()?;
    let m = model(&conn)?;
    drop(conn);
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let first_year = args.end.year() - args.years as i32 + 1;
    let mut deps: std::collections::BTreeMap<String, PageWriter> = Default::default();
    let mut site = PageWriter::new(args.out.join(SITE), args.gzip);
    let (mut ft_dups, mut site_copies, mut i) = (0usize, 0usize, 0u64);
    while (i as usize) < args.offers {
        let (bassin, rome, seasonal) = &m.cells[m.weights.sample(&mut rng)];
        let communes = &m.bassins[*bassin];
        let commune = &communes[rng.random_range(0..communes.len())];
        let domain = &rome[..1];
        let (t, title_from_appellation) = match m.templates.get(rome) {
            Some(ts) => (ts[rng.random_range(0..ts.len())].clone(), false),
            None => match m.by_domain.get(domain) {
                Some(ts) => (ts[rng.random_range(0..ts.len())].clone(), true),
                None => continue,
            },
        };
        let appellation = if title_from_appellation {
            m.appellations
                .get(rome)
                .map(|a| a[rng.random_range(0..a.len())].clone())
        } else {
            t.appellation.clone()
        };
        let title = if title_from_appellation {
            appellation.clone()
        } else {
            t.intitule.clone()
        };
        let month = WeightedIndex::new(month_weights(*seasonal))
            .expect("weights")
            .sample(&mut rng) as u32
            + 1;
        let year = rng.random_range(first_year..=args.end.year());
        let Some(day1) = NaiveDate::from_ymd_opt(year, month, 1) else {
            continue;
        };
        let days = day1
            .checked_add_months(chrono::Months::new(1))
            .map_or(28, |next| (next - day1).num_days());
        let created = day1.and_hms_opt(0, 0, 0).expect("midnight")
            + Duration::seconds(rng.random_range(0..days * 86_400));
        let end = args.end.and_hms_opt(23, 59, 59).expect("end of day");
        if created > end {
            continue;
        }
        let updated = (created + Duration::seconds(rng.random_range(0..30 * 86_400))).min(end);
        let n_skills = if t.competences > 0 {
            t.competences
        } else {
            rng.random_range(3..=8)
        };
        let competences: Vec<Value> = m
            .skills
            .get(rome)
            .map(|s| {
                (0..n_skills.min(s.len()))
                    .map(|_| {
                        let (code, label) = &s[rng.random_range(0..s.len())];
                        json!({"code": code, "libelle": label,
                               "exigence": if rng.random_bool(0.3) { "E" } else { "S" }})
                    })
                    .collect()
            })
            .unwrap_or_default();
        let id = format!("S{}", base36(i));
        let mut offer = json!({
            "id": id,
            "intitule": title,
            "description": description(&mut rng),
            "dateCreation": fmt_ts(created),
            "dateActualisation": fmt_ts(updated),
            "lieuTravail": {
                "libelle": format!("{} - {}", commune.departement, commune.libelle),
                "codePostal": commune.code_postal,
                "commune": commune.code,
            },
            "romeCode": rome,
            "romeLibelle": m.rome_labels.get(rome),
            "appellationlibelle": appellation,
            "entreprise": {"nom": t.entreprise},
            "typeContrat": t.type_contrat,
            "typeContratLibelle": match t.duree_contrat_mois {
                Some(months) => format!("{} - {} Mois", t.type_contrat.as_deref().unwrap_or("CDD"), months),
                None => t.type_contrat.clone().unwrap_or_default(),
            },
            "natureContrat": t.nature_contrat,
            "experienceExige": t.experience,
            "competences": competences,
            "salaire": {"libelle": t.salaire},
            "dureeTravailLibelleConverti": t.duree,
            "alternance": t.alternance,
            "nombrePostes": t.postes,
            "accessibleTH": false,
            "qualificationCode": t.qualification,
            "codeNAF": t.naf,
            "secteurActivite": t.secteur,
            "origineOffre": {"origine": "1",
                "urlOrigine": format!("https://candidat.francetravail.fr/offres/recherche/detail/{id}")},
            "offresManqueCandidats": false,
        });
        let writer = deps.entry(commune.departement.clone()).or_insert_with(|| {
            PageWriter::new(args.out.join("ft").join(&commune.departement), args.gzip)
        });
        if rng.random_bool(args.dup_rate) {
            let mut copy = offer.clone();
            copy["id"] = Value::String(format!("{SITE}:{id}"));
            copy["origineOffre"] = json!({"origine": "2", "urlOrigine": format!("https://emploi.example.org/offre/{id}")});
            site.push(copy)?;
            site_copies += 1;
        }
        writer.push(offer.clone())?;
        i += 1;
        // the same job under a second id (an employer posting twice), as often as in the sample
        if (i as usize) < args.offers && rng.random_bool(m.ft_dup_rate) {
            let id2 = format!("S{}", base36(i));
            offer["id"] = Value::String(id2.clone());
            offer["dateCreation"] = Value::String(fmt_ts(
                (created + Duration::seconds(rng.random_range(0..2 * 86_400))).min(end),
            ));
            offer["origineOffre"]["urlOrigine"] = Value::String(format!(
                "https://candidat.francetravail.fr/offres/recherche/detail/{id2}"
            ));
            writer.push(offer)?;
            ft_dups += 1;
            i += 1;
        }
    }
    let mut pages = 0;
    let mut per_dep = serde_json::Map::new();
    for (dep, w) in deps.iter_mut() {
        w.flush()?;
        pages += w.pages;
        per_dep.insert(dep.clone(), json!(w.offers));
    }
    site.flush()?;
    pages += site.pages;
    let manifest = json!({
        "synthetic": true,
        "notice": "Données SYNTHÉTIQUES pour les bancs d'essai de l'observatoire : à ne jamais charger comme des données réelles.",
        "generator": format!("observatoire {} bench generate", env!("CARGO_PKG_VERSION")),
        "seed": args.seed,
        "offers": args.offers,
        "years": args.years,
        "end": args.end.to_string(),
        "ft_duplicate_rate": m.ft_dup_rate,
        "site_duplicate_rate": args.dup_rate,
        "site_copies": site_copies,
        "layout": "ft/<département>/page-NNNNNN.json[.gz] (France Travail search pages), site-synthetique/page-NNNNNN.json[.gz] (a board republishing offers)",
        "distributions": {
            "metier_x_territoire": "BMO 2024, projets par bassin × FAP 2021, répartis sur les ROME de la FAP",
            "commune": "uniforme parmi les communes du bassin BMO",
            "saisonnalite": "uniforme + part saisonnière BMO de la cellule répartie sur avril–août",
            "contrat_salaire_experience_employeur": "offres réelles du même ROME (échantillon France Travail embarqué)",
            "competences": "compétences liées au ROME (référentiel ROME 4.0), nombre de l'offre modèle",
        },
        "offers_per_departement": per_dep,
    });
    std::fs::write(
        args.out.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest)?,
    )?;
    Ok(Report {
        offers: args.offers,
        ft_duplicates: ft_dups,
        site_copies,
        departements: deps.len(),
        pages,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Reads `DIR/manifest.json` and refuses a folder that is not a synthetic dataset.
pub fn check_synthetic(dir: &Path) -> Result<Value> {
    let path = dir.join("manifest.json");
    let text = std::fs::read(&path).with_context(|| {
        format!(
            "{} n'est pas un jeu produit par `observatoire bench generate` (manifest.json absent)",
            dir.display()
        )
    })?;
    let v: Value =
        serde_json::from_slice(&text).with_context(|| format!("{} illisible", path.display()))?;
    if v["synthetic"] != Value::Bool(true) {
        bail!("{} ne déclare pas un jeu synthétique", path.display());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_keep_their_total_and_favour_summer_with_seasonal_work() {
        let w = month_weights(0.5);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(w[5] > w[0]);
        assert_eq!(month_weights(0.0), [1.0 / 12.0; 12]);
        assert_eq!(base36(0), "00000000");
        assert_eq!(base36(36 * 36 + 1), "00000101");
    }
}
