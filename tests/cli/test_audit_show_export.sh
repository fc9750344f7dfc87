#!/usr/bin/env bash
# audit show filters and JSON; audit export writes JSON Lines that an inspector can re-verify
# with nothing but SHA-256 (checked here by an independent Python implementation).
. "$(dirname "$0")/lib.sh"
need_tool sqlite3

new_workspace ws
cd ws
for i in 1 2 3; do "$SOHOA" -q audit note "nhận hồ sơ $i" --subject "hồ sơ $i"; done

run_sohoa 0 --json audit show --action audit.note
assert_eq "$(json_get "$OUT" 'd["count"]')" "3"
assert_eq "$(json_get "$OUT" 'd["entries"][0]["subject"]')" "hồ sơ 1"
run_sohoa 0 --json audit show --action workspace
assert_eq "$(json_get "$OUT" 'd["entries"][0]["action"]')" "workspace.init"
run_sohoa 0 --json audit show --action audit.no
assert_eq "$(json_get "$OUT" 'd["count"]')" "0" "prefix that is not a dotted parent"
run_sohoa 0 --json audit show --since 2999-01-01
assert_eq "$(json_get "$OUT" 'd["count"]')" "0"
run_sohoa 0 --json audit show --since "$(date -u +%Y-%m-%d)"
assert_eq "$(json_get "$OUT" 'd["count"]')" "4"
run_sohoa 2 audit show --since yesterday
assert_contains "$ERR" "--since"
run_sohoa 0 audit show
assert_contains "$OUT" "nhận hồ sơ 2"

run_sohoa 0 audit export "$TMP/audit.jsonl"
run_sohoa 2 audit export "$TMP/audit.jsonl"
assert_contains "$ERR" "already exists"
python3 - "$TMP/audit.jsonl" <<'PY'
import hashlib, json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
*entries, trailer = [json.loads(l) for l in lines]
trailer = trailer
prev = "0" * 64
for i, e in enumerate(entries, 1):
    assert e["id"] == i, e
    assert e["prev_hash"] == prev, e
    canonical = json.dumps([e["id"], e["time"], e["station"], e["operator"], e["action"],
                            e["subject"], e["details"]], ensure_ascii=False, separators=(",", ":"))
    h = hashlib.sha256((prev + canonical).encode("utf-8")).hexdigest()
    assert h == e["hash"], (i, h, e["hash"])
    prev = h
assert trailer["format"] == "sohoa-audit-export/1"
assert trailer["intact"] is True
assert trailer["entries"] == len(entries) == 4
assert trailer["head"] == {"id": 4, "hash": prev}, trailer
PY
# The export itself is recorded, under the operator's name.
assert_eq "$(sqlite3 .sohoa/ledger.db "SELECT action FROM audit ORDER BY id DESC LIMIT 1")" "audit.export"
run_sohoa 0 audit verify

# A broken chain still exports (evidence), but says so and exits 1.
sqlite3 .sohoa/ledger.db "UPDATE audit SET subject = 'sửa' WHERE id = 2"
run_sohoa 1 audit export "$TMP/broken.jsonl"
assert_contains "$(tail -n 1 "$TMP/broken.jsonl")" '"intact":false'
pass
