#!/usr/bin/env bash
# The ledger can be trusted (issue 13, point 3):
#  - it is never silently replaced: a ledger emptied to 0 bytes, one without a schema, or a
#    missing one is an error (exit 3, "restore it from the backup") for every command, and is
#    left exactly as it was; only `sohoa init` makes a ledger;
#  - the commands that only look (audit verify│show│export, validate without a way to record,
#    verify) open it read-only: they never wait for another process's write lock, and work from truly
#    read-only media (a read-only bind mount in a private mount namespace; without one, a
#    non-root user on a folder without write permission), unfinished writes of a killed
#    process (ledger.db-wal) included; the commands that record say the media is read-only;
#  - a failed ledger write (a trigger that refuses an insert, in a copy of the workspace) in
#    ingest, validate, sign, name fix and audit note leaves nothing behind and is reported in
#    core's words, never as SQL text;
#  - a completely full disk (a small tmpfs) says so, and audit verify still works there.
. "$(dirname "$0")/lib.sh"
need_tool openssl sqlite3 unshare setpriv

ORG=93.000.036.001.015
A="$ORG/001085012345_NguyenVanAn"
A2="$A/02.Ly lich dang vien.pdf"
A3="$A/03.Phieu dang vien.pdf"
db=.sohoa/ledger.db
scans "$TMP/s2" --format tiff-g4 --size A5 --dpi 200 --pages 1 --seed 31
scans "$TMP/s3" --format tiff-g4 --size A5 --dpi 200 --pages 1 --seed 32
scans "$TMP/s4" --format tiff-g4 --size A5 --dpi 200 --pages 1 --seed 33
ingest() { "$SOHOA" -q ingest --org "$ORG" --cccd 001085012345 --name "Nguyễn Văn An" "$@"; }
count() { sqlite3 "$db" "$1"; }
entries() { count "SELECT count(*) FROM audit"; }
no_sql() { # MESSAGE: no SQL text, no bare SQLite wording without ours
  for word in PRAGMA INSERT SELECT "BEGIN IMMEDIATE" "journal_mode"; do
    assert_not_contains "$1" "$word" "message"
  done
}
# A quick organisation key (self-signed, EC) for sign.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/org.key" \
  -out "$TMP/org.pem" -days 30 -subj "/CN=To chuc thu/O=Sohoa" \
  -addext "keyUsage=critical,digitalSignature,nonRepudiation" 2>/dev/null
openssl pkcs12 -export -inkey "$TMP/org.key" -in "$TMP/org.pem" -out "$TMP/org.p12" \
  -passout pass:p12-pass 2>/dev/null
export P12PASS=p12-pass

new_workspace ws
cd ws
ingest --type 2 "$TMP/s2"
ingest --type 3 "$TMP/s3"
run_sohoa 0 validate "$A"
run_sohoa 0 sign "$A2" --pkcs12 "$TMP/org.p12" --pin-env P12PASS
run_sohoa 0 audit note "trước khi sao lưu"
N=$(entries)
cd "$TMP"

# ---- never silently replaced ----
# every command that opens the workspace, on a copy whose ledger is broken in some way
broken_commands() { # DIR: each must exit 3 naming the backup, and leave the ledger as it was
  local dir=$1 before
  before=$(sha256sum "$dir/$db" | cut -d' ' -f1)
  for cmd in "audit verify" "audit show" "audit note x" "audit export $TMP/x.jsonl" "validate ." \
    "name fix . --apply" "sign . --pkcs12 $TMP/org.p12 --pin-env P12PASS" \
    "ingest --org $ORG --cccd 001085012345 --name An --type 4 $TMP/s4"; do
    cd "$dir"
    # shellcheck disable=SC2086
    run_sohoa 3 $cmd
    cd "$TMP"
    assert_contains "$ERR" "backup" "sohoa $cmd on $dir"
    no_sql "$ERR"
    assert_eq "$(sha256sum "$dir/$db" | cut -d' ' -f1)" "$before" "the ledger after sohoa $cmd"
    [ ! -e "$dir/$db-wal" ] || [ ! -s "$dir/$db-wal" ] || fail "sohoa $cmd wrote a WAL beside $dir/$db"
    [ ! -e "$TMP/x.jsonl" ] || fail "sohoa $cmd exported from a broken ledger"
  done
  [ ! -e "$dir/$A/04.Phieu bo sung ho so dang vien.pdf" ] || fail "ingest wrote into $dir"
}
cp -a ws empty
: >empty/$db
rm -f empty/$db-wal empty/$db-shm
broken_commands empty
cd empty
run_sohoa 3 audit verify
cd "$TMP"
assert_contains "$ERR" "is empty (0 bytes)"
assert_eq "$(stat -c %s empty/$db)" 0 "the emptied ledger's size"

