#!/usr/bin/env bash
# Duplicate pages (validate/page_compare.c, docs/page-analysis.md) on two labelled corpora made
# by samples/make_corpus.py: the form corpus (--forms: one printed form, 63 fillings, 32 rescans
# of eight kinds) and the 88-page corpus (8 rescans among pages of one layout).
#   1. Every pair of pages through the hash and the comparison (bench/page_accuracy.c with
#      PAGE_PAIRS; pages box-reduced to 125 ppi first, as validate decodes them): the hash's
#      recall, rescans found, false duplicates, "looks like" pairs, the margin (areas that differ
#      in the closest pair of different pages, counted to the end), time per comparison.
#   2. sohoa validate end to end, each page ingested as its own document of one dossier
#      (bench/validate_corpus.sh), scored by bench/validate_accuracy.py --duplicates.
# Usage: bash bench/bench_duplicates.sh [BUILD_DIR] [FORMS_DIR] [CORPUS_DIR]
#   BUILD_DIR: with cli/sohoa (default build; step 2 is left out without it)
#   FORMS_DIR, CORPUS_DIR: corpora made before (made here, in a temp folder, when not given)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
forms=${2:-$tmp/forms}
corpus=${3:-$tmp/corpus}
[ -f "$forms/labels.csv" ] || /usr/bin/python3 samples/make_corpus.py "$forms" --forms >/dev/null
[ -f "$corpus/labels.csv" ] || /usr/bin/python3 samples/make_corpus.py "$corpus" >/dev/null

# The driver, from the page analysis sources alone; a second one that never stops counting.
src="bench/page_accuracy.c validate/page.c validate/page_prep.c validate/page_orient.c
     validate/page_compare.c"
# shellcheck disable=SC2086
cc -std=c11 -D_GNU_SOURCE -O2 -Ivalidate -Icore/include $src $(pkg-config --cflags --libs lept) -lm -o "$tmp/pa"
# shellcheck disable=SC2086
cc -std=c11 -D_GNU_SOURCE -DSTOP_AFTER=1000000 -O2 -Ivalidate -Icore/include $src $(pkg-config --cflags --libs lept) \
  -lm -o "$tmp/pa_full"
shortlist=$(awk '/#define VD_PHASH_SHORTLIST/ {print $3}' validate/page.h)

for c in "$forms" "$corpus"; do
  name=$(basename "$c")
  PAGE_WORK_PPI=125 PAGE_PAIRS="$tmp/$name.pairs" "$tmp/pa" "$c" >/dev/null
  PAGE_WORK_PPI=125 PAGE_PAIRS="$tmp/$name.full" "$tmp/pa_full" "$c" >/dev/null
  python3 - "$c/labels.csv" "$tmp/$name.pairs" "$tmp/$name.full" "$shortlist" <<'EOF'
import csv, statistics, sys
labels = list(csv.DictReader(open(sys.argv[1])))
pairs = list(csv.DictReader(open(sys.argv[2]), delimiter="\t"))
full = list(csv.DictReader(open(sys.argv[3]), delimiter="\t"))
shortlist = int(sys.argv[4])
row = {lab["file"]: i for i, lab in enumerate(labels)}
sheet = [lab.get("sheet") or lab["file"] for lab in labels]
for i, lab in enumerate(labels):
    if not lab.get("sheet") and lab["dup_of"]:
        sheet[i] = sheet[row[lab["dup_of"]]]
same = lambda p: sheet[row[p["a"]]] == sheet[row[p["b"]]]
listed = lambda p: int(p["phash"]) <= shortlist
rescans = [i for i, lab in enumerate(labels) if lab["dup_of"]]
# Validate compares a page with every earlier one: a rescan is found when an earlier scan of its
# sheet passes the shortlist and the comparison says duplicate.
earlier = {}
for p in pairs:
    earlier.setdefault(row[p["b"]], []).append(p)
found = [i for i in rescans if any(same(p) and listed(p) and p["duplicate"] == "1"
                                   for p in earlier.get(i, []))]
in_list = [i for i in rescans if any(same(p) and listed(p) for p in earlier.get(i, []))]
same_pairs = [p for p in pairs if same(p)]
other = [p for p in pairs if not same(p)]
false = [p for p in other if listed(p) and p["duplicate"] == "1"]
near_same = [p for p in same_pairs if p["near"] == "1"]
near_other = [p for p in other if listed(p) and p["near"] == "1"]
reg_full = [p for p in full if not same(p) and p["registered"] == "1"]
print(f"== {sys.argv[1].rsplit('/', 2)[-2]}: {len(labels)} pages, {len(rescans)} rescans, "
      f"{len(pairs)} pairs ({len(same_pairs)} of one sheet)")
print(f"hash shortlist (<= {shortlist} bits): {sum(map(listed, same_pairs))}/{len(same_pairs)} "
      f"pairs of one sheet, every rescan with an earlier scan listed: {len(in_list)}/{len(rescans)}; "
      f"largest distance within a sheet {max(int(p['phash']) for p in same_pairs)}; "
      f"{sum(map(listed, other))}/{len(other)} other pairs listed")
print(f"rescans found {len(found)}/{len(rescans)}; missed: "
      f"{' '.join(labels[i]['file'] for i in rescans if i not in found) or 'none'}")
print(f"false duplicates {len(false)}: {' '.join(p['a'] + '=' + p['b'] for p in false) or 'none'}")
print(f"'looks like' (a few areas differ): {len(near_same)} pairs of one sheet, "
      f"{len(near_other)} other pairs listed")
print(f"margin: pairs of one sheet differ in at most "
      f"{max(int(p['differing']) for p in full if same(p))} areas; registered other pairs in at "
      f"least {min((int(p['differing']) for p in reg_full), default='-')} "
      f"({len(reg_full)} of {len(full) - len(same_pairs)} registered)")
us_other = sorted(float(p["us"]) for p in other if listed(p))
us_same = sorted(float(p["us"]) for p in same_pairs)
if us_other:
    print(f"comparison time: other pages median {statistics.median(us_other):.0f} us "
          f"(90th percentile {us_other[len(us_other) * 9 // 10]:.0f}), one sheet median "
          f"{statistics.median(us_same):.0f} us")
EOF
done

sohoa=$build/cli/sohoa
if [ ! -x "$sohoa" ]; then
  echo "(no $sohoa: sohoa validate not measured)"
  exit 0
fi
sohoa=$(realpath "$sohoa")
for c in "$forms" "$corpus"; do
  name=$(basename "$c")
  bash bench/validate_corpus.sh "$sohoa" "$c" "$tmp/ws-$name"
  (cd "$tmp/ws-$name" && "$sohoa" --json validate . > "$tmp/$name.json") || true
  echo "== sohoa validate, $name"
  python3 bench/validate_accuracy.py "$c/labels.csv" "$tmp/$name.json" --duplicates
done
