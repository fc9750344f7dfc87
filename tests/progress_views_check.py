#!/usr/bin/python3
"""The outside judge of the progress views (tests/unit/test_progress_views.c).

  progress_views_check.py xlsx EXPECTED.json FILE.xlsx     read back with openpyxl
  progress_views_check.py html EXPECTED.json FILE.html LANG parsed with html.parser
  progress_views_check.py png  FILE.png WIDTH [badges]      a screenshot judged with PIL

EXPECTED.json holds the hand-built report's figures (null: hidden by min_cell). Exits 1 with the
reasons when anything differs. Run with Debian's /usr/bin/python3 (python3-openpyxl, python3-pil).
"""
import datetime
import json
import re
import sys
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

problems = []


def bad(msg):
    problems.append(msg)


# The organisations' sheet, column by column (progress/view_xlsx.c, build_columns).
MIDDLE = ["rejected_dossiers", "unlisted", "done", "in_progress", "not_started",
          "priority1_complete", "complete", "documents", "pages", "validation", "receipts",
          "rescans"]
SHEETS = ["Tổng hợp", "Đơn vị", "Theo tuần", "Trạm"]  # with the Vietnamese catalog


def row_columns(row):
    """(kind, expected) of each column of a row, in the sheet's order."""
    cols = [("org", row["org"]), ("int", row["level"])]
    cols += [("count", v) for v in row["stage"]]
    cols += [("count", v) for v in row["middle"]]
    cols += [("count", v) for v in row["in_period"]]
    cols += [("rate", row["per_day"]), ("rate", row["per_week"])]
    cols += [("date", row["deadline"]), ("count_or_blank", row["target"])]
    cols += [("label", row["timeliness_label"])]
    cols += [("count", v) for v in row["groups"]]
    cols += [("date", row["priority1_deadline"]), ("count_or_blank", row["priority1_target"])]
    cols += [("label", row["priority1_timeliness_label"])]
    return cols


def check_cell(where, cell, kind, want, min_cell):
    v, t = cell.value, cell.data_type
    if kind == "org":
        if want and v != want:
            bad(f"{where}: organisation {v!r}, expected {want!r}")
        if not want and not (isinstance(v, str) and v):
            bad(f"{where}: the total's row has no name")
    elif kind == "int":
        if t != "n" or v != want:
            bad(f"{where}: {v!r} ({t}), expected the number {want}")
    elif kind in ("count", "count_or_blank"):
        if want is None and kind == "count_or_blank":
            if v is not None:
                bad(f"{where}: {v!r}, expected an empty cell")
        elif want is None:
            if v != f"<{min_cell}" or t != "s":
                bad(f"{where}: {v!r} ({t}), expected the text <{min_cell}")
        elif t != "n" or isinstance(v, bool) or v != want:
            bad(f"{where}: {v!r} ({t}), expected the number {want}")
    elif kind == "rate":
        if want is None:
            if v is not None:
                bad(f"{where}: {v!r}, expected an empty cell")
        elif t != "n" or abs(v - want) > 1e-9:
            bad(f"{where}: {v!r} ({t}), expected the number {want}")
    elif kind == "date":
        if not want:
            if v is not None:
                bad(f"{where}: {v!r}, expected an empty cell")
        elif not cell.is_date or v.date().isoformat() != want:
            bad(f"{where}: {v!r} (is_date {cell.is_date}), expected the date {want}")
    elif kind == "label":
        if (v or "") != want:
            bad(f"{where}: {v!r}, expected {want!r}")


def check_header(ws, name, n_cols):
    if ws.freeze_panes != "A2":
        bad(f"{name}: the header row is not frozen ({ws.freeze_panes})")
    for c in range(1, n_cols + 1):
        cell = ws.cell(1, c)
        if cell.value is not None and not cell.font.b:
            bad(f"{name}: heading {cell.value!r} is not bold")
    if ws.column_dimensions["A"].width is None or ws.column_dimensions["A"].width < 8:
        bad(f"{name}: column A has no width set")


