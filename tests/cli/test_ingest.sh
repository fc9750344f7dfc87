#!/usr/bin/env bash
# sohoa ingest from the command line: one document from files, from a folder (natural order),
# from a batch sheet; the name and SoThuTu rules; never overwriting; bad inputs refused with
# nothing written; the ledger and audit records; deterministic output. Judges: qpdf --check,
# pdfinfo, pdfimages, cmp and sqlite3, on pages made by samples/make_scans.py.
. "$(dirname "$0")/lib.sh"
need_tool qpdf pdfinfo pdfimages sqlite3

ORG=93.000.036.001.015
CCCD=001085012345
DOSSIER="$ORG/${CCCD}_NguyenVanAn"
ingest() { # STATUS ARGS...: ingest into the dossier of Nguyễn Văn An
  local want=$1; shift
  run_sohoa "$want" ingest --org "$ORG" --cccd "$CCCD" --name "Nguyễn Văn An" "$@"
}

new_workspace ws
cd ws
W=$PWD
S=$TMP/src
# Pages: A5 at 200 ppi keeps the generator quick; sizes differ so page order can be read back.
scans "$S/pages" --format tiff-g4 --size A5 --dpi 200 --pages 1 --prefix 1
scans "$S/pages" --format tiff-g4 --size A4 --dpi 200 --pages 1 --prefix 2 --seed 2
scans "$S/pages" --format tiff-g4 --size Letter --dpi 200 --pages 1 --prefix 10 --seed 3
: >"$S/pages/Thumbs.db"
: >"$S/pages/.hidden.tif"
scans "$S" --format tiff-g4 --size A5 --dpi 200 --pages 2 --multipage --prefix multi
scans "$S" --format jpeg --size A5 --dpi 200 --pages 2 --prefix photo
scans "$S" --format png-gray --size A5 --dpi 200 --pages 1 --prefix grey

# ---- one document from files: a multi-page TIFF and two JPEGs, in the order given ----
ingest 0 --type 2 "$S/multi.tif" "$S/photo-001.jpg" "$S/photo-002.jpg"
assert_contains "$OUT" "wrote $DOSSIER/02.Ly lich dang vien.pdf (4 pages)"
pdf="$W/$DOSSIER/02.Ly lich dang vien.pdf"
qpdf --check "$pdf" >/dev/null || fail "qpdf --check failed on $pdf"
info=$(pdfinfo "$pdf")
assert_contains "$info" "Pages:           4"
assert_contains "$info" "Title:           Lý lịch đảng viên"
assert_contains "$info" "Subject:         Tổ chức đảng $ORG, hồ sơ ${CCCD}_NguyenVanAn (Nguyễn Văn An)"
assert_contains "$info" "Creator:         sohoa"
assert_contains "$info" "PDF version:     1.4"
# A5 at 200 ppi: 1166 × 1654 pixels (the generator rounds 148 mm × 200 / 25.4) → points exactly.
read -r w h < <("$PY" -c 'from PIL import Image; print(*Image.open("'"$S"'/multi.tif").size)')
size=$(pdfinfo -f 1 -l 1 "$pdf" | sed -n 's/^Page    1 size: *\([0-9.]*\) x \([0-9.]*\).*/\1 \2/p')
want=$("$PY" -c "print('%g %g' % (round($w*72/200, 4), round($h*72/200, 4)))")
assert_eq "$size" "$want" "page 1 size in points"
# G4 and JPEG go in as they are: the encodings pdfimages reports.
images=$(pdfimages -list "$pdf" | awk 'NR > 2 {print $9}' | tr '\n' ' ')
assert_eq "$images" "ccitt ccitt jpeg jpeg " "image encodings"
# The JPEG bytes are the file's bytes.
pdfimages -j -f 3 -l 3 "$pdf" "$TMP/x"
cmp -s "$TMP/x-000.jpg" "$S/photo-001.jpg" || fail "JPEG page 3 is not the source JPEG byte for byte"
# The G4 pages decode to the source pixels.
pdfimages -png -f 1 -l 1 "$pdf" "$TMP/g"
"$PY" - "$S/multi.tif" "$TMP/g-000.png" <<'EOF' || fail "G4 page 1 pixels differ from the TIFF"
import sys
from PIL import Image, ImageChops
a = Image.open(sys.argv[1]).convert("L")
b = Image.open(sys.argv[2]).convert("L")
sys.exit(0 if a.size == b.size and ImageChops.difference(a, b).getbbox() is None else 1)
EOF

