#!/usr/bin/env bash
# -q and -v on every command (issue 13, point 8). -q: errors, and what the command exists to
# print (a list, a name, a plan, JSON); never notes, warnings, counts, or a progress bar. -v:
# "debug:" lines on stderr saying what was used (the command, the workspace, the configuration,
# the ledger, the operator…). And the progress bar on a terminal (a pseudo-terminal here): no
# result line ever runs into it, its percentage never goes back, -q hides it.
. "$(dirname "$0")/lib.sh"
need_tool openssl
python3() { "$PY" "$@"; } # the interpreter itself: a version-manager shim costs a second a call

ORG=93.000.036.001.015
S=$TMP/src
scans "$S/good" --format tiff-g4 --size A5 --dpi 200 --pages 2 --seed 11
scans "$S/good3" --format jpeg --size A5 --dpi 200 --pages 1 --seed 12
scans "$S/other" --format tiff-g4 --size A5 --dpi 200 --pages 1 --seed 17
echo x >"$S/good/Thumbs.db" # a note on every folder ingest

quiet() { # STATUS ARGS...: -q; stderr must be empty (no note, warning, count or bar)
  local want=$1
  shift
  run_sohoa "$want" -q "$@"
  assert_eq "$ERR" "" "stderr of sohoa -q $*"
}
verbose() { # STATUS ARGS...: -v; stderr holds the debug lines, and the command's name
  local want=$1
  shift
  run_sohoa "$want" -v "$@"
  assert_contains "$ERR" "debug: sohoa " "sohoa -v $*"
}

# ---- init ----
quiet 0 init wq --station T-01 --operator "Nguyễn Văn A"
assert_eq "$OUT" "" "init -q"
verbose 0 init ws --station T-01 --operator "Nguyễn Văn A"
assert_contains "$ERR" "debug: sohoa 0." "init -v: the version"
assert_contains "$ERR" "Created workspace" "init -v keeps the notes"
cd ws
W=$PWD

# ---- audit ----
quiet 0 audit note "Nhận 2 hồ sơ"
assert_eq "$OUT" ""
verbose 0 audit note "Nhận 3 hồ sơ"
assert_contains "$ERR" "debug: workspace $W, configuration $W/sohoa.ini, ledger $W/.sohoa/ledger.db"
assert_contains "$ERR" "debug: operator Nguyễn Văn A, station T-01"
assert_contains "$ERR" "Recorded audit entry"
quiet 0 audit verify
assert_eq "$OUT" "" "audit verify -q: the exit status says it"
verbose 0 audit verify
assert_contains "$OUT" "Audit chain intact"
quiet 0 audit show
assert_contains "$OUT" "audit.note" "audit show -q: the entries are the result"
verbose 0 audit show
assert_contains "$ERR" "debug: workspace $W"
quiet 0 audit export "$TMP/a.jsonl"
[ -s "$TMP/a.jsonl" ] || fail "audit export -q wrote nothing"
verbose 0 audit export "$TMP/b.jsonl"
assert_contains "$ERR" "Exported"

# ---- catalog, name suggest, name folder ----
quiet 0 catalog --priority 1
assert_eq "$(echo "$OUT" | wc -l)" 36 "catalog -q: the list is the result"
verbose 0 catalog --priority 1
quiet 0 name suggest "ly lich dang vien"
assert_eq "$OUT" "02.Ly lich dang vien.pdf" "name suggest -q"
verbose 0 name suggest "ly lich dang vien"
quiet 0 name folder --org "$ORG" --cccd 012345678901 --name "Nguyễn Văn A" # CCCD: a warning
assert_eq "$OUT" "$ORG/012345678901_NguyenVanA" "name folder -q"
verbose 0 name folder --org "$ORG" --cccd 012345678901 --name "Nguyễn Văn A"
assert_contains "$ERR" "warning name.cccd" "name folder -v keeps the warning"

# ---- ingest ----
quiet 0 ingest --org "$ORG" --cccd 001085012345 --name "Nguyễn Văn An" --type 2 "$S/good"
assert_eq "$OUT" "" "ingest -q"
verbose 0 ingest --org "$ORG" --cccd 001085012345 --name "Nguyễn Văn An" --type 3 "$S/good3"
assert_contains "$OUT" "wrote $ORG/001085012345_NguyenVanAn/03.Phieu dang vien.pdf"
assert_contains "$ERR" "debug: $S/good3: 1 page files"
quiet 0 ingest --org "$ORG" --cccd 001090054321 --name "Trần Thị Bình" --type 2 "$S/other"
A="$ORG/001085012345_NguyenVanAn"
B="$ORG/001090054321_TranThiBinh" # 03 missing: dossier.missing_priority1