def check_no_number_as_text(wb, min_cell):
    """Organisation codes and station names are names (93.000 is not a number); all else is."""
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if ws.title in ("Đơn vị", "Trạm") and cell.column == 1:
                    continue
                if cell.data_type == "s" and re.fullmatch(r"-?[\d.,]+", str(cell.value)):
                    bad(f"{ws.title}!{cell.coordinate}: the number {cell.value!r} is text")


def check_codes_are_text(path, ws, rows):
    """The codes stay text ("93.000" is not 93), and Excel is told not to mark them as numbers
    stored as text: <ignoredErrors> on column A of the organisations' sheet, and only there."""
    for i, row in enumerate(rows):
        cell = ws.cell(i + 2, 1)
        if row["org"] and (cell.data_type != "s" or cell.value != row["org"]):
            bad(f"Đơn vị!A{i + 2}: {cell.value!r} ({cell.data_type}), expected the text "
                f"{row['org']!r}")
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
        found = {}
        for n in sheets:
            for e in ET.fromstring(z.read(n)).iter(f"{{{MAIN_NS}}}ignoredError"):
                found.setdefault(n, []).append(dict(e.attrib))
    # the second sheet, Đơn vị
    want = {"xl/worksheets/sheet2.xml": [{"sqref": f"A2:A{len(rows) + 1}",
                                          "numberStoredAsText": "1"}]}
    if found != want:
        bad(f"ignoredErrors {found}, expected {want}")


def check_xlsx(expected, path):
    import openpyxl
    wb = openpyxl.load_workbook(path)
    names = wb.sheetnames
    if names != SHEETS:
        bad(f"sheets {names}, expected {SHEETS}")
        return
    m = expected["min_cell"]
    rows = expected["rows"]
    # Đơn vị: every row
    ws = wb["Đơn vị"]
    n_cols = len(row_columns(rows[0]))
    check_header(ws, "Đơn vị", n_cols)
    if not ws.auto_filter.ref:
        bad("Đơn vị: no autofilter")
    if ws.max_column != n_cols:
        bad(f"Đơn vị: {ws.max_column} columns, expected {n_cols}")
    for i, row in enumerate(rows):
        for c, (kind, want) in enumerate(row_columns(row)):
            cell = ws.cell(i + 2, c + 1)
            check_cell(f"Đơn vị!{cell.coordinate}", cell, kind, want, m)
    if ws.max_row != len(rows) + 1:
        bad(f"Đơn vị: {ws.max_row - 1} rows, expected {len(rows)}")
    check_codes_are_text(path, ws, rows)
    # Tổng hợp: what it covers, then the total's columns one a row
    ws = wb["Tổng hợp"]
    check_header(ws, "Tổng hợp", 2)
    as_of = ws["B2"]
    if not as_of.is_date or as_of.value != datetime.datetime(2026, 12, 6, 17, 0, 0):
        bad(f"Tổng hợp!B2: {as_of.value!r}, expected the date-time of {expected['as_of']}")
    if ws["B3"].value != expected["period"]:
        bad(f"Tổng hợp!B3: {ws['B3'].value!r}")
    check_cell("Tổng hợp!B4", ws["B4"], "date", expected["period_start"], m)
    check_cell("Tổng hợp!B6", ws["B6"], "int", m, m)
    for k, (kind, want) in enumerate(row_columns(rows[0])[2:]):
        cell = ws.cell(7 + k, 2)
        check_cell(f"Tổng hợp!{cell.coordinate}", cell, kind, want, m)
    # Theo tuần
    ws = wb["Theo tuần"]
    check_header(ws, "Theo tuần", 5)
    if not ws.auto_filter.ref:
        bad("Theo tuần: no autofilter")
    for i, week in enumerate(expected["weeks"]):
        check_cell(f"Theo tuần!A{i + 2}", ws.cell(i + 2, 1), "date", week["week"], m)
        for c, want in enumerate(week["values"]):
            cell = ws.cell(i + 2, c + 2)
            check_cell(f"Theo tuần!{cell.coordinate}", cell, "count", want, m)
    # Trạm
    ws = wb["Trạm"]
    check_header(ws, "Trạm", 4)
    states = set()
    for i, st in enumerate(expected["stations"]):
        r = i + 2
        if ws.cell(r, 1).value != st["station"]:
            bad(f"Trạm!A{r}: {ws.cell(r, 1).value!r}")
        check_cell(f"Trạm!B{r}", ws.cell(r, 2), "int", st["seq"], m)
        when = ws.cell(r, 3)
        if not when.is_date or when.value.strftime("%Y-%m-%dT%H:%M:%SZ") != st["as_of"]:
            bad(f"Trạm!C{r}: {when.value!r}, expected the date-time {st['as_of']}")
        states.add((st["stale"], ws.cell(r, 4).value))
    if len({s for _, s in states}) != len(states) or any(not s for _, s in states):
        bad(f"Trạm: the stale station is not told apart in words: {states}")
    check_no_number_as_text(wb, m)


