#!/usr/bin/env bash
# sohoa report on a workspace built with known numbers at every stage (docs/progress.md, "What is
# counted"). Organisation A (93.000.036.001.015): A1, A2 packed in one package the receiver
# accepted; A3 packed in another that the receiver rejected (its receipt imported: delivered,
# not accepted); A4 signed, not packed. Organisation B (93.000.036.001.016): B1 checked (validated)
# but not signed, after a rescan of its 02; B2 with its 02 only (not scanned: 03 is required);
# B3 on the inventory with its paper handed over, nothing scanned; B4 on the inventory only; B5
# ingested but not on the inventory (unlisted). Every count of the JSON is asserted for A, B,
# their prefixes and the whole; --as-of before the receipts lowers them; --min-cell suppresses
# after rolling up; no output holds a CCCD or a name; the read is in the audit chain.
. "$(dirname "$0")/lib.sh"
need_tool openssl sqlite3 unzip iconv
. "$SOHOA_SOURCE/tests/pack_fixture.sh"

A=93.000.036.001.015
B=93.000.036.001.016
pfx_keys
"$SOHOA" init ws --station T-01 --operator "Nguyễn Văn A" -q
cd ws
WS=$PWD
sed -i 's|^stamp_place = .*|stamp_place = fixed|' sohoa.ini
declare -A CCCD FOLDER
NAMES=()
dossier() { # KEY ORG NAME [TYPES]: ingest 02 and 03 (or only the types given)
  local key=$1 org=$2 name=$3 types=${4:-"2 3"} t
  pfx_next_cccd
  CCCD[$key]=$PFX_CCCD
  NAMES+=("$name")
  for t in $types; do
    _pfx_page small
    run_sohoa 0 ingest --org "$org" --cccd "$PFX_CCCD" --name "$name" --type "$t" "$_PFX_PAGE"
  done
  FOLDER[$key]=$org/$(cd "$org" && ls -d "${PFX_CCCD}"_* | head -1)
}
sign() { pfx_sign "$@"; }
dossier A1 "$A" "Nguyễn Văn An"
dossier A2 "$A" "Trần Thị Bình"
dossier A3 "$A" "Lê Hoàng Cường"
dossier A4 "$A" "Phạm Thị Dung"
dossier B1 "$B" "Hoàng Văn Em"
dossier B2 "$B" "Vũ Thị Giang" 2
dossier B5 "$B" "Bùi Thị Lan"
pfx_next_cccd
CCCD[B3]=$PFX_CCCD
pfx_next_cccd
CCCD[B4]=$PFX_CCCD
NAMES+=("Đặng Quốc Hùng" "Đỗ Thị Mười")
sign "${FOLDER[A1]}" "${FOLDER[A2]}" "${FOLDER[A3]}" "${FOLDER[A4]}"
# B1: its 02 rescanned (a supersession), then validated, not signed
_pfx_page small
run_sohoa 0 ingest --org "$B" --cccd "${CCCD[B1]}" --name "Hoàng Văn Em" --type 2 --replace \
  --reason "trang mờ" "$_PFX_PAGE"
"$SOHOA" validate -q "${FOLDER[B1]}" >/dev/null 2>&1 || true

# ---- packages: A1+A2 accepted, A3 rejected (its signer not trusted by the receiver) ----
run_sohoa 0 pack --to "$PFX/receiver.pem" --basis "$PFX_BASIS" --pkcs12 "$PFX/org-rsa.p12" \
  --pin-env P12PASS "${FOLDER[A1]}" "${FOLDER[A2]}"
