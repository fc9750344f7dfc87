#!/usr/bin/env bash
# The main job on the sample workspace (README, first command): install dependencies, build,
# then run sohoa on a fresh copy of samples/workspace in build/demo.
# Today: create the workspace, import the list of dossiers to digitise and the plan, record the
# handover of the sample paper dossiers under their canonical folders (and print its record),
# "scan" their first documents (samples/make_scans.py) and ingest them from a
# batch sheet into lossless PDFs, check every name, validate every dossier, sign the files that
# passed on a SoftHSM2 token standing in for the organisation's USB token, verify the
# signatures, pack them for the receiver, upload them to a hub on this machine and keep its
# receipts, then the supervisors' view: the report, the dashboard and spreadsheet, the signed
# snapshot and its merge at the province; last, verify and show the audit chain.
# With SOHOA=/usr/bin/sohoa (scripts/test-deb.sh) it runs that sohoa, an installed one, and
# builds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >/dev/null
if [ -n "${SOHOA:-}" ]; then
  sohoa=$SOHOA
else
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$(nproc)" >/dev/null
  sohoa=$PWD/build/cli/sohoa
fi
demo=$PWD/build/demo
src=$PWD

rm -rf "$demo"
mkdir -p build
cp -r samples/workspace "$demo"
operator="Nguyễn Văn A"
"$sohoa" init "$demo" --station DEMO-01 --operator "$operator"
cd "$demo"

# The list of dossiers to digitise (the denominator of every percentage) and the approved plan's
# deadlines, as the organisation board sends them (CSV as Excel writes it, Vietnamese headings).
echo "The dossiers to digitise, and the plan's deadlines:"
"$sohoa" inventory import "$src/samples/inventory.csv"
"$sohoa" plan import "$src/samples/plan.csv"
# The paper dossiers received from the Party cells, with their page counts, and the day's
# handover record (biên bản giao nhận) for both parties to sign; each dossier's folder is the one
# the naming rules (Phụ lục 2) give it, made for the scans.
echo "The paper dossiers received today, and the handover record to sign:"
tail -n +2 handover.csv | while IFS=, read -r org cccd name pages; do
  folder=$("$sohoa" -q name folder --org "$org" --cccd "$cccd" --name "$name")
  mkdir -p "$folder"
  "$sohoa" handover receive --org "$org" --cccd "$cccd" --pages "$pages"
done
"$sohoa" handover print "$src/build/demo-bien-ban-giao-nhan.pdf"
echo "Priority-1 documents to scan first, and their file names:"
for stt in 1 2 3 5 7; do "$sohoa" name suggest "$stt"; done

# The scanner's output for each dossier: its Lý lịch đảng viên (type 2) as a 3-page G4 TIFF and
# its Phiếu đảng viên (type 3) as a colour JPEG, listed in a batch sheet as an operator would.
# They stay outside the workspace, as on a scanner's USB disk.
scans="$src/build/demo-scans"
rm -rf "$scans"
mkdir -p "$scans"
py=/usr/bin/python3
[ -x "$py" ] || py=python3
echo "Mã tổ chức;Số CCCD;Họ và tên;Loại;Số trang;Tệp nguồn" >"$scans/lo-01.csv"
n=0
while IFS=, read -r org cccd name pages; do
  n=$((n + 1))
  "$py" "$src/samples/make_scans.py" "$scans/$cccd" --format tiff-g4 --pages 3 --multipage \
    --prefix lylich --seed "$n" >/dev/null
  "$py" "$src/samples/make_scans.py" "$scans/$cccd" --format jpeg --prefix phieu \
    --seed "$((n + 100))" >/dev/null
  echo "$org;$cccd;$name;2;3;$cccd/lylich.tif" >>"$scans/lo-01.csv"
  echo "$org;$cccd;$name;3;1;$cccd/phieu-001.jpg" >>"$scans/lo-01.csv"
done < <(tail -n +2 handover.csv)
echo "Ingest the scans (lossless PDFs, named by Phụ lục 2):"
"$sohoa" ingest --manifest "$scans/lo-01.csv"
echo "Every folder and file name under the workspace (Phụ lục 2):"
"$sohoa" name check .
echo "Check every dossier, document and page before sign-off (verdicts go to the ledger):"
"$sohoa" validate . --html "$src/build/demo-report.html"

