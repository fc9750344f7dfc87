#!/usr/bin/env python3
"""Synthetic scanned pages with Vietnamese text, for sohoa's ingest and validate tests and benches.

Each page looks like a page of a Party-member curriculum vitae ("Lý lịch đảng viên") as a scan team
gets it off the scanner: a header, a title, three blocks of about twelve lines (personal details,
a ruled table, a narrative), a date, a signature stroke and a seal, plus a few specks of dust.
Everyone on the pages is fictional. The output is deterministic: the same arguments give the same
bytes (for a given Pillow, libtiff, zlib, libjpeg and DejaVu font).

Formats (--format):
  tiff-g4    1 bit, CCITT Group 4, PhotometricInterpretation MinIsWhite, one strip per page
  tiff-lzw   RGB colour, LZW, many strips (libtiff through Pillow: 64 KiB, 8 rows, each)
  tiff-gray  8-bit grey, uncompressed, one strip per page
  jpeg       RGB colour (off-white paper, blue-ish ink, red seal), quality 85, JFIF density = dpi
  png-gray   8-bit grey, pHYs = dpi (in pixels per metre: 300 ppi is 11811, read back 299.9994)
  png-rgb    RGB colour, pHYs = dpi
Every TIFF carries XResolution/YResolution = dpi, ResolutionUnit inch.

Files: OUTDIR/PREFIX-001.tif, PREFIX-002.tif, ... one page each; with --multipage (TIFF formats
only) one file OUTDIR/PREFIX.tif holding every page. The paths written are printed, one a line.

Usage: make_scans.py OUTDIR --format FMT [--pages N] [--dpi 300] [--multipage] [--size A4]
                     [--rotate 0|90|180|270] [--skew DEG] [--blank] [--seed N] [--prefix NAME]
Needs Python 3 and Pillow (Debian: python3-pil) and the DejaVu fonts (fonts-dejavu-core).
"""

import argparse
import math
import os
import random
import struct
import sys

try:
    from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageOps, TiffImagePlugin
except ImportError:
    # A python3 of its own (pyenv, a venv) may lack Pillow while Debian's has it (python3-pil).
    system_python = "/usr/bin/python3"
    if (os.path.exists(system_python) and not os.environ.get("MAKE_SCANS_REEXEC")
            and os.path.realpath(sys.executable) != os.path.realpath(system_python)):
        os.environ["MAKE_SCANS_REEXEC"] = "1"
        os.execv(system_python, [system_python, os.path.abspath(__file__)] + sys.argv[1:])
    sys.exit("make_scans.py: needs Pillow (Debian package python3-pil)")

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FORMATS = ("tiff-g4", "tiff-lzw", "tiff-gray", "jpeg", "png-gray", "png-rgb")
SIZES_MM = {  # width, height (portrait)
    "A3": (297.0, 420.0),
    "A4": (210.0, 297.0),
    "A5": (148.0, 210.0),
    "Letter": (215.9, 279.4),
    "Legal": (215.9, 355.6),
}
PAPER_RGB = (247, 243, 232)  # slightly off-white, as a scanner sees ordinary office paper
INK_RGB = (24, 38, 112)      # blue-ish ballpoint / faded print
SEAL_RGB = (206, 32, 38)     # red seal
PAPER_GRAY = 244
THRESHOLD = 150              # grey level under which a pixel turns black on bilevel pages

Transpose = getattr(Image, "Transpose", Image)      # Pillow >= 9.1 has the enum
Resampling = getattr(Image, "Resampling", Image)

# ---- text: fictional people, real places, the wording of the form ----

