#!/usr/bin/env bash
# sohoa validate from the command line, on dossiers made by ingest from generated scans: good
# dossiers pass; a page turned, skewed, blank, scanned at 150 ppi or scanned twice, a missing
# priority-1 document, a short document, bad names and bad files are each found, on the right
# page, with the measured value; the verdicts go to the ledger with audit entries; JSON as in
# DESIGN.md; the exit status says whether anything failed.
. "$(dirname "$0")/lib.sh"
need_tool qpdf sqlite3

ORG=93.000.036.001.015
new_workspace ws
cd ws
W=$PWD
S=$TMP/src
# A5 at 200 ppi keeps the generator and the analysis quick.
scans "$S/good" --format tiff-g4 --size A5 --dpi 200 --pages 2 --seed 11
scans "$S/good3" --format jpeg --size A5 --dpi 200 --pages 1 --seed 12
scans "$S/turned" --format tiff-g4 --size A5 --dpi 200 --pages 1 --rotate 180 --seed 13
scans "$S/skewed" --format png-gray --size A5 --dpi 200 --pages 1 --skew 3 --seed 14
scans "$S/blank" --format tiff-g4 --size A5 --dpi 200 --pages 1 --blank --seed 15
scans "$S/low" --format tiff-g4 --size A5 --dpi 150 --pages 1 --seed 16

ingest() { # STATUS CCCD NAME ARGS...
  local want=$1 cccd=$2 name=$3; shift 3
  run_sohoa "$want" ingest --org "$ORG" --cccd "$cccd" --name "$name" "$@"
}
# Dossier A: everything right.
ingest 0 001085012345 "Nguyễn Văn An" --type 2 "$S/good"
ingest 0 001085012345 "Nguyễn Văn An" --type 3 "$S/good3"
A="$ORG/001085012345_NguyenVanAn"
# Dossier B: 02 holds a good page, a page upside down, a skewed page, a blank page, the first
# page again; 03 is missing; 05 has fewer pages than the paper.
ingest 0 001090054321 "Trần Thị Bình" --type 2 "$S/good/scan-001.tif" "$S/turned" "$S/skewed" \
  "$S/blank" "$S/good/scan-001.tif"
ingest 0 001090054321 "Trần Thị Bình" --type 5 --expected-pages 2 "$S/low"
B="$ORG/001090054321_TranThiBinh"

# ---- a good dossier passes, and its verdicts are recorded ----
run_sohoa 0 validate "$A"
assert_contains "$OUT" "2 passed, 0 failed"
n=$(sqlite3 .sohoa/ledger.db "SELECT count(*) FROM validations WHERE verdict = 'pass'")
assert_eq "$n" 2 "pass verdicts in the ledger"
sha=$(sha256sum "$A/02.Ly lich dang vien.pdf" | cut -d' ' -f1)
got=$(sqlite3 .sohoa/ledger.db "SELECT sha256 FROM validations WHERE path = '$A/02.Ly lich dang vien.pdf'")
assert_eq "$got" "$sha" "the verdict is about the file's bytes"
n=$(sqlite3 .sohoa/ledger.db "SELECT count(*) FROM audit WHERE action = 'document.validate'")
assert_eq "$n" 2 "audit entries"

