#!/usr/bin/env bash
# Maintainer step: refresh po/sohoa.pot from the sources and merge it into po/vi.po.
# With a FRAGMENT.po argument, its translations are merged in first (new or changed messages).
# Afterwards `bash tests/check_catalog.sh .` must report no untranslated or fuzzy message.
set -euo pipefail
cd "$(dirname "$0")/.."
xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --language=C --add-comments \
  --package-name=sohoa -o po/sohoa.pot $(find core cli naming pdf ingest validate sign upload \
  -name '*.c' 2>/dev/null | sort)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp po/vi.po "$tmp/vi.po"
if [ $# -gt 0 ]; then
  # vi.po first: its header and existing translations win; the fragment adds new messages.
  msgcat --use-first -o "$tmp/vi.po" po/vi.po "$1"
fi
msgmerge --quiet --no-fuzzy-matching -o "$tmp/merged.po" "$tmp/vi.po" po/sohoa.pot
msgattrib --no-obsolete -o po/vi.po "$tmp/merged.po"
msgfmt --check --statistics -o /dev/null po/vi.po
