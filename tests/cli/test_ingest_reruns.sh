#!/usr/bin/env bash
# Re-runs and corrections (docs/ingest.md): a batch sheet run again after its bad row is fixed
# reports the rows already done and exits 0 (no second copies); so does a repeated single ingest;
# a target made from other files is refused with the way on (--replace). A rescan (--replace
# --reason, or the sheet's replace_reason column) keeps the old file and its signed copy under
# .sohoa/superseded, records what replaced what and why in the ledger and the audit chain, and
# the old verdict and signature no longer count (sign refuses until the new file passed). A kill
# at each step of a rescan is recovered by the next run. The expected page count is corrected
# with an audit entry, and validate honours it. Judges: sqlite3, cmp, sha256sum.
. "$(dirname "$0")/lib.sh"
need_tool openssl sqlite3 strace

ORG=93.000.036.001.015
CCCD=001085012345
D="$ORG/${CCCD}_NguyenVanAn"
ingest() { # STATUS ARGS...: ingest into the dossier of Nguyễn Văn An
  local want=$1; shift
  run_sohoa "$want" ingest --org "$ORG" --cccd "$CCCD" --name "Nguyễn Văn An" "$@"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
q() { sqlite3 "$W/.sohoa/ledger.db" "$1"; }

new_workspace ws
cd ws
W=$PWD
S=$TMP/src
# 13 different pages in one run of the generator (so that validate finds no duplicate between
# documents): p1 … p8 one page each, then a 3-page and a 2-page rescan in folders of their own.
scans "$S/gen" --format tiff-g4 --size A5 --dpi 200 --pages 13 --prefix p
mkdir -p "$S/rescan" "$S/rescan2"
for n in 1 2 3 4 5 6 7 8; do mv "$S/gen/p-00$n.tif" "$S/p$n-001.tif"; done
mv "$S/gen/p-009.tif" "$S/gen/p-010.tif" "$S/gen/p-011.tif" "$S/rescan/"
mv "$S/gen/p-012.tif" "$S/gen/p-013.tif" "$S/rescan2/"

# ---- a batch sheet with a bad row, fixed, run again: the done rows are reported, exit 0 ----
mkdir -p "$S/lo"
cat >"$S/lo/lo.csv" <<EOF
org,cccd,name,type,seq,files
$ORG,$CCCD,Nguyễn Văn An,2,,../p1-001.tif
$ORG,$CCCD,Nguyễn Văn An,55,,../p2-001.tif
$ORG,$CCCD,Nguyễn Văn An,55,,../p3-001.tif
$ORG,$CCCD,Nguyễn Văn An,5,,../missing.tif
EOF
run_sohoa 3 ingest --manifest "$S/lo/lo.csv"
assert_contains "$ERR" "lo.csv, row 5:"
sed -i 's#missing.tif#p4-001.tif#' "$S/lo/lo.csv"
run_sohoa 0 ingest --manifest "$S/lo/lo.csv"
assert_contains "$OUT" "already done: $D/02.Ly lich dang vien.pdf (1 page, made from these same files before)"
assert_contains "$OUT" "already done: $D/55.Giay gioi thieu sinh hoat dang tam thoi.1.pdf"
assert_contains "$OUT" "already done: $D/55.Giay gioi thieu sinh hoat dang tam thoi.2.pdf"
assert_contains "$OUT" "wrote $D/05."
assert_contains "$ERR" "1 documents written (1 pages), 3 already done before; 0 failed"
[ ! -e "$D/55.Giay gioi thieu sinh hoat dang tam thoi.3.pdf" ] || fail "a re-run made a second copy"
assert_eq "$(q "SELECT count(*) FROM documents")" 4 "documents after the re-run"
assert_eq "$(q "SELECT count(*) FROM audit WHERE action = 'document.ingest'")" 4 "ingest entries"
# Once more, in JSON: every row done, one line per row.
run_sohoa 0 --json ingest --manifest "$S/lo/lo.csv"
assert_eq "$(json_get "$OUT" 'd["summary"]')" \
  "{'documents': 0, 'pages': 0, 'failed': 0, 'already_done': 4, 'replaced': 0}" "summary"
assert_eq "$(json_get "$OUT" '[(x["row"], x["status"], x["seq"]) for x in d["documents"]]')" \
  "[(2, 'already_done', 0), (3, 'already_done', 1), (4, 'already_done', 2), (5, 'already_done', 0)]" \
  "rows done"
assert_eq "$(json_get "$OUT" 'd["documents"][0]["sha256"]')" "$(sha "$D/02.Ly lich dang vien.pdf")" "sha256"

# ---- one document, the same command twice; a target made from other files ----
ingest 0 --type 3 "$S/p5-001.tif"
ingest 0 --type 3 "$S/p5-001.tif"
assert_contains "$OUT" "already done: $D/03.Phieu dang vien.pdf (1 page"
assert_eq "$(q "SELECT count(*) FROM documents WHERE type_stt = 3")" 1 "type 3 documents"
ingest 2 --type 3 "$S/p6-001.tif"
assert_contains "$ERR" "03.Phieu dang vien.pdf already exists and was not made from these files"
assert_contains "$ERR" "--replace --reason"
assert_contains "$ERR" "03.Phieu dang vien.1.pdf"
ingest 2 --type 55 --seq 1 "$S/p6-001.tif"
assert_contains "$ERR" "--replace --reason"
# A file changed by hand after ingest is not "done".
cp "$D/03.Phieu dang vien.pdf" "$TMP/03.saved"
printf '%%junk\n' >>"$D/03.Phieu dang vien.pdf"
ingest 2 --type 3 "$S/p5-001.tif"
assert_contains "$ERR" "changed afterwards"
cp "$TMP/03.saved" "$D/03.Phieu dang vien.pdf"
# A recorded file that is gone is made again in its own place, not under a new Seq.
rm "$D/55.Giay gioi thieu sinh hoat dang tam thoi.2.pdf"
run_sohoa 0 ingest --manifest "$S/lo/lo.csv"
assert_contains "$OUT" "wrote $D/55.Giay gioi thieu sinh hoat dang tam thoi.2.pdf"
[ ! -e "$D/55.Giay gioi thieu sinh hoat dang tam thoi.3.pdf" ] || fail "a lost file came back as .3"

# ---- --replace: usage ----
ingest 2 --type 2 --replace "$S/rescan"
assert_contains "$ERR" "--replace needs --reason"
ingest 2 --type 2 --reason "x" "$S/rescan"
assert_contains "$ERR" "--reason goes with --replace"
ingest 2 --type 6 --replace --reason "thiếu trang" "$S/rescan"
assert_contains "$ERR" "there is nothing to replace"
ingest 2 --type 55 --replace --reason "thiếu trang" "$S/rescan"
assert_contains "$ERR" "with --seq N"
run_sohoa 2 ingest --manifest "$S/lo/lo.csv" --replace --reason x

# ---- a rescan of a validated, signed document ----
P="$D/02.Ly lich dang vien.pdf"
PS="$D/02.Ly lich dang vien_signed.pdf"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/k.pem" \
  -out "$TMP/c.pem" -subj "/CN=Dang uy xa Thu/O=Thu" -days 2 2>/dev/null
openssl pkcs12 -export -inkey "$TMP/k.pem" -in "$TMP/c.pem" -out "$TMP/org.p12" -passout pass:pw
export P12PASS=pw
sign() { run_sohoa "$1" sign "$P" --pkcs12 "$TMP/org.p12" --pin-env P12PASS; }
run_sohoa 0 validate "$P"
sign 0
old=$(sha "$P")
old_signed=$(sha "$PS")
cp "$P" "$TMP/old.pdf"
ingest 0 --type 2 --replace --reason "thiếu trang 2 và 3" "$S/rescan"
assert_contains "$OUT" "replaced $P (3 pages); the old file is kept as .sohoa/superseded/"
assert_contains "$OUT" "its signed copy is kept as .sohoa/superseded/"
kept=$(q "SELECT kept_as FROM superseded_files WHERE path = '$P'")
kept_signed=$(q "SELECT kept_as FROM superseded_files WHERE path = '$PS'")
case "$kept" in .sohoa/superseded/*/"$P") ;; *) fail "kept as $kept" ;; esac
cmp -s "$kept" "$TMP/old.pdf" || fail "the old file was not kept as it was"
assert_eq "$(sha "$kept_signed")" "$old_signed" "the kept signed copy"
[ ! -e "$PS" ] || fail "the old signed copy is still beside the new file"
new=$(sha "$P")
[ "$new" != "$old" ] || fail "the document was not replaced"
assert_eq "$(q "SELECT sha256, pages FROM documents WHERE path = '$P'")" "$new|3" "documents row"
assert_eq "$(q "SELECT old_sha256, new_sha256, reason, done FROM supersessions WHERE path = '$P'")" \
  "$old|$new|thiếu trang 2 và 3|1" "supersessions row"
details=$(q "SELECT details FROM audit WHERE action = 'document.supersede' AND subject = '$P'")
assert_eq "$(json_get "$details" '(d["sha256"], d["replaced_by"], d["reason"], d["kept_as"], d["signed_copy"]["sha256"], d["verdicts_moved"], d["signatures_moved"])')" \
  "('$old', '$new', 'thiếu trang 2 và 3', '$kept', '$old_signed', 1, 1)" "document.supersede entry"
# The supersession comes first in the chain, then the new document's ingest entry.
assert_eq "$(q "SELECT group_concat(action) FROM (SELECT action FROM audit ORDER BY id DESC LIMIT 2)")" \
  "document.ingest,document.supersede" "audit order"
run_sohoa 0 audit verify
# The old verdict and signature do not count for the new bytes: their rows went with the old
# files; sign refuses, validate decides.
assert_eq "$(q "SELECT count(*) FROM validations WHERE path = '$P'")" 0 "verdicts under the path"
assert_eq "$(q "SELECT count(*) FROM validations WHERE path = '$kept' AND sha256 = '$old'")" 1 "the old verdict, kept"
assert_eq "$(q "SELECT input_path, output_path FROM signatures WHERE output_sha256 = '$old_signed'")" \
  "$kept|$kept_signed" "the old signature, kept"
sign 1
assert_contains "$OUT" "not signed: it has not been validated"
[ ! -e "$PS" ] || fail "the rescan was signed on the old verdict"
# The old signed copy put back by hand is not taken for a signature of the new file.
cp "$kept_signed" "$PS"
sign 1
assert_contains "$OUT" "no record of signing it"
assert_contains "$OUT" "0 already signed; 1 refused"
rm "$PS"
run_sohoa 0 validate "$P"
sign 0
[ -e "$PS" ] || fail "the validated rescan was not signed"
# Run again: the rescan is done.
ingest 0 --type 2 --replace --reason "thiếu trang 2 và 3" "$S/rescan"
assert_contains "$OUT" "already done: $P (3 pages"

# ---- a rescan from a batch sheet: the replace_reason column, under its Vietnamese heading ----
printf 'Mã tổ chức;Số CCCD;Họ và tên;Loại;Số thứ tự;Tệp nguồn;Lý do quét lại\n' >"$S/lo/quet-lai.csv"
printf '%s;%s;Nguyễn Văn An;3;;../rescan2;trang 1 bị mờ\n' "$ORG" "$CCCD" >>"$S/lo/quet-lai.csv"
run_sohoa 0 --json ingest --manifest "$S/lo/quet-lai.csv"
assert_eq "$(json_get "$OUT" '(d["documents"][0]["status"], d["summary"]["replaced"])')" "('replaced', 1)" "sheet rescan"
assert_eq "$(q "SELECT reason FROM supersessions WHERE path = '$D/03.Phieu dang vien.pdf'")" "trang 1 bị mờ" "reason from the sheet"
run_sohoa 0 ingest --manifest "$S/lo/quet-lai.csv"
assert_contains "$OUT" "already done: $D/03.Phieu dang vien.pdf (2 pages"

# ---- a kill at each step of a rescan, then the next run ----
# strace kills sohoa as it enters its Nth rename: 1 = the intent recorded, nothing moved; 2 = the
# old file moved, its signed copy not yet (nothing in effect); 3 = all moved and the new document
# recorded, not yet put in place.
killed_at() { # N REASON: the rescan of 05 killed as it enters its Nth rename; its exit status
  (strace -f -o /dev/null -e trace=rename,renameat,renameat2 \
    -e inject=rename,renameat,renameat2:signal=KILL:when="$1" \
    "$SOHOA" ingest --org "$ORG" --cccd "$CCCD" --name "Nguyễn Văn An" --type 5 --replace \
    --reason "$2" "$S/rescan2" >/dev/null 2>&1; exit $?) 2>/dev/null
}
P5="$D/05.Quyet dinh ket nap dang vien.pdf"
P5S="$D/05.Quyet dinh ket nap dang vien_signed.pdf"
run_sohoa 0 validate "$P5"
run_sohoa 0 sign "$P5" --pkcs12 "$TMP/org.p12" --pin-env P12PASS
consistent() { # every document file matches its row, no rescan left half done, the chain intact
  q "SELECT path, sha256 FROM documents" | while IFS='|' read -r path want; do
    [ ! -e "$path" ] || [ "$(sha "$path")" = "$want" ] || fail "$path does not match its ledger row"
  done
  assert_eq "$(q "SELECT count(*) FROM supersessions WHERE done = 0")" 0 "rescans left half done"
  q "SELECT kept_as FROM superseded_files" | while read -r k; do
    [ -f "$k" ] || fail "a kept file is missing: $k"
  done
  run_sohoa 0 audit verify
}
before=$(sha "$P5")
for n in 1 2; do
  got=0
  killed_at "$n" "kill $n" || got=$?
  [ "$got" = 137 ] || fail "the rescan was not killed at rename $n (exit $got)"
  assert_eq "$(q "SELECT count(*) FROM supersessions WHERE done = 0")" 1 "the intent after kill $n"
  ingest 0 --type 4 "$S/p7-001.tif" # any ingest: the half-done rescan is undone first
  assert_contains "$ERR" "1 rescan was interrupted before it was recorded"
  assert_eq "$(sha "$P5")" "$before" "the old file back in place after kill $n"
  [ -e "$P5S" ] || fail "the signed copy is not back after kill $n"
  assert_eq "$(q "SELECT count(*) FROM audit WHERE action = 'document.supersede' AND subject = '$P5'")" 0 "supersede entries"
  consistent
done
got=0
killed_at 3 "kill 3" || got=$?
[ "$got" = 137 ] || fail "the rescan was not killed at rename 3 (exit $got)"
[ ! -e "$P5" ] || fail "the old file is still in place after kill 3"
ingest 0 --type 5 --replace --reason "kill 3" "$S/rescan2" # recovered, then done
assert_contains "$OUT" "already done: $P5 (2 pages"
[ "$(sha "$P5")" != "$before" ] || fail "the recorded rescan was not put in place"
assert_eq "$(q "SELECT count(*) FROM audit WHERE action = 'document.supersede' AND subject = '$P5'")" 1 "supersede entries"
consistent

# ---- the expected page count: corrected with an audit entry, honoured by validate ----
ingest 0 --type 7 --expected-pages 3 "$S/p8-001.tif" "$S/p6-001.tif"
P7=$(ls "$D"/07.*.pdf)
run_sohoa 1 validate "$P7"
assert_contains "$OUT" "doc.page_count"
assert_contains "$OUT" "sohoa document pages"
run_sohoa 2 document pages "$P7" --expected 2
assert_contains "$ERR" "--reason"
run_sohoa 2 document pages "$S/p8-001.tif" --expected 2 --reason x
run_sohoa 0 document pages "$P7" --expected 2 --reason "bản giấy có 2 trang"
assert_contains "$OUT" "expected page count 2 (was 3; the PDF has 2)"
assert_eq "$(q "SELECT expected_pages FROM documents WHERE path = '$P7'")" 2 "expected_pages"
details=$(q "SELECT details FROM audit WHERE action = 'document.expected_pages'")
assert_eq "$details" '{"old":3,"new":2,"pages":2,"reason":"bản giấy có 2 trang"}' "audit details"
run_sohoa 0 validate "$P7"
run_sohoa 0 --json document pages "$P7" --expected 2 --reason "again"
assert_eq "$(json_get "$OUT" '(d["changed"], d["expected_pages"])')" "(False, {'old': 2, 'new': 2})" "no change"
assert_eq "$(q "SELECT count(*) FROM audit WHERE action = 'document.expected_pages'")" 1 "one correction"
run_sohoa 0 audit verify
pass
