#!/usr/bin/env python3
"""A labelled corpus of scanned-looking pages for sohoa's page analysis (validate): orientation,
skew, blank pages, sparse pages, cropped edges, missing corners and duplicates.

The pages come from make_scans.py (imported: its CV layout, fonts, signature, seal and specks);
the defects are added here. Output: OUTDIR/NNN-KIND.{tif,png,jpg} and OUTDIR/labels.csv with

  file       the image's name
  kind       cv, blank, sparse-sig, sparse-stamp, sparse-line, sparse-sigline, crop, corner, dup
  format     tiff-g4 (bilevel), tiff-gray / png-gray (grey), jpeg / png-rgb (colour)
  dpi        150..300
  turned     clockwise degrees the page was turned on the glass (make_scans --rotate)
  rotate     clockwise degrees that make the image upright again: (360 - turned) % 360
  skew       content tilt in degrees, counter-clockwise positive (make_scans --skew)
  blank      1 for a page with no content (paper, dust, holes, a dark edge strip, tint)
  cropped    edges where content runs off the image: bits 1 top, 2 right, 4 bottom, 8 left
  corner     a missing (dark) corner: 0 none, 1 top-left, 2 top-right, 3 bottom-right, 4 bottom-left
  dup_of     the file this page is a rescan of (empty if none)
  defects    extra conditions, ';'-separated: noise, holes, strip, tint

With --forms, the corpus is the duplicate check's instead: one printed form ("PHIẾU BỔ SUNG HỒ SƠ
ĐẢNG VIÊN": headings, labelled fields on dotted leaders, a ruled table) filled in by hand for many
people, for one person over several years, and as consecutive pages of one long table; some of
those sheets are scanned a second time, shifted, tilted, darker, lighter, speckled, at 200 instead
of 300 ppi, as JPEG instead of G4, or tilted and darker at once. labels.csv then has two more
columns: sheet (the paper sheet the page is a scan of: rescans share their original's) and fill
(person, year, table). No page is turned, blank, cropped or missing a corner.

Deterministic. Usage: make_corpus.py OUTDIR [--small] [--forms]
  --small: a quarter of the pages (with --forms: 12 fills and one rescan of each kind)
Needs Python 3 with Pillow (Debian python3-pil) and fonts-dejavu-core, like make_scans.py.
"""

import argparse
import csv
import math
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_scans as ms  # noqa: E402  (re-executes under /usr/bin/python3 if Pillow is missing)
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps  # noqa: E402

A4_MM = (210.0, 297.0)
EXT = {"tiff-g4": ".tif", "tiff-gray": ".tif", "jpeg": ".jpg", "png-gray": ".png",
       "png-rgb": ".png"}
TINT_RGB = (236, 222, 188)  # old, yellowed paper


def mode_of(fmt):
    return {"tiff-g4": "1", "tiff-gray": "L", "png-gray": "L"}.get(fmt, "RGB")


def paper_of(fmt, tint):
    if mode_of(fmt) == "RGB":
        return TINT_RGB if tint else ms.PAPER_RGB
    if mode_of(fmt) == "1":
        return 255
    return 214 if tint else ms.PAPER_GRAY


def colourise(text, fmt, tint):
    """An L text layer (0 ink, 255 paper) to the working image of the format."""
    paper = paper_of(fmt, tint)
    if mode_of(fmt) == "RGB":
        return ImageOps.colorize(text, black=ms.INK_RGB, white=paper)
    lut = [round(v * paper / 255) for v in range(256)]
    return text.point(lut)


