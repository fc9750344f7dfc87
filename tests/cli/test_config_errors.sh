#!/usr/bin/env bash
# A configuration error names the file, the line and the key, and exits 2.
. "$(dirname "$0")/lib.sh"
need_tool sqlite3

new_workspace ws
cd ws
cp sohoa.ini "$TMP/good.ini"
line_of() { grep -n "^$1" sohoa.ini | cut -d: -f1; }

sed -i 's/^min_dpi = 200/min_dpl = 200/' sohoa.ini
run_sohoa 2 audit verify
assert_contains "$ERR" "sohoa.ini:$(line_of min_dpl)"
assert_contains "$ERR" "min_dpl"
cp "$TMP/good.ini" sohoa.ini

sed -i 's/^max_skew_deg = 1.0/max_skew_deg = nhiều/' sohoa.ini
run_sohoa 2 audit verify
assert_contains "$ERR" "sohoa.ini:$(line_of max_skew_deg)"
assert_contains "$ERR" "max_skew_deg"
cp "$TMP/good.ini" sohoa.ini

sed -i 's/^spaces = allow/spaces = maybe/' sohoa.ini
run_sohoa 2 audit verify
assert_contains "$ERR" "sohoa.ini:$(line_of spaces)"
cp "$TMP/good.ini" sohoa.ini

sed -i 's/^id = T-01/id = T 01/' sohoa.ini
run_sohoa 2 audit verify
assert_contains "$ERR" "[station] id"
cp "$TMP/good.ini" sohoa.ini

# --config points at another file; its errors name that file.
printf '[station]\nid = T-02\n[validate]\njobs = -3\n' > "$TMP/other.ini"
run_sohoa 2 --config "$TMP/other.ini" audit verify
assert_contains "$ERR" "other.ini:4"
assert_contains "$ERR" "jobs"
printf '[station]\nid = T-02\noperator = Đỗ Văn F\n' > "$TMP/other.ini"
run_sohoa 0 --config "$TMP/other.ini" audit note "cấu hình khác"
assert_eq "$(sqlite3 .sohoa/ledger.db 'SELECT station||operator FROM audit ORDER BY id DESC LIMIT 1')" \
  "T-02Đỗ Văn F"
pass
