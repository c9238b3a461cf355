"""Reference for `observatoire bench ingest`: what an analyst would write in Python to load the
same France Travail pages into DuckDB, the fastest idiomatic way (orjson + pyarrow + duckdb).

Same work as the observatory's collector path: parse every page, keep one offer per id, keep the
same fields (nothing personal: no contact, no description, no coordinates), scrub e-mails and
phone numbers from the kept free text, turn the salary label into monthly euros and the contract
label into months, then one transaction per département: new offers appended, offers already
stored replaced keeping their first_seen, their skills replaced. Two passes, like the Rust
benchmark: all new, then the same pages again.

    python ingest_reference.py PAGES_DIR DB_PATH    # prints JSON: offers/s of both passes
"""
import gzip
import json
import os
import re
import sys
import time
from datetime import datetime, timezone

import duckdb
import orjson
import pyarrow as pa

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}")
SALARY = re.compile(r"(Horaire|Mensuel|Annuel) de ([\d.]+) Euros(?: à ([\d.]+) Euros)?")
MONTHS = re.compile(r"(\d+(?:[.,]\d+)?) Mois")
FACTOR = {"Horaire": 151.67, "Mensuel": 1.0, "Annuel": 1 / 12}

SCHEMA = """
CREATE TABLE offre (
    id VARCHAR PRIMARY KEY, source_id VARCHAR NOT NULL, intitule VARCHAR,
    date_creation TIMESTAMP, date_actualisation TIMESTAMP, lieu_libelle VARCHAR,
    commune_brute VARCHAR, code_postal VARCHAR, rome VARCHAR, appellation_libelle VARCHAR,
    entreprise_nom VARCHAR, type_contrat VARCHAR, nature_contrat VARCHAR, experience_exige VARCHAR,
    qualification_code VARCHAR, naf VARCHAR, secteur_division VARCHAR, nombre_postes INTEGER,
    alternance BOOLEAN, accessible_th BOOLEAN, offres_manque_candidats BOOLEAN,
    salaire_libelle VARCHAR, salaire_min_mensuel DOUBLE, salaire_max_mensuel DOUBLE,
    duree_travail VARCHAR, duree_contrat_mois DOUBLE, origine VARCHAR, url VARCHAR,
    departement VARCHAR, first_seen TIMESTAMP NOT NULL, last_seen TIMESTAMP NOT NULL,
    closed_at TIMESTAMP);
CREATE TABLE offre_competence (offre_id VARCHAR NOT NULL, code_ogr VARCHAR, libelle VARCHAR,
    exigence VARCHAR);
"""

COLUMNS = ["id", "source_id", "intitule", "date_creation", "date_actualisation", "lieu_libelle",
           "commune_brute", "code_postal", "rome", "appellation_libelle", "entreprise_nom",
           "type_contrat", "nature_contrat", "experience_exige", "qualification_code", "naf",
           "secteur_division", "nombre_postes", "alternance", "accessible_th",
           "offres_manque_candidats", "salaire_libelle", "salaire_min_mensuel",
           "salaire_max_mensuel", "duree_travail", "duree_contrat_mois", "origine", "url",
           "departement", "first_seen", "last_seen"]


def scrub(s):
    if s is None:
        return None
    s = PHONE.sub("", EMAIL.sub("", s)).strip()
    return s or None


def ts(s):
    if not s:
        return None
    return datetime.fromisoformat(s.replace("Z", "+00:00")).replace(tzinfo=None)


def salary(label):
    if not label:
        return None, None
    m = SALARY.search(label)
    if not m:
        return None, None
    f = FACTOR[m.group(1)]
    lo = float(m.group(2)) * f
    hi = float(m.group(3)) * f if m.group(3) else lo
    return lo, hi


