#!/usr/bin/env bash
# The command line of every command is driven by its option table (cli/options.c): the same
# wording for usage errors, --help made from the table (and the same as "sohoa help COMMAND"),
# in Vietnamese too, and the manual page and bash completion made from the same tables.
. "$(dirname "$0")/lib.sh"

COMMANDS="init audit catalog name ingest document validate sign verify pack receive upload import-receipts export help"

# The completion script lists each command's options and what their values are.
"$SOHOA" help --completion bash > "$TMP/completion"
. "$TMP/completion"

# help_options TEXT: the long options of the "Options:" entries of a help text.
help_options() {
  printf '%s\n' "$1" | sed -n 's/^  \(-., \)\{0,1\}\(--[a-z0-9-]*\).*/\2/p'
}

for c in $COMMANDS; do
  # Unknown options: exit 2, one message naming the command, even with --help.
  want="sohoa: $c: unknown option --bogus; see \"sohoa help $c\""
  run_sohoa 2 "$c" --bogus
  assert_eq "$ERR" "$want" "$c --bogus"
  run_sohoa 2 "$c" --bogus --help
  assert_eq "$ERR" "$want" "$c --bogus --help"
  assert_eq "$OUT" "" "$c --bogus --help: stdout"
  run_sohoa 2 "$c" --help --bogus=1
  assert_eq "$ERR" "$want" "$c --help --bogus=1"

  # --help: exit 0, every option of the table; the same text as "sohoa help COMMAND" and -h.
  run_sohoa 0 "$c" --help
  help=$OUT
  assert_contains "$help" "Usage: sohoa $c" "$c --help"
  for o in $(_sohoa_options "$c"); do
    assert_contains "$help" "$o" "$c --help"
  done
  [ -n "$(help_options "$help")" ] || [ "$c" = help ] || fail "$c --help lists no option"
  run_sohoa 0 help "$c"
  assert_eq "$OUT" "$help" "sohoa help $c"
  run_sohoa 0 -h "$c"
  assert_eq "$OUT" "$help" "sohoa -h $c"

  # In Vietnamese: the same options, the texts from the catalog.
  run_sohoa 0 --lang vi "$c" --help
  assert_contains "$OUT" "Cách dùng: sohoa $c" "$c --help in Vietnamese"
  assert_not_contains "$OUT" "Usage:" "$c --help in Vietnamese"
  for o in $(help_options "$help"); do
    assert_contains "$OUT" "$o" "$c --help in Vietnamese"
  done
  run_sohoa 2 --lang vi "$c" --bogus
  assert_contains "$ERR" "không có tùy chọn --bogus" "Vietnamese usage error"

  # An option that takes a value, without one.
  for o in $(_sohoa_options "$c"); do
    if [ -n "$(_sohoa_value "$c" "$o")" ]; then
      run_sohoa 2 "$c" "$o"
      assert_eq "$ERR" "sohoa: $c: $o needs a value" "$c $o"
    fi
  done
done

# The global options: before the command, or after it.
run_sohoa 2 --bogus ingest
assert_eq "$ERR" 'sohoa: unknown option --bogus; see "sohoa help"'
run_sohoa 2 --workspace
assert_eq "$ERR" "sohoa: --workspace needs a value"
run_sohoa 2 bogus
assert_eq "$ERR" 'sohoa: unknown command "bogus"; "sohoa help" lists them'
run_sohoa 2 help bogus
assert_contains "$ERR" 'unknown command "bogus"'
run_sohoa 2 help --completion zsh
assert_eq "$ERR" "sohoa: help: --completion takes one of: bash"
run_sohoa 0 --help
assert_eq "$OUT" "$("$SOHOA" help)" "sohoa --help and sohoa help"
for c in $COMMANDS; do
  assert_contains "$OUT" "  $c " "the list of commands"
done

# Numbers: one wording, the command, the option and the range.
while IFS='|' read -r args message; do
  # shellcheck disable=SC2086
  run_sohoa 2 $args
  assert_eq "$ERR" "sohoa: $message" "sohoa $args"
done <<'EOF'
ingest --dpi 49 x.tif|ingest: --dpi takes a whole number from 50 to 4800
ingest --dpi 4801 x.tif|ingest: --dpi takes a whole number from 50 to 4800
ingest --dpi 300dpi x.tif|ingest: --dpi takes a whole number from 50 to 4800
ingest --seq 0 x.tif|ingest: --seq takes a whole number from 1 to 999
ingest --expected-pages 0 x.tif|ingest: --expected-pages takes a whole number from 1 to 100000
ingest --org 1 --cccd 2 --name x --type 105 x.tif|ingest: --type takes a whole number from 1 to 104
catalog --priority 4|catalog: --priority takes a whole number from 1 to 3
catalog --priority=0|catalog: --priority takes a whole number from 1 to 3
name suggest 2 --seq 1000|name: --seq takes a whole number from 1 to 999
document pages x.pdf --expected 0 --reason x|document: --expected takes a whole number from 1 to 100000
validate . --jobs 257|validate: --jobs takes a whole number from 1 to 256
validate . --jobs=-1|validate: --jobs takes a whole number from 1 to 256
EOF
run_sohoa 2 --lang vi catalog --priority 4
assert_eq "$ERR" "sohoa: catalog: --priority nhận một số nguyên từ 1 đến 3"

