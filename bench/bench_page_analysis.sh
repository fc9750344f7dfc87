#!/usr/bin/env bash
# Page analysis (validate/page.h) on a labelled corpus, against tesseract --psm 0 (orientation).
# Usage: bash bench/bench_page_analysis.sh [CORPUS_DIR] [--small]
#   CORPUS_DIR: made by samples/make_corpus.py if it has no labels.csv (default: a temp folder)
# Prints per-check accuracy (detected / missed / false alarms), skew error, ms per page for
# vd_analyse_page and s per page for tesseract on one core (OMP_THREAD_LIMIT=1), and what
# Leptonica's pixOrientDetect decides on the same pages.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-}
small=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -n "$dir" ] || dir="$tmp/corpus"
if [ ! -f "$dir/labels.csv" ]; then
  /usr/bin/python3 samples/make_corpus.py "$dir" $small >/dev/null
fi
# The driver is built here, from the page analysis sources alone (no project libraries needed).
cc -std=c11 -D_GNU_SOURCE -O2 -Ivalidate -Icore/include bench/page_accuracy.c validate/page.c validate/page_prep.c \
  validate/page_orient.c validate/page_compare.c $(pkg-config --cflags --libs lept) -lm \
  -o "$tmp/page_accuracy"
"$tmp/page_accuracy" "$dir" --lept > "$tmp/results.tsv"

# tesseract on the text pages, one thread: the clockwise turn it would apply ("Rotate: N").
if command -v tesseract >/dev/null; then
  : > "$tmp/tess.tsv"
  awk -F, 'NR > 1 && ($2 == "cv" || $2 == "crop" || $2 == "corner" || $2 == "dup") {print $1}' \
    "$dir/labels.csv" | while read -r f; do
    s=$(date +%s.%N)
    out=$(OMP_THREAD_LIMIT=1 tesseract "$dir/$f" - --psm 0 -l osd 2>&1 || true)
    e=$(date +%s.%N)
    rot=$(printf '%s\n' "$out" | awk '/^Rotate:/ {print $2}')
    conf=$(printf '%s\n' "$out" | awk '/^Orientation confidence:/ {print $3}')
    printf '%s\t%s\t%s\t%s\n' "$f" "${rot:--1}" "${conf:-0}" "$(echo "$e - $s" | bc -l)" >> "$tmp/tess.tsv"
  done
fi

python3 - "$tmp/results.tsv" "$tmp/tess.tsv" <<'EOF'
import csv, statistics, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter="\t"))
hdr = rows[0][1:]
res = []
for r in rows[1:]:
    lab = dict(zip("file kind format dpi turned rotate skew blank cropped corner dup_of defects".split(),
                   r[0].split(",")))
    lab.update(zip(hdr, r[1:]))
    res.append(lab)
tess = {}
try:
    for line in open(sys.argv[2]):
        f, rot, conf, sec = line.rstrip("\n").split("\t")
        tess[f] = (int(rot), float(conf), float(sec))
except FileNotFoundError:
    pass
ROT_MIN, SKEW_MIN, SKEW_REPORT, DUP = 0.5, 0.5, 0.3, 12  # DUP: VD_PHASH_SHORTLIST

def table(name, truth, found):
    tp = sum(1 for r in res if truth(r) and found(r))
    fn = [r["file"] for r in res if truth(r) and not found(r)]
    fp = [r["file"] for r in res if not truth(r) and found(r)]
    print(f"{name:34s} {tp:4d} / {tp + len(fn):<4d} {len(fn):6d} {len(fp):7d}  {' '.join(fn + fp)[:60]}")

print(f"{len(res)} pages\n{'check':34s} detected  missed  false alarms")
table("page.blank", lambda r: r["blank"] == "1", lambda r: r["got_blank"] == "1")
text = lambda r: r["kind"] in ("cv", "crop", "corner", "dup")
table("rotated (text pages, conf >= 0.5)", lambda r: text(r) and r["rotate"] != "0",
      lambda r: float(r["rot_conf"]) >= ROT_MIN and r["got_rotate"] != "0")
