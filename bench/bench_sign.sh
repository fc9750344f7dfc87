#!/usr/bin/env bash
# sohoa sign against pdfsig (Poppler), the tool a user would otherwise run, on the same scans in
# one run: (a) a batch of 20 one-page 1 MiB scans, (b) 3 scans of 50 pages, 50 MiB each (every
# page one incompressible DCT image, bench/make_big_pdf.py). pdfsig signs one file per process
# from an NSS database holding the same RSA-2048 PKCS#12 key; sohoa signs the whole folder in
# one process, as operators run it. Wall time per file: median of 5 runs after a warm-up, warm
# cache; peak RSS: the largest of the 5 (/usr/bin/time -f %M). Ratio = pdfsig's time over
# sohoa's (goal: 3x or more); sohoa's peak RSS on 1 MiB and on 50 MiB files (goal: the same
# order). Every file sohoa signs is then checked by pdfsig (valid, whole document signed), so a
# broken signer cannot win. (c) The stamp's place: 10 real JPEG scans (samples/make_scans.py),
# signed with stamp_place = auto (page 1 measured) and = fixed (the corner): the cost of
# measuring. The noise images of (a) and (b) do not decode, so there the stamp keeps the corner.
# Usage: bash bench/bench_sign.sh [BUILD_DIR]   (default: build; Release or RelWithDebInfo)
# Without a working `sohoa sign` it still prints pdfsig's figures, then exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
sohoa=$build/cli/sohoa
repeats=5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C.UTF-8

for t in pdfsig certutil pk12util openssl bc; do
  command -v "$t" >/dev/null || { echo "$t not installed"; exit 1; }
done
pdfsig_name="pdfsig $(pdfsig -v 2>&1 | awk 'NR == 1 {print $3}')"

