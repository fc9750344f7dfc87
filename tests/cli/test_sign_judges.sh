#!/usr/bin/env bash
# sohoa sign on PDFs other programs wrote (tests/make_sign_corpus.py: PDF 1.3 to 2.0, classic
# tables, cross-reference and object streams, hybrid files (one whose /XRefStm is stale), a
# linearized file, inherited and rotated page boxes, forms with annotations (one with
# /NeedAppearances true), /Prev chains, a reused object number, stray bytes before startxref,
# bytes before the header). Each is signed with the RSA key of tests/sign_fixtures.sh, then judged
# by other tools: pdfsig (valid, PAdES, whole document), qpdf (--check clean, nothing
# unreachable), the original bytes a prefix (from its header on), openssl cms -verify of the CMS
# cut out by its /ByteRange against the test root, pdftotext (organisation and signer on page 1),
# a render (the stamp and nothing else new, in the top-right quadrant of page 1 as displayed,
# upright: the same size as on the plain page), sohoa verify --trust, and page 1's annotations and
# the form's fields and values still there. Then documents other programs signed
# (make_sign_corpus.py --signed): certified ones (refused at P=1, signed with a note at P=2 and
# 3, their certification kept) and a certified hybrid file with a stale /XRefStm, whose
# signature, /Perms and edited page 1 must survive signing, as pdfsig and qpdf read them.
. "$(dirname "$0")/lib.sh"

need_tool qpdf pdfsig pdftotext pdftoppm openssl certutil softhsm2-util pkcs11-tool
python3 "$SOHOA_SOURCE/tests/make_sign_corpus.py" corpus
bash "$SOHOA_SOURCE/tests/sign_fixtures.sh" keys
export SIGN_PIN=p12-pass
ORG='Đảng ủy xã Tân Phú'        # the O and CN of keys/org-rsa.pem
CN='Văn phòng Đảng ủy xã Tân Phú'
mkdir nss
certutil -N --empty-password -d sql:nss

cat > judge.py <<'PY'
"""Judges of a signed PDF for tests/cli/test_sign_judges.sh (stdlib only).
  cms ORIG OUT DIR      the last /ByteRange covers OUT from 0 to its end but the /Contents hex
                        string; writes DIR/sig.der (the CMS, padding cut) and DIR/ranges.bin
  stamp ORIG.pgm OUT.pgm
                        pixels darker in OUT: prints their bounding box "x0 y0 x1 y1 W H";
                        fails unless there are some, all in the top-right quadrant
  annots ORIG.json OUT.json
                        (qpdf --json=2 --json-key=pages --json-key=acroform --json-key=qpdf)
                        page 1's annotations, the fields and their values are all still there
"""
import json
import re
import sys


def fail(msg):
    sys.stderr.write(msg + "\n")
    sys.exit(1)


def der_length(b):
    if len(b) < 2 or b[0] != 0x30:
        fail("the /Contents is not a DER SEQUENCE")
    n = b[1]
    if n < 0x80:
        return 2 + n
    k = n & 0x7F
    if k == 0:  # BER indefinite length (NSS writes it): let the reader find the end
        return len(b)
    if k > 4:
        fail("the /Contents holds a SEQUENCE of a huge length")
    return 2 + k + int.from_bytes(b[2:2 + k], "big")


def cms(orig, out, d):
    data = open(out, "rb").read()
    o = open(orig, "rb").read()
    size = len(o) - o.index(b"%PDF-")  # the signed file starts at the original's header
    found = list(re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data))
    if not found:
        fail("no /ByteRange in the signed file")
    a, b, c, n = (int(x) for x in found[-1].groups())
    if a != 0 or c + n != len(data) or not b < c:
        fail("ByteRange [%d %d %d %d] does not cover the file of %d bytes but a gap"
             % (a, b, c, n, len(data)))
    if b < size:
        fail("the signature's gap starts at %d, inside the original (%d bytes)" % (b, size))
    gap = data[b:c]
    if gap[:1] != b"<" or gap[-1:] != b">" or not re.fullmatch(rb"[0-9A-Fa-f]*", gap[1:-1]):
        fail("the gap of the ByteRange is not a hex string")
    if not re.search(rb"/Contents\s*$", data[max(0, b - 40):b]):
        fail("the gap of the ByteRange is not the value of /Contents")
    der = bytes.fromhex(gap[1:-1].decode())
    der = der[:der_length(der)]
    open(d + "/sig.der", "wb").write(der)
    open(d + "/ranges.bin", "wb").write(data[a:a + b] + data[c:c + n])


