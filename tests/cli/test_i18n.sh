#!/usr/bin/env bash
# Messages and help in Vietnamese with --lang vi or a Vietnamese LANG (even where the vi_VN
# locale is not generated), English otherwise.
. "$(dirname "$0")/lib.sh"

en_usage="Usage: sohoa"
run_sohoa 0 --lang vi --help
assert_not_contains "$OUT" "$en_usage" "Vietnamese help"
assert_contains "$OUT" "sohoa" "Vietnamese help"
echo "$OUT" | grep -q '[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ]' || fail "help has no Vietnamese letters"
vi_help=$OUT

LANG=vi_VN.UTF-8 run_sohoa 0 --help
assert_eq "$OUT" "$vi_help" "help under LANG=vi_VN.UTF-8"
LC_ALL=vi_VN.UTF-8 run_sohoa 0 --help
assert_eq "$OUT" "$vi_help" "help under LC_ALL=vi_VN.UTF-8"
LANG=vi_VN.UTF-8 run_sohoa 0 --lang en --help
assert_contains "$OUT" "$en_usage" "--lang en overrides LANG"
run_sohoa 0 --help
assert_contains "$OUT" "$en_usage" "English help"

# Command help and errors too.
run_sohoa 0 --lang vi audit --help
assert_not_contains "$OUT" "Usage:" "Vietnamese audit help"
run_sohoa 2 --lang vi audit verify
assert_not_contains "$ERR" "no sohoa workspace" "Vietnamese error"
run_sohoa 2 audit verify
assert_contains "$ERR" "no sohoa workspace" "English error"
run_sohoa 2 --lang fr --help
assert_contains "$ERR" "--lang"
pass
