"""minipdf — the smallest classic PDF file around a list of objects, for the tests that make
their own PDFs (a text page, a JPEG page, a page with active content). Import it from a test
script's Python with the tests folder on the path:

    testpy - OUT <<'EOF'          (tests/cli/lib.sh: $PY with this folder on the path)
    import sys, minipdf
    content = b'BT /F1 24 Tf 72 700 Td (hello) Tj ET'
    minipdf.write(sys.argv[1], minipdf.text_page(content))
    EOF

Objects are numbered from 1 in the order given; object 1 is the catalog (/Root).
"""

CATALOG = b'<< /Type /Catalog /Pages 2 0 R >>'
PAGES = b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>'
HELVETICA = b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'


def stream(content, dictionary=b''):
    """A stream object: dictionary entries (bytes, without << >>) and its data."""
    return (b'<< %s/Length %d >>\nstream\n' % (dictionary + b' ' if dictionary else b'',
                                                 len(content))
            + content + b'\nendstream')


def text_page(content, width=595, height=842, page_extra=b''):
    """A one-page file's objects: the page shows content (operators) with /F1 = Helvetica."""
    return [CATALOG, PAGES,
            b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] %s/Resources << /Font '
            b'<< /F1 5 0 R >> >> /Contents 4 0 R >>' % (_num(width), _num(height), page_extra),
            stream(content), HELVETICA]


def jpeg_page(jpg, pixels, size_pt):
    """A one-page file's objects: the RGB JPEG jpg (pixels = (w, h)) edge to edge on a page of
    size_pt = (w, h) points, as a scan is."""
    (w, h), (pw, ph) = pixels, size_pt
    content = b'q %s 0 0 %s 0 0 cm /Im0 Do Q' % (_num(pw), _num(ph))
    return [CATALOG, PAGES,
            b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Resources << /XObject '
            b'<< /Im0 5 0 R >> >> /Contents 4 0 R >>' % (_num(pw), _num(ph)),
            stream(content),
            stream(jpg, b'/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace '
                   b'/DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode' % (w, h))]


def classic(objs, header=b'%PDF-1.7\n'):
    """The bytes of a file holding objs (bytes each) with a classic cross-reference table."""
    data, offs = bytearray(header), []
    for n, o in enumerate(objs, 1):
        offs.append(len(data))
        data += b'%d 0 obj\n' % n + o + b'\nendobj\n'
    x = len(data)
    data += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objs) + 1)
    data += b''.join(b'%010d 00000 n \n' % o for o in offs)
    data += b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (len(objs) + 1, x)
    return bytes(data)


def write(path, objs, header=b'%PDF-1.7\n'):
    with open(path, 'wb') as f:
        f.write(classic(objs, header))


def _num(v):
    """A PDF number: text as given; whole numbers without a fraction, others with four
    decimals."""
    if isinstance(v, str):
        return v.encode()
    return b'%d' % v if float(v).is_integer() else b'%.4f' % v
