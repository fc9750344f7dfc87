#!/usr/bin/env bash
# The source checks that fail the build (issue 14; docs/architecture.md, "Checks"):
#   1. clang-format --dry-run --Werror on every .c and .h file (.clang-format);
#   2. clang-tidy (.clang-tidy: the static analyzer and bug finders, every report an error) on
#      every .c file compiled in BUILD_DIR: modules, CLI, tests, and fuzz and bench when built;
#   3. scripts/check-complexity.sh, when it is there.
#
#   bash scripts/check-source.sh BUILD_DIR
#
# BUILD_DIR is a build configured with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON, with clang (its flags
# are the ones clang-tidy reads); scripts/test.sh uses its ASan build, which has the fuzz targets.
# It need not be built. SOHOA_CHECK_JOBS sets how many clang-tidy run at once (default 2).
# Every violation is printed as file:line: what. Exit status: 0 clean, 1 violations, 2 usage
# (no BUILD_DIR, no compile_commands.json, a tool missing).
set -uo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "check-source: $1" >&2
  exit 2
}
[ $# -eq 1 ] || usage "usage: bash scripts/check-source.sh BUILD_DIR"
build=$(cd "$1" 2>/dev/null && pwd) || usage "no build folder $1"
[ -f "$build/compile_commands.json" ] ||
  usage "no $1/compile_commands.json: configure it with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON"
for tool in clang-format clang-tidy python3; do
  command -v "$tool" >/dev/null || usage "$tool is not installed (scripts/install-deps.sh)"
done
jobs=${SOHOA_CHECK_JOBS:-2}
failed=0

# Tracked files and new ones not ignored (a contributor's run sees what they are adding);
# outside a git checkout (a source tarball), every C file but the build folders.
source_files() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files --cached --others --exclude-standard -- '*.c' '*.h' |
      while read -r f; do [ -f "$f" ] && echo "$f"; done
  else
    find . \( -name 'build*' -o -name .git \) -prune -o \( -name '*.c' -o -name '*.h' \) -print |
      sed 's|^\./||'
  fi
}

echo "== clang-format =="
mapfile -t files < <(source_files | sort)
# Its diagnostics already read "file:line:col: error: code should be clang-formatted".
if ! clang-format --dry-run --Werror "${files[@]}"; then
  echo "check-source: clang-format: fix with clang-format -i FILE" >&2
  failed=1
fi
echo "${#files[@]} files"

echo "== clang-tidy =="
mapfile -t units < <(python3 - "$build" "$PWD" <<'EOF'
import json, os, sys
build, root = sys.argv[1], sys.argv[2] + os.sep
seen = []
for e in json.load(open(os.path.join(build, "compile_commands.json"))):
    f = os.path.normpath(os.path.join(e["directory"], e["file"]))
    if f.startswith(root) and not f.startswith(build + os.sep) and f not in seen:
        seen.append(f)
print("\n".join(sorted(seen)))
EOF
)
[ ${#units[@]} -gt 0 ] || usage "no source file in $1/compile_commands.json"
log="$build/clang-tidy.log"
start=$SECONDS
printf '%s\n' "${units[@]}" |
  xargs -P "$jobs" -n 1 clang-tidy -p "$build" --quiet >"$log" 2>&1
tidy=${PIPESTATUS[1]}
# clang-tidy 14 can crash on a file: that file is unchecked, which is a failure too.
if grep -q '^Stack dump:' "$log"; then
  grep -A1 '^Stack dump:' "$log" | grep 'Program arguments' >&2
  echo "check-source: clang-tidy crashed; those files are unchecked" >&2
  failed=1
fi
# Each report as file:line:col: error: what [check], relative to the source folder; the
# analyzer's path to it (its notes) is in the log.
if grep -E '^[^ ]+:[0-9]+:[0-9]+: (error|warning):' "$log" | sed "s|^$PWD/||" | sort -u | grep .; then
  echo "check-source: clang-tidy: the reports above, with the analyzer's notes, are in $log" >&2
  failed=1
elif [ "$tidy" -ne 0 ]; then # no report, yet it failed: a crash, a file it could not read
  tail -n 20 "$log" >&2
  echo "check-source: clang-tidy failed (exit $tidy); its output is in $log" >&2
  failed=1
fi
echo "${#units[@]} files in $((SECONDS - start)) s"

if [ -f scripts/check-complexity.sh ]; then
  echo "== complexity =="
  bash scripts/check-complexity.sh || failed=1
fi

if [ "$failed" -ne 0 ]; then
  echo "check-source: FAILED" >&2
  exit 1
fi
echo "check-source: clean"
