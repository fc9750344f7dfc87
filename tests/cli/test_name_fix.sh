#!/usr/bin/env bash
# sohoa name fix on real folder trees: the dry-run plan, --apply (exactly the planned renames,
# journal, audit entry, the rest left to a person, never over an existing name), --undo (the
# original tree back, recorded; a second undo changes nothing), and the refusals: no operator,
# no workspace.
. "$(dirname "$0")/lib.sh"

# The interpreter itself, found once: a version-manager shim in PATH costs a process tree per call.
PY=$(python3 -c 'import sys; print(sys.executable)')
python3() { "$PY" "$@"; }

nfd() { python3 -c 'import sys, unicodedata; print(unicodedata.normalize("NFD", sys.argv[1]))' "$1"; }
mkf() { for f in "$@"; do mkdir -p "$(dirname "$f")"; : >"$f"; done; }
# listing DIR: every path under DIR but the workspace state, sorted bytewise.
listing() { find "$1" -path "$1/.sohoa" -prune -o -print | LC_ALL=C sort; }
# renames JSON: "from -> to" of the "renames" array, in its order.
renames() {
  python3 -c '
import json, sys
for r in json.loads(sys.argv[1])["renames"]: print(r["from"], "->", r["to"], r["status"])' "$1"
}
# undecided JSON: "code path" of the "undecided" array, sorted.
undecided() {
  python3 -c '
import json, sys
for l in sorted(u["code"] + " " + u["path"] for u in json.loads(sys.argv[1])["undecided"]): print(l)' "$1"
}
# after_renames LISTING-FILE JSON: the listing once the renames of JSON are made, in order.
after_renames() {
  python3 -c '
import json, sys
paths = open(sys.argv[1], encoding="utf-8", errors="surrogateescape").read().splitlines()
for r in json.loads(sys.argv[2])["renames"]:
    f, t = r["from"], r["to"]
    paths = [t + p[len(f):] if p == f or p.startswith(f + "/") else p for p in paths]
sys.stdout.buffer.write("".join(p + "\n" for p in sorted(paths, key=lambda p: p.encode("utf-8", "surrogateescape"))).encode("utf-8", "surrogateescape"))' "$1" "$2"
}
sum_of() { sha256sum <"$1" | cut -d' ' -f1; }

L02="02.Ly lich dang vien.pdf"
L02_VI=$(printf '02.L\xc3\xbd l\xe1\xbb\x8bch \xc4\x91\xe1\xba\xa3ng vi\xc3\xaan.pdf')
Q05_NFD=$(nfd "$(printf '05.Quy\xe1\xba\xbft \xc4\x91\xe1\xbb\x8bnh k\xe1\xba\xbft n\xe1\xba\xa1p \xc4\x91\xe1\xba\xa3ng vi\xc3\xaan.pdf')")
Q07_VI3=$(printf '07.Quy\xe1\xba\xbft \xc4\x91\xe1\xbb\x8bnh c\xc3\xb4ng nh\xe1\xba\xadn \xc4\x91\xe1\xba\xa3ng vi\xc3\xaan ch\xc3\xadnh th\xe1\xbb\xa9c.3.pdf')
G55="55.Giay gioi thieu sinh hoat dang tam thoi"
Q07="07.Quyet dinh cong nhan dang vien chinh thuc"

new_workspace ws
ORG=ws/93.000.036.001.015
D=$ORG/001085012345_DoThiHong
E="$ORG/001085012348_Le Van E"
K="$ORG/079190012347_Pham Thi K"
H=$ORG/001085012346_HoangVanL
mkf "$D/$L02_VI" "$D/$Q05_NFD" "$D/3.Phieu dang vien.pdf" "$D/04.Phieu bo sung ho so dang vien.PDF" \
  "$D/$G55.2.pdf" "$D/$Q07.1.pdf" "$D/$Q07_VI3" "$D/06.Quyet dinh ket nap lai.docx" \
  "$D/105.Tai lieu khac.pdf" "$D/01.Ly lich cua nguoi xin vao dang.pdf" \
  "$E/$L02_VI" "ws/93.0.36.1.16/001085012349_TranVanB/3.Phieu dang vien.pdf" \
  "$ORG/079190012345_PhamThiF/03.Ly lich dang vien.pdf" \
  "$ORG/079190012346_VuVanG/$L02" "$ORG/079190012346_VuVanG/02.Ly lich dang vien.1.pdf" \
  "$ORG/079190012347_PhamThiK/$L02" "$K/$L02" "$H/$L02" "$H/$L02_VI" ws/scan-001.pdf ws/readme.txt
