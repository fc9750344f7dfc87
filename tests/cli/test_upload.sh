#!/usr/bin/env bash
# sohoa upload against the real receiving hub (hub/server.js, @tus/server) over HTTP on loopback:
# (a) a package of two volumes and one of one volume: uploaded whole, the hub's files identical to
#     ours, the receipts fetched, verified and stored (openssl cms judges them), the ledger's
#     uploads, transfers and receipts rows, --status pending before and accepted after;
# (b) a rerun after success sends 0 bytes (also with the files named);
# (c) kill -9 mid-transfer (rate_limit, 64 KiB chunks): the next run resumes at the server's
#     offset (HEAD of the stored URL), the killed attempt is 'interrupted'; killed again, and the
#     ledger's URL lost (a kill between the server's answer and the commit): the hub's 409 with
#     the held upload is adopted, and the bytes sent are the rest of the file only;
# (d) the hub killed and restarted on its port while an upload runs: the upload completes;
# (e) an upload expired on the hub (SOHOA_HUB_EXPIRY_SECONDS=1) left by a killed run: created anew
#     (audit entry package.upload.restart), completes;
# (f) [station] airgapped = true: refused at once (exit 2), pointing to export;
# (g) a receipt that does not verify against receiver_trust (another CA): refused, nothing
#     stored, exit 1; with the right CA and another spelling of the endpoint (a new POST), the
#     hub's 303 says the receipt exists: nothing sent, the receipt stored; before that, with the
#     hub down for longer than give_up_after: exit 1, "run sohoa upload again", the state kept;
# (h) a file that is not a volume of the ledger: exit 3 naming it.
. "$(dirname "$0")/lib.sh"
need_tool node openssl cmp sqlite3
. "$SOHOA_SOURCE/tests/pack_fixture.sh"

O1=93.000.036.001.015
pfx_workspace ws 3 "$O1" # D[0..2]: small; D[3..6]: ≈ 0.7 MB each
WS=$PWD
D=("${PFX_DOSSIERS[@]}")
for name in "Đỗ Thị Mười" "Ngô Văn Một" "Lý Thị Hai" "Mai Văn Ba"; do
  pfx_next_cccd
  pfx_dossier "$O1" "$PFX_CCCD" "$name" --big
  D+=("$PFX_LAST")
done
pfx_sign "${D[@]:3}"

cd "$TMP"
. "$SOHOA_SOURCE/tests/hub_fixture.sh"
hub_workspace hubws
UP_PID=
trap 'hub_stop; if [ -n "$UP_PID" ]; then kill -9 "$UP_PID" 2>/dev/null || true; fi; rm -rf "$TMP"' EXIT
hub_start
cd "$WS"

set_key() { # SECTION KEY VALUE in ws/sohoa.ini
  bash "$SOHOA_SOURCE/scripts/ini-set.sh" sohoa.ini "$@" || fail "cannot set [$1] $2 in sohoa.ini"
}
set_key upload endpoint "$HUB_URL"
set_key upload receiver_trust "$PFX/ca.pem"
set_key upload chunk_size 64

