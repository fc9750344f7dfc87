#!/usr/bin/env python3
"""Score `sohoa validate --json` against the labels of a corpus made by samples/make_corpus.py.

The corpus pages were ingested one document each, in labels.csv order, as SoThuTu 1, 2, 3 … of
one type in one dossier (bench/validate_corpus.sh does it), so the document numbered i is the
i-th row. Prints, per check, detected / missed / false alarms and the skew error; with --check,
exits 1 unless the issue's goals hold: no missed rotation, no false blank, skew within 0.3°,
no missed blank, no false rotation.

Duplicates: a page.duplicate error counts as found when the page is a rescan and the page it
names is another scan of the same sheet (labels.csv's sheet column where there is one, made by
make_corpus.py --forms; else dup_of); any other page.duplicate error is a false duplicate. A
page.duplicate warning ("looks like … compare the two") is counted apart: it asks for a look and
removes nothing. --duplicates prints the duplicate figures only, and --check then holds them
alone to the goal: every rescan found, no false duplicate.

Usage: validate_accuracy.py LABELS.csv VALIDATE.json [--min-dpi 200] [--max-skew 1.0] [--check]
                            [--duplicates]
"""
import argparse
import csv
import json
import re
import sys


def named_row(finding):
    """The corpus row of the page a page.duplicate finding names (documents are SoThuTu = row
    + 1), or None."""
    m = re.search(r"\.(\d+)\.pdf scanned again", finding["message"])
    return int(m.group(1)) - 1 if m else None


