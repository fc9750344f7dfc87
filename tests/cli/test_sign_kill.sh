#!/usr/bin/env bash
# sohoa sign killed with SIGKILL at random moments (10 rounds in CI, 30 with SOHOA_KILL_POINTS=all,
# each on a fresh folder of six validated files), and 4 times (10 in full) the moment a signed
# file appears, each kill followed by a rerun:
# nothing sign writes may escape the ledger.
# After every round the rerun exits 0; at the end the audit chain verifies, every signatures row's
# output file exists with the recorded SHA-256, every visible *_signed.pdf is recorded, no temp
# file and no publication intent is left, and a last run over everything signs nothing.
. "$(dirname "$0")/lib.sh"
need_tool openssl sqlite3

FX=$TMP/keys
bash "$SOHOA_SOURCE/tests/sign_fixtures.sh" "$FX"
export P12PASS=p12-pass
ROUNDS=$(kill_rounds 10 30)  # killed at a random moment
AT_SIGHT=$(kill_rounds 4 10) # killed as soon as a signed file is visible
FILES=6

new_workspace ws
cd ws
db=.sohoa/ledger.db
# sqlite3 with a busy timeout: after a kill, the next opener may first recover the WAL.
sql() { sqlite3 -cmd ".timeout 10000" "$@"; }
# The corner: the kill test is about publishing, not about finding the stamp's place.
sed -i 's|^stamp_place = .*|stamp_place = fixed|' sohoa.ini
testpy - base.pdf <<'EOF'
import sys, minipdf
minipdf.write(sys.argv[1], minipdf.text_page(b'BT /F1 24 Tf 72 700 Td (sohoa kill test) Tj ET'))
EOF

# Rounds 0..ROUNDS+AT_SIGHT: folders D/rR of FILES files of their own bytes, each with a passing verdict
# (as validate records it), made at once.
"$PY" - "$((ROUNDS + AT_SIGHT))" "$FILES" <<'EOF'
import hashlib, os, sqlite3, sys
rounds, files = int(sys.argv[1]), int(sys.argv[2])
base = open('base.pdf', 'rb').read()
rows = []
for r in range(rounds + 1):
    os.makedirs('D/r%d' % r)
    for i in range(1, files + 1):
        path = 'D/r%d/f%d.pdf' % (r, i)
        data = base + b'%% round %d file %d\n' % (r, i)
        open(path, 'wb').write(data)
        rows.append((path, hashlib.sha256(data).hexdigest(), 'pass', '[]',
                     '2026-12-01T00:00:00.000Z'))
db = sqlite3.connect('.sohoa/ledger.db', timeout=10)
db.executemany('INSERT INTO validations (path, sha256, verdict, findings, validated_at) '
               'VALUES (?, ?, ?, ?, ?)', rows)
db.commit()
EOF
# exec: a backgrounded call must be sohoa itself, so that kill hits it and not a subshell.
sign() { exec "$SOHOA" sign -q --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS "$@"; }

# How long a whole run takes here (this machine, its load): the kills land within it. The span
# adapts as it goes: shorter after a kill that came too late (all signed), longer after one
# that came before anything was written.
t0=$(date +%s%N)
(sign D/r0) >/dev/null
span=$(( ($(date +%s%N) - t0) / 1000000 + 1 )) # ms

start=$SECONDS
intents=0 temps=0 before=0 after=0
for r in $(seq "$ROUNDS"); do
  sign "D/r$r" >"$TMP/killed.out" 2>&1 &
  pid=$!
  delay=$(( (RANDOM * 32768 + RANDOM) % span ))
  sleep "$((delay / 1000)).$(printf %03d $((delay % 1000)))"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # What the kill left: intents to finish, temp files to sweep, files still to sign.
  n=$(sql $db "SELECT count(*) FROM publications")
  t=$(find "D/r$r" -name '.*.tmp-*' | wc -l)
  s=$(find "D/r$r" -name '*_signed.pdf' | wc -l)
  intents=$((intents + n)) temps=$((temps + t))
  if [ "$s" -eq "$FILES" ] && [ "$n" -eq 0 ]; then
    after=$((after + 1)) span=$((span * 4 / 5 + 1))
  elif [ "$s" -eq 0 ] && [ "$n" -eq 0 ] && [ "$t" -eq 0 ]; then
    before=$((before + 1)) span=$((span * 11 / 10 + 1))
  fi
  run_sohoa 0 sign -q --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS "D/r$r"
  [ "$(find "D/r$r" -name '*_signed.pdf' | wc -l)" -eq "$FILES" ] ||
    fail "round $r: the rerun did not sign everything: $(ls -A "D/r$r")"