# ---- name check, name fix ----
echo x >readme.txt # a warning: not part of any dossier
mkdir -p "$ORG/001085099999_LeVanC" && : >"$ORG/001085099999_LeVanC/3.Phieu dang vien.pdf"
quiet 1 name check .
assert_contains "$OUT" "error name.file" "name check -q: the errors"
assert_not_contains "$OUT" "warning" "name check -q: no warnings"
assert_not_contains "$OUT" "Checked:" "name check -q: no counts"
verbose 1 name check .
assert_contains "$OUT" "warning name.file"
assert_contains "$ERR" "debug: .: the naming rules of the workspace $W"
assert_contains "$ERR" "debug: .: 1 organisation folders, 3 dossiers, 4 files looked at"
quiet 0 name fix .
assert_contains "$OUT" "rename ./$ORG/001085099999_LeVanC/3.Phieu dang vien.pdf" "name fix -q: the plan"
assert_not_contains "$OUT" "Plan:" "name fix -q: no counts"
quiet 0 name fix . --apply
assert_not_contains "$OUT" "renamed" "name fix --apply -q: the journal holds the renames"
verbose 0 name fix .
assert_contains "$OUT" "Plan: 0 renames"
rm -r readme.txt "$ORG/001085099999_LeVanC"

# ---- validate ----
quiet 1 validate .
assert_contains "$OUT" "./$B/ — FAILED" "validate -q: what failed"
assert_contains "$OUT" "error dossier.missing_priority1"
assert_not_contains "$OUT" "priority-1 documents present" "validate -q"
assert_not_contains "$OUT" "Checked " "validate -q: no counts"
assert_not_contains "$OUT" "$A" "validate -q: nothing about what passed"
verbose 1 validate .
assert_contains "$OUT" "./$A/02.Ly lich dang vien.pdf (2 pages) — passed" "validate -v lists what passed"
assert_contains "$ERR" "debug: .: workspace $W"
assert_contains "$OUT" "Checked 3 files"

# ---- verify (an unsigned file: NOT OK) ----
quiet 1 verify "$A/02.Ly lich dang vien.pdf"
assert_contains "$OUT" "NOT OK" "verify -q: what is not OK"
assert_not_contains "$OUT" "0 of 1 file" "verify -q: no counts"
verbose 1 verify "$A/02.Ly lich dang vien.pdf"
assert_contains "$ERR" "debug: trust anchors: the system's certificate store"

# ---- sign (a self-signed test key; only the dossier that passed is signed) ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=Test/O=Sohoa" \
  -keyout "$TMP/k.pem" -out "$TMP/c.pem" 2>/dev/null
openssl pkcs12 -export -inkey "$TMP/k.pem" -in "$TMP/c.pem" -passout pass:p -out "$TMP/k.p12"
export P12PASS=p
quiet 0 sign --pkcs12 "$TMP/k.p12" --pin-env P12PASS "$A"
[ -f "$A/02.Ly lich dang vien_signed.pdf" ] || fail "sign -q did not sign"
verbose 0 sign --pkcs12 "$TMP/k.p12" --pin-env P12PASS "$A"
assert_contains "$ERR" "debug: operator Nguyễn Văn A, station T-01"

# ---- the progress bar on a terminal ----
# Both streams on one pseudo-terminal, as an operator sees them. More dossiers, so that results
# are printed while the bar is on the screen.
for i in 1 2 3 4; do
  cp -r "$B" "$ORG/00109005433${i}_TranThiBinh"
done
cat >"$TMP/onterm.py" <<'EOF'
import fcntl, os, pty, struct, subprocess, sys, termios
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
os.close(slave)
out = b""
while True:
    try:
        data = os.read(master, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
sys.stdout.buffer.write(out.replace(b"\r\n", b"\n"))
sys.exit(p.wait())
EOF
cat >"$TMP/bar.py" <<'EOF'
# What the terminal shows: each line is what follows its last carriage return.
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
frame = re.compile(r"^Checking pages \[[#.]+\] +(\d+)% (\d+)/(\d+)$")
shown, results, percents = [], 0, [int(m) for m in re.findall(r"\] +(\d+)% \d+/\d+", text)]
for line in text.split("\n"):
    visible = line.rsplit("\r", 1)[-1]
    if "Checking pages" in visible and not frame.match(visible):
        sys.exit("a line runs into the bar: %r" % visible)
    if "Checking pages" in line and not frame.match(visible):
        sys.exit("a frame is left under a line: %r" % line)
    results += "— FAILED" in visible or visible.startswith("Checked ")
if not percents or percents != sorted(percents):
    sys.exit("the percentage went back: %s" % percents)
if percents[-1] != 100:
    sys.exit("the bar did not end at 100%%: %s" % percents)
print(results, len(percents))
EOF
got=0
"$PY" "$TMP/onterm.py" "$SOHOA" validate --jobs 1 . >"$TMP/tty.txt" || got=$?
assert_eq "$got" 1 "validate on a terminal"
grep -q "Checking pages \[" "$TMP/tty.txt" || fail "no progress bar on a terminal: $(cat "$TMP/tty.txt")"
grep -q $'\r' "$TMP/tty.txt" || fail "the bar is not redrawn in place"
counts=$("$PY" "$TMP/bar.py" "$TMP/tty.txt") || fail "$counts: $(cat -A "$TMP/tty.txt" | head -40)"
[ "${counts%% *}" -ge 6 ] || fail "too few result lines to judge the bar: $counts"
got=0
"$PY" "$TMP/onterm.py" "$SOHOA" -q validate --jobs 1 . >"$TMP/tty-q.txt" || got=$?
assert_eq "$got" 1 "validate -q on a terminal"
assert_not_contains "$(cat "$TMP/tty-q.txt")" "Checking pages" "-q on a terminal: no bar"
assert_contains "$(cat "$TMP/tty-q.txt")" "error dossier.missing_priority1" "-q on a terminal"
pass
