#!/usr/bin/env bash
# The acceptance of issue 2: 40 notes verify; editing a middle row's text with the sqlite3 tool,
# deleting a row, or swapping two rows makes verify exit 1 naming the entry.
. "$(dirname "$0")/lib.sh"
need_tool sqlite3

new_workspace ws
cd ws
for i in $(seq 1 40); do
  "$SOHOA" -q audit note "Bàn giao hồ sơ giấy số $i" --subject "93.000.036.001.015/0123456789${i}_NguyenVanA"
done
run_sohoa 0 audit verify
assert_contains "$OUT" "41 entries"
cp .sohoa/ledger.db "$TMP/pristine.db"
restore() { rm -f .sohoa/ledger.db-wal .sohoa/ledger.db-shm; cp "$TMP/pristine.db" .sohoa/ledger.db; }

# Edit one text column of a middle row.
sqlite3 .sohoa/ledger.db "UPDATE audit SET details = replace(details, 'số 20', 'số 99') WHERE id = 21"
run_sohoa 1 audit verify
assert_contains "$OUT" "entry 21"
run_sohoa 1 --json audit verify
assert_eq "$(json_get "$OUT" 'd["first_bad"]["id"]')" "21" "first bad entry"
assert_eq "$(json_get "$OUT" 'd["intact"]')" "False" "intact"
restore
run_sohoa 0 audit verify

# The operator column, the time column: the same.
sqlite3 .sohoa/ledger.db "UPDATE audit SET operator = 'Kẻ Gian' WHERE id = 30"
run_sohoa 1 audit verify
assert_contains "$OUT" "entry 30"
restore
sqlite3 .sohoa/ledger.db "UPDATE audit SET time = '2020-01-01T00:00:00.000Z' WHERE id = 5"
run_sohoa 1 audit verify
assert_contains "$OUT" "entry 5"
restore

# Delete a row.
sqlite3 .sohoa/ledger.db "DELETE FROM audit WHERE id = 17"
run_sohoa 1 audit verify
assert_contains "$OUT" "entry 17"
assert_contains "$OUT" "missing"
restore

# Reorder: swap the contents of two rows (ids stay).
sqlite3 .sohoa/ledger.db "
  CREATE TEMP TABLE a AS SELECT * FROM audit WHERE id IN (10, 11);
  UPDATE audit SET time=(SELECT time FROM a WHERE id=11), details=(SELECT details FROM a WHERE id=11),
    subject=(SELECT subject FROM a WHERE id=11), prev_hash=(SELECT prev_hash FROM a WHERE id=11),
    hash=(SELECT hash FROM a WHERE id=11) WHERE id=10;
  UPDATE audit SET time=(SELECT time FROM a WHERE id=10), details=(SELECT details FROM a WHERE id=10),
    subject=(SELECT subject FROM a WHERE id=10), prev_hash=(SELECT prev_hash FROM a WHERE id=10),
    hash=(SELECT hash FROM a WHERE id=10) WHERE id=11;"
run_sohoa 1 audit verify
assert_contains "$OUT" "entry 10"
restore

# Insert: a forged entry with a fresh id in the middle is impossible (ids are consecutive), so
# renumber to make room and insert — the chain breaks at the forged entry.
sqlite3 .sohoa/ledger.db "
  UPDATE audit SET id = id + 1000 WHERE id > 20; UPDATE audit SET id = id - 999 WHERE id > 1000;
  INSERT INTO audit VALUES (21, '2026-01-01T00:00:00.000Z', 'T-01', 'Nguyễn Văn A', 'audit.note', '',
    '{\"text\":\"giả mạo\"}', (SELECT hash FROM audit WHERE id = 20), 'ffff');"
run_sohoa 1 audit verify
assert_contains "$OUT" "entry 21"
restore
run_sohoa 0 audit verify

# Truncation (deleting the latest entries) leaves a chain that verifies on its own; the head
# written down earlier exposes it, and so does a rewrite from an earlier entry on.
head=$(sqlite3 .sohoa/ledger.db "SELECT id || ':' || hash FROM audit WHERE id = 41")
run_sohoa 0 audit verify --anchor "$head"
sqlite3 .sohoa/ledger.db "DELETE FROM audit WHERE id > 38"
run_sohoa 0 audit verify
run_sohoa 1 audit verify --anchor "$head"
assert_contains "$OUT" "entries from 39"
restore
run_sohoa 1 audit verify --anchor "41:$(printf 'a%.0s' $(seq 64))"
assert_contains "$OUT" "entry 41"
run_sohoa 2 audit verify --anchor "41:xyz"
assert_contains "$ERR" "--anchor"
run_sohoa 2 audit show --anchor "$head"
pass
