//! The distributions `bench generate` draws from, read from the embedded real data (see the
//! module documentation of `generate`).
use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use duckdb::Connection;
use rand::distr::weighted::WeightedIndex;

#[derive(Clone)]
pub(super) struct Template {
    pub(super) intitule: Option<String>,
    pub(super) appellation: Option<String>,
    pub(super) entreprise: Option<String>,
    pub(super) type_contrat: Option<String>,
    pub(super) nature_contrat: Option<String>,
    pub(super) experience: Option<String>,
    pub(super) qualification: Option<String>,
    pub(super) naf: Option<String>,
    pub(super) secteur: Option<String>,
    pub(super) postes: i32,
    pub(super) alternance: bool,
    pub(super) salaire: Option<String>,
    pub(super) duree: Option<String>,
    pub(super) duree_contrat_mois: Option<f64>,
    pub(super) competences: usize,
}

pub(super) struct Commune {
    pub(super) code: String,
    pub(super) libelle: String,
    pub(super) departement: String,
    pub(super) code_postal: Option<String>,
}

pub(super) struct Model {
    pub(super) cells: Vec<(usize, String, f64)>, // (bassin index, ROME, seasonal share)
    pub(super) weights: WeightedIndex<f64>,
    pub(super) bassins: Vec<Vec<Commune>>,
    pub(super) templates: HashMap<String, Vec<Template>>,
    pub(super) by_domain: HashMap<String, Vec<Template>>,
    pub(super) appellations: HashMap<String, Vec<String>>,
    pub(super) rome_labels: HashMap<String, String>,
    pub(super) skills: HashMap<String, Vec<(String, String)>>,
    pub(super) ft_dup_rate: f64,
}

/// The real data the distributions come from: the embedded dataset, loaded into memory.
pub(super) fn real_data() -> Result<Connection> {
    let mut conn = Connection::open_in_memory()?;
    crate::store::migrations::migrate(&mut conn)?;
    let dir = tempfile::tempdir()?;
    crate::store::embedded::extract_to(dir.path())?;
    crate::referentials::load(&conn, dir.path())?;
    crate::collect::load_defaults(&conn, dir.path())?;
    Ok(conn)
}

pub(super) fn model(conn: &Connection) -> Result<Model> {
    let mut bassin_index: HashMap<String, usize> = HashMap::new();
    let mut bassins: Vec<Vec<Commune>> = Vec::new();
    let postal: HashMap<String, String> = conn
        .prepare("SELECT commune, min(code_postal) FROM raw_ft_offre WHERE commune IS NOT NULL AND code_postal IS NOT NULL GROUP BY 1")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT bassin_bmo, code, libelle, departement FROM ref_commune
         WHERE bassin_bmo IS NOT NULL ORDER BY bassin_bmo, code",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (bassin, code, libelle, departement) = row?;
        let next = bassins.len();
        let i = *bassin_index.entry(bassin).or_insert(next);
        if i == bassins.len() {
            bassins.push(Vec::new());
        }
        bassins[i].push(Commune {
            code_postal: postal.get(&code).cloned(),
            code,
            libelle,
            departement,
        });
    }
    let mut cells = Vec::new();
    let mut weights = Vec::new();
    let mut stmt = conn.prepare(
        "WITH fr AS (SELECT DISTINCT fap2021, rome FROM ref_rome_fap WHERE fap2021 IS NOT NULL),
              n AS (SELECT fap2021, count(*) AS k FROM fr GROUP BY 1)
         SELECT b.bassin, fr.rome, sum(b.projets::DOUBLE / n.k),
                coalesce(sum(b.saisonniers)::DOUBLE / nullif(sum(b.projets), 0), 0)
         FROM raw_bmo b JOIN fr ON fr.fap2021 = b.metier JOIN n ON n.fap2021 = b.metier
         WHERE b.projets > 0 GROUP BY 1, 2 ORDER BY 1, 2",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, f64>(2)?,
            r.get::<_, f64>(3)?,
        ))
    })?;
    for row in rows {
        let (bassin, rome, w, seasonal) = row?;
        if let Some(&i) = bassin_index.get(&bassin) {
            cells.push((i, rome, seasonal.clamp(0.0, 1.0)));
            weights.push(w);
        }
    }
    if cells.is_empty() {
        bail!("aucun projet BMO rattaché à un métier ROME : données embarquées incomplètes");
    }
    let mut templates: HashMap<String, Vec<Template>> = HashMap::new();
    let mut by_domain: HashMap<String, Vec<Template>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT o.rome, o.intitule, o.appellation_libelle, o.entreprise_nom, o.type_contrat, o.nature_contrat,
                o.experience_exige, o.qualification_code, o.naf, o.secteur_division, coalesce(o.nombre_postes, 1),
                coalesce(o.alternance, false), o.salaire_libelle, o.duree_travail, o.duree_contrat_mois,
                (SELECT count(*) FROM raw_ft_offre_competence c WHERE c.offre_id = o.id), left(o.rome, 1)
         FROM raw_ft_offre o WHERE o.rome IS NOT NULL ORDER BY o.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Template {
                intitule: r.get(1)?,
                appellation: r.get(2)?,
                entreprise: r.get(3)?,
                type_contrat: r.get(4)?,
                nature_contrat: r.get(5)?,
                experience: r.get(6)?,
                qualification: r.get(7)?,
                naf: r.get(8)?,
                secteur: r.get(9)?,
                postes: r.get(10)?,
                alternance: r.get(11)?,
                salaire: r.get(12)?,
                duree: r.get(13)?,
                duree_contrat_mois: r.get(14)?,
                competences: r.get::<_, i64>(15)? as usize,
            },
            r.get::<_, String>(16)?,
        ))
    })?;
    for row in rows {
        let (rome, t, domain) = row?;
        by_domain.entry(domain).or_default().push(t.clone());
        templates.entry(rome).or_default().push(t);
    }
    let mut appellations: HashMap<String, Vec<String>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT code_rome, libelle FROM ref_rome_appellation ORDER BY code_rome, code_ogr",
    )?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))? {
        let (rome, label) = row?;
        appellations.entry(rome).or_default().push(label);
    }
    let rome_labels: HashMap<String, String> = conn
        .prepare("SELECT code, libelle FROM ref_rome")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut skills: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT r.code_rome, c.code_ogr, c.libelle FROM ref_rome_competence r
         JOIN ref_competence c USING (code_ogr) ORDER BY 1, 2",
    )?;
    for row in stmt.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
    })? {
        let (rome, code, label) = row?;
        skills.entry(rome).or_default().push((code, label));
    }
    // offers of the sample sharing title, employer and commune with another one
    let (n, distinct): (i64, i64) = conn.query_row(
        "SELECT count(*), count(DISTINCT (intitule, coalesce(entreprise_nom, ''), coalesce(commune, '')))
         FROM raw_ft_offre",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(Model {
        weights: WeightedIndex::new(&weights).context("poids BMO")?,
        cells,
        bassins,
        templates,
        by_domain,
        appellations,
        rome_labels,
        skills,
        ft_dup_rate: if n > 0 {
            (n - distinct) as f64 / n as f64
        } else {
            0.0
        },
    })
}
