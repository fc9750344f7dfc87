#!/usr/bin/env bash
# Fails when a function is too branchy or too long, as curl does with pmccabe (issue 14).
#
#   bash scripts/check-complexity.sh [FILE...]
#
# Without arguments: every .c/.h file of the modules and the CLI (core naming pdf ingest validate
# sign upload progress cli), the code that ships: tracked and new ones in a git checkout, all of them outside. Tests, fuzz harnesses and benchmarks are left out, as
# curl leaves out its tests: a test is a straight list of assertions whose length says nothing of
# its branching, and harnesses are not built by default (all three meet the limits today anyway:
# at most 30, and 139 lines).
#
# Limits, on pmccabe -c's columns:
# - modified cyclomatic complexity (a switch counts once) at most 50, the issue's figure: after
#   the splits of nm_diagnose_file_name, in_jpeg_parse_header and classify (54, 52, 51) the most
#   complex function is check_signature (sign/verify.c) at 48.
# - length at most 150 non-blank, non-comment lines, the issue's figure: the longest today is
#   in_ingest_document at 109 (cmd_ingest was 135 before its split); past 150 a function no
#   longer fits in two screens and has steps worth naming.
#
# Output, one line per violation: file:line: function: complexity N > 50 (or length N > 150).
# Exit status: 0 within the limits, 1 violations, 2 pmccabe missing or a file unreadable.
set -euo pipefail

MAX_COMPLEXITY=50
MAX_LINES=150

if ! command -v pmccabe >/dev/null; then
  echo "check-complexity: pmccabe is not installed (Debian package pmccabe; scripts/install-deps.sh)" >&2
  exit 2
fi

if [ $# -gt 0 ]; then
  files=("$@")
else
  cd "$(dirname "$0")/.."
  modules=(core naming pdf ingest validate sign upload progress cli)
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # tracked and new (not ignored) files, as check-source.sh: a contributor's run sees what they add
    mapfile -t files < <(for m in "${modules[@]}"; do
      git ls-files --cached --others --exclude-standard -- "$m/*.[ch]"
    done | while read -r f; do [ -f "$f" ] && echo "$f"; done)
  else # a source tarball: every C file of those folders
    mapfile -t files < <(find "${modules[@]}" -name '*.[ch]' | LC_ALL=C sort)
  fi
  [ ${#files[@]} -gt 0 ] || { echo "check-complexity: no tracked C files found" >&2; exit 2; }
fi
for f in "${files[@]}"; do
  [ -r "$f" ] || { echo "check-complexity: cannot read $f" >&2; exit 2; }
done

# pmccabe -c: modified, traditional, statements, first line, non-comment lines, file(line): name
report=$(pmccabe -c "${files[@]}") || { echo "check-complexity: pmccabe failed" >&2; exit 2; }
awk -v maxc="$MAX_COMPLEXITY" -v maxl="$MAX_LINES" '
  {
    where = $6; sub(/\([0-9]+\):$/, "", where)
    name = $7; for (i = 8; i <= NF; i++) name = name " " $i
    if ($1 > maxc) { printf "%s:%d: %s: complexity %d > %d\n", where, $4, name, $1, maxc; bad = 1 }
    if ($5 > maxl) { printf "%s:%d: %s: length %d > %d\n", where, $4, name, $5, maxl; bad = 1 }
  }
  END { exit bad }' <<<"$report"
