#!/usr/bin/python3
"""Draw a plausible red round seal of a Party committee (con dấu tròn của đảng ủy) as a PNG with
a transparent background, for the demo and the tests of the signature stamp: two red rings, the
name written around between them, a five-pointed star in the middle. The PNG's pHYs holds the
resolution, so the stamp draws it at its actual size.

Usage: make_seal.py OUT.png [--text "ĐẢNG ỦY XÃ TÂN PHÚ"] [--diameter-mm 36] [--dpi 300]
"""
import argparse
import math
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
RED = (200, 16, 24, 255)
SUPER = 4  # drawn this many times larger, then reduced: smooth edges


def star_points(cx, cy, r_out, r_in):
    pts = []
    for i in range(10):
        r = r_out if i % 2 == 0 else r_in
        a = math.radians(90 - 36 * i)
        pts.append((cx + r * math.cos(a), cy - r * math.sin(a)))
    return pts


def text_around(img, text, cx, cy, radius, size):
    """Each letter upright towards the centre, the text centred on the top, clockwise."""
    font = ImageFont.truetype(FONT, size)
    widths = [font.getlength(ch) for ch in text]
    spacing = size * 0.12
    total = sum(widths) + spacing * (len(text) - 1)
    span = total / radius  # radians
    if span > math.radians(330) and size > 8:  # too long: smaller letters
        return text_around(img, text, cx, cy, radius, int(size * 0.9))
    angle = math.pi / 2 + span / 2  # start on the left of the top, go clockwise
    for ch, w in zip(text, widths):
        mid = angle - (w / 2) / radius
        if ch.strip():
            glyph = Image.new("L", (int(w + size), int(size * 1.6)), 0)
            ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), ch, font=font,
                                       fill=255, anchor="mm")
            rot = glyph.rotate(math.degrees(mid) - 90, resample=Image.BICUBIC, expand=True)
            x = cx + radius * math.cos(mid) - rot.width / 2
            y = cy - radius * math.sin(mid) - rot.height / 2
            colour = Image.new("RGBA", rot.size, RED)
            img.paste(colour, (int(x), int(y)), rot)
        angle -= (w + spacing) / radius


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--text", default="ĐẢNG ỦY XÃ TÂN PHÚ")
    ap.add_argument("--diameter-mm", type=float, default=36.0)
    ap.add_argument("--dpi", type=int, default=300)
    a = ap.parse_args()
    if not (5 <= a.diameter_mm <= 100 and 72 <= a.dpi <= 1200):
        sys.exit("make_seal.py: the diameter must be 5-100 mm and the dpi 72-1200")

    px = max(16, round(a.diameter_mm / 25.4 * a.dpi))
    n = px * SUPER
    img = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    c = n / 2
    r_outer = c - n * 0.01
    ring = max(2, round(n * 0.028))
    d.ellipse([c - r_outer, c - r_outer, c + r_outer, c + r_outer], outline=RED, width=ring)
    r_inner = r_outer * 0.68
    d.ellipse([c - r_inner, c - r_inner, c + r_inner, c + r_inner], outline=RED,
              width=max(1, ring // 2))
    d.polygon(star_points(c, c, r_inner * 0.62, r_inner * 0.25), fill=RED)
    letter = round((r_outer - r_inner) * 0.55)
    text_around(img, a.text.upper(), c, c, (r_outer + r_inner) / 2 - letter * 0.05, letter)

    img = img.resize((px, px), Image.LANCZOS)
    img.save(a.out, dpi=(a.dpi, a.dpi))


if __name__ == "__main__":
    main()