# ---- never over an existing file; the SoThuTu rules ----
before=$(sha256sum "$pdf")
ingest 2 --type 2 "$S/grey-001.png"
assert_contains "$ERR" "02.Ly lich dang vien.pdf already exists"
assert_contains "$ERR" "02.Ly lich dang vien.1.pdf"
ingest 2 --type 2 --seq 2 "$S/grey-001.png"
assert_eq "$(sha256sum "$pdf")" "$before" "the existing document"
ingest 0 --type 40 --seq 1 "$S/grey-001.png"
assert_contains "$OUT" "40."
ingest 0 --type 40 "$S/photo-001.jpg" # the type is numbered already: the next Seq
assert_contains "$OUT" ".2.pdf (1 page)"
ingest 2 --type 40 --seq 2 "$S/grey-001.png"
assert_contains "$ERR" "exists"

# ---- a folder: its image files in natural order (1, 2, 10), the system's files skipped ----
ingest 0 --type 3 "$S/pages"
assert_contains "$OUT" "03.Phieu dang vien.pdf (3 pages)"
assert_contains "$ERR" "skipped $S/pages/Thumbs.db: a file the operating system keeps, not a page"
assert_contains "$ERR" "skipped $S/pages/.hidden.tif"
sizes=$(pdfinfo -f 1 -l 3 "$W/$DOSSIER/03.Phieu dang vien.pdf" | awk '/^Page.*size/ {print $4 "x" $6}' | tr '\n' ' ')
a5=$(pdfinfo -f 1 -l 1 "$pdf" | awk '/^Page.*size/ {print $4 "x" $6}')
case "$sizes" in "$a5 "*) ;; *) fail "page 1 of the folder is not 1-001.tif (A5): $sizes" ;; esac
case "$sizes" in *" 612x792 ") ;; *) fail "page 3 of the folder is not 10-001.tif (Letter): $sizes" ;; esac

# ---- bad inputs: exit 3, the file named, nothing written ----
: >"$S/empty.tif"
ingest 3 --type 5 "$S/grey-001.png" "$S/empty.tif"
assert_contains "$ERR" "$S/empty.tif is empty"
cp "$S/grey-001.png" "$S/really-png.tif"
ingest 3 --type 5 "$S/really-png.tif"
assert_contains "$ERR" "really-png.tif holds a PNG image"
head -c 3000 "$S/multi.tif" >"$S/cut.tif"
ingest 3 --type 5 "$S/cut.tif"
assert_contains "$ERR" "cut.tif"
head -c 5000 "$S/photo-001.jpg" >"$S/cut.jpg"
ingest 3 --type 5 "$S/cut.jpg"
assert_contains "$ERR" "truncated"
echo "not an image" >"$S/scan.bmp"
ingest 3 --type 5 "$S/scan.bmp"
assert_contains "$ERR" "is not a TIFF, JPEG, PNG or PDF file"
[ ! -e "$W/$DOSSIER/05.Quyet dinh ket nap dang vien.pdf" ] || fail "a refused document was written"
ls -a "$W/$DOSSIER" | grep -q '\.tmp' && fail "a temp file was left behind"
# A page over the size limit is refused from its header, before any pixel is read.
"$PY" - "$S/huge.tif" <<'EOF'
import struct, sys
# A G4 TIFF header claiming 35000 x 35000 pixels, with a 16-byte strip.
entries = [(256, 4, 1, 35000), (257, 4, 1, 35000), (258, 3, 1, 1), (259, 3, 1, 4),
           (262, 3, 1, 0), (273, 4, 1, 8), (277, 3, 1, 1), (278, 4, 1, 35000), (279, 4, 1, 16),
           (282, 5, 1, 0), (283, 5, 1, 0), (296, 3, 1, 2)]
ifd = 8 + 16
rational = ifd + 2 + 12 * len(entries) + 4
out = bytearray(b"II*\0" + struct.pack("<I", ifd) + b"\0" * 16 + struct.pack("<H", len(entries)))
for tag, typ, count, value in entries:
    if typ == 5:
        value = rational
    fmt = "<HHIHH" if typ == 3 else "<HHII"
    out += struct.pack(fmt, tag, typ, count, value, 0) if typ == 3 else struct.pack(fmt, tag, typ, count, value)
out += b"\0\0\0\0" + struct.pack("<II", 300, 1)
open(sys.argv[1], "wb").write(out)
EOF
start=$(date +%s%N)
ingest 3 --type 5 "$S/huge.tif"
assert_contains "$ERR" "35000 × 35000"
[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 2000 ] || fail "refusing a huge page took over 2 s"

