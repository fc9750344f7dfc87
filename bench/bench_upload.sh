#!/usr/bin/env bash
# sohoa upload against curl sending the same bytes to the same hub, on loopback, as ratios in one
# run (median of REPEATS=3 transfers each).
#
#   bash bench/bench_upload.sh [BUILD_DIR] [SIZES_MB]   (default: build, "100 300")
#
# For each size, a workspace of signed stand-in dossiers (bench/make_pack_workspace.py) packed into
# one volume (sohoa pack --max-volume 1T), and a fresh hub for every transfer (hub/server.js,
# @tus/server with its file store, plain HTTP on 127.0.0.1; the same volume cannot be created
# twice), its `sohoa receive` step replaced by `true`: receiving is not what is measured. Warm
# cache. Measured:
#   curl      POST creation (not timed), then curl -X PATCH --data-binary @VOLUME: one request
#             (curl reads the whole file into memory first), the figure issue 16 compares with;
#   curl -T   the same PATCH streamed from the file (curl -X PATCH -T VOLUME);
#   sohoa     sohoa upload VOLUME --to URL --receipt-wait 0: OPTIONS, POST, PATCHes of chunk_size
#             (8 MiB), the ledger's transfer records.
# "delivered" is the time from the client's start to the hub's log line saying the volume is
# whole (after the hub's SHA-256 of it, before it answers the last PATCH): the same end point
# for all three. sohoa's whole command also waits for a receipt (--receipt-wait 0 still asks
# for one second, and this hub makes none: exit 1, expected here), shown apart. Ratio: sohoa's
# throughput / curl's (target >= 0.8). Peak RSS (GNU time): sohoa's at two sizes shows that its
# memory does not grow with the volume.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=$(cd "${1:-build}" && pwd)
sizes=${2:-"100 300"}
repeats=${REPEATS:-3}
sohoa=$build/cli/sohoa
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-upload.XXXXXX")
[ -x /usr/bin/time ] || { echo "bench_upload: needs GNU time (package time)" >&2; exit 1; }

# The hub, as the tests start it (tests/hub_fixture.sh).
fail() { echo "bench_upload: $*" >&2; exit 1; }
SOHOA=$sohoa SOHOA_SOURCE=$src TMP=$tmp PFX=$tmp/keys
. tests/hub_fixture.sh
trap 'hub_stop 2>/dev/null; rm -rf "$tmp"' EXIT
bash tests/sign_fixtures.sh "$PFX" >/dev/null
export P12PASS=p12-pass
HUB_ENV=(SOHOA=true)

fresh_hub() { # a hub with nothing received
  hub_stop 2>/dev/null
  rm -rf "$tmp/hub"
  hub_workspace "$tmp/hub"
  hub_start
}
b64() { printf '%s' "$1" | base64 -w0; }
# timed STATUS_OK CMD...: "DELIVERED WHOLE RSS" — seconds from the start to the hub's "volume
# <id>.1 received" line, seconds of the whole command, its peak RSS in KiB. STATUS_OK: the exit
# statuses accepted ("0" or "0 1").
timed() {
  local ok=$1 s e rc=0 line
  shift
  s=$(date +%s.%N)
  /usr/bin/time -f %M -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/err" || rc=$?
  e=$(date +%s.%N)
  case " $ok " in *" $rc "*) ;; *) fail "$1 exited $rc: $(cat "$tmp/err"); hub: $(cat "$tmp/hub.log")" ;; esac
  line=$(grep -m1 "volume $id.1 received" "$tmp/hub.log") || fail "the hub did not receive $id: $(cat "$tmp/hub.log")"
  cmp -s "$vol" "$HUB_UPLOADS/$id.1" || fail "the hub's file is not the volume ($1)"
  echo "$(echo "$(date -d "${line%% *}" +%s.%N) - $s" | bc -l) $(echo "$e - $s" | bc -l) $(tail -n 1 "$tmp/rss")"
}
median() { sort -n | sed -n "$(((repeats + 1) / 2))p"; }
# row NAME "DELIVERED WHOLE RSS" MB [NOTE]
row() {
  set -- "$1" $2 "$3" "${4:-}"
  printf '%-38s %6.2f s %5.0f MB/s  whole %6.2f s  peak RSS %6.1f MiB%s\n' "$1" "$2" \
    "$(echo "$5 / $2" | bc -l)" "$3" "$(echo "$4 / 1024" | bc -l)" "$6"
}

