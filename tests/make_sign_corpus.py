#!/usr/bin/env python3
"""Third-party-style PDFs for the incremental-update writer of `sohoa sign`, and signed ones for
`sohoa verify`.

Usage: python3 tests/make_sign_corpus.py OUTDIR
       python3 tests/make_sign_corpus.py --signed KEYDIR OUTDIR

Each file is small, valid (`qpdf --check` finds nothing) and shaped like something another program
wrote: old classic tables, cross-reference and object streams, hybrid-reference files (one whose
/XRefStm still names an older stream), a linearized file, inherited and rotated page geometry,
forms with existing annotations (one asking viewers for appearances), /Prev chains and a reused
object number, stray bytes before startxref, bytes before the header. OUTDIR/MANIFEST.txt says
what each one exercises. Standard library only, plus the qpdf command for the object-stream and
linearized files; the output is the same on every run (no clock, no randomness, qpdf with
--deterministic-id). Prints nothing when all went well; exits 1 naming the file qpdf rejected
otherwise.

With --signed, the files carry signatures made with `openssl cms` and the keys of
tests/sign_fixtures.sh KEYDIR (other-rsa signs; its chain is KEYDIR/chain.pem): certified
documents (DocMDP P=1, 2, 3), a certified hybrid file whose /XRefStm is stale, and signatures of
every kind verify must judge (SHA-1/384/512, MD5, an unknown digest, adbe.pkcs7.detached without
signed attributes, a document timestamp). OUTDIR/MANIFEST-SIGNED.txt lists them with what
`sohoa verify` must say. These are not the same from run to run: the keys are made anew, and
/M is the time of the run (the test certificates are valid from the day before).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

BINARY_COMMENT = b"%\xe2\xe3\xcf\xd3\n"
A4 = "[0 0 595 842]"
FILE_ID = "[<5D1A0B6E3F2C4A8B9E7D6C5B4A392817> <5D1A0B6E3F2C4A8B9E7D6C5B4A392817>]"


def stream(dictionary, data):
    """The body of a stream object: the dictionary (without /Length) and the data."""
    if isinstance(data, str):
        data = data.encode("latin-1")
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (
        dictionary.encode("latin-1"), len(data), data)


def text_content(lines, matrix="1 0 0 1 72 770", size=18, leading=24):
    """A content stream that writes LINES in Helvetica (/F1) from the text matrix MATRIX."""
    ops = ["BT", "/F1 %d Tf" % size, "%d TL" % leading, matrix + " Tm"]
    for line in lines:
        ops.append("(%s) Tj T*" % line)
    ops.append("ET")
    return "\n".join(ops)


def font_obj():
    return b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def as_bytes(body):
    return body.encode("latin-1") if isinstance(body, str) else body


def obj_bytes(num, gen, body):
    return b"%d %d obj\n%s\nendobj\n" % (num, gen, as_bytes(body))


def xref_table(entries):
    """A classic cross-reference section: ENTRIES maps object number -> (offset or next free,
    generation, 'n' or 'f'); consecutive numbers share a subsection."""
    out = [b"xref\n"]
    nums = sorted(entries)
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(b"%d %d\n" % (nums[i], j - i + 1))
        for n in nums[i:j + 1]:
            off, gen, kind = entries[n]
            out.append(b"%010d %05d %s \n" % (off, gen, kind.encode()))
        i = j + 1
    return b"".join(out)


def classic_file(version, objects, trailer, free=None):
    """A whole file with one classic table. OBJECTS: list of (num, gen, body). FREE: number ->
    (next free, generation) for holes (default: free with generation 0 and a proper list)."""
    buf = bytearray(b"%%PDF-%s\n" % version.encode() + BINARY_COMMENT)
    entries = {}
    for num, gen, body in objects:
        entries[num] = (len(buf), gen, "n")
        buf += obj_bytes(num, gen, body)
    size = max(entries) + 1
    holes = [n for n in range(1, size) if n not in entries]
    free = dict(free or {})
    chain = [0] + holes
    for k, n in enumerate(chain):
        nxt = chain[k + 1] if k + 1 < len(chain) else 0
        gen = 65535 if n == 0 else 0
        entries[n] = (free.get(n, (nxt, gen))[0], free.get(n, (nxt, gen))[1], "f")
    start = len(buf)
    buf += xref_table(entries)
    buf += b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        size, trailer.encode("latin-1"), start)
    return bytes(buf)


def last_startxref(data):
    i = data.rindex(b"startxref")
    return int(data[i + 9:].split()[0])


def classic_update(base, objects, trailer, size, free=None):
    """BASE followed by an incremental update with OBJECTS (num, gen, body) and FREE entries
    (num -> (next free, generation)), its trailer /Prev pointing at BASE's table."""
    buf = bytearray(base)
    entries = {}
    for num, gen, body in objects:
        entries[num] = (len(buf), gen, "n")
        buf += obj_bytes(num, gen, body)
    for num, (nxt, gen) in (free or {}).items():
        entries[num] = (nxt, gen, "f")
    start = len(buf)
    buf += xref_table(entries)
    buf += b"trailer\n<< /Size %d %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        size, trailer.encode("latin-1"), last_startxref(base), start)
    return bytes(buf)


