#!/usr/bin/env bash
# sohoa sign and sohoa verify from the command line, on dossiers made by ingest and checked by
# validate: only files that passed and did not change since are signed (unless --force, which the
# audit log records); outputs are <name>_signed.pdf beside the originals, which stay untouched;
# the ledger records each signature; keys from a PKCS#12 file and from a SoftHSM2 token (RSA and
# EC); the PIN never reaches the ledger; pdfsig, qpdf and openssl agree with sohoa verify; verify
# catches a file changed after signing and forged signatures.
. "$(dirname "$0")/lib.sh"
need_tool qpdf pdfsig pdfimages pdftotext pdftoppm openssl sqlite3 setpriv softhsm2-util pkcs11-tool

FX=$TMP/keys
bash "$SOHOA_SOURCE/tests/sign_fixtures.sh" "$FX"
export SOFTHSM2_CONF=$FX/softhsm2.conf
MODULE=/usr/lib/softhsm/libsofthsm2.so
[ -r "$MODULE" ] || fail "needs SoftHSM2's PKCS#11 module $MODULE (package softhsm2)"
export P12PASS=p12-pass

ORG=93.000.036.001.015
new_workspace ws
cd ws
S=$TMP/src
scans "$S/good" --format tiff-g4 --size A5 --dpi 200 --pages 2 --seed 21
scans "$S/good3" --format jpeg --size A5 --dpi 200 --pages 1 --seed 22
scans "$S/blank" --format tiff-g4 --size A5 --dpi 200 --pages 1 --blank --seed 23
"$PY" "$SOHOA_SOURCE/scripts/make_seal.py" "$TMP/seal.png" --text "ĐẢNG ỦY XÃ TÂN PHÚ"
ingest() { run_sohoa 0 ingest --org "$ORG" "$@"; }
ingest --cccd 001085012345 --name "Nguyễn Văn An" --type 2 "$S/good"
ingest --cccd 001085012345 --name "Nguyễn Văn An" --type 3 "$S/good3"
ingest --cccd 001090054321 --name "Trần Thị Bình" --type 2 "$S/good/scan-001.tif" "$S/blank"
A="$ORG/001085012345_NguyenVanAn"
B="$ORG/001090054321_TranThiBinh"
A2="$A/02.Ly lich dang vien.pdf"
A3="$A/03.Phieu dang vien.pdf"
B2="$B/02.Ly lich dang vien.pdf"
signed() { echo "${1%.pdf}_signed.pdf"; }
run_sohoa 0 validate "$A"
run_sohoa 1 validate "$B"
sha_a2=$(sha256sum "$A2" | cut -d' ' -f1)
size_a2=$(stat -c %s "$A2")

# ---- only what passed is signed; the rest is refused with the reason ----
run_sohoa 1 sign --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS --seal "$TMP/seal.png" .
assert_contains "$OUT" "$B2: not signed: it did not pass validation"
assert_contains "$OUT" "Signed 2 files; 0 already signed; 1 refused"
[ -f "$(signed "$A2")" ] && [ -f "$(signed "$A3")" ] || fail "the passed files were not signed: $(ls "$A")"
[ ! -e "$(signed "$B2")" ] || fail "a failed file was signed"
assert_eq "$(sha256sum "$A2" | cut -d' ' -f1)" "$sha_a2" "the original is untouched"
cmp -s -n "$size_a2" "$A2" "$(signed "$A2")" || fail "the signed file does not start with the original's bytes"
ls -A "$A" | grep -q '\.tmp' && fail "a temp file was left behind"

