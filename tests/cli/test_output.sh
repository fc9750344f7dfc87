#!/usr/bin/env bash
# The one output contract of every command (cli/output.c; docs/architecture.md, "Printing
# results"): with --json, stdout holds one JSON document and nothing else — or nothing at all when
# the command stops on an error, whose message is "sohoa: ..." on stderr; a problem with one input
# among several leaves the document whole; a document that cannot be written is exit 4, never a
# silent success. -q leaves stdout empty on a clean run where results are counts and notes. Lines
# on stdout and stderr reach a shared log in the order they were written.
. "$(dirname "$0")/lib.sh"
need_tool openssl softhsm2-util pkcs11-tool

is_json() { python3 -m json.tool >/dev/null 2>&1 <<<"$1"; }
# json_ok STATUS ARGS...: --json run; stdout is one JSON document and stderr holds no error.
json_ok() {
  local want=$1; shift
  run_sohoa "$want" --json "$@"
  is_json "$OUT" || fail "sohoa --json $*: stdout is not one JSON document: $OUT"
  assert_not_contains "$ERR" "sohoa: " "stderr of sohoa --json $*"
}
# json_partial STATUS ARGS...: one input is bad: the document still comes, the error is said on
# stderr (or in the document, where its shape has a place for it).
json_partial() {
  local want=$1; shift
  run_sohoa "$want" --json "$@"
  is_json "$OUT" || fail "sohoa --json $*: stdout is not one JSON document: $OUT"
}
# json_err STATUS ARGS...: the command stops: nothing on stdout, the message on stderr.
json_err() {
  local want=$1; shift
  run_sohoa "$want" --json "$@"
  [ -z "$OUT" ] || fail "sohoa --json $* stopped with an error but printed on stdout: $OUT"
  assert_contains "$ERR" "sohoa: " "stderr of sohoa --json $*"
}
# quiet_clean ARGS...: -q on a clean run prints nothing on stdout.
quiet_clean() {
  run_sohoa 0 -q "$@"
  assert_eq "$OUT" "" "stdout of sohoa -q $*"
}

ORG=93.000.036.001.015
S=$TMP/src
scans "$S/good" --format tiff-g4 --size A5 --dpi 200 --pages 2 --seed 21
scans "$S/good3" --format jpeg --size A5 --dpi 200 --pages 1 --seed 22
scans "$S/blank" --format tiff-g4 --size A5 --dpi 200 --pages 1 --blank --seed 23

# ---- init, catalog ----
json_ok 0 init ws --station T-01 --operator "Nguyễn Văn A"
json_err 2 init ws --station T-01 --operator "Nguyễn Văn A"
json_err 2 init /proc/sohoa-cannot --station T-01 --operator "Nguyễn Văn A"
quiet_clean init ws-quiet --station T-02 --operator "Nguyễn Văn B"
json_ok 0 catalog --priority 1
json_err 2 catalog --priority 9
cd ws

# ---- name ----
json_ok 0 name suggest Ly lich dang vien
json_partial 1 name suggest xyzzy qwerty
json_err 2 name suggest 2 --seq 0
json_ok 0 name folder --org "$ORG" --cccd 001085012345 --name "Nguyễn Văn An"
json_partial 1 name folder --org 93 --cccd 12 --name x

# ---- ingest, document ----
A="$ORG/001085012345_NguyenVanAn"
B="$ORG/001090054321_TranThiBinh"
json_ok 0 ingest --org "$ORG" --cccd 001085012345 --name "Nguyễn Văn An" --type 2 "$S/good"
quiet_clean ingest --org "$ORG" --cccd 001085012345 --name "Nguyễn Văn An" --type 3 "$S/good3"
run_sohoa 0 ingest --org "$ORG" --cccd 001090054321 --name "Trần Thị Bình" --type 2 \
  "$S/good/scan-001.tif" "$S/blank"
json_partial 3 ingest --org "$ORG" --cccd 001090054321 --name "Trần Thị Bình" --type 9 \
  "$TMP/no-such.tif"
assert_eq "$(json_get "$OUT" '[f["code"] for f in d["findings"]]')" "['ingest.failed']"
(cd "$TMP" && json_err 2 ingest --org "$ORG" --cccd 001090054321 --name "Trần Thị Bình" \
  --type 9 "$S/good")
