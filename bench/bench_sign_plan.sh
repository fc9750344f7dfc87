#!/usr/bin/env bash
# sohoa sign's planning over a large workspace: N small PDFs in dossiers of 25 (N = 50,000 by
# default), each with a passing verdict in the ledger (rows inserted directly, as validate would
# have written them), and one run of `sohoa sign` over the whole workspace that walks, looks up
# every file's verdict and signed copy, and stops at the key, which is checked before any PIN is
# asked (a PKCS#11 module that does not exist: exit 3). Wall time: median of 3 runs, warm cache;
# peak RSS of the largest. Goal: under 2 s for 50,000 files.
# The query plans of the two lookups are printed too (EXPLAIN QUERY PLAN): both must search an
# index, not scan a table.
# Usage: bash bench/bench_sign_plan.sh [BUILD_DIR] [N]   (default: build, 50000)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-50000}
sohoa=$build/cli/sohoa
repeats=3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C.UTF-8

for t in sqlite3 bc; do
  command -v "$t" >/dev/null || { echo "$t not installed"; exit 1; }
done
. bench/lib.sh
bench_workspace
[ "$sohoa_ok" = 1 ] || { echo "$why"; exit 1; }

# The files and their verdicts: every file's bytes differ, every verdict is a pass of them.
/usr/bin/python3 - "$ws" "$n" <<'EOF'
import hashlib, os, sqlite3, sys
ws, n = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(os.path.join(ws, '.sohoa', 'ledger.db'))
rows = []
for i in range(n):
    rel = '93.000.036.001.015/%012d_NguyenVanA/%02d.Tai lieu.pdf' % (i // 25, i % 25 + 1)
    path = os.path.join(ws, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = b'%%PDF-1.4\n%% file %d\n%%%%EOF\n' % i
    with open(path, 'wb') as f:
        f.write(data)
    rows.append((rel, hashlib.sha256(data).hexdigest(), 'pass', '[]', '2026-12-01T00:00:00.000Z'))
db.executemany('INSERT INTO validations (path, sha256, verdict, findings, validated_at) '
               'VALUES (?, ?, ?, ?, ?)', rows)
db.commit()
EOF

echo "== query plans =="
for q in "SELECT verdict, sha256 FROM validations WHERE path = 'x' ORDER BY id DESC LIMIT 1" \
  "SELECT 1 FROM signatures WHERE output_path = 'x' LIMIT 1"; do
  echo "$q"
  sqlite3 "$ws/.sohoa/ledger.db" "EXPLAIN QUERY PLAN $q" | sed 's/^/    /'
done

echo "== sohoa sign planning $n validated files, stopping at the key (median of $repeats) =="
: >"$tmp/walls"
: >"$tmp/rsss"
for _ in $(seq "$repeats"); do
  s=$(date +%s.%N)
  rc=0
  (cd "$ws" && /usr/bin/time -f %M -o "$tmp/rss" "$OLDPWD/$sohoa" sign . \
    --pkcs11-module /nonexistent/libtoken.so >/dev/null 2>"$tmp/err") || rc=$?
  e=$(date +%s.%N)
  if [ "$rc" != 3 ] || ! grep -q libtoken.so "$tmp/err"; then
    echo "sohoa sign exited $rc, expected 3 naming the module:"
    cat "$tmp/err"
    exit 1
  fi
  echo "$e - $s" | bc -l >>"$tmp/walls"
  tail -n 1 "$tmp/rss" >>"$tmp/rsss"
done
wall=$(median <"$tmp/walls")
rss=$(sort -n "$tmp/rsss" | tail -n 1)
printf '%-28s %8.3f s  %6.1f µs/file  %7.1f MiB  (goal < 2 s for 50,000)\n' \
  "sohoa sign (plan only)" "$wall" "$(echo "$wall * 1000000 / $n" | bc -l)" \
  "$(echo "$rss / 1024" | bc -l)"
