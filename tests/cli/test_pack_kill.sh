#!/usr/bin/env bash
# sohoa pack killed with SIGKILL at random moments (6 rounds in CI, 15 with SOHOA_KILL_POINTS=all,
# each on an organisation folder of its own: two dossiers of one A4 JPEG page each, two volumes
# with --max-volume 1M), and by strace at each step of publication (a volume's flush, its rename
# into place: 4 kills; 6 in full, the renames twice), each kill
# followed by a rerun: nothing pack writes may escape the ledger (core's publish-and-record
# protocol, docs/architecture.md).
# After every round the rerun exits 0 and the organisation is packed; at the end every
# package_volumes row's file exists with the recorded SHA-256, every visible .zip.p7m is
# recorded, no temp file and no publication intent is left, the audit chain verifies, each
# dossier is in exactly one package, and a last run packs nothing.
. "$(dirname "$0")/lib.sh"
need_tool openssl sqlite3 sha256sum strace
. "$SOHOA_SOURCE/tests/pack_fixture.sh"
ROUNDS=$(kill_rounds 6 15) # killed at a random moment
PER_ORG=2   # dossiers per organisation folder, one volume each
# The kills by strace (below): each step once; the full campaign kills at the renames twice.
AT=("fsync 1" "fsync 2" "rename 1" "rename 2")
[ "$(kill_rounds 4 6)" = 4 ] || AT+=("rename 1" "rename 2")

