#!/usr/bin/env bash
# sohoa validate end to end (PDF pages decoded, analysed, reported) on the labelled corpus of
# samples/make_corpus.py, against tesseract --psm 0 (orientation only, one thread: what OCRmyPDF
# runs to decide rotation) on the same pages, in one run. Prints pages per second, the ratio,
# and the accuracy table (bench/validate_accuracy.py).
# Usage: bash bench/bench_validate.sh [BUILD_DIR] [--small]   (BUILD_DIR: Release or RelWithDebInfo)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
small=${2:-}
sohoa=$(realpath "$build/cli/sohoa")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 samples/make_corpus.py "$tmp/corpus" $small >/dev/null
bash bench/validate_corpus.sh "$sohoa" "$tmp/corpus" "$tmp/ws"
pages=$(($(wc -l < "$tmp/corpus/labels.csv") - 1))

. bench/lib.sh
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

cd "$tmp/ws"
"$sohoa" --json validate . > "$tmp/validate.json" || true
one=$(for _ in 1 2 3; do seconds "$sohoa" validate . --jobs 1; done | median)
all=$(for _ in 1 2 3; do seconds "$sohoa" validate .; done | median)
/usr/bin/time -v "$sohoa" validate . --jobs 1 2> "$tmp/time.txt" >/dev/null || true
rss=$(awk '/Maximum resident/ {print $6}' "$tmp/time.txt")

# tesseract on the same pages, one thread.
tess_total=0
tess_right=0
tess_text=0
while IFS=, read -r f kind _ _ _ rotate _; do
  s=$(date +%s.%N)
  out=$(OMP_THREAD_LIMIT=1 tesseract "$tmp/corpus/$f" - --psm 0 -l osd 2>&1 || true)
  e=$(date +%s.%N)
  tess_total=$(echo "$tess_total + $e - $s" | bc -l)
  case $kind in cv|crop|corner|dup)
    tess_text=$((tess_text + 1))
    rot=$(printf '%s\n' "$out" | awk '/^Rotate:/ {print $2}')
    [ "${rot:--1}" = "$rotate" ] && tess_right=$((tess_right + 1)) ;;
  esac
done < <(tail -n +2 "$tmp/corpus/labels.csv")

python3 - "$pages" "$one" "$all" "$tess_total" "$tess_right" "$tess_text" "$rss" <<'PY'
import sys
pages, one, allc, tess, right, text, rss = sys.argv[1:]
pages = int(pages); one = float(one); allc = float(allc); tess = float(tess)
print(f"{pages} pages (PDFs made by sohoa ingest from the corpus)")
print(f"sohoa validate, 1 job:   {one:.2f} s, {one / pages * 1000:.1f} ms/page, {pages / one:.1f} pages/s"
      f" (peak RSS {int(rss) / 1024:.0f} MiB)")
print(f"sohoa validate, all cores: {allc:.2f} s, {pages / allc:.1f} pages/s")
print(f"tesseract --psm 0, 1 thread: {tess:.2f} s, {tess / pages * 1000:.0f} ms/page; "
      f"orientation right on {right}/{text} text pages")
print(f"ratio (tesseract / sohoa, per page, one core): {tess / one:.1f}x")
PY
python3 "$OLDPWD/bench/validate_accuracy.py" "$tmp/corpus/labels.csv" "$tmp/validate.json"