. bench/lib.sh
# PREP CMD...: sets $result to "WALL RSS", the median wall seconds and the largest peak RSS of
# $repeats runs after one warm-up run; PREP (a function, untimed) runs before each run. Fails
# when a run does.
result=
series() {
  local prep=$1 i w r out
  shift
  : > "$tmp/walls"
  : > "$tmp/rsss"
  for i in $(seq 0 "$repeats"); do
    "$prep"
    out=$(measure "$@") || return 1
    [ "$i" -gt 0 ] || continue
    read -r w r <<< "$out"
    echo "$w" >> "$tmp/walls"
    echo "$r" >> "$tmp/rsss"
  done
  result="$(median < "$tmp/walls") $(sort -n "$tmp/rsss" | tail -n 1)"
}
row() { # LABEL "WALL RSS" FILES ["WALL RSS" of sohoa]: per-file time, peak RSS, the ratio
  local w r
  read -r w r <<< "$2"
  printf '%-28s %8.4f s/file %9.1f MiB' "$1" "$(echo "$w / $3" | bc -l)" \
    "$(echo "$r / 1024" | bc -l)"
  if [ $# -ge 4 ]; then
    local ow
    read -r ow _ <<< "$4"
    printf '   sohoa is %.1fx (goal >= 3x)' "$(echo "$w / $ow" | bc -l)"
  fi
  echo
}
mib() { stat -c %s "$@" | awk '{s += $1} END {printf "%.1f", s / 1048576}'; }

# ---- inputs: the scans, the key, pdfsig's NSS database ----
s=$(date +%s.%N)
mkdir -p "$tmp/in/small" "$tmp/in/big"
for i in $(seq -w 1 20); do
  python3 bench/make_big_pdf.py "$tmp/in/small/scan-$i.pdf" --pages 1 --page-bytes 1048000 \
    --seed "$((10#$i))"
done
for i in 1 2 3; do
  python3 bench/make_big_pdf.py "$tmp/in/big/dossier-$i.pdf" --pages 50 --page-bytes 1048000 \
    --seed "$((100 + i))"
done
small=("$tmp"/in/small/*.pdf)
big=("$tmp"/in/big/*.pdf)
e=$(date +%s.%N)
printf 'inputs generated in %.1f s: %d files of %s MiB in all, %d files of %s MiB in all\n' \
  "$(echo "$e - $s" | bc -l)" "${#small[@]}" "$(mib "${small[@]}")" "${#big[@]}" \
  "$(mib "${big[@]}")"

pass=p12-pass
key=
if [ -f tests/sign_fixtures.sh ] && bash tests/sign_fixtures.sh "$tmp/keys" >/dev/null 2>&1 &&
   [ -f "$tmp/keys/org-rsa.p12" ]; then
  key=$tmp/keys/org-rsa.p12
  echo "key: RSA-2048 PKCS#12 from tests/sign_fixtures.sh"
else
  mkdir -p "$tmp/keys"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/keys/k.pem" -out "$tmp/keys/c.pem" \
    -days 3650 -subj "/C=VN/O=Dang uy Bench/CN=Nguyen Van Bench" 2>/dev/null
  openssl pkcs12 -export -inkey "$tmp/keys/k.pem" -in "$tmp/keys/c.pem" -name bench \
    -out "$tmp/keys/bench.p12" -passout "pass:$pass"
  key=$tmp/keys/bench.p12
  echo "key: throwaway self-signed RSA-2048 PKCS#12 (openssl; tests/sign_fixtures.sh not usable)"
fi
nss=$tmp/nss
mkdir -p "$nss"
certutil -N --empty-password -d "sql:$nss"
pk12util -i "$key" -d "sql:$nss" -W "$pass" >/dev/null
# The nickname of the certificate that has the private key (trust u,u,u); it may hold spaces.
nick=$(certutil -L -d "sql:$nss" |
  awk 'NR > 4 && $NF ~ /u/ {$NF = ""; sub(/ +$/, ""); print; exit}')
if [ -z "$nick" ]; then
  echo "no key certificate in the NSS database: $(certutil -L -d "sql:$nss")"
  exit 1
fi
cat "${small[@]}" "${big[@]}" > /dev/null

# pdfsig, one process per file: DIR OUTDIR
cat > "$tmp/pdfsig_batch.sh" << 'EOF'
set -e
for f in "$1"/*.pdf; do
  pdfsig -add-signature -nssdir "sql:$BENCH_NSS" -nick "$BENCH_NICK" -kpw "$BENCH_PASS" \
    -digest SHA256 -reason "Bench" "$f" "$2/${f##*/}"
done
EOF
export BENCH_NSS=$nss BENCH_NICK=$nick BENCH_PASS=$pass
pdfsig_prep() { rm -rf "$tmp/out"; mkdir "$tmp/out"; }

# ---- sohoa: a workspace, and whether sign works at all ----
bench_workspace
export SOHOA_BENCH_PIN=$pass
batch_src=
# Each run signs fresh hard links of the inputs in the workspace (signed files land beside them).
sohoa_prep() { rm -rf "$ws/batch"; mkdir "$ws/batch"; ln "$batch_src"/*.pdf "$ws/batch/"; }
sign=("$sohoa" --workspace "$ws" sign --force --pkcs12 "$key" --pin-env SOHOA_BENCH_PIN
      "$ws/batch")
# Every input of the last run has its NAME_signed.pdf, which pdfsig finds valid and covering the
# whole file, and nothing else was written; else $sohoa_ok=0 and the reason in $why.
checked=0
check_outputs() {
  local f out n_in=0 n_all
  for f in "$batch_src"/*.pdf; do
    n_in=$((n_in + 1))
    out=$ws/batch/$(basename "$f" .pdf)_signed.pdf
    if [ ! -f "$out" ]; then
      sohoa_ok=0; why="sohoa sign wrote no $(basename "$out")"; return 1
    fi
    pdfsig -nssdir "sql:$nss" "$out" > "$tmp/verify" 2>&1 || true
    if ! grep -q "Signature Validation: Signature is Valid." "$tmp/verify" ||
       ! grep -q "Total document signed" "$tmp/verify"; then
      sohoa_ok=0
      why="pdfsig does not accept $(basename "$out"):"
      why="$why $(grep -E 'Validation|signed|Ranges' "$tmp/verify" | tr '\n' ' ')"
      return 1
    fi
    checked=$((checked + 1))
  done
  n_all=$(find "$ws/batch" -type f | wc -l)
  if [ "$n_all" != $((2 * n_in)) ]; then
    sohoa_ok=0
    why="sohoa sign left $n_all files for $n_in inputs: $(find "$ws/batch" -type f | head -n 5)"
    return 1
  fi
}
sohoa_series() { # DIR: series of sohoa sign on DIR's PDFs, or $sohoa_ok=0 and the reason in $why
  [ "$sohoa_ok" = 1 ] || return 1
  batch_src=$1
  if ! series sohoa_prep "${sign[@]}"; then
    sohoa_ok=0
    why="sohoa sign failed: $(head -n 5 "$tmp/err")"
    return 1
  fi
  check_outputs
}
told=0
unavailable() { # the reason once, then a reference to it
  if [ "$told" = 0 ]; then printf '%-28s unavailable: %s\n' "sohoa sign" "$why"; told=1
  else printf '%-28s unavailable (above)\n' "sohoa sign"; fi
}

one_set() { # LABEL DIR COUNT: pdfsig's and sohoa's rows; sets $p_res and $s_res
  echo "== sign: $1, warm cache, median of $repeats =="
  series pdfsig_prep bash "$tmp/pdfsig_batch.sh" "$2" "$tmp/out" ||
    { echo "pdfsig failed: $(head -n 5 "$tmp/err")"; exit 1; }
  p_res=$result
  local outs=("$tmp"/out/*.pdf)
  pdfsig -nssdir "sql:$nss" "${outs[0]}" > "$tmp/verify" 2>&1 || true
  grep -q "Signature is Valid" "$tmp/verify" ||
    { echo "pdfsig's own output does not verify: $(cat "$tmp/verify")"; exit 1; }
  s_res=
  if sohoa_series "$2"; then
    s_res=$result
    row "sohoa sign (one process)" "$s_res" "$3"
    row "$pdfsig_name (per file)" "$p_res" "$3" "$s_res"
  else
    unavailable
    row "$pdfsig_name (per file)" "$p_res" "$3"
  fi
}

one_set "20 scans of 1 MiB (1 page each)" "$tmp/in/small" "${#small[@]}"
p_small=$p_res s_small=$s_res
one_set "3 scans of 50 MiB (50 pages each)" "$tmp/in/big" "${#big[@]}"
p_big=$p_res s_big=$s_res

echo "== memory: peak RSS on the 1 MiB and on the 50 MiB files =="
rss() { echo "${1#* } / 1024" | bc -l; }
if [ "$sohoa_ok" = 1 ]; then
  printf '%-28s %.1f MiB with 1 MiB files, %.1f MiB with 50 MiB files (goal: the same order)\n' \
    "sohoa sign:" "$(rss "$s_small")" "$(rss "$s_big")"
else
  unavailable
fi
printf '%-28s %.1f MiB with 1 MiB files, %.1f MiB with 50 MiB files\n' "$pdfsig_name:" \
  "$(rss "$p_small")" "$(rss "$p_big")"

# ---- the stamp's place on real scans: page 1 measured (auto) against the corner (fixed) ----
# The noise images above do not decode (the stamp keeps the corner there): these do. Each is
# one JPEG page as ingest writes it, so the place is measured on the JPEG decoded at 1/8 scale.
if [ "$sohoa_ok" = 1 ] && /usr/bin/python3 -c 'import PIL' 2>/dev/null; then
  echo "== the stamp's place: 10 JPEG scans (samples/make_scans.py, A4 300 ppi), median of $repeats =="
  /usr/bin/python3 samples/make_scans.py "$tmp/jpg" --format jpeg --pages 10 --seed 7 >/dev/null
  mkdir -p "$tmp/in/real"
  PYTHONPATH=tests PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 - "$tmp/jpg" "$tmp/in/real" <<'EOF'
import os, sys, minipdf
from PIL import Image
src, dst = sys.argv[1:3]
for name in sorted(os.listdir(src)):
    jpg = open(os.path.join(src, name), 'rb').read()
    w, h = Image.open(os.path.join(src, name)).size
    minipdf.write(os.path.join(dst, name.rsplit('.', 1)[0] + '.pdf'),
                  minipdf.jpeg_page(jpg, (w, h), (w * 72 / 300, h * 72 / 300)), b'%PDF-1.4\n')
EOF
  real=("$tmp"/in/real/*.pdf)
  cat "${real[@]}" >/dev/null
  sed 's|^stamp_place = .*|stamp_place = fixed|' "$ws/sohoa.ini" >"$tmp/fixed.ini"
  batch_src=$tmp/in/real
  if series sohoa_prep "${sign[@]}" && auto=$result && check_outputs &&
     series sohoa_prep "$sohoa" --config "$tmp/fixed.ini" "${sign[@]:1}" && fixed=$result; then
    row "sohoa sign, place auto" "$auto" "${#real[@]}"
    row "sohoa sign, place fixed" "$fixed" "${#real[@]}"
  else
    sohoa_ok=0
    why="sohoa sign on the JPEG scans failed: $(head -n 5 "$tmp/err")"
  fi
fi

if [ "$sohoa_ok" != 1 ]; then
  echo "sohoa's part unavailable: $why"
  exit 1
fi
echo "checked: pdfsig finds all $checked files sohoa signed in the last runs valid and whole"