NAMES = [
    "Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Hoàng Phúc", "Phạm Thị Thu Hằng",
    "Võ Minh Đức", "Đặng Quốc Huy", "Huỳnh Thị Mỹ Duyên", "Bùi Đức Thắng",
    "Đỗ Thị Lan Anh", "Hồ Ngọc Quý", "Ngô Thị Ánh Tuyết", "Dương Văn Lực",
]
PLACES = [  # (commune, district, province)
    ("xã Tân Phú", "huyện Châu Thành", "tỉnh Đồng Tháp"),
    ("xã Hòa Bình", "huyện Tam Nông", "tỉnh Phú Thọ"),
    ("phường Điện Biên", "quận Ba Đình", "thành phố Hà Nội"),
    ("xã Nghĩa Hưng", "huyện Lạng Giang", "tỉnh Bắc Giang"),
    ("thị trấn Phú Lộc", "huyện Phú Lộc", "tỉnh Thừa Thiên Huế"),
    ("xã Ea Tu", "thành phố Buôn Ma Thuột", "tỉnh Đắk Lắk"),
    ("xã Quỳnh Lưu", "huyện Nho Quan", "tỉnh Ninh Bình"),
    ("phường Mỹ Phước", "thành phố Long Xuyên", "tỉnh An Giang"),
]
JOBS = [
    "giáo viên trung học phổ thông", "kỹ sư xây dựng", "y sĩ trạm y tế xã",
    "cán bộ văn phòng Đảng ủy xã", "nông dân", "kế toán hợp tác xã",
    "công nhân cơ khí", "chuyên viên Phòng Nội vụ huyện",
]
STREETS = ["Nguyễn Huệ", "Lê Lợi", "Trần Hưng Đạo", "Hai Bà Trưng", "Lý Thường Kiệt", "Hùng Vương"]
WORK = [
    "Học sinh Trường Trung học phổ thông {d}",
    "Sinh viên Trường Đại học Sư phạm, khoa Toán",
    "Đoàn viên, bí thư chi đoàn lớp",
    "Nhân viên hợp đồng Ủy ban nhân dân {c}",
    "Cán bộ Hội Liên hiệp Thanh niên {d}",
    "Phó bí thư Đoàn xã, {c}",
    "Được kết nạp vào Đảng tại chi bộ {c}",
    "Chuyên viên Phòng Giáo dục và Đào tạo {d}",
    "Bí thư chi bộ ấp, kiêm trưởng ấp",
    "Học lớp trung cấp lý luận chính trị tại {p}",
    "Ủy viên Ban Chấp hành Đảng bộ {c}",
    "Phó Chủ tịch Ủy ban nhân dân {c}",
    "Chủ tịch Hội Nông dân {c}",
    "Công tác tại Văn phòng Huyện ủy {d}",
]
NARRATIVE = [
    "Bản thân luôn trung thành với Tổ quốc, với Đảng, chấp hành nghiêm chủ trương, đường lối "
    "của Đảng, chính sách và pháp luật của Nhà nước.",
    "Có phẩm chất đạo đức, lối sống lành mạnh, khiêm tốn, giản dị; đoàn kết, gần gũi và được "
    "quần chúng nhân dân nơi cư trú tín nhiệm.",
    "Hoàn thành tốt nhiệm vụ được giao; tích cực học tập nâng cao trình độ lý luận chính trị, "
    "chuyên môn, nghiệp vụ.",
    "Thường xuyên giữ mối liên hệ với chi ủy, đảng ủy nơi cư trú và thực hiện đầy đủ nghĩa vụ "
    "công dân tại địa phương.",
    "Khuyết điểm: đôi khi chưa mạnh dạn trong tự phê bình và phê bình; sẽ khắc phục trong thời "
    "gian tới.",
    "Gia đình chấp hành tốt chủ trương của Đảng, chính sách, pháp luật của Nhà nước; không ai vi "
    "phạm pháp luật.",
    "Bố đẻ là nông dân, đảng viên, đã nghỉ hưu; mẹ đẻ làm ruộng, hiện sống tại quê quán.",
    "Vợ (chồng) là viên chức ngành y tế, hiện công tác tại trung tâm y tế huyện.",
]
CLOSING = ("Tôi xin cam đoan những lời khai trên là đúng sự thật, nếu có điều gì khai man tôi xin "
           "hoàn toàn chịu trách nhiệm trước Đảng.")


