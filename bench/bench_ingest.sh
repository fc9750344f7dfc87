#!/usr/bin/env bash
# sohoa ingest against img2pdf, the tool a user would otherwise pick, on the same scans in one run:
# (a) one 100-page A4 300-ppi CCITT G4 TIFF, (b) 20 colour A4 300-ppi JPEG pages. Both tools copy
# G4 and JPEG data into the PDF as it is. Wall time: median of 5 runs after a warm-up, warm cache,
# output to a file; peak RSS: the largest of the 5 (/usr/bin/time -f %M). Ratio = img2pdf's time
# over sohoa's (goal: 10x or more). Then memory flatness: sohoa's peak RSS on a 10-page and on the
# 100-page TIFF (goal: the same). Inputs come from samples/make_scans.py (deterministic).
# Usage: bash bench/bench_ingest.sh [BUILD_DIR]   (default: build; Release or RelWithDebInfo)
# Without a working `sohoa ingest` it still prints img2pdf's figures, then exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
sohoa=$build/cli/sohoa
repeats=5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The dossier every sohoa run writes into: type 2 (Ly lich dang vien), a fresh SoThuTu per run.
org=93.000.036.001.015
cccd=001085012345
person="Nguyễn Văn An"

command -v img2pdf >/dev/null || { echo "img2pdf not installed (Debian package img2pdf)"; exit 1; }
i2p="img2pdf $(img2pdf --version 2>&1 | awk '{print $2}')"

