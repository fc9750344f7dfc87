#!/usr/bin/env bash
# check.complexity: scripts/check-complexity.sh passes on the modules and the CLI, and fails,
# naming file:line: function, on a function seeded above each limit (complexity, length).
set -euo pipefail
src=${1:?source folder}
script=$src/scripts/check-complexity.sh
fail() { echo "FAIL (check.complexity): $*" >&2; exit 1; }
command -v pmccabe >/dev/null || fail "needs pmccabe, not found in PATH (scripts/install-deps.sh)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$(bash "$script" 2>&1) || fail "the tree breaks the limits:"$'\n'"$out"

# 51 decisions: modified complexity 52.
{
  echo "int branchy(int x)"
  echo "{"
  echo "    int n = 0;"
  for i in $(seq 1 51); do echo "    if (x == $i)"; echo "        n++;"; done
  echo "    return n;"
  echo "}"
} >"$tmp/branchy.c"
# 151 statements, no branch: 154 lines.
{
  echo "/* a comment line is not counted */"
  echo "int longish(int x)"
  echo "{"
  for i in $(seq 1 151); do echo "    x += $i;"; echo; done
  echo "    return x;"
  echo "}"
} >"$tmp/long.c"
cd "$tmp"
got=0
out=$(bash "$script" branchy.c long.c 2>&1) || got=$?
[ "$got" = 1 ] || fail "exit $got on seeded violations, expected 1: $out"
want="branchy.c:1: branchy: complexity 52 > 50"
case "$out" in *"$want"*) ;; *) fail "no \"$want\" in: $out" ;; esac
want="long.c:2: longish: length 155 > 150"
case "$out" in *"$want"*) ;; *) fail "no \"$want\" in: $out" ;; esac
[ "$(printf '%s\n' "$out" | wc -l)" = 2 ] || fail "more than the two violations: $out"
echo "PASS (check.complexity)"
