#!/usr/bin/env bash
# sohoa init: creates a workspace, refuses to overwrite one, and requires a station and a person.
. "$(dirname "$0")/lib.sh"
need_tool sqlite3

run_sohoa 0 init ws --station HN-XA-01 --operator "Nguyễn Văn A"
[ -f ws/sohoa.ini ] || fail "no sohoa.ini"
[ -f ws/.sohoa/ledger.db ] || fail "no ledger"
assert_contains "$(cat ws/sohoa.ini)" "id = HN-XA-01"
assert_contains "$(cat ws/sohoa.ini)" "operator = Nguyễn Văn A"
for section in station naming validate sign upload; do
  assert_contains "$(cat ws/sohoa.ini)" "[$section]" "sohoa.ini"
done
assert_eq "$(sqlite3 ws/.sohoa/ledger.db 'PRAGMA journal_mode')" "wal" "journal mode"
assert_eq "$(sqlite3 ws/.sohoa/ledger.db "SELECT action||'|'||operator||'|'||station FROM audit")" \
  "workspace.init|Nguyễn Văn A|HN-XA-01" "first audit entry"

# Never overwrite: the second init fails and changes nothing.
before=$(sha256sum ws/sohoa.ini ws/.sohoa/ledger.db)
run_sohoa 2 init ws --station OTHER --operator "Trần Thị B"
assert_contains "$ERR" "already a sohoa workspace"
assert_eq "$(sha256sum ws/sohoa.ini ws/.sohoa/ledger.db)" "$before" "workspace after a refused init"

# No anonymous workspaces, no missing station, no bad station ID; nothing left behind.
run_sohoa 2 init ws2 --station HN-01
assert_contains "$ERR" "--operator"
run_sohoa 2 init ws3 --operator "Nguyễn Văn A"
assert_contains "$ERR" "--station"
run_sohoa 2 init ws4 --station "HN 01" --operator "Nguyễn Văn A"
[ ! -e ws4/sohoa.ini ] && [ ! -e ws4/.sohoa ] || fail "a refused init left files in ws4"

# A workspace cannot hold another.
run_sohoa 2 init ws/93.000.036.001.015 --station HN-02 --operator "Nguyễn Văn A"
assert_contains "$ERR" "inside the workspace"

# --json prints one document and nothing else on stdout.
run_sohoa 0 --json init ws5 --station HN-05 --operator "Lê Văn C"
assert_eq "$(json_get "$OUT" 'd["station"]')" "HN-05" "json station"
assert_eq "$(json_get "$OUT" 'd["operator"]')" "Lê Văn C" "json operator"

# Unknown options are usage errors that name the option.
run_sohoa 2 init ws6 --station HN-06 --operator "Lê Văn C" --statoin x
assert_contains "$ERR" "--statoin"
pass
