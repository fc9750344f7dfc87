#!/usr/bin/env bash
# Members without a CCCD (QĐ-KN Đ17.2): a dossier keyed by the old ID card (CMND, 9 digits) and
# one by the passport number (a capital letter and 7 digits) go through ingest (the folder
# CMND_HoTen / PASSPORT_HoTen, with the warning name.temporary_key, in English and Vietnamese),
# name check and validate (the warning; they still pass), sign, pack (package.json's identity
# kind cmnd and passport, judged with openssl cms and python's zipfile), receive (accepted),
# inventory import (the three kinds accepted, malformed keys refused by line) and handover
# receive (--cccd, and its alias --key). Malformed keys (8 and 10 digits, two letters, a lower
# case letter, a letter and 6 digits) are refused by ingest, inventory and handover; a second
# folder of one CMND is refused by ingest and reported by name check (name.cccd_duplicate).
. "$(dirname "$0")/lib.sh"
need_tool openssl python3 sqlite3
. "$SOHOA_SOURCE/tests/pack_fixture.sh"

O=93.000.036.001.015
pfx_keys
new_workspace ws
cd ws
WS=$PWD
sed -i 's|^stamp_place = .*|stamp_place = fixed|' sohoa.ini # not about the stamp
sql() { sqlite3 -cmd ".timeout 10000" .sohoa/ledger.db "$@"; }
CMND=123456789
PASS=C1234567
DC=$O/${CMND}_NguyenVanAn
DP=$O/${PASS}_TranThiBinh

# ---- ingest: the folders, each with its warning ----
pfx_dossier "$O" "$CMND" "Nguyễn Văn An"
assert_eq "$PFX_LAST" "$DC" "the CMND's dossier folder"
assert_contains "$ERR" "warning name.temporary_key" "ingest of a CMND"
assert_contains "$ERR" "CMND (old ID card) $CMND: the member has no CCCD" "ingest of a CMND"
pfx_dossier "$O" "$PASS" "Trần Thị Bình"
assert_eq "$PFX_LAST" "$DP" "the passport's dossier folder"
assert_contains "$ERR" "passport number $PASS: the member has no CCCD" "ingest of a passport"
pfx_next_cccd
pfx_dossier "$O" "$PFX_CCCD" "Lê Văn Cường" # a CCCD: no such warning
DK=$PFX_LAST
KEY=$PFX_CCCD
assert_not_contains "$ERR" "name.temporary_key" "ingest of a CCCD"
assert_eq "$(sql "SELECT group_concat(cccd, ' ') FROM (SELECT cccd FROM dossiers ORDER BY cccd)")" \
  "$PFX_CCCD $CMND $PASS" "the dossiers' keys in the ledger"

# malformed keys: refused, nothing made
_pfx_page small
for bad in 12345678 1234567890 CD123456 CD1234567 c1234567 C123456; do
  run_sohoa 2 ingest --org "$O" --cccd "$bad" --name "Phạm Văn Đức" --type 2 "$_PFX_PAGE"
  assert_contains "$ERR" "member key \"$bad\" must be a CCCD of exactly 12 digits" "ingest of $bad"
  assert_contains "$ERR" "passport number" "ingest of $bad"
  [ -z "$(ls -d "$O/${bad}"_* 2>/dev/null)" ] || fail "a folder was made for $bad"
done
# one CMND, one dossier
run_sohoa 2 ingest --org "$O" --cccd "$CMND" --name "Nguyễn Văn Anh" --type 5 "$_PFX_PAGE"
assert_contains "$ERR" "CMND (old ID card) $CMND already has a dossier, $DC (name.cccd_duplicate)"
[ ! -e "$O/${CMND}_NguyenVanAnh" ] || fail "a second folder of the CMND"

# ---- name check, in both languages; validate: warnings, and the dossiers pass ----
run_sohoa 0 name check .
assert_contains "$OUT" "./$DC: warning name.temporary_key: CMND (old ID card) $CMND: the member has no CCCD"
assert_contains "$OUT" "./$DP: warning name.temporary_key: passport number $PASS: the member has no CCCD"
assert_contains "$OUT" "links the dossier by it until a CCCD is known"
assert_not_contains "$OUT" "$DK: warning" "a CCCD's dossier"
assert_contains "$OUT" "Errors: 0, warnings: 2"
run_sohoa 0 --lang vi name check .
assert_contains "$OUT" "số CMND (chứng minh nhân dân cũ) $CMND: đảng viên chưa có CCCD" "in Vietnamese"
assert_contains "$OUT" "số hộ chiếu $PASS: đảng viên chưa có CCCD" "in Vietnamese"
run_sohoa 0 name folder --org "$O" --cccd "$PASS" --name "Trần Thị Bình"
assert_contains "$OUT" "$DP"
assert_contains "$ERR" "name.temporary_key"
run_sohoa 0 validate .
assert_contains "$OUT$ERR" "name.temporary_key" "validate"
run_sohoa 0 validate "$DP/02.Ly lich dang vien.pdf" # a file of the passport's dossier on its own
assert_not_contains "$OUT$ERR" "name.file" "a file of the passport's dossier"

# ---- sign and pack: package.json carries the kind ----
pfx_sign .
for d in "$DC" "$DP" "$DK"; do
  [ "$(find "$d" -name '*_signed.pdf' | wc -l)" = 2 ] || fail "$d is not signed: $(cat "$TMP/.pfx-sign")"