. bench/lib.sh
# CMD... (each "@SEQ@" in it becomes a number new to this run): sets $result to "WALL RSS", the
# median wall seconds and the largest peak RSS of $repeats runs after one warm-up run; fails
# when a run does.
run_no=0
result=
series() {
  local i w r out
  : > "$tmp/walls"
  : > "$tmp/rsss"
  for i in $(seq 0 "$repeats"); do
    run_no=$((run_no + 1))
    local args=("${@//@SEQ@/$run_no}")
    out=$(measure "${args[@]}") || return 1
    [ "$i" -gt 0 ] || continue
    read -r w r <<< "$out"
    echo "$w" >> "$tmp/walls"
    echo "$r" >> "$tmp/rsss"
  done
  result="$(median < "$tmp/walls") $(sort -n "$tmp/rsss" | tail -n 1)"
}
# PDF: "N pages, ENC xCOUNT ..." (the image encodings in it, from pdfimages -list)
pdf_summary() {
  local pages encs=
  pages=$(pdfinfo "$1" 2>/dev/null | awk '/^Pages:/ {print $2}')
  if command -v pdfimages >/dev/null; then
    encs=$(pdfimages -list "$1" 2>/dev/null |
      awk 'NR > 2 {n[$9]++} END {for (e in n) printf " %s x%d,", e, n[e]}')
    encs=", images:${encs%,}"
  fi
  echo "${pages:-?} pages$encs"
}
row() { # LABEL "WALL RSS" PAGES ["WALL RSS" of sohoa]
  local w r
  read -r w r <<< "$2"
  printf '%-24s %8.3f s %8.0f pages/s %9.1f MiB' "$1" "$w" "$(echo "$3 / $w" | bc -l)" \
    "$(echo "$r / 1024" | bc -l)"
  if [ $# -ge 4 ]; then
    local ow
    read -r ow _ <<< "$4"
    printf '   sohoa is %.1fx (goal >= 10x)' "$(echo "$w / $ow" | bc -l)"
  fi
  echo
}

# ---- inputs ----
s=$(date +%s.%N)
python3 samples/make_scans.py "$tmp/g4-100" --format tiff-g4 --pages 100 --multipage >/dev/null
python3 samples/make_scans.py "$tmp/g4-10" --format tiff-g4 --pages 10 --multipage >/dev/null
python3 samples/make_scans.py "$tmp/jpeg" --format jpeg --pages 20 >/dev/null
e=$(date +%s.%N)
tif100=$tmp/g4-100/scan.tif
tif10=$tmp/g4-10/scan.tif
jpegs=("$tmp"/jpeg/scan-*.jpg)
mib() { stat -c %s "$@" | awk '{s += $1} END {printf "%.1f", s / 1048576}'; }
printf 'inputs generated in %.1f s: 100-page G4 TIFF %s MiB, 20 JPEG files %s MiB\n' \
  "$(echo "$e - $s" | bc -l)" "$(mib "$tif100")" "$(mib "${jpegs[@]}")"
cat "$tif100" "$tif10" "${jpegs[@]}" > /dev/null

# ---- sohoa: a workspace, and whether ingest works at all ----
bench_workspace
ingest=("$sohoa" --workspace "$ws" ingest --org "$org" --cccd "$cccd" --name "$person" --type 2
        --seq @SEQ@)
sohoa_series() { # FILE...: series of sohoa ingest, or $sohoa_ok=0 and the reason in $why
  [ "$sohoa_ok" = 1 ] || return 1
  if ! series "${ingest[@]}" "$@"; then
    sohoa_ok=0
    why="sohoa ingest failed (--seq $run_no): $(head -n 5 "$tmp/err")"
    return 1
  fi
}
# The PDF of sohoa's latest run: ORG/CCCD_Name/02.<name>.<run>.pdf in the workspace.
sohoa_pdf() { find "$ws" -type f -name "02.*.$run_no.pdf" | head -n 1; }
told=0
unavailable() { # the reason once, then a reference to it
  if [ "$told" = 0 ]; then printf '%-24s unavailable: %s\n' "sohoa ingest" "$why"; told=1
  else printf '%-24s unavailable (above)\n' "sohoa ingest"; fi
}

echo "== ingest: one 100-page A4 300-ppi G4 TIFF, warm cache, median of $repeats =="
series img2pdf "$tif100" -o "$tmp/img2pdf.pdf" ||
  { echo "img2pdf failed: $(cat "$tmp/err")"; exit 1; }
i_tif=$result
i_tif_pdf=$(pdf_summary "$tmp/img2pdf.pdf")
if sohoa_series "$tif100"; then
  s_tif=$result
  row "sohoa ingest" "$s_tif" 100
  row "$i2p" "$i_tif" 100 "$s_tif"
  echo "  output: sohoa $(pdf_summary "$(sohoa_pdf)"); img2pdf $i_tif_pdf"
else
  unavailable
  row "$i2p" "$i_tif" 100
  echo "  output: img2pdf $i_tif_pdf"
fi

echo "== ingest: 20 colour A4 300-ppi JPEG pages (quality 85), warm cache, median of $repeats =="
series img2pdf "${jpegs[@]}" -o "$tmp/img2pdf.pdf" ||
  { echo "img2pdf failed: $(cat "$tmp/err")"; exit 1; }
i_jpg=$result
i_jpg_pdf=$(pdf_summary "$tmp/img2pdf.pdf")
if sohoa_series "${jpegs[@]}"; then
  s_jpg=$result
  row "sohoa ingest" "$s_jpg" 20
  row "$i2p" "$i_jpg" 20 "$s_jpg"
  echo "  output: sohoa $(pdf_summary "$(sohoa_pdf)"); img2pdf $i_jpg_pdf"
else
  unavailable
  row "$i2p" "$i_jpg" 20
  echo "  output: img2pdf $i_jpg_pdf"
fi

echo "== memory flatness: peak RSS on a 10-page and on the 100-page G4 TIFF =="
series img2pdf "$tif10" -o "$tmp/img2pdf.pdf" ||
  { echo "img2pdf failed: $(cat "$tmp/err")"; exit 1; }
i_tif10=$result
if sohoa_series "$tif10"; then
  printf '%-13s %.1f MiB with 10 pages, %.1f MiB with 100 (goal: the same)\n' "sohoa ingest:" \
    "$(echo "${result#* } / 1024" | bc -l)" "$(echo "${s_tif#* } / 1024" | bc -l)"
else
  unavailable
fi
printf '%-13s %.1f MiB with 10 pages, %.1f MiB with 100\n' "$i2p:" \
  "$(echo "${i_tif10#* } / 1024" | bc -l)" "$(echo "${i_tif#* } / 1024" | bc -l)"

if [ "$sohoa_ok" != 1 ]; then
  echo "sohoa's part unavailable: $why"
  exit 1
fi
