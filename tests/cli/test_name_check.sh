#!/usr/bin/env bash
# sohoa name check on real folder trees: a clean tree, a tree breaking each rule once (codes,
# paths, suggestions, as text and JSON), every kind of PATH, with and without a workspace, the
# [naming] settings, unreadable input, several PATHs, Vietnamese output; nothing is changed.
. "$(dirname "$0")/lib.sh"

# The interpreter itself, found once: a version-manager shim in PATH costs a process tree per call.
PY=$(python3 -c 'import sys; print(sys.executable)')
python3() { "$PY" "$@"; }

# nfd TEXT: TEXT decomposed (NFD), as some Mac and old Windows tools write names.
nfd() { python3 -c 'import sys, unicodedata; print(unicodedata.normalize("NFD", sys.argv[1]))' "$1"; }
# mkf PATH...: an empty file, its folders made.
mkf() { for f in "$@"; do mkdir -p "$(dirname "$f")"; : >"$f"; done; }
# jfind JSON CODE PATH FIELD...: the FIELDs of the single finding with this code and path, joined
# by "|" ("absent" for a key the finding does not have; "N findings" unless exactly one matches).
jfind() {
  python3 -c '
import json, sys
d = json.loads(sys.argv[1]); code, path, fields = sys.argv[2], sys.argv[3], sys.argv[4:]
m = [f for f in d["findings"] if f["code"] == code and f["path"] == path]
print("|".join(str(m[0].get(k, "absent")) for k in fields) if len(m) == 1 else "%d findings" % len(m))' "$@"
}
# table JSON: "summary|org_folders|dossiers|files|errors|warnings", then one line per finding,
# "code|path|severity|suggestion|fixable" ("absent" for a key the finding does not have).
table() {
  python3 -c '
import json, sys
d = json.loads(sys.argv[1]); s = d["summary"]
print("|".join(str(v) for v in ["summary", s["org_folders"], s["dossiers"], s["files"], s["errors"], s["warnings"]]))
for f in d["findings"]:
    print("|".join(str(f.get(k, "absent")) for k in ("code", "path", "severity", "suggestion", "fixable")))' "$1"
}
# findings JSON PREFIX: "code path" of every finding whose path starts with PREFIX (removed), sorted.
findings() {
  python3 -c '
import json, sys
d = json.loads(sys.argv[1]); p = sys.argv[2]
for l in sorted(f["code"] + " " + f["path"][len(p):] for f in d["findings"] if f["path"].startswith(p)):
    print(l)' "$1" "$2"
}

L02="02.Ly lich dang vien.pdf"
L02_VI=$(printf '02.L\xc3\xbd l\xe1\xbb\x8bch \xc4\x91\xe1\xba\xa3ng vi\xc3\xaan.pdf') # NFC
Q05_NFD=$(nfd "$(printf '05.Quy\xe1\xba\xbft \xc4\x91\xe1\xbb\x8bnh k\xe1\xba\xbft n\xe1\xba\xa1p \xc4\x91\xe1\xba\xa3ng vi\xc3\xaan.pdf')")
[ "$Q05_NFD" != "$(python3 -c 'import sys,unicodedata; print(unicodedata.normalize("NFC", sys.argv[1]))' "$Q05_NFD")" ] ||
  fail "the NFD name is not decomposed"
G55="55.Giay gioi thieu sinh hoat dang tam thoi"
Q07="07.Quyet dinh cong nhan dang vien chinh thuc"

# ---- a clean workspace: exit 0, the guide's CCCD only a warning ----
new_workspace clean
ORG=clean/93.000.036.001.015
mkf "$ORG/012345678901_NguyenVanA/$L02" \
  "$ORG/012345678901_NguyenVanA/02.Ly lich dang vien_signed.pdf" \
  "$ORG/012345678901_NguyenVanA/01.Ly lich cua nguoi xin vao dang.pdf" \
  "$ORG/001085012345_DoThiHong/02.ly lich dang vien.pdf" \
  "$ORG/001085012345_DoThiHong/$G55.1.pdf" "$ORG/001085012345_DoThiHong/$G55.2.pdf" \
  "$ORG/001085012345_DoThiHong/03.PhieuDangVien.pdf" \
  "$ORG/001085012345_DoThiHong/Thumbs.db" "$ORG/001085012345_DoThiHong/.DS_Store" \
  "clean/01.000.001.002.003/079190012345_TranVanBinh/104.To khai de nghi truy tang huy hieu dang.pdf" \
  "clean/01.000.001.002.003/079190012345_TranVanBinh/100.Phieu bao dang vien duoc cong nhan chinh thuc.pdf"