# ---- the faulty dossier: every problem, on its page, with its value ----
run_sohoa 1 --json validate "$B"
J=$OUT
f02="$B/02.Ly lich dang vien.pdf"
codes() { json_get "$J" "sorted(set('%s:%s' % (x['code'], x.get('page', 0)) for f in d['files'] if f['path'].endswith('$1') for x in f['findings']))"; }
got=$(codes "02.Ly lich dang vien.pdf")
assert_contains "$got" "'page.rotated:2'" "findings of 02"
assert_contains "$got" "'page.skewed:3'" "findings of 02"
assert_contains "$got" "'page.blank:4'" "findings of 02"
assert_contains "$got" "'page.duplicate:5'" "findings of 02"
assert_not_contains "$got" ":1'" "findings of 02 (page 1 is good)"
angle=$(json_get "$J" "[x['angle'] for f in d['files'] for x in f['findings'] if x['code'] == 'page.rotated'][0]")
assert_eq "$angle" 180 "rotation angle"
skew=$(json_get "$J" "[abs(x['angle']) for f in d['files'] for x in f['findings'] if x['code'] == 'page.skewed'][0]")
"$PY" -c "import sys; sys.exit(0 if abs($skew - 3) <= 0.3 else 1)" || fail "skew measured $skew, made 3"
of=$(json_get "$J" "[x['of_page'] for f in d['files'] for x in f['findings'] if x['code'] == 'page.duplicate'][0]")
assert_eq "$of" 1 "the duplicate's original"
got=$(codes "05.Quyet dinh ket nap dang vien.pdf")
assert_contains "$got" "'page.low_dpi:1'"
assert_contains "$got" "'doc.page_count:0'"
dpi=$(json_get "$J" "[x['dpi'] for f in d['files'] for x in f['findings'] if x['code'] == 'page.low_dpi'][0]")
assert_eq "$dpi" 150 "measured resolution"
missing=$(json_get "$J" "[x['type'] for f in d['files'] for x in f['findings'] if x['code'] == 'dossier.missing_priority1']")
assert_eq "$missing" "[3]" "missing priority-1 types"
assert_eq "$(json_get "$J" "d['summary']['files']")" 2 "summary files"
assert_eq "$(json_get "$J" "d['summary']['failed']")" 2 "summary failed"
assert_eq "$(json_get "$J" "d['summary']['pages']")" 6 "summary pages"
assert_eq "$(json_get "$J" "[f['status'] for f in d['files'] if f['path'] == '$f02'][0]")" fail
n=$(sqlite3 .sohoa/ledger.db "SELECT count(*) FROM validations WHERE verdict = 'fail'")
assert_eq "$n" 2 "fail verdicts in the ledger"

# The terminal report says which page and what to do.
run_sohoa 1 validate "$B"
assert_contains "$OUT" "page 2 is not upright: it must be turned 180° clockwise"
assert_contains "$OUT" "page 5 is page 1 scanned again"
assert_contains "$OUT" "FAILED"
# In Vietnamese too.
run_sohoa 1 --lang vi validate "$B"
assert_contains "$OUT" "trang 2"

# ---- bad files: findings, never a crash; the rest is still checked ----
C="$ORG/001095011111_LeVanCuong"
mkdir -p "$C"
cp "$A/02.Ly lich dang vien.pdf" "$C/02.Ly lich dang vien.pdf"
head -c 3000 "$A/03.Phieu dang vien.pdf" >"$C/03.Phieu dang vien.pdf"     # truncated
echo "not a pdf" >"$C/04.Don xin vao dang.pdf"
qpdf --encrypt u o 256 -- "$A/02.Ly lich dang vien.pdf" "$C/06.Bao cao thanh tich.pdf"
# An absurd page size and a PDF without pages: findings too.
"$PY" - "$C/07.Quyet dinh ket nap lai nguoi vao Dang.pdf" "$C/08.Trang trong.pdf" <<'EOF'
import sys
def pdf(path, kids, count, box):
    objs = ["<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
            "<< /Type /Page /Parent 2 0 R /MediaBox %s /Contents 4 0 R >>" % box,
            "<< /Length 24 >>\nstream\n0 0 m 100 100 l S\nendstream"]
    out, offs = b"%PDF-1.4\n", []
    for i, o in enumerate(objs):
        offs.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i + 1, o.encode())
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offs)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    open(path, "wb").write(out)
pdf(sys.argv[1], "3 0 R", 1, "[0 0 1000000 1000000]")
pdf(sys.argv[2], "", 0, "[0 0 595 842]")
EOF
run_sohoa 1 --json validate "$C"
J=$OUT
got=$(json_get "$J" "sorted((f['path'].split('/')[-1], f['status']) for f in d['files'] if f.get('kind') != 'folder')")
assert_contains "$got" "('02.Ly lich dang vien.pdf', 'pass')"
codes_of() { json_get "$J" "sorted(x['code'] for f in d['files'] if f['path'].endswith('/$1') for x in f['findings'])"; }
assert_contains "$(codes_of "03.Phieu dang vien.pdf")" "'pdf.unreadable'" "the truncated file"
assert_contains "$(codes_of "04.Don xin vao dang.pdf")" "'pdf.unreadable'" "the file that is not a PDF"
assert_contains "$(codes_of "06.Bao cao thanh tich.pdf")" "'pdf.encrypted'" "the encrypted file"
assert_contains "$(codes_of "08.Trang trong.pdf")" "'pdf.no_pages'" "the PDF without pages"
got=$(json_get "$J" "[(x['code'], x.get('page')) for f in d['files'] if f['path'].endswith('/07.Quyet dinh ket nap lai nguoi vao Dang.pdf') for x in f['findings']]")
assert_contains "$got" "('pdf.unreadable', 1)" "the page of absurd size"

