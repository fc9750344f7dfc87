# Shared by the CLI tests: a scratch folder, the sohoa binary, and assertions that say what
# went wrong. Source it; it sets -euo pipefail.
set -euo pipefail

SOHOA=${SOHOA:?set SOHOA to the sohoa binary (ctest does)}
TEST_NAME=$(basename "$0" .sh)
mkdir -p "${SOHOA_TEST_TMP:-/tmp}"
TMP=$(mktemp -d "${SOHOA_TEST_TMP:-/tmp}/${TEST_NAME}.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export LANG=C.UTF-8 LC_ALL= LANGUAGE=
cd "$TMP"

fail() { echo "FAIL ($TEST_NAME): $*" >&2; exit 1; }

# need_tool TOOL...: the programs a test needs (judges such as qpdf, helpers such as strace). A
# missing one fails the test, naming it: a test never passes by skipping what it cannot run.
need_tool() {
  local t missing=()
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  [ ${#missing[@]} -eq 0 ] ||
    fail "needs ${missing[*]}, not found in PATH (scripts/install-deps.sh installs them)"
}

# run_sohoa EXPECTED_STATUS ARGS...: run sohoa, keep stdout in $OUT and stderr in $ERR.
run_sohoa() {
  local want=$1; shift
  local got=0
  "$SOHOA" "$@" >"$TMP/.out" 2>"$TMP/.err" || got=$?
  OUT=$(cat "$TMP/.out"); ERR=$(cat "$TMP/.err")
  if [ "$got" != "$want" ]; then
    echo "--- stdout:"; echo "$OUT"; echo "--- stderr:"; echo "$ERR"
    fail "sohoa $* exited $got, expected $want"
  fi
}

assert_contains() { # HAYSTACK NEEDLE [WHAT]
  case "$1" in *"$2"*) ;; *) fail "${3:-output} does not contain \"$2\": $1" ;; esac
}
assert_not_contains() {
  case "$1" in *"$2"*) fail "${3:-output} contains \"$2\": $1" ;; *) ;; esac
}
assert_eq() { [ "$1" = "$2" ] || fail "${3:-value}: expected \"$2\", got \"$1\""; }

# new_workspace DIR: a workspace for station T-01 and operator "Nguyễn Văn A".
new_workspace() {
  "$SOHOA" init "$1" --station T-01 --operator "Nguyễn Văn A" -q
}

# json_get JSON PYTHON-EXPR: evaluate an expression on the parsed document `d`.
json_get() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

# Pillow is Debian's (python3-pil): the system interpreter, whatever python3 is in PATH.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
# scans OUTDIR ARGS...: synthetic scanned pages (samples/make_scans.py).
scans() { "$PY" "$SOHOA_SOURCE/samples/make_scans.py" "$@" >/dev/null; }
# testpy ARGS...: $PY with the tests' Python modules importable (tests/minipdf.py: a PDF made of
# the objects given), and no __pycache__ left in the source tree.
testpy() { PYTHONPATH="$SOHOA_SOURCE/tests" PYTHONDONTWRITEBYTECODE=1 "$PY" "$@"; }

pass() { echo "PASS ($TEST_NAME)"; }
