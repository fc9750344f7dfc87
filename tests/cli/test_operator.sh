#!/usr/bin/env bash
# No anonymous actions: without an operator in sohoa.ini or --operator, changes are refused.
. "$(dirname "$0")/lib.sh"
need_tool sqlite3

new_workspace ws
cd ws
sed -i 's/^operator = .*/operator =/' sohoa.ini
count() { sqlite3 .sohoa/ledger.db 'SELECT count(*) FROM audit'; }
run_sohoa 2 audit note "không tên"
assert_contains "$ERR" "--operator"
assert_eq "$(count)" "1" "entries after a refused note"
run_sohoa 0 --operator "Phạm Văn D" audit note "có tên"
assert_eq "$(sqlite3 .sohoa/ledger.db 'SELECT operator FROM audit WHERE id = 2')" "Phạm Văn D"
# An operator given after the command works too, and overrides sohoa.ini.
sed -i 's/^operator =$/operator = Nguyễn Văn A/' sohoa.ini
run_sohoa 0 audit note "ghi đè" --operator "Hoàng Thị E"
assert_eq "$(sqlite3 .sohoa/ledger.db 'SELECT operator FROM audit WHERE id = 3')" "Hoàng Thị E"
# A name that is not a name is refused.
run_sohoa 2 audit note "x" --operator "   "
# Reading needs no operator.
sed -i 's/^operator = .*/operator =/' sohoa.ini
run_sohoa 0 audit verify
run_sohoa 0 audit show
pass
