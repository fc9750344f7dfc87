#!/usr/bin/env python3
"""A scanned-looking PDF of a chosen size, for the signing benchmark.

Usage: python3 bench/make_big_pdf.py OUT.pdf --pages N [--page-bytes B] [--seed S]

Each page is A4 holding one 300-ppi image XObject labelled DCTDecode whose data is B bytes of
incompressible pseudo-random noise between JPEG start and end markers: the size and shape of a
colour scan as a scanner driver writes it (PDF 1.4, classic cross-reference table), without
the cost of encoding. The images do not decode: the file is for signing and parsing, not for
viewing. Standard library only; the same arguments give the same bytes.
"""
import argparse
import random
import sys

A4_W, A4_H = 595, 842
PX_W, PX_H = 2480, 3508  # A4 at 300 ppi


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--pages", type=int, required=True)
    ap.add_argument("--page-bytes", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    # Objects: 1 catalog, 2 pages, then per page i: page 3+3i, content 4+3i, image 5+3i.
    n_obj = 3 + 3 * a.pages
    offsets = [0] * n_obj
    with open(a.out, "wb") as f:
        pos = 0

        def put(data):
            nonlocal pos
            f.write(data)
            pos += len(data)

        def obj(num, body, data=None):
            offsets[num] = pos
            put(b"%d 0 obj\n" % num + body)
            if data is not None:
                put(b"\nstream\n")
                put(data)
                put(b"\nendstream")
            put(b"\nendobj\n")

        put(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        kids = b" ".join(b"%d 0 R" % (3 + 3 * i) for i in range(a.pages))
        obj(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, a.pages))
        content = b"q %d 0 0 %d 0 0 cm /Im0 Do Q" % (A4_W, A4_H)
        for i in range(a.pages):
            page, cont, img = 3 + 3 * i, 4 + 3 * i, 5 + 3 * i
            obj(page, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << "
                      b"/XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
                % (A4_W, A4_H, img, cont))
            obj(cont, b"<< /Length %d >>" % len(content), content)
            noise = rng.getrandbits(8 * (a.page_bytes - 4)).to_bytes(a.page_bytes - 4, "little")
            obj(img, b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
                     b"/DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>"
                % (PX_W, PX_H, a.page_bytes), b"\xff\xd8" + noise + b"\xff\xd9")
        xref = pos
        put(b"xref\n0 %d\n0000000000 65535 f \n" % n_obj)
        for off in offsets[1:]:
            put(b"%010d 00000 n \n" % off)
        put(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (n_obj, xref))
    return 0


if __name__ == "__main__":
    sys.exit(main())
