//! The complete bare reference: plain DuckDB SQL producing the same aggregates as the offers and
//! skills families (`ind_offres` for open offers and per month with the stock and the year
//! before, `ind_competences` observed and emerging), written the fastest way we know — a
//! materialised per-offer table, one GROUP BY per breakdown, counts and sums per commune then
//! summed per territory (only medians and quartiles over offers × territories) — without the
//! product's labels, source lists, small-cell rules and publication. Run outside a
//! transaction, as an analyst's script would.

const BASE: &str = "
CREATE OR REPLACE TEMP TABLE r_o AS
SELECT o.id, o.commune, o.rome, o.naf, o.closed_at IS NULL AS ouverte,
    strftime(coalesce(o.date_creation, o.first_seen), '%Y-%m') AS mois,
    strftime(o.closed_at, '%Y-%m') AS mois_fermeture, o.nombre_postes AS postes,
    CASE WHEN o.closed_at IS NOT NULL THEN date_diff('day', o.first_seen, o.closed_at) END AS jours,
    CASE WHEN o.type_contrat = 'CDI' THEN true
         WHEN o.type_contrat IN ('CDD', 'MIS', 'SAI', 'DDI') THEN coalesce(o.duree_contrat_mois >= 6, false) END AS durable,
    CASE o.duree_travail WHEN 'Temps plein' THEN true WHEN 'Temps partiel' THEN false END AS plein,
    (o.salaire_min_mensuel + coalesce(o.salaire_max_mensuel, o.salaire_min_mensuel)) / 2 AS salaire,
    CASE o.experience_exige WHEN 'D' THEN true WHEN 'E' THEN false END AS sans_exp,
    coalesce(o.rome, '?') AS k_rome, coalesce(f.fap2021, '?') AS k_fap2021, coalesce(f.fap2009, '?') AS k_fap2009,
    coalesce(r.grand_domaine, '?') AS k_gd, coalesce(n.section, '?') AS k_a21, coalesce(n.a38, '?') AS k_a38,
    coalesce(n.division, '?') AS k_a88
FROM raw_ft_offre o
LEFT JOIN ind_offre_cluster c ON c.offre_id = o.id
LEFT JOIN ref_rome_fap f ON f.rome = o.rome AND f.qualification = coalesce(o.qualification_code, '0')
LEFT JOIN ref_rome r ON r.code = o.rome LEFT JOIN ref_naf n ON n.code = o.naf
WHERE o.commune IS NOT NULL AND (c.cluster_id IS NULL OR c.cluster_id = o.id);
CREATE OR REPLACE TEMP TABLE r_fil AS
SELECT o.id, f.filiere FROM r_o o JOIN ref_filiere_rome f ON f.rome = o.rome
UNION SELECT o.id, f.filiere FROM r_o o JOIN ref_filiere_naf f ON f.naf = o.naf;
";

/// The additive measures, grouped per commune then summed per territory.
const ADDITIVE: &str = "count(*) AS offres, sum(postes) AS postes, count(jours) AS fermees,
    sum(durable::INTEGER) AS s_dur, count(durable) AS n_contrat, sum(plein::INTEGER) AS s_plein,
    count(plein) AS n_plein, count(salaire) AS n_sal, sum(sans_exp::INTEGER) AS s_sx, count(sans_exp) AS n_sx";
const SUMMED: &str = "sum(offres) AS offres, sum(postes) AS postes, sum(fermees) AS fermees,
    sum(s_dur) / sum(n_contrat) AS durables, sum(n_contrat) AS n_contrat, sum(s_plein) / sum(n_plein) AS plein,
    sum(n_plein) AS n_plein, sum(n_sal) AS n_sal, sum(s_sx) / sum(n_sx) AS sans_exp";
/// The holistic ones, over offers × territories.
const HOLISTIC: &str = "median(jours) AS duree, quantile_cont(salaire, [0.25, 0.5, 0.75]) AS qs";