def pgm(path):
    data = open(path, "rb").read()
    tokens, pos = [], 0
    while len(tokens) < 4:
        m = re.compile(rb"\s*(#[^\n]*\n\s*)*(\S+)").match(data, pos)
        tokens.append(m.group(2))
        pos = m.end()
    if tokens[0] != b"P5" or tokens[3] != b"255":
        fail("%s is not an 8-bit PGM" % path)
    w, h = int(tokens[1]), int(tokens[2])
    return w, h, data[pos + 1:pos + 1 + w * h]


def stamp(orig, out):
    w, h, a = pgm(orig)
    w2, h2, b = pgm(out)
    if (w, h) != (w2, h2):
        fail("the signed page 1 renders %dx%d, the original %dx%d" % (w2, h2, w, h))
    xs, ys = [], []
    for i in range(w * h):
        if b[i] < 200 and a[i] - b[i] > 60:
            xs.append(i % w)
            ys.append(i // w)
    if len(xs) < 20:
        fail("no stamp: %d new dark pixels on page 1 as displayed" % len(xs))
    x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
    where = "new dark pixels in [%d %d %d %d] of a %dx%d page" % (x0, y0, x1, y1, w, h)
    # In the top-right quadrant; a stamp wider than half a narrow page may reach left of the
    # middle, but stays in the top half, against the top right corner.
    if y1 >= h // 2 or (x1 - x0 + 1 <= 0.4 * w and x0 < w // 2):
        fail(where + ": outside the top-right quadrant")
    if x1 < 0.85 * w or y0 > 0.15 * h or x0 + x1 < w:
        fail(where + ": not at the top right corner")
    print(min(xs), min(ys), max(xs), max(ys), w, h)


def page1_annots_and_fields(path):
    j = json.load(open(path))
    objs = j["qpdf"][1]
    page = objs["obj:" + j["pages"][0]["object"]]["value"]
    annots = page.get("/Annots", [])
    if isinstance(annots, str):
        annots = objs["obj:" + annots]["value"]
    fields = {f["fullname"]: f["value"] for f in j["acroform"]["fields"]}
    return annots, fields


def annots(orig, out):
    a0, f0 = page1_annots_and_fields(orig)
    a1, f1 = page1_annots_and_fields(out)
    lost = [x for x in a0 if x not in a1]
    if lost:
        fail("page 1 lost annotations %s: before %s, after %s" % (lost, a0, a1))
    if len(a1) != len(a0) + 1:
        fail("page 1 has %d annotations, %d before: expected one more, the signature's"
             % (len(a1), len(a0)))
    for name, value in f0.items():
        if name not in f1:
            fail("field %s is gone: fields now %s" % (name, sorted(f1)))
        if f1[name] != value:
            fail("field %s was %r, is %r" % (name, value, f1[name]))
    if len(f1) != len(f0) + 1:
        fail("%d fields, %d before: expected one more, the signature's" % (len(f1), len(f0)))
    print(len(a0), len(f0))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"cms": cms, "stamp": stamp, "annots": annots}[cmd](*args)
PY

# words FILE: its text as one line of single spaces, so that a wrapped stamp line still matches.
words() { tr -s '[:space:]' ' ' < "$1"; }
# render PDF PGM: page 1 as displayed (CropBox, /Rotate), 30 ppi gray.
render() { pdftoppm -r 30 -gray -cropbox -f 1 -l 1 -singlefile "$1" "${2%.pgm}"; }
# qjson PDF JSON: qpdf's view of pages, form and objects; qpdf must not warn.
qjson() {
  qpdf --json=2 --json-key=pages --json-key=acroform --json-key=qpdf "$1" > "$2" 2> "$2.err" ||
    fail "qpdf --json $1: $(cat "$2.err")"
  [ ! -s "$2.err" ] || fail "qpdf --json warns on $1: $(cat "$2.err")"
}

