#!/usr/bin/env bash
# `sohoa upload` over hostile and hardened networks, judged by the real hub (hub/server.js,
# @tus/server) and an independent client:
#   (a) HTTPS with a test CA in [upload] ca_file: the upload completes, the hub's file is ours
#       byte for byte, the receipt is fetched and stored;
#   (b) a server certificate from another CA: refused at once (exit 2), naming the endpoint and
#       the CA file, nothing sent;
#   (c) plain http to an address that is not loopback: refused (exit 2) before any connection;
#   (d) mutual TLS (SOHOA_HUB_CLIENT_CA): refused at once without a client certificate, with a
#       message about it; completes with client_cert and client_key;
#   (e) through tests/fault_proxy.py: 429 with Retry-After: 2 (the next request ≥ 2 s later, from
#       the proxy's log), 503, a connection dropped mid-PATCH and a stall longer than
#       stall_seconds (noticed by the client, counting from the last byte, before the proxy gives up): the upload completes,
#       exit 0, the file identical, and every PATCH the proxy did not cut was sent whole (none
#       left hanging without its body until the stall timer ends it);
#   (f) give_up_after with the hub killed mid-transfer: exit 1 with "run again", the state kept
#       (--status: sending, with the error); the next run, hub back, resumes and completes;
#   (g) tus-js-client (hub/test/upload.mjs, NODE_EXTRA_CA_CERTS) uploads to the HTTPS hub too.
# Needs hub/node_modules (npm --prefix hub ci; scripts/install-deps.sh).
. "$(dirname "$0")/lib.sh"
need_tool node openssl curl cmp python3
. "$SOHOA_SOURCE/tests/pack_fixture.sh"

# ---- a signed workspace: three small packages (a, b/d, g) and two of ≈ 1.3 MB (e, f), all
# encrypted to the hub's receiver key ----
O1=93.000.036.001.015
pfx_workspace ws 3 "$O1"
WS=$PWD
D=("${PFX_DOSSIERS[@]}")
for name in "Đỗ Thị Mười" "Ngô Văn Một"; do
  pfx_next_cccd
  pfx_dossier "$O1" "$PFX_CCCD" "$name" --huge
  D+=("$PFX_LAST")
done
pfx_sign "${D[3]}" "${D[4]}"
pk() { # OUT DOSSIER: one package of one volume for the hub's receiver, its path in $VOL, ID in $ID
  pfx_pack 0 --to "$PFX/receiver.pem" --out "$WS/$1" "$2"
  VOL=$(ls "$WS/$1/$O1/"*.zip.p7m)
  [ "$(echo "$VOL" | wc -l)" = 1 ] || fail "expected one volume in $1: $VOL"
  ID=$(basename "$VOL" | cut -c1-26)
}
pk pa "${D[0]}"
VA=$VOL IDA=$ID
pk pb "${D[1]}"
VB=$VOL IDB=$ID
pk pg "${D[2]}"
VG=$VOL
pk pe "${D[3]}"
VE=$VOL IDE=$ID
pk pf "${D[4]}"
VF=$VOL IDF=$ID

ini_set() { # KEY VALUE: in [upload] of the station's sohoa.ini
  bash "$SOHOA_SOURCE/scripts/ini-set.sh" "$WS/sohoa.ini" upload "$1" "$2"
  grep -qx "$1 = $2" "$WS/sohoa.ini" || fail "could not set [upload] $1 in $WS/sohoa.ini"
}
ini_set receiver_trust "$PFX/ca.pem"
ini_set give_up_after 20