def details_lines(rng):
    """Block 1: personal details, twelve numbered lines as on the printed form."""
    name = rng.choice(NAMES)
    male = "Thị" not in name
    c, d, p = rng.choice(PLACES)
    hc, hd, hp = rng.choice(PLACES)
    year = rng.randint(1962, 1999)
    joined = year + rng.randint(20, 26)
    return name, (c, d, p), [
        f"1) Họ và tên đang dùng: {name}        2) Nam, nữ: {'Nam' if male else 'Nữ'}",
        f"3) Họ và tên khai sinh: {name}        4) Bí danh: không",
        f"5) Sinh ngày {rng.randint(1, 28)} tháng {rng.randint(1, 12)} năm {year}",
        f"6) Nơi sinh: {c}, {d}, {p}",
        f"7) Quê quán: {hc}, {hd}, {hp}",
        f"8) Nơi thường trú: số {rng.randint(2, 240)} đường {rng.choice(STREETS)}, {c}, {p}",
        f"9) Dân tộc: Kinh        10) Tôn giáo: không        11) Số CCCD: 001{int(not male)}"
        f"{year % 100:02d}"
        f"{rng.randint(0, 999999):06d}",
        f"12) Nghề nghiệp hiện nay: {rng.choice(JOBS)}",
        "13) Trình độ: giáo dục phổ thông 12/12; chuyên môn: đại học; lý luận chính trị: trung cấp",
        f"14) Ngày vào Đảng: {rng.randint(1, 28)} tháng {rng.randint(1, 12)} năm {joined}, "
        f"tại chi bộ {c}",
        f"15) Ngày chính thức: {rng.randint(1, 28)} tháng {rng.randint(1, 12)} năm {joined + 1}; "
        f"số thẻ đảng viên: {rng.randint(10, 99)}.{rng.randint(0, 999999):06d}",
        f"16) Người giới thiệu vào Đảng: {rng.choice(NAMES)}, bí thư chi bộ",
    ]


def table_rows(rng, place):
    """Block 2: the career table, eleven rows under a heading row."""
    c, d, p = place
    start = rng.randint(1984, 1998)  # steps of 1-2 years: the last row ends by 2020
    rows = []
    k = rng.randrange(len(WORK))
    for _ in range(11):
        end = start + rng.randint(1, 2)
        what = WORK[k % len(WORK)].format(c=c, d=d, p=p)
        rows.append((f"{rng.randint(1, 12):02d}/{start} – {rng.randint(1, 12):02d}/{end}", what))
        start = end
        k += rng.randint(1, 2)
    return rows


def wrap(text, font, width):
    words, lines, cur = text.split(), [], ""
    for w in words:
        trial = f"{cur} {w}" if cur else w
        if cur and font.getlength(trial) > width:
            lines.append(cur)
            cur = w
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines


# ---- drawing ----

class Fonts:
    def __init__(self, px_per_pt):
        serif = os.path.join(FONT_DIR, "DejaVuSerif.ttf")
        serif_bold = os.path.join(FONT_DIR, "DejaVuSerif-Bold.ttf")
        sans = os.path.join(FONT_DIR, "DejaVuSans.ttf")
        sans_bold = os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf")
        if not os.path.exists(sans):
            sys.exit(f"make_scans.py: {sans} not found (Debian package fonts-dejavu-core)")
        regular = serif if os.path.exists(serif) else sans
        bold = serif_bold if os.path.exists(serif_bold) else (
            sans_bold if os.path.exists(sans_bold) else regular)

        def f(path, pt):
            return ImageFont.truetype(path, max(6, round(pt * px_per_pt)))
        self.body = f(regular, 10)     # 42 px at 300 ppi
        self.small = f(regular, 9)
        self.small_bold = f(bold, 9)
        self.bold = f(bold, 10)
        self.title = f(bold, 16)


