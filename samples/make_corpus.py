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

Deterministic. Usage: make_corpus.py OUTDIR [--small]   (--small: a quarter of the pages)
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
from PIL import Image, ImageChops, ImageDraw, ImageOps  # noqa: E402

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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--small", action="store_true", help="a quarter of the pages")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
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
    with open(os.path.join(args.outdir, "labels.csv"), "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        wr.writeheader()
        wr.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
