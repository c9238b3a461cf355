#!/usr/bin/env python3
"""ROME 4.0 (+ qualification level) -> FAP 2009 -> FAP 2021.

ROME 4.0 -> ROME v3: `code_rome_parent` of the ROME 4.0 referential. ROME v3 -> FAP 2009: the
DARES table; when it splits a ROME by qualification level (`Q_0123456`), each level 0-9 gets the
FAP whose filter lists it (a level no filter lists takes the FAP without filter, else the first
one). Level 0 (non précisé) is the one used for a métier without qualification (ROME pages,
skills). FAP 2009 -> FAP 2021: the FAP 2021 codes whose principal FAP 2009 it is
(fap2021_fap2009.csv), or the hand-made fap2009_regroupees.csv for FAP 2009 families merged into
another FAP 2021 code; several candidates -> the one whose label shares the most words with the
ROME label, then the one with most BMO 2024 projects.
Usage: build_rome.py SHARED_DATA_DIR FAP2021_FAP2009_CSV > rome4_fap.csv
"""
import csv, re, sys, unicodedata, collections
src, xw = sys.argv[1], sys.argv[2]
here = __file__.rsplit("/", 1)[0]
STOP = set("de des du d l la le les et en a au aux pour sur ou par non y compris autres autre".split())
def norm(s):
    return "".join(c for c in unicodedata.normalize("NFD", s.lower()) if unicodedata.category(c) != "Mn")
def stems(s):
    return {w[:6] for w in re.split(r"[^a-z]+", norm(s)) if w and w not in STOP}
rome4 = list(csv.DictReader(open(f"{src}/rome/rome4_v460/unix_referentiel_code_rome_v460_utf8.csv", encoding="utf-8")))
v3fap = collections.defaultdict(list)
for r in csv.DictReader(open(f"{src}/rome/dares_fap2009_rome_v3.csv", encoding="utf-8")):
    v3fap[r["rome_code"]].append((r["fap225"], r["qualification_filtre"]))
bmo = collections.Counter()
for r in csv.DictReader(open(f"{src}/bmo/bmo_2024_bassin_metier.csv", encoding="utf-8")):
    if r["met"].isdigit():
        bmo[r["Code métier BMO"]] += int(r["met"])
inv = collections.defaultdict(list)
label21 = {}
for r in csv.DictReader(open(xw, encoding="utf-8")):
    label21[r["fap2021"]] = r["fap2021_libelle"]
    if r["fap2009"]:
        inv[r["fap2009"]].append(r["fap2021"])
for r in csv.DictReader(open(f"{here}/fap2009_regroupees.csv", encoding="utf-8")):
    inv[r["fap2009"]].append(r["fap2021"])
def fap_for_level(cands, level):
    listed = [f for f, q in cands if q and str(level) in q[2:]]
    if listed:
        return listed[0]
    free = [f for f, q in cands if not q]
    return (free or [cands[0][0]])[0]
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["rome", "qualification", "fap2009", "fap2021"])
for r in sorted(rome4, key=lambda r: r["code_rome"]):
    cands = v3fap.get(r["code_rome_parent"], [])
    for level in range(10):
        f09 = fap_for_level(cands, level) if cands else ""
        c21 = inv.get(f09, [])
        t = stems(r["libelle_rome"])
        c21 = sorted(c21, key=lambda c: (-len(t & stems(label21[c])) / max(1, len(t | stems(label21[c]))), -bmo[c], c))
        out.writerow([r["code_rome"], level, f09, c21[0] if c21 else ""])