def signature_points(rng, x0, y0, w, h):
    """A cursive-looking stroke: a drifting loop curve, about w wide and h high."""
    loops = rng.randint(4, 7)
    r = h * rng.uniform(0.25, 0.4)
    a1, p1, p2 = rng.uniform(0.15, 0.3), rng.uniform(0, 6.3), rng.uniform(0, 6.3)
    pts = []
    n = 240
    for i in range(n + 1):
        t = i / n
        ang = 2 * math.pi * loops * t + p1
        x = x0 + w * t + r * 0.8 * math.cos(ang)
        y = y0 + h * 0.5 + r * math.sin(ang) + h * a1 * math.sin(2 * math.pi * t + p2) \
            - h * 0.3 * t
        pts.append((x, y))
    # the closing flourish: a long underline back to the left
    xe, ye = pts[-1]
    for i in range(1, 41):
        t = i / 40
        pts.append((xe - w * 0.9 * t, ye + h * 0.45 * math.sin(math.pi * t * 0.5) + h * 0.2 * t))
    # fitted into the box x0..x0+w, y0..y0+h
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    sx, sy = w / (max(xs) - min(xs)), h / (max(ys) - min(ys))
    return [(x0 + (x - min(xs)) * sx, y0 + (y - min(ys)) * sy) for x, y in pts]


def seal_tile(diameter, u, mode):
    """A round seal (two rings, a star, the words around), red on white (or grey on white)."""
    size = diameter + 4
    if mode == "RGB":
        img, ink = Image.new("RGB", (size, size), (255, 255, 255)), SEAL_RGB
    else:
        img, ink = Image.new("L", (size, size), 255), 120
    d = ImageDraw.Draw(img)
    c = size / 2
    w = max(1, round(0.9 * u))
    for rad in (diameter / 2 - w, diameter / 2 - 8 * u):
        d.ellipse((c - rad, c - rad, c + rad, c + rad), outline=ink, width=w)
    rs = diameter * 0.14
    star = []
    for k in range(10):
        rr = rs if k % 2 == 0 else rs * 0.4
        a = -math.pi / 2 + k * math.pi / 5
        star.append((c + rr * math.cos(a), c + rr * math.sin(a)))
    d.polygon(star, fill=ink)
    # the words around the rim, one glyph at a time
    bold = os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf")
    font = ImageFont.truetype(bold if os.path.exists(bold)
                              else os.path.join(FONT_DIR, "DejaVuSans.ttf"), max(6, round(5 * u)))
    text = "ĐẢNG ỦY XÃ TÂN PHÚ * CHI BỘ ẤP 3 *"
    rt = diameter / 2 - 4.2 * u
    for i, ch in enumerate(text):
        a = -math.pi / 2 + 2 * math.pi * i / len(text)
        glyph = Image.new("L", (font.size * 2, font.size * 2), 0)
        ImageDraw.Draw(glyph).text((font.size, font.size), ch, font=font, fill=255, anchor="mm")
        glyph = glyph.rotate(-math.degrees(a) - 90, resample=Resampling.BILINEAR)
        gx = round(c + rt * math.cos(a) - glyph.width / 2)
        gy = round(c + rt * math.sin(a) - glyph.height / 2)
        img.paste(ink, (gx, gy, gx + glyph.width, gy + glyph.height), glyph)
    return img