wrong = [r["file"] for r in res if float(r["rot_conf"]) >= ROT_MIN and r["got_rotate"] != r["rotate"]]
print(f"{'  rotation confidently wrong':34s} {len(wrong)}  {' '.join(wrong)}")
table("skewed (text pages, |skew| >= 0.3)", lambda r: text(r) and abs(float(r["skew"])) >= SKEW_REPORT,
      lambda r: abs(float(r["got_skew"])) >= SKEW_REPORT and float(r["skew_conf"]) >= SKEW_MIN)
table("cropped edge (exact edges)", lambda r: r["cropped"] != "0",
      lambda r: r["got_cropped"] != "0" and r["got_cropped"] == r["cropped"])
table("corner missing (exact corner)", lambda r: r["corner"] != "0",
      lambda r: r["got_corner"] != "0" and r["got_corner"] == r["corner"])
errs = [abs(float(r["got_skew"]) - float(r["skew"])) for r in res if text(r)]
print(f"skew error on text pages: median {statistics.median(errs):.3f}, max {max(errs):.3f} degrees")
sparse = [r for r in res if r["kind"].startswith("sparse")]
print(f"sparse pages: {sum(r['got_blank'] == '0' for r in sparse)}/{len(sparse)} not blank; "
      f"confident skew on {sum(float(r['skew_conf']) >= SKEW_MIN for r in sparse)}, "
      f"confident rotation on {sum(float(r['rot_conf']) >= ROT_MIN for r in sparse)}")
by = {r["file"]: r for r in res}
d = lambda a, b: bin(int(a, 16) ^ int(b, 16)).count("1")
dups = [d(r["phash"], by[r["dup_of"]]["phash"]) for r in res if r["dup_of"]]
full = [r for r in res if text(r) and r["rotate"] == "0"]
other = [d(a["phash"], b["phash"]) for i, a in enumerate(full) for b in full[i + 1:]
         if a["dup_of"] != b["file"] and b["dup_of"] != a["file"]]
print(f"phash: rescans {sorted(dups)}; other upright pages: {sum(x <= DUP for x in other)}/"
      f"{len(other)} pairs within {DUP} (compared, bench/bench_duplicates.sh), min {min(other)}")
ms = sorted(float(r["ms"]) for r in res)
for dpi in sorted({r["dpi"] for r in res}, key=int):
    t = [float(r["ms"]) for r in res if r["dpi"] == dpi and text(r)]
    print(f"vd_analyse_page, text pages at {dpi} ppi: median {statistics.median(t):.1f} ms")
print(f"vd_analyse_page, all pages: median {statistics.median(ms):.1f} ms, max {ms[-1]:.1f} ms")
lept = [r for r in res if text(r)]
lok = sum(r["lept_rotate"] == r["rotate"] for r in lept)
lnone = sum(r["lept_rotate"] == "-1" for r in lept)
ours = sum(r["got_rotate"] == r["rotate"] and float(r["rot_conf"]) >= ROT_MIN for r in lept)
print(f"orientation on {len(lept)} text pages: sohoa right {ours}; Leptonica pixOrientDetect right "
      f"{lok}, undecided {lnone}")
if tess:
    tok = sum(1 for f, (rot, c, s) in tess.items() if (rot % 360) == int(by[f]["rotate"]))
    sec = statistics.median(s for _, _, s in tess.values())
    ours_ms = statistics.median(float(by[f]["ms"]) for f in tess)
    print(f"tesseract --psm 0 (1 thread): right {tok}/{len(tess)}, median {sec:.2f} s/page; "
          f"sohoa {ours_ms:.1f} ms/page: {sec * 1000 / ours_ms:.0f}x faster")
EOF