# ---- HTML ----------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
SVG_VOID = {"rect", "line", "path", "circle", "polyline", "polygon"}  # written as <x .../>
FORBIDDEN = {"script", "link", "iframe", "object", "embed", "img", "base", "form"}


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.lang = None
        self.h1 = 0
        self.rows = {}  # table id -> [(attrs, [cells])]
        self.table = None
        self.section = None  # "thead" / "tbody"
        self.cell = None
        self.badges = []  # (row org or None, class, text)
        self.badge = None
        self.badge_depth = 0
        self.stations = []
        self.tiles = {}
        self.tile = None
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.open(tag, dict(attrs), closes=False)

    def handle_startendtag(self, tag, attrs):
        self.open(tag, dict(attrs), closes=True)

    def open(self, tag, a, closes):
        if tag in FORBIDDEN:
            bad(f"<{tag}> in a page that must stand alone")
        for k in ("src", "href", "xlink:href", "action", "srcset", "poster"):
            if k in a and not (a[k] or "").startswith("#"):
                bad(f"<{tag} {k}={a[k]!r}>: only #anchors may be linked")
        for k in a:
            if k.startswith("on"):
                bad(f"<{tag} {k}>: an event handler (script)")
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "h1":
            self.h1 += 1
        if tag == "svg" and (a.get("role") != "img" or
                             not (a.get("aria-label") or a.get("aria-labelledby"))):
            bad(f"<svg class={a.get('class')!r}> without role=img and an accessible name")
        self.structure(tag, a)
        if not closes and tag not in VOID:
            self.stack.append(tag)

    def structure(self, tag, a):
        if tag == "table":
            self.table = a.get("id")
            self.rows.setdefault(self.table, [])
        elif tag in ("thead", "tbody"):
            self.section = tag
        elif tag == "tr" and self.section == "tbody":
            self.rows[self.table].append((a, []))
        elif tag == "th":
            want = "col" if self.section == "thead" else "row"
            if a.get("scope") != want:
                bad(f"<th> in {self.section} of #{self.table} without scope={want}")
        elif tag == "td" and self.section == "tbody":
            self.cell = [a, ""]
        if tag == "span" and "badge" in (a.get("class") or "").split():
            org = self.rows[self.table][-1][0].get("data-org") if self.cell is not None else None
            self.badge = [org if self.table == "all-rows" else None, a.get("class"), "",
                          a.get("data-measure")]
            self.badge_depth = len(self.stack)
        if tag == "li" and "data-station" in a:
            self.stations.append((a["data-station"], a.get("class") or ""))
        if tag == "li" and "data-k" in a and "data-org" not in a:
            self.tile = [a["data-k"], ""]

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            bad(f"</{tag}> does not close <{self.stack[-1] if self.stack else 'nothing'}> "
                f"(line {self.getpos()[0]})")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "td" and self.cell is not None:
            self.rows[self.table][-1][1].append(self.cell)
            self.cell = None
        if tag == "span" and self.badge and len(self.stack) == self.badge_depth:
            self.badges.append(tuple(self.badge))
            self.badge = None
        if tag == "li" and self.tile:
            self.tiles[self.tile[0]] = self.tile[1]
            self.tile = None
        if tag == "table":
            self.table = None
            self.section = None

    def handle_data(self, data):
        self.text.append(data)
        if self.cell is not None:
            self.cell[1] += data
        if self.badge is not None:
            self.badge[2] += data
        if self.tile is not None:
            self.tile[1] += data