# ---- resolution: required, or --dpi; below 200 ppi a warning ----
"$PY" -c 'from PIL import Image; Image.open("'"$S"'/grey-001.png").save("'"$S"'/nodpi.png")'
ingest 3 --type 6 "$S/nodpi.png"
assert_contains "$ERR" "--dpi"
ingest 0 --type 6 --dpi 300 "$S/nodpi.png"
scans "$S" --format tiff-g4 --size A5 --dpi 150 --prefix low
ingest 0 --type 7 --expected-pages 2 "$S/low-001.tif"
assert_contains "$ERR" "page.low_dpi"
assert_contains "$ERR" "150 ppi"
assert_contains "$ERR" "doc.page_count"

# ---- the ledger and the audit chain ----
db="$W/.sohoa/ledger.db"
row=$(sqlite3 "$db" "SELECT path, pages, sha256 FROM documents WHERE type_stt = 2")
assert_eq "$row" "$DOSSIER/02.Ly lich dang vien.pdf|4|$(sha256sum "$pdf" | cut -d' ' -f1)" "documents row"
srcs=$(sqlite3 "$db" "SELECT s.position, s.path, s.pages, s.sha256 FROM document_sources s JOIN documents d ON d.id = s.document_id WHERE d.type_stt = 2 ORDER BY s.position")
want_srcs="1|$S/multi.tif|2|$(sha256sum "$S/multi.tif" | cut -d' ' -f1)
2|$S/photo-001.jpg|1|$(sha256sum "$S/photo-001.jpg" | cut -d' ' -f1)
3|$S/photo-002.jpg|1|$(sha256sum "$S/photo-002.jpg" | cut -d' ' -f1)"
assert_eq "$srcs" "$want_srcs" "document_sources rows"
assert_eq "$(sqlite3 "$db" "SELECT count(*) FROM dossiers")" "1" "dossier rows"
assert_eq "$(sqlite3 "$db" "SELECT person_name FROM dossiers")" "Nguyễn Văn An" "dossier name"
assert_eq "$(sqlite3 "$db" "SELECT count(*) FROM audit WHERE action = 'document.ingest'")" \
  "$(sqlite3 "$db" "SELECT count(*) FROM documents")" "one audit entry per document"
run_sohoa 0 audit verify

# ---- a scanner's PDF: copied byte for byte; not mixed with images ----
ingest 0 --type 8 "$pdf"
assert_contains "$OUT" "copied $DOSSIER/08."
cmp -s "$pdf" "$W/$DOSSIER/"08.*.pdf || fail "the scanner PDF was not copied byte for byte"
ingest 2 --type 9 "$pdf" "$S/grey-001.png"
assert_contains "$ERR" "on its own"

# ---- deterministic with SOURCE_DATE_EPOCH: two workspaces, the same bytes ----
for n in 1 2; do
  "$SOHOA" init "$TMP/det$n" --station T-0$n --operator "Người $n" -q
  (cd "$TMP/det$n" && SOURCE_DATE_EPOCH=1700000000 "$SOHOA" ingest --org "$ORG" --cccd "$CCCD" \
    --name "Nguyễn Văn An" --type 2 "$S/multi.tif" "$S/photo-001.jpg" "$S/grey-001.png" >/dev/null)
done
cmp "$TMP/det1/$DOSSIER/02.Ly lich dang vien.pdf" "$TMP/det2/$DOSSIER/02.Ly lich dang vien.pdf" ||
  fail "the same inputs gave different bytes"
assert_contains "$(pdfinfo "$TMP/det1/$DOSSIER/02.Ly lich dang vien.pdf")" "CreationDate:    Tue Nov 14 22:13:20 2023 UTC"

# ---- a batch sheet: BOM, semicolons, Vietnamese headings; a bad row; Seqs by row order ----
mkdir -p "$S/batch/an"
cp "$S/pages/"*.tif "$S/batch/an/"
cp "$S/grey-001.png" "$S/batch/"
printf '\xef\xbb\xbfMã tổ chức;Số CCCD;Họ và tên;Loại;Số thứ tự;Số trang;Tệp nguồn\r\n' >"$S/batch/lo.csv"
printf '%s;001085099999;Trần Thị Bình;2;;3;an\r\n' "$ORG" >>"$S/batch/lo.csv"
printf '%s;001085099999;Trần Thị Bình;abc;;;grey-001.png\r\n' "$ORG" >>"$S/batch/lo.csv"
printf '%s;001085099999;Trần Thị Bình;45;;;grey-001.png\r\n' "$ORG" >>"$S/batch/lo.csv"
printf '%s;001085099999;Trần Thị Bình;45;;;an/1-001.tif | an/2-001.tif\r\n' "$ORG" >>"$S/batch/lo.csv"
run_sohoa 3 ingest --manifest "$S/batch/lo.csv"
B="$ORG/001085099999_TranThiBinh"
assert_contains "$OUT" "wrote $B/02.Ly lich dang vien.pdf (3 pages)"
assert_contains "$OUT" "wrote $B/45."
assert_contains "$OUT" ".1.pdf (1 page)"
assert_contains "$OUT" ".2.pdf (2 pages)"
assert_contains "$ERR" "lo.csv, row 3:"
assert_contains "$ERR" "3 documents written (6 pages); 1 failed"
# The same in JSON, into a fresh workspace.
"$SOHOA" init "$TMP/jsonws" --station T-09 --operator "Nguyễn Văn A" -q
cd "$TMP/jsonws"
run_sohoa 3 --json ingest --manifest "$S/batch/lo.csv"
assert_eq "$(json_get "$OUT" 'd["summary"]')" \
  "{'documents': 3, 'pages': 6, 'failed': 1, 'already_done': 0, 'replaced': 0}" "summary"