const KEYS: [(&str, &str); 8] = [
    ("total", "'total'"),
    ("rome", "k_rome"),
    ("fap2021", "k_fap2021"),
    ("fap2009", "k_fap2009"),
    ("grand_domaine", "k_gd"),
    ("naf_a21", "k_a21"),
    ("naf_a38", "k_a38"),
    ("naf_a88", "k_a88"),
];

/// One GROUP BY per breakdown (and the filières) of `measures` per `group` over `from` (offers
/// joined to `t`, their territories, when grouped by territory), for `period` (`mois`, or NULL
/// for the open offers) over the offers matching `filter`.
fn by_breakdown(
    group: &str,
    from: &str,
    fil_from: &str,
    filter: &str,
    period: &str,
    measures: &str,
) -> String {
    let mut parts: Vec<String> = KEYS
        .iter()
        .map(|(d, k)| {
            format!(
                "SELECT {group}, '{d}' AS dimension, {k} AS key, {period} AS mois, {measures}
                 FROM {from} WHERE {filter} GROUP BY ALL"
            )
        })
        .collect();
    parts.push(format!(
        "SELECT {group}, 'filiere', f.filiere, {period}, {measures}
         FROM {fil_from} WHERE {filter} GROUP BY ALL"
    ));
    parts.join("\nUNION ALL\n")
}

/// Every measure per territory × breakdown: the additive ones per commune summed per
/// territory, the holistic ones over offers × territories (the fastest way we know: the same
/// split as the product's, `src/indicators/offres.rs`).
fn aggregates(filter: &str, period: &str) -> String {
    let per_commune = by_breakdown(
        "o.commune",
        "r_o o",
        "r_o o JOIN r_fil f USING (id)",
        filter,
        period,
        ADDITIVE,
    );
    let holistic = by_breakdown(
        "t.kind, t.code",
        "r_o o JOIN territory_commune t ON t.commune = o.commune",
        "r_o o JOIN r_fil f USING (id) JOIN territory_commune t ON t.commune = o.commune",
        &format!("({filter}) AND (o.jours IS NOT NULL OR o.salaire IS NOT NULL)"),
        period,
        HOLISTIC,
    );
    format!(
        "WITH c AS (SELECT t.kind, t.code, c.dimension, c.key, c.mois, {SUMMED}
                    FROM ({per_commune}) c JOIN territory_commune t ON t.commune = c.commune GROUP BY ALL),
              h AS ({holistic})
         SELECT c.*, h.duree, h.qs FROM c LEFT JOIN h ON h.kind = c.kind AND h.code = c.code
             AND h.dimension = c.dimension AND h.key = c.key AND h.mois IS NOT DISTINCT FROM c.mois"
    )
}

/// Closures per commune × breakdown × month of closure.
fn closures() -> String {
    let mut parts: Vec<String> = KEYS
        .iter()
        .map(|(d, k)| {
            format!(
                "SELECT commune, '{d}' AS dimension, {k} AS key, mois_fermeture AS mois, count(*) AS n
                 FROM r_o WHERE mois_fermeture IS NOT NULL GROUP BY ALL"
            )
        })
        .collect();
    parts.push(
        "SELECT o.commune, 'filiere', f.filiere, o.mois_fermeture, count(*)
         FROM r_o o JOIN r_fil f USING (id) WHERE o.mois_fermeture IS NOT NULL GROUP BY ALL"
            .into(),
    );
    parts.join("\nUNION ALL\n")
}

