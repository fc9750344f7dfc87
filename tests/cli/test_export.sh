#!/usr/bin/env bash
# sohoa export: package volumes copied onto a medium byte for byte (cmp; sha256sum -c on the
# medium's SHA256SUMS), each copy logged (transfers: channel medium, outcome exported, bytes, the
# medium's identity with its filesystem type as findmnt says; audit package.export); a rerun
# copies nothing; one FILE; a file that is no volume (3); DIR missing, a file, inside the
# workspace (2). A medium that fills up (a small tmpfs in a private mount namespace) fails with
# 4, a clear message, nothing half-written left on it, the ledger saying failed; then a bigger
# one works. A write error part-way (the file size limit: EFBIG) is cleaned up the same way.
# kill -9 in the middle of a copy (strace kills it at its second write): nothing under the
# final name, the next export removes the temporary file and completes, the killed attempt's
# row is 'interrupted'. The round trip: receive --into the medium's folder, import-receipts.
. "$(dirname "$0")/lib.sh"
need_tool unshare mount umount findmnt sqlite3 strace sha256sum cmp
. "$SOHOA_SOURCE/tests/pack_fixture.sh"

# unshare -m needs root; otherwise a user namespace maps us to root in it.
UNSHARE=(unshare -m)
[ "$(id -u)" = 0 ] || UNSHARE=(unshare -rm)

