#!/usr/bin/env bash
# sign_fixtures.sh DIR — the signing keys the sign tests use, made in DIR (created if needed):
#
#   ca.key ca.pem           root CA "Sohoa Test Root CA"
#   sub.key sub.pem         intermediate CA, issued by the root
#   chain.pem               sub + root (issuer first)
#   org-rsa.{key,pem}       RSA-2048 organisation certificate (issued by sub; 10 years from
#                           yesterday), org-rsa3072.* RSA-3072, org-ec.* EC P-256,
#   org-expired.{key,pem}   RSA-2048, valid only in 2000
#   receiver.{key,pem,p12}  RSA-2048 of a receiving organisation, for key encipherment (packages
#                           are encrypted to it) and signatures (its receipts); p12 "p12-pass"
#   org-rsa.p12 org-ec.p12  key + certificate + chain, passphrase "p12-pass" (AES-256-CBC,
#                           HMAC-SHA256; org-ec.p12 has the root first and other-rsa.pem
#                           among them); org-rsa-nopass.p12 with an empty passphrase
#   softhsm2.conf tokens/   SoftHSM2 tokens: "sohoa-test" (user PIN 123456, SO PIN 12345678)
#                           with org-rsa (id 01) and org-ec (id 02) keys and certificates and
#                           the sub and root CA certificates; "sohoa-other" (same PINs) with
#                           one RSA key and its certificate (label "other-rsa", id 01; the
#                           certificate also a second time, labelled "other-cert");
#                           "sohoa-mismatch" with the other-rsa key beside the org-rsa
#                           certificate (label "mismatch", id 01)
#
# Use the tokens with: export SOFTHSM2_CONF=DIR/softhsm2.conf
# (module /usr/lib/softhsm/libsofthsm2.so). Prints nothing on success; running it again
# makes everything anew (unless SOHOA_FIXTURE_CACHE is set: below).
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
mkdir -p "$1"
dir=$(cd "$1" && pwd)
cd "$dir"

# With SOHOA_FIXTURE_CACHE (CTest sets it to a folder of the build tree), the keys and tokens are
# made once per version of this script, under a lock, into that folder, and each caller gets its
# own copy (tokens too: a test may change them), its paths pointed at DIR. The files are the same
# for every test of a run; none relies on keys differing between tests.
if [ -n "${SOHOA_FIXTURE_CACHE:-}" ] && [ -z "${_SOHOA_FIXTURE_MAKING:-}" ]; then
    mkdir -p "$SOHOA_FIXTURE_CACHE"
    key=$(sha256sum "$self" | cut -c1-16)
    cache=$(cd "$SOHOA_FIXTURE_CACHE" && pwd)/sign-$key
    (
        flock 9
        if [ ! -f "$cache/.complete" ]; then
            rm -rf "$cache.new"
            _SOHOA_FIXTURE_MAKING=1 bash "$self" "$cache.new"
            : >"$cache.new/.complete"
            rm -rf "$cache"
            mv "$cache.new" "$cache"
        fi
    ) 9>"$SOHOA_FIXTURE_CACHE/sign.lock"
    rm -rf tokens ca-db
    cp -a "$cache/." "$dir/"
    rm -f .complete
    for f in softhsm2.conf ca.cnf; do
        [ ! -f "$f" ] || sed -i "s|$cache.new|$dir|g" "$f"
    done
    exit 0
fi

module=/usr/lib/softhsm/libsofthsm2.so
user_pin=123456
so_pin=12345678

rm -rf tokens ca-db
mkdir -p tokens ca-db
: >ca-db/index.txt
echo 1000 >ca-db/serial

# `openssl ca` is the one OpenSSL 3.0 command that sets any notBefore/notAfter.
cat >ca.cnf <<EOF
[ca]
default_ca = test_ca
[test_ca]
database = $dir/ca-db/index.txt
serial = $dir/ca-db/serial
new_certs_dir = $dir/ca-db
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
countryName = optional
organizationName = optional
commonName = supplied
[req]
distinguished_name = req_dn
string_mask = utf8only
utf8 = yes
[req_dn]
[ext_root]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ext_sub]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ext_org]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ext_receiver]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

ossl() { openssl "$@" 2>/dev/null; }

stamp() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
start=$(stamp '1 day ago')
end=$(stamp '1 day ago + 10 years')
ca_end=$(stamp '1 day ago + 20 years')

newkey() { # newkey FILE rsa:BITS|ec
    case $2 in
    rsa:*) ossl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${2#rsa:}" -out "$1" ;;
    ec) ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" ;;
    esac
}

