#!/usr/bin/env bash
# sohoa pack judged from outside: each package opens with openssl cms alone for each --to
# receiver (RSA and EC), is a stored ZIP in the documented entry order (unzip, zipinfo), holds a
# valid BagIt bag (tests/bagit_check.py) whose tag manifest's signature openssl verifies (key
# file, and key on a SoftHSM2 token), the signed files byte for byte (cmp, pdfsig) and a
# package.json that agrees with the ledger; the ledger and the audit log record each package;
# nothing unencrypted reaches the disk (strace: the files it creates). Dossiers not ready
# (unsigned, failed, signed copy changed or missing, active content) are held back with the
# reason; a rerun packs nothing; a changed dossier goes into a package that corrects the earlier
# one; --max-volume splits at dossier boundaries; bad input is refused before anything is
# written; names reach package.json in NFC; --out is judged by where it really is (symbolic
# links); two runs at once put each dossier in one package.
. "$(dirname "$0")/lib.sh"
need_tool openssl unzip zipinfo pdfsig sqlite3 python3 sha256sum strace
. "$SOHOA_SOURCE/tests/pack_fixture.sh"

O1=93.000.036.001.015
O2=93.000.036.001.016
O3=93.000.036.001.017
J=$TMP/judge # decrypted volumes and extracted bags: the judges' scratch, outside the workspace
mkdir -p "$J"
# Three dossiers over two organisations, and a fourth whose name is typed decomposed (NFD).
pfx_workspace ws 3 "$O1" "$O2"
WS=$PWD
NAME_NFD=$("$PY" -c 'import unicodedata, sys; print(unicodedata.normalize("NFD", sys.argv[1]))' "Phạm Thị Hoà")
pfx_next_cccd
pfx_dossier "$O2" "$PFX_CCCD" "$NAME_NFD"
PFX_DOSSIERS+=("$PFX_LAST")
pfx_sign "$PFX_LAST"
D1=${PFX_DOSSIERS[0]} # O1
db=.sohoa/ledger.db
sql() { sqlite3 -cmd ".timeout 10000" "$db" "$@"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
RSA=$PFX/other-rsa.pem
EC=$PFX/org-ec.pem
SIGNER=$PFX/org-rsa.pem # the certificate package.json's signer_cert_sha256 names
# jv JSON EXPR...: the expressions on the parsed document d, one python for all, in JV[0], JV[1]…
jv() {
  mapfile -t JV < <("$PY" -c 'import json, sys
d = json.loads(sys.argv[1])
for e in sys.argv[2:]:
    print(eval(e))' "$@") || fail "jv: $*"
  [ ${#JV[@]} = $(($# - 1)) ] || fail "jv: ${JV[*]}"
}
no_packages() { # WHAT: nothing was written or recorded
  [ -z "$(find "$WS/packages" -type f 2>/dev/null)" ] || fail "$1: files under packages/: $(find "$WS/packages" -type f)"
  assert_eq "$(sql "SELECT count(*) FROM packages") $(sql "SELECT count(*) FROM package_volumes")" "0 0" "$1: package rows"
}

# ---- bad input: refused before anything is written ----
run_sohoa 2 pack --to "$RSA" --pkcs12 "$PFX/org-rsa.p12" --pin-env P12PASS
assert_contains "$ERR" "--basis"
pfx_pack 3 --to "$WS/sohoa.ini"
assert_contains "$ERR" "$WS/sohoa.ini" "not a certificate"
openssl req -x509 -newkey rsa:1024 -nodes -keyout "$TMP/weak.key" -out "$TMP/weak.pem" -days 2 \
  -subj "/CN=weak" 2>/dev/null
pfx_pack 3 --to "$TMP/weak.pem"
assert_contains "$ERR" "weak.pem" "an RSA-1024 receiver"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -keyout "$TMP/p384.key" \
  -out "$TMP/p384.pem" -days 2 -subj "/CN=p384" 2>/dev/null
pfx_pack 3 --to "$TMP/p384.pem"
assert_contains "$ERR" "p384.pem" "an EC P-384 receiver"
pfx_pack 2 --out "$TMP/elsewhere"
assert_contains "$ERR" "outside the workspace"
[ ! -e "$TMP/elsewhere" ] || fail "--out outside the workspace: $TMP/elsewhere was made"
pfx_pack 2 --max-volume 12Q
export BADPASS=not-the-passphrase
run_sohoa 3 pack --to "$RSA" --basis "$PFX_BASIS" --pkcs12 "$PFX/org-rsa.p12" --pin-env BADPASS
assert_contains "$ERR" "org-rsa.p12" "wrong passphrase"
assert_not_contains "$ERR$OUT" "not-the-passphrase" "messages"
no_packages "after the refusals"
assert_eq "$(sql "SELECT count(*) FROM audit WHERE action LIKE 'package.%'")" 0 "audit entries after the refusals"

# ---- the first run: one package per organisation, for two receivers ----
# Under strace: every file it creates is named; a temp folder of its own catches any scratch file.
mkdir "$TMP/tmpdir"
got=0
# (LeakSanitizer cannot run under ptrace: in the sanitizer build, leaks are checked by the other runs)
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" TMPDIR=$TMP/tmpdir strace -f -qq -o "$TMP/created" -e trace=open,openat,openat2,creat,rename,renameat,renameat2,link,linkat \
  "$SOHOA" --json pack --to "$RSA" --to "$EC" --basis "$PFX_BASIS" --pkcs12 "$PFX/org-rsa.p12" \
  --pin-env P12PASS >"$TMP/.out" 2>"$TMP/.err" || got=$?
FIRST=$(cat "$TMP/.out")
[ "$got" = 0 ] || fail "the first pack exited $got: $FIRST $(cat "$TMP/.err")"
# files created: the ledger's, the lock that keeps two packs apart, and the volumes' hidden temp
# files (renamed into place)
made=$(grep -E 'O_CREAT|creat\(' "$TMP/created" | grep -v ' = -1 ' | grep -oE '"[^"]*"' | tr -d '"' |
  grep -vE '/\.sohoa/(ledger\.db(-wal|-shm|-journal)?|pack\.lock)$' | grep -vE "^$WS/packages/$O1/\.[0-9A-Z]{26}\.zip\.p7m\.tmp-[A-Za-z0-9]{6}\$" |
  grep -vE "^$WS/packages/$O2/\.[0-9A-Z]{26}\.zip\.p7m\.tmp-[A-Za-z0-9]{6}\$" || true)
[ -z "$made" ] || fail "pack created other files than its volumes' temp files: $made"
[ -z "$(ls -A "$TMP/tmpdir")" ] || fail "pack left files in TMPDIR: $(ls -A "$TMP/tmpdir")"
# No plaintext: no ZIP anywhere in the workspace or the scratch folder, no temp file left.
[ -z "$(find "$WS" "$TMP" -path "$J" -prune -o -name '*.zip' -print)" ] ||
  fail "a plaintext ZIP is on the disk: $(find "$WS" "$TMP" -path "$J" -prune -o -name '*.zip' -print)"
[ -z "$(find "$WS/packages" -name '.*')" ] || fail "temp files left: $(find "$WS/packages" -name '.*')"
"$PY" - "$FIRST" "$WS" "$O1" "$O2" <<'EOF' || fail "--json of the first run: $FIRST"
import json, sys
d = json.loads(sys.argv[1]); ws = sys.argv[2]
assert set(d) >= {"packages", "held_back"}, d.keys()
assert d["held_back"] == [], d["held_back"]
keys = {"id", "org", "volume", "volumes", "path", "bytes", "sha256", "dossiers", "documents"}
assert [p["org"] for p in d["packages"]] == sys.argv[3:5], d["packages"]
for p in d["packages"]:
    assert set(p) >= keys, set(p) ^ keys
    assert len(p["id"]) == 26 and p["volume"] == 1 and p["volumes"] == 1, p
    assert p["path"] == f'{ws}/packages/{p["org"]}/{p["id"]}.zip.p7m', p["path"]
    assert p["dossiers"] == 2 and p["documents"] == 4, p
EOF
for o in "$O1" "$O2"; do
  assert_eq "$(find "$WS/packages/$o" -type f | wc -l)" 1 "files under packages/$o"
done
jv "$FIRST" "d['packages'][0]['id']" "d['packages'][0]['path']" "d['packages'][1]['path']" \
  "d['packages'][0]['bytes']" "d['packages'][0]['sha256']" "d['packages'][1]['bytes']" "d['packages'][1]['sha256']"
P1=${JV[0]} V1=${JV[1]} V2=${JV[2]}
assert_eq "${JV[3]} ${JV[4]}" "$(stat -c %s "$V1") $(sha "$V1")" "--json's bytes and sha256 of $V1"
assert_eq "${JV[5]} ${JV[6]}" "$(stat -c %s "$V2") $(sha "$V2")" "--json's bytes and sha256 of $V2"

# ---- nothing in clear in the package files ----
for v in "$V1" "$V2"; do
  for word in %PDF bagit.txt BagIt-Version package.json Sohoa-Basis "$O1" "$O2" NguyenVanAn; do
    ! grep -aqF -- "$word" "$v" || fail "$v holds \"$word\" in clear"
  done
done

# two recipients: RSAES-OAEP (1.2.840.113549.1.1.7) and ECDH with the SHA-256 KDF
# (1.3.132.1.11.1), the key wrapped with id-aes256-wrap (2.16.840.1.101.3.4.1.45)
head=$(od -An -tx1 -N8192 "$V1" | tr -d ' \n')
for oid in 06092a864886f70d010107 06062b8104010b01 060960864801650304012d; do
  assert_contains "$head" "$oid" "the recipients of $V1"
done

# ---- the ledger and the audit log ----
assert_eq "$(sql "SELECT count(*) FROM packages")" 2 "packages rows"
assert_eq "$(sql "SELECT count(*) FROM package_volumes")" 2 "package_volumes rows"
assert_eq "$(sql "SELECT count(*) FROM package_documents")" 8 "package_documents rows"
assert_eq "$(sql "SELECT count(*) FROM publications")" 0 "publication intents left"
assert_eq "$(sql "SELECT count(*) FROM audit WHERE action = 'package.pack'")" 2 "package.pack audit entries"
assert_eq "$(sql "SELECT count(*) FROM packages p JOIN audit a ON a.id = p.audit_id AND a.action = 'package.pack'")" 2 "packages.audit_id"
sql -separator ' ' "SELECT sha256, path FROM package_volumes" | sed 's/ /  /' >"$TMP/vols"
sha256sum -c --quiet "$TMP/vols" || fail "a package_volumes row does not match its file"
for v in "$V1" "$V2"; do
  rel=${v#"$WS"/}
  assert_eq "$(sql "SELECT bytes FROM package_volumes WHERE path = '$rel'")" "$(stat -c %s "$v")" "recorded bytes of $rel"
done
# every signed file packed, with the ledger's digest of it
assert_eq "$(sql "SELECT count(*) FROM package_documents pd JOIN signatures s ON s.output_path = pd.path AND s.output_sha256 = pd.sha256")" 8 "package_documents match the signatures"
assert_eq "$(sql "SELECT basis FROM packages WHERE id = '$P1'")" "$PFX_BASIS" "recorded basis"
# the audit entry names the package, its basis, both receivers' certificates and the volumes
"$PY" - "$db" "$P1" "$V1" "$WS" "$PFX_BASIS" "$(openssl x509 -in "$RSA" -outform DER | sha256sum | cut -c1-64)" \
  "$(openssl x509 -in "$EC" -outform DER | sha256sum | cut -c1-64)" <<'EOF' || fail "the package.pack audit entry of $P1"
import json, os, sqlite3, sys
db, pid, v, ws, basis, rsa, ec = sys.argv[1:]
(details, subject) = sqlite3.connect(db).execute(
    "SELECT a.details, a.subject FROM audit a JOIN packages p ON p.audit_id = a.id WHERE p.id = ?", (pid,)).fetchone()
d = json.loads(details)
assert d["package"] == pid and d["basis"] == basis and d["corrects"] == [], d
assert sorted(r["cert_sha256"] for r in d["recipients"]) == sorted([rsa, ec]), d["recipients"]
assert [x["path"] for x in d["volumes"]] == [os.path.relpath(v, ws)], d["volumes"]
assert d["organisation"] == subject, (d["organisation"], subject)
EOF
run_sohoa 0 audit verify

# ---- the judges, on one volume: VOLUME K N [RECIPIENT-CERT RECIPIENT-KEY] ----
# Leaves the bag in $BAG and package.json's path list in $TMP/docs.
judge_volume() {
  local v=$1 k=$2 n=$3 cert=${4:-$RSA} key=${5:-$PFX/other-rsa.key}
  local name dir
  name=$(basename "$v" .zip.p7m)
  dir=$J/$name
  rm -rf "$dir"
  mkdir -p "$dir"
  openssl cms -decrypt -inform DER -in "$v" -recip "$cert" -inkey "$key" -out "$dir.zip" \
    2>"$TMP/cms.err" || fail "openssl cms -decrypt $v for $cert: $(cat "$TMP/cms.err")"
  # the envelope: id-smime-ct-authEnvelopedData (1.2.840.113549.1.9.16.1.23) and
  # aes256-GCM (2.16.840.1.101.3.4.1.46), as DER object identifiers in its first bytes
  local head
  head=$(od -An -tx1 -N8192 "$v" | tr -d ' \n')
  assert_contains "$head" "060b2a864886f70d0109100117" "$v: the content type (AuthEnvelopedData)"
  assert_contains "$head" "060960864801650304012e" "$v: the content cipher (AES-256-GCM)"
  unzip -tq "$dir.zip" >"$TMP/unzip.txt" 2>&1 || fail "unzip -t $v: $(cat "$TMP/unzip.txt")"
  zipinfo "$dir.zip" >"$TMP/zipinfo.txt" || fail "zipinfo $v"
  grep -E '^[-d]' "$TMP/zipinfo.txt" | grep -v ' stor ' && fail "$v: an entry is not stored"
  zipinfo -1 "$dir.zip" >"$TMP/names"
  local id
  id=$(head -1 "$TMP/names" | cut -d/ -f1)
  [ "$id" = "${name%%.*}" ] || fail "$v: the bag folder is $id"
  { for t in bagit.txt bag-info.txt package.json manifest-sha256.txt manifest-sha512.txt \
      tagmanifest-sha512.txt tagmanifest-sha512.txt.p7s; do echo "$id/$t"; done
    grep "^$id/data/" "$TMP/names" | LC_ALL=C sort; } >"$TMP/names.want"
  diff "$TMP/names.want" "$TMP/names" >"$TMP/names.diff" ||
    fail "$v: the entries are not in the documented order: $(cat "$TMP/names.diff")"
  grep -q '/$' "$TMP/names" && fail "$v: a folder entry"
  "$PY" "$SOHOA_SOURCE/tests/bagit_check.py" "$dir.zip" >"$TMP/bag.txt" ||
    fail "bagit_check $v: $(cat "$TMP/bag.txt")"
  (cd "$dir" && unzip -q "$dir.zip") || fail "unzip $v"
  BAG=$dir/$id
  "$PY" "$SOHOA_SOURCE/tests/bagit_check.py" "$BAG" >"$TMP/bag.txt" ||
    fail "bagit_check $BAG: $(cat "$TMP/bag.txt")"
  (cd "$BAG" && sha256sum -c --quiet manifest-sha256.txt && sha512sum -c --quiet manifest-sha512.txt) ||
    fail "$v: sha256sum/sha512sum -c of the manifests"
  openssl cms -verify -binary -inform DER -in "$BAG/tagmanifest-sha512.txt.p7s" \
    -content "$BAG/tagmanifest-sha512.txt" -CAfile "$PFX/ca.pem" -purpose any -out /dev/null \
    2>"$TMP/cms.err" || fail "$v: openssl cms -verify of the tag manifest: $(cat "$TMP/cms.err")"
  assert_eq "$(cut -d' ' -f3- "$BAG/tagmanifest-sha512.txt" | tr '\n' ' ')" \
    "bag-info.txt bagit.txt manifest-sha256.txt manifest-sha512.txt package.json " "$v: the files tagmanifest-sha512.txt lists"
  local info
  info=$(cat "$BAG/bag-info.txt")
  assert_contains "$info" "External-Identifier: $id" "$v: bag-info.txt"
  assert_contains "$info" "Sohoa-Basis: $PFX_BASIS" "$v: bag-info.txt"
  assert_contains "$info" "Source-Organization: Đảng ủy xã Tân Phú" "$v: bag-info.txt"
  assert_contains "$info" "Internal-Sender-Identifier: T-01" "$v: bag-info.txt"
  if [ "$n" -gt 1 ]; then
    assert_contains "$info" "Bag-Group-Identifier: $id" "$v: bag-info.txt"
    assert_contains "$info" "Bag-Count: $k of $n" "$v: bag-info.txt"
  else
    assert_not_contains "$info" "Bag-Count" "$v: bag-info.txt"
    assert_not_contains "$info" "Bag-Group-Identifier" "$v: bag-info.txt"
  fi
  # The payload: the workspace's signed files, byte for byte.
  local f rel first=
  while IFS= read -r f; do
    rel=${f#"$BAG"/data/}
    cmp -s "$f" "$WS/$rel" || fail "$v: data/$rel differs from the workspace's $rel"
    [ -n "$first" ] || first=$f
  done < <(find "$BAG/data" -type f | LC_ALL=C sort)
  [ -n "$first" ] || fail "$v: no payload"
  pdfsig "$first" >"$TMP/pdfsig.txt" 2>&1 || true
  assert_contains "$(cat "$TMP/pdfsig.txt")" "Signature is Valid." "pdfsig on $first"
  # package.json against the bag and the ledger.
  "$PY" - "$BAG" "$WS" "$k" "$n" "$PFX_BASIS" "$SIGNER" >"$TMP/docs" 2>"$TMP/pj.err" <<'EOF' ||
import hashlib, json, os, sqlite3, subprocess, sys, unicodedata
bag, ws, k, n, basis, cert = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
raw = open(os.path.join(bag, "package.json"), "rb").read()
text = raw.decode("utf-8")
assert unicodedata.normalize("NFC", text) == text, "package.json is not NFC: " + ascii(
    [c for c in text.split('"') if unicodedata.normalize("NFC", c) != c])
pj = json.loads(text)
db = sqlite3.connect(os.path.join(ws, ".sohoa", "ledger.db"))
one = lambda q, *a: db.execute(q, a).fetchone()
bid = os.path.basename(bag)
keys = ["schema", "package", "volume", "volumes", "organisation", "station", "operator", "created_at",
        "basis", "corrects", "share_level", "catalog", "signer_cert_sha256", "dossiers", "audit_head"]
assert list(pj) == keys, f"keys {list(pj)}"
assert pj["schema"] == "sohoa-package/1"
assert pj["package"] == bid, (pj["package"], bid)
assert (pj["volume"], pj["volumes"]) == (k, n), (pj["volume"], pj["volumes"])
assert pj["basis"] == basis and pj["station"] == "T-01" and pj["operator"] == "Nguyễn Văn A", pj
assert pj["share_level"] == 3 and pj["catalog"] == "1361-CV/BTCTW"
der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], capture_output=True, check=True).stdout
assert pj["signer_cert_sha256"] == hashlib.sha256(der).hexdigest(), "signer_cert_sha256"
row = one("SELECT id, org_code, basis, volumes, corrects, created_at FROM packages WHERE id = ?", bid)
assert row, f"no packages row for {bid}"
assert row[1] == pj["organisation"] and row[2] == basis and row[3] == n, row
assert json.loads(row[4]) == pj["corrects"], (row[4], pj["corrects"])
for c in pj["corrects"]:
    assert one("SELECT 1 FROM packages WHERE id = ?", c), f"corrects {c}: no such package"
ah = pj["audit_head"]
assert one("SELECT hash FROM audit WHERE id = ?", ah["id"]) == (ah["hash"],), f"audit_head {ah}"
payload = sorted(os.path.relpath(os.path.join(r, f), bag) for r, _, fs in os.walk(os.path.join(bag, "data")) for f in fs)
listed = []
folders = [d["folder"] for d in pj["dossiers"]]
assert folders == sorted(folders), "dossiers not sorted by folder"
for d in pj["dossiers"]:
    assert list(d) == ["folder", "identity", "name", "cell", "organisation", "documents"], list(d)
    org, folder = d["folder"].split("/")[1:]
    rel = f"{org}/{folder}"
    assert d["cell"] == org == pj["organisation"], (d["cell"], org)
    assert d["organisation"] == org.rsplit(".", 1)[0], d["organisation"]
    assert d["identity"] == {"kind": "cccd", "key": folder[:12]}, d["identity"]
    (name,) = one("SELECT person_name FROM dossiers WHERE folder = ?", rel)
    # as ingest recorded it, in NFC (docs/package.md)
    assert d["name"] == unicodedata.normalize("NFC", name), (d["name"], name)
    paths = [doc["path"] for doc in d["documents"]]
    assert paths == sorted(paths), "documents not sorted"
    for doc in d["documents"]:
        assert doc["path"].startswith(d["folder"] + "/"), doc["path"]
        wrel = doc["path"][len("data/"):]
        data = open(os.path.join(bag, doc["path"]), "rb").read()
        assert doc["bytes"] == len(data) and doc["sha256"] == hashlib.sha256(data).hexdigest(), doc["path"]
        s = one("SELECT output_sha256, input_sha256, cert_sha256, signed_at, audit_id, input_path FROM signatures "
                "WHERE output_path = ? ORDER BY id DESC LIMIT 1", wrel)
        assert s, f"no signature row for {wrel}"
        assert (doc["sha256"], doc["original_sha256"], doc["signer_cert_sha256"], doc["signed_at"]) == s[:4], (doc, s)
        assert doc["stt"] == int(os.path.basename(wrel)[:2]), doc["stt"]
        assert doc["seq"] is None
        (v_at, v_sha) = one("SELECT validated_at, sha256 FROM validations WHERE path = ? AND verdict = 'pass' "
                            "ORDER BY id DESC LIMIT 1", s[5])
        assert doc["validation"] == {"verdict": "pass", "at": v_at} and v_sha == s[1], (doc["validation"], v_at)
        assert doc["pages"] >= 1
        pd = one("SELECT sha256, volume, dossier FROM package_documents WHERE package_id = ? AND path = ?", bid, wrel)
        assert pd == (doc["sha256"], k, rel), (pd, doc["sha256"], k, rel)
        acts = [a["action"] for a in doc["audit"]]
        assert acts == ["document.validate", "document.sign"], acts
        for a in doc["audit"]:
            assert one("SELECT action, hash FROM audit WHERE id = ?", a["id"]) == (a["action"], a["hash"]), a
        assert doc["audit"][1]["id"] == s[4], (doc["audit"], s[4])
        listed.append(doc["path"])
assert sorted(listed) == payload, (listed, payload)
vol = one("SELECT dossiers, documents FROM package_volumes WHERE package_id = ? AND volume = ?", bid, k)
assert vol == (len(pj["dossiers"]), len(listed)), vol
print("\n".join(listed))
EOF
    fail "$v: package.json: $(cat "$TMP/pj.err")"
}

judge_volume "$V1" 1 1
grep -q "/$(basename "$D1")/" "$TMP/docs" || fail "$V1 does not carry $D1: $(cat "$TMP/docs")"
judge_volume "$V1" 1 1 "$EC" "$PFX/org-ec.key" # the second receiver opens the same file
# The judges catch a damaged bag: one payload byte changed, and the bag checker says so.
cp -r "$BAG" "$J/damaged"
f=$(find "$J/damaged/data" -type f | head -1)
printf 'X' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
"$PY" "$SOHOA_SOURCE/tests/bagit_check.py" "$J/damaged" >"$TMP/bag.txt" &&
  fail "bagit_check does not see a damaged payload file"
assert_contains "$(cat "$TMP/bag.txt")" "checksum mismatch" "bagit_check on a damaged bag"
printf 'Sohoa-Basis: forged\n' >>"$J/damaged/bag-info.txt"
openssl cms -verify -binary -inform DER -in "$J/damaged/tagmanifest-sha512.txt.p7s" \
  -content "$J/damaged/bag-info.txt" -CAfile "$PFX/ca.pem" -purpose any -out /dev/null 2>/dev/null &&
  fail "openssl cms -verify accepts the signature over other content"
# A third party without a receiver's key cannot open it.
openssl cms -decrypt -inform DER -in "$V1" -recip "$PFX/org-rsa.pem" -inkey "$PFX/org-rsa.key" \
  -out "$J/nope.zip" 2>/dev/null && fail "a key that is no receiver's opened $V1"
rm -f "$J/nope.zip"

# ---- a rerun: nothing left to pack ----
pfx_pack 0 --json
jv "$OUT" "len(d['packages'])" "d['unchanged']" "len(d['held_back'])"
assert_eq "${JV[*]}" "0 4 0" "packages, unchanged and held-back dossiers of a rerun"
pfx_pack 0
assert_contains "$OUT" "Unchanged since their last package: 4"
assert_eq "$(sql "SELECT count(*) FROM packages")" 2 "packages rows after the reruns"
assert_eq "$(find "$WS/packages" -type f | wc -l)" 2 "package files after the reruns"

# ---- held back: unsigned, failed, signed copy changed, signed copy missing ----
pfx_next_cccd
pfx_dossier "$O1" "$PFX_CCCD" "Đỗ Văn Unsigned"
DU=$PFX_LAST
"$SOHOA" validate -q "$DU" >/dev/null || fail "validate $DU"
pfx_next_cccd
scans "$TMP/blank" --format tiff-g4 --size A5 --dpi 200 --blank --seed 9
run_sohoa 0 ingest --org "$O1" --cccd "$PFX_CCCD" --name "Ngô Thị Failed" --type 2 "$TMP/blank/scan-001.tif"
DF=$O1/$(cd "$O1" && ls -d "$PFX_CCCD"_*)
pfx_next_cccd
pfx_dossier "$O1" "$PFX_CCCD" "Lý Văn Changed"
DC=$PFX_LAST
pfx_next_cccd
pfx_dossier "$O1" "$PFX_CCCD" "Mai Thị Missing"
DM=$PFX_LAST
pfx_next_cccd
pfx_dossier "$O1" "$PFX_CCCD" "Tạ Văn Good"
DG=$PFX_LAST
pfx_sign "$DF" "$DC" "$DM" "$DG"
[ -z "$(find "$DF" -name '*_signed.pdf')" ] || fail "the blank page passed validation: $(ls "$DF")"
assert_eq "$(sql "SELECT count(*) FROM validations WHERE path LIKE '$DF/%' AND verdict = 'fail'")" 1 "the failed verdict"
changed=$(find "$DC" -name '02.*_signed.pdf')
printf '\n' >>"$changed"
rm "$(find "$DM" -name '03.*_signed.pdf')"
run_sohoa 1 --json pack --to "$RSA" --basis "$PFX_BASIS" --pkcs12 "$PFX/org-rsa.p12" --pin-env P12PASS
HELD=$OUT
jv "$HELD" "len(d['held_back'])" "sorted(set(d['held_back'][0]))" "[(p['org'], p['dossiers']) for p in d['packages']]" \
  "d['packages'][0]['id']" "d['packages'][0]['path']" \
  "[h['reason'] for h in d['held_back'] if h['path'] == '$WS/$DU'][0]" \
  "[h['reason'] for h in d['held_back'] if h['path'] == '$WS/$DF'][0]" \
  "[h['reason'] for h in d['held_back'] if h['path'] == '$WS/$DC'][0]" \
  "[h['reason'] for h in d['held_back'] if h['path'] == '$WS/$DM'][0]"
assert_eq "${JV[0]}" 4 "held-back dossiers: $HELD"
assert_eq "${JV[1]}" "['path', 'reason']" "the keys of a held-back dossier"
assert_eq "${JV[2]}" "[('$O1', 1)]" "what packed beside the held-back"
PG=${JV[3]} VG=${JV[4]}
r=${JV[5]}
assert_contains "$r" "not signed yet" "the unsigned dossier's reason"
assert_contains "$r" "03.Phieu dang vien.pdf" "the unsigned dossier's reason"
r=${JV[6]}
assert_contains "$r" "did not pass validation" "the failed dossier's reason"
r=${JV[7]}
assert_contains "$r" "changed after signing" "the changed signed copy's reason"
assert_contains "$r" "$(basename "$changed")" "the changed signed copy's reason"
r=${JV[8]}
assert_contains "$r" "signed copy is missing" "the missing signed copy's reason"
assert_contains "$r" "03.Phieu dang vien.pdf" "the missing signed copy's reason"
# the rest still packs
assert_eq "$(sql "SELECT DISTINCT dossier FROM package_documents WHERE package_id = '$PG'")" "$DG" "the good dossier's package"
for d in "$DU" "$DF" "$DC" "$DM"; do
  assert_eq "$(sql "SELECT count(*) FROM package_documents WHERE dossier = '$d'")" 0 "package rows of held-back $d"
done
judge_volume "$VG" 1 1
# text output names each held-back dossier and says what to do
pfx_pack 1 "$DU" "$DM"
assert_contains "$OUT" "$WS/$DU: held back: "
assert_contains "$OUT" "Held back: 2."

# ---- active content in the place of a signed file ----
pfx_next_cccd
pfx_dossier "$O2" "$PFX_CCCD" "Kiều Văn Script"
DJ=$PFX_LAST
pfx_sign "$DJ"
js=$(find "$DJ" -name '02.*_signed.pdf')
testpy - "$js" <<'EOF'
import sys, minipdf
minipdf.write(sys.argv[1], [b'<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>', minipdf.PAGES,
                            b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>',
                            b'<< /Type /Action /S /JavaScript /JS (app.alert\\("hi"\\);) >>'])
EOF
sql "UPDATE signatures SET output_sha256 = '$(sha "$js")' WHERE output_path = '$js'"
pfx_pack 1 --json "$DJ"
jv "$OUT" "len(d['packages'])" "d['held_back'][0]['reason']"
assert_eq "${JV[0]}" 0 "packages with active content"
r=${JV[1]}
assert_contains "$r" "pack.active_content" "the active content's reason"
assert_contains "$r" "JavaScript" "the active content's reason"
assert_contains "$r" "$(basename "$js")" "the active content's reason"
assert_eq "$(sql "SELECT count(*) FROM package_documents WHERE dossier = '$DJ'")" 0 "package rows of $DJ"

# ---- a dossier changed since its package: a new package that corrects the first ----
rm -rf "$DU" "$DF" "$DC" "$DM" "$DJ" # out of the way: the rest is all packed
pfx_pack 0
assert_contains "$OUT" "Unchanged since their last package: 5"
old=$(find "$D1" -name '03.*_signed.pdf')
old_sha=$(sha "$old")
_pfx_page small
run_sohoa 0 ingest --replace --reason "trang mờ" --org "$O1" --cccd "${D1:19:12}" --name "Nguyễn Văn An" --type 3 "$_PFX_PAGE"
pfx_sign "$D1"
[ -f "$old" ] && [ "$(sha "$old")" != "$old_sha" ] || fail "the rescanned document was not signed anew"
pfx_pack 0 --json
jv "$OUT" "[(p['org'], p['dossiers'], p['documents']) for p in d['packages']]" "d['unchanged']" \
  "d['packages'][0]['id']" "d['packages'][0]['path']" "d['packages'][0]['corrects']"
assert_eq "${JV[0]}" "[('$O1', 1, 2)]" "the corrected dossier's package"
assert_eq "${JV[1]}" 4 "unchanged beside the corrected dossier"
assert_eq "${JV[4]}" "['$P1']" "--json's corrects"
PC=${JV[2]}
judge_volume "${JV[3]}" 1 1
jv "$(cat "$BAG/package.json")" "d['corrects']" "[x['folder'] for x in d['dossiers']]"
assert_eq "${JV[0]}" "['$P1']" "package.json corrects"
assert_eq "${JV[1]}" "['data/$D1']" "the corrected package's dossiers"
assert_eq "$(sql "SELECT corrects FROM packages WHERE id = '$PC'")" "[\"$P1\"]" "the ledger's corrects"
pfx_pack 0
assert_contains "$OUT" "Unchanged since their last package: 5"

# ---- volumes: --max-volume 1M, split at dossier boundaries ----
pfx_next_cccd
pfx_dossier "$O3" "$PFX_CCCD" "Lâm Văn Lớn" --big
B1=$PFX_LAST
pfx_next_cccd
pfx_dossier "$O3" "$PFX_CCCD" "Lâm Thị Nhỏ"
B2=$PFX_LAST
pfx_next_cccd
pfx_dossier "$O3" "$PFX_CCCD" "Lâm Văn Vừa" --big
B3=$PFX_LAST
pfx_next_cccd
pfx_dossier "$O3" "$PFX_CCCD" "Lâm Văn Khổng Lồ" --huge
B4=$PFX_LAST
pfx_sign "$O3"
dsize() { find "$1" -name '*_signed.pdf' -printf '%s\n' | awk '{s += $1} END {print s}'; }
s1=$(dsize "$B1") s2=$(dsize "$B2") s3=$(dsize "$B3") s4=$(dsize "$B4")
M=1048576
# the sizes this part relies on: B1 + B2 fit, B1 + B2 + B3 do not, B4 alone is too big
[ $((s1 + s2)) -le $M ] && [ $((s1 + s2 + s3)) -gt $M ] && [ $((s3 + s4)) -gt $M ] && [ "$s4" -gt $M ] ||
  fail "the volume fixture's sizes: $s1 $s2 $s3 $s4"
pfx_pack 0 --json --max-volume 1M "$O3"
VOLS=$OUT
assert_contains "$ERR" "larger than --max-volume" "the oversized dossier's warning"
"$PY" - "$VOLS" <<'EOF' || fail "volumes: $VOLS"
import json, re, sys
d = json.loads(sys.argv[1])
p = d["packages"]
assert len(p) == 3, len(p)
assert len({v["id"] for v in p}) == 1, "one package"
assert [(v["volume"], v["volumes"], v["dossiers"]) for v in p] == [(1, 3, 2), (2, 3, 1), (3, 3, 1)], p
for v in p:
    assert v["path"].endswith(f'/{v["id"]}.part{v["volume"]}-of-3.zip.p7m'), v["path"]
EOF
jv "$VOLS" "d['packages'][0]['id']"
PV=${JV[0]}
assert_contains "$ERR" "$PV.part3-of-3.zip.p7m" "the oversized volume's warning"
assert_eq "$(sql "SELECT volumes FROM packages WHERE id = '$PV'")" 3 "recorded volumes"
assert_eq "$(sql "SELECT group_concat(volume || ':' || dossiers, ' ') FROM (SELECT * FROM package_volumes WHERE package_id = '$PV' ORDER BY volume)")" "1:2 2:1 3:1" "recorded volumes"
expect=("$B1 $B2" "$B3" "$B4")
for k in 1 2 3; do
  v=$WS/packages/$O3/$PV.part$k-of-3.zip.p7m
  [ -f "$v" ] || fail "no volume $v: $(ls "$WS/packages/$O3")"
  judge_volume "$v" "$k" 3
  assert_eq "$(json_get "$(cat "$BAG/package.json")" "' '.join(x['folder'][5:] for x in d['dossiers'])")" "${expect[$((k - 1))]}" "the dossiers of volume $k"
  payload=$(find "$BAG/data" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
  [ "$k" = 3 ] || [ "$payload" -le $M ] || fail "volume $k: $payload bytes of payload, over 1 MiB"
  assert_contains "$(cat "$BAG/bag-info.txt")" "Payload-Oxum: $payload." "volume $k: Payload-Oxum"
done
sql -separator ' ' "SELECT sha256, path FROM package_volumes" | sed 's/ /  /' >"$TMP/vols"
sha256sum -c --quiet "$TMP/vols" || fail "a package_volumes row does not match its file"

# ---- the organisation's key on a token (SoftHSM2, EC P-256) signs the tag manifest ----
MODULE=/usr/lib/softhsm/libsofthsm2.so
[ -r "$MODULE" ] && [ -f "$PFX/softhsm2.conf" ] || fail "needs SoftHSM2's PKCS#11 module $MODULE (package softhsm2)"
O6=93.000.036.001.020
pfx_next_cccd
pfx_dossier "$O6" "$PFX_CCCD" "Quách Thị Token"
pfx_sign "$PFX_LAST"
export SOFTHSM2_CONF=$PFX/softhsm2.conf TOKEN_PIN=123456
run_sohoa 0 --json pack --to "$RSA" --basis "$PFX_BASIS" --pkcs11-module "$MODULE" --token sohoa-test \
  --key org-ec --pin-env TOKEN_PIN "$O6"
jv "$OUT" "d['packages'][0]['path']"
SIGNER=$PFX/org-ec.pem judge_volume "${JV[0]}" 1 1
assert_contains "$(openssl cms -cmsout -print -inform DER -in "$BAG/tagmanifest-sha512.txt.p7s")" "ecdsa-with-SHA256" "the tag manifest's signature by the token"

# ---- names in NFC: a name typed decomposed reaches package.json composed ----
judge_volume "$V2" 1 1
# the NFD-typed name reached package.json as NFC (and as ingest recorded it)
"$PY" - "$BAG/package.json" "$NAME_NFD" <<'EOF' || fail "package.json: the name typed in NFD"
import json, sys, unicodedata
pj = json.load(open(sys.argv[1], encoding="utf-8"))
names = [d["name"] for d in pj["dossiers"]]
assert unicodedata.normalize("NFC", sys.argv[2]) in names, names
EOF
# and ingest recorded it in NFC in the first place
nfc=$("$PY" -c 'import unicodedata, sys; print(unicodedata.normalize("NFC", sys.argv[1]))' "$NAME_NFD")
assert_eq "$(sqlite3 "$WS/.sohoa/ledger.db" "SELECT count(*) FROM dossiers WHERE person_name = '$nfc'")" 1 \
  "dossiers.person_name of the name typed in NFD, in NFC"

# ---- --out through a symbolic link ----
O5=93.000.036.001.019
pfx_next_cccd
pfx_dossier "$O5" "$PFX_CCCD" "Trịnh Văn Liên Kết"
pfx_sign "$PFX_LAST"
# a folder inside the workspace that is a symbolic link to one outside it is outside too
mkdir "$TMP/outside"
ln -s "$TMP/outside" "$WS/linked-out"
pfx_pack 2 --out "$WS/linked-out" "$O5"
assert_contains "$ERR" "outside the workspace"
[ -z "$(ls -A "$TMP/outside")" ] || fail "--out through a symbolic link wrote outside the workspace: $(ls -A "$TMP/outside")"
rm "$WS/linked-out"
# a workspace reached through a symbolic link (the shell's $PWD): --out packages is inside it
ln -s "$WS" "$TMP/ws-link"
(cd "$TMP/ws-link" && pfx_pack 0 --out packages "$O5") || fail "--out packages from the workspace reached through a symbolic link"
[ -n "$(find "$WS/packages/$O5" -name '*.zip.p7m')" ] || fail "no package of $O5 in $WS/packages"

# ---- two sohoa pack at once: each dossier goes into one package ----
O4=93.000.036.001.018
for n in "Châu Văn Một" "Châu Văn Hai"; do pfx_next_cccd; pfx_dossier "$O4" "$PFX_CCCD" "$n"; done
pfx_sign "$O4"
pack_bg() { exec "$SOHOA" pack -q --to "$RSA" --basis "$PFX_BASIS" --pkcs12 "$PFX/org-rsa.p12" \
  --pin-env P12PASS "$O4"; }
pack_bg >"$TMP/a.out" 2>&1 &
a=$!
pack_bg >"$TMP/b.out" 2>&1 &
b=$!
ga=0 gb=0
wait "$a" || ga=$?
wait "$b" || gb=$?
case "$ga$gb" in 00 | 01 | 10) ;; *) fail "two pack runs at once exited $ga and $gb: $(cat "$TMP/a.out" "$TMP/b.out")" ;; esac
assert_eq "$(sql "SELECT count(DISTINCT package_id) || ' ' || count(DISTINCT dossier) FROM package_documents WHERE dossier LIKE '$O4/%'")" "1 2" \
  "packages and dossiers of $O4 after two pack runs at once"
pfx_pack 0 "$O4"
assert_contains "$OUT" "Unchanged since their last package: 2"

# ---- at the end ----
assert_eq "$(sql "SELECT count(*) FROM audit WHERE action = 'package.pack'")" "$(sql "SELECT count(*) FROM packages")" "one package.pack entry per package"
assert_eq "$(sql "SELECT count(*) FROM publications")" 0 "publication intents left"
find "$WS/packages" -type f -name '*.zip.p7m' | sed "s|^$WS/||" | sort >"$TMP/visible"
sql "SELECT path FROM package_volumes ORDER BY path" | sort >"$TMP/recorded"
diff "$TMP/visible" "$TMP/recorded" >"$TMP/diff" || fail "package files and package_volumes differ: $(cat "$TMP/diff")"
[ -z "$(find "$WS" "$TMP" -path "$J" -prune -o -name '*.zip' -print)" ] ||
  fail "a plaintext ZIP is on the disk: $(find "$WS" "$TMP" -path "$J" -prune -o -name '*.zip' -print)"
[ -z "$(find "$WS" -name '.*.tmp-*')" ] || fail "temp files left: $(find "$WS" -name '.*.tmp-*')"
run_sohoa 0 audit verify
pass