def render_text_layer(w_px, h_px, dpi, scale, rng, page_no, n_pages):
    """The page's ink as an L image (0 ink, 255 paper), and where the seal goes."""
    u = dpi / 72.0 * scale  # pixels per A4 point
    fonts = Fonts(u)
    img = Image.new("L", (w_px, h_px), 255)
    d = ImageDraw.Draw(img)
    content_w = 482 * u
    x0 = (w_px - content_w) / 2
    top = (h_px - 728 * u) / 2
    y = top
    lh = 14 * u  # line height of body text

    d.text((x0, y), "Mẫu 2-HSĐV", font=fonts.small, fill=0)
    d.text((x0 + content_w, y), "ĐẢNG CỘNG SẢN VIỆT NAM", font=fonts.bold, fill=0, anchor="ra")
    y += 18 * u
    d.text((x0 + content_w / 2, y + 4 * u), "LÝ LỊCH ĐẢNG VIÊN", font=fonts.title, fill=0,
           anchor="ma")
    y += 40 * u

    name, place, lines = details_lines(rng)
    for line in lines:
        d.text((x0, y), line, font=fonts.body, fill=0)
        y += lh
    y += 10 * u

    # Block 2: a ruled table, a heading row and eleven rows.
    rows = table_rows(rng, place)
    row_h = 14.5 * u
    col = x0 + 158 * u
    lw = max(1, round(0.6 * u))
    table_top = y
    d.text((x0 + 79 * u, y + row_h / 2), "Từ tháng năm – đến tháng năm", font=fonts.small_bold,
           fill=0, anchor="mm")
    d.text(((col + x0 + content_w) / 2, y + row_h / 2), "Làm công việc gì, ở đâu, giữ chức vụ gì",
           font=fonts.bold, fill=0, anchor="mm")
    y += row_h
    for when, what in rows:
        d.line((x0, y, x0 + content_w, y), fill=0, width=lw)
        d.text((x0 + 6 * u, y + row_h / 2), when, font=fonts.body, fill=0, anchor="lm")
        while fonts.body.getlength(what) > content_w - 168 * u and " " in what:
            what = what.rsplit(" ", 1)[0]
        d.text((col + 6 * u, y + row_h / 2), what, font=fonts.body, fill=0, anchor="lm")
        y += row_h
    d.rectangle((x0, table_top, x0 + content_w, y), outline=0, width=lw)
    d.line((col, table_top, col, y), fill=0, width=lw)
    y += 12 * u

    # Block 3: narrative, the heading and eleven wrapped lines.
    d.text((x0, y), "TỰ NHẬN XÉT VỀ ƯU, KHUYẾT ĐIỂM VÀ QUAN HỆ GIA ĐÌNH", font=fonts.bold, fill=0)
    y += lh
    text_lines = []
    for p in rng.sample(NARRATIVE, len(NARRATIVE)):  # whole paragraphs, as many as fit
        more = wrap(p, fonts.body, content_w)
        if len(text_lines) + len(more) <= 9:
            text_lines += more
    text_lines += wrap(CLOSING, fonts.body, content_w)[:2]
    for line in text_lines:
        d.text((x0, y), line, font=fonts.body, fill=0)
        y += lh
    y += 8 * u

    # Date, "NGƯỜI KHAI", the signature and the name, right half.
    cx = x0 + content_w * 0.72
    province = place[2].split(" ", 1)[1] if " " in place[2] else place[2]
    d.text((cx, y), f"{province}, ngày {rng.randint(1, 28)} tháng {rng.randint(1, 12)} năm 2026",
           font=fonts.body, fill=0, anchor="ma")
    y += lh
    d.text((cx, y), "NGƯỜI KHAI", font=fonts.bold, fill=0, anchor="ma")
    y += lh + 4 * u
    sig_w, sig_h = 110 * u, 30 * u
    pts = signature_points(rng, cx - sig_w / 2, y, sig_w, sig_h)
    d.line(pts, fill=0, width=max(2, round(1.1 * u)), joint="curve")
    seal_at = (cx - sig_w * 0.55, y + sig_h * 0.4)  # over the signature's left end, as stamped
    y += sig_h + 4 * u
    d.text((cx, y), name, font=fonts.bold, fill=0, anchor="ma")

    d.text((x0 + content_w / 2, top + 728 * u), f"Trang {page_no}/{n_pages}", font=fonts.small,
           fill=0, anchor="md")
    return img, seal_at, u


def add_specks(img, rng, u, gray):
    """A few specks of dust on the glass: small dark dots, too few to matter."""
    d = ImageDraw.Draw(img)
    w, h = img.size
    for _ in range(rng.randint(6, 14)):
        r = rng.uniform(0.3, 1.0) * u
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        fill = 0 if img.mode == "1" else ((60, 60, 60) if img.mode == "RGB" else 60)
        if gray and rng.random() < 0.4:  # some faint ones where grey levels exist
            fill = (170, 170, 170) if img.mode == "RGB" else 170
        d.ellipse((x - r, y - r, x + r, y + r), fill=fill)


