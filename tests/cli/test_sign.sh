#!/usr/bin/env bash
# sohoa sign and sohoa verify from the command line, on dossiers made by ingest and checked by
# validate: only files that passed and did not change since are signed (unless --force, which the
# audit log records); outputs are <name>_signed.pdf beside the originals, which stay untouched;
# the ledger records each signature; keys from a PKCS#12 file and from a SoftHSM2 token (RSA and
# EC); the PIN never reaches the ledger; pdfsig, qpdf and openssl agree with sohoa verify; verify
# catches a file changed after signing and forged signatures.
. "$(dirname "$0")/lib.sh"

FX=$TMP/keys
bash "$SOHOA_SOURCE/tests/sign_fixtures.sh" "$FX"
export SOFTHSM2_CONF=$FX/softhsm2.conf
MODULE=/usr/lib/softhsm/libsofthsm2.so
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
