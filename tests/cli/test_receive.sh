#!/usr/bin/env bash
# sohoa receive on what sohoa pack makes, with openssl as the outside judge: a valid package is
# accepted, extracted byte for byte as DIR/<id>/<org>/<dossier>/ (the signed files of the
# workspace, and package.json as `openssl cms -decrypt` finds it in the ZIP), and its receipt
# verifies with `openssl cms -verify`; the JSON document has its documented shape; the volumes of
# a split package are received together or refused when one is missing; the wrong key is exit 3,
# a token exit 2 before any PIN; a flipped byte, a bag signed by an untrusted key (--trust of
# another root) and a `../` entry put in by an outside tool (python zipfile, re-encrypted by
# openssl cms) are each rejected with their code, a signed receipt saying so, and nothing
# extracted or left behind; killed at random moments (10 rounds), a run leaves no visible partial
# tree, and the next run removes its hidden folder and receives the package.
. "$(dirname "$0")/lib.sh"
need_tool openssl python3 cmp
. "$SOHOA_SOURCE/tests/pack_fixture.sh"

O1=93.000.036.001.015
pfx_workspace ws 2 "$O1"
WS=$PWD
EC=$PFX/org-ec.pem
IN=$TMP/in
mkdir -p "$IN"
K=(--pkcs12 "$PFX/org-ec.p12" --pin-env P12PASS)
R=("${K[@]}" --trust "$PFX/ca.pem")
export P12PASS
jv() { # JSON EXPR: the expression on the parsed document d
  "$PY" -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}
only_in() { # DIR NAME...: DIR holds exactly these names (no partial tree, no temp file)
  local want="" got n
  for n in "${@:2}"; do want+="$n"$'\n'; done
  want=$(printf '%s' "$want" | sort | tr '\n' ' ')
  got=$(ls -A "$1" | sort | tr '\n' ' ')
  assert_eq "$got" "$want" "the contents of $1"
}
verify_receipt() { # RECEIPT VERDICT
  openssl cms -verify -binary -inform DER -in "$1.p7s" -content "$1" -CAfile "$PFX/ca.pem" \
    -purpose any -out /dev/null 2>/dev/null || fail "the receipt $1 does not verify"
  assert_eq "$(jv "$(cat "$1")" 'd["schema"] + " " + d["verdict"]')" "sohoa-receipt/1 $2" "$1"
}