cp -a ws noschema
rm -f noschema/$db noschema/$db-wal noschema/$db-shm
sqlite3 noschema/$db "PRAGMA journal_mode = WAL; CREATE TABLE t(x); DROP TABLE t;" >/dev/null
broken_commands noschema
assert_contains "$ERR" "no schema"

cp -a ws missing
rm -f missing/$db missing/$db-wal missing/$db-shm
cd missing
run_sohoa 3 audit verify
assert_contains "$ERR" "is missing"
assert_contains "$ERR" "backup"
[ ! -e $db ] || fail "audit verify made a new ledger"
run_sohoa 3 audit note x
[ ! -e $db ] || fail "audit note made a new ledger"
cd "$TMP"

# ---- the commands that only look open the ledger read-only ----
# Another process holds the ledger's write lock: a command that opened it for writing would wait
# for it (the busy timeout); those that only look run at once.
cp -a ws held
sed -i 's/^operator = .*/operator =/' held/sohoa.ini
mkfifo "$TMP/locked"
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").write("locked\n")
time.sleep(120)' "held/$db" "$TMP/locked" &
holder=$!
read -r _ <"$TMP/locked"
cd held
for cmd in "audit verify" "audit show" "validate $A"; do
  got=0
  # shellcheck disable=SC2086
  timeout 10 "$SOHOA" $cmd >"$TMP/.out" 2>"$TMP/.err" || got=$?
  assert_eq "$got" 0 "sohoa $cmd while another process holds the write lock: $(cat "$TMP/.err")"
done
assert_contains "$(cat "$TMP/.err")" "the verdicts are not recorded" "validate without an operator"
got=0
timeout 2 "$SOHOA" audit note "chờ" --operator "Trần Văn B" >/dev/null 2>&1 || got=$?
assert_eq "$got" 124 "a command that records waits for the write lock"
cd "$TMP"
kill "$holder"
wait "$holder" 2>/dev/null || true

# ---- read-only media ----
# How this machine makes a folder truly read-only for sohoa, also as root (where chmod does not
# stop writes): a read-only bind mount in a private mount namespace; else another user.
RO_HOW=
if unshare -m sh -c "mount --bind -o ro '$TMP' '$TMP' && ! touch '$TMP/.probe'" 2>/dev/null; then
  RO_HOW=mount
elif [ "$(id -u)" = 0 ] && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
  RO_HOW=nobody
elif [ "$(id -u)" != 0 ]; then
  RO_HOW=chmod
else
  fail "no way to make a folder read-only here (unshare -m, setpriv)"
fi
rm -f "$TMP/.probe"
echo "read-only media made by: $RO_HOW"
OUTDIR=$(mktemp -d "$TMP/out.XXXXXX")
chmod 777 "$OUTDIR"
# run_ro STATUS DIR ARGS...: sohoa in DIR, read-only to it; stdout in $OUT, stderr in $ERR.
run_ro() {
  local want=$1 dir=$2 got=0
  shift 2
  case $RO_HOW in
  mount)
    unshare -m sh -c 'd=$1; shift; mount --bind -o ro "$d" "$d" && cd "$d" &&
      if touch .probe 2>/dev/null; then echo "$d is writable" >&2; exit 99; fi && exec "$@"' \
      sh "$dir" "$SOHOA" "$@" >"$TMP/.out" 2>"$TMP/.err" || got=$? ;;
  nobody)
    chmod -R a-w "$dir"
    (cd "$dir" && setpriv --reuid=65534 --regid=65534 --clear-groups sh -c \
      'if touch .probe 2>/dev/null; then echo "$PWD is writable" >&2; exit 99; fi; exec "$@"' \
      sh "$SOHOA" "$@") >"$TMP/.out" 2>"$TMP/.err" || got=$? ;;
  chmod)
    chmod -R a-w "$dir"
    (cd "$dir" && "$SOHOA" "$@") >"$TMP/.out" 2>"$TMP/.err" || got=$? ;;
  esac
  OUT=$(cat "$TMP/.out")
  ERR=$(cat "$TMP/.err")
  if [ "$got" != "$want" ]; then
    echo "--- stdout:"; echo "$OUT"; echo "--- stderr:"; echo "$ERR"
    fail "sohoa $* on read-only $dir exited $got, expected $want"
  fi
}
listing() { (cd "$1" && find . -type f -exec sha256sum {} + | LC_ALL=C sort); }