run_sohoa 0 name check clean
assert_contains "$OUT" "$ORG/012345678901_NguyenVanA: warning name.cccd" "clean check"
assert_contains "$OUT" "2045" "the birth year the CCCD gives"
assert_not_contains "$OUT" " error " "clean check"
assert_eq "$(echo "$OUT" | tail -n 1)" \
  "Checked: organisation folders 2, dossiers 3, files 9. Errors: 0, warnings: 1." "summary line"
run_sohoa 0 --json name check clean
assert_eq "$(json_get "$OUT" 'len(d["findings"])')" "1" "findings of the clean tree"
assert_eq "$(json_get "$OUT" 'd["findings"][0]["severity"]')" "warning"
assert_eq "$(json_get "$OUT" 'd["findings"][0]["code"]')" "name.cccd"
assert_eq "$(json_get "$OUT" 'd["findings"][0]["path"]')" "$ORG/012345678901_NguyenVanA"
assert_eq "$(json_get "$OUT" 'd["summary"]')" \
  "{'org_folders': 2, 'dossiers': 3, 'files': 9, 'errors': 0, 'warnings': 1}" "JSON summary"
run_sohoa 0 --lang vi name check clean
assert_contains "$OUT" "cảnh báo name.cccd" "Vietnamese warning"
assert_contains "$OUT" "Đã kiểm tra" "Vietnamese summary"

# ---- a tree breaking each rule once ----
mkdir site
new_workspace site/ws
W=site/ws
ORG=$W/93.000.036.001.015
D=$ORG/001085012345_DoThiHong
mkf "$W/93.0.36.1.16/001085012349_TranVanB/$L02" \
  "$ORG/999085012345_LeVanC/$L02" \
  "$ORG/00108501234_LeVanD/$L02" \
  "$ORG/001085012346_Le Van E/$L02" \
  "$ORG/001085012347-NguyenVanH/$L02" \
  "$D/$L02_VI" "$D/$Q05_NFD" "$D/3.Phieu dang vien.pdf" \
  "$D/04.Phieu bo sung ho so dang vien.PDF" "$D/06.Quyet dinh ket nap lai.docx" \
  "$D/105.Tai lieu khac.pdf" "$D/$G55.2.pdf" "$D/$Q07.1.pdf" "$D/$Q07.3.pdf" \
  "$D/01.Ly lich cua nguoi xin vao dang.pdf" \
  "$ORG/079190012345_PhamThiF/03.Ly lich dang vien.pdf" \
  "$ORG/079190012346_VuVanG/$L02" "$ORG/079190012346_VuVanG/02.Ly lich dang vien.1.pdf" \
  "$ORG/stray.pdf" "$W/scan-001.pdf" "$W/readme.txt"
mkdir "$D/scans"
echo "nội dung bản quét" >"$D/$G55.2.pdf"
snapshot() { (find site -printf '%p %s %m %T@\n' | LC_ALL=C sort; sha256sum "$D/$G55.2.pdf"); }
snapshot >"$TMP/before"