# ---- the hub, over HTTPS with a test CA ----
cd "$TMP"
. "$SOHOA_SOURCE/tests/hub_fixture.sh"
hub_workspace hubws
hub_tls_files
PROXY_PID=
UPLOAD_PID=
trap 'kill -9 $UPLOAD_PID $PROXY_PID 2>/dev/null; hub_stop; rm -rf "$TMP"' EXIT
TLS_ENV=(SOHOA_HUB_TLS_CERT="$HUB_TLS/server.pem" SOHOA_HUB_TLS_KEY="$HUB_TLS/server.key")
HUB_ENV=("${TLS_ENV[@]}")
hub_start
case $HUB_URL in https://127.0.0.1:*/files/) ;; *) fail "the hub with TLS files is not on https: $HUB_URL" ;; esac
assert_eq "$(curl -s --cacert "$HUB_TLS/ca.pem" "$HUB_BASE/healthz")" ok "GET /healthz over HTTPS"

up() { # STATUS ARGS...: sohoa upload in the station's workspace; its time in $SECS
  local s e
  s=$(date +%s%N)
  (cd "$WS" && run_sohoa "$@")
  e=$(date +%s%N)
  SECS=$(((e - s) / 1000000000))
  OUT=$(cat "$TMP/.out")
  ERR=$(cat "$TMP/.err")
}
stage() { # ID: the package's stage in upload --status --json
  (cd "$WS" && "$SOHOA" upload --status --json) >"$TMP/status.json" || fail "upload --status --json failed"
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(next(p["stage"] for p in d["packages"] if p["id"] == sys.argv[2]))' "$TMP/status.json" "$1"
}
status_field() { # ID FIELD
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(next(p[sys.argv[3]] for p in d["packages"] if p["id"] == sys.argv[2]))' "$TMP/status.json" "$1" "$2"
}
stored() { # VOLUME ID: the hub holds VOLUME byte for byte as upload ID.1
  cmp -s "$1" "$HUB_UPLOADS/$2.1" || fail "the hub's file $2.1 is not $(basename "$1"): $(ls -l "$HUB_UPLOADS")"
}
receipt_stored() { # ID: the hub made the receipt, and upload stored it (a rerun fetches it)
  local i
  for i in $(seq 300); do
    [ -f "$HUB_RECEIPTS/$1.json" ] && break
    [ "$i" = 300 ] && fail "the hub made no receipt for $1: $(cat "$TMP/hub.log")"
    sleep 0.1
  done
  sleep 0.2 # the signature is written first, then the JSON: let the pair settle
  [ -f "$WS/.sohoa/receipts/$1.json" ] || up 0 upload "$2" --to "$HUB_URL"
  [ -f "$WS/.sohoa/receipts/$1.json" ] && [ -f "$WS/.sohoa/receipts/$1.json.p7s" ] ||
    fail "no receipt stored for $1 in .sohoa/receipts: $(ls -A "$WS/.sohoa/receipts" 2>&1)"
  cmp -s "$HUB_RECEIPTS/$1.json" "$WS/.sohoa/receipts/$1.json" ||
    fail "the stored receipt of $1 is not the hub's"
  assert_eq "$(stage "$1")" accepted "the stage of $1 after its receipt"
}

# ---- (g) tus-js-client, an independent client, trusts the test CA through NODE_EXTRA_CA_CERTS ----
LOC=$(NODE_EXTRA_CA_CERTS="$HUB_TLS/ca.pem" node "$SOHOA_SOURCE/hub/test/upload.mjs" "$VG" "$HUB_URL" \
  "$O1" 2>"$TMP/js.err") || fail "tus-js-client could not upload over HTTPS: $(cat "$TMP/js.err")"
IDG=$(basename "$VG" | cut -c1-26)
assert_eq "$LOC" "$HUB_BASE/files/$IDG.1" "the upload URL tus-js-client got over HTTPS"
stored "$VG" "$IDG"
if node "$SOHOA_SOURCE/hub/test/upload.mjs" "$VA" "$HUB_URL" "$O1" >/dev/null 2>"$TMP/js.err"; then
  fail "tus-js-client uploaded over HTTPS without the test CA"
fi
[ ! -e "$HUB_UPLOADS/$IDA.1" ] || fail "an upload without the CA left a file at the hub"

# ---- (a) sohoa upload over HTTPS, ca_file the test CA ----
ini_set ca_file "$HUB_TLS/ca.pem"
up 0 upload "$VA" --to "$HUB_URL"
stored "$VA" "$IDA"
receipt_stored "$IDA" "$VA"

