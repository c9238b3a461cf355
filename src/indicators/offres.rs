//! Job offers per territory × breakdown × period (`ind_offres`; method `/methodologie#offres`).
//!
//! Counted once per duplicate cluster (see [`doublons`](super::doublons)). Breakdowns: total,
//! ROME 4.0, FAP 2021 and FAP 2009 (through `ref_rome_fap`, by the offer's qualification
//! level), ROME grand domaine, NAF A21 / A38 / A88 of the employer, filière. Periods: `actuel`
//! (offers open now; `offres` = open offers) and each month `YYYY-MM` (`offres` = created in the
//! month, `stock_fin_mois` = open at the month's end, shares over the month's creations).
//!
//! - durable: CDI, or CDD / intérim / seasonal / CDD d'insertion of ≥ 6 months (DARES
//!   definition of durable employment); base: offers with one of these contract types.
//! - full time: "Temps plein" among offers stating their working time.
//! - salary: monthly equivalent (middle of the offer's range), quartiles only over ≥ 10 salaries.
//! - days online: `first_seen` → `closed_at`, offers closed only.
//! - no experience: "débutant accepté" (`D`) among offers stating it.
//!
//! Small cells: shares and medians need a base of at least [`MIN_CELL`] offers, salary quartiles
//! [`MIN_SALARIES`] salaries; below, they are NULL and the API says why. Counts are published.
use anyhow::Result;
use duckdb::Connection;

/// Quartiles of salaries are published only over at least this many salaries.
pub const MIN_SALARIES: i64 = 10;
/// Shares and medians are published only over at least this many offers (their base).
pub const MIN_CELL: i64 = 10;

