#!/usr/bin/env bash
# Hot-path benchmarks against the tools a user would otherwise pick, as ratios in one run.
# Usage: bash bench/run.sh [BUILD_DIR]   (default: build; configure it RelWithDebInfo or Release)
# Today: SHA-256 of a large file (sohoa vs sha256sum and openssl dgst), audit appends, name
# check over 300,000 files (vs find|grep and a Python walker), ingest of scans (vs img2pdf), and
# signing 1 MB and 50 MB PDFs (vs pdfsig).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
repeats=5
size_mb=1024

. bench/lib.sh
time_cmd() { # REPEATS CMD...: median wall seconds
  local n=$1; shift
  for _ in $(seq "$n"); do
    local s e
    s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
    echo "$e - $s" | bc -l
  done | median
}

echo "== SHA-256 of a ${size_mb} MiB file, warm cache, median of $repeats =="
head -c $((size_mb * 1024 * 1024)) /dev/urandom > "$tmp/big"
cat "$tmp/big" > /dev/null
ours=$(for _ in $(seq $repeats); do "$build/bench/bench_sha256" "$tmp/big" 1 | cut -d' ' -f2; done | median)
want=$(sha256sum "$tmp/big" | cut -d' ' -f1)
got=$("$build/bench/bench_sha256" "$tmp/big" 1 | cut -d' ' -f1)
[ "$want" = "$got" ] || { echo "digest mismatch: $got vs $want"; exit 1; }
coreutils=$(time_cmd $repeats sha256sum "$tmp/big")
openssl_t=$(time_cmd $repeats openssl dgst -sha256 "$tmp/big")
printf '%-24s %8.3f s  %7.0f MiB/s\n' "sohoa (sh_sha256_file)" "$ours" "$(echo "$size_mb / $ours" | bc -l)"
printf '%-24s %8.3f s  %7.0f MiB/s  sohoa is %.2fx\n' "sha256sum" "$coreutils" \
  "$(echo "$size_mb / $coreutils" | bc -l)" "$(echo "$coreutils / $ours" | bc -l)"
printf '%-24s %8.3f s  %7.0f MiB/s  sohoa is %.2fx\n' "openssl dgst -sha256" "$openssl_t" \
  "$(echo "$size_mb / $openssl_t" | bc -l)" "$(echo "$openssl_t / $ours" | bc -l)"

echo "== audit notes: one process per note, as an operator's script would run them =="
"$build/cli/sohoa" init "$tmp/ws" --station BENCH --operator "Nguyễn Văn A" -q
s=$(date +%s.%N)
for i in $(seq 200); do "$build/cli/sohoa" -q --workspace "$tmp/ws" audit note "n$i"; done
e=$(date +%s.%N)
printf '200 notes: %.2f s, %.1f ms per note (fsync per commit)\n' "$(echo "$e - $s" | bc -l)" \
  "$(echo "($e - $s) * 1000 / 200" | bc -l)"
s=$(date +%s.%N); "$build/cli/sohoa" --workspace "$tmp/ws" audit verify >/dev/null; e=$(date +%s.%N)
printf 'verify of 201 entries: %.3f s\n' "$(echo "$e - $s" | bc -l)"

echo "== audit chain: 1,000,000 entries appended in batches of 1,000, then verified =="
"$build/bench/bench_audit" "$tmp/bench-ledger.db" 1000000
bash bench/bench_name_check.sh "$build"
bash bench/bench_ingest.sh "$build"
bash bench/bench_sign.sh "$build"