assert_eq "$(json_get "$OUT" '[x["row"] for x in d["documents"]]')" "[2, 4, 5]" "rows written"
assert_eq "$(json_get "$OUT" '[(f["code"], f["row"], f["status"]) for f in d["findings"]]')" \
  "[('ingest.failed', 3, 3)]" "failed rows"

# A named pipe given as a sheet or a page is refused at once, not waited on.
mkfifo "$S/pipe.csv" "$S/pipe.tif"
run_sohoa 3 ingest --manifest "$S/pipe.csv"
assert_contains "$ERR" "pipe.csv is not a regular file"
ingest 3 --type 5 "$S/pipe.tif"
assert_contains "$ERR" "pipe.tif is not a regular file"

# ---- usage errors ----
run_sohoa 2 ingest --org "$ORG" --cccd "$CCCD" --name "Nguyễn Văn An" --type 105 "$S/grey-001.png"
run_sohoa 2 ingest --org 93.000 --cccd "$CCCD" --name "Nguyễn Văn An" --type 2 "$S/grey-001.png"
assert_contains "$ERR" "93.000"
run_sohoa 2 ingest --manifest "$S/batch/lo.csv" --type 2

# ---- a folder of pages never loses one silently (issue 13) ----
"$SOHOA" init "$TMP/folderws" --station T-10 --operator "Nguyễn Văn A" -q
cd "$TMP/folderws"
F="$TMP/folderws/$DOSSIER/06.Quyet dinh ket nap lai nguoi vao dang cua cap uy co tham quyen.pdf"
# A file that is not a page (2.bmp among JPEGs) stops the document, naming it; nothing written.
mkdir -p "$S/mixed"
scans "$S/mixed" --format jpeg --size A5 --dpi 200 --pages 3 --prefix p --seed 31
mv "$S/mixed/p-002.jpg" "$S/mixed/p-002.bmp"
ingest 3 --type 6 "$S/mixed"
assert_contains "$ERR" "$S/mixed/p-002.bmp is not a page sohoa can use"
[ ! -e "$TMP/folderws/$ORG" ] || fail "something was written for a document without its page"
# The files Windows and macOS leave: skipped, each with a note; -q silences the notes.
mv "$S/mixed/p-002.bmp" "$S/mixed/p-002.jpg"
for junk in Thumbs.db desktop.ini .DS_Store ._p-001.jpg; do echo x >"$S/mixed/$junk"; done
ingest 0 --type 6 "$S/mixed"
assert_contains "$OUT" "06.Quyet dinh ket nap lai nguoi vao dang cua cap uy co tham quyen.pdf (3 pages)"
for junk in Thumbs.db desktop.ini .DS_Store ._p-001.jpg; do
  assert_contains "$ERR" "skipped $S/mixed/$junk: a file the operating system keeps, not a page"
done
assert_contains "$(pdfinfo "$F")" "Pages:           3"
mv "$F" "$TMP/06.pdf"
run_sohoa 0 -q ingest --org "$ORG" --cccd "$CCCD" --name "Nguyễn Văn An" --type 6 --seq 2 "$S/mixed"
assert_eq "$ERR" "" "-q: no notes"
assert_eq "$OUT" "" "-q: nothing but errors"
# A folder inside, and several unusable files: the first named, the others counted.
mkdir -p "$S/mixed/back" && echo x >"$S/mixed/notes.txt"
ingest 3 --type 7 "$S/mixed"
assert_contains "$ERR" "$S/mixed/back is a folder inside the folder of pages"
assert_contains "$ERR" "(and 1 more such file)"
pass
