#!/usr/bin/env bash
# Rebuilds the embedded default dataset (data/default/*.gz) from the project's shared public data.
# Usage: data/prepare.sh [SHARED_DATA_DIR]   (default: ../shared/data beside the checkout)
# Files are copied unchanged and gzip-compressed (DuckDB reads .csv.gz directly), but for the
# offers sample, which is made privacy-safe first (see redact_offers below and data/README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-"$here/../../shared/data"}
out="$here/default"
files=(
  zones_emploi/ze2020_communes_cog2023.csv
  zones_emploi/ze2020_zones_cog2023.csv
  zones_emploi/insee_table_passage_cog2025.csv
  zones_emploi/ze2020_simplified.geojson
  zones_emploi/departements_simplified.geojson
  bmo/bmo_2024_bassin_metier.csv
  bmo/bassin_bmo_communes.csv
  bmo/bassins_bmo_simplified.geojson
  chomage_localise/insee_taux_chomage_ze2020_2003T1_2023T3_long.csv
  dares/dares_tensions_2019_fap_nat_reg_dep.csv
  dares/dares_tensions_evolution_2011_2019_nat.csv
  urssaf/urssaf_effectifs_ze2020_trimestriel.csv
  urssaf/urssaf_etab_effectifs_ze2815_rouen_dep76_ape_annuel_2006_2022.csv
  demandeurs_emploi/dares_defm_departement_categorie_mensuel_1996_2016.csv
  naf/naf_rev2_sous_classes_agregats.csv
  naf/naf_rev2_niveaux_agreges_libelles.csv
  naf/naf_rev2_libelles_tous_niveaux.csv
  rome/dares_fap2009_rome_v3.csv
  rome/dares_fap2021_nomenclature.csv
  rome/rome_v3_fiches_2021.csv
  rome/rome4_v460/unix_referentiel_code_rome_v460_utf8.csv
  rome/rome4_v460/unix_cr_gd_dp_v460_utf8.csv
  rome/rome4_v460/unix_referentiel_appellation_v460_utf8.csv
  rome/rome4_v460/unix_referentiel_competence_v460_utf8.csv
  rome/rome4_v460/unix_referentiel_savoir_v460_utf8.csv
  rome/rome4_v460/unix_coherence_item_v460_utf8.csv
  rome/rome4_v460/unix_arborescence_secteur_naf_v460_utf8.csv
  rome/rome4_v460/unix_rubrique_mobilite_v460_utf8.csv
  france_travail/offres_sample/offres_2025-11-13_15_flat.csv
  france_travail/offres_sample/offres_2025-11-13_15_competences.csv
)
# The offers sample: workplace coordinates dropped (nothing finer than the commune is kept) and
# e-mails and French phone numbers removed from every text cell (the patterns of
# src/collect/privacy.rs), so the repository holds no personal data.
redact_offers() {
  python3 - "$1" <<'PY'
import csv, re, sys
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?:(?:\+|\b00)33[ .\-/]?(?:\(0\)[ .\-/]?)?|\b0)[1-9](?:(?:[ .\-/]?[0-9]{2}){4}|[ .\-/]?[0-9]{3}[ .\-/]?[0-9]{3}[ .\-/]?[0-9]{2})\b")
drop = {"lieuTravail_latitude", "lieuTravail_longitude"}
rows = csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8"))
cols = [c for c in rows.fieldnames if c not in drop]
out = csv.DictWriter(sys.stdout, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
out.writeheader()
for r in rows:
    for c in cols:
        v = r[c]
        if v and not c.startswith("date"):
            w = " ".join(PHONE.sub("", EMAIL.sub("", v)).split())
            r[c] = w
    out.writerow(r)
PY
}
rm -rf "$out"; mkdir -p "$out"
for f in "${files[@]}"; do
  if [[ "$f" == */offres_2025-11-13_15_flat.csv ]]; then
    redact_offers "$src/$f" | gzip -9 -n > "$out/$(basename "$f").gz"
  else
    gzip -9 -n -c "$src/$f" > "$out/$(basename "$f").gz"
  fi
done
# Métier crosswalks built here (see data/README.md, "Correspondances FAP 2021 / FAP 2009 / ROME").
python3 "$here/crosswalks/build_fap.py" "$src" > "$here/crosswalks/fap2021_fap2009.csv"
python3 "$here/crosswalks/build_rome.py" "$src" "$here/crosswalks/fap2021_fap2009.csv" > "$here/crosswalks/rome4_fap.csv"
for f in fap2021_fap2009 rome4_fap; do
  gzip -9 -n -c "$here/crosswalks/$f.csv" > "$out/$f.csv.gz"
done
du -sh "$out"