echo "lý lịch, bản quét 1" >"$D/$L02_VI"
echo "quyết định công nhận, lần 3" >"$D/$Q07_VI3"
echo "hồ sơ K đã có" >"$ORG/079190012347_PhamThiK/$L02"
echo "hồ sơ K mới" >"$K/$L02"
echo "bản đúng tên" >"$H/$L02"
echo "bản có dấu" >"$H/$L02_VI"
listing ws >"$TMP/before"
s_l02=$(sum_of "$D/$L02_VI") s_q07=$(sum_of "$D/$Q07_VI3") s_k_old=$(sum_of "$ORG/079190012347_PhamThiK/$L02")
s_k_new=$(sum_of "$K/$L02") s_h=$(sum_of "$H/$L02") s_h_vi=$(sum_of "$H/$L02_VI")
run_sohoa 1 --json name check ws
errors_before=$(json_get "$OUT" 'd["summary"]["errors"]')

PLANNED="$D/$L02_VI -> $D/$L02
$D/$Q05_NFD -> $D/05.Quyet dinh ket nap dang vien.pdf
$D/3.Phieu dang vien.pdf -> $D/03.Phieu dang vien.pdf
$D/04.Phieu bo sung ho so dang vien.PDF -> $D/04.Phieu bo sung ho so dang vien.pdf
$D/$G55.2.pdf -> $D/$G55.pdf
$D/$Q07_VI3 -> $D/$Q07.2.pdf
$E/$L02_VI -> $E/$L02
$E -> $ORG/001085012348_LeVanE
ws/93.0.36.1.16/001085012349_TranVanB/3.Phieu dang vien.pdf -> ws/93.0.36.1.16/001085012349_TranVanB/03.Phieu dang vien.pdf
ws/93.0.36.1.16 -> ws/93.000.036.001.016"
UNDECIDED="name.duplicate $H/$L02
name.duplicate $H/$L02_VI
name.duplicate $K
name.duplicate $ORG/079190012346_VuVanG/$L02
name.file $D/06.Quyet dinh ket nap lai.docx
name.file ws/scan-001.pdf
name.type_mismatch $ORG/079190012345_PhamThiF/03.Ly lich dang vien.pdf
name.unknown_type $D/105.Tai lieu khac.pdf"
sorted() { LC_ALL=C sort; }

# ---- the plan: the renames, the names for a person; nothing changes ----
run_sohoa 1 --json name fix ws
PLAN=$OUT
assert_eq "$(renames "$PLAN" | sed 's/ planned$//' | sorted)" "$(echo "$PLANNED" | sorted)" "planned renames"
assert_eq "$(renames "$PLAN" | grep -vc ' planned$' || true)" "0" "every rename of the plan is 'planned'"
assert_eq "$(undecided "$PLAN")" "$(echo "$UNDECIDED" | sorted)" "names for a person"
assert_eq "$(json_get "$PLAN" 'd["summary"]')" "{'renames': 10, 'done': 0, 'failed': 0, 'undecided': 8}"
assert_eq "$(json_get "$PLAN" 'd["journal"]')" "None" "no journal for a plan"
# Files are renamed while their folder still has its old name: a folder after its contents.
order=$(renames "$PLAN")
[ "$(echo "$order" | grep -n "^$E/" | cut -d: -f1)" -lt "$(echo "$order" | grep -n "^$E ->" | cut -d: -f1)" ] ||
  fail "a dossier's file must be renamed before the dossier: $order"
assert_contains "$(json_get "$PLAN" '[u["message"] for u in d["undecided"] if u["path"].endswith("Pham Thi K")][0]')" \
  "079190012347_PhamThiK, but that name is taken" "why the taken name is left"
run_sohoa 1 name fix ws
assert_contains "$OUT" "rename $D/3.Phieu dang vien.pdf
     → $D/03.Phieu dang vien.pdf" "text plan"
assert_contains "$OUT" "For a person to decide (not renamed):" "text plan"
assert_contains "$OUT" "$ORG/079190012345_PhamThiF/03.Ly lich dang vien.pdf: error name.type_mismatch" "text plan"
assert_contains "$OUT" "Plan: 10 renames, 8 names for a person to decide. Nothing was renamed" "text plan"
listing ws | diff "$TMP/before" - >&2 || fail "the plan changed the tree"
[ ! -e ws/.sohoa/journals ] || [ -z "$(ls -A ws/.sohoa/journals)" ] || fail "the plan wrote a journal"
run_sohoa 0 audit show --workspace ws
assert_not_contains "$OUT" "name.fix" "audit after a plan"

