#!/usr/bin/env bash
# The accuracy goals of sohoa validate on a small labelled corpus (samples/make_corpus.py
# --small: every defect at known values, bilevel, grey and colour, 150-300 ppi), each page
# ingested as its own document: no missed rotation, no false or missed blank, skew measured
# within 0.3°, no missed skew, resolution right on every page. The full table is
# bench/bench_validate.sh's.
. "$(dirname "$0")/lib.sh"

"$PY" "$SOHOA_SOURCE/samples/make_corpus.py" "$TMP/corpus" --small >/dev/null
bash "$SOHOA_SOURCE/bench/validate_corpus.sh" "$SOHOA" "$TMP/corpus" "$TMP/ws"
cd "$TMP/ws"
run_sohoa 1 --json validate .
printf '%s\n' "$OUT" >"$TMP/validate.json"
python3 "$SOHOA_SOURCE/bench/validate_accuracy.py" "$TMP/corpus/labels.csv" "$TMP/validate.json" \
  --check || fail "accuracy goals not met (table above)"
pass