run_sohoa 1 name check "$W"
# Each finding: the code, the path, the suggestion (the line after the finding).
expect_text() { # CODE PATH [SUGGESTION]
  assert_contains "$OUT" "$2: error $1: " "text output"
  if [ $# -gt 2 ]; then
    assert_contains "$(echo "$OUT" | grep -F -x -A1 -- "$(echo "$OUT" | grep -F -- "$2: error $1: " | head -n1)" | tail -n1)" \
      "→ $3" "suggestion for $2"
  fi
}
expect_text name.folder "$W/93.0.36.1.16" "93.000.036.001.016"
expect_text name.cccd "$ORG/999085012345_LeVanC"
expect_text name.cccd "$ORG/00108501234_LeVanD"
expect_text name.person "$ORG/001085012346_Le Van E" "001085012346_LeVanE"
expect_text name.folder "$ORG/001085012347-NguyenVanH" "001085012347_NguyenVanH"
expect_text name.file "$D/$L02_VI" "$L02"
expect_text name.file "$D/$Q05_NFD" "05.Quyet dinh ket nap dang vien.pdf"
expect_text name.file "$D/3.Phieu dang vien.pdf" "03.Phieu dang vien.pdf"
expect_text name.file "$D/04.Phieu bo sung ho so dang vien.PDF" "04.Phieu bo sung ho so dang vien.pdf"
expect_text name.file "$D/06.Quyet dinh ket nap lai.docx"
expect_text name.unknown_type "$D/105.Tai lieu khac.pdf"
expect_text name.seq "$D/$G55.2.pdf" "$G55.pdf"
expect_text name.seq "$D/$Q07.3.pdf" "$Q07.2.pdf"
expect_text name.folder "$D/scans"
expect_text name.type_mismatch "$ORG/079190012345_PhamThiF/03.Ly lich dang vien.pdf" \
  "03.Phieu dang vien.pdf (to be confirmed)"
expect_text name.duplicate "$ORG/079190012346_VuVanG/$L02"
expect_text name.file "$ORG/stray.pdf"
expect_text name.file "$W/scan-001.pdf"
# Not a document: a warning, so that it is seen (it would not be validated or uploaded).
assert_contains "$OUT" "$W/readme.txt: warning name.file: " "a stray non-document"
assert_contains "$OUT" "not a provincial code" "province message"
assert_contains "$OUT" "exactly 12 digits" "CCCD length message"
assert_not_contains "$OUT" "01.Ly lich cua nguoi xin vao dang.pdf" "an alias is a correct name"
assert_not_contains "$OUT" "$Q07.1.pdf:" "the first of a numbered pair"
assert_not_contains "$OUT" "TranVanB/$L02:" "a correct file in a misnamed organisation folder"
assert_eq "$(echo "$OUT" | tail -n 1)" \
  "Checked: organisation folders 2, dossiers 8, files 18. Errors: 18, warnings: 1." "summary line"

# The same as JSON: one document on stdout, nothing on stderr, the fields of each finding.
run_sohoa 1 --json name check "$W"
assert_eq "$ERR" "" "stderr of a JSON check"
ALL=$OUT
ALLT=$(table "$ALL")
assert_eq "$(json_get "$ALL" 'len(d["findings"])')" "19" "findings"
assert_eq "$(json_get "$ALL" 'd["summary"]')" \
  "{'org_folders': 2, 'dossiers': 8, 'files': 18, 'errors': 18, 'warnings': 1}" "JSON summary"
assert_eq "$(json_get "$ALL" '[f["path"] for f in d["findings"] if f["severity"] != "error"]')" "['$W/readme.txt']" \
  "the only warning"
assert_eq "$(json_get "$ALL" 'all(f["message"] for f in d["findings"])')" "True" "every finding has a message"
expect_json() { # CODE PATH SUGGESTION FIXABLE [SEVERITY]
  assert_contains "
$ALLT
" "
$1|$2|${5:-error}|$3|$4
" "the finding $1 at $2 (code|path|severity|suggestion|fixable)"
}
expect_json name.folder "$W/93.0.36.1.16" "93.000.036.001.016" True
expect_json name.cccd "$ORG/999085012345_LeVanC" absent absent
expect_json name.cccd "$ORG/00108501234_LeVanD" absent absent
expect_json name.person "$ORG/001085012346_Le Van E" "001085012346_LeVanE" True
expect_json name.folder "$ORG/001085012347-NguyenVanH" "001085012347_NguyenVanH" True
expect_json name.file "$D/$L02_VI" "$L02" True
expect_json name.file "$D/$Q05_NFD" "05.Quyet dinh ket nap dang vien.pdf" True
expect_json name.file "$D/3.Phieu dang vien.pdf" "03.Phieu dang vien.pdf" True
expect_json name.file "$D/04.Phieu bo sung ho so dang vien.PDF" "04.Phieu bo sung ho so dang vien.pdf" True
expect_json name.file "$D/06.Quyet dinh ket nap lai.docx" absent absent
expect_json name.unknown_type "$D/105.Tai lieu khac.pdf" absent absent
expect_json name.seq "$D/$G55.2.pdf" "$G55.pdf" True
expect_json name.seq "$D/$Q07.3.pdf" "$Q07.2.pdf" True
expect_json name.folder "$D/scans" absent absent
expect_json name.type_mismatch "$ORG/079190012345_PhamThiF/03.Ly lich dang vien.pdf" \
  "03.Phieu dang vien.pdf" False
expect_json name.duplicate "$ORG/079190012346_VuVanG/$L02" absent absent
expect_json name.file "$ORG/stray.pdf" absent absent
expect_json name.file "$W/scan-001.pdf" absent absent
expect_json name.file "$W/readme.txt" absent absent warning
assert_contains "$(jfind "$ALL" name.duplicate "$ORG/079190012346_VuVanG/$L02" message)" \
  "02.Ly lich dang vien.1.pdf" "the duplicate names the other file"
# The global option may come after the command.
run_sohoa 1 name check --json "$W"
assert_eq "$OUT" "$ALL" "--json after the command"
run_sohoa 1 name check "$W" --json
assert_eq "$OUT" "$ALL" "--json after the path"

# ---- the same tree through every kind of PATH ----
# A parent folder of the workspace: the same findings (site holds nothing else).
run_sohoa 1 --json name check site
assert_eq "$(findings "$OUT" "$W/")" "$(findings "$ALL" "$W/")" "findings via the parent folder"
assert_eq "$(json_get "$OUT" 'd["summary"]')" "$(json_get "$ALL" 'd["summary"]')" "summary via the parent"
# An absolute path, from elsewhere.
(cd / && "$SOHOA" --json name check "$TMP/$W" >"$TMP/abs.json") || [ $? = 1 ] || fail "absolute path"
assert_eq "$(findings "$(cat "$TMP/abs.json")" "$TMP/$W/")" "$(findings "$ALL" "$W/")" "findings via an absolute path"
# From inside, with ".".
(cd "$W" && "$SOHOA" --json name check . >"$TMP/dot.json") || [ $? = 1 ] || fail "check ."
assert_eq "$(findings "$(cat "$TMP/dot.json")" "./")" "$(findings "$ALL" "$W/")" "findings via ."
# The organisation folder: its findings only.
run_sohoa 1 --json name check "$ORG"
assert_eq "$(findings "$OUT" "$ORG/")" "$(findings "$ALL" "$ORG/")" "findings via the organisation folder"
assert_eq "$(findings "$OUT" "")" "$(findings "$OUT" "" | grep -F " $ORG/")" "only the organisation's findings"
assert_eq "$(json_get "$OUT" 'd["summary"]["org_folders"], d["summary"]["dossiers"], d["summary"]["errors"]')" \
  "(1, 7, 16)" "organisation summary"
# The misnamed organisation folder given itself: its own name is checked too.
run_sohoa 1 --json name check "$W/93.0.36.1.16"
assert_eq "$(findings "$OUT" "")" "name.folder $W/93.0.36.1.16" "a misnamed organisation folder"
# The dossier folder.
run_sohoa 1 --json name check "$D"
assert_eq "$(findings "$OUT" "$D/")" "$(findings "$ALL" "$D/")" "findings via the dossier folder"
assert_eq "$(json_get "$OUT" 'len(d["findings"])')" "$(findings "$ALL" "$D/" | wc -l)" "only the dossier's findings"
assert_eq "$(json_get "$OUT" 'd["summary"]["dossiers"], d["summary"]["files"]')" "(1, 10)" "dossier summary"
run_sohoa 1 name check "$ORG/001085012346_Le Van E"
assert_contains "$OUT" "$ORG/001085012346_Le Van E: error name.person" "a misnamed dossier given itself"
run_sohoa 1 name check "$ORG/999085012345_LeVanC/"
assert_contains "$OUT" "error name.cccd" "a dossier with a bad CCCD given itself"
# A single file: its own findings, the seq rules with its siblings.
for cf in "name.file|$L02_VI" "name.file|$Q05_NFD" "name.file|3.Phieu dang vien.pdf" \
  "name.seq|$G55.2.pdf" "name.seq|$Q07.3.pdf" "name.file|06.Quyet dinh ket nap lai.docx" \
  "name.unknown_type|105.Tai lieu khac.pdf"; do
  code=${cf%%|*} f=${cf#*|}
  run_sohoa 1 --json name check "$D/$f"
  assert_eq "$(table "$OUT")" "summary|0|0|1|1|0
$(grep -F -- "$code|$D/$f|" <<<"$ALLT")" "findings of the single file $f"
done
run_sohoa 0 name check "$D/$Q07.1.pdf"
assert_contains "$OUT" "files 1. Errors: 0" "a correct file"
run_sohoa 0 name check "$D/01.Ly lich cua nguoi xin vao dang.pdf"
# A document file outside any dossier folder.
mkf loose/02.Ly\ lich\ dang\ vien.pdf
run_sohoa 1 --json name check "loose/$L02"
assert_eq "$(findings "$OUT" "")" "name.file loose/$L02" "a file outside a dossier"

# ---- several PATHs: findings and counts add up ----
run_sohoa 1 --json name check "$D" "$ORG/079190012346_VuVanG" "$W/93.0.36.1.16"
assert_eq "$(json_get "$OUT" 'd["summary"]')" \
  "{'org_folders': 1, 'dossiers': 3, 'files': 13, 'errors': 11, 'warnings': 0}" "summary of three PATHs"
assert_eq "$(findings "$OUT" "$ORG/079190012346_VuVanG/")" "name.duplicate $L02" "second PATH's findings"
assert_eq "$(findings "$OUT" "$D/" | wc -l)" "9" "first PATH's findings"
run_sohoa 0 name check "$ORG/079190012346_VuVanG/02.Ly lich dang vien.1.pdf" "clean/93.000.036.001.015"
assert_contains "$OUT" "dossiers 2, files 8. Errors: 0, warnings: 1." "a clean pair of PATHs"

# ---- unreadable input: exit 3 naming the path; the other PATHs are still checked ----
run_sohoa 3 name check "$TMP/no/such/folder"
assert_contains "$ERR" "$TMP/no/such/folder" "error for a missing path"
run_sohoa 3 --json name check nope "$ORG/079190012346_VuVanG"
assert_contains "$ERR" "nope"
assert_eq "$(findings "$OUT" "")" "name.duplicate $ORG/079190012346_VuVanG/$L02" "findings beside a missing path"
if [ "$(id -u)" != 0 ]; then
  mkdir -p locked/93.000.036.001.015/001085012345_DoThiHong && chmod 000 locked/93.000.036.001.015
  run_sohoa 3 name check locked
  assert_contains "$ERR" "locked/93.000.036.001.015"
  chmod 755 locked/93.000.036.001.015
fi
# Usage errors.
run_sohoa 2 name check
run_sohoa 2 name check "$W" --apply

# ---- Vietnamese ----
run_sohoa 1 --lang vi name check "$W"
assert_contains "$OUT" "lỗi name.file" "Vietnamese severity"
assert_contains "$OUT" "$D/3.Phieu dang vien.pdf: lỗi name.file" "Vietnamese finding"
assert_contains "$OUT" "Đã kiểm tra" "Vietnamese summary"
assert_not_contains "$OUT" "Checked:" "Vietnamese summary"
run_sohoa 1 name check "$W" --lang vi
assert_contains "$OUT" "lỗi name.duplicate" "--lang after the command"

# ---- outside any workspace: the defaults (spaces allowed, _signed) ----
P=plain/93.000.036.001.015/001085012345_DoThiHong
mkf "$P/$L02" "$P/02.Ly lich dang vien_signed.pdf" "$P/03.PhieuDangVien.pdf" \
  "$P/04.Phieu bo sung ho so dang vien.signed.pdf"
run_sohoa 1 --json name check plain
assert_eq "$(findings "$OUT" "")" "name.file $P/04.Phieu bo sung ho so dang vien.signed.pdf" "defaults"
assert_eq "$(jfind "$OUT" name.file "$P/04.Phieu bo sung ho so dang vien.signed.pdf" suggestion)" \
  "04.Phieu bo sung ho so dang vien_signed.pdf"
(cd plain && "$SOHOA" name check . >"$TMP/out") && fail "check . outside a workspace found no error" || true
assert_contains "$(cat "$TMP/out")" "Errors: 1," "check . outside a workspace"

# ---- a workspace's [naming] settings ----
new_workspace rules
R=rules/93.000.036.001.015/001085012345_DoThiHong
mkf "$R/$L02" "$R/03.PhieuDangVien.pdf" "$R/02.Ly lich dang vien.signed.pdf" "$R/03.PhieuDangVien_signed.pdf"
sed -i 's/^signed_suffix = _signed/signed_suffix = .signed/' rules/sohoa.ini
run_sohoa 1 --json name check rules
assert_eq "$(findings "$OUT" "$R/")" "name.file 03.PhieuDangVien_signed.pdf" "signed_suffix = .signed"
assert_eq "$(jfind "$OUT" name.file "$R/03.PhieuDangVien_signed.pdf" suggestion)" "03.Phieu dang vien.signed.pdf"
assert_contains "$(jfind "$OUT" name.file "$R/03.PhieuDangVien_signed.pdf" message)" ".signed"
sed -i 's/^spaces = allow/spaces = forbid/' rules/sohoa.ini
run_sohoa 1 --json name check rules
assert_eq "$(findings "$OUT" "$R/")" "$(printf '%s\n' "name.file $L02" "name.file 02.Ly lich dang vien.signed.pdf" \
  "name.file 03.PhieuDangVien_signed.pdf")" "spaces = forbid"
assert_eq "$(jfind "$OUT" name.file "$R/$L02" suggestion)" "02.LyLichDangVien.pdf"
assert_eq "$(jfind "$OUT" name.file "$R/02.Ly lich dang vien.signed.pdf" suggestion)" "02.LyLichDangVien.signed.pdf"
assert_eq "$(jfind "$OUT" name.file "$R/03.PhieuDangVien_signed.pdf" suggestion)" "03.PhieuDangVien.signed.pdf"
assert_contains "$(jfind "$OUT" name.file "$R/$L02" message)" "forbid"
# The same from inside the workspace, and for a single file in it.
(cd "$R" && "$SOHOA" name check . >"$TMP/out") || true
assert_contains "$(cat "$TMP/out")" "./$L02: error name.file" "spaces = forbid from inside"
assert_contains "$(cat "$TMP/out")" "→ 02.LyLichDangVien.pdf" "spaces = forbid from inside"
run_sohoa 0 name check "$R/03.PhieuDangVien.pdf"
mkf "$R/04.PhieuBoSungHoSoDangVien.signed.pdf"
run_sohoa 0 name check "$R/04.PhieuBoSungHoSoDangVien.signed.pdf"

# ---- check changed nothing ----
snapshot >"$TMP/after"
diff "$TMP/before" "$TMP/after" >&2 || fail "name check changed the tree"

# ---- a workspace's [naming] settings apply when the PATH is a folder above the workspace:
# "name check PARENT" reports what "name check PARENT/rules" does (regression). ----
mkdir above && mv rules above/
run_sohoa 1 --json name check above/rules
inside=$(findings "$OUT" "above/rules/")
run_sohoa 1 --json name check above
assert_eq "$(findings "$OUT" "above/rules/")" "$inside" \
  "findings via a parent folder of a workspace with spaces = forbid, signed_suffix = .signed"
pass
