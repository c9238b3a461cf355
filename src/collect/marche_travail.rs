//! France Travail API *Marché du travail v1* collector (`raw_mdt`): jobseekers at quarter end by
//! category (DE_1), new registrations (DE_5), offers (OFF_1), hirings (EMB_1), employers'
//! recruitment difficulty (PERSP_2) and salaries (SAL_3), per métier (ROME 4.0), for the
//! départements and régions of the followed territories and for France.
//!
//! Plugs into the shared HTTP layer ([`crate::collect::http`]: OAuth2 with its own scope, rate
//! limit, retries on 429 / 5xx / time-outs / truncated bodies, token renewal). One transaction per
//! territory: everything asked for it is written together or not at all, replacing what was
//! stored for the same territory × indicator × métier (a rerun is idempotent).
use anyhow::{Context, Result};
use chrono::{NaiveDateTime, Utc};
use duckdb::{params, Connection};
use reqwest::StatusCode;
use serde::Deserialize;

use super::http::{classify, transport, ApiClient, Credentials, Failure};
use super::SourceMeta;
use crate::schedule::context::{JobCtx, RunSummary};

pub const SOURCE: SourceMeta = SourceMeta {
    id: "ft-marche-travail",
    name: "Statistiques du marché du travail par métier (API Marché du travail)",
    publisher: "France Travail",
    vintage: "collecté",
    licence: "Conditions d'utilisation de francetravail.io",
    url: "https://francetravail.io/data/api/marche-travail",
    method_anchor: "tension",
    expected_period_days: Some(92),
    publication_lag_days: Some(92 + 60),
};

/// One indicator of the API: endpoint, period type and nomenclature asked.
#[derive(Debug, Clone, Copy)]
pub struct Indicator {
    pub code: &'static str,
    pub path: &'static str,
    pub periode: &'static str,
    pub nomenclature: Option<&'static str>,
}

pub const INDICATORS: [Indicator; 6] = [
    Indicator {
        code: "DE_1",
        path: "/v1/indicateur/stat-demandeurs",
        periode: "TRIMESTRE",
        nomenclature: Some("CATCAND"),
    },
    Indicator {
        code: "DE_5",
        path: "/v1/indicateur/stat-demandeurs-entrant",
        periode: "TRIMESTRE",
        nomenclature: Some("CATCAND"),
    },
    Indicator {
        code: "OFF_1",
        path: "/v1/indicateur/stat-offres",
        periode: "TRIMESTRE",
        nomenclature: Some("ORIGINEOFF"),
    },
    Indicator {
        code: "EMB_1",
        path: "/v1/indicateur/stat-embauches",
        periode: "TRIMESTRE",
        nomenclature: Some("CATCANDxDUREEEMP"),
    },
    Indicator {
        code: "PERSP_2",
        path: "/v1/indicateur/stat-perspective-employeur",
        periode: "ANNEE",
        nomenclature: Some("TYPE_TENSION"),
    },
    // GET /v1/indicateur/salaire-rome-fap/{type}/{code}?codeRome=…
    Indicator {
        code: "SAL_3",
        path: "/v1/indicateur/salaire-rome-fap",
        periode: "ANNEE",
        nomenclature: None,
    },
];

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Retour {
    code_indicateur: Option<String>,
    liste_valeurs_par_periode: Vec<Valeur>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Valeur {
    dat_maj: Option<String>,
    code_activite: Option<String>,
    lib_activite: Option<String>,
    code_nomenclature: Option<String>,
    lib_nomenclature: Option<String>,
    code_type_periode: Option<String>,
    code_periode: Option<String>,
    valeur_principale_nom: Option<String>,
    valeur_principale_nombre: Option<i64>,
    valeur_principale_taux: Option<f64>,
    valeur_principale_montant: Option<f64>,
    valeur_secondaire_nombre: Option<i64>,
    valeur_secondaire_pourcentage: Option<f64>,
}

/// One row of `raw_mdt`, before its territory and collection time.
#[derive(Debug, Clone)]
pub struct Row {
    pub indicateur: String,
    pub activite: String,
    pub activite_libelle: Option<String>,
    pub type_periode: Option<String>,
    pub periode: String,
    pub nomenclature: String,
    pub nomenclature_libelle: Option<String>,
    pub valeur_nom: Option<String>,
    pub nombre: Option<i64>,
    pub taux: Option<f64>,
    pub montant: Option<f64>,
    pub secondaire_nombre: Option<i64>,
    pub secondaire_pct: Option<f64>,
    pub maj: Option<NaiveDateTime>,
}

/// An API territory: its type and code, and the observatory territory it stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub api_type: String,
    pub api_code: String,
    pub kind: &'static str,
    pub code: String,
}

