#!/usr/bin/env bash
# sohoa handover receive|return|print: each handover a ledger row and a dossier.handover audit
# entry naming the dossier as its folder does; bad codes refused as usage errors with nothing
# recorded; a second receipt, a return before acceptance and a return of a dossier never
# received refused (exit 1, nothing recorded) unless --force REASON, which is recorded; the
# record judged from outside (qpdf --check, pdftotext): the Vietnamese title, CCCDs, names, page
# counts, notes, totals, both signature places, the audit anchor that audit verify checks, the
# station's local day; a day of 60 receipts runs over several pages, the table header on each,
# every row present; a return refused while signed and packed is recorded without --force once
# the receiver's acceptance receipt is stored.
. "$(dirname "$0")/lib.sh"
need_tool qpdf pdftotext sqlite3 openssl
. "$SOHOA_SOURCE/tests/pack_fixture.sh"

O=93.000.036.001.015
O2=93.000.036.001.016
new_workspace ws
cd ws
pfx_next_cccd
pfx_dossier "$O" "$PFX_CCCD" "Trần Thị Bình" # ingested: the name comes from the ledger
D1=$PFX_CCCD
F1=$PFX_LAST
db=.sohoa/ledger.db
sql() { sqlite3 -cmd ".timeout 10000" "$db" "$@"; }
rows() { sql "SELECT count(*) FROM handovers"; }
entries() { sql "SELECT count(*) FROM audit WHERE action = 'dossier.handover'"; }
# json_get with the system interpreter (the one in PATH may be a slow pyenv shim)
json_get() { "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
nothing_recorded() { # WHAT ROWS
  assert_eq "$(rows) $(entries)" "$2 $2" "$1: handover rows and audit entries"
}

# ---- usage errors: nothing recorded ----
run_sohoa 2 handover receive --org 93.000.36.001.015 --cccd "$D1"
assert_contains "$ERR" "M1.M2.M3.M4.M5" "a bad organisation code"
run_sohoa 2 handover receive --org "$O" --cccd 12345
assert_contains "$ERR" "12 digits" "a bad CCCD"
run_sohoa 2 handover receive --org "$O" --cccd 999085000001
assert_contains "$ERR" "999085000001" "a CCCD of no province"
run_sohoa 2 handover receive --org "$O"
assert_contains "$ERR" "--cccd" "no CCCD"
run_sohoa 2 handover receive --org "$O" --cccd "$D1" --pages 0
run_sohoa 2 handover return --org "$O" --cccd "$D1" --day 2026-12-01
run_sohoa 2 handover print
run_sohoa 2 handover print x.pdf --org "$O"
run_sohoa 2 handover hand-over
nothing_recorded "after the usage errors" 0

# ---- a receipt ----
run_sohoa 0 --json handover receive --org "$O" --cccd "$D1" --pages 14 --note "thiếu 1 tờ lý lịch"
assert_eq "$(json_get "$OUT" 'd["recorded"], d["pages"], d["direction"], d["refused"]')" \
  "(True, 14, 'receive', None)" "receive --json"
AID=$(json_get "$OUT" 'd["audit_id"]')
assert_eq "$(sql "SELECT org_code, member_key, direction, pages, note, forced_reason IS NULL, station, audit_id FROM handovers")" \
  "$O|$D1|receive|14|thiếu 1 tờ lý lịch|1|T-01|$AID" "the handovers row"
assert_eq "$(sql "SELECT action, subject, operator FROM audit WHERE id = $AID")" \
  "dossier.handover|$F1|Nguyễn Văn A" "the audit entry names the dossier as its folder"
DET=$(sql "SELECT details FROM audit WHERE id = $AID")
assert_eq "$(json_get "$DET" 'd["direction"], d["org"], d["member_key"], d["pages"], d["note"], d["forced_reason"]')" \
  "('receive', '$O', '$D1', 14, 'thiếu 1 tờ lý lịch', None)" "the audit entry's details"

# ---- refusals: exit 1, what to do, nothing recorded ----
run_sohoa 1 handover receive --org "$O" --cccd "$D1"
assert_contains "$ERR" "has not been returned" "a second receipt"
assert_contains "$ERR" "--force REASON" "a second receipt"
run_sohoa 1 handover return --org "$O" --cccd "$D1" --pages 14
assert_contains "$ERR" "not accepted by the receiver yet" "a return before acceptance"
assert_contains "$ERR" "--force REASON" "a return before acceptance"
run_sohoa 1 --json handover return --org "$O" --cccd "$D1"
assert_eq "$(json_get "$OUT" 'd["recorded"], d["audit_id"]')" "(False, None)" "refused return --json"
assert_contains "$(json_get "$OUT" 'd["refused"]')" "not accepted" "refused return --json"
pfx_next_cccd
D2=$PFX_CCCD # never received, not ingested
run_sohoa 1 handover return --org "$O" --cccd "$D2"
assert_contains "$ERR" "never received" "a return without a receipt"
nothing_recorded "after the refusals" 1

# ---- a forced return, and a second receipt with a reason ----
REASON="chi bộ cần hồ sơ để xét kết nạp lại"
run_sohoa 0 --json handover return --org "$O" --cccd "$D1" --force "$REASON"
RID=$(json_get "$OUT" 'd["audit_id"]')
assert_eq "$(sql "SELECT direction, forced_reason, pages IS NULL FROM handovers WHERE audit_id = $RID")" \
  "return|$REASON|1" "the forced return's row"
DET=$(sql "SELECT details FROM audit WHERE id = $RID")
assert_eq "$(json_get "$DET" 'd["direction"], d["forced_reason"], d["stage"] is not None')" \
  "('return', '$REASON', True)" "the forced return's audit entry"
run_sohoa 1 handover return --org "$O" --cccd "$D1"
assert_contains "$ERR" "already returned" "a second return"
run_sohoa 0 handover receive --org "$O" --cccd "$D1" --pages 2 --note "bổ sung 2 tờ"
nothing_recorded "after the forced return and the new receipt" 3
# a record that cannot be written does not hide the handover recorded before it
"$SOHOA" --json handover receive --org "$O" --cccd "$D2" --pages 3 --print "$TMP/no/such/dir/r.pdf" \
  >"$TMP/out.json" 2>"$TMP/err.txt" && fail "receive --print into a missing folder exited 0"
assert_eq "$(json_get "$(cat "$TMP/out.json")" 'd["recorded"], d["record"]')" "(True, None)" \
  "receive --print into a missing folder"
assert_contains "$(cat "$TMP/err.txt")" "$TMP/no/such/dir/r.pdf" "the failed record's message"
run_sohoa 0 handover return --org "$O" --cccd "$D2" --force "nhận nhầm hồ sơ"
nothing_recorded "after the receipt whose record failed, and its return" 5
run_sohoa 0 audit verify

# ---- the record ----
run_sohoa 0 handover print rec.pdf
# the record names members: writing it is logged, with the day and the file, never a name
run_sohoa 0 audit show --action handover.print --json
assert_eq "$(json_get "$OUT" '[(e["subject"], json.loads(e["details"])) for e in d["entries"]]')" \
  "[('$(date +%Y-%m-%d)', {'day': '$(date +%Y-%m-%d)', 'file': 'rec.pdf'})]" "the audit entry of the printed record"
assert_not_contains "$OUT" "Trần Thị Bình" "the audit entry of the printed record"
qpdf --check rec.pdf >/dev/null || fail "qpdf --check rec.pdf: $(qpdf --check rec.pdf 2>&1)"
T=$(pdftotext -layout rec.pdf -)
for s in "BIÊN BẢN GIAO NHẬN HỒ SƠ ĐẢNG VIÊN" "Trạm số hóa: T-01" "$(date +%d/%m/%Y)" "$D1" \
  "Trần Thị Bình" "thiếu 1 tờ lý lịch" "bổ sung 2 tờ" "Cộng: 3 hồ sơ, 19 trang" \
  "Cộng: 2 hồ sơ" "BÊN GIAO" "BÊN NHẬN" "(Ký, ghi rõ họ tên)" "Trang 1/1"; do
  assert_contains "$T" "$s" "the record's text"
done
# the reason wraps in its cell: its lines hold nothing else
assert_contains "$(tr -s ' \n' '  ' <<<"$T")" "Ngoại lệ: $REASON" "the forced return's reason"
assert_eq "$(grep -c "(Ký, ghi rõ họ tên)" <<<"$T")" 2 "signature lines (a pair per direction)"
# the audit chain's head at printing, which audit verify checks against the ledger
ANCHOR=$(sed -n 's/.*Nhật ký kiểm tra đến mục \([0-9]*:[0-9a-f]\{64\}\).*/\1/p' <<<"$T")
assert_eq "${ANCHOR%%:*}" "$(sql "SELECT max(id) FROM audit WHERE action != 'handover.print'")" \
  "the record's audit anchor (the head before the print's own entry)"
run_sohoa 0 audit verify --anchor "$ANCHOR"
grep -E "^ *1 +$O +$D1 +Trần Thị Bình +14 +thiếu 1 tờ lý lịch" <<<"$T" >/dev/null ||
  fail "the first receipt's row: $T"
run_sohoa 2 handover print none.pdf --day 2001-01-01
assert_contains "$ERR" "2001-01-01" "a day without handovers"
[ ! -e none.pdf ] || fail "a record was written for a day without handovers"
run_sohoa 2 handover print none.pdf --day 2026-13-45
# the day is the station's local day: a time zone 14 hours ahead of UTC and one 11 hours behind
# (at any hour, one of them is on another date than UTC)
for tz in Pacific/Kiritimati Pacific/Pago_Pago; do
  TZ=$tz run_sohoa 0 handover print "tz.pdf" --day "$(TZ=$tz date +%Y-%m-%d)"
  assert_contains "$(pdftotext tz.pdf -)" "Ngày $(TZ=$tz date +%d) tháng $(TZ=$tz date +%m)" "$tz: the local date"
done
run_sohoa 0 --json handover print "$TMP/rec2.pdf" --day "$(date +%Y-%m-%d)"
assert_eq "$(json_get "$OUT" 'd["record"]')" "$TMP/rec2.pdf" "print --json"

# ---- a day of many receipts: several pages, every row ----
FAM=(Nguyễn Trần Lê Phạm Hoàng Vũ) MID=(Văn Thị Đức Minh Quốc) GIV=(An Bình Cường Dũng Giang Hải Khánh Lan Mai Nam Oanh Phúc)
name_of() { echo "${FAM[$(($1 % 6))]} ${MID[$(($1 / 6 % 5))]} ${GIV[$(($1 / 30 % 12))]}"; }
cccd_of() { printf '001085020%03d' "$1"; }
{
  echo "org,cccd,name,group"
  for i in $(seq 1 60); do echo "$O2,$(cccd_of "$i"),$(name_of "$i"),4"; done
} >inv.csv
run_sohoa 0 inventory import inv.csv
# 59 rows as receive writes them, in one transaction (a process each would take seconds); the
# 60th by the command, which prints the day
{
  echo "BEGIN;"
  for i in $(seq 1 59); do
    echo "INSERT INTO handovers(org_code, member_key, direction, pages, at, station, operator)" \
      "VALUES ('$O2', '$(cccd_of "$i")', 'receive', $i," \
      "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'T-01', 'Nguyễn Văn A');"
  done
  echo "COMMIT;"
} | sql
run_sohoa 0 handover receive --org "$O2" --cccd "$(cccd_of 60)" --pages 60 --print many.pdf
qpdf --check many.pdf >/dev/null || fail "qpdf --check many.pdf: $(qpdf --check many.pdf 2>&1)"
PAGES=$(qpdf --show-npages many.pdf)
[ "$PAGES" -ge 3 ] || fail "63 receipts on $PAGES pages"
T=$(pdftotext -layout many.pdf -)
for i in $(seq 1 60); do
  grep -E "^ *$((i + 3)) +$O2 +$(cccd_of "$i") +$(name_of "$i") +$i( |$)" <<<"$T" >/dev/null ||
    fail "row $((i + 3)) ($(cccd_of "$i"), $(name_of "$i"), $i pages) missing: $T"
done
assert_contains "$T" "Cộng: 63 hồ sơ, $((14 + 2 + 3 + 60 * 61 / 2)) trang" "the total of many"
for p in $(seq 1 "$PAGES"); do
  TP=$(pdftotext -layout -f "$p" -l "$p" many.pdf -)
  assert_contains "$TP" "Trang $p/$PAGES" "page $p's number"
  # every page holding rows starts its table with the header
  if grep -qE "^ *[0-9]+ +93\." <<<"$TP"; then
    assert_contains "$TP" "Mã tổ chức" "the table header on page $p"
  fi
done

# ---- a return after the receiver's acceptance needs no --force ----
# D3: received, signed (refused: "signed"), packed, delivered and accepted (the return recorded)
pfx_keys
sed -i 's|^stamp_place = .*|stamp_place = fixed|' sohoa.ini
pfx_next_cccd
pfx_dossier "$O" "$PFX_CCCD" "Lê Hoàng Cường"
D3=$PFX_CCCD
F3=$PFX_LAST
run_sohoa 0 handover receive --org "$O" --cccd "$D3" --pages 9
pfx_sign "$F3"
# (no pause: a signature of this very second, stored as "…:SSZ", counts at once)
run_sohoa 1 handover return --org "$O" --cccd "$D3"
assert_contains "$ERR" "(stage: signed)" "a return of a signed dossier"
run_sohoa 0 pack --to "$PFX/receiver.pem" --basis "$PFX_BASIS" --pkcs12 "$PFX/org-rsa.p12" \
  --pin-env P12PASS "$F3"
run_sohoa 1 handover return --org "$O" --cccd "$D3"
assert_contains "$ERR" "(stage: packed)" "a return of a packed dossier"
mkdir "$TMP/medium"
run_sohoa 0 receive "$(ls "$PWD"/packages/$O/*.zip.p7m)" --pkcs12 "$PFX/receiver.p12" \
  --pin-env P12PASS --trust "$PFX/ca.pem" --into "$TMP/medium"
run_sohoa 0 import-receipts "$TMP/medium" --trust "$PFX/ca.pem"
run_sohoa 0 --json handover return --org "$O" --cccd "$D3" --pages 9
AID=$(json_get "$OUT" 'd["audit_id"]')
assert_eq "$(sql "SELECT subject, json_extract(details, '$.stage'), json_extract(details, '$.forced_reason') IS NULL FROM audit WHERE id = $AID")" \
  "$F3|accepted|1" "the return after acceptance"
run_sohoa 0 audit verify
pass
