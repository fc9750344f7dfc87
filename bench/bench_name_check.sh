#!/usr/bin/env bash
# sohoa name check over 10,000 dossiers x 30 files (300,000 empty files) against what a user would
# otherwise pick: find | grep -E -v with a regex of the file-name grammar, and a Python os.walk + re
# script (bench/name_check_baseline.py). Files per second and ratios, warm cache, median of 3.
# Usage: bash bench/bench_name_check.sh [BUILD_DIR]   (default: build; Release or RelWithDebInfo)
# Size: NAME_CHECK_ORGS (20) organisation folders x NAME_CHECK_DOSSIERS (500) dossiers each.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
sohoa=$build/cli/sohoa
orgs=${NAME_CHECK_ORGS:-20}
per_org=${NAME_CHECK_DOSSIERS:-500}
repeats=3
files=$((orgs * per_org * 30))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/tree
# The grammar NN.Ten tai lieu[.SoThuTu][_signed].pdf on the basename (the "/" anchors it there).
regex='/[0-9]{2,3}\.[A-Za-z0-9 ]+(\.[1-9][0-9]*)?(_signed)?\.pdf$'

. bench/lib.sh
run() { # CMD...: output to /dev/null; exit status 0 (clean) or 1 (findings) is success
  local rc=0
  "$@" >/dev/null 2>&1 || rc=$?
  [ "$rc" -le 1 ] || { echo "failed with status $rc: $*" >&2; exit 1; }
}
# CMD...: after a warm-up run, "WALL CPU": the median wall seconds (date +%s.%N) of $repeats runs
# and the median CPU seconds (user + system, children included). CPU time shows what the work
# costs when other processes share the cores.
time_cmd() {
  run "$@"
  local TIMEFORMAT='%U %S' s e u y
  for _ in $(seq "$repeats"); do
    s=$(date +%s.%N)
    read -r u y < <({ time run "$@"; } 2>&1)
    [[ "$u $y" =~ ^[0-9.]+\ [0-9.]+$ ]] || { echo "failed: $* ($u $y)" >&2; exit 1; }
    e=$(date +%s.%N)
    echo "$e - $s" | bc -l >> "$tmp/wall"
    echo "$u + $y" | bc -l >> "$tmp/cpu"
  done
  echo "$(median < "$tmp/wall") $(median < "$tmp/cpu")"
  rm -f "$tmp/wall" "$tmp/cpu"
}
find_grep() { find "$root" -type f | grep -E -v "$regex"; }
sohoa_json() { "$sohoa" --json name check "$root"; }
sohoa_text() { "$sohoa" name check "$root"; }
python_re() { python3 bench/name_check_baseline.py "$root"; }
find_only() { find "$root" -type f; }
row() { # LABEL "WALL CPU" ["WALL CPU" of sohoa --json, to compare with]
  local w c
  read -r w c <<< "$2"
  printf '%-34s %7.3f s %9.0f files/s  cpu %6.3f s' "$1" "$w" "$(echo "$files / $w" | bc -l)" "$c"
  if [ $# -ge 3 ]; then
    local ow oc
    read -r ow oc <<< "$3"
    printf '  sohoa is %.2fx (cpu %.2fx)' "$(echo "$w / $ow" | bc -l)" "$(echo "$c / $oc" | bc -l)"
  fi
  echo
}

echo "== name check: $((orgs * per_org)) dossiers x 30 files = $files files," \
  "warm cache, median of $repeats =="
"$sohoa" --json catalog > "$tmp/catalog.json"
s=$(date +%s.%N)
python3 bench/make_dossier_tree.py "$tmp/catalog.json" "$root" "$orgs" "$per_org" "$tmp/expected"
e=$(date +%s.%N)
printf 'tree generated in %.1f s\n' "$(echo "$e - $s" | bc -l)"

# Correctness first: every checker must report exactly the misnamed files it can see.
LC_ALL=C sort -o "$tmp/expected.all" "$tmp/expected.all"
LC_ALL=C sort -o "$tmp/expected.visible" "$tmp/expected.visible"
rc=0; sohoa_json > "$tmp/sohoa.json" || rc=$?
[ "$rc" -eq 1 ] || { echo "sohoa name check: exit status $rc, expected 1 (findings)"; exit 1; }
python3 - "$tmp/sohoa.json" "$files" > "$tmp/sohoa.paths" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
s = d["summary"]
assert s["files"] == int(sys.argv[2]), f"sohoa checked {s['files']} files"
assert s["warnings"] == 0 and s["errors"] == len(d["findings"]), s
for p in sorted({f["path"] for f in d["findings"]}):
    print(p)
EOF
LC_ALL=C sort -o "$tmp/sohoa.paths" "$tmp/sohoa.paths"
find_grep | LC_ALL=C sort > "$tmp/grep.paths" || true
rc=0; python_re > "$tmp/python.paths" || rc=$?
[ "$rc" -eq 1 ] || { echo "name_check_baseline.py: exit status $rc, expected 1"; exit 1; }
LC_ALL=C sort -o "$tmp/python.paths" "$tmp/python.paths"
cmp -s "$tmp/sohoa.paths" "$tmp/expected.all" || {
  echo "sohoa: findings differ from the misnamed files"
  diff "$tmp/expected.all" "$tmp/sohoa.paths" | head
  exit 1
}
cmp -s "$tmp/grep.paths" "$tmp/expected.visible" || {
  echo "find | grep: output differs from the misnamed files it can see"; exit 1; }
cmp -s "$tmp/python.paths" "$tmp/expected.visible" || {
  echo "python: output differs from the misnamed files it can see"; exit 1; }
n_all=$(wc -l < "$tmp/expected.all")
n_vis=$(wc -l < "$tmp/expected.visible")
printf 'misnamed files: %d; sohoa reports all %d, find|grep and python %d (the same files)\n' \
  "$n_all" "$n_all" "$n_vis"
printf '  the other %d (a letter dropped from the catalog name, STT padded to 3 digits,\n' \
  "$((n_all - n_vis))"
echo '  SoThuTu on a type that occurs once) fit the regex: it checks the grammar, not the catalog'
echo '  (STT 1-104 and its name), the padding, the SoThuTu rules, nor the folder names and CCCDs.'

t_json=$(time_cmd sohoa_json)
t_text=$(time_cmd sohoa_text)
t_grep=$(time_cmd find_grep)
t_py=$(time_cmd python_re)
t_find=$(time_cmd find_only)
row "sohoa --json name check" "$t_json"
row "sohoa name check (text)" "$t_text"
row "find | grep -E -v REGEX" "$t_grep" "$t_json"
row "python3 os.walk + re" "$t_py" "$t_json"
row "find -type f alone (walk floor)" "$t_find" "$t_json"

# What the misnamed files cost: the same tree with the 1% put right, every file on the fast path.
python3 - "$tmp/expected.renames" <<'EOF'
import os, sys
for line in open(sys.argv[1], encoding="utf-8"):
    path, good = line.rstrip("\n").split("\t")
    os.rename(path, os.path.join(os.path.dirname(path), good))
EOF
"$sohoa" name check "$root" >/dev/null || {
  echo "sohoa: findings left after the names were put right"
  exit 1
}
t_clean=$(time_cmd sohoa_json)
row "sohoa --json, every name correct" "$t_clean"
printf '  (the %d misnamed files cost %.0f us of cpu each: their diagnosis, mostly title\n' \
  "$n_all" "$(echo "(${t_json#* } - ${t_clean#* }) * 1000000 / $n_all" | bc -l)"
echo '  matching of the misspelt names; a correct name takes the strict parser only)'
if [ -x /usr/bin/time ]; then
  rss() { # CMD...: peak resident set size in KiB
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}'
  }
  printf 'peak RSS: sohoa --json %d KiB, sohoa text %d KiB, python3 %d KiB\n' \
    "$(rss "$sohoa" --json name check "$root")" "$(rss "$sohoa" name check "$root")" \
    "$(rss python3 bench/name_check_baseline.py "$root")"
else
  echo 'peak RSS: /usr/bin/time not installed (package time), skipped'
fi
