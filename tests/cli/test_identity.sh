#!/usr/bin/env bash
# One person, one dossier, and nothing lost without a word (issue 13, point 5):
# - one CCCD in two dossier folders (another name, another organisation) is name.cccd_duplicate
#   naming the other folder, in name check (from the root, an organisation, a dossier), in
#   validate (the dossiers and all their files fail, the ledger says so) and at ingest (refused,
#   nothing written);
# - names that are not UTF-8: a finding; validate still records the verdicts of the rest of the
#   dossier and keeps two such files apart; ingest's audit details still list the sources;
# - validate never says "Everything passed" when nothing was checked, a path was unreadable
#   (missing, or a folder under it), the configuration was wrong or the workspace could not be
#   opened; it says it when it is true.
. "$(dirname "$0")/lib.sh"
need_tool sqlite3 setpriv
python3() { "$PY" "$@"; } # the interpreter itself: a version-manager shim costs a second a call

ORG=93.000.036.001.015
ORG2=93.000.036.001.016
new_workspace ws
cd ws
W=$PWD
S=$TMP/src
# The pages of test_validate.sh's good dossier: they pass every check.
scans "$S/good" --format tiff-g4 --size A5 --dpi 200 --pages 2 --seed 11
scans "$S/good3" --format jpeg --size A5 --dpi 200 --pages 1 --seed 12
scans "$S/other" --format tiff-g4 --size A5 --dpi 200 --pages 1 --seed 17
scans "$S/other3" --format jpeg --size A5 --dpi 200 --pages 1 --seed 18

ing() { # STATUS ORG CCCD NAME TYPE FILES...
  local want=$1 org=$2 cccd=$3 name=$4 type=$5
  shift 5
  run_sohoa "$want" ingest --org "$org" --cccd "$cccd" --name "$name" --type "$type" "$@"
}
A="$ORG/001085012345_NguyenVanAn"
B="$ORG/001090054321_TranThiBinh"
ing 0 "$ORG" 001085012345 "Nguyễn Văn An" 2 "$S/good"
ing 0 "$ORG" 001085012345 "Nguyễn Văn An" 3 "$S/good3"
ing 0 "$ORG" 001090054321 "Trần Thị Bình" 2 "$S/other"
ing 0 "$ORG" 001090054321 "Trần Thị Bình" 3 "$S/other3"

# ---- ingest: a CCCD that already has a dossier under another name or organisation ----
ing 2 "$ORG" 001085012345 "Trần Văn Bảo" 5 "$S/other"
assert_contains "$ERR" "name.cccd_duplicate" "another name"
assert_contains "$ERR" "$A" "the other folder named"
[ ! -e "$ORG/001085012345_TranVanBao" ] || fail "a second dossier folder was made"
ing 2 "$ORG2" 001085012345 "Nguyễn Văn An" 5 "$S/other"
assert_contains "$ERR" "$A" "another organisation"
[ ! -e "$ORG2" ] || fail "an organisation folder was made for the refused document"
ing 0 "$ORG" 001085012345 "Nguyễn Văn An" 5 "$S/other" # the dossier itself: accepted
rm "$A/05.Quyet dinh ket nap dang vien.pdf"
n=$(sqlite3 .sohoa/ledger.db "SELECT count(*) FROM dossiers")
assert_eq "$n" 2 "dossiers in the ledger"