# ---- one package, for the EC receiver ----
run_sohoa 0 pack --to "$EC" --basis "$PFX_BASIS" --pkcs12 "$PFX/org-rsa.p12" --pin-env P12PASS
P=$(ls "$WS"/packages/$O1/*.zip.p7m)
[ "$(echo "$P" | wc -l)" = 1 ] || fail "expected one package: $P"
ID=$(basename "$P" .zip.p7m)

# the outside judge opens it alone
openssl cms -decrypt -inform DER -in "$P" -recip "$EC" -inkey "$PFX/org-ec.key" -out "$TMP/v.zip" \
  2>/dev/null || fail "openssl cms -decrypt refuses $P"
"$PY" -c 'import zipfile, sys; z = zipfile.ZipFile(sys.argv[1]); open(sys.argv[3], "wb").write(z.read(sys.argv[2] + "/package.json"))' \
  "$TMP/v.zip" "$ID" "$TMP/package.json"

# usage errors: no file, no --trust, a token (before any PIN), the key given twice
run_sohoa 2 receive "${R[@]}"
assert_contains "$ERR" "receive:"
run_sohoa 2 receive "$P" --pkcs12 "$PFX/org-ec.p12" --pin-env P12PASS
assert_contains "$ERR" "--trust"
run_sohoa 2 receive "$P" --pkcs11-module /usr/lib/softhsm/libsofthsm2.so --trust "$PFX/ca.pem"
assert_contains "$ERR" "--pkcs12"
run_sohoa 2 receive "$P" "${R[@]}" --into "$TMP/no-such-folder"
assert_contains "$ERR" "no-such-folder"

# checked only: nothing written anywhere
run_sohoa 0 receive "$P" "${R[@]}"
assert_contains "$OUT" "$ID ($O1): accepted; dossiers: 2, documents: 4"
only_in "$IN"

# received: extracted byte for byte, a receipt that verifies
run_sohoa 0 receive "$P" "${R[@]}" --into "$IN" --json
assert_eq "$(jv "$OUT" 'd["packages"][0]["verdict"]')" accepted "verdict"
assert_eq "$(jv "$OUT" 'd["packages"][0]["id"] == "'"$ID"'" and d["packages"][0]["org"] == "'"$O1"'"')" True "id, org"
assert_eq "$(jv "$OUT" '(d["packages"][0]["dossiers"], d["packages"][0]["documents"], d["packages"][0]["findings"])')" "(2, 4, [])" "counts"
assert_eq "$(jv "$OUT" 'd["receipts"] == [d["packages"][0]["receipt"]]')" True "receipts"
assert_eq "$(jv "$OUT" 'd["packages"][0]["volumes"] == ["'"$P"'"]')" True "volumes"
only_in "$IN" "$ID" receipts
for d in "${PFX_DOSSIERS[@]}"; do
  for f in "$WS/$d"/*_signed.pdf; do
    cmp -s "$f" "$IN/$ID/$d/$(basename "$f")" || fail "$d/$(basename "$f") is not extracted byte for byte"
  done
done
assert_eq "$(find "$IN/$ID" -type f | wc -l)" 5 "files extracted (4 PDFs and package.json)"
cmp -s "$TMP/package.json" "$IN/$ID/package.json" || fail "package.json differs from the ZIP's"
verify_receipt "$IN/receipts/$ID.json" accepted
assert_eq "$(jv "$(cat "$IN/receipts/$ID.json")" 'd["volumes"][0]["sha256"]')" "$(sha256sum "$P" | cut -d' ' -f1)" "the volume's SHA-256 in the receipt"

# again: the folder is left as it is (a warning), exit 0
run_sohoa 0 receive "$P" "${R[@]}" --into "$IN"
assert_contains "$OUT" "receive.extract.exists"

# ---- hostile packages: rejected with their code and a receipt, nothing extracted ----
IN2=$TMP/in2
mkdir -p "$IN2"
rejected() { # FILE CODE [TRUST]: exit 1, the code, a rejected receipt, nothing else in IN2
  local file=$1 code=$2 trust=${3:-$PFX/ca.pem} id
  id=$(basename "$file" | cut -c1-26)
  run_sohoa 1 receive "$file" "${K[@]}" --trust "$trust" --into "$IN2"
  assert_contains "$OUT" "$code" "$file"
  assert_contains "$OUT" "REJECTED"
  verify_receipt "$IN2/receipts/$id.json" rejected
  assert_contains "$(cat "$IN2/receipts/$id.json")" "\"$code\""
  only_in "$IN2" receipts
  rm -rf "$IN2/receipts"
}
mkdir -p "$TMP/bad"
# a byte flipped in the middle
cp "$P" "$TMP/bad/$ID.zip.p7m"
"$PY" -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 1; open(p, "wb").write(b)' "$TMP/bad/$ID.zip.p7m"
rejected "$TMP/bad/$ID.zip.p7m" receive.decrypt.damaged
# signed by a key the receiver does not trust: trust another root only
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=Other -days 2 -keyout "$TMP/other-ca.key" \
  -out "$TMP/other-ca.pem" 2>/dev/null
rejected "$P" receive.signature.untrusted "$TMP/other-ca.pem"
# a "../" entry added by an outside tool, re-encrypted by openssl
"$PY" - "$TMP/v.zip" "$TMP/evil.zip" "$ID" <<'EOF'
import sys, zipfile
src, dst, top = sys.argv[1:4]
with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as out:
    for i in z.infolist():
        out.writestr(i, z.read(i.filename))
    out.writestr(top + "/data/../../evil.pdf", b"%PDF-1.4 evil")
EOF
openssl cms -encrypt -binary -aes-256-gcm -in "$TMP/evil.zip" -outform DER -recip "$EC" \
  -out "$TMP/bad/$ID.evil.zip.p7m" 2>/dev/null || fail "openssl cms -encrypt"
rejected "$TMP/bad/$ID.evil.zip.p7m" receive.zip.name_dotdot
[ ! -e "$TMP/evil.pdf" ] && [ ! -e "$IN2/evil.pdf" ] || fail "the ../ entry was written"

# not encrypted for this key (a new dossier packed for another receiver): exit 3, no receipt
pfx_next_cccd
pfx_dossier "$O1" "$PFX_CCCD" "Lê Văn Chín"
pfx_sign "$PFX_LAST"
run_sohoa 0 pack --to "$PFX/other-rsa.pem" --basis "$PFX_BASIS" --pkcs12 "$PFX/org-rsa.p12" \
  --pin-env P12PASS --out "$WS/rsa-packages" "$WS/$PFX_LAST"
Q=$(ls "$WS"/rsa-packages/$O1/*.zip.p7m)
run_sohoa 3 receive "$Q" "${R[@]}" --into "$IN2"
assert_contains "$OUT" "receive.decrypt.wrong_key"
assert_contains "$OUT" "NOT READ"
only_in "$IN2"

# ---- volumes: two new dossiers, split in two ----
NEW=()
for name in "Đỗ Thị Mười" "Ngô Văn Một"; do
  pfx_next_cccd
  pfx_dossier "$O1" "$PFX_CCCD" "$name" --big
  NEW+=("$PFX_LAST")
done
pfx_sign "${NEW[@]}"
run_sohoa 0 pack --to "$EC" --basis "$PFX_BASIS" --pkcs12 "$PFX/org-rsa.p12" --pin-env P12PASS \
  --out "$WS/split" --max-volume 1M "$WS/${NEW[0]}" "$WS/${NEW[1]}"
mapfile -t V < <(ls "$WS"/split/$O1/*.part*-of-*.zip.p7m)
[ ${#V[@]} = 2 ] || fail "expected two volumes: ${V[*]} $(ls -R "$WS/split")"
VID=$(basename "${V[0]}" | cut -c1-26)
rejected "${V[0]}" receive.volumes.missing
run_sohoa 0 receive "${V[1]}" "${V[0]}" "${R[@]}" --into "$IN2"
assert_contains "$OUT" "$VID ($O1): accepted; dossiers: 2, documents: 4"
for d in "${NEW[@]}"; do
  for f in "$WS/$d"/*_signed.pdf; do
    cmp -s "$f" "$IN2/$VID/$d/$(basename "$f")" || fail "$d/$(basename "$f") is not extracted byte for byte from the volumes"
  done
done
[ -f "$IN2/$VID/package.part1-of-2.json" ] && [ -f "$IN2/$VID/package.part2-of-2.json" ] ||
  fail "the volumes' package.json: $(ls "$IN2/$VID")"
verify_receipt "$IN2/receipts/$VID.json" accepted
assert_eq "$(jv "$(cat "$IN2/receipts/$VID.json")" 'sorted(v["volume"] for v in d["volumes"])')" "[1, 2]" "volumes in the receipt"

# ---- killed at random moments: never a partial tree; the next run sweeps what was left ----
IN3=$TMP/in3
for round in $(seq 1 10); do
  rm -rf "$IN3"
  mkdir -p "$IN3"
  "$SOHOA" receive "${V[@]}" "${R[@]}" --into "$IN3" >/dev/null 2>&1 &
  pid=$!
  sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for e in $(ls -A "$IN3"); do
    case $e in
    receipts | .receiving-*) ;;
    "$VID")
      for d in "${NEW[@]}"; do
        for f in "$WS/$d"/*_signed.pdf; do
          cmp -s "$f" "$IN3/$VID/$d/$(basename "$f")" || fail "round $round: $VID is incomplete"
        done
      done ;;
    *) fail "round $round: $e left in $IN3" ;;
    esac
  done
  # a folder left by a killed run: removed once it is old (a young one may be a live run's)
  find "$IN3" -maxdepth 1 -name '.receiving-*' -exec touch -d '2 hours ago' {} +
  run_sohoa 0 receive "${V[@]}" "${R[@]}" --into "$IN3"
  only_in "$IN3" "$VID" receipts
  verify_receipt "$IN3/receipts/$VID.json" accepted
done

# ---- the defaults from [receive] of a workspace's sohoa.ini (the hub runs receive so) ----
"$SOHOA" init "$TMP/central" --station TW-01 --operator "Người nhận" -q
mkdir -p "$TMP/central/received"
cp "$PFX/org-ec.p12" "$PFX/ca.pem" "$TMP/central/"
sed -i -e 's|^pkcs12 =.*|pkcs12 = org-ec.p12|' -e 's|^pin_env =.*|pin_env = P12PASS|' \
  -e 's|^trust =.*|trust = ca.pem|' -e 's|^into =.*|into = received|' "$TMP/central/sohoa.ini"
run_sohoa 0 --workspace "$TMP/central" receive "$P"
[ -f "$TMP/central/received/receipts/$ID.json" ] ||
  fail "receive did not take into = received from [receive]: $(ls -R "$TMP/central/received")"
verify_receipt "$TMP/central/received/receipts/$ID.json" accepted
# an option on the command line wins over the section
mkdir -p "$TMP/other-into"
run_sohoa 0 --workspace "$TMP/central" receive "$P" --into "$TMP/other-into"
[ -f "$TMP/other-into/receipts/$ID.json" ] || fail "--into did not win over [receive] into"

# ---- in Vietnamese ----
run_sohoa 0 --lang vi receive "$P" "${R[@]}"
assert_contains "$OUT" "chấp nhận"

pass