# ---- the ledger: one row and one audit entry per signature ----
db=.sohoa/ledger.db
assert_eq "$(sqlite3 $db "SELECT count(*) FROM signatures WHERE forced = 0")" 2 "signature rows"
assert_eq "$(sqlite3 $db "SELECT input_sha256 FROM signatures WHERE input_path = '$A2'")" "$sha_a2" "input digest"
out_sha=$(sha256sum "$(signed "$A2")" | cut -d' ' -f1)
assert_eq "$(sqlite3 $db "SELECT output_sha256 FROM signatures WHERE input_path = '$A2'")" "$out_sha" "output digest"
fp=$(openssl x509 -in "$FX/org-rsa.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)
assert_eq "$(sqlite3 $db "SELECT DISTINCT cert_sha256 FROM signatures")" "$fp" "certificate fingerprint"
assert_eq "$(sqlite3 $db "SELECT count(*) FROM audit WHERE action = 'document.sign'")" 2 "audit entries"
# The ledger's signing time is the signature's /M (Vietnam's time, +07'00'), in UTC.
at=$(sqlite3 $db "SELECT signed_at FROM signatures WHERE input_path = '$A2'")
m=$("$PY" -c '
import re, sys, datetime
d = open(sys.argv[1], "rb").read()
m = re.findall(rb"/M \(D:(\d{14})\+07.00.\)", d)[-1].decode()
t = datetime.datetime.strptime(m, "%Y%m%d%H%M%S") - datetime.timedelta(hours=7)
print(t.strftime("%Y-%m-%dT%H:%M:%SZ"))' "$(signed "$A2")")
assert_eq "$at" "$m" "signing time in the ledger"
run_sohoa 0 audit verify

# ---- independent judges ----
out=$(signed "$A2")
pdfsig "$out" >"$TMP/pdfsig.txt" 2>&1 || true
assert_contains "$(cat "$TMP/pdfsig.txt")" "Signature is Valid." "pdfsig"
assert_contains "$(cat "$TMP/pdfsig.txt")" "Total document signed" "pdfsig"
assert_contains "$(cat "$TMP/pdfsig.txt")" "ETSI.CAdES.detached" "pdfsig"
qpdf --check "$out" >/dev/null || fail "qpdf --check fails on $out"
text=$(pdftotext -f 1 -l 1 "$out" - | tr "\n" " ") # the stamp wraps its lines
assert_contains "$text" "Đảng ủy xã Tân Phú" "stamp text"
assert_contains "$text" "Người ký: Văn phòng Đảng ủy xã Tân Phú" "stamp text"
assert_contains "$text" "+07:00" "stamp time"
pdfimages -list -f 1 -l 1 "$out" | grep -q smask || fail "the seal has no transparency (smask)"
# The CMS over the ranges, judged by openssl cms.
"$PY" - "$out" "$TMP/sig.der" "$TMP/ranges.bin" <<'EOF'
import re, sys
data = open(sys.argv[1], 'rb').read()
m = list(re.finditer(rb'/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]', data))[-1]
a, b, c, d = map(int, m.groups())
open(sys.argv[3], 'wb').write(data[a:a + b] + data[c:c + d])
hexs = data[a + b + 1:c - 1].rstrip(b'0')
hexs += b'0' * (len(hexs) % 2)
open(sys.argv[2], 'wb').write(bytes.fromhex(hexs.decode()))
EOF
openssl cms -verify -binary -inform DER -in "$TMP/sig.der" -content "$TMP/ranges.bin" \
  -CAfile "$FX/ca.pem" -purpose any -out /dev/null 2>"$TMP/cms.err" || fail "openssl cms -verify: $(cat "$TMP/cms.err")"
openssl cms -cmsout -print -inform DER -in "$TMP/sig.der" >"$TMP/cms.txt"
assert_contains "$(cat "$TMP/cms.txt")" "id-smime-aa-signingCertificateV2" "CMS attributes"
assert_not_contains "$(cat "$TMP/cms.txt")" "signingTime" "CMS attributes (B-B: no signing-time)"

# ---- sohoa verify ----
run_sohoa 0 verify --trust "$FX/ca.pem" "$out" "$(signed "$A3")"
assert_contains "$OUT" "valid; signed by Văn phòng Đảng ủy xã Tân Phú (Đảng ủy xã Tân Phú)"
assert_contains "$OUT" "2 of 2 files are signed, unchanged and trusted"
run_sohoa 0 --json verify --trust "$FX/ca.pem" "$out"
assert_eq "$(json_get "$OUT" "d['files'][0]['signatures'][0]['status']")" valid "JSON status"
assert_eq "$(json_get "$OUT" "d['files'][0]['signatures'][0]['covers_whole_file']")" True "JSON coverage"
assert_eq "$(json_get "$OUT" "d['files'][0]['signatures'][0]['cert_sha256']")" "$fp" "JSON certificate"
# Without the organisation's root the signature is intact but not trusted.
run_sohoa 1 verify "$out"
assert_contains "$OUT" "not trusted"

# ---- a second run leaves signed files alone ----
run_sohoa 1 sign --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS --seal "$TMP/seal.png" "$A" "$B"
assert_contains "$OUT" "Signed 0 files; 2 already signed; 1 refused"
assert_eq "$(sha256sum "$out" | cut -d' ' -f1)" "$out_sha" "an existing signed file is left alone"
# A signed copy made from earlier bytes of an original that has changed and been validated again
# is not "already signed": it is stale, and said so. Put back and validated, it is signed again.
cp "$A3" "$TMP/a3.pdf"
printf '%% edited after signing\n' >>"$A3"
run_sohoa 0 validate "$A3"
run_sohoa 1 sign --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS "$A"
assert_contains "$OUT" "$(signed "$A3") was signed from earlier bytes of the original"
assert_contains "$OUT" "Signed 0 files; 1 already signed; 1 refused"
cp "$TMP/a3.pdf" "$A3"
run_sohoa 0 validate "$A3"
run_sohoa 0 sign --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS "$A"
assert_contains "$OUT" "Signed 0 files; 2 already signed; 0 refused"
# Signed copies are never signed again, even named alone.
run_sohoa 0 sign --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS "$out"
assert_contains "$OUT" "Signed 0 files; 0 already signed; 0 refused"

# ---- a file changed since validation is refused; --force signs it and says so ----
rm "$(signed "$A3")"
printf '%% edited after validation\n' >>"$A3"
run_sohoa 1 sign --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS "$A3"
assert_contains "$OUT" "changed since it passed validation"
[ ! -e "$(signed "$A3")" ] || fail "a changed file was signed"
run_sohoa 0 sign --force --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS "$A3" "$B2"
assert_contains "$OUT" "signed anyway (--force)"
assert_eq "$(sqlite3 $db "SELECT count(*) FROM signatures WHERE forced = 1")" 2 "forced rows"
assert_eq "$(sqlite3 $db "SELECT count(*) FROM audit WHERE action = 'document.sign_forced'")" 2 "forced audit entries"
run_sohoa 0 verify --trust "$FX/ca.pem" "$(signed "$B2")"

# ---- a PKCS#11 token (SoftHSM2): EC P-256 key, PIN from a file ----
rm "$(signed "$A2")"
printf '123456\n' >"$TMP/pin"
chmod 600 "$TMP/pin"
run_sohoa 0 sign --pkcs11-module "$MODULE" --token sohoa-test --key org-ec --pin-file "$TMP/pin" "$A2"
run_sohoa 0 verify --trust "$FX/ca.pem" "$(signed "$A2")"
pdfsig "$(signed "$A2")" 2>&1 | grep -q "Signature is Valid." || fail "pdfsig: EC signature from the token"
ec_fp=$(openssl x509 -in "$FX/org-ec.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)
assert_eq "$(sqlite3 $db "SELECT cert_sha256 FROM signatures ORDER BY id DESC LIMIT 1")" "$ec_fp" "token certificate"
# RSA on the token, PIN from the environment.
rm "$(signed "$A2")"
export TOKEN_PIN=123456
run_sohoa 0 sign --pkcs11-module "$MODULE" --token sohoa-test --key org-rsa --pin-env TOKEN_PIN "$A2"
run_sohoa 0 verify --trust "$FX/ca.pem" "$(signed "$A2")"
# A wrong PIN: status 3, nothing written, the PIN not echoed.
rm "$(signed "$A2")"
export BAD_PIN=999999
run_sohoa 3 sign --pkcs11-module "$MODULE" --token sohoa-test --key org-rsa --pin-env BAD_PIN "$A2"
assert_contains "$ERR" "PIN"
assert_not_contains "$ERR$OUT" "999999" "messages"
[ ! -e "$(signed "$A2")" ] || fail "signed with a wrong PIN"
# No secret anywhere in the ledger.
for secret in 123456 p12-pass 999999; do
  sqlite3 $db .dump | grep -q -- "$secret" && fail "the ledger holds a secret ($secret)"
done

# ---- everything that needs no secret is checked before it is asked ----
# The PIN file named here does not exist: reading it first would fail on it. Each mistake must
# be named instead, so that the operator types no PIN for a run that cannot sign.
NOPIN=$TMP/no-such-pin-file
pin11() { run_sohoa "$1" sign --pkcs11-module "$2" --token "$3" --key "$4" --pin-file "$NOPIN" "${@:5}" "$A2"; }
pin11 3 /nonexistent/libtoken.so sohoa-test org-rsa
assert_contains "$ERR" "/nonexistent/libtoken.so"
pin11 3 "$MODULE" no-such-token org-rsa
assert_contains "$ERR" 'no token labelled "no-such-token"'
pin11 3 "$MODULE" sohoa-test no-such-key
assert_contains "$ERR" 'no key or certificate labelled "no-such-key"'
assert_contains "$ERR" '"org-rsa"'
pin11 3 "$MODULE" sohoa-test org-rsa --seal "$TMP/no-such-seal.png"
assert_contains "$ERR" "no-such-seal.png"
sed 's|^font = .*|font = /nonexistent/font.ttf|' sohoa.ini >"$TMP/badfont.ini"
run_sohoa 3 --config "$TMP/badfont.ini" sign --pkcs11-module "$MODULE" --token sohoa-test \
  --key org-rsa --pin-file "$NOPIN" "$A2"
assert_contains "$ERR" "/nonexistent/font.ttf"
run_sohoa 3 sign --pkcs12 "$TMP/badfont.ini" --pin-file "$NOPIN" "$A2"
assert_contains "$ERR" "is not a PKCS#12 file"
# All right: only then is the PIN read (here: its file is missing).
pin11 2 "$MODULE" sohoa-test org-rsa
assert_contains "$ERR" "$NOPIN"
for out in "$OUT" "$ERR"; do assert_not_contains "$out" "PIN of the token"; done
[ ! -e "$(signed "$A2")" ] || fail "signed without a PIN"
# --key may name the certificate's label (checked before the PIN: the token shows it).
run_sohoa 0 sign --pkcs11-module "$MODULE" --token sohoa-other --key other-cert --pin-file "$TMP/pin" "$A2"
rm "$(signed "$A2")"
# A key file without a passphrase asks for none (no terminal here to ask on).
setsid -w "$SOHOA" sign --pkcs12 "$FX/org-rsa-nopass.p12" "$A2" </dev/null >"$TMP/.out" 2>"$TMP/.err" ||
  fail "a key file without a passphrase: $(cat "$TMP/.err")"
rm "$(signed "$A2")"

# ---- --pin-env: the secret leaves the process's environment at once ----
# A key file with a slow key derivation keeps sohoa busy for a while after it opened the
# ledger; its environment is read from /proc meanwhile.
openssl pkcs12 -export -inkey "$FX/org-rsa.key" -in "$FX/org-rsa.pem" -name slow \
  -keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256 -iter 400000 -passout pass:slow-s3cret \
  -out "$TMP/slow.p12" 2>/dev/null
export WIPE_ME=slow-s3cret
"$SOHOA" sign --pkcs12 "$TMP/slow.p12" --pin-env WIPE_ME "$A2" >"$TMP/env.out" 2>&1 &
pid=$!
environ=
for _ in $(seq 500); do
  if ls -l "/proc/$pid/fd" 2>/dev/null | grep -q 'ledger\.db'; then
    environ=$(tr '\0' '\n' <"/proc/$pid/environ")
    break
  fi
  sleep 0.01
done
wait "$pid" || fail "sign with a slow key file: $(cat "$TMP/env.out")"
[ -n "$environ" ] || fail "sohoa finished before its environment could be read"
assert_contains "$environ" "LANG=" "/proc/PID/environ"
assert_not_contains "$environ" "slow-s3cret" "/proc/PID/environ"
[ -f "$(signed "$A2")" ] || fail "not signed with the slow key file"
unset WIPE_ME

# ---- a signed copy sohoa did not record is not "already signed" ----
cp "$A2" "$A/02.Ly lich dang vien (copy).pdf"
cp "$A2" "$A/02.Ly lich dang vien (copy)_signed.pdf"
sqlite3 $db "INSERT INTO validations (path, sha256, verdict, findings, validated_at)
  VALUES ('$A/02.Ly lich dang vien (copy).pdf', '$sha_a2', 'pass', '[]', '2026-12-01T00:00:00Z')"
run_sohoa 1 sign --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS "$A"
assert_contains "$OUT" "(copy)_signed.pdf exists, but sohoa has no record of signing it"
assert_contains "$OUT" "Signed 0 files; 2 already signed; 1 refused"
rm "$A/02.Ly lich dang vien (copy)_signed.pdf"
run_sohoa 0 sign --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS "$A"
assert_contains "$OUT" "Signed 1 file; 2 already signed; 0 refused"
rm "$A/02.Ly lich dang vien (copy)"* "$(signed "$A2")"

# ---- two sohoa sign on one folder ----
mkpdf() { # OUT W H [--crop x0 y0 x1 y1] [--rotate R] [--text X Y SIZE TEXT]... [--box X0 Y0 X1 Y1]...
  testpy - "$@" <<'EOF'
import sys, minipdf
a = sys.argv[1:]
out, w, h = a[0], float(a[1]), float(a[2])
crop, rotate, ops, i = None, 0, [], 3
while i < len(a):
    if a[i] == '--crop':
        crop = a[i + 1:i + 5]; i += 5
    elif a[i] == '--rotate':
        rotate = int(a[i + 1]); i += 2
    elif a[i] == '--text':
        x, y, s, t = a[i + 1:i + 5]; i += 5
        ops.append(f'BT /F1 {s} Tf {x} {y} Td ({t}) Tj ET')
    elif a[i] == '--box':
        x0, y0, x1, y1 = map(float, a[i + 1:i + 5]); i += 5
        ops.append(f'0 g {x0} {y0} {x1 - x0} {y1 - y0} re f')
extra = (f'/CropBox [{" ".join(crop)}] ' if crop else '') + f'/Rotate {rotate} '
minipdf.write(out, minipdf.text_page('\n'.join(ops).encode(), f'{w}', f'{h}', extra.encode()),
              b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')
EOF
}
rows_under() { sqlite3 $db "SELECT count(*) || ' ' || count(DISTINCT output_path) FROM signatures WHERE output_path LIKE '$1/%'"; }
# A file another run holds (its lock, as sohoa's own runs take it) is left to it: a note, and
# the others are signed.
mkdir -p C
for i in 1 2 3 4 5 6; do mkpdf C/f$i.pdf 595 842 --text 60 700 11 "FILE $i"; done
exec 9<C/f1.pdf
flock -x 9
run_sohoa 0 sign --force --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS C
exec 9<&-
assert_contains "$OUT" "C/f1.pdf: another sohoa run is signing it now; left to that run"
assert_contains "$OUT" "1 file was being signed by another sohoa run at the same time"
assert_contains "$OUT" "Signed 5 files"
run_sohoa 0 sign --force --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS C
assert_contains "$OUT" "Signed 1 file; 5 already signed"
assert_eq "$(ls C/*_signed.pdf | wc -l)" 6 "signed copies"
assert_eq "$(rows_under C)" "6 6" "signature rows"
# As they come: three pairs started together, each on a fresh folder.
for t in 1 2 3; do
  mkdir -p "R$t"
  for i in 1 2 3 4; do cp C/f$i.pdf "R$t/f$i.pdf"; done
  "$SOHOA" sign -q --force --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS "R$t" >"$TMP/a.out" 2>&1 &
  a=$!
  "$SOHOA" sign -q --force --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS "R$t" >"$TMP/b.out" 2>&1 &
  b=$!
  wait "$a" || fail "trial $t, first run: $(cat "$TMP/a.out")"
  wait "$b" || fail "trial $t, second run: $(cat "$TMP/b.out")"
  assert_eq "$(rows_under "R$t")" "4 4" "trial $t: signature rows"
done
run_sohoa 0 audit verify

# ---- where the stamp goes: not over the form's printed header ----
# A page like Mẫu 2-HSĐV: "ĐẢNG CỘNG SẢN VIỆT NAM" and a rule under it top right, where the
# stamp's corner is, the title further down on the left.
mkdir -p P
mkpdf P/form.pdf 595 842 --text 330 790 13 "DANG CONG SAN VIET NAM" --box 390 770 510 772 \
  --text 60 700 12 "LY LICH DANG VIEN"
run_sohoa 0 sign --force --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS --seal "$TMP/seal.png" P/form.pdf
rect() { # the signature widget's /Rect in FILE, "x0 y0 x1 y1"
  "$PY" -c 'import re, sys; print(*re.findall(rb"/Rect \[([^]]*)\]", open(sys.argv[1], "rb").read())[-1].decode().split())' "$1"
}
# Judged on pdftoppm's renderings at 36 ppi (0.5 px/pt): under the stamp the unsigned page is
# blank, the signed page shows the stamp there; the stamp is inside the top-right quarter.
place_check() { # ORIGINAL SIGNED (A4 pages, 595 × 842 pt)
  read -r x0 y0 x1 y1 <<<"$(rect "$2")"
  pdftoppm -r 36 -gray -singlefile "$1" "$TMP/before"
  pdftoppm -r 36 -gray -singlefile "$2" "$TMP/after"
  "$PY" - "$TMP/before.pgm" "$TMP/after.pgm" "$x0" "$y0" "$x1" "$y1" <<'EOF' || fail "the stamp's place on $2"
import sys
def pgm(p):
    d = open(p, 'rb').read()
    magic, w, h, mx, rest = d.split(maxsplit=4)
    return int(w), int(h), rest
w, h, before = pgm(sys.argv[1])
_, _, after = pgm(sys.argv[2])
x0, y0, x1, y1 = map(float, sys.argv[3:7])
k = 36 / 72
cols = range(int(x0 * k), min(w, int(x1 * k) + 1))
rows = range(int((842 - y1) * k), min(h, int((842 - y0) * k) + 1))
covered = sum(before[r * w + c] < 160 for r in rows for c in cols)
drawn = sum(after[r * w + c] < 200 for r in rows for c in cols)
print(f'stamp [{x0} {y0} {x1} {y1}]: {covered} dark pixels of the page under it, {drawn} of the stamp')
assert covered == 0, 'the stamp covers print'
assert drawn > 50, 'the stamp is not drawn there'
assert x0 >= 595 / 2 and x1 <= 595 and y0 >= 842 / 2 and y1 <= 842, 'outside the top-right quarter'
EOF
}
place_check P/form.pdf P/form_signed.pdf
pdfsig P/form_signed.pdf 2>&1 | grep -q "Signature is Valid." || fail "pdfsig: the stamp moved"
# The same form as a JPEG scan (one image edge to edge, as ingest writes pages): measured on the
# JPEG itself, decoded small.
testpy - P/scan.pdf <<'EOF'
import io, sys, minipdf
from PIL import Image, ImageDraw
img = Image.new('RGB', (2480, 3508), (246, 244, 238))
d = ImageDraw.Draw(img)
d.rectangle((1380, 190, 2330, 250), fill=(20, 20, 60))   # the header, top right
d.rectangle((1620, 290, 2100, 300), fill=(20, 20, 60))   # the rule under it
d.rectangle((250, 600, 1500, 640), fill=(20, 20, 60))    # the title, left
buf = io.BytesIO()
img.save(buf, 'JPEG', quality=85)
minipdf.write(sys.argv[1], minipdf.jpeg_page(buf.getvalue(), img.size, (595, 842)), b'%PDF-1.4\n')
EOF
run_sohoa 0 -v sign --force --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS --seal "$TMP/seal.png" P/scan.pdf
assert_contains "$ERR" "the stamp's place measured on the page's JPEG scan"
place_check P/scan.pdf P/scan_signed.pdf
# [sign] stamp_place = fixed: the corner, as before.
sed 's|^stamp_place = .*|stamp_place = fixed|' sohoa.ini >"$TMP/fixed.ini"
rm P/form_signed.pdf
run_sohoa 0 --config "$TMP/fixed.ini" sign --force --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS P/form.pdf
read -r fx0 fy0 fx1 fy1 <<<"$(rect P/form_signed.pdf)"
"$PY" -c "import sys; x1, y1 = $fx1, $fy1; assert abs(x1 - (595 - 10 * 72 / 25.4)) < 0.01 and abs(y1 - (842 - 10 * 72 / 25.4)) < 0.01, (x1, y1)" ||
  fail "stamp_place = fixed: not in the corner: $fx0 $fy0 $fx1 $fy1"
sed 's|^stamp_place = .*|stamp_place = anywhere|' sohoa.ini >"$TMP/bad.ini"
run_sohoa 2 --config "$TMP/bad.ini" sign --force --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS P/form.pdf
assert_contains "$ERR" "expected auto or fixed"

# ---- pages smaller than the stamp: scaled down into the page's top-right corner ----
mkpdf P/tiny.pdf 4 4
mkpdf P/label.pdf 200 50 --text 10 20 10 "LABEL"
mkpdf P/cropped.pdf 595 842 --crop 100 100 300 150 --text 110 120 10 "CROPPED"
mkpdf P/label90.pdf 200 50 --rotate 90
run_sohoa 0 sign --force --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS --seal "$TMP/seal.png" \
  P/tiny.pdf P/label.pdf P/cropped.pdf P/label90.pdf
for f in tiny:0:0:4:4 label:0:0:200:50 cropped:100:100:300:150 label90:0:0:200:50; do
  IFS=: read -r name bx0 by0 bx1 by1 <<<"$f"
  out=P/${name}_signed.pdf
  pdfsig "$out" >"$TMP/pdfsig.txt" 2>&1 || true
  assert_contains "$(cat "$TMP/pdfsig.txt")" "Signature is Valid." "pdfsig $out"
  assert_contains "$(cat "$TMP/pdfsig.txt")" "Total document signed" "pdfsig $out"
  qpdf --check "$out" >/dev/null || fail "qpdf --check fails on $out"
  read -r x0 y0 x1 y1 <<<"$(rect "$out")"
  "$PY" -c "
x0, y0, x1, y1 = $x0, $y0, $x1, $y1
bx0, by0, bx1, by1 = $bx0, $by0, $bx1, $by1
assert bx0 <= x0 < x1 <= bx1 and by0 <= y0 < y1 <= by1, 'outside the CropBox'
" || fail "$out: the stamp [$x0 $y0 $x1 $y1] is not inside [$bx0 $by0 $bx1 $by1]"
done

# ---- the unreadable folder is said, and exit 3 ----
# (as another user: root reads any folder)
as_other() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; else "$@"; fi; }
chmod 755 "$TMP"
U=$TMP/other
mkdir -m 777 "$U"
cp "$FX/org-rsa.p12" "$U/key.p12"
chmod 644 "$U/key.p12"
(cd "$U" && as_other "$SOHOA" init ws --station T-02 --operator "Lê Thị C" -q)
as_other mkdir -p "$U/ws/D/ok" "$U/ws/D/locked"
as_other cp C/f1.pdf "$U/ws/D/ok/a.pdf"
as_other cp C/f2.pdf "$U/ws/D/locked/b.pdf"
as_other chmod 000 "$U/ws/D/locked"
got=0
(cd "$U/ws" && as_other "$SOHOA" sign --force --pkcs12 "$U/key.p12" --pin-env P12PASS D) \
  >"$TMP/.out" 2>"$TMP/.err" || got=$?
as_other chmod 755 "$U/ws/D/locked"
assert_eq "$got" 3 "exit status with an unreadable folder"
assert_contains "$(cat "$TMP/.err")" "cannot read the folder D/locked"
[ -f "$U/ws/D/ok/a_signed.pdf" ] || fail "the readable folder was not signed"
assert_contains "$(cat "$TMP/.out")" "Signed 1 file; 0 already signed; 0 refused; 1 errors"

# ---- planning: indexed lookups (bench/bench_sign_plan.sh: 50,000 files) ----
"$PY" - "$PWD" 5000 <<'EOF'
import hashlib, os, sqlite3, sys
ws, n = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(os.path.join(ws, '.sohoa', 'ledger.db'))
rows = []
for i in range(n):
    rel = 'Big/%04d/%02d.pdf' % (i // 25, i % 25)
    os.makedirs(os.path.dirname(rel), exist_ok=True)
    data = b'%%PDF-1.4\n%% %d\n%%%%EOF\n' % i
    open(rel, 'wb').write(data)
    rows.append((rel, hashlib.sha256(data).hexdigest(), 'pass', '[]', '2026-12-01T00:00:00Z'))
db.executemany('INSERT INTO validations (path, sha256, verdict, findings, validated_at) '
               'VALUES (?, ?, ?, ?, ?)', rows)
db.commit()
EOF
start=$(date +%s%N)
run_sohoa 3 sign --pkcs11-module /nonexistent/libtoken.so Big
ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_contains "$ERR" "/nonexistent/libtoken.so"
[ "$ms" -lt 5000 ] || fail "planning 5,000 files took $ms ms"
echo "planning 5,000 validated files: $ms ms"
for q in "SELECT verdict, sha256 FROM validations WHERE path = 'x' ORDER BY id DESC LIMIT 1" \
  "SELECT 1 FROM signatures WHERE output_path = 'x' LIMIT 1"; do
  plan=$(sqlite3 $db "EXPLAIN QUERY PLAN $q")
  assert_contains "$plan" "USING" "the query plan of: $q"
  assert_not_contains "$plan" "SCAN" "the query plan of: $q"
  assert_not_contains "$plan" "TEMP B-TREE" "the query plan of: $q"
done
rm -rf Big

# ---- verify catches changes and forgeries ----
good=$(signed "$B2")
cp "$good" "$TMP/appended.pdf"
printf '1 0 obj\n<< /Type /Catalog >>\nendobj\n%%%%EOF\n' >>"$TMP/appended.pdf"
run_sohoa 1 verify --trust "$FX/ca.pem" "$TMP/appended.pdf"
assert_contains "$OUT" "changed after it was signed"
forge() { # NAME PYTHON-EXPRESSION-ON-data: a copy of the good file edited in place
  "$PY" - "$good" "$TMP/$1.pdf" "$2" <<'EOF'
import re, sys
data = bytearray(open(sys.argv[1], 'rb').read())
m = list(re.finditer(rb'/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]', data))[-1]
a, b, c, d = map(int, m.groups())
def br(text):  # a new /ByteRange of the same width
    old = m.group(0)
    new = b'/ByteRange ' + text.encode()
    data[m.start():m.end()] = new.ljust(len(old))[:len(old)]
exec(sys.argv[3])
open(sys.argv[2], 'wb').write(bytes(data))
EOF
}
forge usf "br('[0 0 0 0]')"
run_sohoa 1 verify --trust "$FX/ca.pem" "$TMP/usf.pdf"
assert_contains "$OUT" "malformed"
forge wrapped "br('[0 %d %d %d]' % (b - 10, c, d))"
run_sohoa 1 verify --trust "$FX/ca.pem" "$TMP/wrapped.pdf"
assert_contains "$OUT" "signature wrapping"
forge byte "data[200] ^= 1"
run_sohoa 1 verify --trust "$FX/ca.pem" "$TMP/byte.pdf"
assert_contains "$OUT" "INVALID"
forge nosig "data[b + 1:c - 1] = b'0' * (c - b - 2)"
run_sohoa 1 verify --trust "$FX/ca.pem" "$TMP/nosig.pdf"
assert_contains "$OUT" "INVALID"
run_sohoa 1 verify "$A2"
assert_contains "$OUT" "no signature"

# ---- refusals and usage ----
qpdf --encrypt user owner 256 -- "$A2" "$A/09.Encrypted.pdf"
run_sohoa 3 sign --force --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS "$A/09.Encrypted.pdf"
assert_contains "$ERR" "09.Encrypted.pdf"
run_sohoa 2 sign "$A2"
assert_contains "$ERR" "--pkcs12"
run_sohoa 2 sign --pkcs12 "$FX/org-rsa.p12" --pin-env P12PASS --pin-file "$TMP/pin" "$A2"
export WRONG=nope
run_sohoa 3 sign --pkcs12 "$FX/org-rsa.p12" --pin-env WRONG "$A2"
assert_contains "$ERR" "org-rsa.p12"
run_sohoa 2 verify

# ---- Vietnamese ----
LANG=vi_VN.UTF-8 run_sohoa 1 verify --trust "$FX/ca.pem" "$TMP/appended.pdf"
assert_contains "$OUT" "đã bị thay đổi sau khi ký"

pass
