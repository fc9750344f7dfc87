#!/usr/bin/env bash
# The main job on the sample workspace (README, first command): install dependencies, build,
# then run sohoa on a fresh copy of samples/workspace in build/demo.
# Today: create the workspace, record the handover of the sample paper dossiers under their
# canonical folders, list the first file names, check every name, verify and show the audit
# chain. Each later capability (ingest, validate, sign) adds its step here.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
sohoa=$PWD/build/cli/sohoa
demo=$PWD/build/demo

rm -rf "$demo"
cp -r samples/workspace "$demo"
operator="Nguyễn Văn A"
"$sohoa" init "$demo" --station DEMO-01 --operator "$operator"
cd "$demo"

# Biên bản giao nhận: one note per paper dossier received from the Party cells, under the
# dossier folder that the naming rules (Phụ lục 2) give it, which is created for the scans.
tail -n +2 handover.csv | while IFS=, read -r org cccd name pages; do
  folder=$("$sohoa" -q name folder --org "$org" --cccd "$cccd" --name "$name")
  mkdir -p "$folder"
  "$sohoa" audit note "Nhận hồ sơ giấy của đảng viên $name, $pages trang" --subject "$folder"
done
echo "Priority-1 documents to scan first, and their file names:"
for stt in 1 2 3 5 7; do "$sohoa" name suggest "$stt"; done
echo "Every folder and file name under the workspace (Phụ lục 2):"
"$sohoa" name check .
"$sohoa" audit show
"$sohoa" audit verify
echo "Workspace: $demo"
