#!/usr/bin/env python3
"""Generate a tree of empty dossier files for bench/bench_name_check.sh.

Usage: make_dossier_tree.py CATALOG_JSON ROOT ORGS DOSSIERS_PER_ORG EXPECTED_PREFIX

ROOT/<org code>/<CCCD>_<HoTen>/ with 30 files per dossier: types 1..28 once, and one type of
29..104 twice (.1 and .2), every name canonical (from `sohoa --json catalog`). Three dossiers in
ten have one misnamed file (1% of all files), six kinds in turn:
  seen by the regex of the baseline:  "2.Ly lich dang vien.PDF" (STT unpadded, .PDF),
                                      the Vietnamese name with diacritics and punctuation,
                                      "02 - Ly lich dang vien.pdf" (separator);
  not seen by it (grammar holds):     a letter dropped from the name (not in the catalog),
                                      "002.Ly lich dang vien.pdf" (STT padded to 3 digits),
                                      "02.Ly lich dang vien.1.pdf" (SoThuTu on a single type).
Writes EXPECTED_PREFIX.all and EXPECTED_PREFIX.visible, the misnamed paths, and
EXPECTED_PREFIX.renames, "misnamed path<TAB>canonical name" a line (to put the tree right).
Deterministic: the same arguments give the same tree.
"""
import json
import os
import random
import sys

# The 63 provincial codes (first three digits of a CCCD).
PROVINCES = (
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 "
    "035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 "
    "070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096"
).split()
FAMILY = "Nguyen Tran Le Pham Hoang Vu Dang Bui Do Ho Ngo Duong Ly".split()
MIDDLE = "Van Thi Duc Minh Ngoc Huu Thanh Quoc".split()
GIVEN = "An Binh Cuong Dung Hoa Lan Nam Phuong Quang Son Tam Thu Trung Vinh Yen A".split()


def canonical(stt, name, seq=0):
    return f"{stt:02d}.{name}{f'.{seq}' if seq else ''}.pdf"


def drop_letter(name, rng):
    """The name with one letter of its longest word dropped: a typo the grammar cannot see."""
    words = name.split(" ")
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    j = rng.randrange(1, len(w))
    words[i] = w[:j] + w[j + 1 :]
    return " ".join(words)


def misnamed(kind, stt, t, rng):
    name = t["name"]
    if kind == 0:
        return f"{stt}.{name}.PDF"
    if kind == 1:
        return f"{stt:02d}.{t['name_vi']}.pdf"
    if kind == 2:
        return f"{stt:02d} - {name}.pdf"
    if kind == 3:
        return f"{stt:02d}.{drop_letter(name, rng)}.pdf"
    if kind == 4:
        return f"{stt:03d}.{name}.pdf"
    return f"{stt:02d}.{name}.1.pdf"


def main():
    catalog_json, root, orgs, per_org, expected = sys.argv[1:6]
    orgs, per_org = int(orgs), int(per_org)
    with open(catalog_json, encoding="utf-8") as f:
        types = {t["stt"]: t for t in json.load(f)["types"]}
    rng = random.Random(1361)
    flags = os.O_CREAT | os.O_WRONLY | os.O_EXCL
    os.mkdir(root)
    bad_all, bad_visible, renames = [], [], []
    n_bad = 0
    for o in range(orgs):
        org = f"93.000.{36 + o // 10:03d}.{1 + o % 10:03d}.015"
        org_path = os.path.join(root, org)
        os.mkdir(org_path)
        for d in range(per_org):
            k = o * per_org + d
            cccd = (
                rng.choice(PROVINCES)
                + rng.choice("01")  # 20th century, male or female
                + f"{rng.randrange(60, 100):02d}"  # born 1960-1999: no age warning
                + f"{k:06d}"  # unique
            )
            person = rng.choice(FAMILY) + rng.choice(MIDDLE) + rng.choice(GIVEN)
            dossier = f"{cccd}_{person}"
            dpath = os.path.join(org_path, dossier)
            os.mkdir(dpath)
            twice = rng.randrange(29, 105)
            names = [canonical(s, types[s]["name"]) for s in range(1, 29)]
            names += [canonical(twice, types[twice]["name"], q) for q in (1, 2)]
            if k % 10 in (0, 3, 7):  # 3 dossiers in 10: one misnamed file (of types 1..28)
                s = rng.randrange(1, 29)
                kind = n_bad % 6
                n_bad += 1
                good = names[s - 1]
                names[s - 1] = misnamed(kind, s, types[s], rng)
                p = os.path.join(dpath, names[s - 1])
                bad_all.append(p)
                renames.append(f"{p}\t{good}\n")
                if kind < 3:
                    bad_visible.append(p)
            dfd = os.open(dpath, os.O_RDONLY | os.O_DIRECTORY)
            try:
                for n in names:
                    os.close(os.open(n, flags, 0o644, dir_fd=dfd))
            finally:
                os.close(dfd)
    for suffix, paths in (("all", bad_all), ("visible", bad_visible)):
        with open(f"{expected}.{suffix}", "w", encoding="utf-8") as f:
            f.writelines(p + "\n" for p in sorted(paths))
    with open(f"{expected}.renames", "w", encoding="utf-8") as f:
        f.writelines(renames)
    print(f"{orgs * per_org} dossiers, {orgs * per_org * 30} files, {len(bad_all)} misnamed "
          f"({len(bad_visible)} visible to the regex)")


if __name__ == "__main__":
    main()