# ---- name check: a copy of the dossier under another organisation ----
mkdir -p "$ORG2/001085012345_NguyenVanAn"
cp "$A"/*.pdf "$ORG2/001085012345_NguyenVanAn/"
A2="$ORG2/001085012345_NguyenVanAn"
run_sohoa 1 name check .
assert_contains "$OUT" "./$A: error name.cccd_duplicate: CCCD 001085012345 is also the CCCD of the dossier ./$A2"
assert_contains "$OUT" "./$A2: error name.cccd_duplicate: CCCD 001085012345 is also the CCCD of the dossier ./$A"
assert_not_contains "$OUT" "TranThiBinh: error" "the other dossier"
run_sohoa 1 --json name check .
assert_eq "$(json_get "$OUT" "sorted(f['path'] for f in d['findings'] if f['code'] == 'name.cccd_duplicate')")" \
  "['./$A', './$A2']" "the two folders of one CCCD"
assert_eq "$(json_get "$OUT" "[f['severity'] for f in d['findings'] if f['code'] == 'name.cccd_duplicate']")" \
  "['error', 'error']"
# A part of the workspace is compared with the organisation folders beside it.
run_sohoa 1 name check "$ORG2"
assert_contains "$OUT" "$A2: error name.cccd_duplicate: CCCD 001085012345 is also the CCCD of the dossier $A"
run_sohoa 1 name check "$A"
assert_contains "$OUT" "$A: error name.cccd_duplicate: CCCD 001085012345 is also the CCCD of the dossier $ORG2/001085012345_NguyenVanAn"
(cd "$A2" && "$SOHOA" name check . >"$TMP/.o" 2>&1) && fail "name check . in the copy passed"
assert_contains "$(cat "$TMP/.o")" "../../$A" "seen from inside the dossier"
# Another name, same organisation, a name read leniently: every folder names the others.
mkdir -p "$ORG/001085012345 - Tran Van Bao"
run_sohoa 1 --json name check .
assert_eq "$(json_get "$OUT" "len([f for f in d['findings'] if f['code'] == 'name.cccd_duplicate'])")" 3
assert_contains "$(json_get "$OUT" "[f['message'] for f in d['findings'] if f['code'] == 'name.cccd_duplicate' and f['path'] == './$A'][0]")" \
  "the dossiers ./$ORG/001085012345 - Tran Van Bao, ./$A2"
rmdir "$ORG/001085012345 - Tran Van Bao"
# A single file is judged on its own name.
run_sohoa 0 name check "$A/02.Ly lich dang vien.pdf"

# ---- validate: both dossiers and every file in them fail; the ledger records it ----
run_sohoa 1 --json validate .
J=$OUT
status_of() { json_get "$J" "[f['status'] for f in d['files'] if f['path'] == './$1'][0]"; }
codes_of() { json_get "$J" "sorted(x['code'] for f in d['files'] if f['path'] == './$1' for x in f['findings'])"; }
for dossier in "$A" "$A2"; do
  assert_eq "$(status_of "$dossier")" fail "the dossier $dossier"
  assert_contains "$(codes_of "$dossier")" "'name.cccd_duplicate'"
  for f in "02.Ly lich dang vien.pdf" "03.Phieu dang vien.pdf"; do
    assert_eq "$(status_of "$dossier/$f")" fail "$dossier/$f"
    assert_eq "$(codes_of "$dossier/$f")" "['name.cccd_duplicate']" "$dossier/$f"
  done
done
assert_eq "$(status_of "$B/02.Ly lich dang vien.pdf")" pass "the other dossier"
assert_eq "$(status_of "$B")" pass "the other dossier's folder"
got=$(sqlite3 .sohoa/ledger.db "SELECT verdict FROM validations WHERE path LIKE '%001085012345_NguyenVanAn/%' ORDER BY path")
assert_eq "$(echo $got)" "fail fail fail fail" "the verdicts recorded"
run_sohoa 1 validate . --html "$TMP/dup.html"
assert_contains "$OUT" "./$A/ — FAILED"
assert_not_contains "$OUT" "Everything passed"
assert_contains "$(cat "$TMP/dup.html")" "is also the CCCD of the dossier" "the HTML report"
# The copy removed: the dossier passes again.
rm -r "$A2"
run_sohoa 0 validate "$A"
assert_contains "$OUT" "Everything passed: the files can be signed."

# ---- names that are not UTF-8 ----
BAD=$(printf 'a\xff')
mkdir -p "$S/$BAD"
cp "$S/other/scan-001.tif" "$S/$BAD/"
ing 0 "$ORG" 001090054321 "Trần Thị Bình" 4 "$S/$BAD"
details=$(sqlite3 .sohoa/ledger.db "SELECT details FROM audit WHERE action = 'document.ingest' ORDER BY id DESC LIMIT 1")
assert_contains "$details" '"sources":[{"path":"' "the audit details of a source folder that is not UTF-8"
assert_contains "$details" 'a\\xFF/scan-001.tif' "the source's name, its odd byte written out"
assert_contains "$details" '"sha256":"' "the source's sha256"
rm "$B/04.Phieu bo sung ho so dang vien.pdf"
cp "$B/02.Ly lich dang vien.pdf" "$B/$(printf '10.Ly\xff.pdf')"
cp "$B/03.Phieu dang vien.pdf" "$B/$(printf '11.Ly\xfe.pdf')"
before=$(sqlite3 .sohoa/ledger.db "SELECT count(*) FROM validations WHERE path LIKE '$B/%'")
run_sohoa 1 --json validate "$B"
J=$OUT
after=$(sqlite3 .sohoa/ledger.db "SELECT count(*) FROM validations WHERE path LIKE '$B/%'")
assert_eq "$((after - before))" 2 "the verdicts of the dossier's other files are recorded"
assert_eq "$(json_get "$J" "[f['status'] for f in d['files'] if f['path'] == '$B/02.Ly lich dang vien.pdf'][0]")" pass
assert_eq "$(json_get "$J" "sorted(f['path'] for f in d['files'] if '\\\\x' in f['path'])")" \
  "['$B/10.Ly\\\\xFF.pdf', '$B/11.Ly\\\\xFE.pdf']" "two odd names, two entries"
assert_contains "$(json_get "$J" "[x['message'] for f in d['files'] if f['path'] == '$B/10.Ly\\\\xFF.pdf' for x in f['findings'] if x['code'] == 'name.file'][0]")" \
  "not Unicode text"
run_sohoa 0 audit verify
run_sohoa 1 validate "$B"
assert_not_contains "$OUT" "Everything passed"
assert_not_contains "$ERR" "not valid UTF-8"
rm "$B/$(printf '10.Ly\xff.pdf')" "$B/$(printf '11.Ly\xfe.pdf')"
# A folder name that is not UTF-8.
mkdir -p "$ORG/$(printf '001085099999_Nguy\xe1nVanC')"
run_sohoa 1 --json name check "$ORG"
assert_contains "$(json_get "$OUT" "[f['message'] for f in d['findings'] if f['path'] == '$ORG/001085099999_Nguy\\\\xE1nVanC' and f['code'] == 'name.folder'][0]")" \
  "not Unicode text"
rmdir "$ORG/$(printf '001085099999_Nguy\xe1nVanC')"

# ---- validate's summary is never "Everything passed" unless it is true ----
mkdir -p "$TMP/empty"
run_sohoa 0 validate "$TMP/empty"
assert_not_contains "$OUT" "Everything passed"
assert_contains "$OUT" "No PDF document was found"
run_sohoa 3 validate "$TMP/nowhere"
assert_not_contains "$OUT" "Everything passed"
assert_contains "$OUT" "1 of the paths given could not be checked in full"
run_sohoa 3 validate "$TMP/nowhere" "$A"
assert_contains "$OUT" "2 passed, 0 failed" "the readable path is still checked"
assert_not_contains "$OUT" "Everything passed"
run_sohoa 3 --json validate "$TMP/nowhere" "$A"
assert_eq "$(json_get "$OUT" "d['summary']['incomplete']")" 1 "JSON summary"
run_sohoa 3 validate "$TMP/nowhere" "$A" --html "$TMP/r.html"
html=$(cat "$TMP/r.html")
assert_contains "$html" "could not be checked in full" "the HTML report"
assert_not_contains "$html" "All 2 files passed" "the HTML report"
run_sohoa 3 -q validate "$TMP/nowhere"
assert_contains "$OUT" "could not be checked in full" "-q keeps what went wrong"
# A configuration that cannot be read.
cp -r "$W" "$TMP/badconf"
echo "garbage [[" >>"$TMP/badconf/sohoa.ini"
run_sohoa 2 validate "$TMP/badconf/$A"
assert_contains "$ERR" "sohoa.ini"
assert_not_contains "$OUT" "Everything passed"
# A workspace whose ledger is gone.
cp -r "$W" "$TMP/noledger"
rm -f "$TMP/noledger/.sohoa/ledger.db"*
run_sohoa 3 validate "$TMP/noledger/$A"
assert_contains "$ERR" "ledger"
assert_not_contains "$OUT" "Everything passed"
# A folder under the path that cannot be read (as an unprivileged user when run as root).
mkdir -p "$TMP/locked/$ORG2/001090054322_TranThiBinh"
cp -r "$W/$ORG" "$TMP/locked/"
cp "$W/$B"/*.pdf "$TMP/locked/$ORG2/001090054322_TranThiBinh/"
LOCKED="$TMP/locked/$ORG2/001090054322_TranThiBinh"
chmod 000 "$LOCKED"
if [ "$(id -u)" = 0 ]; then
  chmod 755 "$TMP" "$TMP/locked"
  as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
else
  as_user() { "$@"; }
fi
got=0
as_user "$SOHOA" validate "$TMP/locked" >"$TMP/.out" 2>"$TMP/.err" || got=$?
chmod 755 "$LOCKED"
assert_eq "$got" 3 "exit status with an unreadable dossier folder"
assert_contains "$(cat "$TMP/.err")" "$LOCKED"
assert_contains "$(cat "$TMP/.out")" "could not be checked in full"
assert_not_contains "$(cat "$TMP/.out")" "Everything passed"
pass
