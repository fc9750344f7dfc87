#!/usr/bin/env bash
# sohoa import-receipts on real receipts: a package of two volumes packed for the receiver
# (receiver.pem), received by `sohoa receive --into MEDIUM` with the receiver's key; the receipt
# folder it leaves is imported: stored byte for byte beside its signature (openssl cms -verify
# judges the stored copy), in the ledger and the audit chain (audit verify); again: already
# stored, exit 0, in both layouts (MEDIUM/receipts/ and a flat folder) and with --json. A
# receipt re-signed by a CA made here (openssl cms -sign) is refused (exit 1), nothing stored; a
# JSON changed after signing is refused; the rejected receipt of a volume damaged on the way
# (the receiver got other bytes) is refused, naming the digest; an empty or missing folder is
# exit 3; no trust is exit 2. Killed at random moments (10 rounds, each on a fresh copy of the workspace), a run leaves
# nothing the ledger does not know, and the next run stores the receipt.
. "$(dirname "$0")/lib.sh"
need_tool openssl python3 cmp
. "$SOHOA_SOURCE/tests/pack_fixture.sh"

O1=93.000.036.001.015
pfx_workspace ws 1 "$O1"
WS=$PWD
for name in "Đỗ Thị Mười" "Ngô Văn Một"; do
  pfx_next_cccd
  pfx_dossier "$O1" "$PFX_CCCD" "$name" --big
  pfx_sign "$PFX_LAST"
done
export P12PASS
jv() { # JSON EXPR: the expression on the parsed document d
  "$PY" -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}
rows() { # WORKSPACE: the receipts rows, "package verdict path"
  "$PY" -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1] + "/.sohoa/ledger.db")
for r in db.execute("SELECT package_id, verdict, path FROM receipts ORDER BY package_id"):
    print(*r)' "$1"
}
stored_files() { ls -A "$1/.sohoa/receipts" 2>/dev/null | sort | tr '\n' ' '; }

# ---- a package of two volumes for the receiver, received with its key ----
run_sohoa 0 pack --to "$PFX/receiver.pem" --basis "$PFX_BASIS" --pkcs12 "$PFX/org-rsa.p12" \
  --pin-env P12PASS --max-volume 1M
