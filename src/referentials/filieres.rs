//! Filières: the `[[filieres]]` of `config.toml` (ROME codes or prefixes, NAF codes at any
//! level) and the three ROME 4.0 transition flags as filières. Re-synchronised on every start.
//! An offer is in a filière when its ROME métier starts with one of the filière's ROME codes, or
//! its employer's NAF sub-class belongs to one of its NAF codes (section letter, or a prefix of
//! the dotted code: `43` ⊃ `43.2` ⊃ `43.21A`).
use anyhow::Result;
use duckdb::{params, Connection};

use crate::config::Config;

pub const TRANSITIONS: [(&str, &str, &str); 3] = [
    (
        "transition-ecologique",
        "Métiers de la transition écologique (ROME 4.0 : emplois verts et stratégiques)",
        "transition_eco IN ('Emploi Vert', 'Emploi stratégique pour la Transition écologique')",
    ),
    (
        "transition-numerique",
        "Métiers de la transition numérique (ROME 4.0)",
        "transition_num = 'O'",
    ),
    (
        "transition-demographique",
        "Métiers de la transition démographique (ROME 4.0)",
        "transition_demo = 'O'",
    ),
];

pub fn sync(conn: &mut Connection, cfg: &Config) -> Result<()> {
    let tx = conn.transaction()?;
    let before = super::custom::digest(&tx, DIGEST)?;
    tx.execute_batch(
        "DELETE FROM ref_filiere; DELETE FROM ref_filiere_rome; DELETE FROM ref_filiere_naf;",
    )?;
    for f in &cfg.filieres() {
        tx.execute(
            "INSERT INTO ref_filiere VALUES (?, ?, 'config')",
            params![f.id, f.name],
        )?;
        for r in &f.rome {
            tx.execute(
                "INSERT OR IGNORE INTO ref_filiere_rome SELECT ?, code FROM ref_rome WHERE starts_with(code, ?)",
                params![f.id, r],
            )?;
        }
        for n in &f.naf {
            tx.execute(
                "INSERT OR IGNORE INTO ref_filiere_naf SELECT ?, code FROM ref_naf
                 WHERE (length(?2) = 1 AND section = ?2) OR (length(?2) > 1 AND starts_with(code, ?2))",
                params![f.id, n],
            )?;
        }
    }
    for (id, label, cond) in TRANSITIONS {
        tx.execute(
            "INSERT INTO ref_filiere VALUES (?, ?, 'rome-transition')",
            params![id, label],
        )?;
        tx.execute(
            &format!("INSERT INTO ref_filiere_rome SELECT ?, code FROM ref_rome WHERE {cond}"),
            [id],
        )?;
    }
    if super::custom::digest(&tx, DIGEST)? != before {
        crate::store::changes::mark_changed(&tx, "config:filieres")?;
    }
    tx.commit()?;
    Ok(())
}

const DIGEST: &str = "SELECT (SELECT coalesce(sum(hash(id, libelle)), 0) FROM ref_filiere)::VARCHAR
    || '/' || (SELECT coalesce(sum(hash(filiere, rome)), 0) FROM ref_filiere_rome)::VARCHAR
    || '/' || (SELECT coalesce(sum(hash(filiere, naf)), 0) FROM ref_filiere_naf)::VARCHAR";