pfx_keys
new_workspace ws
cd ws
db=.sohoa/ledger.db
sql() { sqlite3 -cmd ".timeout 10000" "$db" "$@"; }
sed -i 's|^stamp_place = .*|stamp_place = fixed|' sohoa.ini
# One page of ≈ 0.62 MB for every dossier (pages are compared within a dossier only): each
# organisation's two dossiers do not fit one 1 MiB volume.
_pfx_page big
page=$_PFX_PAGE
org() { printf '93.000.036.002.%03d' "$1"; }
for r in $(seq 0 $((ROUNDS + ${#AT[@]}))); do
  for i in $(seq "$PER_ORG"); do
    pfx_next_cccd
    run_sohoa 0 ingest -q --org "$(org "$r")" --cccd "$PFX_CCCD" --name "Nguyễn Văn Kill" --type 2 "$page"
  done
done
ndossiers=$(((ROUNDS + ${#AT[@]} + 1) * PER_ORG))
"$SOHOA" validate -q . >/dev/null 2>&1 || true # the dossiers lack their 03: files pass alone
run_sohoa 0 sign -q --pkcs12 "$PFX/org-rsa.p12" --pin-env P12PASS .
assert_eq "$(find . -name '*_signed.pdf' | wc -l)" "$ndossiers" "signed files"

PACK=(pack --to "$PFX/other-rsa.pem" --basis "$PFX_BASIS" --pkcs12 "$PFX/org-rsa.p12"
  --pin-env P12PASS --max-volume 1M)
pack() { "$SOHOA" "${PACK[@]}" "$@"; }
# In the background: exec, so that $! is sohoa itself (a function's subshell killed would leave
# sohoa running, alongside the rerun).
pack_bg() { exec "$SOHOA" "${PACK[@]}" "$@"; }
# rerun R: pack the round's organisation again; 0 (or 1, held back), never 4; then all is packed
rerun() {
  local got=0
  pack "$(org "$1")" >"$TMP/rerun.out" 2>&1 || got=$?
  [ "$got" = 0 ] || [ "$got" = 1 ] || fail "round $1: the rerun exited $got: $(cat "$TMP/rerun.out")"
  [ "$got" = 0 ] || fail "round $1: the rerun held dossiers back: $(cat "$TMP/rerun.out")"
  assert_eq "$(sql "SELECT count(DISTINCT dossier) FROM package_documents WHERE dossier LIKE '$(org "$1")/%'")" \
    "$PER_ORG" "round $1: dossiers packed after the rerun"
}

# How long a whole run takes here: the kills land within it; the span adapts as in
# test_sign_kill.sh (shorter after a kill that came too late, longer after one too early).
t0=$(date +%s%N)
pack "$(org 0)" >"$TMP/first.out" 2>&1 || fail "the first run: $(cat "$TMP/first.out")"
span=$((($(date +%s%N) - t0) / 1000000 + 1)) # ms
assert_eq "$(find "packages/$(org 0)" -name '*.zip.p7m' | wc -l)" 2 "volumes of the first run"

start=$SECONDS
intents=0 temps=0 before=0 after=0
for r in $(seq "$ROUNDS"); do
  pack_bg "$(org "$r")" >"$TMP/killed.out" 2>&1 &
  pid=$!
  delay=$(((RANDOM * 32768 + RANDOM) % span))
  sleep "$((delay / 1000)).$(printf %03d $((delay % 1000)))"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  n=$(sql "SELECT count(*) FROM publications")
  t=$(find packages -name '.*.tmp-*' | wc -l)
  v=$( (find "packages/$(org "$r")" -name '*.zip.p7m' 2>/dev/null || true) | wc -l)
  intents=$((intents + n)) temps=$((temps + t))
  if [ "$v" -eq 2 ] && [ "$n" -eq 0 ]; then
    after=$((after + 1)) span=$((span * 4 / 5 + 1))
  elif [ "$v" -eq 0 ] && [ "$n" -eq 0 ] && [ "$t" -eq 0 ]; then
    before=$((before + 1)) span=$((span * 11 / 10 + 1))
  fi
  rerun "$r"
done
echo "$ROUNDS kills in $((SECONDS - start)) s: $intents intents finished by the rerun," \
  "$temps temp files swept; $before kills before anything was written, $after after all"

# Killed by strace as pack enters a system call, where the protocol's steps meet:
#   fsync 1, 2   the first (second) volume written under its temp name, not yet flushed:
#                nothing recorded; the rerun sweeps the temp files and packs anew;
#   rename 1     the package recorded (rows and intents committed), no volume in place;
#   rename 2     the first volume in place, the second under its temp name: the rerun's
#                recovery puts the rest in place, and packs nothing again.
# A volume visible after the kill is recorded already.
finished=0
for i in "${!AT[@]}"; do
  r=$((ROUNDS + 1 + i))
  read -r call n <<<"${AT[$i]}"
  calls=fsync,fdatasync
  [ "$call" = fsync ] || calls=rename,renameat,renameat2
  dir=packages/$(org "$r")
  got=0
  (strace -f -o /dev/null -e trace=$calls -e inject=$calls:signal=KILL:when="$n" \
    "$SOHOA" "${PACK[@]}" -q "$(org "$r")" >"$TMP/killed.out" 2>&1; exit $?) 2>/dev/null || got=$?
  [ "$got" = 137 ] || fail "round $r: pack was not killed at $call $n (exit $got): $(cat "$TMP/killed.out")"
  visible=$( (find "$dir" -name '*.zip.p7m' || true) | wc -l)
  temps=$( (find "$dir" -name '.*.tmp-*' || true) | wc -l)
  if [ "$call" = fsync ]; then
    assert_eq "$(sql "SELECT count(*) FROM publications") $visible $temps" "0 0 $n" "round $r: intents, volumes and temp files after the kill at $call $n"
    assert_eq "$(sql "SELECT count(*) FROM packages p JOIN package_documents d ON d.package_id = p.id WHERE d.dossier LIKE '$(org "$r")/%'")" 0 "round $r: packages recorded after the kill at $call $n"
  else
    assert_eq "$(sql "SELECT count(*) FROM publications") $visible $temps" "2 $((n - 1)) $((3 - n))" "round $r: intents, volumes and temp files after the kill at $call $n"
  fi
  for f in "$dir"/*.zip.p7m; do
    [ -e "$f" ] || continue
    [ "$(sql "SELECT count(*) FROM package_volumes WHERE path = '$f' AND sha256 = '$(sha256sum "$f" | cut -d' ' -f1)'")" = 1 ] ||
      fail "round $r: $f is visible, and the ledger does not record it"
  done
  rerun "$r"
  if [ "$call" = rename ]; then
    assert_contains "$(cat "$TMP/rerun.out")" "finished $((3 - n)) file(s) an interrupted run had recorded" "round $r: the rerun"
    finished=$((finished + 3 - n))
  fi
  assert_eq "$( (find "$dir" -name '*.zip.p7m' || true) | wc -l) $( (find "$dir" -name '.*.tmp-*' || true) | wc -l)" "2 0" "round $r: volumes and temp files after the rerun"
  assert_eq "$(sql "SELECT count(DISTINCT package_id) FROM package_documents WHERE dossier LIKE '$(org "$r")/%'")" 1 "round $r: packages"
done
echo "${#AT[@]} kills at a system call: $finished volumes put in place by the rerun's recovery"

# ---- the state after it all ----
run_sohoa 0 audit verify
assert_eq "$(sql "SELECT count(*) FROM publications")" 0 "publication intents left"
leftover=$(find . -name '.*.tmp-*')
[ -z "$leftover" ] || fail "temp files left: $leftover"
# Every volume row's file is there with the recorded bytes.
sql -separator ' ' "SELECT sha256, path FROM package_volumes" >"$TMP/rows"
sha256sum -c --quiet <(sed 's/ /  /' "$TMP/rows") || fail "a package_volumes row does not match its file"
# Every visible volume is recorded, once.
find packages -name '*.zip.p7m' | sort >"$TMP/visible"
cut -d' ' -f2- "$TMP/rows" | sort >"$TMP/recorded"
diff "$TMP/visible" "$TMP/recorded" >"$TMP/diff" || fail "volume files and package_volumes rows differ: $(cat "$TMP/diff")"
# Each package complete: as many volume rows as it says, one audit entry.
assert_eq "$(sql "SELECT count(*) FROM packages p WHERE volumes != (SELECT count(*) FROM package_volumes v WHERE v.package_id = p.id)")" 0 "packages with volumes missing"
assert_eq "$(sql "SELECT count(*) FROM audit WHERE action = 'package.pack'")" "$(sql "SELECT count(*) FROM packages")" "package.pack audit entries"
assert_eq "$(sql "SELECT count(*) FROM audit WHERE action = 'publish.lost'")" 0 "publish.lost audit entries"
# Each dossier in exactly one package (nothing changed: nothing corrects anything).
assert_eq "$(sql "SELECT count(DISTINCT dossier) FROM package_documents")" "$ndossiers" "dossiers packed"
twice=$(sql "SELECT dossier, group_concat(DISTINCT package_id) FROM package_documents GROUP BY dossier HAVING count(DISTINCT package_id) > 1")
[ -z "$twice" ] || fail "dossiers in more than one package: $twice; $(sql "SELECT * FROM packages")"
assert_eq "$(sql "SELECT count(*) FROM packages WHERE corrects != '[]'")" 0 "packages that correct another"
# A last run over everything: nothing left to do.
run_sohoa 0 --json pack --to "$PFX/other-rsa.pem" --basis "$PFX_BASIS" --pkcs12 "$PFX/org-rsa.p12" --pin-env P12PASS
assert_eq "$(json_get "$OUT" "(len(d['packages']), len(d['held_back']), d['unchanged'])")" "(0, 0, $ndossiers)" "the last run"
pass
