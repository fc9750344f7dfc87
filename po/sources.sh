#!/usr/bin/env bash
# The translatable sources, one per line: every .c and .h of each module (a folder with an
# include/ folder: its public header) and of the CLI. The one list that po/update.sh, the `pot`
# target and tests/check_catalog.sh extract from, so a new module is covered without editing them.
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
for dir in */include; do
  printf '%s\n' "${dir%/include}"
done | { cat; echo cli; } | sort -u | while read -r module; do
  find "$module" \( -name '*.c' -o -name '*.h' \) -type f
done | LC_ALL=C sort