def xref_stream_entries(rows, widths):
    """The data of an uncompressed cross-reference stream: ROWS of (type, field2, field3)."""
    out = bytearray()
    for row in rows:
        for value, width in zip(row, widths):
            out += value.to_bytes(width, "big")
    return bytes(out)


def object_stream(members):
    """The body of an object stream holding MEMBERS: list of (num, body) (generation 0)."""
    header, data = [], bytearray()
    for num, body in members:
        header.append("%d %d" % (num, len(data)))
        data += as_bytes(body) + b"\n"
    head = (" ".join(header) + "\n").encode()
    return stream("/Type /ObjStm /N %d /First %d" % (len(members), len(head)), head + data)


def simple_pages(n, title, extra_page=""):
    """Objects of an N-page document: 1 catalog, 2 pages, 3 font, then page and content pairs."""
    kids = " ".join("%d 0 R" % (4 + 2 * i) for i in range(n))
    objs = [(1, 0, "<< /Type /Catalog /Pages 2 0 R >>"),
            (2, 0, "<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n)),
            (3, 0, font_obj())]
    for i in range(n):
        page, content = 4 + 2 * i, 5 + 2 * i
        objs.append((page, 0, "<< /Type /Page /Parent 2 0 R /MediaBox %s /Resources << /Font "
                     "<< /F1 3 0 R >> >> /Contents %d 0 R %s>>" % (A4, content, extra_page)))
        objs.append((content, 0, stream("", text_content(
            ["%s" % title, "Page %d of %d" % (i + 1, n), "Third-party test file."]))))
    return objs


def qpdf(*args):
    subprocess.run(["qpdf", *args], check=True, stdout=subprocess.DEVNULL)


# ---- the files ----

def make_v13(path):
    objs = simple_pages(1, "PDF 1.3, classic xref, no /ID")
    objs.append((6, 0, "<< /Producer (Acme Scan 1.0) /Title (v13) >>"))
    with open(path, "wb") as f:
        f.write(classic_file("1.3", objs, "/Root 1 0 R /Info 6 0 R"))


def make_v17_objstm(path, tmp):
    src = os.path.join(tmp, "v17-src.pdf")
    objs = simple_pages(3, "PDF 1.7, object streams")
    with open(src, "wb") as f:
        f.write(classic_file("1.7", objs, "/Root 1 0 R /ID " + FILE_ID))
    qpdf("--object-streams=generate", "--force-version=1.7", "--deterministic-id", src, path)


def make_v20(path):
    """PDF 2.0, every object in the body, one uncompressed cross-reference stream."""
    objs = simple_pages(1, "PDF 2.0, cross-reference stream")
    buf = bytearray(b"%PDF-2.0\n" + BINARY_COMMENT)
    offsets = {}
    for num, gen, body in objs:
        offsets[num] = len(buf)
        buf += obj_bytes(num, gen, body)
    xnum = max(offsets) + 1
    offsets[xnum] = len(buf)
    rows = [(0, 0, 65535)] + [(1, offsets[n], 0) for n in range(1, xnum + 1)]
    data = xref_stream_entries(rows, (1, 4, 2))
    body = stream("/Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /ID %s" % (xnum + 1, FILE_ID), data)
    buf += obj_bytes(xnum, 0, body)
    buf += b"startxref\n%d\n%%%%EOF\n" % offsets[xnum]
    with open(path, "wb") as f:
        f.write(bytes(buf))


def make_linearized(path, tmp):
    src = os.path.join(tmp, "lin-src.pdf")
    with open(src, "wb") as f:
        f.write(classic_file("1.4", simple_pages(5, "Linearized, 5 pages"), "/Root 1 0 R"))
    qpdf("--linearize", "--deterministic-id", src, path)


def make_hybrid(path):
    """A hybrid-reference file (PDF 1.5, 7.5.8.4): the classic table leaves out the page and its
    font; the hidden cross-reference stream named by the trailer's /XRefStm says they are in
    object stream 6. A writer that reads only the classic table cannot find page 1."""
    body_objs = [(1, 0, "<< /Type /Catalog /Pages 2 0 R >>"),
                 (2, 0, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
                 (4, 0, stream("", text_content(["Hybrid-reference file",
                                                 "Page and font in an object stream"]))),
                 (6, 0, object_stream([
                     (3, "<< /Type /Page /Parent 2 0 R /MediaBox %s /Resources << /Font "
                         "<< /F1 5 0 R >> >> /Contents 4 0 R >>" % A4),
                     (5, font_obj())]))]
    buf = bytearray(b"%PDF-1.5\n" + BINARY_COMMENT)
    entries = {}
    for num, gen, body in body_objs:
        entries[num] = (len(buf), gen, "n")
        buf += obj_bytes(num, gen, body)
    xref_stm = len(buf)
    entries[7] = (xref_stm, 0, "n")
    data = xref_stream_entries([(2, 6, 0), (2, 6, 1)], (1, 2, 1))
    buf += obj_bytes(7, 0, stream("/Type /XRef /Size 8 /Index [3 1 5 1] /W [1 2 1]", data))
    # Objects 3 and 5 are absent from the table (its subsections skip them): a reader takes
    # the first entry it meets for a number, so a free entry here would hide them (poppler).
    entries[0] = (0, 65535, "f")
    start = len(buf)
    buf += xref_table(entries)
    buf += b"trailer\n<< /Size 8 /Root 1 0 R /XRefStm %d /ID %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        xref_stm, FILE_ID.encode(), start)
    with open(path, "wb") as f:
        f.write(bytes(buf))


def make_rotate90_inherited(path):
    """Page 1 inherits MediaBox, CropBox and Rotate 90 from an intermediate /Pages node; its
    text is drawn turned a quarter left, so it reads upright when shown turned 90 clockwise.
    Page 2, outside that node, is a plain portrait page."""
    # Shown: left-to-right is user +y, up is user -x; the shown top-left is user (20, 20).
    content = text_content(["Rotate 90, inherited from /Pages", "MediaBox, CropBox, Rotate",
                            "Upright when displayed"], matrix="0 1 -1 0 80 60")
    objs = [(1, 0, "<< /Type /Catalog /Pages 2 0 R >>"),
            (2, 0, "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>"),
            (3, 0, "<< /Type /Pages /Parent 2 0 R /Kids [4 0 R] /Count 1 /MediaBox [0 0 595 842]"
                   " /CropBox [20 20 575 822] /Rotate 90 /Resources << /Font << /F1 8 0 R >> >>"
                   " >>"),
            (4, 0, "<< /Type /Page /Parent 3 0 R /Contents 5 0 R >>"),
            (5, 0, stream("", content)),
            (6, 0, "<< /Type /Page /Parent 2 0 R /MediaBox %s /Resources << /Font << /F1 8 0 R"
                   " >> >> /Contents 7 0 R >>" % A4),
            (7, 0, stream("", text_content(["Page 2, portrait, no rotation"]))),
            (8, 0, font_obj())]
    with open(path, "wb") as f:
        f.write(classic_file("1.4", objs, "/Root 1 0 R /ID " + FILE_ID))


def make_rotated(path, angle):
    """One page with a direct /Rotate ANGLE; the text reads upright as displayed, from the
    shown top-left corner."""
    matrix = {180: "-1 0 0 -1 525 80", 270: "0 -1 1 0 515 770"}[angle]
    content = text_content(["Rotate %d on the page" % angle, "Upright when displayed"],
                           matrix=matrix)
    objs = [(1, 0, "<< /Type /Catalog /Pages 2 0 R >>"),
            (2, 0, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
            (3, 0, "<< /Type /Page /Parent 2 0 R /MediaBox %s /Rotate %d /Resources << /Font"
                   " << /F1 5 0 R >> >> /Contents 4 0 R >>" % (A4, angle)),
            (4, 0, stream("", content)),
            (5, 0, font_obj())]
    with open(path, "wb") as f:
        f.write(classic_file("1.4", objs, "/Root 1 0 R /ID " + FILE_ID))


def make_cropbox_offset(path):
    """MediaBox with a negative origin and a smaller CropBox: the shown page is the CropBox."""
    content = "\n".join([
        text_content(["Outside the CropBox: hidden"], matrix="1 0 0 1 -90 780"),
        text_content(["CropBox [0 0 400 700]", "MediaBox [-100 -50 500 800]"],
                     matrix="1 0 0 1 20 660"),
        "0 0 400 700 re S"])
    objs = [(1, 0, "<< /Type /Catalog /Pages 2 0 R >>"),
            (2, 0, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
            (3, 0, "<< /Type /Page /Parent 2 0 R /MediaBox [-100 -50 500 800] /CropBox"
                   " [0 0 400 700] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"),
            (4, 0, stream("", content)),
            (5, 0, font_obj())]
    with open(path, "wb") as f:
        f.write(classic_file("1.4", objs, "/Root 1 0 R /ID " + FILE_ID))


def form_objects(inline):
    """Objects of a one-page form: a filled text field with an appearance, an unsigned signature
    field "Signature1" and a link. INLINE: the page's /Annots array and the /AcroForm dictionary
    are direct; otherwise both are indirect (and so is /Fields)."""
    ap = stream("/Type /XObject /Subtype /Form /BBox [0 0 200 20] /Resources << /Font << /Helv"
                " 5 0 R >> >>", "/Tx BMC\nBT /Helv 12 Tf 0 g 2 5 Td (Tran Thi B) Tj ET\nEMC")
    text_field = ("<< /Type /Annot /Subtype /Widget /FT /Tx /T (HoTen) /V (Tran Thi B) /DA (/Helv"
                  " 12 Tf 0 g) /Rect [200 650 400 670] /F 4 /P 3 0 R /AP << /N 6 0 R >> >>")
    sig_field = ("<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /Rect [72 100 272"
                 " 160] /F 132 /P 3 0 R >>")
    link = ("<< /Type /Annot /Subtype /Link /Rect [72 600 300 620] /Border [0 0 1] /A << /S /URI"
            " /URI (https://example.org/dossier) >> >>")
    dr = "/DR << /Font << /Helv 5 0 R >> >> /DA (/Helv 0 Tf 0 g)"
    content = "\n".join([
        text_content(["Form with a text field, a signature field and a link"], size=14),
        text_content(["Ho ten:"], matrix="1 0 0 1 72 655", size=12),
        text_content(["https://example.org/dossier"], matrix="1 0 0 1 72 605", size=12),
        "72 100 200 60 re S"])
    objs = [(2, 0, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
            (4, 0, stream("", content)),
            (5, 0, font_obj()),
            (6, 0, ap),
            (7, 0, text_field),
            (8, 0, sig_field),
            (9, 0, link)]
    page = ("<< /Type /Page /Parent 2 0 R /MediaBox %s /Resources << /Font << /F1 5 0 R >> >>"
            " /Contents 4 0 R /Annots %s >>")
    if inline:
        objs.append((1, 0, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R 8 0 R]"
                           " %s /SigFlags 0 >> >>" % dr))
        objs.append((3, 0, page % (A4, "[7 0 R 8 0 R 9 0 R]")))
    else:
        objs.append((1, 0, "<< /Type /Catalog /Pages 2 0 R /AcroForm 10 0 R >>"))
        objs.append((3, 0, page % (A4, "11 0 R")))
        objs.append((10, 0, "<< /Fields 12 0 R %s >>" % dr))
        objs.append((11, 0, "[7 0 R 8 0 R 9 0 R]"))
        objs.append((12, 0, "[7 0 R 8 0 R]"))
    return sorted(objs)


def make_forms(path, inline):
    with open(path, "wb") as f:
        f.write(classic_file("1.6", form_objects(inline), "/Root 1 0 R /ID " + FILE_ID))


def make_incremental(path):
    """An original, then an update (classic table, /Prev) that gives page 1 new content."""
    objs = simple_pages(1, "Original revision")
    objs.append((6, 0, "<< /Producer (Acme Office 3.2) >>"))
    trailer = "/Root 1 0 R /Info 6 0 R /ID " + FILE_ID
    base = classic_file("1.4", objs, trailer)
    page = ("<< /Type /Page /Parent 2 0 R /MediaBox %s /Resources << /Font << /F1 3 0 R >> >>"
            " /Contents 7 0 R >>" % A4)
    content = stream("", text_content(["Updated revision", "Page 1 changed by an update"]))
    with open(path, "wb") as f:
        f.write(classic_update(base, [(4, 0, page), (7, 0, content)], trailer, 8))


def make_gen_nonzero(path):
    """Page 1 is object 4 generation 1: update 1 moves the page to object 7 and frees 4 (its
    generation becomes 1); update 2 puts the page back in 4 1 and frees 7."""
    objs = simple_pages(1, "Generation 0 page, replaced")
    trailer = "/Root 1 0 R /ID " + FILE_ID
    base = classic_file("1.4", objs, trailer)

    page_body = ("<< /Type /Page /Parent 2 0 R /MediaBox %s /Resources << /Font << /F1 3 0 R >>"
                 " >> /Contents 6 0 R >>" % A4)
    one = classic_update(base, [(2, 0, "<< /Type /Pages /Kids [7 0 R] /Count 1 >>"),
                                (7, 0, page_body)],
                         trailer, 8, free={0: (4, 65535), 4: (0, 1)})
    content = stream("", text_content(["Page 1 is object 4, generation 1",
                                       "Its number was freed and reused"]))
    page_gen1 = page_body.replace("/Contents 6 0 R", "/Contents 8 0 R")
    two = classic_update(one, [(2, 0, "<< /Type /Pages /Kids [4 1 R] /Count 1 >>"),
                               (4, 1, page_gen1), (8, 0, content)],
                         trailer, 9, free={0: (7, 65535), 7: (0, 1)})
    with open(path, "wb") as f:
        f.write(two)


def make_stray_before_startxref(path):
    """A classic table whose trailer is followed by a comment, NULs and a lone word before
    startxref: none of it is part of the file's structure."""
    data = classic_file("1.4", simple_pages(1, "Stray bytes before startxref"),
                        "/Root 1 0 R /ID " + FILE_ID)
    i = data.rindex(b"startxref")
    data = data[:i] + b"% written by Acme PDF 0.9\n\x00\x00\x00 junk\n" + data[i:]
    with open(path, "wb") as f:
        f.write(data)


def make_bytes_before_header(path):
    """PDF 2.0 with a mail header before %PDF-: every offset the file gives counts from the
    header (readers take them so: qpdf, Poppler, Acrobat)."""
    buf = bytearray(b"%PDF-2.0\n" + BINARY_COMMENT)
    offsets = {}
    for num, gen, body in simple_pages(1, "PDF 2.0, bytes before the header"):
        offsets[num] = len(buf)
        buf += obj_bytes(num, gen, body)
    xnum = max(offsets) + 1
    offsets[xnum] = len(buf)
    rows = [(0, 0, 65535)] + [(1, offsets[n], 0) for n in range(1, xnum + 1)]
    data = xref_stream_entries(rows, (1, 4, 2))
    body = stream("/Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /ID %s" % (xnum + 1, FILE_ID), data)
    buf += obj_bytes(xnum, 0, body)
    buf += b"startxref\n%d\n%%%%EOF\n" % offsets[xnum]
    with open(path, "wb") as f:
        f.write(b"Content-Type: application/pdf\r\nX-Mailer: Acme Mail 2.1\r\n\r\n" + bytes(buf))


def hybrid_original(words):
    """A hybrid-reference original (PDF 1.5): the catalog (1) and page 1 (3) live in object
    stream 6, which only the cross-reference stream 7 named by /XRefStm lists; the table lists
    the rest. Page 1 shows WORDS. Returns the bytes and the offset of stream 7."""
    body_objs = [(2, 0, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
                 (4, 0, stream("", text_content(words))),
                 (5, 0, font_obj()),
                 (6, 0, object_stream([
                     (1, "<< /Type /Catalog /Pages 2 0 R >>"),
                     (3, "<< /Type /Page /Parent 2 0 R /MediaBox %s /Resources << /Font "
                         "<< /F1 5 0 R >> >> /Contents 4 0 R >>" % A4)]))]
    buf = bytearray(b"%PDF-1.5\n" + BINARY_COMMENT)
    entries = {0: (0, 65535, "f")}
    for num, gen, body in body_objs:
        entries[num] = (len(buf), gen, "n")
        buf += obj_bytes(num, gen, body)
    xref_stm = len(buf)
    entries[7] = (xref_stm, 0, "n")
    data = xref_stream_entries([(2, 6, 0), (2, 6, 1)], (1, 2, 1))
    buf += obj_bytes(7, 0, stream("/Type /XRef /Size 8 /Index [1 1 3 1] /W [1 2 1]", data))
    start = len(buf)
    buf += xref_table(entries)
    buf += b"trailer\n<< /Size 8 /Root 1 0 R /XRefStm %d /ID %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        xref_stm, FILE_ID.encode(), start)
    return bytes(buf), xref_stm


EDITED_PAGE = ("<< /Type /Page /Parent 2 0 R /MediaBox %s /Resources << /Font << /F1 5 0 R >> >>"
               " /Contents 8 0 R %%s>>" % A4)


def make_hybrid_stale(path):
    """A hybrid original, then an update written by a program that knows only classic tables: it
    replaces page 1 (object 3, "EDITED AFTER") in its table, and copies the original's /XRefStm
    into its trailer, so that stream, which still puts object 3 in object stream 6, is named by
    the newest section too. The table's own entries come first (PDF 32000-1 7.5.8.4): page 1
    reads "EDITED AFTER" (qpdf, Poppler); the stale stream's copy is the original words."""
    base, xref_stm = hybrid_original(["ORIGINAL WORDS", "Hybrid-reference original"])
    content = stream("", text_content(["EDITED AFTER", "Page 1 replaced by an update"]))
    with open(path, "wb") as f:
        f.write(classic_update(base, [(3, 0, EDITED_PAGE % ""), (8, 0, content)],
                               "/Root 1 0 R /XRefStm %d /ID %s" % (xref_stm, FILE_ID), 9))


def make_forms_need_appearances(path):
    """A form as LibreOffice writes one: every widget has its appearance, and the AcroForm says
    /NeedAppearances true all the same."""
    objs = [(n, g, b.replace("<< /Fields 12 0 R", "<< /Fields 12 0 R /NeedAppearances true")
             if n == 10 else b) for n, g, b in form_objects(False)]
    with open(path, "wb") as f:
        f.write(classic_file("1.6", objs, "/Root 1 0 R /ID " + FILE_ID))


MANIFEST = [
    ("v13.pdf", "PDF 1.3 header, classic xref table, 1 page of Helvetica text, /Info, no /ID in "
                "the trailer (the writer must make one)"),
    ("v17-objstm.pdf", "PDF 1.7 by qpdf: cross-reference stream (Flate, PNG predictor 12) and an "
                       "object stream holding the catalog and pages, 3 pages; the update must "
                       "chain to an xref stream"),
    ("v20.pdf", "%PDF-2.0 header, one uncompressed cross-reference stream, no /Info"),
    ("linearized.pdf", "qpdf --linearize of 5 pages: hint stream, first-page xref section, "
                       "two startxref; the update must /Prev the main table"),
    ("hybrid.pdf", "hybrid-reference (PDF 1.5): the classic table leaves out page 1 and its font, "
                   "the trailer's /XRefStm names an xref stream that puts them in object stream 6"),
    ("rotate90-inherited.pdf", "intermediate /Pages node carries MediaBox [0 0 595 842], CropBox "
                               "[20 20 575 822], Rotate 90 and Resources; page 1 inherits all; "
                               "text upright as displayed; page 2 plain portrait"),
    ("rotate180.pdf", "direct /Rotate 180 on page 1, text upright as displayed"),
    ("rotate270.pdf", "direct /Rotate 270 on page 1, text upright as displayed"),
    ("cropbox-offset.pdf", "MediaBox [-100 -50 500 800], CropBox [0 0 400 700]: the stamp belongs "
                           "inside the CropBox's top right, not the MediaBox's"),
    ("forms-annots.pdf", "indirect /AcroForm with indirect /Fields, /DA, /DR (Helvetica); filled "
                         "text field HoTen; unsigned signature field Signature1 (no /V); page 1 "
                         "/Annots an indirect array with both widgets and a /Link"),
    ("forms-inline-annots.pdf", "as forms-annots.pdf, but /AcroForm is a direct dictionary in the "
                                "catalog and page 1's /Annots a direct array"),
    ("incremental.pdf", "one existing incremental update (classic tables, /Prev) that replaces "
                        "page 1 and its content; /Info and /ID carried in both trailers"),
    ("gen-nonzero.pdf", "two updates: the first frees object 4 (page 1, generation -> 1), the "
                        "second reuses it: page 1 is 4 1 R; free list through entry 0"),
    ("stray-before-startxref.pdf", "classic table; between the trailer and startxref a comment, "
                                   "three NULs and a lone word"),
    ("bytes-before-header.pdf", "%PDF-2.0 after a 60-byte mail header: every offset counts from "
                                "the header; the signed file starts at it"),
    ("hybrid-stale.pdf", "hybrid original (catalog and page 1 in an object stream only /XRefStm "
                         "lists), then a classic update that replaces page 1 (\"EDITED AFTER\") "
                         "and copies the stale /XRefStm into its trailer: the table wins"),
    ("forms-need-appearances.pdf", "as forms-annots.pdf, with /NeedAppearances true (every "
                                   "widget has its own appearance): the stamp must stay visible"),
]


# ---- signed files (--signed KEYDIR) ----

SIG_ROOM = 4600  # bytes of CMS a /Contents placeholder holds (3.5 KB are used)
BYTE_RANGE_HOLE = b"[0 0000000000 0000000000 0000000000]"



def sig_dict(subfilter="ETSI.CAdES.detached", extra=""):
    """A signature dictionary with a /Contents placeholder and a /ByteRange to fill in (a
    document timestamp's for /ETSI.RFC3161)."""
    kind = "DocTimeStamp" if subfilter == "ETSI.RFC3161" else "Sig"
    # Now: the test certificates are valid from yesterday on.
    when = time.strftime("D:%Y%m%d%H%M%SZ", time.gmtime())
    return ("<< /Type /%s /Filter /Adobe.PPKLite /SubFilter /%s /M (%s) /Name (Another signer) "
            "%s /ByteRange %s /Contents <%s> >>" % (kind, subfilter, when, extra,
                                                    BYTE_RANGE_HOLE.decode(), "0" * 2 * SIG_ROOM))


def docmdp_reference(p):
    return ("/Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type "
            "/TransformParams /P %d /V /1.2 >> >>]" % p)


def cms_sign(keys, tmp, data, md="sha256", options=()):
    """`openssl cms -sign` of DATA (detached, DER) with other-rsa and the test chain."""
    src, der = os.path.join(tmp, "ranges.bin"), os.path.join(tmp, "sig.der")
    with open(src, "wb") as f:
        f.write(data)
    k = lambda name: os.path.join(keys, name)  # noqa: E731
    subprocess.run(["openssl", "cms", "-sign", "-binary", "-in", src, "-signer", k("other-rsa.pem"),
                    "-inkey", k("other-rsa.key"), "-certfile", k("chain.pem"), "-outform", "DER",
                    "-out", der, "-md", md, "-nosmimecap", *options],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(der, "rb") as f:
        return f.read()


def fill_signature(data, keys, tmp, md="sha256", options=(), patch=None):
    """DATA with its last placeholder signature made: the /ByteRange of everything but the
    /Contents string, then the CMS over those ranges (PATCH may alter the CMS's bytes)."""
    data = bytearray(data)
    hole = data.rindex(BYTE_RANGE_HOLE)
    start = data.index(b"/Contents <", hole) + len(b"/Contents ")
    end = data.index(b">", start) + 1
    ranges = b"[0 %010d %010d %010d]" % (start, end, len(data) - end)
    data[hole:hole + len(ranges)] = ranges
    cms = cms_sign(keys, tmp, bytes(data[:start] + data[end:]), md, options)
    if patch:
        cms = patch(cms)
    assert len(cms) <= SIG_ROOM, "the CMS does not fit its placeholder"
    data[start + 1:start + 1 + 2 * len(cms)] = cms.hex().encode()
    return bytes(data)


def sign_widget(sig, page, name):
    return ("<< /Type /Annot /Subtype /Widget /FT /Sig /T (%s) /V %d 0 R /Rect [0 0 0 0] /F 132 "
            "/P %d 0 R >>" % (name, sig, page))


def signed_plain(keys, tmp, subfilter="ETSI.CAdES.detached", md="sha256", options=(),
                 extra="", perms=False, lock="", patch=None):
    """A plain one-page document, then an update that signs it (invisibly, field "Approval"):
    /SubFilter SUBFILTER, digest MD, `openssl cms` OPTIONS; EXTRA in the signature dictionary;
    with PERMS the catalog's /Perms /DocMDP names it (a certification); LOCK in the field."""
    objs = simple_pages(1, "Signed by another program")
    trailer = "/Root 1 0 R /ID " + FILE_ID
    base = classic_file("1.7", objs, trailer)
    catalog = ("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] /SigFlags 3 >> %s>>"
               % ("/Perms << /DocMDP 6 0 R >> " if perms else ""))
    page = ("<< /Type /Page /Parent 2 0 R /MediaBox %s /Resources << /Font << /F1 3 0 R >> >> "
            "/Contents 5 0 R /Annots [7 0 R] >>" % A4)
    field = sign_widget(6, 4, "Certification" if perms else "Approval")
    if lock:
        field = field[:-2] + lock + " >>"
    data = classic_update(base, [(1, 0, catalog), (4, 0, page), (6, 0, sig_dict(subfilter, extra)),
                                 (7, 0, field)], trailer, 8)
    return fill_signature(data, keys, tmp, md, options, patch)


def make_hybrid_stale_certified(keys, tmp):
    """As hybrid-stale.pdf, but the update also certifies the document (DocMDP P=2, field
    "Certification", other-rsa): its catalog (object 1: /AcroForm, /Perms) and page 1 are in the
    table, their stale originals in the object stream the copied /XRefStm names."""
    base, xref_stm = hybrid_original(["ORIGINAL WORDS", "Hybrid-reference original"])
    content = stream("", text_content(["EDITED AFTER", "Certified after the edit"]))
    catalog = ("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [10 0 R] /SigFlags 3 >> "
               "/Perms << /DocMDP 9 0 R >> >>")
    data = classic_update(base, [(1, 0, catalog), (3, 0, EDITED_PAGE % "/Annots [10 0 R] "),
                                 (8, 0, content), (9, 0, sig_dict(extra=docmdp_reference(2))),
                                 (10, 0, sign_widget(9, 3, "Certification"))],
                          "/Root 1 0 R /XRefStm %d /ID %s" % (xref_stm, FILE_ID), 11)
    return fill_signature(data, keys, tmp, options=("-cades",))


SHA256_OID = bytes.fromhex("0609608648016503040201")
UNKNOWN_OID = bytes.fromhex("060960864801650304027f")  # 2.16.840.1.101.3.4.2.127: no such digest


def unknown_digest(cms):
    """The CMS with its digest algorithm (SHA-256, outside the signed attributes) renamed to an
    OID no one knows: the signature cannot be checked, nor refuted."""
    assert SHA256_OID in cms
    return cms.replace(SHA256_OID, UNKNOWN_OID)


def tamper_after(data):
    """DATA with one signed byte changed: a letter of page 1's text."""
    i = data.index(b"(Signed by another program)")
    return data[:i + 1] + b"X" + data[i + 2:]


# name, maker (keys, tmp) -> bytes, what sohoa verify --trust ca.pem must say: its exit status
# and the state of each signature; what it exercises.
SIGNED = [
    ("certified-p1.pdf",
     lambda k, t: signed_plain(k, t, extra=docmdp_reference(1), perms=True, options=("-cades",)),
     0, "valid", "a certification (DocMDP P=1, no changes allowed): sohoa sign refuses it"),
    ("certified-p2.pdf",
     lambda k, t: signed_plain(k, t, extra=docmdp_reference(2), perms=True, options=("-cades",)),
     0, "valid", "a certification allowing form filling and signing (P=2): signed, with a note"),
    ("certified-p3.pdf",
     lambda k, t: signed_plain(k, t, extra=docmdp_reference(3), perms=True, options=("-cades",)),
     0, "valid", "a certification allowing annotations too (P=3): signed, with a note"),
    ("locked-p1.pdf",
     lambda k, t: signed_plain(k, t, options=("-cades",),
                               lock="/Lock << /Type /SigFieldLock /Action /All /P 1 >>"),
     0, "valid", "an approval signature whose field locks the document (PDF 2.0 /Lock /P 1): "
                 "refused like a certification"),
    ("hybrid-stale-certified.pdf", make_hybrid_stale_certified, 0, "valid",
     "hybrid-stale.pdf certified (P=2) in the update: pdfsig sees the signature; signing must "
     "keep it, its /Perms and the edited page 1"),
    ("sha384.pdf", lambda k, t: signed_plain(k, t, md="sha384", options=("-cades",)), 0, "valid",
     "PAdES with SHA-384"),
    ("sha512.pdf", lambda k, t: signed_plain(k, t, md="sha512", options=("-cades",)), 0, "valid",
     "PAdES with SHA-512"),
    ("sha1.pdf", lambda k, t: signed_plain(k, t, "adbe.pkcs7.detached", md="sha1"), 0, "valid",
     "adbe.pkcs7.detached with SHA-1: valid, said to be weak"),
    ("sha384-tampered.pdf",
     lambda k, t: tamper_after(signed_plain(k, t, md="sha384", options=("-cades",))), 1, "invalid",
     "SHA-384, one signed byte changed after signing"),
    ("md5.pdf", lambda k, t: signed_plain(k, t, "adbe.pkcs7.detached", md="md5"), 3, "unchecked",
     "adbe.pkcs7.detached with MD5: cannot be checked (not invalid)"),
    ("unknown-digest.pdf",
     lambda k, t: signed_plain(k, t, options=("-cades",), patch=unknown_digest), 3, "unchecked",
     "a digest algorithm OID nobody knows: cannot be checked"),
    ("doc-timestamp.pdf",
     lambda k, t: signed_plain(k, t, "ETSI.RFC3161"), 3, "unchecked",
     "/SubFilter /ETSI.RFC3161 (a document timestamp): cannot be checked here"),
    ("pkcs7-no-attributes.pdf",
     lambda k, t: signed_plain(k, t, "adbe.pkcs7.detached", options=("-noattr",)), 0, "valid",
     "adbe.pkcs7.detached without signed attributes (the digest signed directly): valid"),
    ("pkcs7-no-attributes-tampered.pdf",
     lambda k, t: tamper_after(signed_plain(k, t, "adbe.pkcs7.detached", options=("-noattr",))),
     1, "invalid", "the same with a signed byte changed"),
    ("cades-no-attributes.pdf",
     lambda k, t: signed_plain(k, t, options=("-noattr",)), 1, "invalid",
     "ETSI.CAdES.detached without signed attributes: PAdES requires them"),
]


def main_signed(keys, out):
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, make, _, _, _ in SIGNED:
            with open(os.path.join(out, name), "wb") as f:
                f.write(make(keys, tmp))
    with open(os.path.join(out, "MANIFEST-SIGNED.txt"), "w", encoding="utf-8") as f:
        f.write("# Written by tests/make_sign_corpus.py --signed: file, verify's exit status, the "
                "signature's state, what it is.\n")
        for name, _, status, state, what in SIGNED:
            f.write("%s %d %s %s\n" % (name, status, state, what))
    bad = 0
    for name, *_ in SIGNED:
        r = subprocess.run(["qpdf", "--check", os.path.join(out, name)], capture_output=True,
                           text=True)
        if r.returncode != 0:
            sys.stderr.write("%s: qpdf --check exit %d\n%s%s" % (name, r.returncode, r.stdout,
                                                                 r.stderr))
            bad += 1
    return 1 if bad else 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--signed":
        return main_signed(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 2:
        sys.stderr.write("usage: make_sign_corpus.py OUTDIR\n"
                         "       make_sign_corpus.py --signed KEYDIR OUTDIR\n")
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    if shutil.which("qpdf") is None:
        sys.stderr.write("make_sign_corpus.py: qpdf is needed (Debian package qpdf)\n")
        return 1
    p = lambda name: os.path.join(out, name)  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        make_v13(p("v13.pdf"))
        make_v17_objstm(p("v17-objstm.pdf"), tmp)
        make_v20(p("v20.pdf"))
        make_linearized(p("linearized.pdf"), tmp)
        make_hybrid(p("hybrid.pdf"))
        make_rotate90_inherited(p("rotate90-inherited.pdf"))
        make_rotated(p("rotate180.pdf"), 180)
        make_rotated(p("rotate270.pdf"), 270)
        make_cropbox_offset(p("cropbox-offset.pdf"))
        make_forms(p("forms-annots.pdf"), inline=False)
        make_forms(p("forms-inline-annots.pdf"), inline=True)
        make_incremental(p("incremental.pdf"))
        make_gen_nonzero(p("gen-nonzero.pdf"))
        make_stray_before_startxref(p("stray-before-startxref.pdf"))
        make_bytes_before_header(p("bytes-before-header.pdf"))
        make_hybrid_stale(p("hybrid-stale.pdf"))
        make_forms_need_appearances(p("forms-need-appearances.pdf"))
    with open(p("MANIFEST.txt"), "w", encoding="utf-8") as f:
        f.write("# Written by tests/make_sign_corpus.py: third-party-style PDFs for the sign "
                "writer.\n")
        for name, what in MANIFEST:
            f.write("%-24s %s\n" % (name, what))
    bad = 0
    for name, _ in MANIFEST:
        r = subprocess.run(["qpdf", "--check", p(name)], capture_output=True, text=True)
        if r.returncode != 0:
            sys.stderr.write("%s: qpdf --check exit %d\n%s%s" % (name, r.returncode, r.stdout,
                                                                 r.stderr))
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
