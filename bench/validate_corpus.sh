#!/usr/bin/env bash
# Make a workspace from a labelled corpus (samples/make_corpus.py): every page ingested as its
# own document, SoThuTu 1, 2, 3 … in labels.csv order, in one dossier.
# Usage: bash bench/validate_corpus.sh SOHOA CORPUS_DIR WORKSPACE_DIR
set -euo pipefail
sohoa=$(realpath "$1") corpus=$(realpath "$2") ws=$3
"$sohoa" init "$ws" --station BENCH --operator "Bench" -q
i=0
tail -n +2 "$corpus/labels.csv" | cut -d, -f1 | while read -r f; do
  i=$((i + 1))
  (cd "$ws" && "$sohoa" -q ingest --org 93.000.036.001.015 --cccd 001085012345 \
    --name "Nguyễn Văn An" --type 5 --seq "$i" "$corpus/$f" >/dev/null)
done