TIMELINESS_CLASS = ["no-plan", "on-time", "due-soon", "overdue"]
KEYS = {f"s{i}": ("stage", i) for i in range(9)}
KEYS.update({k: ("middle", i) for i, k in enumerate(MIDDLE)})
KEYS.update({f"p{i}": ("in_period", i) for i in (2, 4, 7)})


def shown_count(text, want, min_cell, sep):
    if want is None:
        return text == f"<{min_cell}"
    digits = str(want)
    grouped = ""
    for i, ch in enumerate(digits):
        if i and (len(digits) - i) % 3 == 0:
            grouped += sep
        grouped += ch
    return text == grouped


def check_row_cells(org, cells, row, m, sep, dec):
    seen = set()
    for a, text in cells:
        k = a.get("data-k")
        seen.add(k)
        text = text.strip()
        if k in KEYS:
            field, i = KEYS[k]
            want = row[field][i]
        elif k in ("target",):
            want = row["target"]
            if want is None and text == "":
                continue
        elif k in ("per_day", "per_week"):
            want = row[k]
            shown = "–" if want is None else f"{want:.1f}".replace(".", dec)
            if text != shown:
                bad(f"{org} {k}: {text!r}, expected {shown!r}")
            continue
        elif k == "deadline":
            if text != row["deadline"]:
                bad(f"{org} deadline: {text!r}, expected {row['deadline']!r}")
            continue
        else:
            continue
        if (a.get("data-v") or None) != (None if want is None else str(want)):
            bad(f"{org} {k}: data-v {a.get('data-v')!r}, expected {want!r}")
        if not shown_count(text, want, m, sep):
            bad(f"{org} {k}: shows {text!r} for {want!r}")
    missing = (set(KEYS) | {"per_day", "per_week", "deadline", "target"}) - seen
    if missing:
        bad(f"{org}: no cells for {sorted(missing)}")


