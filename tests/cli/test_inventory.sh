#!/usr/bin/env bash
# sohoa inventory import and sohoa plan import on files as Excel saves them: a BOM, semicolons,
# CRLF, Vietnamese headings, a quoted name holding the separator and a comma. Bad rows are
# reported "FILE:LINE: problem" and the good ones imported (exit 1); importing again updates the
# members, never duplicates them (sqlite3 judges the ledger); the audit entries hold counts and
# the file's hash, never a name or a CCCD, and the chain verifies; --json gives the counts and
# the refused lines. A plan import replaces the plan; a malformed date is refused with its line.
# Usage errors exit 2, a file that cannot be read 3, and they change nothing.
. "$(dirname "$0")/lib.sh"
need_tool sqlite3 python3

new_workspace ws
cd ws
sql() { sqlite3 .sohoa/ledger.db "$1"; }

# ---- an inventory from Excel (vi-VN): BOM, ';', CRLF, Vietnamese headings ----
printf '\xef\xbb\xbfMã tổ chức;Số CCCD;Họ và tên;Nhóm\r\n' >ds.csv
printf '93.000.036.001.015;012345678901;"Nguyễn Văn A; con, út";1\r\n' >>ds.csv
printf '93.000.036.001.015;093185000123;Trần Thị Bích;2\r\n' >>ds.csv
printf '93.000.036.001.015;12345678902;Lê Văn Cường;3\r\n' >>ds.csv
printf '93.000.036.002.003;001075004567;Phạm Thị Dung;5\r\n' >>ds.csv
printf '93.000.036.002.003;001075004568;Hoàng Văn Em;4\r\n' >>ds.csv
run_sohoa 1 inventory import ds.csv
assert_contains "$ERR" "ds.csv:4: " "the Excel-mangled CCCD"
assert_contains "$ERR" "lost its leading 0" "the Excel-mangled CCCD"
assert_contains "$ERR" "ds.csv:5: column \"Nhóm\": \"5\" is not a subject group" "the bad group"
[ "$(grep -c '^ds.csv:' <<<"$ERR")" = 2 ] || fail "expected two refused lines: $ERR"
assert_contains "$OUT" "3 members added, 0 updated, 0 unchanged, 2 refused"
assert_eq "$(sql 'SELECT count(*) FROM inventory')" 3 "members listed"
assert_eq "$(sql "SELECT person_name FROM inventory WHERE member_key = '012345678901'")" \
  "Nguyễn Văn A; con, út" "the quoted name"
assert_eq "$(sql "SELECT subject_group FROM inventory WHERE member_key = '001075004568'")" 4

# ---- again, corrected, with commas and English headings: updates, never duplicates ----
cat >ds2.csv <<'EOF'
org,cccd,name,group
93.000.036.001.015,012345678901,"Nguyễn Văn A; con, út",1
93.000.036.001.015,093185000123,Trần Thị Bích,3
93.000.036.001.015,012345678902,Lê Văn Cường,3
93.000.036.002.003,001075004567,Phạm Thị Dung,4
EOF
run_sohoa 0 --json inventory import ds2.csv
assert_eq "$(json_get "$OUT" "d['added'], d['updated'], d['unchanged'], d['refused']")" \
  "(2, 1, 1, [])" "counts of the re-import"
assert_eq "$(sql 'SELECT count(*) FROM inventory')" 5 "members after the re-import"
assert_eq "$(sql 'SELECT count(*) FROM (SELECT org_code, member_key FROM inventory GROUP BY 1, 2
  HAVING count(*) > 1)')" 0 "duplicated members"
assert_eq "$(sql "SELECT subject_group FROM inventory WHERE member_key = '093185000123'")" 3
assert_eq "$(sql "SELECT count(*) FROM imports WHERE kind = 'inventory'")" 2 "imports rows"
assert_eq "$(sql "SELECT sha256 FROM imports ORDER BY id DESC LIMIT 1")" \
  "$(sha256sum ds2.csv | cut -d' ' -f1)" "the file's hash"

# ---- the --json refused lines ----
printf 'org,cccd,name,group\n93.000.036.001.015,012345678901,Nguyễn Văn A,x\n' >bad.csv
run_sohoa 1 --json inventory import bad.csv
assert_eq "$(json_get "$OUT" "d['refused'][0]['line'], d['import_id']")" "(2, None)"

# ---- the audit: counts and hashes, never a name or a CCCD ----
run_sohoa 0 audit verify
run_sohoa 0 --json audit show --action inventory.import
# The details and subjects (the operator, who is a person too, is named on purpose).
audit=$(json_get "$OUT" "[(e['subject'], e['details']) for e in d['entries']]")
assert_contains "$audit" '"refused":2' "the first import's entry"
assert_contains "$audit" "$(sha256sum ds.csv | cut -d' ' -f1)" "the audit entry"
for never in 012345678901 093185000123 001075004567 001075004568 Nguyễn Trần Phạm Hoàng Bích; do
  assert_not_contains "$audit" "$never" "the audit entries"
done

# ---- the plan: Vietnamese headings and words; an import replaces the plan ----
printf '\xef\xbb\xbfMã tổ chức;Nhóm;Mức hoàn thành;Ngày bắt đầu;Hạn hoàn thành\r\n' >plan.csv
printf '93;;;2026-01-05;2027-06-30\r\n' >>plan.csv
printf '93.000.036.001.015;;toàn bộ;2026-01-05;2026-12-31\r\n' >>plan.csv
printf '93.000.036;1;ưu tiên 1;2026-01-05;2026-09-30\r\n' >>plan.csv
run_sohoa 0 plan import plan.csv
assert_contains "$OUT" "3 deadlines in the plan now"
assert_eq "$(sql "SELECT measure FROM plan WHERE prefix = '93.000.036'")" priority1
cat >plan2.csv <<'EOF'
org,group,measure,start,deadline
93,,complete,2026-01-05,2027-12-31
93.000.036.002.003,2,complete,2026-01-05,31/12/2026
EOF
run_sohoa 1 plan import plan2.csv
assert_contains "$ERR" "plan2.csv:3: column \"deadline\": \"31/12/2026\" is not a date YYYY-MM-DD"
assert_eq "$(sql 'SELECT prefix, deadline FROM plan')" "93|2027-12-31" "the plan replaced"
run_sohoa 0 audit verify

# ---- usage and unreadable files change nothing ----
before=$(sql 'SELECT count(*) FROM audit')
run_sohoa 2 inventory import
run_sohoa 2 plan export plan.csv
run_sohoa 3 inventory import missing.csv
assert_contains "$ERR" "missing.csv"
printf 'org;deadline;colour\n' >cols.csv
run_sohoa 3 plan import cols.csv
assert_contains "$ERR" "unknown column \"colour\""
assert_eq "$(sql 'SELECT count(*) FROM audit')" "$before" "audit entries after refusals"
assert_eq "$(sql 'SELECT count(*) FROM plan')" 1 "the plan after refusals"

pass
