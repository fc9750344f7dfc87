#!/usr/bin/env bash
# sohoa's province merge against the tools a supervisor would otherwise pick to sum JSON files,
# on the same 1,000 snapshots of ~500 organisation rows (issue 17: merge in under 1 s).
#
#   bash bench/bench_merge.sh [BUILD_DIR] [N] [ROWS]   (default: build, 1000, 500)
#
# The snapshots are made and signed by bench_merge (bench/bench_merge.c) with the test key of
# tests/sign_fixtures.sh, one station each. Warm cache, median of REPEATS=3 runs (jq: one).
# Measured:
#   sohoa    pg_merge (bench_merge merge): every signature verified against the CA, every file
#            parsed and checked by the bounded reader, the rows summed per organisation;
#   python3  json.load of each file and the same per-organisation sums of every count (no
#            signature checked, nothing validated);
#   jq       jq -s over all files, summing the stage counts per organisation (no signature).
# Ratio: the other tool's time / sohoa's (above 1: sohoa is faster). Peak RSS (GNU time).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:-build}" && pwd)
n=${2:-1000}
rows=${3:-500}
repeats=${REPEATS:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-merge.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
source bench/lib.sh
bash tests/sign_fixtures.sh "$tmp/keys" >/dev/null 2>&1
mkdir "$tmp/snap"
"$build/bench/bench_merge" make "$tmp/snap" "$n" "$rows" "$tmp/keys/org-rsa.p12" p12-pass
echo "$n snapshots of $rows rows: $(du -sh "$tmp/snap" | cut -f1) of JSON and signatures"

cat >"$tmp/sum.py" <<'PY'
import glob, json, sys
sums = {}
for path in glob.glob(sys.argv[1] + "/*.json"):
    with open(path) as f:
        doc = json.load(f)
    for row in [doc["total"]] + doc["organisations"]:
        s = sums.setdefault(row["org"], {})
        for part in ("dossiers", "result", "rejections", "in_period"):
            for k, v in row[part].items():
                s[part + k] = s.get(part + k, 0) + v
        for k in ("priority1_complete", "complete", "documents", "pages", "per_day", "per_week"):
            s[k] = s.get(k, 0) + row[k]
print(len(sums))
PY
jq_prog='[.[] | .total, .organisations[]] | group_by(.org)
  | map({org: .[0].org, dossiers: (map(.dossiers) | reduce .[] as $d ({}; . as $a
      | reduce ($d | keys[]) as $k ($a; .[$k] += $d[$k])))}) | length'

run() { # NAME CMD...: the median wall seconds and the largest peak RSS, of $REPEATS runs
  local name=$1 w r
  shift
  : >"$tmp/w"
  : >"$tmp/r"
  for _ in $(seq "${REPEATS:-$repeats}"); do
    read -r w r < <(measure "$@") || { echo "$name failed: $(tail -3 "$tmp/err")"; return 1; }
    echo "$w" >>"$tmp/w"
    echo "$r" >>"$tmp/r"
  done
  printf '%s %s %s\n' "$name" "$(median <"$tmp/w")" "$(sort -n "$tmp/r" | tail -1)"
}
{
  run sohoa "$build/bench/bench_merge" merge "$tmp/keys/ca.pem" "$tmp/snap"
  run python3 /usr/bin/python3 "$tmp/sum.py" "$tmp/snap"
  if command -v jq >/dev/null; then # over a minute and GiBs of memory: one run
    REPEATS=1 run jq sh -c "jq -s '$jq_prog' \"$tmp\"/snap/*.json"
  fi
} >"$tmp/results"
"$build/bench/bench_merge" merge "$tmp/keys/ca.pem" "$tmp/snap"
awk 'NR == 1 {base = $2} {printf "%-8s %8.3f s  peak RSS %7.1f MiB  ratio %5.2f\n", $1, $2, $3 / 1024, $2 / base}' \
  "$tmp/results"