def sparse_layer(kind, w, h, dpi, rng):
    """Content that is not blank but nearly: a signature, a stamp, one sentence, or a sentence
    above a slanted signature. Returns the L layer and where a seal goes (or None)."""
    u = dpi / 72.0
    fonts = ms.Fonts(u)
    img = Image.new("L", (w, h), 255)
    d = ImageDraw.Draw(img)
    cx, cy = w * rng.uniform(0.4, 0.65), h * rng.uniform(0.3, 0.7)
    seal = None
    if kind in ("sparse-line", "sparse-sigline"):
        line = rng.choice(ms.NARRATIVE)
        line = ms.wrap(line, fonts.body, 420 * u)[0]
        d.text((w * 0.12, cy), line, font=fonts.body, fill=0)
    if kind in ("sparse-sig", "sparse-sigline"):
        sw, sh = 110 * u, 30 * u
        pts = ms.signature_points(rng, cx - sw / 2, cy + 30 * u, sw, sh)
        if kind == "sparse-sigline":  # a steep stroke: a skew trap
            a = math.radians(rng.choice((-1, 1)) * rng.uniform(8, 15))
            pts = [(cx + (x - cx) * math.cos(a) - (y - cy) * math.sin(a),
                    cy + (x - cx) * math.sin(a) + (y - cy) * math.cos(a)) for x, y in pts]
        d.line(pts, fill=0, width=max(2, round(1.1 * u)), joint="curve")
    if kind == "sparse-stamp":
        seal = (cx, cy)
    return img, seal, u


def build(spec, dpi, fmt):
    """One page from its spec (a dict), in the format's pixel mode."""
    mm_w, mm_h = A4_MM
    w, h = round(mm_w / 25.4 * dpi), round(mm_h / 25.4 * dpi)
    rng = random.Random(f"corpus:{spec['seed']}")
    noise_rng = random.Random(f"noise:{spec['seed']}:{spec.get('rescan', 0)}")
    tint = "tint" in spec["defects"]
    mode = mode_of(fmt)
    work = "RGB" if mode == "RGB" else "L"
    paper = paper_of(fmt, tint)
    kind = spec["content"]
    seal_at, u = None, dpi / 72.0
    if kind == "blank":
        img = Image.new(work, (w, h), paper)
    else:
        if kind == "cv":
            text, seal_at, u = ms.render_text_layer(w, h, dpi, 1.0, rng, spec.get("page", 1), 3)
        else:
            text, seal_at, u = sparse_layer(kind, w, h, dpi, rng)
        img = colourise(text, fmt, tint)
        if seal_at:
            seal = ms.seal_tile(round(64 * u), u, work)
            sx, sy = round(seal_at[0] - seal.width / 2), round(seal_at[1] - seal.height / 2)
            box = (sx, sy, sx + seal.width, sy + seal.height)
            img.paste(ImageChops.multiply(img.crop(box), seal), box)
    ink = (0, 0, 0) if work == "RGB" else 0
    dark = (40, 40, 40) if work == "RGB" else 40
    if "holes" in spec["defects"]:  # two punch holes in the left margin, dark lid behind
        d = ImageDraw.Draw(img)
        r = 3.0 / 25.4 * dpi
        x = 12.0 / 25.4 * dpi
        for yy in (h / 2 - 40 / 25.4 * dpi, h / 2 + 40 / 25.4 * dpi):
            d.ellipse((x - r, yy - r, x + r, yy + r), fill=dark)
    if "shift" in spec:  # a rescan: the page lies a little elsewhere on the glass
        dx, dy = spec["shift"]
        img = ImageChops.offset(img, round(dx / 25.4 * dpi), round(dy / 25.4 * dpi))
    skew = spec.get("skew", 0.0)
    if skew:
        img = img.rotate(skew, resample=ms.Resampling.BILINEAR, expand=False, fillcolor=paper)
    turned = spec.get("turned", 0)
    if turned:
        img = img.transpose({90: ms.Transpose.ROTATE_270, 180: ms.Transpose.ROTATE_180,
                             270: ms.Transpose.ROTATE_90}[turned])
    w, h = img.size
    d = ImageDraw.Draw(img)
    if "strip" in spec["defects"]:  # the scanner lid's shadow along one edge
        s = round(rng.uniform(3, 8) / 25.4 * dpi)
        edge = rng.choice("tlrb")
        box = {"t": (0, 0, w, s), "b": (0, h - s, w, h), "l": (0, 0, s, h),
               "r": (w - s, 0, w, h)}[edge]
        d.rectangle(box, fill=dark)
    crop = spec.get("crop", 0)
    if crop:  # the page was cut off by the scan window: the image loses 26 mm on that edge
        c = round(26 / 25.4 * dpi)
        box = [0, 0, w, h]
        if crop & 1:
            box[1] = c
        if crop & 2:
            box[2] = w - c
        if crop & 4:  # the footer sits 20-23 mm from the bottom: cut through it
            box[3] = h - round(21.5 / 25.4 * dpi)
        if crop & 8:
            box[0] = c
        img = img.crop(tuple(box))
        w, h = img.size
        d = ImageDraw.Draw(img)
    corner = spec.get("corner", 0)
    if corner:  # a folded or torn corner, dark lid behind it
        a = rng.uniform(25, 45) / 25.4 * dpi
        b = rng.uniform(25, 45) / 25.4 * dpi
        tri = {1: [(0, 0), (a, 0), (0, b)], 2: [(w, 0), (w - a, 0), (w, b)],
               3: [(w, h), (w - a, h), (w, h - b)], 4: [(0, h), (a, h), (0, h - b)]}[corner]
        d.polygon(tri, fill=ink if "dark" in spec["defects"] else dark)
    if "noise" in spec["defects"]:  # dust: many small specks, a few faint smudges
        for _ in range(noise_rng.randint(40, 120)):
            r = noise_rng.uniform(0.05, 0.45) / 25.4 * dpi
            x, y = noise_rng.uniform(0, w), noise_rng.uniform(0, h)
            g = noise_rng.choice((30, 60, 90, 160))
            d.ellipse((x - r, y - r, x + r, y + r), fill=(g, g, g) if work == "RGB" else g)
    if mode == "1":
        img = img.point([0] * ms.THRESHOLD + [255] * (256 - ms.THRESHOLD), "1")
    ms.add_specks(img, noise_rng, u, mode != "1")
    return img