done
EC=$PFX/org-ec.pem
pfx_pack 0 --to "$EC"
P=$(ls "$WS"/packages/$O/*.zip.p7m)
[ "$(echo "$P" | wc -l)" = 1 ] || fail "expected one package: $P"
ID=$(basename "$P" .zip.p7m)
openssl cms -decrypt -inform DER -in "$P" -recip "$PFX/other-rsa.pem" -inkey "$PFX/other-rsa.key" \
  -out "$TMP/v.zip" 2>"$TMP/cms.err" || fail "openssl cms -decrypt: $(cat "$TMP/cms.err")"
"$PY" - "$TMP/v.zip" "$ID" "$O" "$CMND" "$PASS" "$DK" <<'EOF' || fail "package.json's identities"
import json, sys, zipfile
z, pid, org, cmnd, passport, dk = sys.argv[1:]
d = json.loads(zipfile.ZipFile(z).read(pid + "/package.json"))
got = {x["folder"]: x["identity"] for x in d["dossiers"]}
want = {
    f"data/{org}/{cmnd}_NguyenVanAn": {"kind": "cmnd", "key": cmnd},
    f"data/{org}/{passport}_TranThiBinh": {"kind": "passport", "key": passport},
    "data/" + dk: {"kind": "cccd", "key": dk.split("/")[1].split("_")[0]},
}
assert got == want, got
names = {x["identity"]["key"]: x["name"] for x in d["dossiers"]}
assert names[cmnd] == "Nguyễn Văn An" and names[passport] == "Trần Thị Bình", names
EOF
# the receiving side accepts the kinds
run_sohoa 0 receive "$P" --pkcs12 "$PFX/org-ec.p12" --pin-env P12PASS --trust "$PFX/ca.pem"
assert_contains "$OUT" "$ID ($O): accepted; dossiers: 3, documents: 6"

# ---- inventory import: the three kinds; malformed keys refused by line ----
{
  echo "org,cccd,name,group"
  echo "$O,$CMND,Nguyễn Văn An,1"
  echo "$O,$PASS,Trần Thị Bình,2"
  echo "$O,$KEY,Lê Văn Cường,3"
  echo "$O,1234567890,Phạm Văn Đức,4"
  echo "$O,CD1234567,Phạm Văn Em,4"
  echo "$O,c7654321,Phạm Văn Giang,4"
  echo "$O,C765432,Phạm Văn Hùng,4"
  echo "$O,12345678,Phạm Văn Khoa,4"
} >inv.csv
run_sohoa 1 inventory import inv.csv
for line in 5 6 7 8; do
  assert_contains "$ERR" "inv.csv:$line: member key" "the malformed key of line $line"
done
assert_contains "$ERR" "inv.csv:9: column \"cccd\": \"12345678\" has lost its leading 0" "an 8-digit key"
assert_contains "$ERR" "type the 9 digits again" "an 8-digit key"
[ "$(grep -c '^inv.csv:' <<<"$ERR")" = 5 ] || fail "expected five refused lines: $ERR"
assert_contains "$OUT" "3 members added, 0 updated, 0 unchanged, 5 refused"
assert_eq "$(sql "SELECT group_concat(member_key, ' ') FROM (SELECT member_key FROM inventory
  ORDER BY member_key)")" "$KEY $CMND $PASS" "the members listed"
# a CMND/CCCD heading
printf 'Mã tổ chức;Số CCCD/CMND;Họ và tên;Nhóm\n%s;%s;Nguyễn Văn An;2\n' "$O" "$CMND" >inv2.csv
run_sohoa 0 inventory import inv2.csv
assert_eq "$(sql "SELECT subject_group FROM inventory WHERE member_key = '$CMND'")" 2 "re-import"

# ---- handover receive: --cccd and --key take the temporary keys ----
run_sohoa 0 handover receive --org "$O" --cccd "$CMND" --pages 12
assert_contains "$OUT" "Received: the paper dossier $O/$CMND"
run_sohoa 0 --json handover receive --org "$O" --key "$PASS" --pages 9
assert_eq "$(json_get "$OUT" "d['cccd']")" "$PASS" "--key"
for bad in 12345678 1234567890 CD123456 c1234567 C123456; do
  run_sohoa 2 handover receive --org "$O" --key "$bad"
  assert_contains "$ERR" "member key \"$bad\"" "handover of $bad"
done
run_sohoa 2 handover receive --org "$O" --cccd "$CMND" --key "$CMND"
assert_contains "$ERR" "--key is another name for --cccd"
run_sohoa 2 handover print x.pdf --key "$CMND"
assert_eq "$(sql "SELECT group_concat(member_key, ' ') FROM (SELECT member_key FROM handovers
  ORDER BY id)")" "$CMND $PASS" "handovers recorded"
run_sohoa 0 handover --help
assert_contains "$OUT" "--key"

# ---- name check: two folders of one CMND ----
mkdir "$O/${CMND}_NguyenVanAnh"
cp "$DC"/02.*_signed.pdf "$O/${CMND}_NguyenVanAnh/"
run_sohoa 1 name check .
assert_contains "$OUT" "./$DC: error name.cccd_duplicate: CMND (old ID card) $CMND is also the key of the dossier ./$O/${CMND}_NguyenVanAnh"
assert_not_contains "$OUT" "$DP: error" "the passport's dossier"

echo "PASS ($TEST_NAME)"
