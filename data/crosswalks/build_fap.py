#!/usr/bin/env python3
"""FAP 2021 (FAP 228 level, the BMO métiers) -> FAP 2009 (FAP 225) correspondence.

Rule, in order: (1) a hand-reviewed choice in fap2021_fap2009_manual.csv (ambiguous cases);
(2) otherwise the FAP 2009 code of the same domain letter whose label shares the most words
(Jaccard on accent-free word stems, +0.15 when the code pattern agrees: `A0X40` ~ `A0Z40`),
kept only when the score is >= 0.6, beats the next candidate by >= 0.2 and the two labels do not
disagree on qualification ("non/peu qualifiés" vs "qualifiés"). Anything else must be in the
manual file: the script fails listing the codes left unresolved.
Usage: build_fap.py SHARED_DATA_DIR > fap2021_fap2009.csv
"""
import csv, re, sys, unicodedata
src = sys.argv[1]
here = __file__.rsplit("/", 1)[0]
f21 = {}
for r in csv.DictReader(open(f"{src}/rome/dares_fap2021_nomenclature.csv", encoding="utf-8")):
    f21[r["Code_FAP228"]] = r["Intitulé_FAP228"].strip()
f09 = {}
for r in csv.DictReader(open(f"{src}/rome/dares_fap2009_rome_v3.csv", encoding="utf-8")):
    f09[r["fap225"]] = r["fap225_libelle"].strip().rstrip("*")
manual = {r["fap2021"]: r for r in csv.DictReader(open(f"{here}/fap2021_fap2009_manual.csv", encoding="utf-8"))}
STOP = set("de des du d l la le les et en a au aux pour sur ou par non y compris autres autre".split())
def norm(s):
    return "".join(c for c in unicodedata.normalize("NFD", s.lower()) if unicodedata.category(c) != "Mn")
def stems(s):
    return {w[:6] for w in re.split(r"[^a-z]+", norm(s)) if w and w not in STOP}
def qual(s):
    s = norm(s)
    if "non qualifi" in s or "peu qualifi" in s:
        return "nq"
    return "q" if "qualifi" in s else None
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["fap2021", "fap2021_libelle", "fap2009", "fap2009_libelle", "methode", "note"])
unresolved = []
for code, label in sorted(f21.items()):
    if code in manual:
        m = manual[code]
        target = m["fap2009"] or None
        if target and target not in f09:
            sys.exit(f"{code}: FAP 2009 {target} inconnue")
        out.writerow([code, label, target or "", f09.get(target, ""), "manuel" if target else "aucune", m["note"]])
        continue
    t, q = stems(label), qual(label)
    scored = []
    for c, cl in f09.items():
        if c[0] != code[0] or (q and qual(cl) and q != qual(cl)):
            continue
        u = stems(cl)
        s = len(t & u) / max(1, len(t | u)) + (0.15 if c == code[:2] + "Z" + code[3:5] else 0)
        scored.append((s, c))
    scored.sort(reverse=True)
    if scored and scored[0][0] >= 0.6 and (len(scored) == 1 or scored[0][0] - scored[1][0] >= 0.2):
        c = scored[0][1]
        same = norm(f09[c]).replace("salaries", "").split() == norm(label).split() or scored[0][0] >= 1.0
        out.writerow([code, label, c, f09[c], "identique" if same else "libelle", ""])
    else:
        unresolved.append(code)
if unresolved:
    sys.exit("codes FAP 2021 sans correspondance ni choix manuel : " + ", ".join(unresolved))