# ---- (b) a server certificate from another CA: refused at once, nothing sent ----
hub_stop
HUB_ENV=(SOHOA_HUB_TLS_CERT="$HUB_TLS/rogue-server.pem" SOHOA_HUB_TLS_KEY="$HUB_TLS/rogue-server.key")
hub_start
up 2 upload "$VB" --to "$HUB_URL"
[ "$SECS" -lt 5 ] || fail "a certificate from another CA took $SECS s to refuse (retried?)"
assert_contains "$ERR" "$HUB_URL" "the refusal of a certificate from another CA (the endpoint)"
assert_contains "$ERR" "$HUB_TLS/ca.pem" "the refusal of a certificate from another CA (the ca_file it trusts)"
assert_not_contains "$(cat "$TMP/hub.log")" "created" "the hub's log after a refused certificate"
[ ! -e "$HUB_UPLOADS/$IDB.1.json" ] || fail "a refused certificate left an upload at the hub: $(ls "$HUB_UPLOADS")"
stage "$IDB" >/dev/null
assert_eq "$(status_field "$IDB" bytes_sent)" 0 "the bytes sent of a package refused by TLS (upload --status)"

# ---- (c) plain http to an address that is not loopback: refused before any connection ----
for to in http://192.0.2.10:1080/files/ http://example.org/files/; do
  up 2 upload "$VB" --to "$to"
  [ "$SECS" -lt 3 ] || fail "plain http to $to took $SECS s to refuse"
  assert_contains "$ERR" "https" "the refusal of plain http to $to"
done

# ---- (d) mutual TLS: without a client certificate refused, with one delivered ----
hub_stop
HUB_ENV=("${TLS_ENV[@]}" SOHOA_HUB_CLIENT_CA="$HUB_TLS/client-ca.pem")
hub_start
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$HUB_TLS/ca.pem" "$HUB_BASE/healthz")" 403 \
  "GET /healthz without a client certificate (mutual TLS)"
up 3 upload "$VB" --to "$HUB_URL"
[ "$SECS" -lt 5 ] || fail "a missing client certificate took $SECS s to refuse (retried?)"
assert_contains "$ERR" "client certificate" "the refusal without a client certificate"
assert_contains "$ERR" "403" "the refusal without a client certificate (the status)"
assert_contains "$(cat "$TMP/hub.log")" "no client certificate was sent" "the hub's log (mutual TLS)"
ini_set client_cert "$HUB_TLS/client.pem"
ini_set client_key "$HUB_TLS/client.key"
up 0 upload "$VB" --to "$HUB_URL"
stored "$VB" "$IDB"
receipt_stored "$IDB" "$VB"
ini_set client_cert ""
ini_set client_key ""
ini_set ca_file ""

# ---- (e) through the fault proxy, over plain HTTP on loopback ----
hub_stop
HUB_ENV=()
hub_start
PLOG=$TMP/proxy.log
python3 "$SOHOA_SOURCE/tests/fault_proxy.py" --upstream "127.0.0.1:$HUB_PORT" --log "$PLOG" \
  --fault 429@2:retry-after=2 --fault 503@3 --fault drop@4 --fault stall@6:seconds=12 \
  >"$TMP/proxy.port" 2>"$TMP/proxy.err" &
PROXY_PID=$!
for _ in $(seq 50); do [ -s "$TMP/proxy.port" ] && break; sleep 0.1; done
PPORT=$(head -1 "$TMP/proxy.port")
[ -n "$PPORT" ] || fail "the fault proxy did not start: $(cat "$TMP/proxy.err")"
ini_set chunk_size 128
ini_set stall_seconds 2
up 0 upload "$VE" --to "http://127.0.0.1:$PPORT/files/"
stored "$VE" "$IDE"
python3 - "$PLOG" <<'EOF' || fail "the proxy's log does not show the faults honoured: $(cat "$PLOG")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
faults = {e["kind"]: e for e in ev if e["event"] == "fault"}
assert set(faults) == {"429", "503", "drop", "stall"}, f"faults injected: {sorted(faults)}"
def next_request(after):
    return next(e for e in ev if e["event"] == "request" and e["n"] > after["n"])
