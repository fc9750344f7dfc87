#!/usr/bin/env bash
# Two processes appending 150 notes each at the same time all succeed, and the chain verifies.
. "$(dirname "$0")/lib.sh"
need_tool sqlite3

new_workspace ws
cd ws
writer() {
  local who=$1 fails=0
  for i in $(seq 1 150); do
    "$SOHOA" -q --operator "$who" audit note "ghi chú $i của $who" || fails=$((fails + 1))
  done
  echo "$fails" > "$TMP/fails.$2"
}
writer "Nguyễn Văn A" a &
writer "Trần Thị B" b &
wait
assert_eq "$(cat "$TMP/fails.a")" "0" "failed notes of writer a"
assert_eq "$(cat "$TMP/fails.b")" "0" "failed notes of writer b"
run_sohoa 0 audit verify
assert_contains "$OUT" "301 entries"
assert_eq "$(sqlite3 .sohoa/ledger.db "SELECT count(*) FROM audit WHERE operator='Trần Thị B'")" \
  "150" "notes of writer b"
pass