pub fn refresh(conn: &Connection) -> Result<()> {
    super::sql::timed("(doublons, en Rust)", || super::doublons::refresh(conn))?;
    let sql = format!(
        "DELETE FROM ind_offres_metier;
         DELETE FROM ind_offres_total;
         DELETE FROM ind_offres;
         DELETE FROM ind_code_postal;
         -- postal codes of the places of work (open and closed offers), for the search
         INSERT INTO ind_code_postal
         SELECT code_postal, commune, count(*) FROM raw_ft_offre
         WHERE commune IS NOT NULL AND regexp_full_match(code_postal, '[0-9]{{5}}|2[AB][0-9]{{3}}')
         GROUP BY code_postal, commune;
         -- only the columns counted (not the offers' texts, copied once per territory)
         CREATE OR REPLACE TEMP TABLE offres_scope AS
         SELECT t.kind, t.code, o.rome, o.nombre_postes, o.type_contrat, o.date_creation, o.source_id
         FROM raw_ft_offre o
         JOIN territory_commune t ON t.commune = o.commune
         LEFT JOIN ind_offre_cluster c ON c.offre_id = o.id
         WHERE o.closed_at IS NULL AND (c.cluster_id IS NULL OR c.cluster_id = o.id);
         INSERT INTO ind_offres_metier
         SELECT s.kind, s.code, coalesce(s.rome, '?'), any_value(r.libelle), count(*), sum(s.nombre_postes),
             count(*) FILTER (WHERE s.type_contrat = 'CDI'),
             min(s.date_creation)::DATE, max(s.date_creation)::DATE,
             string_agg(DISTINCT s.source_id, ',' ORDER BY s.source_id)
         FROM offres_scope s LEFT JOIN ref_rome r ON r.code = s.rome
         GROUP BY s.kind, s.code, coalesce(s.rome, '?');
         INSERT INTO ind_offres_total
         SELECT s.kind, s.code, count(*),
             (SELECT count(*) FROM raw_ft_offre WHERE commune IS NULL AND closed_at IS NULL),
             min(s.date_creation)::DATE, max(s.date_creation)::DATE,
             string_agg(DISTINCT s.source_id, ',' ORDER BY s.source_id)
         FROM offres_scope s GROUP BY s.kind, s.code;
         DROP TABLE offres_scope;

         -- each source gets a bit (sources of a cell = bit-or of its offers' bits)
         {source_bits};
         -- one row per counted offer, with its breakdown keys and measures. Materialised once:
         -- the rebuild runs outside one transaction (see publish.rs), where the monthly
         -- aggregates over this table took 90.8 s and 6.5 GiB at 10 M offers against 126.6 s
         -- and 8.6 GiB with a view re-streaming the joins into each aggregate (BENCHMARKS.md)
         CREATE OR REPLACE TEMP TABLE off_base AS
         SELECT o.id, o.source_id, (1::HUGEINT << s.bit) AS src_bit, o.commune, o.rome, o.naf, o.closed_at IS NULL AS ouverte,
             strftime(coalesce(o.date_creation, o.first_seen), '%Y-%m') AS mois_creation,
             strftime(o.closed_at, '%Y-%m') AS mois_fermeture,
             o.nombre_postes AS postes,
             CASE WHEN o.closed_at IS NOT NULL THEN date_diff('day', o.first_seen, o.closed_at) END AS jours,
             CASE WHEN o.type_contrat = 'CDI' THEN true
                  WHEN o.type_contrat IN ('CDD', 'MIS', 'SAI', 'DDI') THEN coalesce(o.duree_contrat_mois >= 6, false)
             END AS durable,
             CASE o.duree_travail WHEN 'Temps plein' THEN true WHEN 'Temps partiel' THEN false END AS temps_plein,
             CASE WHEN o.salaire_min_mensuel IS NOT NULL
                  THEN (o.salaire_min_mensuel + coalesce(o.salaire_max_mensuel, o.salaire_min_mensuel)) / 2 END AS salaire,
             CASE o.experience_exige WHEN 'D' THEN true WHEN 'E' THEN false END AS sans_experience,
             coalesce(o.rome, '?') AS k_rome, coalesce(f.fap2021, '?') AS k_fap2021,
             coalesce(f.fap2009, '?') AS k_fap2009, coalesce(r.grand_domaine, '?') AS k_grand_domaine,
             coalesce(n.section, '?') AS k_naf_a21, coalesce(n.a38, '?') AS k_naf_a38,
             coalesce(n.division, '?') AS k_naf_a88
         FROM raw_ft_offre o
         JOIN off_src s ON s.source_id = o.source_id
         LEFT JOIN ind_offre_cluster c ON c.offre_id = o.id
         LEFT JOIN ref_rome_fap f ON f.rome = o.rome AND f.qualification = coalesce(o.qualification_code, '0')
         LEFT JOIN ref_rome r ON r.code = o.rome
         LEFT JOIN ref_naf n ON n.code = o.naf
         WHERE o.commune IS NOT NULL AND (c.cluster_id IS NULL OR c.cluster_id = o.id);
         -- offers × their territories: a view, the join streamed into each aggregation instead
         -- of materialising one row per offer × territory (measured 10 % faster at a million offers)
         CREATE OR REPLACE TEMP VIEW off_terr AS
         SELECT t.kind, t.code, b.* FROM off_base b JOIN territory_commune t ON t.commune = b.commune;
         -- an offer is in a filière by its métier or its employer's sector (UNION: counted once),
         -- decided once per offer, then joined to its territories
         CREATE OR REPLACE TEMP TABLE off_filiere AS
         SELECT b.id, f.filiere FROM off_base b JOIN ref_filiere_rome f ON f.rome = b.rome
         UNION
         SELECT b.id, f.filiere FROM off_base b JOIN ref_filiere_naf f ON f.naf = b.naf;
         CREATE OR REPLACE TEMP VIEW off_fil AS
         SELECT b.kind, b.code, b.id, f.filiere, b.src_bit, b.ouverte, b.mois_creation, b.mois_fermeture,
             b.postes, b.jours, b.durable, b.temps_plein, b.salaire, b.sans_experience
         FROM off_terr b JOIN off_filiere f USING (id);
         -- labels of every breakdown's keys
         CREATE OR REPLACE TEMP TABLE off_label AS
         SELECT 'rome' AS dimension, code AS key, libelle FROM ref_rome
         UNION ALL SELECT 'fap2021', fap228, any_value(fap228_libelle) FROM ref_fap2021 GROUP BY fap228
         UNION ALL SELECT 'fap2009', fap225, any_value(fap225_libelle) FROM ref_fap2009_rome_v3 GROUP BY fap225
         UNION ALL SELECT 'grand_domaine', code, libelle FROM ref_rome_grand_domaine
         UNION ALL SELECT 'naf_a21', code, libelle FROM ref_naf_libelle WHERE niveau = 'A21'
         UNION ALL SELECT 'naf_a38', code, libelle FROM ref_naf_libelle WHERE niveau = 'A38'
         UNION ALL SELECT 'naf_a88', code, libelle FROM ref_naf_libelle WHERE niveau = 'A88'
         UNION ALL SELECT 'filiere', id, libelle FROM ref_filiere
         UNION ALL SELECT 'total', 'total', 'Toutes les offres';
         INSERT INTO ind_offres
         SELECT a.kind, a.code, a.dimension, a.key, {label}, 'actuel', offres, NULL, postes, NULL, NULL, durables, n_contrat,
             plein, n_plein, qs[1], qs[2], qs[3], n_sal, sans_exp, NULL, NULL, {sources}
         FROM ({actuel}) a LEFT JOIN off_label l ON l.dimension = a.dimension AND l.key = a.key;
         -- months: creations, closures, and the stock at each month's end
         CREATE OR REPLACE TEMP TABLE off_months AS
         SELECT * EXCLUDE (src_mask), {sources} AS sources FROM ({months});
         CREATE OR REPLACE TEMP TABLE off_closures AS {closures};
         -- one sort for both windows: the stock (creations minus closures, cumulated) and the
         -- creations of the same month a year before (12 months back on a month index)
         INSERT INTO ind_offres
         SELECT e.kind, e.code, e.dimension, e.key, {label_e}, e.mois, coalesce(e.offres, 0),
             sum(coalesce(e.offres, 0) - coalesce(e.fermetures, 0)) OVER w,
             e.postes, e.duree, e.fermees, e.durables, e.n_contrat, e.plein, e.n_plein, e.qs[1], e.qs[2], e.qs[3],
             e.n_sal, e.sans_exp, max(e.offres) OVER a,
             CASE WHEN max(e.offres) OVER a > 0 THEN (coalesce(e.offres, 0) - max(e.offres) OVER a) / max(e.offres) OVER a END,
             coalesce(e.sources, '')
         FROM (SELECT coalesce(m.kind, c.kind) AS kind, coalesce(m.code, c.code) AS code,
                   coalesce(m.dimension, c.dimension) AS dimension, coalesce(m.key, c.key) AS key,
                   coalesce(m.mois, c.mois) AS mois, m.* EXCLUDE (kind, code, dimension, key, mois), c.fermetures,
                   12 * CAST(left(coalesce(m.mois, c.mois), 4) AS INTEGER)
                       + CAST(right(coalesce(m.mois, c.mois), 2) AS INTEGER) AS rang
               FROM off_months m FULL JOIN off_closures c USING (kind, code, dimension, key, mois)) e
         LEFT JOIN off_label l ON l.dimension = e.dimension AND l.key = e.key
         WINDOW w AS (PARTITION BY e.kind, e.code, e.dimension, e.key ORDER BY e.rang),
             a AS (PARTITION BY e.kind, e.code, e.dimension, e.key ORDER BY e.rang
                   RANGE BETWEEN 12 PRECEDING AND 12 PRECEDING);
         DROP TABLE off_closures; DROP TABLE off_months; DROP VIEW off_fil; DROP TABLE off_filiere;
         DROP TABLE off_label; DROP VIEW off_terr; DROP TABLE off_base; DROP TABLE off_src;",
        source_bits = super::sql::source_bits("off_src", "raw_ft_offre"),
        sources = super::sql::sources_of_mask("off_src"),
        label = label("a"),
        label_e = label("e"),
        actuel = aggregated("ouverte", None),
        months = aggregated("mois_creation IS NOT NULL", Some("mois_creation")),
        closures = closures(),
    );
    super::sql::run(conn, &sql)?;
    Ok(())
}

/// The label of the key of row `alias` (joined to `off_label l`).
fn label(alias: &str) -> String {
    format!(
        "CASE WHEN {alias}.key = '?' THEN 'Non renseigné ou hors nomenclature' ELSE l.libelle END"
    )
}

/// Closures per territory × breakdown × month of closure (`kind, code, dimension, key, mois,
/// fermetures`). A count adds up over communes: counted per commune first (one GROUPING SETS
/// pass over the offers, not over offers × territories), then summed per territory.
fn closures() -> String {
    let sets: Vec<String> = std::iter::once("(commune, mois_fermeture)".to_string())
        .chain(
            DIMENSIONS
                .iter()
                .map(|d| format!("(commune, mois_fermeture, k_{d})")),
        )
        .collect();
    let dimension: String = DIMENSIONS
        .iter()
        .map(|d| format!("WHEN grouping(k_{d}) = 0 THEN '{d}' "))
        .collect();
    let key: String = DIMENSIONS
        .iter()
        .map(|d| format!("WHEN grouping(k_{d}) = 0 THEN k_{d} "))
        .collect();
    format!(
        "WITH c AS (
             SELECT commune, mois_fermeture AS mois, CASE {dimension}ELSE 'total' END AS dimension,
                 CASE {key}ELSE 'total' END AS key, count(*) AS n
             FROM off_base WHERE mois_fermeture IS NOT NULL GROUP BY GROUPING SETS ({sets})
             UNION ALL
             SELECT b.commune, b.mois_fermeture, 'filiere', f.filiere, count(*)
             FROM off_base b JOIN off_filiere f USING (id) WHERE b.mois_fermeture IS NOT NULL GROUP BY ALL)
         SELECT t.kind, t.code, c.dimension, c.key, c.mois, sum(c.n)::BIGINT AS fermetures
         FROM c JOIN territory_commune t ON t.commune = c.commune GROUP BY ALL",
        sets = sets.join(", ")
    )
}

/// Single-valued breakdowns of `off_base` (their key columns `k_…`); with `filiere`, every
/// `dimension` of `ind_offres` but `total`.
pub const DIMENSIONS: [&str; 7] = [
    "rome",
    "fap2021",
    "fap2009",
    "grand_domaine",
    "naf_a21",
    "naf_a38",
    "naf_a88",
];

/// The additive measures of a set of offers, summed per territory from per-commune groups.
const ADDITIVE: [(&str, &str); 11] = [
    ("offres", "count(*)"),
    ("postes", "sum(postes)"),
    ("fermees", "count(jours)"),
    ("s_durable", "sum(durable::INTEGER)"),
    ("n_contrat", "count(durable)"),
    ("s_plein", "sum(temps_plein::INTEGER)"),
    ("n_plein", "count(temps_plein)"),
    ("n_sal", "count(salaire)"),
    ("s_sans_exp", "sum(sans_experience::INTEGER)"),
    ("n_sans_exp", "count(sans_experience)"),
    ("src_mask", "bit_or(src_bit)"),
];

/// The measures of the offers matching `filter` per territory × breakdown (× `period`, a
/// column of `off_base`), small cells withheld. Columns: kind, code, dimension, key, mois,
/// offres, postes, duree, fermees, durables, n_contrat, plein, n_plein, qs, n_sal, sans_exp,
/// src_mask.
///
/// Counts, sums and the sources' bit-or add up over communes: they are grouped per commune
/// (one pass over the offers), then summed per territory. Only the median of days online and
/// the salary quartiles (holistic aggregates) need the offers × territories, and only the
/// offers that carry one of their values. At 10 M offers this took 67 s where one set of
/// aggregates over offers × territories took 85 s (BENCHMARKS.md).
///
/// One GROUP BY per breakdown, not one GROUPING SETS: with the medians and quartiles DuckDB 1.5
/// takes 17.2 s for the eight sets at 2 M offers where eight GROUP BYs take 10.7 s.
fn aggregated(filter: &str, period: Option<&str>) -> String {
    let p = period.map(|p| format!(", {p}")).unwrap_or_default();
    let mois = period.unwrap_or("NULL::VARCHAR");
    let additive: String = ADDITIVE
        .iter()
        .map(|(name, agg)| format!("{agg} AS {name}"))
        .collect::<Vec<_>>()
        .join(", ");
    let summed: String = ADDITIVE
        .iter()
        .map(|(name, _)| match *name {
            "src_mask" => "bit_or(c.src_mask) AS src_mask".to_string(),
            _ => format!("sum(c.{name})::BIGINT AS {name}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    // the small-cell rule is applied on the summed counts: a CASE around each holistic
    // aggregate here cost 17 % of this query (2 M offers)
    let holistic = "median(jours) AS duree, quantile_cont(salaire, [0.25, 0.5, 0.75]) AS qs";
    let per_commune = by_breakdown(
        "commune",
        "off_base",
        "off_base b JOIN off_filiere f USING (id)",
        filter,
        mois,
        &p,
        &additive,
    );
    let per_territory = by_breakdown(
        "kind, code",
        "off_terr",
        "off_fil",
        &format!("({filter}) AND (jours IS NOT NULL OR salaire IS NOT NULL)"),
        mois,
        &p,
        holistic,
    );
    let share = |s: &str, n: &str| format!("CASE WHEN c.{n} >= {MIN_CELL} THEN c.{s} / c.{n} END");
    format!(
        "WITH per_commune AS ({per_commune}),
         counts AS (SELECT t.kind, t.code, c.dimension, c.key, c.mois, {summed}
                    FROM per_commune c JOIN territory_commune t ON t.commune = c.commune
                    GROUP BY t.kind, t.code, c.dimension, c.key, c.mois),
         holistic AS ({per_territory})
         SELECT c.kind, c.code, c.dimension, c.key, c.mois, c.offres, c.postes,
             CASE WHEN c.fermees >= {MIN_CELL} THEN h.duree END AS duree, c.fermees,
             {durables} AS durables, c.n_contrat, {plein} AS plein, c.n_plein,
             CASE WHEN c.n_sal >= {MIN_SALARIES} THEN h.qs END AS qs, c.n_sal,
             {sans_exp} AS sans_exp, c.src_mask
         FROM counts c LEFT JOIN holistic h ON h.kind = c.kind AND h.code = c.code
             AND h.dimension = c.dimension AND h.key = c.key AND h.mois IS NOT DISTINCT FROM c.mois",
        durables = share("s_durable", "n_contrat"),
        plein = share("s_plein", "n_plein"),
        sans_exp = share("s_sans_exp", "n_sans_exp"),
    )
}

/// `measures` per `group` (`commune`, or `kind, code`) × breakdown (× period) over `offers`
/// (a relation with the breakdown keys `k_…`), the filières over `filieres` (the same with a
/// column `filiere`): one GROUP BY each, joined by UNION ALL. Columns: the group's, dimension,
/// key, mois, measures.
fn by_breakdown(
    group: &str,
    offers: &str,
    filieres: &str,
    filter: &str,
    mois: &str,
    p: &str,
    measures: &str,
) -> String {
    let mut parts = vec![format!(
        "SELECT {group}, 'total' AS dimension, 'total' AS key, {mois} AS mois, {measures}
         FROM {offers} WHERE {filter} GROUP BY {group}{p}"
    )];
    parts.extend(DIMENSIONS.iter().map(|d| {
        format!(
            "SELECT {group}, '{d}', k_{d}, {mois}, {measures}
             FROM {offers} WHERE {filter} GROUP BY {group}, k_{d}{p}"
        )
    }));
    parts.push(format!(
        "SELECT {group}, 'filiere', filiere, {mois}, {measures}
         FROM {filieres} WHERE {filter} GROUP BY {group}, filiere{p}"
    ));
    parts.join("\n         UNION ALL\n         ")
}
