#!/usr/bin/env bash
# Sets KEY = VALUE in [SECTION] of a sohoa.ini, replacing the key's line or adding it at the end
# of the section (the section must exist: sohoa init writes every one). For the demo and the
# tests; an operator edits the file.
#
#   bash scripts/ini-set.sh FILE SECTION KEY VALUE
set -euo pipefail
file=$1 section=$2 key=$3 value=$4
awk -v s="[$section]" -v k="$key" -v v="$value" '
  # blank lines are held back so that a new key goes before the blank line ending its section
  function flush() { for (; blanks > 0; blanks--) print "" }
  /^[ \t]*$/ { blanks++; next }
  /^\[/ { if (sec && !done) { print k " = " v; done = 1 } sec = ($0 == s) }
  sec && $0 ~ "^" k "[ \t]*=" { flush(); if (!done) print k " = " v; done = 1; next }
  { flush(); print }
  END { if (sec && !done) { print k " = " v; done = 1 } flush(); if (!done) exit 1 }' "$file" >"$file.new" ||
  { rm -f "$file.new"; echo "ini-set: no [$section] in $file" >&2; exit 1; }
mv "$file.new" "$file"
