#!/usr/bin/env bash
# Fails when a translatable message in the sources has no Vietnamese translation, or when the
# translation is fuzzy or its printf directives do not match the English.
set -euo pipefail
src=${1:?source folder}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src"
bash po/sources.sh > "$tmp/sources"
# Every C file outside tests, fuzzers and benchmarks that marks a message must be extracted.
find . -path ./tests -prune -o -path ./fuzz -prune -o -path ./bench -prune -o -path './build*' -prune \
  -o \( -name '*.c' -o -name '*.h' \) -type f -print | sed 's|^\./||' | LC_ALL=C sort |
  while read -r f; do
    if grep -qE '\b(N?_)\("' "$f" && ! grep -qxF "$f" "$tmp/sources"; then
      echo "$f marks messages but po/sources.sh does not list it"
      exit 1
    fi
  done
xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --language=C -o "$tmp/sohoa.pot" \
  $(cat "$tmp/sources")
msgmerge --quiet --no-fuzzy-matching -o "$tmp/merged.po" po/vi.po "$tmp/sohoa.pot"
msgfmt --check --statistics -o /dev/null "$tmp/merged.po" 2> "$tmp/stats"
cat "$tmp/stats"
if grep -Eq 'untranslated|fuzzy' "$tmp/stats"; then
  echo "po/vi.po lacks translations; list them with:"
  echo "  msgattrib --untranslated $tmp/merged.po"
  msgattrib --untranslated --no-obsolete "$tmp/merged.po" | grep '^msgid' | head -20
  exit 1
fi