def specs(small):
    """The corpus: every page's spec, with its labels."""
    out = []
    fmts = ["tiff-g4", "tiff-gray", "jpeg", "png-gray", "png-rgb"]
    dpis = [300, 200, 150, 300, 240]
    r = random.Random("corpus-plan")
    n = 0

    def add(**kw):
        nonlocal n
        n += 1
        kw.setdefault("defects", [])
        kw.setdefault("fmt", fmts[n % len(fmts)])
        kw.setdefault("dpi", dpis[(n // 2) % len(dpis)])
        kw.setdefault("seed", n)
        kw["n"] = n
        out.append(kw)
        return kw

    # Full pages: every orientation, skews from none to 4 degrees, some tinted or holed.
    skews = [0.0, 0.0, 0.4, -0.8, 1.5, -2.5, 3.5, -4.0]
    for i in range(8 if small else 32):
        extra = [["tint"], ["holes"], [], []][i % 4]
        add(content="cv", turned=(0, 90, 180, 270)[i % 4], skew=skews[(i // 4 + i) % len(skews)],
            defects=extra, page=1 + i % 3)
    # Blank pages: paper with dust, punch holes, a dark edge strip, yellowed paper.
    blanks = [[], ["noise"], ["holes", "noise"], ["strip"], ["tint", "noise"],
              ["strip", "holes", "tint"], ["noise", "tint", "holes"], ["strip", "noise"]]
    for i in range(4 if small else 12):
        add(content="blank", defects=blanks[i % len(blanks)], turned=(0, 90)[i % 2])
    # Sparse pages: a signature, a stamp, one sentence, a sentence over a slanted signature.
    kinds = ["sparse-sig", "sparse-stamp", "sparse-line", "sparse-sigline"]
    for i in range(4 if small else 12):
        add(content=kinds[i % 4], turned=(0, 0, 180, 90)[(i // 4) % 4] if kinds[i % 4] ==
            "sparse-line" else 0, skew=(0.0, 1.2, -0.6)[i % 3])
    # Cropped edges and missing corners.
    for i in range(4 if small else 8):
        add(content="cv", crop=(1, 2, 4, 8)[i % 4], turned=(0, 180)[(i // 4) % 2],
            skew=(0.0, 0.6)[i % 2])
    for i in range(4 if small else 8):
        add(content="cv", corner=1 + i % 4, defects=(["dark"] if i % 2 else []))
    # Duplicates: a page, then the same page rescanned (other dust, shifted, slightly tilted).
    for i in range(3 if small else 8):
        base = add(content="cv", skew=r.choice((0.0, 0.3)), page=1 + i % 3)
        add(content="cv", seed=base["seed"], rescan=1, fmt=base["fmt"], dpi=base["dpi"],
            page=base["page"], skew=base["skew"] + r.uniform(-0.3, 0.3),
            shift=(r.uniform(-3, 3), r.uniform(-3, 3)), dup_of=base["n"])
    return out


# ---- the form corpus (--forms): one printed form, many fills, rescans of some sheets ----

SHEET_DPI = 300  # the paper: every scan of a sheet is made from its drawing at this resolution
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE_M = ["Văn", "Hữu", "Minh", "Quốc", "Đức", "Thanh", "Công", "Xuân"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Thanh", "Mỹ", "Kim", "Hồng"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Long", "Nam", "Phúc", "Quân", "Sơn",
           "Tuấn", "Thắng", "Vinh", "Khoa", "Lực"]
GIVEN_F = ["Hà", "Hạnh", "Lan", "Mai", "Nga", "Thảo", "Trang", "Vân", "Yến", "Hằng", "Duyên",
           "Tuyết", "Ngọc", "Linh"]
CHANGES = [
    "Được bầu làm ủy viên Ban Chấp hành chi bộ {c}",
    "Chuyển sinh hoạt đảng tạm thời về chi bộ {c}",
    "Học lớp bồi dưỡng lý luận chính trị tại {d}",
    "Được tặng giấy khen của Đảng ủy {c}",
    "Được nâng bậc lương, công tác tại {d}",
    "Thay đổi nơi thường trú về {c}, {p}",
    "Tốt nghiệp đại học hệ vừa làm vừa học",
    "Được bổ nhiệm phó trưởng phòng, {d}",
    "Hoàn thành tốt nhiệm vụ, xếp loại đảng viên",
    "Tham gia khóa tập huấn công tác Đảng tại {p}",
    "Kết hôn; vợ (chồng) công tác tại {c}",
    "Được tặng Huy hiệu 30 năm tuổi Đảng",
    "Chuyển công tác về Ủy ban nhân dân {c}",
    "Được cử đi học cao cấp lý luận chính trị",
    "Nghỉ hưu theo chế độ, sinh hoạt tại {c}",
]
NOTES = ["", "", "", "QĐ số {n}", "có bản sao", "đã xác minh", "CV {n}/ĐU"]
REMARKS = [
    "Luôn chấp hành tốt chủ trương, đường lối của Đảng, pháp luật",
    "của Nhà nước; giữ gìn phẩm chất đạo đức, lối sống lành mạnh.",
    "Hoàn thành tốt nhiệm vụ được giao, đoàn kết với đồng nghiệp.",
    "Còn hạn chế trong công tác tuyên truyền, vận động quần chúng.",
    "Tích cực học tập nâng cao trình độ chuyên môn, nghiệp vụ.",
    "Giữ mối liên hệ thường xuyên với chi ủy nơi cư trú.",
    "Gia đình chấp hành tốt chính sách, pháp luật ở địa phương.",
]
FORM_ROWS = 16  # rows of the printed table


def form_person(rng):
    male = rng.random() < 0.55
    name = " ".join([rng.choice(FAMILY), rng.choice(MIDDLE_M if male else MIDDLE_F),
                     rng.choice(GIVEN_M if male else GIVEN_F)])
    place = rng.choice(ms.PLACES)
    born = rng.randint(1955, 1998)
    joined = born + rng.randint(19, 30)
    return {
        "name": name, "sex": "Nam" if male else "Nữ", "place": place,
        "born": (rng.randint(1, 28), rng.randint(1, 12), born),
        "card": f"{rng.randint(10, 99)}.{rng.randint(0, 999999):06d}",
        "joined": f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{joined}",
        "official": f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{joined + 1}",
        "branch": f"Chi bộ {rng.choice(('ấp', 'khu phố', 'thôn'))} {rng.randint(1, 12)}, "
                  f"{place[0]}",
        "job": rng.choice(ms.JOBS),
    }


def form_rows(rng, person, year, first, n):
    c, d, p = person["place"]
    rows = []
    for k in range(n):
        what = rng.choice(CHANGES).format(c=c, d=d, p=p)
        note = rng.choice(NOTES).format(n=rng.randint(12, 980))
        rows.append((str(first + k), f"{rng.randint(1, 12):02d}/{year}", what, note))
    return rows


def form_fill(rng, person, year, rows, page="1/1"):
    """What is written on one sheet. (A "note" key, added by a caller, is written under the
    branch's confirmation: a sheet marked after its first scan.)"""
    k = rng.randint(0, 3)
    return {"person": person, "year": year, "rows": rows,
            "remarks": rng.sample(REMARKS, k) if k else [],
            "date": (rng.randint(1, 28), rng.randint(1, 12)), "page": page,
            "sig": rng.randint(0, 1 << 30)}


def draw_form(fill, dpi):
    """The sheet as an L image (0 ink, 255 paper): the printed form in black, the handwriting
    in a dark pen."""
    u = dpi / 72.0
    w, h = round(A4_MM[0] / 25.4 * dpi), round(A4_MM[1] / 25.4 * dpi)
    img = Image.new("L", (w, h), 255)
    d = ImageDraw.Draw(img)
    font = lambda name, pt: ImageFont.truetype(os.path.join(ms.FONT_DIR, name), round(pt * u))
    body, bold = font("DejaVuSerif.ttf", 10), font("DejaVuSerif-Bold.ttf", 10)
    small, small_bold = font("DejaVuSerif.ttf", 8.5), font("DejaVuSerif-Bold.ttf", 9)
    title = font("DejaVuSerif-Bold.ttf", 15)
    hand = font("DejaVuSans-Oblique.ttf", 10.5)
    pen = 35
    x0, x1 = 62 * u, 533 * u  # the printed area: 22 mm margins

    def dots(xa, xb, y):  # a dotted leader to write on
        x = xa
        while x < xb:
            d.ellipse((x, y - 0.45 * u, x + 0.9 * u, y + 0.45 * u), fill=0)
            x += 3 * u

    def field(x, y, label, xb, value):  # label, then dots to xb with the value written on them
        d.text((x, y), label, font=body, fill=0, anchor="ls")
        xa = x + body.getlength(label) + 3 * u
        dots(xa, xb, y)
        if value:
            d.text((xa + 4 * u, y - 2 * u), value, font=hand, fill=pen, anchor="ls")

    p = fill["person"]
    d.text((x0 + 95 * u, 62 * u), "ĐẢNG BỘ XÃ TÂN PHÚ", font=small_bold, fill=0, anchor="ms")
    d.text((x0 + 95 * u, 75 * u), "CHI BỘ ẤP 3", font=small_bold, fill=0, anchor="ms")
    d.text((x0 + 95 * u, 88 * u), "*", font=small_bold, fill=0, anchor="ms")
    d.text((x1, 44 * u), "Mẫu 3-HSĐV", font=small, fill=0, anchor="rs")
    d.text((x1 - 85 * u, 62 * u), "ĐẢNG CỘNG SẢN VIỆT NAM", font=bold, fill=0, anchor="ms")
    d.line((x1 - 150 * u, 66 * u, x1 - 20 * u, 66 * u), fill=0, width=round(0.8 * u))
    d.text((w / 2, 122 * u), "PHIẾU BỔ SUNG HỒ SƠ ĐẢNG VIÊN", font=title, fill=0, anchor="ms")
    field(w / 2 - 40 * u, 142 * u, "Năm:", w / 2 + 40 * u, str(fill["year"]))

    y = 172 * u
    field(x0, y, "Họ và tên:", x0 + 330 * u, p["name"])
    field(x0 + 345 * u, y, "Nam, nữ:", x1, p["sex"])
    y += 21 * u
    bd, bm, by = p["born"]
    field(x0, y, "Sinh ngày", x0 + 75 * u, str(bd))
    field(x0 + 80 * u, y, "tháng", x0 + 140 * u, str(bm))
    field(x0 + 145 * u, y, "năm", x0 + 215 * u, str(by))
    field(x0 + 225 * u, y, "Số thẻ đảng viên:", x1, p["card"])
    y += 21 * u
    field(x0, y, "Ngày vào Đảng:", x0 + 225 * u, p["joined"])
    field(x0 + 235 * u, y, "Ngày chính thức:", x1, p["official"])
    y += 21 * u
    field(x0, y, "Chi bộ:", x1, p["branch"])
    y += 21 * u
    field(x0, y, "Chức vụ, nghề nghiệp:", x1, p["job"])

    y += 26 * u
    d.text((x0, y), "I. NHỮNG THAY ĐỔI TRONG NĂM", font=bold, fill=0, anchor="ls")
    top = y + 8 * u
    cols = [x0, x0 + 30 * u, x0 + 105 * u, x0 + 395 * u, x1]
    head_h, row_h = 24 * u, 19 * u
    lw = max(2, round(0.7 * u))
    for (xa, xb), label in zip(zip(cols, cols[1:]),
                               ("STT", "Tháng, năm", "Nội dung thay đổi", "Ghi chú")):
        d.text(((xa + xb) / 2, top + head_h / 2), label, font=small_bold, fill=0, anchor="mm")
    bottom = top + head_h + FORM_ROWS * row_h
    for k in range(FORM_ROWS + 1):
        yy = top + head_h + k * row_h
        d.line((x0, yy, x1, yy), fill=0, width=lw)
    d.rectangle((x0, top, x1, bottom), outline=0, width=lw)
    for xx in cols[1:-1]:
        d.line((xx, top, xx, bottom), fill=0, width=lw)
    for k, (stt, when, what, note) in enumerate(fill["rows"]):
        yy = top + head_h + (k + 0.5) * row_h
        d.text(((cols[0] + cols[1]) / 2, yy), stt, font=hand, fill=pen, anchor="mm")
        d.text((cols[1] + 6 * u, yy), when, font=hand, fill=pen, anchor="lm")
        while hand.getlength(what) > cols[3] - cols[2] - 10 * u and " " in what:
            what = what.rsplit(" ", 1)[0]
        d.text((cols[2] + 5 * u, yy), what, font=hand, fill=pen, anchor="lm")
        d.text((cols[3] + 4 * u, yy), note, font=hand, fill=pen, anchor="lm")

    y = bottom + 24 * u
    d.text((x0, y), "II. TỰ NHẬN XÉT", font=bold, fill=0, anchor="ls")
    for k in range(3):
        y += 19 * u
        dots(x0, x1, y)
        if k < len(fill["remarks"]):
            d.text((x0 + 4 * u, y - 2 * u), fill["remarks"][k], font=hand, fill=pen, anchor="ls")

    y += 30 * u
    cx = x0 + 350 * u
    province = p["place"][2].split(" ", 1)[-1]
    dd, mm = fill["date"]
    dots(cx - 150 * u, cx - 62 * u, y)
    d.text((cx - 146 * u, y - 2 * u), province, font=hand, fill=pen, anchor="ls")
    d.text((cx - 60 * u, y), ", ngày", font=body, fill=0, anchor="ls")
    dots(cx - 28 * u, cx + 2 * u, y)
    d.text((cx - 24 * u, y - 2 * u), str(dd), font=hand, fill=pen, anchor="ls")
    field(cx + 8 * u, y, "tháng", cx + 58 * u, str(mm))
    field(cx + 60 * u, y, "năm", x1, str(fill["year"]))
    y += 18 * u
    d.text((x0 + 90 * u, y), "XÁC NHẬN CỦA CHI BỘ", font=bold, fill=0, anchor="ms")
    d.text((cx, y), "NGƯỜI KHAI", font=bold, fill=0, anchor="ms")
    y += 12 * u
    d.text((x0 + 90 * u, y), "(Ký, ghi rõ họ tên)", font=small, fill=0, anchor="ms")
    d.text((cx, y), "(Ký, ghi rõ họ tên)", font=small, fill=0, anchor="ms")
    sig = random.Random(fill["sig"])
    pts = ms.signature_points(sig, cx - 50 * u, y + 8 * u, 100 * u, 26 * u)
    d.line(pts, fill=pen, width=max(2, round(1.0 * u)), joint="curve")
    d.text((cx, y + 52 * u), p["name"], font=hand, fill=pen, anchor="ms")
    if fill.get("note"):  # written on the sheet after it was first scanned
        d.text((x0 + 90 * u, y + 24 * u), fill["note"], font=hand, fill=pen, anchor="ms")
    field(w / 2 - 30 * u, 800 * u, "Trang", w / 2 + 30 * u, fill["page"])
    return img


def scan_form(spec):
    """One scan of a sheet: placed on the glass (shift, tilt), at the scan's resolution, with
    its tone, dust and format."""
    dpi, fmt = spec["dpi"], spec["fmt"]
    sheet = draw_form(spec["fill"], SHEET_DPI)
    dx, dy = (v / 25.4 * SHEET_DPI for v in spec["shift"])
    img = sheet.rotate(spec["skew"], resample=ms.Resampling.BICUBIC, translate=(dx, dy),
                       fillcolor=255)
    # The scanner's optics: a slight blur, then its tone. A stroke's edge is where the blurred
    # ink crosses the threshold: "darker" moves it out by about half a pixel at 300 ppi on each
    # side (strokes 1 px thicker), "lighter" in by as much (1 px thinner).
    img = img.filter(ImageFilter.GaussianBlur(0.8))
    tone = spec["tone"]
    if tone == "darker":
        img = img.point([round(255 * (v / 255) ** 2.2) for v in range(256)])
    elif tone == "lighter":
        img = img.point([round(255 * (v / 255) ** 0.45) for v in range(256)])
    if dpi != SHEET_DPI:
        img = img.resize((round(A4_MM[0] / 25.4 * dpi), round(A4_MM[1] / 25.4 * dpi)),
                         ms.Resampling.LANCZOS)
    mode = mode_of(fmt)
    if mode == "1":
        img = img.point([0] * ms.THRESHOLD + [255] * (256 - ms.THRESHOLD), "1")
    else:
        img = colourise(img, fmt, False)
    u = dpi / 72.0
    noise = random.Random(f"form-noise:{spec['n']}")
    if "speckled" in spec["defects"]:  # dust on the glass: many fine specks, a few larger ones
        d = ImageDraw.Draw(img)
        w, h = img.size
        dark = 0 if mode == "1" else ((40, 40, 40) if mode == "RGB" else 40)
        for k in range(noise.randint(80, 160)):
            r = (noise.uniform(0.5, 0.8) if k < 4 else noise.uniform(0.05, 0.45)) / 25.4 * dpi
            x, y = noise.uniform(0, w), noise.uniform(0, h)
            d.ellipse((x - r, y - r, x + r, y + r), fill=dark)
    ms.add_specks(img, noise, u, mode != "1")
    return img


def form_specs(small):
    """The form corpus: the fills, then the rescans, each after its original."""
    r = random.Random("form-plan")
    fills = []  # (fill kind, fill)
    n_people, n_years, n_tables = (6, 2, 1) if small else (40, 5, 2)
    for _ in range(n_people):
        person = form_person(r)
        year = r.randint(2012, 2025)
        n = r.choice((1, 2, 3, 5, 8, 11, 16))
        fills.append(("person", form_fill(r, person, year, form_rows(r, person, year, 1, n))))
    for _ in range(n_years):  # one person, three years: the fields alike, the year and rows not
        person = form_person(r)
        first = r.randint(2014, 2021)
        for year in range(first, first + 3):
            n = r.randint(1, 5)
            fills.append(("year", form_fill(r, person, year, form_rows(r, person, year, 1, n))))
    for _ in range(n_tables):  # one long table over four consecutive pages
        person = form_person(r)
        year = r.randint(2012, 2025)
        for k in range(4):
            rows = form_rows(r, person, year, 1 + k * FORM_ROWS, FORM_ROWS)
            fills.append(("table", form_fill(r, person, year, rows, page=f"{k + 1}/4")))
    order = list(range(len(fills)))
    r.shuffle(order)
    out = []

    def add(**kw):
        kw["n"] = len(out) + 1
        kw.setdefault("defects", [])
        kw.setdefault("tone", "normal")
        out.append(kw)
        return kw

    # The first scan of every sheet: mostly G4 at 300 ppi, some grey or colour; each lies a
    # little differently on the glass.
    firsts = {}
    for i, k in enumerate(order):
        kind, fill = fills[k]
        fmt = "tiff-g4" if i % 5 < 3 else ("tiff-gray" if i % 5 == 3 else "jpeg")
        firsts[k] = add(fill=fill, sheet=k + 1, fill_kind=kind, fmt=fmt, dpi=300,
                        shift=(r.uniform(-1.5, 1.5), r.uniform(-1.5, 1.5)),
                        skew=round(r.uniform(-0.15, 0.15), 3))
    # Rescans: each kind on other sheets (the hard ones included: a year of a person, a page of
    # the long table), G4 originals for JPEG vs G4.
    kinds = ["shifted", "tilted", "darker", "lighter", "speckled", "200ppi", "jpeg",
             "tilted+darker"]
    per_kind = 1 if small else 4
    g4 = [k for k in order if firsts[k]["fmt"] == "tiff-g4"]
    pool = order[:]
    for j, kind in enumerate(kinds):
        for m in range(per_kind):
            src = (g4 if kind == "jpeg" else pool)[(7 * (j * per_kind + m) + 3) %
                                                  len(g4 if kind == "jpeg" else pool)]
            o = firsts[src]
            shift, skew = o["shift"], o["skew"]
            kw = {"tone": o["tone"], "defects": []}
            fmt, dpi = o["fmt"], 300
            if kind == "shifted":  # up to 1 cm
                a = r.uniform(0, 2 * math.pi)
                shift = (10 * math.cos(a), 10 * math.sin(a)) if m % 2 else (
                    r.choice((-10, 10)), r.uniform(-3, 3))
            if kind.startswith("tilted"):  # up to 1 degree
                skew = round(r.choice((-1, 1)) * r.uniform(0.5, 1.0), 3)
            if kind.endswith("darker"):
                kw["tone"] = "darker"
            if kind == "lighter":
                kw["tone"] = "lighter"
            if kind == "speckled":
                kw["defects"] = ["speckled"]
            if kind == "200ppi":
                dpi = 200
            if kind == "jpeg":
                fmt = "jpeg"
            if kind not in ("shifted",):  # another placement, as any second scan has
                shift = (shift[0] + r.uniform(-1.5, 1.5), shift[1] + r.uniform(-1.5, 1.5))
            add(fill=o["fill"], sheet=o["sheet"], fill_kind=o["fill_kind"], fmt=fmt, dpi=dpi,
                shift=shift, skew=skew, dup_of=o["n"], rescan=kind, **kw)
    return out


def write_forms(outdir, small):
    plan = form_specs(small)
    names, rows = {}, []
    for s in plan:
        kind = "rescan" if "dup_of" in s else "form"
        name = f"{s['n']:03d}-{kind}{EXT[s['fmt']]}"
        names[s["n"]] = name
        ms.save_page(scan_form(s), os.path.join(outdir, name), s["fmt"], s["dpi"])
        defects = [f"shift={s['shift'][0]:.1f},{s['shift'][1]:.1f}mm"] if "dup_of" in s else []
        rows.append({
            "file": name, "kind": kind, "format": s["fmt"], "dpi": s["dpi"], "turned": 0,
            "rotate": 0, "skew": f"{s['skew']:.3f}", "blank": 0, "cropped": 0, "corner": 0,
            "dup_of": names[s["dup_of"]] if "dup_of" in s else "",
            "defects": ";".join(([s["rescan"]] if "rescan" in s else []) + defects),
            "sheet": s["sheet"], "fill": s["fill_kind"]})
        print(name, flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--small", action="store_true", help="a quarter of the pages")
    ap.add_argument("--forms", action="store_true",
                    help="the duplicate check's corpus: one form, many fills, rescans")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    if args.forms:
        write_labels(args.outdir, write_forms(args.outdir, args.small))
        return 0
    plan = specs(args.small)
    names = {}
    rows = []
    for s in plan:
        kind = ("dup" if "dup_of" in s else "crop" if s.get("crop") else
                "corner" if s.get("corner") else s["content"])
        name = f"{s['n']:03d}-{kind}{EXT[s['fmt']]}"
        names[s["n"]] = name
        img = build(s, s["dpi"], s["fmt"])
        ms.save_page(img, os.path.join(args.outdir, name), s["fmt"], s["dpi"])
        turned = s.get("turned", 0)
        rows.append({
            "file": name, "kind": kind, "format": s["fmt"],
            "dpi": s["dpi"], "turned": turned, "rotate": (360 - turned) % 360,
            "skew": f"{s.get('skew', 0.0):.3f}", "blank": int(s["content"] == "blank"),
            "cropped": s.get("crop", 0), "corner": s.get("corner", 0),
            "dup_of": names[s["dup_of"]] if "dup_of" in s else "",
            "defects": ";".join(x for x in s["defects"] if x != "dark")})
        print(name, flush=True)
    write_labels(args.outdir, rows)
    return 0


def write_labels(outdir, rows):
    with open(os.path.join(outdir, "labels.csv"), "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        wr.writeheader()
        wr.writerows(rows)


if __name__ == "__main__":
    sys.exit(main())