O1=93.000.036.001.015 O2=93.000.036.001.016
pfx_workspace ws 2 "$O1" "$O2"
WS=$PWD
pfx_pack 0 --to "$PFX/receiver.pem" "${PFX_DOSSIERS[0]}" "${PFX_DOSSIERS[1]}"
mapfile -t VOLS < <(ls "$WS"/packages/*/*.zip.p7m)
[ ${#VOLS[@]} = 2 ] || fail "expected two packages of one volume each: ${VOLS[*]}"
sql() { sqlite3 "$WS/.sohoa/ledger.db" "$@"; }
size() { stat -c %s "$1"; }

# ---- everything without a receipt, onto a folder ----
MED=$TMP/medium
mkdir "$MED"
run_sohoa 0 export --to "$MED" --json
FST=$(findmnt -n -o FSTYPE --target "$MED")
assert_eq "$(json_get "$OUT" 'd["summary"]["copied"]')" 2 "volumes copied"
assert_eq "$(json_get "$OUT" 'd["medium"]["fstype"]')" "$FST" "the medium's filesystem type"
assert_contains "$ERR" "same filesystem as the workspace" "the warning for a folder on the station's disk"
for v in "${VOLS[@]}"; do
  cmp "$v" "$MED/$(basename "$v")" || fail "the copy of $v differs"
done
(cd "$MED" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS on the medium does not check"
[ "$(wc -l <"$MED/SHA256SUMS")" = 2 ] || fail "SHA256SUMS: $(cat "$MED/SHA256SUMS")"
assert_eq "$(ls -A "$MED" | grep -c sohoa-tmp || true)" 0 "temporary files left"
rows=$(sql "SELECT channel, outcome, bytes, target FROM transfers ORDER BY id")
assert_eq "$(echo "$rows" | wc -l)" 2 "transfer rows"
for v in "${VOLS[@]}"; do
  assert_contains "$rows" "medium|exported|$(size "$v")|TYPE=$FST " "the transfer of $v"
done
assert_contains "$rows" "DIR=$MED" "the medium's folder in the transfer's target"
assert_eq "$(sql "SELECT COUNT(*) FROM audit WHERE action = 'package.export'")" 2 "audit entries"
assert_eq "$(sql "SELECT COUNT(*) FROM transfers WHERE audit_id IS NULL")" 0 "rows without audit"
run_sohoa 0 audit verify

# ---- again: nothing copied ----
run_sohoa 0 export --to "$MED"
assert_contains "$OUT" "0 copied" "the rerun's summary"
assert_contains "$OUT" "already on the medium" "the rerun's lines"
assert_eq "$(sql "SELECT COUNT(*) FROM transfers")" 2 "transfer rows after the rerun"

# ---- a damaged copy on the medium is replaced ----
printf 'X' | dd of="$MED/$(basename "${VOLS[0]}")" bs=1 seek=100 conv=notrunc status=none
run_sohoa 0 export --to "$MED" --json
assert_eq "$(json_get "$OUT" '[v["result"] for v in d["volumes"]]')" "['copied', 'already']" \
  "a damaged copy copied again"
cmp "${VOLS[0]}" "$MED/$(basename "${VOLS[0]}")" || fail "the damaged copy was not replaced"

# ---- one FILE; files that are no volumes; bad folders ----
MED2=$TMP/medium2
mkdir "$MED2"
run_sohoa 0 export "${VOLS[1]}" --to "$MED2"
assert_eq "$(ls "$MED2")" "$(printf '%s\n' "$(basename "${VOLS[1]}")" SHA256SUMS)" "one FILE exported"
run_sohoa 3 export "$WS/sohoa.ini" --to "$MED2"
assert_contains "$ERR" "not a package volume" "a file that is no volume"
echo x >"$TMP/stray.zip.p7m"
run_sohoa 3 export "$TMP/stray.zip.p7m" --to "$MED2"
run_sohoa 2 export --to "$TMP/nowhere"
assert_contains "$ERR" "$TMP/nowhere" "the missing folder named"
run_sohoa 2 export --to "$WS/sohoa.ini"
assert_contains "$ERR" "not a folder" "a file as DIR"
run_sohoa 2 export --to "$WS/packages"
assert_contains "$ERR" "inside the workspace" "a folder in the workspace"
run_sohoa 2 export
assert_contains "$ERR" "--to DIR" "no --to"

# ---- a medium that fills up: a tmpfs smaller than the two volumes ----
S0=$(size "${VOLS[0]}") S1=$(size "${VOLS[1]}")
MNT=$TMP/usb
mkdir "$MNT"
small=$(((S0 / 4096 + 2) * 4)) # KiB: the first volume fits, not both
before=$(sql "SELECT COUNT(*) FROM transfers")
"${UNSHARE[@]}" bash -c 'mount -t tmpfs -o size='"$small"'k sohoa-test "$1" || exit 9
  "$2" export --to "$1" >"$3/full.out" 2>"$3/full.err"; echo $? >"$3/full.rc"
  ls -A "$1" >"$3/full.ls"' _ "$MNT" "$SOHOA" "$TMP" || fail "mount namespace: $?"
assert_eq "$(cat "$TMP/full.rc")" 4 "export onto a full medium: $(cat "$TMP/full.err")"
assert_contains "$(cat "$TMP/full.err")" "is full" "the message"
assert_contains "$(cat "$TMP/full.err")" "free space on the medium or use a bigger one" "what to do"
assert_eq "$(cat "$TMP/full.ls")" "$(printf '%s\n' "$(basename "${VOLS[0]}")" SHA256SUMS)" \
  "what the full medium holds"
assert_eq "$(sql "SELECT outcome, target LIKE 'TYPE=tmpfs (no UUID)%' FROM transfers WHERE id > $before ORDER BY id")" \
  "$(printf 'exported|1\nfailed|1')" "the ledger after the full medium"
assert_contains "$(sql "SELECT error FROM transfers WHERE outcome = 'failed'")" "is full" "the failed row's error"
"${UNSHARE[@]}" bash -c 'mount -t tmpfs -o size=4m sohoa-test "$1" || exit 9
  "$2" export --to "$1" -q >/dev/null 2>"$3/big.err" || exit 8
  cd "$1" && sha256sum -c --quiet SHA256SUMS && [ "$(ls | wc -l)" = 3 ]' _ "$MNT" "$SOHOA" "$TMP" ||
  fail "export onto a bigger tmpfs: $? $(cat "$TMP/big.err")"

# ---- a write error part-way (the file size limit: EFBIG), temp file removed ----
MED3=$TMP/medium3
mkdir "$MED3"
before=$(sql "SELECT COUNT(*) FROM transfers")
rc=0
(trap '' XFSZ; ulimit -f $((S0 / 2048)); exec "$SOHOA" export "${VOLS[0]}" --to "$MED3") \
  >"$TMP/efbig.out" 2>"$TMP/efbig.err" || rc=$?
assert_eq "$rc" 4 "export with a write error: $(cat "$TMP/efbig.err")"
assert_contains "$(cat "$TMP/efbig.err")" "the partial copy was removed" "the write error's message"
assert_eq "$(ls -A "$MED3")" "" "what the write error left"
assert_eq "$(sql "SELECT outcome FROM transfers WHERE id > $before")" failed "the write error's row"

# ---- kill -9 in the middle of a copy ----
pfx_next_cccd
pfx_dossier "$O1" "$PFX_CCCD" "Đỗ Thị Mười" --huge
pfx_sign "$PFX_LAST"
pfx_pack 0 --to "$PFX/receiver.pem" "$PFX_LAST"
BIG=$(ls -t "$WS"/packages/"$O1"/*.zip.p7m | head -1)
[ "$(size "$BIG")" -gt $((1 << 20)) ] || fail "the huge volume is smaller than one copy buffer"
MED4=$TMP/medium4
mkdir "$MED4"
# The copy writes with write(2) in 1 MiB blocks (the ledger uses pwrite; -q: no warning on
# stderr before): killed at the second, after the first MiB.
(strace -f -o /dev/null -e trace=write -e inject=write:signal=KILL:when=2 \
  "$SOHOA" export -q "$BIG" --to "$MED4" >/dev/null 2>&1 && echo 0 >"$TMP/kill.rc" ||
  echo $? >"$TMP/kill.rc") 2>/dev/null
assert_eq "$(cat "$TMP/kill.rc")" 137 "the status of the killed export"
temp=$(ls -A "$MED4")
assert_contains "$temp" ".$(basename "$BIG").sohoa-tmp-" "the killed export's temporary file"
assert_eq "$(size "$MED4/$temp")" $((1 << 20)) "the killed export's temporary file's size"
[ ! -e "$MED4/$(basename "$BIG")" ] || fail "a file under its final name after the kill"
assert_eq "$(sql "SELECT outcome FROM transfers ORDER BY id DESC LIMIT 1")" started "the killed row"
run_sohoa 0 export "$BIG" --to "$MED4"
assert_eq "$(ls -A "$MED4")" "$(printf '%s\n' "$(basename "$BIG")" SHA256SUMS)" "the medium after the rerun"
cmp "$BIG" "$MED4/$(basename "$BIG")" || fail "the copy after the kill differs"
assert_eq "$(sql "SELECT outcome FROM transfers ORDER BY id DESC LIMIT 2" | tr '\n' ' ')" \
  "exported interrupted " "the rows of the killed and the completed export"

# ---- the round trip: upload --status says sending; the receiver's receipts brought back on the
# medium and imported; then an export without FILE leaves the receipted packages out ----
stage() { # PACKAGE-ID: its stage in upload --status
  "$SOHOA" upload --status --json | python3 -c 'import json,sys
print([p["stage"] for p in json.load(sys.stdin)["packages"] if p["id"] == sys.argv[1]][0])' "$1"
}
IDA=$(basename "${VOLS[0]}" | cut -c1-26) IDB=$(basename "${VOLS[1]}" | cut -c1-26)
assert_eq "$(stage "$IDA") $(stage "$IDB")" "sending sending" "the exported packages' stage"
mkdir "$MED/received"
"$SOHOA" receive -q "$MED"/*.zip.p7m --pkcs12 "$PFX/receiver.p12" --pin-env P12PASS \
  --trust "$PFX/ca.pem" --into "$MED/received" >"$TMP/recv.out" 2>&1 ||
  fail "sohoa receive on the medium: $(cat "$TMP/recv.out")"
run_sohoa 0 import-receipts "$MED/received" --trust "$PFX/ca.pem"
assert_eq "$(stage "$IDA") $(stage "$IDB")" "accepted accepted" "the stages after import-receipts"
MED5=$TMP/medium5
mkdir "$MED5"
run_sohoa 0 export --to "$MED5"
assert_eq "$(ls "$MED5")" "$(printf '%s\n' "$(basename "$BIG")" SHA256SUMS)" "an export after the receipts"

pass