VOLS=("$WS"/packages/$O1/*.zip.p7m)
[ ${#VOLS[@]} = 2 ] || fail "expected two volumes: ${VOLS[*]}"
ID=$(basename "${VOLS[0]}" | cut -c1-26)
MEDIUM=$TMP/medium
mkdir -p "$MEDIUM"
run_sohoa 0 receive "${VOLS[@]}" --pkcs12 "$PFX/receiver.p12" --pin-env P12PASS \
  --trust "$PFX/ca.pem" --into "$MEDIUM"
R=$MEDIUM/receipts/$ID.json
[ -f "$R" ] && [ -f "$R.p7s" ] || fail "sohoa receive wrote no receipt: $(ls -R "$MEDIUM")"

# ---- usage and input errors ----
run_sohoa 2 import-receipts
assert_contains "$ERR" "import-receipts:"
run_sohoa 2 import-receipts "$MEDIUM"
assert_contains "$ERR" "receiver_trust"
mkdir "$TMP/empty"
run_sohoa 3 import-receipts "$TMP/empty" --trust "$PFX/ca.pem"
assert_contains "$ERR" "holds no receipt"
run_sohoa 3 import-receipts "$TMP/no-such-folder" --trust "$PFX/ca.pem" --json
assert_contains "$ERR" "no-such-folder"
assert_eq "$OUT" "" "stdout of a failed --json run"

# ---- a receipt signed by a CA nobody trusts: refused, nothing stored ----
ROGUE=$TMP/rogue
mkdir -p "$ROGUE/medium"
(
  cd "$ROGUE"
  openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=Rogue Root" -days 2 \
    -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign \
    -keyout ca.key -out ca.pem 2>/dev/null
  openssl req -new -newkey rsa:2048 -nodes -subj "/CN=Rogue receiver" -keyout r.key -out r.csr \
    2>/dev/null
  openssl x509 -req -in r.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out r.pem \
    2>/dev/null
  cp "$R" "medium/$ID.json"
  openssl cms -sign -binary -outform DER -in "medium/$ID.json" -signer r.pem -inkey r.key \
    -certfile ca.pem -out "medium/$ID.json.p7s"
) || fail "openssl could not make the rogue receipt"
openssl cms -verify -binary -inform DER -in "$ROGUE/medium/$ID.json.p7s" \
  -content "$ROGUE/medium/$ID.json" -CAfile "$ROGUE/ca.pem" -purpose any -out /dev/null \
  2>/dev/null || fail "the rogue receipt does not verify against its own CA"
run_sohoa 1 import-receipts "$ROGUE/medium" --trust "$PFX/ca.pem"
assert_contains "$OUT" "$ROGUE/medium/$ID.json: refused:"
assert_contains "$OUT" "Rogue receiver"
assert_contains "$OUT" "receiver_trust"
assert_contains "$OUT" "0 stored, 0 already stored, 1 refused"
assert_eq "$(rows "$WS")" "" "receipts rows after a refusal"
assert_eq "$(stored_files "$WS")" "" ".sohoa/receipts after a refusal"

# ---- the receipt's JSON changed after signing: refused ----
mkdir -p "$TMP/changed"
sed 's/"dossiers":\([0-9]\)/"dossiers":9\1/' "$R" >"$TMP/changed/$ID.json"
cp "$R.p7s" "$TMP/changed/"
cmp -s "$R" "$TMP/changed/$ID.json" && fail "the copy was not changed"
run_sohoa 1 import-receipts "$TMP/changed" --trust "$PFX/ca.pem" --json
assert_eq "$(jv "$OUT" '[(r["outcome"], r["package"]) for r in d["receipts"]]')" "[('refused', None)]" "changed"
assert_contains "$(jv "$OUT" 'd["receipts"][0]["error"]')" "does not match its signature"
assert_eq "$(rows "$WS")" "" "receipts rows after a refusal"

# ---- the receiver got other bytes (a volume damaged on the way): its rejected receipt refused ----
DAMAGED=$TMP/damaged
mkdir -p "$DAMAGED/in" "$DAMAGED/medium"
for v in "${VOLS[@]}"; do cp "$v" "$DAMAGED/in/"; done
D2=$DAMAGED/in/$(basename "${VOLS[1]}")
printf 'X' | dd of="$D2" bs=1 seek=4000 conv=notrunc 2>/dev/null
run_sohoa 1 receive "$DAMAGED"/in/*.zip.p7m --pkcs12 "$PFX/receiver.p12" --pin-env P12PASS \
  --trust "$PFX/ca.pem" --into "$DAMAGED/medium"
assert_contains "$(cat "$DAMAGED/medium/receipts/$ID.json")" '"verdict":"rejected"'
run_sohoa 1 import-receipts "$DAMAGED/medium" --trust "$PFX/ca.pem"
assert_contains "$OUT" "the receiver got other bytes"
assert_contains "$OUT" "$(sha256sum "$D2" | cut -d' ' -f1)"
assert_eq "$(rows "$WS")" "" "receipts rows after a refusal"

# ---- imported: stored byte for byte, verified by openssl, in the ledger and the audit chain ----
cp -a "$WS" "$TMP/ws-clean" # for the kill rounds below
run_sohoa 0 import-receipts "$MEDIUM" --trust "$PFX/ca.pem"
assert_contains "$OUT" "$R: stored: package $ID ($O1) accepted by Cổng tiếp nhận hồ sơ"
assert_contains "$OUT" "1 stored, 0 already stored, 0 refused"
S=$WS/.sohoa/receipts/$ID.json
cmp -s "$R" "$S" || fail "the stored receipt is not the receiver's bytes"
cmp -s "$R.p7s" "$S.p7s" || fail "the stored signature is not the receiver's bytes"
openssl cms -verify -binary -inform DER -in "$S.p7s" -content "$S" -CAfile "$PFX/ca.pem" \
  -purpose any -out /dev/null 2>/dev/null || fail "openssl cms -verify refuses the stored receipt"
assert_eq "$(stored_files "$WS")" "$ID.json $ID.json.p7s " ".sohoa/receipts"
assert_eq "$(rows "$WS")" "$ID accepted .sohoa/receipts/$ID.json" "receipts rows"
run_sohoa 0 audit show --action receipt.store --json
assert_eq "$(jv "$OUT" '[(e["subject"], json.loads(e["details"])["package"], json.loads(e["details"])["sha256"]) for e in d["entries"]]')" \
  "[('$O1', '$ID', '$(sha256sum "$R" | cut -d' ' -f1)')]" "the audit entry"
run_sohoa 0 audit verify

# ---- again, with receiver_trust from sohoa.ini (relative to the root) and --json: already ----
cp "$PFX/ca.pem" "$WS/receiver-ca.pem"
sed -i 's|^receiver_trust =.*|receiver_trust = receiver-ca.pem|' "$WS/sohoa.ini"
run_sohoa 0 import-receipts "$MEDIUM" --json
assert_eq "$(jv "$OUT" '[(r["outcome"], r["package"], r["org"], r["verdict"]) for r in d["receipts"]]')" \
  "[('already', '$ID', '$O1', 'accepted')]" "again"
assert_eq "$(jv "$OUT" '(d["stored"], d["already"], d["refused"])')" "(0, 1, 0)" "counts"
assert_eq "$(jv "$OUT" 'd["receipts"][0]["path"]')" "$S" "path"
# the flat layout (<id>.json beside <id>.json.p7s) and the refused one with it: exit 1
mkdir -p "$TMP/flat"
cp "$R" "$R.p7s" "$TMP/flat/"
run_sohoa 0 import-receipts "$TMP/flat"
assert_contains "$OUT" "$TMP/flat/$ID.json: already stored: package $ID"
run_sohoa 1 import-receipts "$ROGUE/medium"
assert_contains "$OUT" "refused"
assert_eq "$(rows "$WS")" "$ID accepted .sohoa/receipts/$ID.json" "receipts rows"
cmp -s "$R" "$S" || fail "the stored receipt changed"
[ "$(ls "$WS"/.sohoa/receipts | wc -l)" = 2 ] || fail "files added: $(ls -A "$WS/.sohoa/receipts")"

# ---- killed at random moments: nothing the ledger does not know; the next run stores it ----
for round in 1 2 3 4 5 6 7 8 9 10; do
  K=$TMP/ws-kill
  rm -rf "$K"
  cp -a "$TMP/ws-clean" "$K"
  (cd "$K" && exec "$SOHOA" import-receipts "$MEDIUM" --trust "$PFX/ca.pem" >/dev/null 2>&1) &
  pid=$!
  sleep "$(printf '0.%03d' $((RANDOM % 250)))" # a run takes about 0.2 s
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # what the killed run left: the receipt is either recorded or not; a file under its name only
  # when recorded (a recorded one not yet in place is finished by the next run)
  row=$(rows "$K")
  if [ -z "$row" ] && [ -e "$K/.sohoa/receipts/$ID.json" ]; then
    fail "round $round: a receipt file the ledger does not know"
  fi
  (cd "$K" && "$SOHOA" import-receipts "$MEDIUM" --trust "$PFX/ca.pem" >"$TMP/.k" 2>&1) ||
    fail "round $round: the run after the kill failed: $(cat "$TMP/.k")"
  assert_eq "$(rows "$K")" "$ID accepted .sohoa/receipts/$ID.json" "round $round: rows"
  assert_eq "$(stored_files "$K")" "$ID.json $ID.json.p7s " "round $round: files"
  cmp -s "$R" "$K/.sohoa/receipts/$ID.json" || fail "round $round: not the receiver's bytes"
  (cd "$K" && "$SOHOA" audit verify >/dev/null 2>&1) || fail "round $round: audit verify"
  [ "$(cd "$K" && "$SOHOA" audit show --action receipt.store --json | grep -o '"receipt.store"' | wc -l)" = 1 ] ||
    fail "round $round: not one receipt.store entry"
done

pass
