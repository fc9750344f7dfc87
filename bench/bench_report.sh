#!/usr/bin/env bash
# sohoa report on a big ledger (issue 17: 1,000,000 documents in 50,000 dossiers in under 2 s,
# memory bounded by organisations) against the tool a user would otherwise pick: the sqlite3
# shell running one GROUP BY count over the same ledger.
#
#   bash bench/bench_report.sh [BUILD_DIR] [DOSSIERS] [ORGS]   (default: build, 50000, 500)
#
# The ledger is written straight with SQL (sqlite3; minutes: the triggers of migration 8 keep
# document_state as the rows go in) into a workspace made by
# `sohoa init`: ORGS organisation codes under 93, 20 documents of 3 pages per dossier, every
# document validated (1% failing), 80% of dossiers signed, 60% packed in two packages per
# organisation, each with a receipt (one organisation in seven rejected its second package), the
# inventory listing 98% of the dossiers plus 10% not begun, 10% paper handovers, 1,000 rescans,
# a plan per 93.0xx prefix (KEEP=1 keeps it). Warm cache, median of REPEATS=3 runs, peak RSS by GNU time. Measured:
#   sohoa    `sohoa report --json`: every stage of every dossier (verdicts, signatures,
#            packages, receipts, handovers, inventory), rolled up at every prefix, the plan,
#            the weekly series, and its report.read audit entry;
#   sqlite3  documents, dossiers and pages per organisation (one join, GROUP BY org_code): the
#            quick count, without any stage.
# Ratio: sqlite3's time / sohoa's (above 1: sohoa is faster).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:-build}" && pwd)
dossiers=${2:-50000}
orgs=${3:-500}
repeats=${REPEATS:-3}
sohoa=$build/cli/sohoa
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-report.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
[ -z "${KEEP:-}" ] || { trap - EXIT; echo "keeping $tmp"; } # KEEP=1: the ledger stays
source bench/lib.sh
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt install sqlite3)"; exit 1; }
"$sohoa" init "$tmp/ws" --station BENCH --operator bench -q
db=$tmp/ws/.sohoa/ledger.db

s=$(date +%s.%N)
sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
BEGIN;
CREATE TEMP TABLE n20(k INTEGER PRIMARY KEY);
WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 20)
INSERT INTO n20 SELECT k FROM c;
CREATE TEMP TABLE orgs(i INTEGER PRIMARY KEY, code TEXT);
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < $orgs - 1)
INSERT INTO orgs SELECT i, printf('93.%03d.%03d.%03d.%03d', i / 100, (i / 20) % 5, (i / 4) % 5,
  i % 4) FROM c;
WITH RECURSIVE c(d) AS (SELECT 1 UNION ALL SELECT d + 1 FROM c WHERE d < $dossiers)
INSERT INTO dossiers (id, org_code, cccd, person_name, folder, created_at)
SELECT d, o.code, printf('0010%08d', d), 'Bench', o.code || '/' || printf('0010%08d', d) || '_X',
  strftime('%Y-%m-%dT%H:%M:%S.000Z', '2026-09-01', '+' || (d * 60) || ' seconds')
FROM c JOIN orgs o ON o.i = (d - 1) % $orgs;
INSERT INTO documents (id, dossier_id, path, type_stt, sha256, pages, created_at)
SELECT (ds.id - 1) * 20 + n.k, ds.id, ds.folder || '/' || n.k || '.pdf', n.k,
  'h' || ((ds.id - 1) * 20 + n.k), 3, ds.created_at FROM dossiers ds, n20 n;
INSERT INTO validations (path, sha256, verdict, findings, validated_at)
SELECT path, sha256, CASE WHEN id % 100 = 0 THEN 'fail' ELSE 'pass' END, '[]', created_at
FROM documents;
INSERT INTO signatures (input_path, input_sha256, output_path, output_sha256, cert_sha256,
  signed_at)
SELECT path, sha256, path || 's', 'o' || id, 'c', created_at FROM documents
WHERE dossier_id % 10 < 8 AND id % 100 <> 0;
INSERT INTO packages (id, org_code, volumes, basis, corrects, created_at)
SELECT 'P' || i || '-' || k, code, 1, 'bench', '[]', '2026-11-01T00:00:00.000Z'
FROM orgs, (SELECT 1 AS k UNION ALL SELECT 2);
INSERT INTO package_documents (package_id, volume, dossier, path, sha256)
SELECT 'P' || ((d.dossier_id - 1) % $orgs) || '-' || (CASE WHEN d.dossier_id % 10 < 3 THEN 1
  ELSE 2 END), 1, ds.folder, d.path || 's', 'o' || d.id