P1=$(ls "$WS"/packages/$A/*.zip.p7m)
run_sohoa 0 pack --to "$PFX/receiver.pem" --basis "$PFX_BASIS" --pkcs12 "$PFX/org-rsa.p12" \
  --pin-env P12PASS "${FOLDER[A3]}"
P2=$(ls "$WS"/packages/$A/*.zip.p7m | grep -v "$(basename "$P1")")
# T1: after the packages, before the receipts, the handover and the inventory (whole seconds)
sleep 1.1
T1=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1
mkdir -p "$TMP/m1" "$TMP/m2"
run_sohoa 0 receive "$P1" --pkcs12 "$PFX/receiver.p12" --pin-env P12PASS --trust "$PFX/ca.pem" \
  --into "$TMP/m1"
run_sohoa 1 receive "$P2" --pkcs12 "$PFX/receiver.p12" --pin-env P12PASS \
  --trust "$PFX/other-rsa.pem" --into "$TMP/m2"
assert_contains "$(cat "$TMP"/m2/receipts/*.json)" '"verdict":"rejected"'
run_sohoa 0 import-receipts "$TMP/m1" --trust "$PFX/ca.pem"
run_sohoa 0 import-receipts "$TMP/m2" --trust "$PFX/ca.pem"

# ---- the inventory (B5 left out), B3's paper handed over, the plan ----
{
  echo "org,cccd,name,group"
  echo "$A,${CCCD[A1]},Nguyễn Văn An,1"
  echo "$A,${CCCD[A2]},Trần Thị Bình,2"
  echo "$A,${CCCD[A3]},Lê Hoàng Cường,2"
  echo "$A,${CCCD[A4]},Phạm Thị Dung,4"
  echo "$B,${CCCD[B1]},Hoàng Văn Em,3"
  echo "$B,${CCCD[B2]},Vũ Thị Giang,4"
  echo "$B,${CCCD[B3]},Đặng Quốc Hùng,4"
  echo "$B,${CCCD[B4]},Đỗ Thị Mười,1"
} >"$TMP/inventory.csv"
run_sohoa 0 inventory import "$TMP/inventory.csv"
run_sohoa 0 handover receive --org "$B" --cccd "${CCCD[B3]}" --pages 12
TODAY=$(date -u +%F)
START=$(date -u -d "$TODAY -30 days" +%F)
DUE_A=$(date -u -d "$TODAY +2 days" +%F)
DUE_B=$(date -u -d "$TODAY -1 day" +%F)
printf 'org,group,measure,start,deadline\n%s,,,%s,%s\n%s,,complete,%s,%s\n' \
  "$A" "$START" "$DUE_A" "$B" "$START" "$DUE_B" >"$TMP/plan.csv"
run_sohoa 0 plan import "$TMP/plan.csv"

# ---- every count, checked against what the workspace holds ----
PERIOD=$(date -u -d "$TODAY -1 day" +%F)..$(date -u -d "$TODAY +1 day" +%F)
check() { # NAME JSON-FILE CASE: the expected counts of CASE (check_report.py) against the file
  testpy - "$@" <<'PYEOF' || fail "$1: the counts differ (above)"
import datetime, json, sys
name, path, case, today, start, due_a, due_b = sys.argv[1:8]
d = json.load(open(path))
A, B = "93.000.036.001.015", "93.000.036.001.016"
stages = ["inventoried", "paper_received", "scanned", "checked", "signed", "packed",
          "delivered", "accepted", "paper_returned"]
def row(st, rejected, unlisted, result, p1, docs, receipts, rescans, groups):
    r = {"dossiers": dict(zip(stages, st), rejected=rejected, unlisted=unlisted),
         "result": dict(zip(["done", "in_progress", "not_started"], result)),
         "priority1_complete": p1, "complete": st[7], "documents": docs, "pages": docs,
         "rejections": {"validation": 0, "receipts": receipts, "rescans": rescans},
         "groups": [{"group": g + 1, "inventoried": i, "accepted": a}
                    for g, (i, a) in enumerate(groups)]}
    return r
if case == "now":
    a = row([4, 4, 4, 4, 4, 3, 3, 2, 0], 1, 0, [2, 2, 0], 2, 8, 1, 0,
            [(1, 1), (2, 1), (0, 0), (1, 0)])
    b = row([4, 4, 2, 1, 0, 0, 0, 0, 0], 1, 1, [0, 4, 1], 0, 5, 0, 1,
            [(1, 0), (0, 0), (1, 0), (2, 0)])
else:  # as of T1: no receipt, no handover yet; the inventory is today's list
    a = row([4, 4, 4, 4, 4, 3, 0, 0, 0], 0, 0, [0, 4, 0], 0, 8, 0, 0,
            [(1, 0), (2, 0), (0, 0), (1, 0)])
    b = row([4, 3, 2, 1, 0, 0, 0, 0, 0], 1, 1, [0, 3, 2], 0, 5, 0, 1,
            [(1, 0), (0, 0), (1, 0), (2, 0)])
def add(x, y):
    if isinstance(x, dict):
        return {k: add(x[k], y[k]) for k in x}
    if isinstance(x, list):
        return [add(p, q) for p, q in zip(x, y)]
    return x if isinstance(x, str) else x + y
fix = lambda r: dict(r, groups=[dict(g, group=i + 1) for i, g in enumerate(r["groups"])])
total = fix(add(a, b))
day = lambda s: datetime.date.fromisoformat(s)
def target(inv, due):
    n = (day(today) - day(start)).days + 1
    m = (day(due) - day(start)).days + 1
    return inv if n >= m else int(inv * n / m + 0.5)
plan_a = {"deadline": due_a, "target": target(4, due_a), "timeliness": "due_soon"}
plan_b = {"deadline": due_b, "target": 4, "timeliness": "overdue"}
plan_t = {"deadline": due_b, "target": plan_a["target"] + 4, "timeliness": "overdue"}
want = [("", 0, total, plan_t)] + [(p, n, total, plan_t) for n, p in
        enumerate(["93", "93.000", "93.000.036", "93.000.036.001"], 1)] + \
       [(A, 5, a, plan_a), (B, 5, b, plan_b)]
got = [d["total"]] + d["organisations"]
assert [(r["org"], r["level"]) for r in got] == [(w[0], w[1]) for w in want], \
    [(r["org"], r["level"]) for r in got]
bad = []
for (org, level, counts, plan), r in zip(want, got):
    for k, v in list(counts.items()) + list(plan.items()):
        if r[k] != v:
            bad.append(f"{name} {org or 'total'} {k}: expected {v}, got {r[k]}")
    # in the period (yesterday..tomorrow) every stage reached so far, the inventory included
    if case == "now" and r["in_period"] != {s: counts["dossiers"][s] for s in stages}:
        bad.append(f"{name} {org} in_period {r['in_period']}")
    if case == "now":
        days = [day(today) - datetime.timedelta(days=1), day(today)]
        working = sum(x.weekday() < 5 for x in days)
        scanned = counts["dossiers"]["scanned"]
        per_day = scanned / working if working else 0.0
        if abs(r["per_day"] - per_day) > 1e-9 or abs(r["per_week"] - scanned * 7 / 2) > 1e-9:
            bad.append(f"{name} {org} rates {r['per_day']} {r['per_week']}")
assert d["format"] == "sohoa-progress/1" and d["stations"] == [] and d["inventory_version"]
print("\n".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
}
run_sohoa 0 report --json --period "$PERIOD"
echo "$OUT" >"$TMP/now.json"
check now "$TMP/now.json" now "$TODAY" "$START" "$DUE_A" "$DUE_B"
assert_eq "$(json_get "$OUT" 'd["period"], d["period_start"], d["min_cell"]')" \
  "('$PERIOD', '${PERIOD%%..*}', 0)" "period"
# the global --json works before the command too; as of T1, before the receipts and handover
run_sohoa 0 --json report --as-of "$T1" --period "$PERIOD"
echo "$OUT" >"$TMP/t1.json"
check as-of "$TMP/t1.json" t1 "$TODAY" "$START" "$DUE_A" "$DUE_B"
assert_eq "$(json_get "$OUT" 'd["as_of"]')" "$T1" "as_of"

# ---- --min-cell: after the roll-up (A and B each have 1 rejected dossier, the whole 2) ----
run_sohoa 0 report --json --min-cell 2
assert_eq "$(json_get "$OUT" '[r["dossiers"]["rejected"] for r in [d["total"]] + d["organisations"]]')" \
  "[2, 2, 2, 2, 2, None, None]" "rejected with --min-cell 2"
assert_eq "$(json_get "$OUT" '[r["dossiers"]["unlisted"] for r in d["organisations"][-2:]]')" \
  "[0, None]" "a zero is shown"
run_sohoa 0 report --json --min-cell 3
assert_eq "$(json_get "$OUT" '(d["min_cell"], d["total"]["dossiers"]["accepted"], d["total"]["dossiers"]["scanned"], d["organisations"][-1]["dossiers"]["checked"])')" \
  "(3, None, 6, None)" "--min-cell 3"

# ---- PATH: an organisation folder, or a prefix ----
run_sohoa 0 report "$B" --json
assert_eq "$(json_get "$OUT" '[(r["org"], r["dossiers"]["inventoried"]) for r in [d["total"]] + d["organisations"]]')" \
  "[('', 4), ('$B', 4)]" "report of B's folder"
run_sohoa 0 report 93.000.036 --json
assert_eq "$(json_get "$OUT" '[r["org"] for r in d["organisations"]]')" \
  "['93.000.036', '93.000.036.001', '$A', '$B']" "report of a prefix"

# ---- views: CSV rows with numbers; what is printed: a line per file written, no table ----
run_sohoa 0 report --csv "$TMP/report.csv" --min-cell 2
assert_eq "$OUT" "Wrote the CSV table to $TMP/report.csv" "report --csv prints"
assert_eq "$(sed -n 1p "$TMP/report.csv" | cut -d, -f1-5)" "org,level,inventoried,paper_received,scanned" "CSV heading"
assert_eq "$(grep "^$A," "$TMP/report.csv" | cut -d, -f1-12 | tr -d '\r')" \
  "$A,5,4,4,4,4,4,3,3,2,0,<2" "A's CSV row"
[ "$(wc -l <"$TMP/report.csv")" = 8 ] || fail "CSV rows: $(cat "$TMP/report.csv")"
run_sohoa 0 report --csv "$TMP/report.csv" -q
assert_eq "$OUT" "" "report --csv -q prints"

# ---- no CCCD, no name, no folder in any output (the XLSX's XML parts read as one text) ----
run_sohoa 0 report --html "$TMP/report.html" --xlsx "$TMP/report.xlsx"
assert_eq "$OUT" "Wrote the dashboard to $TMP/report.html
Wrote the spreadsheet to $TMP/report.xlsx" "report --html --xlsx prints"
unzip -p "$TMP/report.xlsx" >"$TMP/report.xlsx.txt" || fail "the XLSX is not a ZIP"
[ -s "$TMP/report.html" ] && grep -q "$A" "$TMP/report.html" "$TMP/report.xlsx.txt" ||
  fail "the dashboard or the spreadsheet lacks the organisation $A"
# in Vietnamese too; with --json the document alone on stdout, the files named on stderr
run_sohoa 0 --lang vi report --html "$TMP/report-vi.html"
assert_eq "$OUT" "Đã ghi bảng theo dõi vào $TMP/report-vi.html" "report --html in Vietnamese"
run_sohoa 0 report --json --html "$TMP/report-vi.html" --csv "$TMP/report.csv"
assert_eq "$(json_get "$OUT" 'len(d["organisations"])')" 6 "report --json --html: stdout"
assert_contains "$ERR" "Wrote the dashboard to $TMP/report-vi.html"
assert_contains "$ERR" "Wrote the CSV table to $TMP/report.csv"
# no output option: the table for a person
run_sohoa 0 report
TEXT=$OUT
assert_contains "$TEXT" "$B" "the table"
assert_contains "$TEXT" "due soon" "the table"
assert_not_contains "$TEXT" "Wrote" "the table"
for f in "$TMP/now.json" "$TMP/t1.json" "$TMP/report.csv" "$TMP/report.html" "$TMP/report.xlsx.txt"; do
  for k in "${!CCCD[@]}"; do
    grep -q "${CCCD[$k]}" "$f" && fail "$f holds the CCCD of $k"
    assert_not_contains "$TEXT" "${CCCD[$k]}" "the table"
  done
  for n in "${NAMES[@]}"; do
    grep -qF "$n" "$f" && fail "$f holds the name $n"
    grep -qF "$(echo "$n" | iconv -f utf-8 -t ascii//TRANSLIT | tr -d ' ')" "$f" &&
      fail "$f holds the folder name of $n"
  done
done

# ---- the reads are in the audit chain, without names ----
run_sohoa 0 audit show --action report.read --json
N=$(json_get "$OUT" 'len(d["entries"])')
[ "$N" -ge 8 ] || fail "expected a report.read entry per report, got $N"
assert_eq "$(json_get "$OUT" '[json.loads(e["details"])["prefix"] for e in d["entries"]][-7:]')" \
  "['93.000.036', None, None, None, None, None, None]" "report.read prefixes"
for k in "${!CCCD[@]}"; do assert_not_contains "$OUT" "${CCCD[$k]}" "report.read entries"; done
run_sohoa 0 audit verify

# ---- each row against the plan line of its own code: A has its own, B inherits the
# province's (93), the prefixes take 93's, the whole (no line of its own) the earliest below;
# priority-1 by yesterday under 93, judged on its own ----
DUE_93=$(date -u -d "$TODAY +40 days" +%F)
printf 'org,group,measure,start,deadline\n93,,complete,%s,%s\n%s,,complete,%s,%s\n93,,priority1,%s,%s\n' \
  "$START" "$DUE_93" "$A" "$START" "$DUE_A" "$START" "$DUE_B" >"$TMP/plan2.csv"
run_sohoa 0 plan import "$TMP/plan2.csv"
run_sohoa 0 report --json
echo "$OUT" >"$TMP/plan2.json"
testpy - "$TMP/plan2.json" "$TODAY" "$START" "$DUE_A" "$DUE_93" "$DUE_B" <<'PYEOF' || fail "the plan per row differs (above)"
import datetime, json, sys
path, today, start, due_a, due_93, due_b = sys.argv[1:7]
d = json.load(open(path))
day = datetime.date.fromisoformat
def target(inv, due):
    n = (day(today) - day(start)).days + 1
    m = (day(due) - day(start)).days + 1
    return inv if n >= m else int(inv * n / m + 0.5)
A, B = "93.000.036.001.015", "93.000.036.001.016"
p1 = lambda inv: {"priority1_deadline": due_b, "priority1_target": inv,
                  "priority1_timeliness": "overdue"}
province = dict({"deadline": due_93, "target": target(8, due_93), "timeliness": "on_time"}, **p1(8))
want = {"": province, "93": province, "93.000": province, "93.000.036": province,
        "93.000.036.001": province,
        A: dict({"deadline": due_a, "target": target(4, due_a), "timeliness": "due_soon"}, **p1(4)),
        B: dict({"deadline": due_93, "target": target(4, due_93), "timeliness": "on_time"}, **p1(4))}
bad = []
for r in [d["total"]] + d["organisations"]:
    for k, v in want[r["org"]].items():
        if r[k] != v:
            bad.append(f"{r['org'] or 'total'} {k}: expected {v}, got {r[k]}")
print("\n".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
# the CSV carries the priority-1 line in its last three columns
run_sohoa 0 report --csv "$TMP/plan2.csv.out"
assert_eq "$(grep "^$B," "$TMP/plan2.csv.out" | tr -d '\r' | rev | cut -d, -f1-3 | rev)" \
  "$DUE_B,4,overdue" "B's priority-1 CSV columns"

# ---- usage errors ----
run_sohoa 2 report --as-of yesterday
assert_contains "$ERR" "--as-of"
run_sohoa 2 report --period fortnight
assert_contains "$ERR" "--period"
run_sohoa 2 report --period 2026-12-05..2026-12-01
run_sohoa 2 --workspace "$WS" report "$TMP"
assert_contains "$ERR" "outside the workspace"
run_sohoa 2 report --trust "$PFX/ca.pem"
run_sohoa 2 report a b

pass
