#!/usr/bin/env bash
# Nothing written escapes the ledger, kill -9 at any moment (issue 13, point 2): ingest (one
# document, and a batch sheet) and "name fix --apply" are killed at random moments of their run,
# KILLS times each (10 in CI, 30 with SOHOA_KILL_POINTS=all), and every kill is followed by a
# rerun of the same command. After each rerun:
#   - sohoa audit verify exits 0;
#   - every documents row matches its file's SHA-256, and has its document.ingest entry;
#   - every visible PDF is in the ledger; no duplicate (.1, .2 …) was made; no intent is left;
#   - no temp file (.NAME.tmp-XXXXXX) and no rename parked halfway (.NAME.sohoa-rename) is left;
#   - the rerun exited 0;
#   - name fix: every file is under its right name with its own bytes, every rename is in a
#     journal whose intent (name.fix.begin, with the journal's SHA-256) is in the audit chain, and
#     every intent is closed (name.fix, or name.fix.interrupted for the killed run); no journal
#     of no recorded run.
# What state each kill left (nothing, a temp file, an intent recorded but not yet put in place,
# put in place, done …) is counted and printed: the kills land in every window.
. "$(dirname "$0")/lib.sh"

KILLS=${KILLS:-$(kill_rounds 10 30)}
ORG=93.000.036.001.015
export SOURCE_DATE_EPOCH=1796000000
scans "$TMP/src" --format tiff-g4 --size A5 --dpi 300 --pages 3 --seed 41
scans "$TMP/src2" --format tiff-g4 --size A5 --dpi 300 --pages 2 --seed 42
new_workspace ws
cd ws

# The checks run in one Python process fed by lines (a process per check would cost more than
# the runs themselves): "state PATH…", "check", "fixstate DOSSIER", "fixcheck DOSSIER".
cat >"$TMP/check.py" <<'PYTHON'
import hashlib, json, os, re, sqlite3, sys
ws = sys.argv[1]
def sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()
def walk():
    files, temps, parked = [], [], []
    for d, dirs, names in os.walk(ws):
        for n in names:
            rel = os.path.relpath(os.path.join(d, n), ws)
            if re.match(r"^\..*\.tmp-......$", n):
                temps.append(rel)
            elif n.endswith(".sohoa-rename"):
                parked.append(rel)
            elif n.lower().endswith(".pdf") and not rel.startswith(".sohoa") and \
                    not re.search(r"_PhamVanDung/", rel):  # name fix's
                files.append(rel)
    return files, temps, parked
def state(db, want):
    """What the killed run left for its document(s)."""
    files, temps, parked = walk()
    docs = dict(db.execute("SELECT path, sha256 FROM documents"))
    pubs = [p for (p,) in db.execute("SELECT path FROM publications") if p in want]
    if [p for p in pubs if not os.path.exists(os.path.join(ws, p))]:
        return ["intent recorded, not in place"]
    if pubs:
        return ["in place, intent open"]
    if all(p in docs for p in want):
        return ["done"]
    if temps:
        return ["temp file only"]
    return ["partly done" if any(p in docs for p in want) else "nothing"]
def check(db):
    files, temps, parked = walk()
    docs = dict(db.execute("SELECT path, sha256 FROM documents"))
    bad = []
    for p, s in docs.items():
        full = os.path.join(ws, p)
        if not os.path.exists(full):
            bad.append("recorded, not on disk: " + p)
        elif sha(full) != s:
            bad.append("recorded with other bytes: " + p)
    for (p,) in db.execute(
            "SELECT d.path FROM documents d LEFT JOIN audit a ON a.id = d.audit_id AND "
            "a.action = 'document.ingest' AND a.subject = d.path WHERE a.id IS NULL"):
        bad.append("no audit entry: " + p)
    for f in files:
        if f not in docs:
            bad.append("on disk, not in the ledger: " + f)
        if re.search(r"\.[0-9]+\.pdf$", f):
            bad.append("a duplicate: " + f)
    bad += ["temp file left: " + t for t in temps] + ["parked halfway: " + p for p in parked]
    bad += ["intent left: " + p for (p,) in db.execute("SELECT path FROM publications")]
    return bad
def fix_entries(db):
    begins, ends = {}, set()
    for i, action, subject, details in db.execute(
            "SELECT id, action, subject, details FROM audit WHERE action LIKE 'name.fix%'"):
        d = json.loads(details)
        if action == "name.fix.begin":
            begins[i] = (subject, d.get("journal_sha256"))
        elif "begin" in d:
            ends.add(d["begin"])
    return begins, ends
