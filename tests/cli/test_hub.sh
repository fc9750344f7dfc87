#!/usr/bin/env bash
# The receiving hub (hub/server.js, @tus/server) judged by an independent tus client
# (tus-js-client, hub/test/upload.mjs) and curl: a package volume uploaded is stored byte for byte,
# `sohoa receive` runs on it and its signed receipt is served (it verifies with openssl cms, names
# the package and each volume's SHA-256, accepted); a second creation of a volume the hub holds
# never truncates it (409 with the upload's URL and offset; 303 to the receipt once there is one);
# bad metadata is 400; a volume whose bytes do not match its announced SHA-256 is refused (460)
# and removed; a package of two volumes is received only once both are complete; a volume with a
# flipped byte (its sha256 metadata matching the flipped bytes) gets a REJECTED receipt with
# receive.decrypt.damaged. Needs hub/node_modules (npm --prefix hub ci; scripts/install-deps.sh).
. "$(dirname "$0")/lib.sh"
need_tool node openssl curl cmp sha256sum base64
. "$SOHOA_SOURCE/tests/pack_fixture.sh"
HUB=$SOHOA_SOURCE/hub

# ---- a signed workspace and three packages for the receiver's key ----
O1=93.000.036.001.015
pfx_workspace ws 2 "$O1"
WS=$PWD
D=("${PFX_DOSSIERS[@]}")
for name in "Đỗ Thị Mười" "Ngô Văn Một"; do # two of ≈ 0.7 MB: two volumes of at most 1 MiB
  pfx_next_cccd
  pfx_dossier "$O1" "$PFX_CCCD" "$name" --big
  D+=("$PFX_LAST")