def make_page(args, page_no, w_px, h_px, scale):
    """One page in the output's pixel mode: "1", "L" or "RGB"."""
    rng = random.Random(f"make_scans:{args.seed}:{page_no}")
    out_mode = {"tiff-g4": "1", "tiff-gray": "L", "png-gray": "L"}.get(args.format, "RGB")
    work_mode = "RGB" if out_mode == "RGB" else "L"
    u = args.dpi / 72.0 * scale
    paper = PAPER_RGB if work_mode == "RGB" else (255 if out_mode == "1" else PAPER_GRAY)

    if args.blank:
        img = Image.new(work_mode, (w_px, h_px), paper)
    else:
        text, seal_at, u = render_text_layer(w_px, h_px, args.dpi, scale, rng, page_no,
                                             args.pages)
        if work_mode == "RGB":
            img = ImageOps.colorize(text, black=INK_RGB, white=PAPER_RGB)
        elif out_mode == "L":
            # Paper is never pure white on a grey scan: map 255 to the paper tone.
            lut = [round(v * PAPER_GRAY / 255) for v in range(256)]
            img = text.point(lut)
        else:
            img = text
        del text
        seal = seal_tile(round(64 * u), u, work_mode)
        sx, sy = round(seal_at[0] - seal.width / 2), round(seal_at[1] - seal.height / 2)
        box = (sx, sy, sx + seal.width, sy + seal.height)
        region = img.crop(box)
        region = ImageChops.multiply(region, seal)
        img.paste(region, box)

    if args.skew:
        fill = paper
        img = img.rotate(args.skew, resample=Resampling.BILINEAR, expand=False, fillcolor=fill)
    if out_mode == "1":
        img = img.point([0] * THRESHOLD + [255] * (256 - THRESHOLD), "1")
    if args.rotate:  # turned clockwise, as a page put sideways or upside down on the glass
        img = img.transpose({90: Transpose.ROTATE_270, 180: Transpose.ROTATE_180,
                             270: Transpose.ROTATE_90}[args.rotate])
    add_specks(img, rng, u, out_mode != "1")
    return img


# ---- writing ----

def set_min_is_white(path):
    """Set PhotometricInterpretation to 0 (MinIsWhite) in every IFD of a little-endian TIFF.
    Pillow writes mode "1" as MinIsBlack (and inverts pixel by pixel in Python when asked for
    MinIsWhite), so the pages are inverted beforehand and the tag is changed here."""
    with open(path, "r+b") as f:
        head = f.read(8)
        if head[:4] != b"II*\0":
            raise RuntimeError(f"{path}: not a little-endian TIFF")
        (ifd,) = struct.unpack("<I", head[4:8])
        seen = 0
        while ifd:
            f.seek(ifd)
            (n,) = struct.unpack("<H", f.read(2))
            entries = f.read(12 * n)
            for i in range(n):
                tag, typ, count = struct.unpack("<HHI", entries[12 * i:12 * i + 8])
                if tag == 262:
                    if typ != 3 or count != 1:
                        raise RuntimeError(f"{path}: unexpected PhotometricInterpretation entry")
                    f.seek(ifd + 2 + 12 * i + 8)
                    f.write(struct.pack("<H", 0))
                    seen += 1
            f.seek(ifd + 2 + 12 * n)
            (ifd,) = struct.unpack("<I", f.read(4))
        if not seen:
            raise RuntimeError(f"{path}: no PhotometricInterpretation tag")


def tiff_options(fmt, dpi):
    opts = {"format": "TIFF", "dpi": (dpi, dpi)}
    if fmt == "tiff-g4":
        # one strip per page: libtiff's rows per strip is strip_size // bytes per row
        opts.update(compression="group4", strip_size=1 << 30)
    elif fmt == "tiff-lzw":
        opts.update(compression="tiff_lzw")
    else:
        opts.update(compression="raw")
    return opts