# The forms of an option: --name=VALUE, a flag given a value, twice, "--" ending the options.
run_sohoa 0 name suggest 55 --seq=2
assert_eq "$OUT" "55.Giay gioi thieu sinh hoat dang tam thoi.2.pdf"
run_sohoa 0 --json catalog --priority=3
assert_eq "$(json_get "$OUT" 'd["count"]')" "19" "--priority=3"
run_sohoa 2 name suggest 2 --signed=yes
assert_eq "$ERR" "sohoa: name: --signed takes no value"
run_sohoa 2 catalog --priority 1 --priority 2
assert_eq "$ERR" "sohoa: catalog: --priority is given twice; give it once"
run_sohoa 1 name suggest -- --seq
assert_contains "$ERR" 'no document type matches "--seq"' "-- ends the options"
run_sohoa 3 validate -- --jobs
assert_contains "$ERR" "--jobs" "-- ends the options"
run_sohoa 0 name suggest 2 -q --signed
assert_eq "$OUT" "02.Ly lich dang vien_signed.pdf" "a global option after the command"

# The manual page: roff that groff renders without a warning, a subsection per command, in
# English and in Vietnamese.
for lang in en vi; do
  "$SOHOA" --lang "$lang" help --man > "$TMP/sohoa.$lang.1"
  groff -k -man -Tutf8 -ww -z "$TMP/sohoa.$lang.1" 2> "$TMP/groff.err"
  [ ! -s "$TMP/groff.err" ] || fail "groff warns on the $lang manual: $(cat "$TMP/groff.err")"
  for c in $COMMANDS; do
    grep -qx ".SS \"sohoa $c\"" "$TMP/sohoa.$lang.1" || fail "no section for $c in the $lang manual"
  done
done
man1=$(cat "$TMP/sohoa.en.1")
for section in NAME SYNOPSIS DESCRIPTION "GLOBAL OPTIONS" COMMANDS "EXIT STATUS" FILES "SEE ALSO"; do
  assert_contains "$man1" ".SH \"$section\"" "the manual"
done
assert_contains "$man1" '\fB\-\-dpi\fR \fIN\fR' "the manual's options"
assert_contains "$(cat "$TMP/sohoa.vi.1")" '.SH "TÙY CHỌN CHUNG"' "the Vietnamese manual"
MANWIDTH=80 man -l "$TMP/sohoa.en.1" 2>/dev/null | grep -q "Make one PDF per document" ||
  fail "man -l does not show the ingest section"

# The build made the same files (target sohoa_docs).
build=$(dirname "$(dirname "$SOHOA")")
cmp -s "$build/man/sohoa.1" "$TMP/sohoa.en.1" || fail "build's man/sohoa.1 differs"
cmp -s "$build/man/vi/sohoa.1" "$TMP/sohoa.vi.1" || fail "build's man/vi/sohoa.1 differs"
cmp -s "$build/completion/sohoa" "$TMP/completion" || fail "build's completion/sohoa differs"

# The completion, in bash as a person's shell would run it.
complete_words() { # WORDS...: what completes the last word
  bash -c '. "$1"; shift; complete -p sohoa >/dev/null || exit 9
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _sohoa; echo "${COMPREPLY[*]}"' \
    _ "$TMP/completion" "$@"
}
assert_eq "$(complete_words sohoa ing)" "ingest" "sohoa ing<TAB>"
assert_contains "$(complete_words sohoa in)" "ingest" "sohoa in<TAB>"
assert_eq "$(complete_words sohoa audit '')" "note verify show export" "sohoa audit <TAB>"
assert_eq "$(complete_words sohoa --lang '')" "vi en" "sohoa --lang <TAB>"
assert_eq "$(complete_words sohoa catalog --priority '')" "1 2 3" "sohoa catalog --priority <TAB>"
assert_eq "$(complete_words sohoa -q help ver)" "verify" "sohoa help ver<TAB>"
sign_words=$(complete_words sohoa sign --)
run_sohoa 0 sign --help
for o in $(help_options "$OUT"); do
  assert_contains " $sign_words " " $o " "sohoa sign --<TAB>"
done
mkdir -p "$TMP/pick/sub" && touch "$TMP/pick/sheet.csv"
assert_eq "$(complete_words sohoa ingest --manifest "$TMP/pick/sh")" "$TMP/pick/sheet.csv" "a file"
assert_eq "$(complete_words sohoa --workspace "$TMP/pick/")" "$TMP/pick/sub" "a folder"
pass
