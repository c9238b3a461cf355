#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (fuzz/seeds/<target>/) from the project's real data:
the first offers of the recorded France Travail page (without description, contact or agency),
their salary and contract texts, the head of each shipped open-data file (one seed per import
source; its first byte picks the source, see src/fuzz.rs), the shipped job files, and forecast
inputs. Standard library only; rerun it when a format changes. XLSX seeds are made from the CSV
ones by the corpus replay test (tests/it/fuzzing.rs), which holds the XLSX writer."""
import gzip, json, pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "fuzz" / "seeds"


def put(target, name, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


page = json.load(gzip.open(ROOT / "tests/fixtures/offres_search_2025-11-13_page0.json.gz"))
DROP = {"description", "contact", "agence", "coordonnees1", "coordonnees2", "coordonnees3"}
offers = []
for o in page["resultats"][:3]:
    o = {k: v for k, v in o.items() if k not in DROP}
    if isinstance(o.get("entreprise"), dict):
        o["entreprise"] = {k: v for k, v in o["entreprise"].items() if k in ("nom", "url", "entrepriseAdaptee")}
    offers.append(o)
put("offer_page", "real_page.json", json.dumps({"resultats": offers}, ensure_ascii=False))
# synthetic contact data in kept fields (never a real person's)
fake = dict(offers[0], id="FUZZ01", intitule="Serveur H/F contact 06 00 00 00 00 ou x@example.org",
            salaire={"libelle": "Mensuel de 1800,5 Euros à 2000 Euros sur 13 mois"})
put("offer_page", "contacts.json", json.dumps({"resultats": [fake]}, ensure_ascii=False))

texts = set()
for o in page["resultats"]:
    s = (o.get("salaire") or {}).get("libelle")
    if s:
        texts.add(s)
    if any(c.isdigit() for c in o.get("typeContratLibelle") or ""):  # "CDI" has no length
        texts.add(o["typeContratLibelle"])
for i, t in enumerate(sorted(texts)[:40]):
    put("salary", f"real_{i:02}.txt", t)
put("salary", "hourly.txt", "Horaire de 11.88 Euros sur 12 mois")
put("salary", "annual.txt", "Annuel de 30000.0 Euros à 35000,0 Euros sur 12 mois")

SOURCES = ["bmo", "dares-tensions", "chomage-ze", "urssaf-ze", "urssaf-ze-secteur", "defm"]
FILES = {
    "bmo": "bmo_2024_bassin_metier.csv.gz",
    "dares-tensions": "dares_tensions_2019_fap_nat_reg_dep.csv.gz",
    "chomage-ze": "insee_taux_chomage_ze2020_2003T1_2023T3_long.csv.gz",
    "urssaf-ze": "urssaf_effectifs_ze2020_trimestriel.csv.gz",
    "urssaf-ze-secteur": "urssaf_etab_effectifs_ze2815_rouen_dep76_ape_annuel_2006_2022.csv.gz",
    "defm": "dares_defm_departement_categorie_mensuel_1996_2016.csv.gz",
}
for i, src in enumerate(SOURCES):
    with gzip.open(ROOT / "data/default" / FILES[src], "rb") as f:
        head = b"".join(f.readline() for _ in range(25))
    put("import_file", f"{src}.csv.bin", bytes([i]) + head)

for job in sorted((ROOT / "jobs").glob("*.toml")):
    put("job_file", job.name, job.read_bytes())

rows = ["series_id,period,value"]
for sid, base in (("bassin-2815", 120.0), ("metier-J1501", 14.0)):
    for t in range(36):
        rows.append(f"{sid},{2022 + t // 12}-{t % 12 + 1:02},{base + (t % 12) * 1.5 + t * 0.3:.1f}")
put("forecast_csv", "monthly.csv", "\n".join(rows) + "\n")
q = ["series_id,period,value"] + [f"taux,{2015 + t // 4}-T{t % 4 + 1},{7.5 + (t % 4) * 0.2:.1f}" for t in range(32)]
put("forecast_csv", "quarterly.csv", "\n".join(q) + "\n")
put("forecast_csv", "short.csv", "series_id,period,value\na,2024-01,0\na,2024-02,0\na,2024-03,1\n")