done
echo "$ROUNDS kills in $((SECONDS - start)) s: $intents intents finished by the rerun," \
  "$temps temp files swept; $before kills before anything was written, $after after all"

# Killed the moment one of the signed files shows (a tight loop of shell builtins: microseconds),
# while another writer holds the ledger for a moment: a file that showed before its row was
# committed would be found here, every time.
intents=0
for r in $(seq $((ROUNDS + 1)) $((ROUNDS + AT_SIGHT))); do
  rm -f "$TMP/locked"
  (echo "BEGIN IMMEDIATE;"; echo "SELECT 'locked';"; sleep 0.4; echo "COMMIT;") |
    sql $db >"$TMP/locked" &
  holder=$!
  for _ in $(seq 100); do [ -s "$TMP/locked" ] && break; sleep 0.01; done
  watch=D/r$r/f$((RANDOM % FILES + 1))_signed.pdf
  sign "D/r$r" >"$TMP/killed.out" 2>&1 &
  pid=$!
  while [ ! -e "$watch" ] && kill -0 "$pid" 2>/dev/null; do :; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  wait "$holder"
  intents=$((intents + $(sql $db "SELECT count(*) FROM publications")))
  # Every signed file visible now is recorded already: the rerun may not be what records it.
  for f in D/r$r/*_signed.pdf; do
    [ -e "$f" ] || continue
    [ "$(sql $db "SELECT count(*) FROM signatures WHERE output_path = '$f'")" = 1 ] ||
      fail "round $r: $f is visible, and the ledger does not record it"
  done
  run_sohoa 0 sign -q --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS "D/r$r"
  [ "$(find "D/r$r" -name '*_signed.pdf' | wc -l)" -eq "$FILES" ] ||
    fail "round $r: the rerun did not sign everything: $(ls -A "D/r$r")"
done
echo "$AT_SIGHT kills as a signed file showed: $intents intents left open, closed by the rerun"

# ---- the state after it all ----
run_sohoa 0 audit verify
assert_eq "$(sql $db "SELECT count(*) FROM publications")" 0 "publication intents left"
leftover=$(find D -name '.*.tmp-*')
[ -z "$leftover" ] || fail "temp files left: $leftover"
# Every row's file is there with the recorded bytes.
sql -separator ' ' $db "SELECT output_sha256, output_path FROM signatures" >"$TMP/rows"
sha256sum -c --quiet <(sed 's/ /  /' "$TMP/rows") ||
  fail "a signatures row does not match its file"
# Every visible signed file is recorded, once.
find D -name '*_signed.pdf' | sort >"$TMP/visible"
cut -d' ' -f2- "$TMP/rows" | sort >"$TMP/recorded"
diff "$TMP/visible" "$TMP/recorded" >"$TMP/diff" ||
  fail "signed files and signatures rows differ: $(cat "$TMP/diff")"
total=$(((ROUNDS + AT_SIGHT + 1) * FILES))
assert_eq "$(wc -l <"$TMP/visible")" "$total" "signed files"
# One audit entry per signature.
assert_eq "$(sql $db "SELECT count(*) FROM audit WHERE action = 'document.sign'")" \
  "$total" "document.sign audit entries"
# A last run over everything: nothing left to do, nothing unknown.
run_sohoa 0 sign --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS D
assert_contains "$OUT" "Signed 0 files; $total already signed; 0 refused; 0 errors."
pass