def fixstate(db, dossier):
    begins, ends = fix_entries(db)
    fixed = len([n for n in os.listdir(dossier) if re.match(r"^[0-9]{2}\..*\.pdf$", n)])
    if set(begins) <= ends:
        return ["done" if fixed else "nothing"]
    if fixed == 0:
        return ["intent recorded, nothing renamed"]
    return ["all renamed, end not recorded" if fixed == 40 else "intent recorded, renamed halfway"]
def fixcheck(db, dossier):
    """Every file under its right name with its own bytes; every rename in a journal whose
    intent is in the audit chain; every intent closed; nothing else in the journals."""
    begins, ends = fix_entries(db)
    bad = ["intent %d never closed" % i for i in begins if i not in ends]
    announced = set()
    for i, (journal, sum_) in begins.items():
        if not os.path.exists(journal):
            continue
        data = open(journal, "rb").read()
        if hashlib.sha256(data).hexdigest() != sum_:
            bad.append("journal %s differs from its intent" % journal)
        for line in data.decode().splitlines()[1:]:
            _, frm, to = line.split("\t")
            announced.add((frm, to))
    names = os.listdir(dossier)
    for n in names:
        p = os.path.join(dossier, n)
        was = open(p).read().strip()[4:]
        if not re.match(r"^[0-9]{2}\..*\.pdf$", n):
            bad.append("still misnamed: " + n)
        if was != n and (os.path.join(dossier, was), p) not in announced:
            bad.append("renamed without an announced intent: %s -> %s" % (was, n))
    if len(names) != 40:
        bad.append("%d files, 40 expected" % len(names))
    journals = os.path.join(ws, ".sohoa", "journals")
    for n in os.listdir(journals) if os.path.isdir(journals) else []:
        if n.startswith("."):
            bad.append("left in the journals: " + n)
        elif os.path.join(journals, n) not in [j for j, _ in begins.values()]:
            bad.append("a journal of no recorded run: " + n)
    return bad
for line in sys.stdin:
    what, *args = line.rstrip("\n").split("\t")
    db = sqlite3.connect("file:%s/.sohoa/ledger.db?mode=ro" % ws, uri=True)
    out = {"state": lambda: state(db, args), "check": lambda: check(db),
           "fixstate": lambda: fixstate(db, args[0]),
           "fixcheck": lambda: fixcheck(db, args[0])}[what]()
    db.close()
    print("\n".join(out + ["END"]), flush=True)