cp -a ws ro
rm -f ro/$db-wal ro/$db-shm
chmod -R a+rX ro
before=$(listing ro)
HEAD=$(cd ws && "$SOHOA" --json audit verify | python3 -c 'import json,sys; h=json.load(sys.stdin)["head"]; print("%d:%s" % (h["id"], h["hash"]))')
run_ro 0 ro audit verify
assert_contains "$OUT" "Audit chain intact: $N entries"
run_ro 0 ro audit verify --anchor "$HEAD"
run_ro 0 ro --json audit show
assert_eq "$(json_get "$OUT" 'd["count"]')" "$N" "audit show on read-only media"
run_ro 0 ro audit export "$OUTDIR/nhat-ky.jsonl"
assert_contains "$ERR" "not recorded in the audit chain"
assert_eq "$(wc -l <"$OUTDIR/nhat-ky.jsonl")" "$((N + 1))" "export lines (entries and the head)"
run_ro 0 ro validate "$A"
assert_contains "$ERR" "read-only media" "validate with an operator on read-only media"
run_ro 0 ro verify "${A2%.pdf}_signed.pdf" --trust "$TMP/org.pem"
run_ro 0 ro name check .
run_ro 4 ro audit note "trên bản sao"
assert_contains "$ERR" "cannot be written (read-only media"
no_sql "$ERR"
run_ro 4 ro ingest --org "$ORG" --cccd 001085012345 --name "Nguyễn Văn An" --type 4 "$TMP/s4"
assert_contains "$ERR" "cannot be written (read-only media"
no_sql "$ERR"
chmod -R u+w ro
assert_eq "$(listing ro)" "$before" "the read-only copy's files"

# A copy taken while a writer had unfinished writes: ledger.db-wal holds committed entries that
# are not in ledger.db yet (no -shm). They count.
cp -a ws walsrc
python3 - "$TMP/walsrc/$db" "$TMP/rowal/.sohoa" "$SOHOA" "$TMP/walsrc" <<'EOF'
import os, shutil, sqlite3, subprocess, sys
ledger, dest, sohoa, ws = sys.argv[1:]
hold = sqlite3.connect(ledger)  # another connection: sohoa's close does not checkpoint
hold.execute("PRAGMA wal_autocheckpoint = 0")
hold.execute("SELECT count(*) FROM audit").fetchall()
for text in ("một", "hai"):
    subprocess.run([sohoa, "-q", "audit", "note", text], cwd=ws, check=True)
shutil.copytree(ws, os.path.dirname(dest), ignore=shutil.ignore_patterns("*-shm"))
assert os.path.getsize(os.path.join(dest, "ledger.db-wal")) > 0
hold.close()
EOF
chmod -R a+rX rowal
run_ro 0 rowal audit verify
assert_contains "$OUT" "Audit chain intact: $((N + 2)) entries"
chmod -R u+w rowal

# ---- a failed ledger write leaves nothing and is said in core's words ----
fault() { sqlite3 "$db" "CREATE TRIGGER fault BEFORE INSERT ON $1 ${2:+WHEN $2} BEGIN SELECT RAISE(ABORT, 'injected fault'); END;"; }
unfault() { sqlite3 "$db" "DROP TRIGGER fault"; }
no_temp() { ! find . -name '.*.tmp-*' | grep -q . || fail "temp files left: $(find . -name '.*.tmp-*')"; }
cp -a ws faults
cd faults
A4="$A/04.Phieu bo sung ho so dang vien.pdf"
n=$(entries)
fault audit
run_sohoa 4 audit note "không ghi được"
assert_contains "$ERR" "could not append to the audit chain (injected fault)"
no_sql "$ERR"
unfault
assert_eq "$(entries)" "$n" "audit entries after a refused note"
# ingest: every table of its transaction, the intent to publish included (the statement that
# failed used to be finalized twice: a double free under ASan, SIGBUS in release builds)
for table in dossiers documents document_sources publications; do
  fault "$table"
  run_sohoa 4 ingest --org "$ORG" --cccd 001085012345 --name "Nguyễn Văn An" --type 4 "$TMP/s4"
  assert_contains "$ERR" "injected fault" "ingest with $table refused"
  assert_contains "$ERR" "nothing of it was recorded"
  no_sql "$ERR"
  unfault
  [ ! -e "$A4" ] || fail "ingest published a file its ledger refused ($table)"
  no_temp
  assert_eq "$(entries)" "$n" "audit entries after a refused ingest ($table)"
  assert_eq "$(count "SELECT count(*) FROM documents")" 2 "documents after a refused ingest"
  assert_eq "$(count "SELECT count(*) FROM publications")" 0 "intents after a refused ingest"
done
printf 'org,cccd,name,type,files\n%s,001085012345,Nguyễn Văn An,4,%s\n%s,079190012347,Phạm Thị K,2,%s\n' \
  "$ORG" "$TMP/s4" "$ORG" "$TMP/s2" >"$TMP/lo.csv"
