#!/usr/bin/env bash
# Maintainer step: refresh po/sohoa.pot from the sources (po/sources.sh) and merge it into
# po/vi.po. With a FRAGMENT.po argument, its translations are merged in first (new or changed
# messages). With --pot-only, only po/sohoa.pot is refreshed (the `pot` build target).
# Afterwards `bash tests/check_catalog.sh .` must report no untranslated or fuzzy message.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t sources < <(bash po/sources.sh)
xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --language=C --add-comments \
  --package-name=sohoa -o po/sohoa.pot "${sources[@]}"
[ "${1:-}" = --pot-only ] && exit 0
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