# The organisation's certificate on a token: test certificates of a test CA, loaded into a
# SoftHSM2 token (a real PKCS#11 token in software), and a sample red seal.
keys="$src/build/demo-keys"
rm -rf "$keys"
bash "$src/tests/sign_fixtures.sh" "$keys"
export SOFTHSM2_CONF="$keys/softhsm2.conf"
"$py" "$src/scripts/make_seal.py" "$keys/con-dau.png" --text "ĐẢNG ỦY XÃ TÂN PHÚ"
echo "Sign every file that passed (the PIN would be asked on the terminal; here from DEMO_PIN):"
DEMO_PIN=123456 "$sohoa" sign . --pkcs11-module /usr/lib/softhsm/libsofthsm2.so \
  --token sohoa-test --key org-rsa --pin-env DEMO_PIN --seal "$keys/con-dau.png"
echo "Verify the signed files against the test root certificate:"
find . -name '*_signed.pdf' -print0 | sort -z | xargs -0 "$sohoa" verify --trust "$keys/ca.pem"
echo "Pack the signed dossiers for the receiver: one encrypted, signed package per organisation"
echo "(the test receiver's certificate; the PIN as above):"
DEMO_PIN=123456 "$sohoa" pack --to "$keys/receiver.pem" --basis "Công văn 1361-CV/BTCTW" \
  --pkcs11-module /usr/lib/softhsm/libsofthsm2.so --token sohoa-test --key org-rsa \
  --pin-env DEMO_PIN
# The receiving side (the province or the central database): a hub on this machine, as
# tests/hub_fixture.sh starts it — a tus server (@tus/server) that checks each package in full
# with sohoa receive, extracts it and signs a receipt with the test receiver's key.
hub=$src/build/demo-hub
rm -rf "$hub"
"$sohoa" init "$hub" --station HUB-DEMO --operator "Bên nhận" -q
mkdir "$hub/keys"
cp "$keys/receiver.p12" "$hub/keys/"
for kv in "pkcs12 keys/receiver.p12" "pin_env HUB_PIN" "trust $keys/ca.pem" "into received"; do
  bash "$src/scripts/ini-set.sh" "$hub/sohoa.ini" receive ${kv%% *} "${kv#* }"
done
HUB_PIN=p12-pass SOHOA="$sohoa" SOHOA_HUB_WORKSPACE="$hub" PORT=0 HOST=127.0.0.1 \
  node "$src/hub/server.js" >"$src/build/demo-hub.log" 2>&1 &
hub_pid=$!
trap 'kill "$hub_pid" 2>/dev/null || true' EXIT
endpoint=
for _ in $(seq 150); do
  endpoint=$(grep -o 'http://127\.0\.0\.1:[0-9]*/files/' "$src/build/demo-hub.log" | head -1 || true)
  [ -n "$endpoint" ] && break
  kill -0 "$hub_pid" 2>/dev/null || { cat "$src/build/demo-hub.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$endpoint" ] || { echo "demo: the hub did not start" >&2; exit 1; }
echo "Deliver the packages to the hub ($endpoint): resumable tus upload, then the hub's signed"
echo "receipt, verified against the receiver's CA and kept in the ledger:"
bash "$src/scripts/ini-set.sh" sohoa.ini upload endpoint "$endpoint"
bash "$src/scripts/ini-set.sh" sohoa.ini upload receiver_trust "$keys/ca.pem"
"$sohoa" upload --receipt-wait 120
echo "Where each package stands:"
"$sohoa" upload --status
kill "$hub_pid" 2>/dev/null || true
wait "$hub_pid" 2>/dev/null || true
trap - EXIT
# What the province supervisors see: counts per Party organisation, never names. The station's
# dashboard and spreadsheet; then its signed snapshot (the organisation's key, as for pack), which
# travels to the province, where the snapshots of every station are merged into one view.
echo "Progress per organisation (counts only):"
"$sohoa" report
"$sohoa" report --html "$src/build/demo-dashboard.html" --xlsx "$src/build/demo-progress.xlsx" \
  --csv "$src/build/demo-progress.csv"
DEMO_PIN=123456 "$sohoa" report export "$src/build/demo-snapshot.json" \
  --pkcs11-module /usr/lib/softhsm/libsofthsm2.so --token sohoa-test --key org-rsa --pin-env DEMO_PIN
echo "At the province: the stations' signed snapshots merged into the supervisors' dashboard:"
"$sohoa" report merge "$src/build/demo-snapshot.json" --trust "$keys/ca.pem" \
  --html "$src/build/demo-province.html"
"$sohoa" audit show
"$sohoa" audit verify
echo "Workspace: $demo; the hub's workspace, with the received dossiers and receipts: $hub"
echo "The supervisors' dashboard: $src/build/demo-province.html (this station's: $src/build/demo-dashboard.html)"