def check_html(expected, path, lang):
    raw = open(path, encoding="utf-8").read()
    if "://" in raw:
        bad("a URL (://) in a page that must stand alone")
    if re.search(r"url\(|@import|@font-face", raw):
        bad("CSS that loads something (url(), @import, @font-face)")
    p = Page()
    p.feed(raw)
    p.close()
    if p.stack:
        bad(f"elements left open: {p.stack}")
    if p.lang != lang:
        bad(f"<html lang={p.lang!r}>, expected {lang!r}")
    if p.h1 != 1:
        bad(f"{p.h1} <h1>, expected 1")
    m = expected["min_cell"]
    sep, dec = (".", ",") if lang == "vi" else (",", ".")
    table = p.rows.get("all-rows", [])
    if len(table) != len(expected["rows"]):
        bad(f"the table has {len(table)} rows, expected {len(expected['rows'])}")
    for (a, cells), row in zip(table, expected["rows"]):
        org = row["org"] or "(total)"
        if a.get("data-org") != row["org"] or a.get("data-level") != str(row["level"]):
            bad(f"table row {a} for {org}, level {row['level']}")
        check_row_cells(org, cells, row, m, sep, dec)
    in_table = [b for b in p.badges if b[0] is not None]
    for b, row in zip(in_table, expected["rows"]):
        want = TIMELINESS_CLASS[row["timeliness"]]
        label = row["timeliness_label_en" if lang == "en" else "timeliness_label"]
        if want not in b[1].split() or label not in b[2]:
            bad(f"{row['org'] or '(total)'}: badge {b}, expected {want} {label!r}")
    if len(in_table) != len(expected["rows"]):
        bad(f"{len(in_table)} badges in the table, expected {len(expected['rows'])}")
    # the priority-1 line: a badge under the summary (the whole's) and one per row that has it
    p1 = [b for b in p.badges if b[3] == "priority1"]
    n_p1 = sum(1 for r in expected["rows"] if r["priority1_deadline"])
    n_p1 += 1 if expected["rows"][0]["priority1_deadline"] else 0
    if len(p1) != n_p1 or any("overdue" not in b[1].split() for b in p1):
        bad(f"priority-1 badges {p1}, expected {n_p1} overdue ones")
    for cls in TIMELINESS_CLASS:
        if not any(cls in b[1].split() for b in p.badges):
            bad(f"no {cls} badge")
    weeks = p.rows.get("weeks", [])
    if len(weeks) != len(expected["weeks"]):
        bad(f"{len(weeks)} weeks in the table, expected {len(expected['weeks'])}")
    order = ["planned", "scanned", "signed", "accepted"]
    for (a, cells), week in zip(weeks, expected["weeks"]):
        want = dict(zip(["scanned", "signed", "accepted", "planned"], week["values"]))
        got = {c[0].get("data-k"): c[1].strip() for c in cells}
        for k in order:
            if not shown_count(got.get(k, "?"), want[k], m, sep):
                bad(f"week {week['week']} {k}: {got.get(k)!r}, expected {want[k]!r}")
    stale = {s["station"]: s["stale"] for s in expected["stations"]}
    got = {name: "stale" in cls.split() for name, cls in p.stations}
    if got != stale:
        bad(f"stations {got}, expected {stale}")
    total = expected["rows"][0]
    for key, want in (("s0", total["stage"][0]), ("done", total["middle"][2])):
        shown = p.tiles.get(key, "")
        if not any(shown_count(shown[:n], want, m, sep) for n in range(1, len(shown) + 1)):
            bad(f"the summary tile {key} says {shown!r}, expected {want}")
    for key in ("s0", "s1", "s2", "s4", "s7", "done", "in_progress", "not_started",
                "priority1_complete", "complete", "rejections"):
        if key not in p.tiles:
            bad(f"no summary tile {key}")
    words = " ".join(p.text)
    for needle in (expected["as_of"][:10], expected["period"]):
        if needle not in words:
            bad(f"{needle!r} is not on the page")


# ---- Screenshots ---------------------------------------------------------------------------

BADGE_COLOURS = {"on time (green)": (0x2E, 0x7D, 0x32), "due soon (amber)": (0xF2, 0xA9, 0x00),
                 "overdue (red)": (0xC6, 0x28, 0x28)}


def check_png(path, width, badges):
    from PIL import Image
    img = Image.open(path).convert("RGB")
    if img.size[0] != width:
        bad(f"{path}: {img.size[0]} px wide, expected {width}")
    px = list(img.getdata())
    colours = len(set(px))
    ink = sum(1 for r, g, b in px if r < 200 or g < 200 or b < 200)
    print(f"{path}: {img.size}, {colours} colours, {ink} non-white pixels")
    if colours < 20:
        bad(f"{path}: {colours} colours: a blank page")
    if ink < len(px) // 40:
        bad(f"{path}: only {ink} non-white pixels: next to nothing drawn")
    if not badges:
        return
    for name, (R, G, B) in BADGE_COLOURS.items():
        n = sum(1 for r, g, b in px if abs(r - R) <= 12 and abs(g - G) <= 12 and abs(b - B) <= 12)
        print(f"  {name}: {n} pixels")
        if n < 300:
            bad(f"{path}: {n} pixels of the {name} badge colour, expected 300 or more")


def main(argv):
    mode = argv[1]
    if mode == "xlsx":
        check_xlsx(json.load(open(argv[2], encoding="utf-8")), argv[3])
    elif mode == "html":
        check_html(json.load(open(argv[2], encoding="utf-8")), argv[3], argv[4])
    elif mode == "png":
        check_png(argv[2], int(argv[3]), len(argv) > 4 and argv[4] == "badges")
    else:
        sys.exit(f"unknown mode {mode}")
    for p in problems[:40]:
        print("PROBLEM:", p)
    if problems:
        print(f"{len(problems)} problem(s) in {mode}")
        return 1
    print(f"{mode}: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
