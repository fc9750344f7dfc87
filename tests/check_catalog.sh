#!/usr/bin/env bash
# Fails when a translatable message in the sources has no Vietnamese translation, or when the
# translation is fuzzy or its printf directives do not match the English.
set -euo pipefail
src=${1:?source folder}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src"
xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --language=C -o "$tmp/sohoa.pot" \
  $(find core cli naming pdf ingest validate sign upload -name '*.c' 2>/dev/null | sort)
msgmerge --quiet --no-fuzzy-matching -o "$tmp/merged.po" po/vi.po "$tmp/sohoa.pot"
msgfmt --check --statistics -o /dev/null "$tmp/merged.po" 2> "$tmp/stats"
cat "$tmp/stats"
if grep -Eq 'untranslated|fuzzy' "$tmp/stats"; then
  echo "po/vi.po lacks translations; list them with:"
  echo "  msgattrib --untranslated $tmp/merged.po"
  msgattrib --untranslated --no-obsolete "$tmp/merged.po" | grep '^msgid' | head -20
  exit 1
fi