# ---- --apply: exactly the planned renames ----
run_sohoa 1 --json name fix ws --apply
APPLIED=$OUT
assert_eq "$(renames "$APPLIED" | sed 's/ done$//' | sorted)" "$(echo "$PLANNED" | sorted)" "renames done"
assert_eq "$(renames "$APPLIED" | grep -vc ' done$' || true)" "0" "every rename is 'done'"
assert_eq "$(undecided "$APPLIED")" "$(echo "$UNDECIDED" | sorted)" "names left for a person"
assert_eq "$(json_get "$APPLIED" 'd["summary"]')" "{'renames': 10, 'done': 10, 'failed': 0, 'undecided': 8}"
after_renames "$TMP/before" "$APPLIED" >"$TMP/expected"
listing ws | diff "$TMP/expected" - >&2 || fail "the tree after --apply is not the planned one"
assert_eq "$(sum_of "$D/$L02")" "$s_l02" "content of a renamed file"
assert_eq "$(sum_of "$D/$Q07.2.pdf")" "$s_q07" "content of a renumbered file"
[ -f "$ORG/001085012348_LeVanE/$L02" ] || fail "the file inside a renamed dossier"
# What a person must decide is left as it was; no name was taken over.
[ -f "$D/06.Quyet dinh ket nap lai.docx" ] && [ -f "$D/105.Tai lieu khac.pdf" ] || fail "undecided files moved"
[ -f "$ORG/079190012345_PhamThiF/03.Ly lich dang vien.pdf" ] || fail "a type mismatch was renamed"
assert_eq "$(sum_of "$ORG/079190012347_PhamThiK/$L02")" "$s_k_old" "the dossier whose name was taken"
assert_eq "$(sum_of "$K/$L02")" "$s_k_new" "the dossier not renamed onto a taken name"
assert_eq "$(sum_of "$H/$L02")" "$s_h" "the file whose name was taken"
assert_eq "$(sum_of "$H/$L02_VI")" "$s_h_vi" "the file not renamed onto a taken name"
# The journal.
J=$(json_get "$APPLIED" 'd["journal"]')
assert_eq "$(dirname "$J")" "$TMP/ws/.sohoa/journals" "journal folder"
[ -f "$J" ] || fail "no journal $J"
assert_eq "$(head -n1 "$J")" "sohoa-name-fix 1" "journal header"
assert_eq "$(grep -c "^R	$TMP/ws/" "$J")" "10" "journal lines"
grep -qF "R	$TMP/$D/3.Phieu dang vien.pdf	$TMP/$D/03.Phieu dang vien.pdf" "$J" || fail "journal line of a rename"
# The audit entry: action name.fix, the journal named; the chain intact.
run_sohoa 0 audit show --workspace ws
assert_contains "$OUT" "name.fix" "audit show"
assert_contains "$OUT" "$J" "audit show names the journal"
run_sohoa 0 --json audit show --workspace ws
assert_eq "$(json_get "$OUT" 'd["entries"][-1]["action"]')" "name.fix"
assert_eq "$(json_get "$OUT" 'd["entries"][-1]["subject"]')" "$TMP/ws" "audit subject"
assert_eq "$(json_get "$OUT" 'd["entries"][-1]["operator"]')" "Nguyễn Văn A" "audit operator"
# Its intent came first, before any rename: the journal with its SHA-256, which the end names.
SUM_J=$(sum_of "$J")
BEGIN=$(json_get "$OUT" 'd["entries"][-2]["id"]')
assert_eq "$(json_get "$OUT" 'd["entries"][-2]["action"]')" "name.fix.begin"
assert_eq "$(json_get "$OUT" 'd["entries"][-2]["subject"]')" "$J" "intent subject: the journal"
assert_eq "$(json_get "$OUT" 'json.loads(d["entries"][-2]["details"])')" \
  "{'path': '$TMP/ws', 'journal_sha256': '$SUM_J', 'renames': 10}" "intent details"
assert_eq "$(json_get "$OUT" 'json.loads(d["entries"][-1]["details"])')" \
  "{'journal': '$J', 'journal_sha256': '$SUM_J', 'begin': $BEGIN, 'renamed': 10, 'failed': 0, 'undecided': 8}" "audit details"