PYTHON
coproc CHECKER { "$PY" -u "$TMP/check.py" "$TMP/ws"; }
# ask WHAT ARGS…: the checker's answer (its lines) in $ANSWER.
ask() {
  local IFS=$'\t' line
  echo "$*" >&"${CHECKER[1]}"
  ANSWER=
  while IFS= read -r line <&"${CHECKER[0]}"; do
    [ "$line" = END ] && break
    ANSWER+="${ANSWER:+$'\n'}$line"
  done
}
checks() { # WHAT
  ask check
  [ -z "$ANSWER" ] || fail "$1: $ANSWER"
  "$SOHOA" -q audit verify >/dev/null || fail "$1: audit verify: $("$SOHOA" audit verify 2>&1)"
}
# killed_run SECONDS ARGS...: sohoa ARGS killed with SIGKILL after SECONDS (if still running).
killed_run() {
  local delay=$1
  shift
  "$SOHOA" -q "$@" >/dev/null 2>&1 &
  local pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
# rerun WHAT ARGS...: the same command again, which must succeed.
rerun() {
  local what=$1
  shift
  "$SOHOA" "$@" >"$TMP/.out" 2>"$TMP/.err" || fail "$what: the rerun exited $?: $(cat "$TMP/.err")"
}
now_us() { echo "${EPOCHREALTIME/./}"; }
# The run's time in µs, measured on a run that is not killed.
timed() {
  local t0
  t0=$(now_us)
  "$SOHOA" -q "$@" >/dev/null 2>"$TMP/.err" || fail "the run to measure failed: sohoa $*: $(cat "$TMP/.err")"
  echo $(($(now_us) - t0))
}
# A delay uniform in [0, 0.9 × µs], in seconds (a run killed after its end tells nothing).
delay() {
  local us=$(((RANDOM * 32768 + RANDOM) % ($1 * 9 / 10 + 1)))
  printf '%d.%06d' $((us / 1000000)) $((us % 1000000))
}
declare -A states
tally() { states["$1: $2"]=$((${states["$1: $2"]:-0} + 1)); }
start=$SECONDS

# ---- one document ----
cccd() { printf '0010850%05d' "$1"; }
T=$(timed ingest --org "$ORG" --cccd "$(cccd 99999)" --name "Nguyễn Văn An" --type 2 "$TMP/src")
for i in $(seq 1 "$KILLS"); do
  P="$ORG/$(cccd "$i")_NguyenVanAn/02.Ly lich dang vien.pdf"
  args=(ingest --org "$ORG" --cccd "$(cccd "$i")" --name "Nguyễn Văn An" --type 2 "$TMP/src")
  killed_run "$(delay "$T")" "${args[@]}"
  ask state "$P"
  tally ingest "$ANSWER"
  rerun "ingest, kill $i" "${args[@]}"
  checks "ingest, kill $i"
  [ -f "$P" ] || fail "ingest, kill $i: no document after the rerun"
done

# ---- a batch sheet: three documents of two dossiers ----
sheet() { # N: the sheet of round N
  printf 'org,cccd,name,type,files\n'
  printf '%s,%s,Trần Thị Bình,2,%s\n' "$ORG" "$(printf '0011900%05d' "$1")" "$TMP/src"
  printf '%s,%s,Trần Thị Bình,3,%s\n' "$ORG" "$(printf '0011900%05d' "$1")" "$TMP/src2"
  printf '%s,%s,Lê Văn Cường,2,%s\n' "$ORG" "$(printf '0010910%05d' "$1")" "$TMP/src2"
}
sheet 99999 >"$TMP/measure.csv"
T=$(timed ingest --manifest "$TMP/measure.csv")
for i in $(seq 1 "$KILLS"); do
  sheet "$i" >"$TMP/lo-$i.csv"
  b="$ORG/$(printf '0011900%05d' "$i")_TranThiBinh" c="$ORG/$(printf '0010910%05d' "$i")_LeVanCuong"
  killed_run "$(delay "$T")" ingest --manifest "$TMP/lo-$i.csv"
  ask state "$b/02.Ly lich dang vien.pdf" "$b/03.Phieu dang vien.pdf" "$c/02.Ly lich dang vien.pdf"
  tally batch "$ANSWER"
  rerun "batch, kill $i" ingest --manifest "$TMP/lo-$i.csv"
  checks "batch, kill $i"
  [ -f "$b/02.Ly lich dang vien.pdf" ] && [ -f "$b/03.Phieu dang vien.pdf" ] &&
    [ -f "$c/02.Ly lich dang vien.pdf" ] || fail "batch, kill $i: documents missing after the rerun"
done

# ---- name fix --apply ----
# Each round a dossier of 40 files with near-miss names: "2.Ly lich dang vien.pdf" (→ 02.…),
# "12.Title.PDF" (→ .pdf); each file's bytes say which file it was.
TITLES=$("$SOHOA" --json catalog | "$PY" -c 'import json,sys; print("\n".join(t["name"] for t in json.load(sys.stdin)["types"][:40]))')
messy() { # DIR
  mkdir -p "$1"
  local stt=0 title name
  while IFS= read -r title; do
    stt=$((stt + 1))
    if [ "$stt" -lt 10 ]; then name="$stt.$title.pdf"; else name="$stt.$title.PDF"; fi
    echo "was $name" >"$1/$name"
  done <<<"$TITLES"
}
D="$TMP/ws/$ORG/001092099999_PhamVanDung"
messy "$D"
T=$(timed name fix "$D" --apply)
for i in $(seq 1 "$KILLS"); do
  D="$TMP/ws/$ORG/$(printf '0010920%05d' "$i")_PhamVanDung"
  messy "$D"
  killed_run "$(delay "$T")" name fix "$D" --apply
  ask fixstate "$D"
  tally "name fix" "$ANSWER"
  rerun "name fix, kill $i" name fix "$D" --apply
  ask fixcheck "$D"
  [ -z "$ANSWER" ] || fail "name fix, kill $i: $ANSWER"
  "$SOHOA" -q name check "$D" >/dev/null || fail "name fix, kill $i: name check after the rerun"
  checks "name fix, kill $i"
done

echo "$KILLS kills each, $((SECONDS - start)) s; what the kills left:"
for k in "${!states[@]}"; do echo "  $k: ${states[$k]}"; done | LC_ALL=C sort
# The bound: 3 s a kill (90 s for 30); three times that for a sanitizer build (every process
# starts slower).
bound=$((3 * KILLS))
grep -q __asan_init "$SOHOA" && bound=$((9 * KILLS))
[ $((SECONDS - start)) -lt "$bound" ] || fail "the campaign took $((SECONDS - start)) s (at most $bound)"
pass