const SKILLS: &str = "
CREATE OR REPLACE TEMP TABLE r_dim AS
SELECT id, 'total' AS dimension, 'total' AS key FROM r_o WHERE ouverte
UNION ALL SELECT id, 'rome', rome FROM r_o WHERE ouverte AND rome IS NOT NULL
UNION ALL SELECT id, 'fap2021', k_fap2021 FROM r_o WHERE ouverte AND k_fap2021 <> '?'
UNION ALL SELECT f.id, 'filiere', f.filiere FROM r_fil f JOIN r_o o USING (id) WHERE o.ouverte;
CREATE OR REPLACE TEMP TABLE r_asked AS
SELECT DISTINCT offre_id AS id, code_ogr FROM raw_ft_offre_competence WHERE code_ogr IS NOT NULL;
CREATE OR REPLACE TABLE bare_competences AS
WITH base AS (SELECT t.kind, t.code, b.dimension, b.key, sum(b.n) AS base
              FROM (SELECT o.commune, d.dimension, d.key, count(*) AS n FROM r_dim d JOIN r_o o USING (id) GROUP BY ALL) b
              JOIN territory_commune t ON t.commune = b.commune GROUP BY ALL),
     asked AS (SELECT t.kind, t.code, a.dimension, a.key, a.code_ogr, sum(a.n) AS offres
               FROM (SELECT o.commune, d.dimension, d.key, s.code_ogr, count(*) AS n
                     FROM r_dim d JOIN r_o o USING (id) JOIN r_asked s USING (id) GROUP BY ALL) a
               JOIN territory_commune t ON t.commune = a.commune GROUP BY ALL)
SELECT a.*, b.base, a.offres / b.base AS part FROM asked a JOIN base b USING (kind, code, dimension, key);
-- emerging: the last 12 months with offers against the 12 before
CREATE OR REPLACE TABLE bare_emergentes AS
WITH m AS (SELECT mois, row_number() OVER (ORDER BY mois DESC) AS rn FROM (SELECT DISTINCT mois FROM r_o WHERE mois IS NOT NULL)),
     p AS (SELECT mois, rn <= 12 AS recente FROM m WHERE rn <= 24),
     c AS (SELECT o.commune, count(*) FILTER (WHERE p.recente) AS n1, count(*) FILTER (WHERE NOT p.recente) AS n0
           FROM r_o o JOIN p USING (mois) GROUP BY ALL),
     k AS (SELECT o.commune, s.code_ogr, count(*) FILTER (WHERE p.recente) AS k1, count(*) FILTER (WHERE NOT p.recente) AS k0
           FROM r_o o JOIN p USING (mois) JOIN r_asked s USING (id) GROUP BY ALL),
     b AS (SELECT t.kind, t.code, sum(n1) AS n1, sum(n0) AS n0 FROM c JOIN territory_commune t USING (commune) GROUP BY ALL),
     e AS (SELECT t.kind, t.code, k.code_ogr, sum(k1) AS k1, sum(k0) AS k0 FROM k JOIN territory_commune t USING (commune) GROUP BY ALL)
SELECT e.*, e.k1 / b.n1 - e.k0 / b.n0 AS progression FROM e JOIN b USING (kind, code) WHERE b.n1 > 0 AND b.n0 > 0;
";

/// The whole reference script.
pub fn sql() -> String {
    format!(
        "{BASE}
CREATE OR REPLACE TABLE bare_actuel AS {actuel};
CREATE OR REPLACE TEMP TABLE r_months AS {months};
CREATE OR REPLACE TEMP TABLE r_closures AS
SELECT t.kind, t.code, c.dimension, c.key, c.mois, sum(c.n) AS fermetures
FROM ({closures}) c JOIN territory_commune t ON t.commune = c.commune GROUP BY ALL;
CREATE OR REPLACE TABLE bare_mois AS
SELECT *, sum(coalesce(offres, 0) - coalesce(fermetures, 0)) OVER w AS stock, max(offres) OVER a AS un_an_avant
FROM (SELECT *, 12 * CAST(left(mois, 4) AS INTEGER) + CAST(right(mois, 2) AS INTEGER) AS rang
      FROM r_months m FULL JOIN r_closures c USING (kind, code, dimension, key, mois))
WINDOW w AS (PARTITION BY kind, code, dimension, key ORDER BY rang),
    a AS (PARTITION BY kind, code, dimension, key ORDER BY rang RANGE BETWEEN 12 PRECEDING AND 12 PRECEDING);
{SKILLS}",
        actuel = aggregates("o.ouverte", "NULL::VARCHAR"),
        months = aggregates("o.mois IS NOT NULL", "o.mois"),
        closures = closures(),
    )
}
