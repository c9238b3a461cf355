//! Métiers: ROME 4.0 (métiers, appellations, compétences, savoirs, métier → compétence links),
//! ROME v3 fiches, FAP 2009 ↔ ROME v3 and the FAP 2021 nomenclature (BMO codes).
use std::path::Path;

use anyhow::Result;
use duckdb::Connection;

use crate::collect::{count, csv, exec, record_source};

pub fn load(conn: &Connection, dir: &Path) -> Result<()> {
    let f = |name: &str| dir.join(name);
    let code_rome = f("unix_referentiel_code_rome_v460_utf8.csv.gz");
    let gd_dp = f("unix_cr_gd_dp_v460_utf8.csv.gz");
    exec(conn, &format!(
        "INSERT INTO ref_rome_grand_domaine SELECT code_grand_domaine, any_value(libelle_grand_domaine)
         FROM {} GROUP BY 1", csv(&gd_dp)), &gd_dp)?;
    exec(conn, &format!(
        "INSERT INTO ref_rome_domaine SELECT code_domaine_professionel, any_value(libelle_domaine_professionel),
             any_value(code_grand_domaine) FROM {} GROUP BY 1", csv(&gd_dp)), &gd_dp)?;
    exec(conn, &format!(
        "INSERT INTO ref_rome SELECT r.code_rome, r.libelle_rome, r.code_ogr, g.code_domaine_professionel,
             g.code_grand_domaine, nullif(r.transition_eco, ''), nullif(r.transition_num, ''),
             nullif(r.transition_demo, ''), r.emploi_reglemente = 'O', r.emploi_cadre = 'O',
             nullif(r.code_rome_parent, '')
         FROM {} r LEFT JOIN {} g USING (code_rome)", csv(&code_rome), csv(&gd_dp)), &code_rome)?;
    let app = f("unix_referentiel_appellation_v460_utf8.csv.gz");
    exec(conn, &format!(
        "INSERT INTO ref_rome_appellation SELECT code_ogr, libelle_appellation_long, libelle_appellation_court,
             code_rome, nullif(classification, ''), peu_usite = 'O' FROM {}", csv(&app)), &app)?;
    let comp = f("unix_referentiel_competence_v460_utf8.csv.gz");
    exec(conn, &format!(
        "INSERT INTO ref_competence SELECT code_ogr, 'competence', libelle_competence, nullif(cat_comp, ''),
             nullif(sous_cat_comp, ''), nullif(transition_eco, ''), nullif(transition_num, '') FROM {}",
        csv(&comp)), &comp)?;
    let sav = f("unix_referentiel_savoir_v460_utf8.csv.gz");
    exec(conn, &format!(
        "INSERT INTO ref_competence SELECT code_ogr_savoir, 'savoir', libelle_savoir, nullif(categorie_savoir, ''),
             nullif(sous_categorie_savoir, ''), nullif(transition_eco, ''), nullif(transition_num, '')
         FROM {} WHERE code_ogr_savoir NOT IN (SELECT code_ogr FROM ref_competence)", csv(&sav)), &sav)?;
    let coh = f("unix_coherence_item_v460_utf8.csv.gz");
    exec(conn, &format!(
        "INSERT INTO ref_rome_competence SELECT code_rome, code_ogr, bool_or(coeur_metier = 'Principale')
         FROM {} GROUP BY 1, 2", csv(&coh)), &coh)?;
    let naf = f("unix_arborescence_secteur_naf_v460_utf8.csv.gz");
    exec(
        conn,
        &format!(
        "INSERT INTO ref_rome_naf_division SELECT DISTINCT lpad(code_secteur_naf, 2, '0'), code_rome
         FROM {} WHERE nullif(code_rome, '') IS NOT NULL", csv(&naf)),
        &naf,
    )?;
    let n = count(conn, "SELECT count(*) FROM ref_rome")?;
    record_source(conn, &super::SOURCE_ROME, n, Some("2024-01-01"))?;

    let v3 = f("rome_v3_fiches_2021.csv.gz");
    exec(conn, &format!(
        "INSERT INTO ref_rome_v3 SELECT code_rome, libelle_rome, code_domaine_professionnel, code_grand_domaine
         FROM {}", csv(&v3)), &v3)?;
    let fap = f("dares_fap2009_rome_v3.csv.gz");
    exec(conn, &format!(
        "INSERT INTO ref_fap2009_rome_v3 SELECT fap225, fap225_libelle, fap87, fap87_libelle, fap22, fap22_libelle,
             rome_code, nullif(qualification_filtre, '') FROM {}", csv(&fap)), &fap)?;
    let fap21 = f("dares_fap2021_nomenclature.csv.gz");
    exec(conn, &format!(
        "INSERT INTO ref_fap2021 SELECT Code_FAP341, \"Intitulé_FAP341\", Code_FAP228, \"Intitulé_FAP228\",
             Code_FAP86, \"Intitulé_FAP86\", Code_FAP22, \"Intitulé_FAP22\" FROM {}", csv(&fap21)), &fap21)?;
    let m = count(conn, "SELECT count(*) FROM ref_fap2009_rome_v3")?;
    record_source(conn, &super::SOURCE_FAP, m, None)?;
    Ok(())
}