def duplicates(labels, found, check):
    """Rescans found, missed and false duplicates; near-duplicate warnings apart."""
    sheet = [lab.get("sheet") or lab["file"] for lab in labels]
    by_file = {lab["file"]: i for i, lab in enumerate(labels)}
    for i, lab in enumerate(labels):  # without a sheet column: a rescan is its original's sheet
        if not lab.get("sheet") and lab["dup_of"]:
            sheet[i] = sheet[by_file[lab["dup_of"]]]
    hit, missed, false, near_rescan, near_other = [], [], [], [], []
    for i, lab in enumerate(labels):
        x = found[i].get("page.duplicate")
        right = x is not None and named_row(x) is not None and sheet[named_row(x)] == sheet[i]
        if lab["dup_of"]:
            (hit if right else missed).append(lab["file"])
        if x is not None and not (lab["dup_of"] and right):
            false.append(lab["file"])
        if "page.duplicate:near" in found[i]:
            (near_rescan if lab["dup_of"] else near_other).append(lab["file"])
    rescans = sum(1 for lab in labels if lab["dup_of"])
    print(f"pages {len(labels)}, rescans {rescans}")
    print(f"rescans found {len(hit)} / {rescans}, missed {len(missed)}: {' '.join(missed)}")
    print(f"false duplicates {len(false)}: {' '.join(false)}")
    print(f"'looks like' warnings: on rescans {len(near_rescan)} {' '.join(near_rescan)}; "
          f"on other pages {len(near_other)} {' '.join(near_other)}")
    if check and (missed or false):
        print("FAILED: duplicates wrong")
        return 1
    return 0


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("labels")
    ap.add_argument("validate_json")
    ap.add_argument("--min-dpi", type=int, default=200)
    ap.add_argument("--max-skew", type=float, default=1.0)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--duplicates", action="store_true")
    a = ap.parse_args(argv)
    check, min_dpi, max_skew = a.check, a.min_dpi, a.max_skew
    labels = list(csv.DictReader(open(a.labels)))
    doc = json.load(open(a.validate_json))
    found = {}  # row index -> {code: finding}
    for f in doc["files"]:
        m = re.search(r"\.(\d+)\.pdf$", f["path"])
        if not m or f.get("kind") == "folder":
            continue
        page = {}
        for x in f["findings"]:
            if "page" not in x:
                continue
            # page.cropped comes as an edge finding or a corner finding: told apart by value;
            # page.duplicate as an error (the same sheet) or a warning (worth a look).
            code = x["code"] + (":corner" if "corner" in x else ":edges" if "edges" in x else "")
            if x["code"] == "page.duplicate" and x.get("severity") == "warning":
                code += ":near"
            page[code] = x
        found[int(m.group(1)) - 1] = page
    if len(found) != len(labels):
        print(f"validate reported {len(found)} documents, the corpus has {len(labels)}")
        return 1
    if a.duplicates:
        return duplicates(labels, found, check)

    def truth_found(truth, code, extra=lambda lab, x: True):
        tp, fn, fp = 0, [], []
        for i, lab in enumerate(labels):
            x = found[i].get(code)
            hit = x is not None and extra(lab, x)
            if truth(lab):
                if hit:
                    tp += 1
                else:
                    fn.append(lab["file"])
            elif x is not None:
                fp.append(lab["file"])
        return tp, fn, fp

    rows = []
    rows.append(("page.blank", *truth_found(lambda l: l["blank"] == "1", "page.blank")))
    rows.append(("page.rotated (right angle)", *truth_found(
        lambda l: l["rotate"] != "0" and l["blank"] != "1" and l["kind"] != "sparse-line",
        "page.rotated", lambda l, x: int(x["angle"]) == int(l["rotate"]))))
    rows.append(("page.skewed (|skew| > %.1f)" % max_skew, *truth_found(
        lambda l: abs(float(l["skew"])) > max_skew + 0.3 and l["blank"] != "1" and
        not l["kind"].startswith("sparse"), "page.skewed")))
    rows.append(("page.cropped (edges)", *truth_found(lambda l: l["cropped"] != "0",
                                                      "page.cropped:edges")))
    rows.append(("page.cropped (corner)", *truth_found(lambda l: l["corner"] != "0",
                                                       "page.cropped:corner")))
    rows.append(("page.low_dpi", *truth_found(lambda l: int(l["dpi"]) < min_dpi, "page.low_dpi")))
    rows.append(("page.duplicate", *truth_found(lambda l: l["dup_of"] != "", "page.duplicate")))
    print(f"{'check':34s} {'detected':>10s} {'missed':>7s} {'false':>6s}")
    for name, tp, fn, fp in rows:
        print(f"{name:34s} {tp:4d} / {tp + len(fn):<4d} {len(fn):6d} {len(fp):6d}  "
              f"{' '.join(fn + fp)[:70]}")
    # Skew: the measured angle against the label, where validate reported one.
    errs = [abs(float(found[i]["page.skewed"]["angle"]) - float(l["skew"]))
            for i, l in enumerate(labels) if "page.skewed" in found[i]]
    if errs:
        errs.sort()
        print(f"skew error on reported pages: median {errs[len(errs) // 2]:.3f}°, "
              f"max {errs[-1]:.3f}° ({len(errs)} pages)")
    if not check:
        return 0
    bad = []
    by = {r[0]: r for r in rows}
    if by["page.rotated (right angle)"][2]:
        bad.append("missed rotation")
    # A rotation reported on a page that is upright (sparse pages excepted: not in the truth set
    # either way), or a wrong angle.
    if [lab for i, lab in enumerate(labels) if "page.rotated" in found[i] and
            (lab["rotate"] == "0" or int(found[i]["page.rotated"]["angle"]) != int(lab["rotate"]))]:
        bad.append("false rotation")
    if by["page.duplicate"][2] or by["page.duplicate"][3]:
        bad.append("duplicates wrong")
    # A page tilted well under the limit called skewed.
    if [lab for i, lab in enumerate(labels) if "page.skewed" in found[i] and
            abs(float(lab["skew"])) < max_skew - 0.3]:
        bad.append("false skew")
    if by["page.blank"][3]:
        bad.append("false blank")
    if by["page.blank"][2]:
        bad.append("missed blank")
    if errs and errs[-1] > 0.3:
        bad.append("skew error over 0.3°")
    if by["page.skewed (|skew| > %.1f)" % max_skew][2]:
        bad.append("missed skew")
    if by["page.low_dpi"][2] or by["page.low_dpi"][3]:
        bad.append("low_dpi wrong")
    if bad:
        print("FAILED: " + ", ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