def scope_rows(folder, source_id, dep, now):
    offers = {}
    for name in sorted(os.listdir(folder)):
        if name.startswith("page-"):
            with open(os.path.join(folder, name), "rb") as f:
                raw = f.read()
            if name.endswith(".gz"):
                raw = gzip.decompress(raw)
            for o in orjson.loads(raw).get("resultats", []):
                offers[o["id"]] = o
    cols = {c: [] for c in COLUMNS}
    comp = {"offre_id": [], "code_ogr": [], "libelle": [], "exigence": []}
    for o in offers.values():
        lieu = o.get("lieuTravail") or {}
        ent = o.get("entreprise") or {}
        sal = scrub((o.get("salaire") or {}).get("libelle"))
        lo, hi = salary(sal)
        months = MONTHS.search(o.get("typeContratLibelle") or "")
        orig = o.get("origineOffre") or {}
        values = [o["id"], source_id, scrub(o.get("intitule")), ts(o.get("dateCreation")),
                  ts(o.get("dateActualisation")), scrub(lieu.get("libelle")), lieu.get("commune"),
                  lieu.get("codePostal"), o.get("romeCode"), scrub(o.get("appellationlibelle")),
                  scrub(ent.get("nom")), o.get("typeContrat"), o.get("natureContrat"),
                  o.get("experienceExige"), o.get("qualificationCode"), o.get("codeNAF"),
                  o.get("secteurActivite"), o.get("nombrePostes") or 1, o.get("alternance"),
                  o.get("accessibleTH"), o.get("offresManqueCandidats"), sal, lo, hi,
                  o.get("dureeTravailLibelleConverti"),
                  float(months.group(1).replace(",", ".")) if months else None,
                  orig.get("origine"), orig.get("urlOrigine"), dep, now, now]
        for c, v in zip(COLUMNS, values):
            cols[c].append(v)
        for c in o.get("competences") or []:
            comp["offre_id"].append(o["id"])
            comp["code_ogr"].append(c.get("code"))
            comp["libelle"].append(scrub(c.get("libelle")))
            comp["exigence"].append(c.get("exigence"))
    return pa.table(cols), pa.table(comp)


def run_pass(con, scopes):
    t0 = time.perf_counter()
    n = 0
    for folder, source_id, dep in scopes:
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        batch, comp = scope_rows(folder, source_id, dep, now)
        n += batch.num_rows
        con.execute("BEGIN")
        con.register("batch", batch)
        con.register("comp", comp)
        con.execute("""INSERT OR REPLACE INTO offre
            SELECT b.* REPLACE (coalesce(o.first_seen, b.first_seen) AS first_seen), NULL
            FROM batch b LEFT JOIN offre o USING (id)""")
        con.execute("DELETE FROM offre_competence WHERE offre_id IN (SELECT id FROM batch)")
        con.execute("INSERT INTO offre_competence SELECT DISTINCT * FROM comp")
        con.unregister("batch")
        con.unregister("comp")
        con.execute("COMMIT")
    # the log left by the pass, checkpointed (timed, as `bench ingest` times its own)
    con.execute("CHECKPOINT")
    return n, time.perf_counter() - t0


def main():
    pages, db = sys.argv[1], sys.argv[2]
    if os.path.exists(db):
        sys.exit(f"{db} exists: the reference writes into a new database")
    scopes = []
    ft = os.path.join(pages, "ft")
    for dep in sorted(os.listdir(ft)):
        scopes.append((os.path.join(ft, dep), "ft-offres", dep))
    site = os.path.join(pages, "site-synthetique")
    if os.path.isdir(site):
        scopes.append((site, "site-synthetique", None))
    con = duckdb.connect(db)
    con.execute(SCHEMA)
    new_n, new_s = run_pass(con, scopes)
    old_n, old_s = run_pass(con, scopes)
    print(json.dumps({"new": {"offers": new_n, "seconds": new_s, "rate": new_n / new_s},
                      "stored": {"offers": old_n, "seconds": old_s, "rate": old_n / old_s}}))


if __name__ == "__main__":
    main()