fault documents
run_sohoa 4 ingest --manifest "$TMP/lo.csv"
assert_contains "$ERR" "row 2: the ledger"
assert_contains "$ERR" "row 3: the ledger"
unfault
[ ! -e "$A4" ] && [ ! -e "$ORG/079190012347_PhamThiK" ] || fail "a refused batch left files"
no_temp
run_sohoa 0 ingest --org "$ORG" --cccd 001085012345 --name "Nguyễn Văn An" --type 4 "$TMP/s4"
[ -f "$A4" ] || fail "ingest after the fault"
n=$(entries)
fault validations
run_sohoa 4 validate "$A"
assert_contains "$ERR" "could not record the verdict (injected fault)"
no_sql "$ERR"
unfault
assert_eq "$(entries)" "$n" "audit entries after refused verdicts"
run_sohoa 0 validate "$A"
n=$(entries)
fault signatures
run_sohoa 4 sign "$A3" --pkcs12 "$TMP/org.p12" --pin-env P12PASS
assert_contains "$ERR" "injected fault"
no_sql "$ERR"
unfault
[ ! -e "${A3%.pdf}_signed.pdf" ] || fail "sign published a file its ledger refused"
no_temp
assert_eq "$(entries)" "$n" "audit entries after a refused signature"
# name fix: the intent refused, nothing is renamed and no journal stays; the end refused, the
# renames are announced by the intent and the next apply closes the run
mkdir -p "$ORG/079190012347_PhamThiK"
: >"$ORG/079190012347_PhamThiK/2.Ly lich dang vien.pdf"
: >"$ORG/079190012347_PhamThiK/3.Phieu dang vien.pdf"
names=$(find "$ORG" | LC_ALL=C sort)
fault audit "NEW.action = 'name.fix.begin'"
run_sohoa 4 name fix . --apply
assert_contains "$ERR" "could not append to the audit chain (injected fault)"
unfault
assert_eq "$(find "$ORG" | LC_ALL=C sort)" "$names" "names after a refused intent"
[ -z "$(ls -A .sohoa/journals 2>/dev/null)" ] || fail "a journal of no run: $(ls .sohoa/journals)"
fault audit "NEW.action = 'name.fix'"
run_sohoa 4 name fix . --apply
unfault
[ -f "$ORG/079190012347_PhamThiK/02.Ly lich dang vien.pdf" ] || fail "the renames announced were not made"
assert_eq "$(count "SELECT count(*) FROM audit WHERE action = 'name.fix.begin'")" 1 "intents"
run_sohoa 0 name fix . --apply
assert_contains "$ERR" "was interrupted"
assert_eq "$(count "SELECT details FROM audit WHERE action = 'name.fix.interrupted'")" \
  "{\"begin\":$(count "SELECT id FROM audit WHERE action = 'name.fix.begin'"),\"journal_sha256\":\"$(sha256sum .sohoa/journals/*.txt | cut -d' ' -f1)\",\"renamed\":2,\"not_renamed\":0,\"restored\":0}" \
  "the interrupted run's closing entry"
run_sohoa 0 audit verify
cd "$TMP"

# ---- a full disk ----
cat >"$TMP/full.sh" <<'EOF'
set -u
mnt=$1 src=$2
mount -t tmpfs -o size=3m tmpfs "$mnt" || exit 97
cd "$mnt"
"$SOHOA" -q init ws --station T-01 --operator "Nguyễn Văn A" || exit 96
cd ws
"$SOHOA" -q audit note "còn chỗ" || exit 95
dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null
echo "== note"; "$SOHOA" audit note "hết chỗ" 2>&1; echo "status $?"
echo "== verify"; "$SOHOA" audit verify 2>&1; echo "status $?"
echo "== ingest"; "$SOHOA" ingest --org 93.000.036.001.015 --cccd 001085012345 --name "An Nguyen" --type 2 "$src" 2>&1; echo "status $?"
rm -f "$mnt/filler"
echo "== freed"; "$SOHOA" -q audit note "lại có chỗ" 2>&1; echo "status $?"
"$SOHOA" audit verify 2>&1
EOF
mkdir -p "$TMP/full"
out=$(unshare -m bash "$TMP/full.sh" "$TMP/full" "$TMP/s2" 2>&1) ||
  out=$(unshare -rm bash "$TMP/full.sh" "$TMP/full" "$TMP/s2" 2>&1) ||
  fail "no small file system could be mounted to fill (unshare -m, unshare -rm): $out"
section() { echo "$out" | sed -n "/^== $1\$/,/^status /p"; }
assert_contains "$(section note)" "the disk holding the ledger $TMP/full/ws/.sohoa/ledger.db is full"
assert_contains "$(section note)" "status 4"
no_sql "$(section note)"
assert_not_contains "$(section note)" "disk I/O error"
assert_contains "$(section verify)" "Audit chain intact: 2 entries"
assert_contains "$(section verify)" "status 0"
assert_contains "$(section ingest)" "full"
assert_contains "$(section ingest)" "status 4"
no_sql "$(section ingest)"
assert_contains "$(section freed)" "status 0"
assert_contains "$out" "Audit chain intact: 3 entries"
pass