pk() { # ARGS...: pack for the hub's receiver; the new volumes in VOLS (oldest first)
  local before
  before=$(find packages -name '*.zip.p7m' 2>/dev/null | sort || true)
  pfx_pack 0 --to "$PFX/receiver.pem" "$@"
  mapfile -t VOLS < <(comm -13 <(echo "$before") <(find packages -name '*.zip.p7m' | sort))
}
ida() { basename "$1" | cut -c1-26; }
sql() { sqlite3 -batch -noheader .sohoa/ledger.db "$1"; }
size() { stat -c %s "$1"; }
status_of() { # ID: the stage --status --json gives it
  run_sohoa 0 upload --status --json
  json_get "$OUT" "[p['stage'] for p in d['packages'] if p['id'] == '$1'][0]"
}
wait_size() { # FILE BYTES: until FILE has at least BYTES (10 s at most)
  local i
  for i in $(seq 200); do
    [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
    sleep 0.05
  done
  fail "$1 never reached $2 bytes; hub: $(tail -5 "$TMP/hub.log")"
}
upload_bg() { # ARGS...: sohoa upload in the background (UP_PID)
  "$SOHOA" upload "$@" >"$TMP/bg.out" 2>"$TMP/bg.err" &
  UP_PID=$!
}
kill_upload() {
  kill -9 "$UP_PID"
  wait "$UP_PID" 2>/dev/null || true
  UP_PID=
  sleep 0.3 # the hub writes what it was given
}

# ---- (a) two packages, three volumes: delivered whole, receipts stored ----
pk "${D[0]}"
A=${VOLS[0]}
pk --max-volume 1M "${D[3]}" "${D[4]}"
B=("${VOLS[@]}")
[ ${#B[@]} = 2 ] || fail "expected two volumes for package B: ${B[*]}"
IDA=$(ida "$A") IDB=$(ida "${B[0]}")
assert_eq "$(status_of "$IDA") $(status_of "$IDB")" "pending pending" "stages before the upload"
run_sohoa 0 upload --json
assert_eq "$(json_get "$OUT" '[(v["package"], v["volume"], v["sent"] == v["bytes"], v["already"]) for v in d["volumes"]]')" \
  "[('$IDA', 1, True, False), ('$IDB', 1, True, False), ('$IDB', 2, True, False)]" "the volumes sent"
assert_eq "$(json_get "$OUT" 'd["summary"]["sent_volumes"], d["summary"]["receipts"], d["summary"]["bytes_sent"]')" \
  "(3, 2, $(($(size "$A") + $(size "${B[0]}") + $(size "${B[1]}"))))" "the summary"
assert_eq "$(json_get "$OUT" 'sorted((r["package"], r["verdict"]) for r in d["receipts"])')" \
  "$(json_get '0' "sorted([('$IDA', 'accepted'), ('$IDB', 'accepted')])")" "the receipts"
cmp "$A" "$HUB_UPLOADS/$IDA.1" || fail "the hub's copy of $A differs"
cmp "${B[0]}" "$HUB_UPLOADS/$IDB.1" || fail "the hub's copy of ${B[0]} differs"
cmp "${B[1]}" "$HUB_UPLOADS/$IDB.2" || fail "the hub's copy of ${B[1]} differs"
for id in "$IDA" "$IDB"; do
  r=.sohoa/receipts/$id.json
  [ -f "$r" ] && [ -f "$r.p7s" ] || fail "no stored receipt $r with its signature: $(ls -R .sohoa)"
  openssl cms -verify -binary -inform DER -in "$r.p7s" -content "$r" -CAfile "$PFX/ca.pem" \
    -purpose any -out /dev/null 2>"$TMP/verify.err" || fail "the stored receipt $r does not verify: $(cat "$TMP/verify.err")"
  cmp "$r" "$HUB_RECEIPTS/$id.json" || fail "the stored receipt $r is not the hub's"
done
assert_eq "$(sql "SELECT package_id, volume, outcome, bytes = (SELECT bytes FROM package_volumes v WHERE v.package_id = t.package_id AND v.volume = t.volume), channel, target, receipt_sha256 IS NOT NULL FROM transfers t ORDER BY id")" \
  "$IDA|1|sent|1|tus|$HUB_URL|1
$IDB|1|sent|1|tus|$HUB_URL|1
$IDB|2|sent|1|tus|$HUB_URL|1" "the transfer log"
assert_eq "$(sql "SELECT package_id, volume, url, offset = length, complete, error IS NULL FROM uploads ORDER BY package_id, volume")" \
  "$(printf '%s\n' "$IDA|1|$HUB_URL$IDA.1|1|1|1" "$IDB|1|$HUB_URL$IDB.1|1|1|1" "$IDB|2|$HUB_URL$IDB.2|1|1|1" | sort)" "the uploads rows"
assert_eq "$(sql "SELECT package_id, verdict FROM receipts ORDER BY package_id")" \
  "$(printf '%s\n' "$IDA|accepted" "$IDB|accepted" | sort)" "the receipts rows"
assert_eq "$(sql "SELECT COUNT(*) FROM audit WHERE action = 'package.upload'")" 3 "audit entries package.upload"
assert_eq "$(status_of "$IDA") $(status_of "$IDB")" "accepted accepted" "stages after the upload"
run_sohoa 0 upload --status --json
assert_eq "$(json_get "$OUT" "[(p['bytes_sent'] == p['bytes'], p['volumes'], p['error']) for p in d['packages']]")" \
  "[(True, 1, None), (True, 2, None)]" "--status: bytes held, volumes, errors"

# ---- (b) a rerun sends nothing, also with the files named ----
run_sohoa 0 upload --json
assert_eq "$(json_get "$OUT" 'd["summary"]["volumes"], d["summary"]["bytes_sent"]')" "(0, 0)" "a rerun after success"
run_sohoa 0 upload "$A" "${B[1]}"
assert_contains "$OUT" "$IDA volume 1 of 1: already on the server" "a rerun naming the files"
assert_contains "$OUT" "0 bytes sent" "a rerun naming the files"
assert_eq "$(sql "SELECT COUNT(*) FROM transfers")" 3 "transfers after the reruns"

# ---- (h) a file that is no volume of the ledger ----
echo "not a package" >stray.zip.p7m
run_sohoa 3 upload stray.zip.p7m
assert_contains "$ERR" "stray.zip.p7m" "the refusal of a file that is no volume"

# ---- (f) an air-gapped station refuses at once ----
set_key station airgapped true
run_sohoa 2 upload
assert_contains "$ERR" "sohoa export --to DIR" "the air-gapped refusal"
assert_contains "$ERR" "sohoa import-receipts DIR" "the air-gapped refusal"
set_key station airgapped false

# ---- (c) kill -9 mid-transfer, twice; resumed at the server's offset ----
pk "${D[5]}"
C=${VOLS[0]} IDC=$(ida "${VOLS[0]}") SC=$(size "${VOLS[0]}")
set_key upload rate_limit 128
upload_bg
wait_size "$HUB_UPLOADS/$IDC.1" 150000
assert_eq "$(sql "SELECT outcome FROM transfers WHERE package_id = '$IDC'")" started "the transfer row while it runs"
assert_eq "$(sql "SELECT url FROM uploads WHERE package_id = '$IDC'")" "$HUB_URL$IDC.1" "the URL stored while it runs"
kill_upload
OFF1=$(size "$HUB_UPLOADS/$IDC.1")
[ "$OFF1" -lt "$SC" ] || fail "the upload of C was complete before the kill ($OFF1 of $SC bytes)"
upload_bg
wait_size "$HUB_UPLOADS/$IDC.1" $((OFF1 + 100000))
kill_upload
OFF2=$(size "$HUB_UPLOADS/$IDC.1")
[ "$OFF2" -lt "$SC" ] || fail "the upload of C was complete before the second kill"
assert_eq "$(grep -c "upload $IDC.1 created" "$TMP/hub.log")" 1 "creations of C's upload (the second run resumed it)"
# The ledger forgets the URL, as when a kill falls between the server's answer and the commit:
# the hub answers the new POST with 409 and the upload it holds, which is adopted.
sql "DELETE FROM uploads WHERE package_id = '$IDC'"
set_key upload rate_limit 0
run_sohoa 0 upload --json
assert_eq "$(json_get "$OUT" '[(v["package"], v["resumed"], v["sent"]) for v in d["volumes"]]')" \
  "[('$IDC', True, $((SC - OFF2)))]" "the third run of C: resumed at the server's offset $OFF2"
cmp "$C" "$HUB_UPLOADS/$IDC.1" || fail "the hub's copy of $C differs"
assert_eq "$(grep -c "upload $IDC.1 created" "$TMP/hub.log")" 1 "creations of C's upload"
assert_eq "$(sql "SELECT outcome, bytes FROM transfers WHERE package_id = '$IDC' ORDER BY id")" \
  "interrupted|0
interrupted|0
sent|$((SC - OFF2))" "the transfer log of C"
# In all: what the hub held at the first kill, what the second run added, the rest: the file's
# size, with nothing sent twice but the chunk in flight at each kill (lost, not counted).
[ "$OFF2" -gt "$OFF1" ] || fail "the second run did not resume past the first one's $OFF1 bytes"
assert_eq "$(sql "SELECT COUNT(*) FROM receipts WHERE package_id = '$IDC'")" 1 "C's receipt stored"

# ---- (d) the hub killed and restarted while an upload runs ----
pk "${D[6]}"
E=${VOLS[0]} IDE=$(ida "${VOLS[0]}")
set_key upload rate_limit 256
upload_bg --json
wait_size "$HUB_UPLOADS/$IDE.1" 150000
hub_stop
sleep 0.5
hub_start "$HUB_PORT"
wait "$UP_PID" || fail "the upload across the hub's restart exited $?: $(cat "$TMP/bg.err")"
UP_PID=
set_key upload rate_limit 0
cmp "$E" "$HUB_UPLOADS/$IDE.1" || fail "the hub's copy of $E differs after its restart"
OUT=$(cat "$TMP/bg.out")
assert_eq "$(json_get "$OUT" 'd["summary"]["sent_volumes"], d["summary"]["receipts"]')" "(1, 1)" \
  "the upload across the hub's restart"

# ---- (e) an upload expired on the hub: created anew, recorded ----
hub_stop
HUB_ENV=(SOHOA_HUB_EXPIRY_SECONDS=1)
hub_start "$HUB_PORT"
pk "${D[2]}"
F=${VOLS[0]} IDF=$(ida "${VOLS[0]}")
set_key upload rate_limit 32
upload_bg
wait_size "$HUB_UPLOADS/$IDF.1" 20000
kill_upload
sleep 1.2
set_key upload rate_limit 0
set_key upload chunk_size 4096
run_sohoa 0 upload --json
assert_eq "$(json_get "$OUT" '[(v["package"], v["sent"] == v["bytes"]) for v in d["volumes"]]')" \
  "[('$IDF', True)]" "the expired upload sent again whole"
assert_eq "$(sql "SELECT COUNT(*) FROM audit WHERE action = 'package.upload.restart' AND subject LIKE '%$IDF%'")" 1 \
  "the audit entry of the upload created anew"
assert_eq "$(grep -c "upload $IDF.1 created" "$TMP/hub.log")" 2 "creations of F's upload"
cmp "$F" "$HUB_UPLOADS/$IDF.1" || fail "the hub's copy of $F differs"
assert_eq "$(sql "SELECT COUNT(*) FROM receipts WHERE package_id = '$IDF'")" 1 "F's receipt stored"

# ---- (g) a receipt that does not verify; then the hub's 303 to a receipt that does ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=Not the receiver" \
  -keyout "$TMP/other-ca.key" -out "$TMP/other-ca.pem" -days 2 2>/dev/null
set_key upload receiver_trust "$TMP/other-ca.pem"
pk "${D[1]}"
G=${VOLS[0]} IDG=$(ida "${VOLS[0]}")
# first with the hub down for longer than give_up_after: the run stops, its state kept (exit 1)
hub_stop
set_key upload give_up_after 2
run_sohoa 1 upload
assert_contains "$ERR" "run sohoa upload again: it resumes" "a run that gave up"
assert_eq "$(sql "SELECT outcome, error LIKE '%failing for 2 seconds%' FROM transfers WHERE package_id = '$IDG'")" \
  "failed|1" "the transfer row of a run that gave up"
run_sohoa 0 upload --status --json
assert_eq "$(json_get "$OUT" "[(p['stage'], 'failing' in p['error']) for p in d['packages'] if p['id'] == '$IDG']")" \
  "[('pending', True)]" "--status of a package whose upload failed before a byte reached the receiver"
set_key upload give_up_after 900
hub_start "$HUB_PORT"
run_sohoa 1 upload
assert_contains "$ERR" "$IDG" "the refusal of a receipt that does not verify"
[ ! -e ".sohoa/receipts/$IDG.json" ] && [ ! -e ".sohoa/receipts/$IDG.json.p7s" ] ||
  fail "a receipt that does not verify was stored"
assert_eq "$(sql "SELECT COUNT(*) FROM receipts WHERE package_id = '$IDG'")" 0 "receipts rows of G"
assert_eq "$(status_of "$IDG")" received "G's stage without a verified receipt"
set_key upload receiver_trust "$PFX/ca.pem"
run_sohoa 0 upload --json --to "http://localhost:$HUB_PORT/files/"
assert_eq "$(json_get "$OUT" '[(v["package"], v["already"], v["sent"]) for v in d["volumes"]]')" \
  "[('$IDG', True, 0)]" "a new POST of G's volume (the hub's 303)"
assert_eq "$(json_get "$OUT" '[(r["package"], r["verdict"]) for r in d["receipts"]]')" "[('$IDG', 'accepted')]" "G's receipt"
cmp ".sohoa/receipts/$IDG.json" "$HUB_RECEIPTS/$IDG.json" || fail "G's stored receipt is not the hub's"
assert_eq "$(status_of "$IDG")" accepted "G's stage"

# ---- (h) a tus server that gives no receipts: the run that sends waits --receipt-wait, a rerun
# (nothing to send) looks once and does not wait ----
pfx_next_cccd
pfx_dossier "$O1" "$PFX_CCCD" "Trịnh Văn Tám"
pfx_sign "$PFX_LAST"
pk "$PFX_LAST"
H=${VOLS[0]} IDH=$(ida "${VOLS[0]}")
mkdir "$TMP/plain-tus"
python3 "$SOHOA_SOURCE/tests/tus_server.py" --dir "$TMP/plain-tus" >"$TMP/plain-tus.port" 2>/dev/null &
TUS_PID=$!
trap 'kill "$TUS_PID" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$TMP/plain-tus.port" ] && break; sleep 0.1; done
TUS_URL="http://127.0.0.1:$(head -1 "$TMP/plain-tus.port")/files/"
t0=$(date +%s.%N)
run_sohoa 1 upload "$H" --to "$TUS_URL" --receipt-wait 2
t1=$(date +%s.%N)
assert_contains "$ERR" "receipt is not there yet" "a server without receipts"
[ "$(echo "$t1 - $t0 >= 2" | bc)" = 1 ] || fail "the run that sent $IDH did not wait for its receipt"
assert_eq "$(status_of "$IDH")" received "H's stage on a server without receipts"
t0=$(date +%s.%N)
run_sohoa 1 upload "$H" --to "$TUS_URL" --receipt-wait 30
t1=$(date +%s.%N)
assert_contains "$ERR" "receipt is not there yet" "a rerun to a server without receipts"
[ "$(echo "$t1 - $t0 < 10" | bc)" = 1 ] ||
  fail "a rerun with nothing to send waited $(echo "$t1 - $t0" | bc) s for a receipt"
assert_eq "$(sql "SELECT SUM(bytes) FROM transfers WHERE package_id = '$IDH' AND target = '$TUS_URL'")" \
  "$(stat -c %s "$H")" "bytes sent to the server without receipts, over both runs"
kill "$TUS_PID"

pass
