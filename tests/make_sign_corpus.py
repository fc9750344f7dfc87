#!/usr/bin/env python3
"""Third-party-style PDFs for the incremental-update writer of `sohoa sign`.

Usage: python3 tests/make_sign_corpus.py OUTDIR

Each file is small, valid (`qpdf --check` finds nothing) and shaped like something another program
wrote: old classic tables, cross-reference and object streams, a hybrid-reference file, a
linearized file, inherited and rotated page geometry, forms with existing annotations, /Prev
chains and a reused object number. OUTDIR/MANIFEST.txt says what each one exercises. Standard
library only, plus the qpdf command for the object-stream and linearized files; the output is the
same on every run (no clock, no randomness, qpdf with --deterministic-id). Prints nothing when
all went well; exits 1 naming the file qpdf rejected otherwise.
"""
import os
import shutil
import subprocess
import sys
import tempfile

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
]


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: make_sign_corpus.py OUTDIR\n")
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