# ---- the whole workspace, with an HTML report ----
run_sohoa 1 validate . --html "$TMP/report.html" --jobs 2
assert_contains "$OUT" "Report: $TMP/report.html"
[ -s "$TMP/report.html" ] || fail "no HTML report"
assert_not_contains "$(cat "$TMP/report.html")" "http://" "the HTML report"
sohoa_audit=$("$SOHOA" audit verify) || fail "audit verify: $sohoa_audit"

# ---- a huge page (35000 × 35000 pixels, G4) is analysed at a capped size in bounded memory ----
"$PY" - "$TMP/huge.tif" <<'EOF'
import sys
from PIL import Image, ImageDraw
n = 35000
im = Image.new("1", (n, n), 1)
d = ImageDraw.Draw(im)
for y in range(2000, n - 2000, 600):
    d.rectangle([2000, y, n - 2000, y + 120], fill=0)
im.save(sys.argv[1], compression="group4", dpi=(300, 300))
EOF
new_workspace "$TMP/hws"
sed -i 's/^max_megapixels *=.*/max_megapixels = 2000/' "$TMP/hws/sohoa.ini"
(cd "$TMP/hws" && "$SOHOA" -q ingest --org "$ORG" --cccd 001085012345 --name "Nguyễn Văn An" \
  --type 2 "$TMP/huge.tif" >/dev/null) || fail "ingest of the huge page"
rss=$(python3 -c 'import resource, subprocess, sys
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
# 1: the dossier lacks its 03; anything else (a crash, an error) is a failure here.
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if p.returncode == 1 else -1)' \
  "$SOHOA" validate "$TMP/hws")
[ "$rss" -gt 0 ] || fail "validate of a 35000 × 35000 page did not finish with status 1"
[ "$rss" -lt 700000 ] || fail "validate of a 35000 × 35000 page used $rss KiB"

# ---- what sign leaves beside a file, and stray files, are not duplicates of a dossier's pages ----
cp "$A/02.Ly lich dang vien.pdf" "$A/02.Ly lich dang vien_signed.pdf"
cp "$A/03.Phieu dang vien.pdf" "$ORG/ban-sao.pdf"
run_sohoa 1 --json validate "$ORG"
J=$OUT
assert_eq "$(json_get "$J" "[f['status'] for f in d['files'] if f['path'].endswith('NguyenVanAn/02.Ly lich dang vien_signed.pdf')][0]")" pass "the signed copy"
assert_eq "$(json_get "$J" "[f['status'] for f in d['files'] if f['path'].endswith('NguyenVanAn/03.Phieu dang vien.pdf')][0]")" pass "a document with a stray copy beside the dossiers"
rm "$A/02.Ly lich dang vien_signed.pdf" "$ORG/ban-sao.pdf"

# ---- a workspace reached through a symbolic link still records its verdicts ----
ln -s "$W" "$TMP/link"
before=$(sqlite3 .sohoa/ledger.db "SELECT count(*) FROM validations")
run_sohoa 0 validate "$TMP/link/$A"
after=$(sqlite3 .sohoa/ledger.db "SELECT count(*) FROM validations")
assert_eq "$((after - before))" 2 "verdicts recorded through the link"

# ---- without an operator, nothing says the files can be signed ----
sed -i 's/^operator *=.*/operator =/' sohoa.ini
run_sohoa 0 validate "$A"
assert_not_contains "$OUT" "can be signed"
assert_contains "$OUT" "not recorded in the ledger"

# ---- usage ----
run_sohoa 2 validate
run_sohoa 2 validate . --jobs 0
run_sohoa 3 validate "$TMP/nowhere"
pass