# issue NAME KEYTYPE SUBJECT ISSUER(|self) EXTENSION START END
issue() {
    local name=$1 subj=$3 issuer=$4 ext=$5 from=$6 to=$7
    newkey "$name.key" "$2"
    ossl req -config ca.cnf -new -utf8 -key "$name.key" -subj "$subj" -out "$name.csr"
    local signer=(-cert "$issuer.pem" -keyfile "$issuer.key")
    if [ "$issuer" = self ]; then
        signer=(-selfsign -keyfile "$name.key")
    fi
    ossl ca -config ca.cnf -batch -notext -utf8 -preserveDN -in "$name.csr" -out "$name.pem" \
        "${signer[@]}" -extensions "$ext" -startdate "$from" -enddate "$to"
    rm -f "$name.csr"
}

o_ca='Ban Cơ yếu Chính phủ (thử nghiệm)'
o_org='Đảng ủy xã Tân Phú'
cn_org='Văn phòng Đảng ủy xã Tân Phú'

issue ca rsa:2048 "/C=VN/O=$o_ca/CN=Sohoa Test Root CA" self ext_root "$start" "$ca_end"
issue sub rsa:2048 "/C=VN/O=$o_ca/CN=Sohoa Test Issuing CA" ca ext_sub "$start" "$ca_end"
cat sub.pem ca.pem >chain.pem

org_subj="/C=VN/O=$o_org/CN=$cn_org"
issue org-rsa rsa:2048 "$org_subj" sub ext_org "$start" "$end"
issue org-rsa3072 rsa:3072 "$org_subj" sub ext_org "$start" "$end"
issue org-ec ec "$org_subj" sub ext_org "$start" "$end"
issue org-expired rsa:2048 "$org_subj" sub ext_org 20000101000000Z 20001231235959Z
issue other-rsa rsa:2048 "/C=VN/O=$o_org/CN=Another signer" sub ext_org "$start" "$end"
issue receiver rsa:2048 "/C=VN/O=Ban Tổ chức Trung ương (thử nghiệm)/CN=Cổng tiếp nhận hồ sơ" sub \
    ext_receiver "$start" "$end"

p12() { # p12 NAME OUT PASS CERTFILE
    ossl pkcs12 -export -inkey "$1.key" -in "$1.pem" -certfile "$4" -name "$1" \
        -keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256 -passout "pass:$3" -out "$2"
}
p12 org-rsa org-rsa.p12 p12-pass chain.pem
p12 receiver receiver.p12 p12-pass chain.pem
# root first, and a certificate that is no issuer: the reader must order and sort them
cat ca.pem other-rsa.pem sub.pem >mixed.pem
p12 org-ec org-ec.p12 p12-pass mixed.pem
rm -f mixed.pem
p12 org-rsa org-rsa-nopass.p12 '' chain.pem

if ! command -v softhsm2-util >/dev/null || ! command -v pkcs11-tool >/dev/null ||
    [ ! -r $module ]; then
    echo "$0: softhsm2 or opensc is not installed: no tokens made" >&2
    exit 0
fi

cat >softhsm2.conf <<EOF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
export SOFTHSM2_CONF=$dir/softhsm2.conf

quiet() { # run, showing the output only when it fails
    local out
    if ! out=$("$@" 2>&1); then
        echo "$out" >&2
        return 1
    fi
}

quiet softhsm2-util --init-token --free --label sohoa-test --pin $user_pin --so-pin $so_pin
quiet softhsm2-util --init-token --free --label sohoa-other --pin $user_pin --so-pin $so_pin
quiet softhsm2-util --init-token --free --label sohoa-mismatch --pin $user_pin --so-pin $so_pin

# put TOKEN LABEL ID: the private key LABEL.key (if any) and certificate LABEL.pem
put() {
    local token=$1 label=$2 id=$3
    if [ -f "$label.key" ] && [ "$label" != ca ] && [ "$label" != sub ]; then
        quiet softhsm2-util --import "$label.key" --token "$token" --label "$label" --id "$id" \
            --pin $user_pin
    fi
    ossl x509 -in "$label.pem" -outform DER -out "$label.der"
    quiet pkcs11-tool --module $module --token-label "$token" --login --pin $user_pin \
        --write-object "$label.der" --type cert --label "$label" --id "$id"
    rm -f "$label.der"
}
put sohoa-test org-rsa 01
put sohoa-test org-ec 02
put sohoa-test sub 10
put sohoa-test ca 11
put sohoa-other other-rsa 01
# the same certificate under a label of its own: --key may name a key by its certificate's label
ossl x509 -in other-rsa.pem -outform DER -out other-cert.der
quiet pkcs11-tool --module $module --token-label sohoa-other --login --pin $user_pin \
    --write-object other-cert.der --type cert --label other-cert --id 01
rm -f other-cert.der
# a key stored with the certificate of another key: refused at open
quiet softhsm2-util --import other-rsa.key --token sohoa-mismatch --label mismatch --id 01 \
    --pin $user_pin
ossl x509 -in org-rsa.pem -outform DER -out mismatch.der
quiet pkcs11-tool --module $module --token-label sohoa-mismatch --login --pin $user_pin \
    --write-object mismatch.der --type cert --label mismatch --id 01
rm -f mismatch.der
