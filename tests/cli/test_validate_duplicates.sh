#!/usr/bin/env bash
# page.duplicate tells one sheet scanned twice from other fillings of the same printed form:
# thirty CV pages of different people in one G4 document (make_scans.py, seed 1) have no
# duplicate; a form page scanned again, tilted 0.85° and darker, is found (an error, "remove");
# another person's filling of the form is not; the same sheet after someone wrote a short note
# on it is only "looks like … compare the two" (a warning: nothing to remove on a guess);
# the HTML report shows each pair side by side, the differing place marked.
. "$(dirname "$0")/lib.sh"

ORG=93.000.036.001.015
new_workspace ws
cd ws
S=$TMP/src

# ---- thirty pages of one printed form, each another person's: no duplicate ----
scans "$S/cv" --format tiff-g4 --pages 30 --multipage --seed 1
run_sohoa 0 ingest --org "$ORG" --cccd 001085012345 --name "Nguyễn Văn An" --type 2 "$S/cv/scan.tif"
D="$ORG/001085012345_NguyenVanAn"
run_sohoa 1 --json validate "$D" # 1: the dossier lacks its other priority-1 documents
J=$OUT
dups=$(json_get "$J" "[x['page'] for f in d['files'] for x in f['findings'] if x['code'] == 'page.duplicate']")
assert_eq "$dups" "[]" "pages of other people called duplicates"
assert_eq "$(json_get "$J" "[f['status'] for f in d['files'] if f['path'].endswith('02.Ly lich dang vien.pdf')][0]")" \
  pass "the 30-page document"

# ---- one form: a sheet, the sheet again (tilted, darker), another person's, the sheet with a
# note written on it ----
"$PY" - "$SOHOA_SOURCE/samples" "$S/form" <<'EOF'
import os, random, sys
sys.path.insert(0, sys.argv[1])
import make_corpus as mc
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
r = random.Random("test_validate_duplicates")
a, b = mc.form_person(r), mc.form_person(r)
sheet_a = mc.form_fill(r, a, 2021, mc.form_rows(r, a, 2021, 1, 6))
sheet_b = mc.form_fill(r, b, 2021, mc.form_rows(r, b, 2021, 1, 6))
sheet_a_noted = dict(sheet_a, note="Đã kiểm tra")
pages = [
    (sheet_a, (0.4, -0.3), 0.1, "normal"),
    (sheet_a, (1.9, 1.2), 0.85, "darker"),  # the same sheet, scanned again
    (sheet_b, (0.2, 0.5), -0.1, "normal"),
    (sheet_a_noted, (0.6, 0.1), 0.05, "normal"),
]
for n, (fill, shift, skew, tone) in enumerate(pages, 1):
    spec = dict(fill=fill, fmt="tiff-g4", dpi=300, shift=shift, skew=skew, tone=tone,
                defects=[], n=n)
    mc.ms.save_page(mc.scan_form(spec), os.path.join(out, f"p{n}.tif"), "tiff-g4", 300)
EOF
run_sohoa 0 ingest --org "$ORG" --cccd 001090054321 --name "Trần Thị Bình" --type 3 \
  "$S/form/p1.tif" "$S/form/p2.tif" "$S/form/p3.tif" "$S/form/p4.tif"
F="$ORG/001090054321_TranThiBinh"
run_sohoa 1 --json validate "$F" --html "$TMP/report.html"
J=$OUT
dup() { json_get "$J" "[(x['page'], x['severity'], x['of_page']) for f in d['files'] for x in f['findings'] if x['code'] == 'page.duplicate']"; }
assert_eq "$(dup)" "[(2, 'error', 1), (4, 'warning', 1)]" "page.duplicate findings"
msg() { json_get "$J" "[x['message'] for f in d['files'] for x in f['findings'] if x['code'] == 'page.duplicate' and x['page'] == $1][0]"; }
assert_contains "$(msg 2)" "page 2 is page 1 scanned again"
assert_contains "$(msg 2)" "remove one of them"
assert_contains "$(msg 4)" "page 4 looks like page 1 scanned again"
assert_contains "$(msg 4)" "remove one only if they are the same sheet"
assert_not_contains "$(msg 4)" "remove one of them"
n=$(json_get "$J" "[x['areas'] for f in d['files'] for x in f['findings'] if x['code'] == 'page.duplicate'][0]")
[ "$n" -ge 100 ] || fail "the duplicate was decided on $n areas only"

# The report shows each pair side by side: both pictures, the differing place framed.
H=$(cat "$TMP/report.html")
pairs=$(grep -o 'class="thumb pair"' "$TMP/report.html" | wc -l)
assert_eq "$pairs" 2 "pairs shown side by side"
pictures=$(python3 -c 'import re,sys; h=open(sys.argv[1]).read(); print(min(len(re.findall("<image ", p.split("</figure>")[0])) for p in h.split("class=\"thumb pair\"")[1:]))' "$TMP/report.html")
assert_eq "$pictures" 2 "pictures in each pair"
assert_contains "$H" 'class="differs"' "the report"
assert_contains "$H" "Page 2 is page 1 scanned again: the same sheet" "the report"
assert_contains "$H" "Page 4 looks like page 1: compare them where marked" "the report"

# In Vietnamese too.
run_sohoa 1 --lang vi validate "$F"
assert_contains "$OUT" "trang 2"
pass