json_ok 0 document pages "$A/02.Ly lich dang vien.pdf" --expected 2 --reason "the paper has 2"
json_err 3 document pages "$TMP/no-such.pdf" --expected 2 --reason "x"

# ---- name check, name fix ----
json_ok 0 name check .
quiet_clean name check .
json_partial 3 name check . "$TMP/no-such"
assert_contains "$ERR" "sohoa: cannot read $TMP/no-such"
json_ok 0 name fix .
quiet_clean name fix .
json_err 2 name fix --undo "$TMP/no-such.txt"

# ---- validate ----
json_ok 0 validate "$A"
json_partial 1 validate "$B"
json_partial 3 validate "$TMP/no-such" "$A"
assert_contains "$ERR" "sohoa: cannot read $TMP/no-such"
assert_eq "$(json_get "$OUT" 'd["summary"]["incomplete"]')" "1" "incomplete paths"

# ---- sign, verify ----
FX=$TMP/keys
bash "$SOHOA_SOURCE/tests/sign_fixtures.sh" "$FX"
export P12PASS=p12-pass
json_err 3 sign "$A" --pkcs12 "$TMP/no-such.p12" --pin-env P12PASS
json_ok 0 sign "$A" --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS
SIGNED="$A/02.Ly lich dang vien_signed.pdf"
json_ok 0 verify "$SIGNED" --trust "$FX/chain.pem"
quiet_clean verify "$SIGNED" --trust "$FX/chain.pem"
json_partial 3 verify "$SIGNED" "$TMP/no-such.pdf" --trust "$FX/chain.pem"
assert_eq "$(json_get "$OUT" 'd["summary"]')" "{'files': 2, 'ok': 1}" "verify summary"
json_err 3 verify "$SIGNED" --trust "$TMP/no-such.pem"
# A document that cannot be written (a file name that is not UTF-8 cannot be JSON text): exit 4
# and an empty stdout, not the file's own status with no document.
cp "$SIGNED" "$TMP/$(printf 'bad\xff.pdf')"
json_err 4 verify "$TMP/$(printf 'bad\xff.pdf')" --trust "$FX/chain.pem"
assert_contains "$ERR" "JSON output"

# ---- audit ----
json_ok 0 audit note "the dossiers were handed over"
quiet_clean audit note "again"
json_ok 0 audit verify
quiet_clean audit verify
json_ok 0 audit show --action audit.note
assert_eq "$(json_get "$OUT" 'd["count"]')" "2" "notes shown"
json_err 2 audit show --since yesterday
json_err 2 audit verify --anchor 1:zz
(cd "$TMP" && json_err 2 audit verify)
run_sohoa 0 audit export "$TMP/log.jsonl"
json_err 2 audit export "$TMP/log.jsonl"
# The export's read fails (no audit table): exit 4, no file, nothing half-written.
sqlite3 .sohoa/ledger.db 'ALTER TABLE audit RENAME TO audit_gone'
run_sohoa 4 audit export "$TMP/log2.jsonl"
[ ! -e "$TMP/log2.jsonl" ] || fail "a failed export left $TMP/log2.jsonl"
sqlite3 .sohoa/ledger.db 'ALTER TABLE audit_gone RENAME TO audit'

# ---- stdout and stderr in the order written (one log for both) ----
mkdir -p "$TMP/tree/$ORG/001085099999_TranThiBinh"
touch "$TMP/tree/$ORG/001085099999_TranThiBinh/02.ly lich.PDF"
"$SOHOA" name check "$TMP/tree" "$TMP/no-such" "$TMP/tree" >"$TMP/log" 2>&1 || true
first_error=$(grep -n '^sohoa: cannot read' "$TMP/log" | cut -d: -f1)
findings=$(grep -n 'error name.file' "$TMP/log" | cut -d: -f1 | tr '\n' ' ')
set -- $findings
[ "$#" -eq 2 ] && [ "$1" -lt "$first_error" ] && [ "$first_error" -lt "$2" ] ||
  fail "the lines are not in the order written (error at $first_error, findings at $findings): $(cat "$TMP/log")"

pass
