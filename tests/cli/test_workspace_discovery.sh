#!/usr/bin/env bash
# Commands find the workspace from --workspace, else by walking up from the current folder.
. "$(dirname "$0")/lib.sh"
need_tool sqlite3

new_workspace ws
mkdir -p ws/93.000.036.001.015/012345678901_NguyenVanA
(cd ws/93.000.036.001.015/012345678901_NguyenVanA && "$SOHOA" -q audit note "từ thư mục con")
assert_eq "$(sqlite3 ws/.sohoa/ledger.db 'SELECT count(*) FROM audit')" "2" "entries"

mkdir -p elsewhere
cd elsewhere
run_sohoa 2 audit verify
assert_contains "$ERR" "sohoa init"
run_sohoa 0 --workspace ../ws audit verify
run_sohoa 0 audit verify --workspace ../ws
run_sohoa 2 --workspace . audit verify
assert_contains "$ERR" "not a sohoa workspace"

# A workspace whose ledger is gone is not silently recreated.
mv ../ws/.sohoa/ledger.db ../ledger.bak
run_sohoa 3 --workspace ../ws audit verify
assert_contains "$ERR" "missing"
[ ! -e ../ws/.sohoa/ledger.db ] || fail "the missing ledger was recreated"
# A damaged ledger is reported as such.
echo "không phải SQLite" > ../ws/.sohoa/ledger.db
run_sohoa 3 --workspace ../ws audit verify
assert_contains "$ERR" "damaged"
pass
