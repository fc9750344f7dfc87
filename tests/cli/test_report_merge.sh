#!/usr/bin/env bash
# sohoa report export and merge (issue 17; docs/progress.md, "Snapshots and the province merge"):
# two stations with inventories of named members export signed snapshots (the signature judged
# by openssl cms; no name, CCCD or file name in any output), the station's copy and its audit
# entry recorded; the province merge sums them, and refuses a tampered file, flags a sequence gap
# and a stale station, and says so in its exit status.
source "$(dirname "$0")/lib.sh"
need_tool openssl
FX=$TMP/keys
bash "$SOHOA_SOURCE/tests/sign_fixtures.sh" "$FX" >/dev/null 2>&1
export P12PASS=p12-pass
key=(--pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS)

"$SOHOA" init ws1 --station HN-XA-01 --operator "Nguyễn Văn A" -q
"$SOHOA" init ws2 --station HN-XA-02 --operator "Trần Văn B" -q
cat >members-secret.csv <<'CSV'
org,cccd,name,group
93.000.036.001.015,001234567890,Nguyễn Thị Hoa,1
93.000.036.001.015,001234567891,Lê Văn Cường,2
93.000.036.001.016,001234567892,Phạm Thu Trang,3
CSV
(cd ws1 && "$SOHOA" inventory import ../members-secret.csv -q)
(cd ws2 && "$SOHOA" inventory import ../members-secret.csv -q)

# ---- export
cd ws1
run_sohoa 0 report export ../a1.json "${key[@]}"
assert_contains "$OUT" "snapshot 1 of station HN-XA-01"
# what it wrote, one line: the snapshot, its signature, the number; no table
assert_eq "$(echo "$OUT" | wc -l)" 1 "export prints one line"
assert_contains "$OUT" "../a1.json and ../a1.json.p7s"
assert_not_contains "$OUT" "organisation" "export's output"
run_sohoa 0 report export ../a2.json "${key[@]}" --json
assert_eq "$(json_get "$OUT" 'd["seq"]')" 2 "the second export's seq"
run_sohoa 0 report export ../a3.json "${key[@]}"
run_sohoa 2 report export ../x.json "${key[@]}" --min-cell 5
run_sohoa 2 report export "${key[@]}"
cmp ../a1.json .sohoa/snapshots/1.json || fail "the station's copy differs from the file exported"
cmp ../a1.json.p7s .sohoa/snapshots/1.json.p7s || fail "the station's copy of the signature differs"
run_sohoa 0 audit show --json
assert_eq "$(json_get "$OUT" 'sum(1 for e in d["entries"] if e["action"] == "report.export")')" 3 \
  "report.export audit entries"
"$SOHOA" audit verify -q || fail "the audit chain does not verify after the exports"
cd ../ws2
run_sohoa 0 report export ../b.json --pkcs12 "$FX/org-ec.p12" --pin-env P12PASS --as-of 2026-11-01
cd ..
for f in a1.json a3.json b.json; do
  openssl cms -verify -binary -inform DER -in "$f.p7s" -content "$f" -CAfile "$FX/ca.pem" \
    -purpose any >/dev/null 2>&1 || fail "openssl cms does not verify $f"
done
a=$(cat a3.json)
assert_eq "$(json_get "$a" 'd["station"], d["seq"], d["total"]["dossiers"]["inventoried"]')" \
  "('HN-XA-01', 3, 3)" "a3.json"
assert_eq "$(json_get "$a" 'len(d["audit_head"]), len(d["inventory_version"])')" "(64, 64)" \
  "the audit head and inventory version"
# sohoa-progress/1 as merge reads it: no priority-1 plan keys in a snapshot
assert_eq "$(json_get "$a" '"priority1_deadline" in d["total"]')" False "a snapshot's keys"

# ---- merge
run_sohoa 1 report merge a3.json b.json a1.json --trust "$FX/ca.pem" --json
assert_eq "$(json_get "$OUT" 'd["total"]["dossiers"]["inventoried"]')" 6 "the sum of the newest"
assert_eq "$(json_get "$OUT" '[(s["station"], s["seq"], s["stale"]) for s in d["stations"]]')" \
  "[('HN-XA-01', 3, False), ('HN-XA-02', 1, True)]" "the stations summed"
assert_eq "$(json_get "$OUT" '[o["dossiers"]["inventoried"] for o in d["organisations"] if o["org"] == "93.000.036.001.015"]')" \
  "[4]" "an organisation's sum"
assert_contains "$ERR" "station.sequence_gap"
assert_contains "$ERR" "station.stale"
merged=$OUT
run_sohoa 0 report merge a3.json --trust "$FX/ca.pem" --csv merged.csv
assert_contains "$OUT" "a3.json: used"
assert_contains "$OUT" "Wrote the CSV table to merged.csv"
[ -s merged.csv ] || fail "merge --csv wrote nothing"
run_sohoa 0 report merge a2.json a3.json --trust "$FX/ca.pem"
assert_contains "$OUT" "a2.json: older"

# a tampered count: refused, the rest go on; nothing usable: 3
sed 's/"inventoried":3,/"inventoried":9,/' a3.json >t.json
cp a3.json.p7s t.json.p7s
run_sohoa 1 report merge t.json b.json --trust "$FX/ca.pem"
assert_contains "$ERR" "t.json: refused"
assert_contains "$OUT" "b.json: used"
run_sohoa 3 report merge t.json --trust "$FX/ca.pem"
# a signer the trust store does not know; no --trust at all
run_sohoa 3 report merge a3.json --trust "$FX/other-rsa.pem"
assert_contains "$ERR" "a3.json: refused"
run_sohoa 2 report merge a3.json

# ---- privacy: no CCCD, name or file name in any snapshot or merge output
for text in "$(cat a1.json a2.json a3.json b.json)" "$merged" "$(cat merged.csv)"; do
  for secret in 00123456789 "Nguyễn Thị Hoa" "Lê Văn Cường" "Phạm Thu Trang" members-secret \
    "Nguyễn Văn A"; do
    assert_not_contains "$text" "$secret" "a snapshot or merge output"
  done
done
echo "ok"