n=0
for src in corpus/*.pdf; do
  name=$(basename "$src" .pdf)
  d=$TMP/$name
  new_workspace "$d"
  cp "$src" "$d/$name.pdf"
  in=$d/$name.pdf
  out=$d/${name}_signed.pdf
  (cd "$d" && "$SOHOA" sign --force --pkcs12 "$TMP/keys/org-rsa.p12" --pin-env SIGN_PIN \
     "$name.pdf" > .out 2>&1) || fail "$name: sohoa sign exited $?: $(cat "$d/.out")"
  [ -f "$out" ] || fail "$name: no ${name}_signed.pdf: $(cat "$d/.out")"
  cmp -s "$src" "$in" || fail "$name: the original was changed"
  if grep -q "^note:" "$d/.out"; then fail "$name: a note on a plain file: $(cat "$d/.out")"; fi

  pdfsig -nssdir sql:nss -nocert "$out" > "$d/pdfsig" 2>&1 || true
  grep -q "Signature Validation: Signature is Valid." "$d/pdfsig" ||
    fail "$name: pdfsig does not find the signature valid: $(cat "$d/pdfsig")"
  grep -q "Signature Type: ETSI.CAdES.detached" "$d/pdfsig" ||
    fail "$name: pdfsig: not a PAdES (ETSI.CAdES.detached) signature: $(cat "$d/pdfsig")"
  grep -q "Total document signed" "$d/pdfsig" ||
    fail "$name: pdfsig: the signature does not cover the whole file: $(cat "$d/pdfsig")"
  qpdf --check "$out" > "$d/qpdf" 2>&1 || fail "$name: qpdf --check: $(cat "$d/qpdf")"
  # The original from its header on (bytes before it are no part of the PDF; offsets count from
  # the header) is the signed file's beginning.
  head=$(grep -abo -m1 '%PDF-' "$in" | cut -d: -f1)
  cmp -s -i "$head:0" -n "$(( $(stat -c %s "$in") - head ))" "$in" "$out" ||
    fail "$name: the original is not a prefix"
  python3 judge.py cms "$in" "$out" "$d" || fail "$name: the ByteRange is wrong (above)"
  openssl cms -verify -binary -inform DER -in "$d/sig.der" -content "$d/ranges.bin" \
    -CAfile keys/ca.pem -purpose any -out /dev/null > "$d/cms" 2>&1 ||
    fail "$name: openssl cms -verify: $(cat "$d/cms")"
  pdftotext -f 1 -l 1 "$out" "$d/text"
  assert_contains "$(words "$d/text")" "$ORG" "$name: page 1's text"
  assert_contains "$(words "$d/text")" "Người ký: $CN" "$name: page 1's text"
  render "$in" "$d/before.pgm"
  render "$out" "$d/after.pgm"
  box=$(python3 judge.py stamp "$d/before.pgm" "$d/after.pgm") || fail "$name: the stamp (above)"
  echo "$name $box" >> boxes
  run_sohoa 0 verify --trust keys/ca.pem "$out"
  qjson "$in" "$d/before.json"
  qjson "$out" "$d/after.json"
  python3 judge.py annots "$d/before.json" "$d/after.json" > /dev/null ||
    fail "$name: annotations or fields (above)"
  n=$((n + 1))
done
assert_eq "$n" 17 "corpus files signed and judged"

# Upright everywhere: the stamp's box as displayed is the same on every page (±2 px at 30 ppi)
# as on the plain PDF 1.3 page; turned 90° it would be as tall as it is wide there.
read -r _ x0 y0 x1 y1 _ < <(grep '^v13 ' boxes)
while read -r name a b c e _; do
  dw=$(( (c - a) - (x1 - x0) )); dh=$(( (e - b) - (y1 - y0) ))
  if [ "${dw#-}" -gt 2 ] || [ "${dh#-}" -gt 2 ]; then
    fail "$name: the stamp shows $((c - a + 1))x$((e - b + 1)) px," \
      "on v13 $((x1 - x0 + 1))x$((y1 - y0 + 1))"
  fi
done < boxes

# The stale /XRefStm: what is signed is what viewers show (page 1 as the update left it).
words "$TMP/hybrid-stale/text" > hs.txt
grep -q "EDITED AFTER" hs.txt || fail "hybrid-stale: page 1 lost its edit: $(cat hs.txt)"
if grep -q "ORIGINAL WORDS" hs.txt; then fail "hybrid-stale: page 1 went back to the original"; fi
# /NeedAppearances true would have viewers redraw the signature's widget empty: it is turned off
# (every other field has its own appearance, so each looks as it did), and the stamp is seen.
python3 - "$TMP/forms-need-appearances/after.json" <<'PY' || fail "forms-need-appearances (above)"
import json, sys
form = json.load(open(sys.argv[1]))["acroform"]
if form.get("needappearances") is not False:
    sys.exit("the signed form still asks viewers for appearances: %r" % form.get("needappearances"))
PY

# ---- documents signed by others (make_sign_corpus.py --signed, other-rsa's signatures) ----
python3 "$SOHOA_SOURCE/tests/make_sign_corpus.py" --signed keys signed
# sign_as NAME STATUS: sign signed/NAME.pdf in a workspace of its own; $d is the workspace.
sign_as() {
  d=$TMP/s-$1
  new_workspace "$d"
  cp "signed/$1.pdf" "$d/"
  local got=0
  (cd "$d" && "$SOHOA" sign --force --pkcs12 "$TMP/keys/org-rsa.p12" --pin-env SIGN_PIN \
     "$1.pdf" > .out 2>&1) || got=$?
  [ "$got" = "$2" ] || fail "$1: sohoa sign exited $got, expected $2: $(cat "$d/.out")"
}
# count_sigs PDF: the signatures pdfsig sees.
count_sigs() { pdfsig -nssdir sql:nss -nocert "$1" 2>/dev/null | grep -c '^Signature #' || true; }

# Certified with no changes allowed (DocMDP P=1), or locked so (PDF 2.0): refused, the file and
# the signature named, nothing written.
for name in certified-p1 locked-p1; do
  sign_as "$name" 1
  field=Certification
  if [ "$name" = locked-p1 ]; then field=Approval; fi
  assert_contains "$(cat "$d/.out")" "$name.pdf: signature \"$field\" (by Another signer" "$name"
  assert_contains "$(cat "$d/.out")" "allows no changes to the document (DocMDP P=1)" "$name"
  [ ! -e "$d/${name}_signed.pdf" ] || fail "$name: a signed copy was written"
done
# P=2 and 3 allow signatures: signed, with a note; the certification and /Perms stay.
for p in 2 3; do
  name=certified-p$p
  sign_as "$name" 0
  assert_contains "$(cat "$d/.out")" "note: $name.pdf: signature \"Certification\" (by Another signer"
  assert_contains "$(cat "$d/.out")" "allows signatures to be added (DocMDP P=$p)" "$name"
  out=$d/${name}_signed.pdf
  assert_eq "$(count_sigs "$out")" 2 "$name: the signatures pdfsig sees"
  qpdf --show-object=1 "$out" | grep -q "/Perms << /DocMDP 6 0 R >>" ||
    fail "$name: the catalog lost /Perms: $(qpdf --show-object=1 "$out")"
done

# The certified hybrid file with a stale /XRefStm. Before signing, verify sees the signature pdfsig
# sees (the stale catalog has no form).
h=signed/hybrid-stale-certified.pdf
assert_eq "$(count_sigs "$h")" 1 "pdfsig on $h"
run_sohoa 0 --json verify --trust keys/ca.pem "$h"
assert_eq "$(json_get "$OUT" "[s['field'] for s in d['files'][0]['signatures']]")" \
  "['Certification']" "sohoa verify on $h"
sign_as hybrid-stale-certified 0
out=$d/hybrid-stale-certified_signed.pdf
qpdf --check "$out" > /dev/null || fail "hybrid-stale-certified: qpdf --check: $(qpdf --check "$out")"
cat1=$(qpdf --show-object=1 "$out")
assert_contains "$cat1" "/Perms << /DocMDP 9 0 R >>" "the signed file's catalog"
assert_contains "$cat1" "/Fields [ 10 0 R " "the signed file's catalog"
assert_eq "$(count_sigs "$out")" 2 "pdfsig on the signed $h"
run_sohoa 1 --json verify --trust keys/ca.pem "$out" # the certification covers an earlier version
assert_eq "$(json_get "$OUT" "[(s['field'], s['status'], s['covers_whole_file']) for s in d['files'][0]['signatures']]")" \
  "[('Certification', 'valid', False), ('Signature1', 'valid', True)]" "sohoa verify on the signed $h"
pdftotext -f 1 -l 1 "$out" - | tr -s '[:space:]' ' ' > hsc.txt
grep -q "EDITED AFTER" hsc.txt || fail "hybrid-stale-certified: page 1 lost its edit: $(cat hsc.txt)"
pass