FROM documents d JOIN dossiers ds ON ds.id = d.dossier_id
WHERE d.dossier_id % 10 < 6 AND d.id % 100 <> 0;
INSERT INTO receipts (package_id, verdict, findings, received_at, receiver, path, sha256,
  stored_at)
SELECT p.id, CASE WHEN p.id LIKE '%-2' AND o.i % 7 = 0 THEN 'rejected' ELSE 'accepted' END, '[]',
  '2026-11-15T00:00:00.000Z', 'r', '.sohoa/receipts/' || p.id || '.json', 'x',
  '2026-11-15T00:00:00.000Z'
FROM packages p JOIN orgs o ON o.code = p.org_code;
INSERT INTO imports VALUES (1, 'inventory', 'bench.csv', 'bench', 0, '2026-09-01T00:00:00.000Z',
  NULL);
INSERT INTO inventory SELECT org_code, cccd, 'Bench', 1 + id % 4, 1, 1 FROM dossiers
WHERE id % 50 <> 0;
WITH RECURSIVE c(d) AS (SELECT 1 UNION ALL SELECT d + 1 FROM c WHERE d < $dossiers / 10)
INSERT INTO inventory SELECT o.code, printf('0020%08d', d), 'Bench', 1 + d % 4, 1, 1
FROM c JOIN orgs o ON o.i = d % $orgs;
INSERT INTO handovers (org_code, member_key, direction, pages, at, station, operator)
SELECT org_code, cccd, 'receive', 40, created_at, 'BENCH', 'bench' FROM dossiers
WHERE id % 10 = 0;
INSERT INTO supersessions (path, old_sha256, new_sha256, reason, superseded_at, done)
SELECT path, 'old', sha256, 'bench', created_at, 1 FROM documents WHERE id % 1000 = 1;
INSERT INTO imports VALUES (2, 'plan', 'plan.csv', 'plan', 0, '2026-09-01T00:00:00.000Z', NULL);
INSERT INTO plan SELECT DISTINCT substr(code, 1, 6), 0, 'complete', '2026-09-01', '2027-06-30', 2
FROM orgs;
COMMIT;
ANALYZE;
SQL
e=$(date +%s.%N)
echo "ledger: $(sqlite3 "$db" 'SELECT count(*) FROM documents') documents," \
  "$(sqlite3 "$db" 'SELECT count(*) FROM dossiers') dossiers, $orgs organisations," \
  "$(du -h "$db" | cut -f1), written in $(printf '%.1f' "$(echo "$e - $s" | bc -l)") s"

group_by="SELECT ds.org_code, count(DISTINCT ds.id), count(*), sum(d.pages) FROM documents d
  JOIN dossiers ds ON ds.id = d.dossier_id GROUP BY ds.org_code;"
run() { # NAME CMD...: the median wall seconds and the largest peak RSS
  local name=$1 w r
  shift
  "$@" >/dev/null 2>&1 || { echo "$name failed"; return 1; } # warm-up
  : >"$tmp/w"
  : >"$tmp/r"
  for _ in $(seq "$repeats"); do
    read -r w r < <(measure "$@") || { echo "$name failed: $(tail -3 "$tmp/err")"; return 1; }
    echo "$w" >>"$tmp/w"
    echo "$r" >>"$tmp/r"
  done
  printf '%s %s %s\n' "$name" "$(median <"$tmp/w")" "$(sort -n "$tmp/r" | tail -1)"
}
read -r _ ours ours_rss < <(run sohoa "$sohoa" --workspace "$tmp/ws" report --json --as-of \
  2026-12-06)
read -r _ theirs theirs_rss < <(run sqlite3 sqlite3 "$db" "$group_by")
rows=$("$sohoa" --workspace "$tmp/ws" report --json --as-of 2026-12-06 |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(1 + len(d["organisations"]),
d["total"]["documents"], d["total"]["dossiers"]["accepted"])')
echo "sohoa report --json: $ours s, peak RSS $ours_rss KiB (rows, documents, accepted: $rows)"
echo "sqlite3 GROUP BY count: $theirs s, peak RSS $theirs_rss KiB"
echo "ratio (sqlite3 / sohoa): $(printf '%.2f' "$(echo "$theirs / $ours" | bc -l)")"