done
pfx_sign "${D[2]}" "${D[3]}"
pk() { # OUT ARGS...: pack for the hub's receiver into ws/OUT, the volumes in $VOLS
  local out=$1
  shift
  pfx_pack 0 --to "$PFX/receiver.pem" --out "$WS/$out" "$@"
  VOLS=$(ls "$WS/$out/$O1/"*.zip.p7m)
}
pk pa "${D[0]}"
A=$VOLS
[ "$(echo "$A" | wc -l)" = 1 ] || fail "expected one volume for package A: $A"
pk pb --max-volume 1M "${D[2]}" "${D[3]}"
mapfile -t B <<<"$VOLS"
[ ${#B[@]} = 2 ] || fail "expected two volumes for package B (--max-volume 1M): ${B[*]}"
pk pc "${D[1]}"
C=$VOLS
ida() { basename "$1" | cut -c1-26; }
IDA=$(ida "$A") IDB=$(ida "${B[0]}") IDC=$(ida "$C")
cd "$TMP"

# ---- the hub's workspace: [receive] names the receiver's key (relative), its PIN variable, the
# root the stations' signatures chain to and where packages go ----
. "$SOHOA_SOURCE/tests/hub_fixture.sh"
hub_workspace hubws
UP=$HUB_UPLOADS
RC=$HUB_RECEIPTS

# ---- the hub, on a port of its choosing ----
trap 'hub_stop; rm -rf "$TMP"' EXIT
hub_start
URL=$HUB_BASE
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" 200 "GET /healthz"

upload() { # FILE: upload it with tus-js-client; its URL in $LOC
  LOC=$(node "$HUB/test/upload.mjs" "$1" "$URL/files/" "$O1" 2>"$TMP/up.err") ||
    fail "tus-js-client could not upload $(basename "$1"): $(cat "$TMP/up.err"); hub: $(cat "$TMP/hub.log")"
}
wait_receipt() { # ID: wait for the served receipt; saved as $TMP/ID.json and $TMP/ID.json.p7s
  local i
  for i in $(seq 300); do
    [ "$(curl -s -o "$TMP/$1.json" -w '%{http_code}' "$URL/receipts/$1")" = 200 ] && break
    [ "$i" = 300 ] && fail "no receipt served for $1 after 30 s; hub: $(cat "$TMP/hub.log")"
    sleep 0.1
  done
  assert_eq "$(curl -s -o "$TMP/$1.json.p7s" -w '%{http_code} %{content_type}' "$URL/receipts/$1.p7s")" \
    "200 application/pkcs7-signature" "GET /receipts/$1.p7s"
  openssl cms -verify -binary -inform DER -in "$TMP/$1.json.p7s" -content "$TMP/$1.json" \
    -CAfile "$PFX/ca.pem" -purpose any -out /dev/null 2>"$TMP/verify.err" ||
    fail "the receipt served for $1 does not verify: $(cat "$TMP/verify.err")"
  cmp -s "$TMP/$1.json" "$RC/$1.json" || fail "the receipt served for $1 is not the one receive wrote"
  R=$(cat "$TMP/$1.json")
}
sha() { sha256sum "$1" | cut -c1-64; }
b64() { printf '%s' "$1" | base64 -w0; }
meta() { # PACKAGE VOLUME VOLUMES ORG FILENAME SHA256: an Upload-Metadata header value
  printf 'package %s,volume %s,volumes %s,org %s,filename %s,sha256 %s' "$(b64 "$1")" "$(b64 "$2")" \
    "$(b64 "$3")" "$(b64 "$4")" "$(b64 "$5")" "$(b64 "$6")"
}
post() { # LENGTH METADATA: a creation POST; status in $CODE, headers in $TMP/h
  CODE=$(curl -s -o "$TMP/body" -D "$TMP/h" -w '%{http_code}' -X POST -H 'Tus-Resumable: 1.0.0' \
    -H "Upload-Length: $1" -H "Upload-Metadata: $2" "$URL/files/")
}
header() { sed -n "s/^$1: *//Ip" "$TMP/h" | tr -d '\r'; }
patch() { # UPLOAD-URL OFFSET FILE: PATCH FILE's bytes from OFFSET on; status in $CODE
  CODE=$(tail -c +$(($2 + 1)) "$3" | curl -s -o "$TMP/body" -D "$TMP/h" -w '%{http_code}' -X PATCH \
    -H 'Tus-Resumable: 1.0.0' -H "Upload-Offset: $2" -H 'Content-Type: application/offset+octet-stream' \
    --data-binary @- "$1")
}

# ---- package A: uploaded by tus-js-client, stored byte for byte, received, receipt served ----
upload "$A"
assert_eq "$LOC" "$URL/files/$IDA.1" "the upload URL of package A (deterministic: <package>.<volume>)"
cmp -s "$A" "$UP/$IDA.1" || fail "the hub's stored file of $IDA is not the volume sent"
wait_receipt "$IDA"
assert_eq "$(json_get "$R" 'd["package"], d["verdict"], d["findings"]')" "('$IDA', 'accepted', [])" \
  "receipt of A: package, verdict, findings"
assert_eq "$(json_get "$R" '[(v["file"], v["sha256"]) for v in d["volumes"]]')" \
  "[('$(basename "$A")', '$(sha "$A")')]" "receipt of A: its volume and SHA-256"
[ -d "$TMP/hubws/received/$IDA/$O1" ] || fail "package A was not extracted under the [receive] into folder"
assert_eq "$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$URL/receipts/$IDA")" \
  "200 application/json" "GET /receipts/$IDA"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$URL/receipts/$IDB")" 404 "a receipt before its package came"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$URL/files/$IDA.1")" 405 "GET of an upload (not served)"

# a second creation of A's volume: 303 to the receipt, the stored file untouched
post "$(stat -c %s "$A")" "$(meta "$IDA" 1 1 "$O1" "$(basename "$A")" "$(sha "$A")")"
assert_eq "$CODE" 303 "a second creation of a received volume"
assert_eq "$(header Location)" "$URL/receipts/$IDA" "its Location"
cmp -s "$A" "$UP/$IDA.1" || fail "a second creation changed the stored volume of $IDA"

# ---- bad metadata: 400, nothing created ----
SB=$(sha "${B[0]}") FB=$(basename "${B[0]}")
for bad in "$(echo "$IDB" | tr 'A-Z' 'a-z') 1 2 $O1" "${IDB}X 1 2 $O1" "$IDB 0 2 $O1" "$IDB 3 2 $O1" \
  "$IDB 1 1000 $O1" "$IDB x 2 $O1" "$IDB 1 2 93.000.036.001" "$IDB 1 2 93.000.036.001.01a"; do
  set -- $bad
  post 100 "$(meta "$1" "$2" "$3" "$4" "$FB" "$SB")"
  assert_eq "$CODE" 400 "creation with metadata '$bad'"
done
post 100 "$(meta "$IDB" 1 2 "$O1" "$FB" "${SB^^}")"
assert_eq "$CODE" 400 "creation with an upper-case sha256"
post 100 "$(meta "$IDB" 1 2 "$O1" "$IDB.zip.p7m" "$SB")"
assert_eq "$CODE" 400 "creation whose filename is not volume 1 of 2's"
post 100 "package $(b64 "$IDB"),volume $(b64 1)"
assert_eq "$CODE" 400 "creation without org, filename, sha256"
[ -z "$(ls "$UP" | grep "$IDB" || true)" ] || fail "bad metadata created an upload: $(ls "$UP")"

