#!/usr/bin/env bash
# sohoa verify on signatures other programs made (tests/make_sign_corpus.py --signed: openssl cms
# with SHA-1, SHA-256, SHA-384, SHA-512 and MD5, a digest OID nobody knows, adbe.pkcs7.detached
# with and without signed attributes, ETSI.CAdES.detached without them, a document timestamp,
# certified documents, a hybrid file with a stale /XRefStm). Each is judged by its /SubFilter's
# rules as MANIFEST-SIGNED.txt says (the exit status and the signature's state): SHA-384 and
# SHA-512 valid, SHA-1 valid and said to be weak, an algorithm or /SubFilter verify does not
# know "cannot be checked" (exit 3: neither valid nor invalid); the signatures verify sees are
# those pdfsig sees. Bytes put before the header of a signed file are a change after signing.
. "$(dirname "$0")/lib.sh"

need_tool openssl pdfsig qpdf certutil
bash "$SOHOA_SOURCE/tests/sign_fixtures.sh" keys
python3 "$SOHOA_SOURCE/tests/make_sign_corpus.py" --signed keys signed
mkdir nss
certutil -N --empty-password -d sql:nss
pdfsig() { command pdfsig -nssdir sql:nss "$@"; }

n=0
while read -r name status state _; do
  f=signed/$name
  run_sohoa "$status" --json verify --trust keys/ca.pem "$f"
  # the first signature's state, then the signatures by field name: those pdfsig sees
  want=$(pdfsig -nocert "$f" 2>/dev/null | sed -n 's/^  - Signature Field Name: //p' | sort |
    tr '\n' ' ')
  got=$(json_get "$OUT" "' '.join([d['files'][0]['signatures'][0]['status']] +
                                  sorted(s['field'] for s in d['files'][0]['signatures'])) + ' '")
  assert_eq "$got" "$state $want" "$name: the state, and the signatures verify sees (pdfsig's)"
  n=$((n + 1))
done < <(grep -v '^#' signed/MANIFEST-SIGNED.txt)
assert_eq "$n" 15 "signed files judged"

# What the text says for each kind.
run_sohoa 0 verify --trust keys/ca.pem signed/sha1.pdf
assert_contains "$OUT" "its digest algorithm SHA-1 is weak"
assert_contains "$OUT" "OK, signed and unchanged"
run_sohoa 3 verify --trust keys/ca.pem signed/md5.pdf
assert_contains "$OUT" "cannot be checked here"
assert_contains "$OUT" "digest algorithm MD5 cannot be checked here"
assert_not_contains "$OUT" "INVALID"
run_sohoa 3 verify --trust keys/ca.pem signed/doc-timestamp.pdf
assert_contains "$OUT" "(SubFilter ETSI.RFC3161;"
run_sohoa 0 verify --trust keys/ca.pem signed/sha512.pdf signed/pkcs7-no-attributes.pdf
assert_contains "$OUT" "2 of 2 files are signed, unchanged and trusted"
run_sohoa 1 verify --trust keys/ca.pem signed/cades-no-attributes.pdf
assert_contains "$OUT" "no signed attributes, which PAdES requires"
run_sohoa 1 verify --trust keys/ca.pem signed/pkcs7-no-attributes-tampered.pdf
assert_contains "$OUT" "the document was changed after it was signed"
# A signature that cannot be checked is no finding, but anything else wrong is.
{ cat signed/md5.pdf; printf '%% appended\n'; } > md5-appended.pdf
run_sohoa 1 verify --trust keys/ca.pem md5-appended.pdf
assert_contains "$OUT" "the file was changed after it was signed"
LANG=vi_VN.UTF-8 run_sohoa 3 verify --trust keys/ca.pem signed/unknown-digest.pdf
assert_contains "$OUT" "2.16.840.1.101.3.4.2.127"
assert_not_contains "$OUT" "cannot be checked" "the Vietnamese text"

# Bytes put before the header of a signed file: readers still find the PDF, but the signed
# bytes are the file's from its first byte (pdfsig: "Digest Mismatch"): a change after signing.
{ printf 'X-Relay: 1\r\n\r\n'; cat signed/sha384.pdf; } > prefixed.pdf
pdfsig -nocert prefixed.pdf > prefixed.txt 2>&1 || true
grep -q "Signature Field Name: Approval" prefixed.txt || fail "pdfsig: $(cat prefixed.txt)"
if grep -q "Signature is Valid" prefixed.txt; then fail "pdfsig: $(cat prefixed.txt)"; fi
run_sohoa 1 --json verify --trust keys/ca.pem prefixed.pdf
assert_eq "$(json_get "$OUT" "d['files'][0]['signatures'][0]['status']")" invalid "prefixed: state"
assert_contains "$(json_get "$OUT" "d['files'][0]['problem']")" \
  "14 bytes were put before the PDF's header"
pass