run_sohoa 0 audit verify --workspace ws
# Checked again: fewer errors, none about the renamed names; the undecided ones remain.
run_sohoa 1 --json name check ws
[ "$(json_get "$OUT" 'd["summary"]["errors"]')" -lt "$errors_before" ] || fail "no fewer errors after --apply"
assert_eq "$(json_get "$OUT" 'sorted(f["code"] + " " + f["path"] for f in d["findings"])')" \
  "$(python3 -c 'import sys; print(sorted(sys.argv[1:]))' "name.duplicate $H/$L02" "name.duplicate $H/$L02_VI" \
    "name.file $H/$L02_VI" "name.person $K" "name.cccd_duplicate $K" \
    "name.cccd_duplicate $ORG/079190012347_PhamThiK" "name.duplicate $ORG/079190012346_VuVanG/$L02" \
    "name.file $D/06.Quyet dinh ket nap lai.docx" "name.file ws/scan-001.pdf" "name.file ws/readme.txt" \
    "name.type_mismatch $ORG/079190012345_PhamThiF/03.Ly lich dang vien.pdf" \
    "name.unknown_type $D/105.Tai lieu khac.pdf")" "findings after --apply"
# Nothing left to plan but what a person must decide.
run_sohoa 1 name fix ws
assert_contains "$OUT" "Plan: 0 renames, 8 names for a person to decide." "plan after --apply"

# ---- --undo: the original names back, recorded; a second undo changes nothing ----
run_sohoa 0 name fix --undo "$J"
assert_contains "$OUT" "10 names given back, 0 could not be." "undo"
listing ws | diff "$TMP/before" - >&2 || fail "undo did not restore the original tree"
assert_eq "$(sum_of "$D/$L02_VI")" "$s_l02" "content after undo"
assert_eq "$(sum_of "$D/$Q07_VI3")" "$s_q07" "content after undo"
run_sohoa 0 --json audit show --workspace ws
assert_eq "$(json_get "$OUT" 'd["entries"][-1]["action"]')" "name.fix.undo"
assert_eq "$(json_get "$OUT" 'd["entries"][-1]["subject"]')" "$J" "undo subject: the journal"
assert_eq "$(json_get "$OUT" 'json.loads(d["entries"][-1]["details"])')" \
  "{'journal_sha256': '$SUM_J', 'begin': $BEGIN, 'restored': 10, 'failed': 0}"
entries=$(json_get "$OUT" 'd["count"]')
run_sohoa 0 audit show --workspace ws
assert_contains "$OUT" "name.fix.undo" "audit show"
run_sohoa 0 audit verify --workspace ws
run_sohoa 0 --json name fix --undo "$J"
assert_eq "$(renames "$OUT" | grep -vc ' already$' || true)" "0" "second undo: every name already back"
assert_eq "$(json_get "$OUT" 'd["summary"]')" "{'restored': 0, 'failed': 0}" "second undo"
listing ws | diff "$TMP/before" - >&2 || fail "a second undo changed the tree"
run_sohoa 0 --json audit show --workspace ws
assert_eq "$(json_get "$OUT" 'd["count"]')" "$entries" "a second undo records nothing"
# A relative journal path, from inside the workspace, works the same.
(cd ws && "$SOHOA" -q name fix --undo ".sohoa/journals/$(basename "$J")" >/dev/null) || fail "undo with a relative journal path"

# ---- undo never overwrites: a file made under an old name since is left alone ----
run_sohoa 1 name fix ws --apply
assert_contains "$OUT" "10 renamed, 0 not renamed, 8 names for a person to decide." "apply, text"
assert_contains "$OUT" "Journal: $TMP/ws/.sohoa/journals/" "apply, text"
assert_contains "$OUT" "sohoa name fix --undo $TMP/ws/.sohoa/journals/" "apply, text"
J2=$(echo "$OUT" | sed -n 's/^Journal: //p')
[ "$J2" != "$J" ] && [ -f "$J2" ] || fail "second journal $J2"
echo "bản quét mới" >"$D/3.Phieu dang vien.pdf"
s_new=$(sum_of "$D/3.Phieu dang vien.pdf")
run_sohoa 1 name fix --undo "$J2"
assert_contains "$OUT" "NOT renamed $TMP/$D/03.Phieu dang vien.pdf" "undo onto an existing name"
assert_contains "$OUT" "9 names given back, 1 could not be." "undo onto an existing name"
assert_eq "$(sum_of "$D/3.Phieu dang vien.pdf")" "$s_new" "the file under the old name"
[ -f "$D/03.Phieu dang vien.pdf" ] || fail "the renamed file is gone"
run_sohoa 0 audit verify --workspace ws