# Retry-After: 2 was honoured
gap = next_request(faults["429"])["t"] - faults["429"]["t"]
assert gap >= 1.95, f"the request after the 429 came {gap:.3f} s later, not >= 2 s"
# the stall was noticed by the client (stall_seconds = 2, plus a backoff under a second and the
# progress callback's one-second tick) long before the proxy cut it (12 s)
gap = next_request(faults["stall"])["t"] - faults["stall"]["t"]
assert 1.9 <= gap < 8, f"the request after the stall came {gap:.3f} s later"
# every PATCH the proxy did not cut was sent whole and answered: none hung without its body
# (as libcurl's own retry of a PATCH on a fresh connection does when it cannot rewind the body)
cut = {e["n"] for e in faults.values()}
answered = {e["n"] for e in ev if e["event"] == "response"}
hung = [e for e in ev if e["event"] == "request" and e["method"] == "PATCH" and e["n"] not in cut | answered]
assert not hung, f"PATCH requests never completed by the client: {hung}; {[e for e in ev if e['event'] == 'close']}"
EOF

# ---- (f) give_up_after: the hub dies mid-transfer (the proxy, with no faults left, stays: it
# counts what is sent), upload gives up with the state kept, the next run resumes ----
ini_set chunk_size 64
ini_set give_up_after 3
ini_set rate_limit 128
PURL=http://127.0.0.1:$PPORT/files/
(cd "$WS" && exec "$SOHOA" upload "$VF" --to "$PURL" >"$TMP/f.out" 2>"$TMP/f.err") &
UPLOAD_PID=$!
for i in $(seq 200); do
  [ "$(stat -c %s "$HUB_UPLOADS/$IDF.1" 2>/dev/null || echo 0)" -ge 262144 ] && break
  [ "$i" = 200 ] && fail "the upload of F did not start: $(cat "$TMP/f.err")"
  sleep 0.05
done
hub_stop
HELD=$(stat -c %s "$HUB_UPLOADS/$IDF.1")
SZ=$(stat -c %s "$VF")
[ "$HELD" -gt 0 ] && [ "$HELD" -lt "$SZ" ] || fail "F was not partly held when the hub died ($HELD of $SZ)"
rc=0
wait "$UPLOAD_PID" || rc=$?
UPLOAD_PID=
assert_eq "$rc" 1 "the exit status of upload with the hub gone for longer than give_up_after ($(cat "$TMP/f.err"))"
assert_contains "$(cat "$TMP/f.err")" "upload again" "the message when upload gives up (run again)"
assert_eq "$(stage "$IDF")" sending "the stage of F after giving up"
case $(status_field "$IDF" error) in "" | None) fail "upload --status keeps no error for F: $(cat "$TMP/status.json")" ;; esac
hub_start "$HUB_PORT"
ini_set rate_limit 0
ini_set give_up_after 20
MARK=$(wc -l <"$PLOG")
up 0 upload "$VF" --to "$PURL"
stored "$VF" "$IDF"
assert_not_contains "$(cat "$TMP/hub.log")" "upload $IDF.1 created" "the hub's log after the restart (F created anew)"
SENT=$(tail -n +$((MARK + 1)) "$PLOG" | python3 -c 'import json, sys
print(sum(e["length"] or 0 for e in map(json.loads, sys.stdin) if e["event"] == "request" and e["method"] == "PATCH"))')
[ "$SENT" -le $((SZ - HELD + 65536)) ] ||
  fail "the second run sent $SENT bytes; the hub held $HELD of $SZ: it did not resume"
[ "$SENT" -ge $((SZ - HELD)) ] || fail "the second run sent $SENT bytes, less than the $((SZ - HELD)) missing"
pass