for size in $sizes; do
  echo "== a package volume of about $size MB, median of $repeats =="
  ws=$tmp/ws-$size
  "$sohoa" init "$ws" --station BENCH --operator bench -q
  sed -i "s|^receiver_trust =.*|receiver_trust = $PFX/ca.pem|" "$ws/sohoa.ini"
  python3 bench/make_pack_workspace.py "$ws" --dossiers $((size / 10)) --docs 2 --doc-bytes 5000000
  (cd "$ws" && "$sohoa" -q pack --to "$PFX/receiver.pem" --pkcs12 "$PFX/org-rsa.p12" \
    --pin-env P12PASS --basis bench --max-volume 1T >/dev/null)
  cp "$ws/.sohoa/ledger.db" "$tmp/ledger.packed"
  vol=$(ls "$ws"/packages/*/*.zip.p7m)
  bytes=$(stat -c %s "$vol")
  mb=$(echo "$bytes / 1000000" | bc -l)
  name=$(basename "$vol")
  id=${name:0:26}
  org=$(basename "$(dirname "$vol")")
  md="package $(b64 "$id"),volume $(b64 1),volumes $(b64 1),org $(b64 "$org"),filename $(b64 "$name")"
  md="$md,sha256 $(b64 "$(sha256sum "$vol" | cut -c1-64)")"
  cat "$vol" >/dev/null

  curl_patch() { # MODE: one PATCH of the whole volume to a fresh upload
    fresh_hub
    local loc body=(--data-binary "@$vol")
    loc=$(curl -s -D - -o /dev/null -X POST -H 'Tus-Resumable: 1.0.0' -H "Upload-Length: $bytes" \
      -H "Upload-Metadata: $md" "$HUB_URL" | sed -n 's/^Location: *//Ip' | tr -d '\r')
    [ -n "$loc" ] || fail "the hub created no upload: $(cat "$tmp/hub.log")"
    [ "$1" = stream ] && body=(-T "$vol")
    timed 0 curl -s -f -o /dev/null -X PATCH -H 'Tus-Resumable: 1.0.0' -H 'Upload-Offset: 0' \
      -H 'Content-Type: application/offset+octet-stream' "${body[@]}" "$loc"
  }
  sohoa_upload() { # from the ledger as pack left it
    fresh_hub
    cp "$tmp/ledger.packed" "$ws/.sohoa/ledger.db"
    rm -f "$ws/.sohoa/ledger.db-wal" "$ws/.sohoa/ledger.db-shm"
    (cd "$ws" && timed "0 1" "$sohoa" -q upload "$vol" --to "$HUB_URL" --receipt-wait 0)
    grep -q "receipt" "$tmp/err" || [ ! -s "$tmp/err" ] || fail "sohoa upload: $(cat "$tmp/err")"
  }
  c=$(for _ in $(seq "$repeats"); do curl_patch whole; done | median)
  t=$(for _ in $(seq "$repeats"); do curl_patch stream; done | median)
  s=$(for _ in $(seq "$repeats"); do sohoa_upload; done | median)
  row "curl -X PATCH --data-binary @VOLUME" "$c" "$mb"
  row "curl -X PATCH -T VOLUME" "$t" "$mb"
  row "sohoa upload" "$s" "$mb" "$(printf '  ratio %.2f (vs --data-binary), %.2f (vs -T)' \
    "$(echo "${c%% *} / ${s%% *}" | bc -l)" "$(echo "${t%% *} / ${s%% *}" | bc -l)")"
  rm -rf "$ws"
done