# ---- refusals: no operator, no workspace; usage ----
new_workspace ws2
W2=ws2/93.000.036.001.015/001085012345_DoThiHong
mkf "$W2/3.Phieu dang vien.pdf" "$W2/$L02_VI"
sed -i 's/^operator = .*/operator =/' ws2/sohoa.ini
listing ws2 >"$TMP/before2"
run_sohoa 2 name fix ws2 --apply
assert_contains "$ERR" "--operator" "apply without an operator"
listing ws2 | diff "$TMP/before2" - >&2 || fail "apply without an operator renamed"
[ ! -e ws2/.sohoa/journals ] || [ -z "$(ls -A ws2/.sohoa/journals)" ] || fail "journal without an operator"
run_sohoa 0 audit show --workspace ws2
assert_not_contains "$OUT" "name.fix" "audit without an operator"
# The dry run needs no operator; --operator makes --apply work (exit 0: nothing undecided).
run_sohoa 0 name fix ws2
assert_contains "$OUT" "Plan: 2 renames, 0 names for a person to decide." "plan without an operator"
run_sohoa 0 name fix ws2 --apply --operator "Lê Văn C"
assert_contains "$OUT" "2 renamed, 0 not renamed, 0 names for a person to decide." "apply with --operator"
[ -f "$W2/03.Phieu dang vien.pdf" ] && [ -f "$W2/$L02" ] || fail "apply with --operator"
run_sohoa 0 --json audit show --workspace ws2
assert_eq "$(json_get "$OUT" 'd["entries"][-1]["action"], d["entries"][-1]["operator"]')" "('name.fix', 'Lê Văn C')"
J3=$(ls ws2/.sohoa/journals/*)
run_sohoa 2 name fix --undo "$J3"
assert_contains "$ERR" "--operator" "undo without an operator"
[ -f "$W2/03.Phieu dang vien.pdf" ] || fail "undo without an operator renamed"
run_sohoa 0 --operator "Lê Văn C" name fix --undo "$J3"
listing ws2 | diff "$TMP/before2" - >&2 || fail "undo with --operator"

# Outside any workspace: the plan works, --apply is refused and renames nothing.
P=plain/93.000.036.001.015/001085012345_DoThiHong
mkf "$P/3.Phieu dang vien.pdf"
listing plain >"$TMP/before3"
run_sohoa 0 name fix plain
assert_contains "$OUT" "rename $P/3.Phieu dang vien.pdf" "plan outside a workspace"
run_sohoa 2 name fix plain --apply
assert_contains "$ERR" "no sohoa workspace" "apply outside a workspace"
run_sohoa 2 --operator "Lê Văn C" name fix plain --apply
listing plain | diff "$TMP/before3" - >&2 || fail "apply outside a workspace renamed"
# Usage.
run_sohoa 2 name fix
run_sohoa 2 name fix ws ws2
run_sohoa 2 name fix --undo "$J" --apply
run_sohoa 2 name fix ws --undo "$J"
run_sohoa 3 name fix --undo "$TMP/no-such-journal.txt" --workspace ws

# ---- renumbering a run of SoThuTu whose new numbers are old ones: 55.X.2.pdf and 55.X.3.pdf
# become 55.X.1.pdf and 55.X.2.pdf, renamed in that order (regression: the second was once left
# to a person as "that name is taken"). ----
new_workspace ws3
S3=ws3/93.000.036.001.015/001085012345_DoThiHong
mkf "$S3/$G55.2.pdf" "$S3/$G55.3.pdf"
got=0
"$SOHOA" --json name fix ws3 --apply >"$TMP/renumber.json" 2>"$TMP/renumber.err" || got=$?
assert_eq "$(undecided "$(cat "$TMP/renumber.json")")" "" "55.X.2.pdf, 55.X.3.pdf renumbered to 1, 2: left to a person"
assert_eq "$got" "0" "exit status of the renumbering"
assert_eq "$(cd "$S3" && ls)" "$G55.1.pdf
$G55.2.pdf" "the renumbered files"
pass
