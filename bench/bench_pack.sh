#!/usr/bin/env bash
# pack and receive against the pipeline a user would otherwise script, as ratios in one run.
#
#   bash bench/bench_pack.sh [BUILD_DIR] [SIZE_MB]   (default: build, 1024)
#
# A workspace of SIZE_MB of signed dossiers (bench/make_pack_workspace.py: 5 MB documents, two per
# dossier, one organisation), warm cache. Measured, median of 3:
#   pack      sohoa pack (read, SHA-512 and SHA-256, active-content scan, ZIP, AES-256-GCM,
#             write, fsync) vs sha512sum + sha256sum for the manifests, zip -0 -r, then
#             openssl cms -encrypt -stream -aes-256-gcm (RSA-OAEP-SHA-256) to the same
#             certificate, and sync;
#   receive   sohoa receive (decrypt, signature, full BagIt check, every PDF's signatures) vs
#             openssl cms -decrypt, unzip and a full BagIt validation (tests/bagit_check.py);
#   memory    peak RSS of both, and of packing and receiving 4 GiB (SIZE_MB=4096 to see it).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=$(cd "${1:-build}" && pwd)
size_mb=${2:-1024}
sohoa=$build/cli/sohoa
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-pack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
. bench/lib.sh
repeats=3

keys=$tmp/keys
bash tests/sign_fixtures.sh "$keys" >/dev/null
export P12PASS=p12-pass

echo "== a workspace of $size_mb MB of signed dossiers =="
"$sohoa" init "$tmp/ws" --station BENCH --operator "Bench" -q
dossiers=$((size_mb / 10))
python3 bench/make_pack_workspace.py "$tmp/ws" --dossiers "$dossiers" --docs 2 --doc-bytes 5000000
cd "$tmp/ws"
cp .sohoa/ledger.db "$tmp/ledger.clean"
files=$(find 93.* -name '*_signed.pdf' | sort)
bytes=$(echo "$files" | tr '\n' '\0' | xargs -0 cat | wc -c)
mb=$(echo "$bytes / 1000000" | bc -l)
echo "$files" | tr '\n' '\0' | xargs -0 cat >/dev/null

reset_ws() {
  rm -rf packages "$tmp/recv"
  cp "$tmp/ledger.clean" .sohoa/ledger.db
  rm -f .sohoa/ledger.db-wal .sohoa/ledger.db-shm
}
pack_script() { # what an office would script with standard tools
  rm -rf "$tmp/script" && mkdir -p "$tmp/script/bag/data"
  echo "$files" | tr '\n' '\0' | xargs -0 sha512sum >"$tmp/script/bag/manifest-sha512.txt"
  echo "$files" | tr '\n' '\0' | xargs -0 sha256sum >"$tmp/script/bag/manifest-sha256.txt"
  echo "$files" | tr '\n' '\0' | xargs -0 zip -0 -q "$tmp/script/p.zip"
  (cd "$tmp/script/bag" && zip -0 -q "$tmp/script/p.zip" manifest-*.txt)
  openssl cms -encrypt -stream -binary -aes-256-gcm -recip "$keys/receiver.pem" \
    -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 -outform DER \
    -in "$tmp/script/p.zip" -out "$tmp/script/p.zip.p7m"
  sync "$tmp/script/p.zip.p7m"
}

echo "== pack, ${mb%.*} MB, median of $repeats =="
ours=$(for _ in $(seq $repeats); do reset_ws; measure "$sohoa" -q pack --to "$keys/receiver.pem" \
  --pkcs12 "$keys/org-rsa.p12" --pin-env P12PASS --basis bench --max-volume 1T; done |
  sort -n | sed -n 2p)
script=$(for _ in $(seq $repeats); do measure bash -c "$(declare -f pack_script); \
  files='$files' tmp='$tmp' keys='$keys' pack_script"; done | sort -n | sed -n 2p)
o_t=${ours% *} o_rss=${ours#* } s_t=${script% *}
printf '%-34s %7.2f s %6.0f MB/s  peak RSS %5.1f MiB\n' "sohoa pack" "$o_t" \
  "$(echo "$mb / $o_t" | bc -l)" "$(echo "$o_rss / 1024" | bc -l)"
printf '%-34s %7.2f s %6.0f MB/s  sohoa is %.2fx\n' "sha*sum + zip -0 + openssl cms" "$s_t" \
  "$(echo "$mb / $s_t" | bc -l)" "$(echo "$s_t / $o_t" | bc -l)"

# The pack above carries stand-in PDFs without signatures, which receive rightly rejects: the
# receive benchmark uses a package of really signed PDFs (8 MiB each), made with the package
# writers by the receive unit test's tool, encrypted to org-ec.
echo "== receive $size_mb MiB of signed PDFs, median of $repeats =="
"$build/tests/test_upload_receive" --make-big "$tmp/big" "$size_mb" >/dev/null
volume=$(ls "$tmp"/big/*.zip.p7m | head -1)
bk=$tmp/big/keys
vmb=$(echo "$(stat -c %s "$volume") / 1000000" | bc -l)
recv_script() {
  rm -rf "$tmp/rs" && mkdir -p "$tmp/rs"
  openssl cms -decrypt -inform DER -in "$volume" -recip "$bk/org-ec.pem" -inkey "$bk/org-ec.key" \
    -out "$tmp/rs/v.zip"
  (cd "$tmp/rs" && unzip -q v.zip && python3 "$src/tests/bagit_check.py" "$(ls -d 0*)" >/dev/null)
}
cat "$volume" >/dev/null
r_ours=$(for _ in $(seq $repeats); do measure "$sohoa" -q receive "$volume" --pkcs12 \
  "$bk/org-ec.p12" --pin-env P12PASS --trust "$bk/ca.pem"; done | sort -n | sed -n 2p)
r_script=$(for _ in $(seq $repeats); do measure bash -c "$(declare -f recv_script); \
  tmp='$tmp' bk='$bk' volume='$volume' src='$src' recv_script"; done | sort -n | sed -n 2p)
printf '%-34s %7.2f s %6.0f MB/s  peak RSS %6.1f MiB\n' "sohoa receive (incl. PDF signatures)" \
  "${r_ours% *}" "$(echo "$vmb / ${r_ours% *}" | bc -l)" "$(echo "${r_ours#* } / 1024" | bc -l)"
printf '%-34s %7.2f s %6.0f MB/s  peak RSS %6.1f MiB  sohoa is %.2fx\n' \
  "openssl cms -decrypt + BagIt check" "${r_script% *}" "$(echo "$vmb / ${r_script% *}" | bc -l)" \
  "$(echo "${r_script#* } / 1024" | bc -l)" "$(echo "${r_script% *} / ${r_ours% *}" | bc -l)"