def save_page(img, path, fmt, dpi):
    if fmt.startswith("tiff"):
        if fmt == "tiff-g4":
            img = ImageChops.invert(img)
        img.save(path, **tiff_options(fmt, dpi))
        if fmt == "tiff-g4":
            set_min_is_white(path)
    elif fmt == "jpeg":
        img.save(path, "JPEG", quality=85, dpi=(dpi, dpi))
    else:
        img.save(path, "PNG", dpi=(dpi, dpi))


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Write synthetic scanned pages (Vietnamese Party-member CV pages) for "
                    "sohoa's tests and benchmarks. Deterministic: the same arguments give the "
                    "same bytes.")
    ap.add_argument("outdir", help="folder to write into (created if missing)")
    ap.add_argument("--format", required=True, choices=FORMATS)
    ap.add_argument("--pages", type=int, default=1, metavar="N", help="number of pages (default 1)")
    ap.add_argument("--dpi", type=int, default=300, metavar="PPI",
                    help="resolution, pixels per inch (300)")
    ap.add_argument("--multipage", action="store_true",
                    help="TIFF formats: one file PREFIX.tif holding every page")
    ap.add_argument("--size", default="A4", choices=sorted(SIZES_MM), help="paper size (A4)")
    ap.add_argument("--rotate", type=int, default=0, choices=(0, 90, 180, 270),
                    help="turn each page clockwise by this much, as if put on the glass sideways "
                         "(90, 270: a landscape image) or upside down (180)")
    ap.add_argument("--skew", type=float, default=0.0, metavar="DEG",
                    help="tilt the page content by DEG degrees, counter-clockwise positive")
    ap.add_argument("--blank", action="store_true", help="near-empty pages: paper and specks")
    ap.add_argument("--seed", type=int, default=1, metavar="N",
                    help="seed of the content and specks (1)")
    ap.add_argument("--prefix", default="scan", metavar="NAME", help="file name prefix (scan)")
    args = ap.parse_args(argv)

    if args.pages < 1 or args.pages > 100000:
        ap.error("--pages must be 1..100000")
    if args.dpi < 50 or args.dpi > 1200:
        ap.error("--dpi must be 50..1200")
    if args.multipage and not args.format.startswith("tiff"):
        ap.error("--multipage needs a TIFF format (tiff-g4, tiff-lzw, tiff-gray)")
    if not args.prefix or "/" in args.prefix:
        ap.error("--prefix must be a plain file name prefix")

    w_mm, h_mm = SIZES_MM[args.size]
    w_px, h_px = round(w_mm / 25.4 * args.dpi), round(h_mm / 25.4 * args.dpi)
    scale = min(w_mm / 210.0, h_mm / 297.0)  # the layout is drawn for A4 and scaled to fit
    ext = {"jpeg": ".jpg", "png-gray": ".png", "png-rgb": ".png"}.get(args.format, ".tif")
    os.makedirs(args.outdir, exist_ok=True)

    if args.multipage:
        path = os.path.join(args.outdir, args.prefix + ext)
        tmp = path + ".part"
        opts = tiff_options(args.format, args.dpi)
        # Page by page through Pillow's multi-page writer, so memory stays one page's worth.
        with TiffImagePlugin.AppendingTiffWriter(tmp, new=True) as tf:
            for i in range(1, args.pages + 1):
                img = make_page(args, i, w_px, h_px, scale)
                if args.format == "tiff-g4":
                    img = ImageChops.invert(img)
                img.save(tf, **opts)
                tf.newFrame()
        if args.format == "tiff-g4":
            set_min_is_white(tmp)
        os.replace(tmp, path)
        print(path)
    else:
        for i in range(1, args.pages + 1):
            path = os.path.join(args.outdir, f"{args.prefix}-{i:03d}{ext}")
            save_page(make_page(args, i, w_px, h_px, scale), path, args.format, args.dpi)
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