/// The API territories to collect: the départements and régions of the followed territories,
/// and France.
pub fn scopes(conn: &Connection, cfg: &crate::config::Config) -> Result<Vec<Scope>> {
    let m = &cfg.sources.marche_du_travail;
    let mut out = Vec::new();
    for f in &cfg.observatory.followed {
        let Some((kind, code)) = f.split_once(':') else {
            continue;
        };
        let rows: Vec<(String, String)> = conn
            .prepare(
                "SELECT DISTINCT c.departement, c.region FROM territory_commune t
                 JOIN ref_commune c ON c.code = t.commune WHERE t.kind = ? AND t.code = ? ORDER BY 1",
            )?
            .query_map([kind, code], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (dep, reg) in rows {
            for s in [
                Scope {
                    api_type: m.type_departement.clone(),
                    api_code: dep.clone(),
                    kind: "dep",
                    code: dep.clone(),
                },
                Scope {
                    api_type: m.type_region.clone(),
                    api_code: reg.clone(),
                    kind: "reg",
                    code: reg.clone(),
                },
            ] {
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
    }
    if !out.is_empty() {
        out.push(Scope {
            api_type: m.type_france.clone(),
            api_code: "FR".into(),
            kind: "fr",
            code: "FR".into(),
        });
    }
    Ok(out)
}

/// The métiers asked for a territory: the ROME codes with the most BMO projects (of their FAP
/// 2021 family) and open offers there.
pub fn metiers(conn: &Connection, kind: &str, code: &str, max: usize) -> Result<Vec<String>> {
    Ok(conn
        .prepare(
            "WITH f AS (SELECT DISTINCT rome, fap2021 FROM ref_rome_fap WHERE qualification = '0')
             SELECT f.rome FROM f
             LEFT JOIN ind_bmo_metier b ON b.kind = ?1 AND b.code = ?2 AND b.metier = f.fap2021
                 AND b.annee = (SELECT max(annee) FROM ind_bmo_metier)
             LEFT JOIN ind_offres o ON o.kind = ?1 AND o.code = ?2 AND o.dimension = 'rome'
                 AND o.key = f.rome AND o.periode = 'actuel'
             ORDER BY coalesce(b.projets, 0) + coalesce(o.offres, 0) DESC, f.rome LIMIT ?3",
        )?
        .query_map(params![kind, code, max as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

fn ts(s: &Option<String>) -> Option<NaiveDateTime> {
    s.as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.naive_utc())
}

/// One indicator for one territory and métier (all periods the API has).
async fn fetch(client: &ApiClient, ind: Indicator, scope: &Scope, rome: &str) -> Result<Vec<Row>> {
    let what = format!("{} {}:{} {rome}", ind.code, scope.api_type, scope.api_code);
    let read = |r: reqwest::Response| async move {
        let status = r.status();
        match status {
            StatusCode::NO_CONTENT => Ok(Retour::default()),
            StatusCode::OK | StatusCode::PARTIAL_CONTENT => {
                let body = r.bytes().await.map_err(transport)?;
                serde_json::from_slice::<Retour>(&body).map_err(|e| Failure::Retry {
                    why: format!(
                        "corps JSON tronqué ou invalide ({} octets) : {e}",
                        body.len()
                    ),
                    after: None,
                })
            }
            _ => Err(classify(status, &r, "requête refusée")),
        }
    };
    let retour = if ind.nomenclature.is_none() {
        let url = format!(
            "{}{}/{}/{}",
            client.base(),
            ind.path,
            scope.api_type,
            scope.api_code
        );
        client
            .send(&what, |h| h.get(&url).query(&[("codeRome", rome)]), read)
            .await?
    } else {
        let url = format!("{}{}", client.base(), ind.path);
        let body = serde_json::json!({
            "codeTypeTerritoire": scope.api_type, "codeTerritoire": scope.api_code,
            "codeTypeActivite": "ROME", "codeActivite": rome,
            "codeTypePeriode": ind.periode, "codeTypeNomenclature": ind.nomenclature,
        });
        client
            .send(&what, |h| h.post(&url).json(&body), read)
            .await?
    };
    Ok(retour
        .liste_valeurs_par_periode
        .into_iter()
        .filter_map(|v| {
            Some(Row {
                indicateur: retour
                    .code_indicateur
                    .clone()
                    .unwrap_or_else(|| ind.code.to_string()),
                activite: v.code_activite.clone().unwrap_or_else(|| rome.to_string()),
                activite_libelle: v.lib_activite,
                type_periode: v.code_type_periode,
                periode: v.code_periode?,
                nomenclature: v.code_nomenclature.unwrap_or_default(),
                nomenclature_libelle: v.lib_nomenclature,
                valeur_nom: v.valeur_principale_nom,
                nombre: v.valeur_principale_nombre,
                taux: v.valeur_principale_taux,
                montant: v.valeur_principale_montant,
                secondaire_nombre: v.valeur_secondaire_nombre,
                secondaire_pct: v.valeur_secondaire_pourcentage,
                maj: ts(&v.dat_maj),
            })
        })
        .collect())
}

/// Replaces, in one transaction, what is stored for `scope` × the indicators × `romes` asked.
pub fn write(
    conn: &mut Connection,
    scope: &Scope,
    romes: &[String],
    rows: &[Row],
    now: NaiveDateTime,
    cancel: &crate::schedule::context::Cancel,
) -> Result<usize> {
    let tx = conn.transaction()?;
    tx.execute_batch("CREATE OR REPLACE TEMP TABLE mdt_asked (activite VARCHAR)")?;
    {
        let mut app = tx.appender("mdt_asked")?;
        for r in romes {
            app.append_row([r])?;
        }
        app.flush()?;
    }
    tx.execute(
        "DELETE FROM raw_mdt WHERE type_territoire = ? AND territoire = ? AND activite IN (SELECT activite FROM mdt_asked)",
        params![scope.api_type, scope.api_code],
    )?;
    {
        let mut app = tx.appender("raw_mdt")?;
        for r in rows {
            app.append_row(params![
                SOURCE.id,
                r.indicateur,
                scope.api_type,
                scope.api_code,
                scope.kind,
                scope.code,
                "ROME",
                r.activite,
                r.activite_libelle,
                r.type_periode,
                r.periode,
                r.nomenclature,
                r.nomenclature_libelle,
                r.valeur_nom,
                r.nombre,
                r.taux,
                r.montant,
                r.secondaire_nombre,
                r.secondaire_pct,
                r.maj,
                now
            ])?;
        }
        app.flush()?;
    }
    crate::failpoint!("mdt::write::after_insert", &scope.api_code);
    tx.execute_batch("DROP TABLE mdt_asked")?;
    crate::store::changes::mark_changed(&tx, SOURCE.id)?;
    let total: i64 = tx.query_row("SELECT count(*) FROM raw_mdt", [], |r| r.get(0))?;
    let last: Option<String> = tx.query_row(
        "SELECT max(periode) FROM raw_mdt WHERE type_periode = 'TRIMESTRE'",
        [],
        |r| r.get(0),
    )?;
    let vintage = last.clone().unwrap_or_else(|| "collecté".into());
    let data_date = last.as_deref().and_then(quarter_start);
    super::record_source_vintage(&tx, &SOURCE, total, data_date.as_deref(), &vintage)?;
    cancel.check()?;
    tx.commit()?;
    Ok(rows.len())
}

/// `2024T3` → `2024-07-01`.
fn quarter_start(p: &str) -> Option<String> {
    let (y, q) = p.split_once('T')?;
    let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
    Some(format!("{y}-{:02}-01", (q - 1) * 3 + 1))
}

pub async fn run(ctx: &JobCtx, creds: Credentials) -> Result<Option<RunSummary>> {
    let cfg = ctx.config.clone();
    let scopes = {
        let cfg = cfg.clone();
        ctx.db.call(move |c| scopes(c, &cfg)).await?
    };
    if scopes.is_empty() {
        return Ok(None);
    }
    let client = ApiClient::new((&cfg.sources.marche_du_travail).into(), creds)?;
    let max = cfg.sources.marche_du_travail.max_metiers;
    let mut summary = RunSummary::default();
    for scope in &scopes {
        ctx.cancel.check()?;
        let (kind, code) = (scope.kind.to_string(), scope.code.clone());
        let romes = ctx.db.call(move |c| metiers(c, &kind, &code, max)).await?;
        ctx.progress.message(&format!(
            "{} {} : {} métiers × {} indicateurs",
            scope.api_type,
            scope.api_code,
            romes.len(),
            INDICATORS.len()
        ));
        let mut rows = Vec::new();
        for rome in &romes {
            for ind in INDICATORS {
                ctx.cancel.check()?;
                rows.extend(fetch(&client, ind, scope, rome).await.with_context(|| {
                    format!("territoire {} {}", scope.api_type, scope.api_code)
                })?);
            }
            ctx.progress.add(1);
        }
        let (scope2, cancel, now) = (scope.clone(), ctx.cancel.clone(), Utc::now().naive_utc());
        let n = rows.len() as i64;
        ctx.db
            .call(move |c| write(c, &scope2, &romes, &rows, now, &cancel))
            .await?;
        tracing::info!(territoire = %format!("{}:{}", scope.api_type, scope.api_code), rows = n, "marché du travail enregistré");
        summary.rows_read += n;
        summary.rows_added += n;
    }
    summary.note = Some(format!(
        "{} territoires, {} requêtes",
        scopes.len(),
        client.requests.load(std::sync::atomic::Ordering::Relaxed)
    ));
    Ok(Some(summary))
}

#[cfg(test)]
mod tests {
    #[test]
    fn quarters() {
        assert_eq!(
            super::quarter_start("2024T3").as_deref(),
            Some("2024-07-01")
        );
        assert_eq!(super::quarter_start("2024T5"), None);
    }
}