# ---- a digest that does not match: 460 on the last PATCH, the upload removed ----
SZ=$(stat -c %s "${B[0]}")
post "$SZ" "$(meta "$IDB" 1 2 "$O1" "$FB" "$(printf '0%.0s' $(seq 64))")"
assert_eq "$CODE" 201 "creation of B's volume 1 (wrong digest announced)"
patch "$(header Location)" 0 "${B[0]}"
assert_eq "$CODE" 460 "the last PATCH of a volume whose digest does not match"
[ ! -e "$UP/$IDB.1" ] || fail "the volume with the wrong digest was kept"

# ---- package B, two volumes: a partial upload survives a second creation ----
post "$SZ" "$(meta "$IDB" 1 2 "$O1" "$FB" "$SB")"
assert_eq "$CODE" 201 "creation of B's volume 1"
LB=$(header Location)
assert_eq "$LB" "$URL/files/$IDB.1" "the upload URL of B's volume 1"
HALF=$((SZ / 2))
head -c "$HALF" "${B[0]}" >"$TMP/half"
patch "$LB" 0 "$TMP/half"
assert_eq "$CODE" 204 "PATCH of the first half of B's volume 1"
post "$SZ" "$(meta "$IDB" 1 2 "$O1" "$FB" "$SB")"
assert_eq "$CODE" 409 "a second creation of a partial volume"
assert_eq "$(header Location) $(header Upload-Offset)" "$LB $HALF" "its Location and Upload-Offset"
assert_eq "$(stat -c %s "$UP/$IDB.1")" "$HALF" "the partial upload's size after a second creation"
patch "$LB" "$HALF" "${B[0]}"
assert_eq "$CODE" 204 "PATCH of the rest of B's volume 1"
cmp -s "${B[0]}" "$UP/$IDB.1" || fail "B's volume 1 resumed is not the volume sent"
post "$SZ" "$(meta "$IDB" 1 2 "$O1" "$FB" "$SB")"
assert_eq "$CODE $(header Upload-Offset)" "409 $SZ" "a second creation of a complete volume, no receipt yet"
sleep 1
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$URL/receipts/$IDB")" 404 "B's receipt with volume 2 missing"
assert_not_contains "$(cat "$TMP/hub.log")" "receive $IDB" "the hub log (B received before it was whole)"
upload "${B[1]}"
cmp -s "${B[1]}" "$UP/$IDB.2" || fail "B's volume 2 stored is not the volume sent"
wait_receipt "$IDB"
assert_eq "$(json_get "$R" 'd["package"], d["verdict"]')" "('$IDB', 'accepted')" "receipt of B"
assert_eq "$(json_get "$R" 'sorted((v["volume"], v["of"], v["sha256"]) for v in d["volumes"])')" \
  "[(1, 2, '$SB'), (2, 2, '$(sha "${B[1]}")')]" "receipt of B: both volumes and their SHA-256"

# ---- package C with a flipped byte (announced with the flipped bytes' digest): REJECTED ----
cp "$C" "$TMP/$(basename "$C")"
CT=$TMP/$(basename "$C")
"$PY" -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0xFF; open(p, "wb").write(b)' "$CT"
cmp -s "$C" "$CT" && fail "the byte was not flipped"
upload "$CT"
cmp -s "$CT" "$UP/$IDC.1" || fail "C's tampered volume stored is not the one sent"
wait_receipt "$IDC"
assert_eq "$(json_get "$R" 'd["package"], d["verdict"]')" "('$IDC', 'rejected')" "receipt of the tampered C"
assert_contains "$(json_get "$R" 'd["findings"]')" "receive.decrypt.damaged" "the findings of the tampered C"
assert_eq "$(json_get "$R" '[v["sha256"] for v in d["volumes"]]')" "['$(sha "$CT")']" "receipt of C: its SHA-256"
[ ! -e "$TMP/hubws/received/$IDC" ] || fail "the tampered package C was extracted"

# nothing secret in the log, and the staging folder is empty
assert_not_contains "$(cat "$TMP/hub.log")" "p12-pass" "the hub log"
[ -z "$(ls -A "$TMP/hubws/hub/staging")" ] || fail "the hub left files in staging: $(ls -A "$TMP/hubws/hub/staging")"
pass
