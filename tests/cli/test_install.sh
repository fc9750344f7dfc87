#!/usr/bin/env bash
# cmake --install puts the binary and the Vietnamese catalog where the installed sohoa finds it.
. "$(dirname "$0")/lib.sh"

build=$(dirname "$(dirname "$SOHOA")")
cmake --install "$build" --prefix "$TMP/prefix" >/dev/null
[ -x "$TMP/prefix/bin/sohoa" ] || fail "no installed binary"
[ -f "$TMP/prefix/share/locale/vi/LC_MESSAGES/sohoa.mo" ] || fail "no installed catalog"
out=$(cd / && env -u SOHOA_LOCALEDIR "$TMP/prefix/bin/sohoa" --lang vi --help)
assert_not_contains "$out" "Usage: sohoa" "installed sohoa's Vietnamese help"
pass
