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
# scans OUTDIR ARGS...: synthetic scanned pages (samples/make_scans.py). Its pages depend on ARGS
# only (--seed): with SOHOA_FIXTURE_CACHE (set by CTest) each set is made once per version of
# make_scans.py, under a lock, and copied into OUTDIR.
scans() {
  local out=$1 maker=$SOHOA_SOURCE/samples/make_scans.py
  shift
  if [ -z "${SOHOA_FIXTURE_CACHE:-}" ]; then
    "$PY" "$maker" "$out" "$@" >/dev/null
    return
  fi
  local key cache
  key=$({ printf '%s\n' "$@"; cat "$maker"; } | sha256sum | cut -c1-16)
  mkdir -p "$SOHOA_FIXTURE_CACHE"
  cache=$SOHOA_FIXTURE_CACHE/scans-$key
  (
    flock 9
    if [ ! -d "$cache" ]; then
      rm -rf "$cache.new"
      "$PY" "$maker" "$cache.new" "$@" >/dev/null
      mv "$cache.new" "$cache"
    fi
  ) 9>"$cache.lock"
  mkdir -p "$out"
  cp -R "$cache/." "$out/"
}
# testpy ARGS...: $PY with the tests' Python modules importable (tests/minipdf.py: a PDF made of
# the objects given), and no __pycache__ left in the source tree.
testpy() { PYTHONPATH="$SOHOA_SOURCE/tests" PYTHONDONTWRITEBYTECODE=1 "$PY" "$@"; }

pass() { echo "PASS ($TEST_NAME)"; }

# kill_rounds SAMPLE FULL: how many kills a kill campaign makes. CI runs a bounded sample (the
# kill moments are random, so successive runs land elsewhere); SOHOA_KILL_POINTS=all runs the
# full campaign (`cmake --build BUILD --target kill-campaign`, CONTRIBUTING.md).
kill_rounds() {
  case "${SOHOA_KILL_POINTS:-}" in
  "") echo "$1" ;;
  all) echo "$2" ;;
  *) fail "SOHOA_KILL_POINTS is \"$SOHOA_KILL_POINTS\": unset (the CI sample) or \"all\"" ;;
  esac
}
