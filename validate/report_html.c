/* The HTML report of sohoa validate: one self-contained page (inline CSS and SVG, thumbnails as
 * data: URIs, no script, nothing fetched) that a scan team or a province supervisor opens
 * offline, on screen or printed.
 *
 * Streaming: each failing entry is rendered as it arrives into a scratch file beside the page,
 * unlinked as soon as it is open so that a crash leaves nothing behind; only counters per
 * organisation and per finding code stay in memory. vd_html_finish writes the head, the summary
 * and the chart, copies the entries after them, and publishes the page atomically. */
#include "validate/validate.h"
#include "report_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "page_impl.h"

/* Findings of one code: overall, and per organisation. */
typedef struct {
    size_t errors, warnings;
} tally;

typedef struct {
    size_t passed, failed; /* files */
    size_t folders_failed;
    uint64_t pages;
    GHashTable *codes; /* code → tally */
} org_counts;

struct vd_html {
    char *path;
    FILE *entries; /* the failing entries' HTML, in the unlinked scratch file */
    size_t entries_shown;
    size_t folders_failed;
    GHashTable *orgs;  /* organisation code, "" for none → org_counts */
    GHashTable *codes; /* code → tally */
};

/* The colours the marks and the chart use; the test looks for them in a screenshot. */
#define COLOUR_MARK "#e00000"
#define COLOUR_PASS "#2e7d32"
#define COLOUR_FAIL "#e8710a"

/* ---- Text ---------------------------------------------------------------------------------- */

/* Text as HTML character data or a quoted attribute value (core's escaping: paths and messages
 * are user data). */
static void put_text(GString *s, const char *text)
{
    if (!text)
        return;
    char *escaped = sh_html_escape(text);
    g_string_append(s, escaped);
    g_free(escaped);
}

/* A formatted text (translations with numbers in them), escaped. */
static void put_textf(GString *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_textf(GString *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    put_text(s, text);
    g_free(text);
}

static const char *org_label(const char *org) { return org && *org ? org : _("(no organisation)"); }

/* What a finding code means, for the table of problems; NULL for a code not listed here. */
static const char *code_meaning(const char *code)
{
    static const struct {
        const char *code, *meaning;
    } meanings[] = {
        {"name.folder", N_("folder name")},
        {"name.cccd", N_("citizen ID (CCCD) in the folder name")},
        {"name.person", N_("person's name in the folder name")},
        {"name.file", N_("file name")},
        {"name.unknown_type", N_("unknown document type")},
        {"name.type_mismatch", N_("number and name of different types")},
        {"name.seq", N_("sequence number (SoThuTu)")},
        {"name.duplicate", N_("duplicate name")},
        {"pdf.unreadable", N_("PDF cannot be read")},
        {"pdf.encrypted", N_("PDF protected by a password")},
        {"pdf.version", N_("PDF version too old")},
        {"pdf.no_pages", N_("PDF without pages")},
        {"doc.page_count", N_("wrong number of pages")},
        {"page.blank", N_("blank page")},
        {"page.rotated", N_("page turned")},
        {"page.skewed", N_("page tilted")},
        {"page.cropped", N_("page cut off")},
        {"page.low_dpi", N_("low resolution")},
        {"page.duplicate", N_("page scanned twice")},
        {"dossier.missing_priority1", N_("priority-1 document missing")},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(meanings); i++)
        if (strcmp(code, meanings[i].code) == 0)
            return _(meanings[i].meaning);
    return NULL;
}

/* ---- Counting ------------------------------------------------------------------------------ */

static void org_counts_free(void *p)
{
    org_counts *o = p;
    g_hash_table_destroy(o->codes);
    g_free(o);
}

static GHashTable *new_tally_table(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void add_to_tally(GHashTable *codes, const char *code, sh_severity severity)
{
    tally *t = g_hash_table_lookup(codes, code);
    if (!t) {
        t = g_new0(tally, 1);
        g_hash_table_insert(codes, g_strdup(code), t);
    }
    if (severity == SH_ERROR)
        t->errors++;
    else
        t->warnings++;
}

static org_counts *counts_of_org(vd_html *h, const char *org)
{
    const char *key = org ? org : "";
    org_counts *o = g_hash_table_lookup(h->orgs, key);
    if (!o) {
        o = g_new0(org_counts, 1);
        o->codes = new_tally_table();
        g_hash_table_insert(h->orgs, g_strdup(key), o);
    }
    return o;
}

static void count_entry(vd_html *h, const vd_file_report *r)
{
    org_counts *o = counts_of_org(h, r->org);
    if (r->kind == VD_ENTRY_FILE) {
        if (r->passed)
            o->passed++;
        else
            o->failed++;
        o->pages += r->pages > 0 ? (uint64_t)r->pages : 0;
    } else if (!r->passed) {
        o->folders_failed++;
        h->folders_failed++;
    }
    for (size_t i = 0; i < r->n_findings; i++) {
        const char *code = r->findings[i].code ? r->findings[i].code : "?";
        add_to_tally(o->codes, code, r->findings[i].severity);
        add_to_tally(h->codes, code, r->findings[i].severity);
    }
}

/* Organisation codes in order, the entries without one last. g_list_free() the list. */
static int compare_orgs(const void *a, const void *b)
{
    const char *x = a, *y = b;
    if (!*x != !*y)
        return *x ? -1 : 1;
    return strcmp(x, y);
}

static int compare_codes(const void *a, const void *b) { return strcmp(a, b); }

static GList *sorted_keys(GHashTable *table, GCompareFunc compare)
{
    return g_list_sort(g_hash_table_get_keys(table), compare);
}

/* ---- One failing entry --------------------------------------------------------------------- */

static void put_entry_heading(GString *s, const vd_file_report *r)
{
    bool folder = r->kind == VD_ENTRY_FOLDER;
    g_string_append_printf(s, "<section class=\"entry%s\">\n<h3><span class=\"kind\">",
                           folder ? " folder" : "");
    put_text(s, folder ? _("Folder") : _("File"));
    g_string_append(s, "</span> <span class=\"path\">");
    put_text(s, r->path);
    g_string_append(s, "</span></h3>\n<p class=\"meta\">");
    put_text(s, _("Organisation"));
    g_string_append(s, " <b>");
    put_text(s, org_label(r->org));
    g_string_append(s, "</b>");
    if (r->dossier) {
        g_string_append(s, " · ");
        put_text(s, _("Dossier"));
        g_string_append(s, " <b>");
        put_text(s, r->dossier);
        g_string_append(s, "</b>");
    }
    if (r->pages > 0) {
        g_string_append(s, " · ");
        put_textf(s, ngettext("%d page", "%d pages", (unsigned long)r->pages), r->pages);
    }
    if (r->has_sha256)
        g_string_append_printf(s, " · SHA-256 <span class=\"sha\" title=\"%s\">%.16s…</span>",
                               r->sha256, r->sha256);
    g_string_append(s, "</p>\n");
}

static void put_finding(GString *s, const vd_finding *f)
{
    bool error = f->severity == SH_ERROR;
    g_string_append_printf(s, "<li class=\"%s\"><span class=\"sev\">", error ? "error" : "warning");
    put_text(s, error ? _("Error") : _("Warning"));
    g_string_append(s, "</span><span class=\"where\">");
    if (f->page > 0)
        put_textf(s, _("Page %d"), f->page);
    g_string_append(s, "</span><span class=\"what\"><code>");
    put_text(s, f->code);
    g_string_append(s, "</code> ");
    put_text(s, f->message);
    if (f->suggestion && *f->suggestion) {
        g_string_append(s, "<span class=\"suggestion\">");
        put_text(s, _("Suggestion:"));
        g_string_append(s, " <code>");
        put_text(s, f->suggestion);
        g_string_append(s, "</code></span>");
    }
    g_string_append(s, "</span></li>\n");
}

/* SVG coordinates with one decimal (LC_NUMERIC is C in sohoa; the SVG needs a point). */
static char *num(char buf[G_ASCII_DTOSTR_BUF_SIZE], double v)
{
    return g_ascii_formatd(buf, G_ASCII_DTOSTR_BUF_SIZE, "%.1f", v);
}

/* A red bar along each cropped edge. */
static void mark_cropped_edges(GString *s, const vd_thumb *t, double w, double h)
{
    char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE], c[G_ASCII_DTOSTR_BUF_SIZE];
    double bar = fmax(5.0, fmin(w, h) * 0.04);
    static const int edges[] = {VD_EDGE_TOP, VD_EDGE_RIGHT, VD_EDGE_BOTTOM, VD_EDGE_LEFT};
    for (size_t i = 0; i < G_N_ELEMENTS(edges); i++) {
        if (!(t->cropped_edges & edges[i]))
            continue;
        bool horizontal = edges[i] == VD_EDGE_TOP || edges[i] == VD_EDGE_BOTTOM;
        double x = edges[i] == VD_EDGE_RIGHT ? w - bar : 0;
        double y = edges[i] == VD_EDGE_BOTTOM ? h - bar : 0;
        g_string_append_printf(s, "<rect class=\"edge\" x=\"%s\" y=\"%s\" width=\"%s\" ", num(a, x),
                               num(b, y), num(c, horizontal ? w : bar));
        g_string_append_printf(s, "height=\"%s\"/>\n", num(a, horizontal ? bar : h));
    }
}

/* A red triangle over the missing corner. */
static void mark_corner(GString *s, int corner, double w, double h)
{
    double side = fmin(w, h) * 0.3;
    double cx = corner == VD_CORNER_TOP_RIGHT || corner == VD_CORNER_BOTTOM_RIGHT ? w : 0;
    double cy = corner == VD_CORNER_BOTTOM_LEFT || corner == VD_CORNER_BOTTOM_RIGHT ? h : 0;
    double dx = cx > 0 ? -side : side, dy = cy > 0 ? -side : side;
    char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE], c[G_ASCII_DTOSTR_BUF_SIZE],
        d[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append_printf(s, "<polygon class=\"corner\" points=\"%s,%s %s,%s ", num(a, cx),
                           num(b, cy), num(c, cx + dx), num(d, cy));
    g_string_append_printf(s, "%s,%s\"/>\n", num(a, cx), num(b, cy + dy));
}

/* A curved arrow turning clockwise by the degrees that make the page upright, and the angle. */
static void mark_rotation(GString *s, int degrees, double w, double h)
{
    char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE], c[G_ASCII_DTOSTR_BUF_SIZE],
        d[G_ASCII_DTOSTR_BUF_SIZE], e[G_ASCII_DTOSTR_BUF_SIZE], f[G_ASCII_DTOSTR_BUF_SIZE];
    double cx = w / 2, cy = h / 2, r = fmin(w, h) * 0.3, head = fmax(10.0, r * 0.32);
    /* Screen angles, y down: from the top, clockwise; the arc stops short for the head. */
    double start = -G_PI / 2, end = start + degrees * G_PI / 180.0;
    double stop = end - head * 0.5 / r;
    g_string_append_printf(s, "<path class=\"turn\" d=\"M%s %s A%s %s 0 %d 1 ",
                           num(a, cx + r * cos(start)), num(b, cy + r * sin(start)), num(c, r),
                           num(d, r), degrees > 180 ? 1 : 0);
    g_string_append_printf(s, "%s %s\"/>\n", num(a, cx + r * cos(stop)),
                           num(b, cy + r * sin(stop)));
    /* The head: its tip on the circle at `end`, pointing along the clockwise tangent. */
    double ex = cx + r * cos(end), ey = cy + r * sin(end);
    double tx = -sin(end), ty = cos(end), nx = cos(end), ny = sin(end);
    double bx = ex - tx * head, by = ey - ty * head;
    g_string_append_printf(s, "<polygon class=\"head\" points=\"%s,%s %s,%s %s,%s\"/>\n",
                           num(a, ex), num(b, ey), num(c, bx + nx * head * 0.55),
                           num(d, by + ny * head * 0.55), num(e, bx - nx * head * 0.55),
                           num(f, by - ny * head * 0.55));
    g_string_append_printf(s,
                           "<text class=\"angle\" x=\"%s\" y=\"%s\" font-size=\"%s\">%d°</text>\n",
                           num(a, cx), num(b, cy + r * 0.17), num(c, r * 0.5), degrees);
}

/* The tilted text baseline through the middle, a dashed level line, and the angle. */
static void mark_skew(GString *s, double skew_deg, double w, double h)
{
    char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE], c[G_ASCII_DTOSTR_BUF_SIZE],
        d[G_ASCII_DTOSTR_BUF_SIZE];
    double cx = w / 2, cy = h / 2, half = w * 0.42;
    double rad = skew_deg * G_PI / 180.0; /* counter-clockwise positive; screen y is down */
    double dx = half * cos(rad), dy = -half * sin(rad);
    g_string_append_printf(s, "<line class=\"level\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n",
                           num(a, cx - half), num(b, cy), num(c, cx + half), num(d, cy));
    g_string_append_printf(s, "<line class=\"tilt\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n",
                           num(a, cx - dx), num(b, cy - dy), num(c, cx + dx), num(d, cy + dy));
    double label_y = fmin(cy + dy, cy) - 10;
    g_string_append_printf(s, "<text class=\"angle\" x=\"%s\" y=\"%s\" font-size=\"%s\">",
                           num(a, cx + half * 0.75), num(b, label_y), num(c, fmax(14, w * 0.08)));
    g_string_append_printf(s, "%s°</text>\n", num(a, fabs(skew_deg)));
}

static void put_badge(GString *s, const char *text)
{
    g_string_append(s, "<span class=\"badge\">");
    put_text(s, text);
    g_string_append(s, "</span>");
}

static void put_badges(GString *s, const vd_thumb *t)
{
    if (!t->blank && !t->duplicate_of && !t->low_dpi)
        return;
    g_string_append(s, "<div class=\"badges\">");
    if (t->blank)
        put_badge(s, _("blank page"));
    if (t->duplicate_of > 0) {
        char *text = g_strdup_printf(_("duplicate of page %d"), t->duplicate_of);
        put_badge(s, text);
        g_free(text);
    }
    if (t->low_dpi)
        put_badge(s, _("low resolution"));
    g_string_append(s, "</div>");
}

/* The picture as a data: URI inside an SVG, so that the marks scale with it. */
static sh_status put_picture(GString *s, const uint8_t *px, uint32_t w, uint32_t h, sh_error *err)
{
    uint8_t *png = NULL;
    size_t len = 0;
    sh_status st = vd_png_grey(px, w, h, w, &png, &len, err);
    if (st != SH_OK)
        return st;
    char *b64 = g_base64_encode(png, len);
    g_string_append_printf(
        s, "<image width=\"%u\" height=\"%u\" href=\"data:image/png;base64,%s\"/>\n", (unsigned)w,
        (unsigned)h, b64);
    g_free(b64);
    g_free(png);
    return SH_OK;
}

/* A page without pixels (none could be rendered) still shows its marks, on a grey sheet. */
enum { PLACEHOLDER_W = 255, PLACEHOLDER_H = 360 };

/* The opening of a page's picture: an SVG of its size (or the placeholder's), the picture. */
static sh_status open_page_svg(GString *s, const uint8_t *px, uint32_t pw, uint32_t ph,
                               const char *label, unsigned *w, unsigned *h, sh_error *err)
{
    bool has_picture = px && pw > 0 && ph > 0;
    *w = has_picture ? pw : PLACEHOLDER_W;
    *h = has_picture ? ph : PLACEHOLDER_H;
    g_string_append_printf(s,
                           "<div class=\"pic\"><svg viewBox=\"0 0 %u %u\" width=\"%u\" "
                           "height=\"%u\" role=\"img\" aria-label=\"",
                           *w, *h, *w, *h);
    put_text(s, label);
    g_string_append(s, "\">\n");
    if (has_picture)
        return put_picture(s, px, pw, ph, err);
    g_string_append_printf(s, "<rect width=\"%u\" height=\"%u\" fill=\"#e9ecef\"/>\n", *w, *h);
    return SH_OK;
}

/* Red frames where two pages of a duplicate pair differ. */
static void mark_areas(GString *s, const vd_twin *t, bool here, double w, double h)
{
    char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE], c[G_ASCII_DTOSTR_BUF_SIZE],
        d[G_ASCII_DTOSTR_BUF_SIZE];
    for (int k = 0; k < t->n_areas && k < VD_TWIN_AREAS; k++) {
        double x = (here ? t->here[k].x : t->there[k].x) * w,
               y = (here ? t->here[k].y : t->there[k].y) * h;
        double aw = (here ? t->here[k].w : t->there[k].w) * w,
               ah = (here ? t->here[k].h : t->there[k].h) * h;
        g_string_append_printf(s, "<rect class=\"differs\" x=\"%s\" y=\"%s\" width=\"%s\" ",
                               num(a, x - 2), num(b, y - 2), num(c, aw + 4));
        g_string_append_printf(s, "height=\"%s\"/>\n", num(d, ah + 4));
    }
}

/* The page that a duplicate repeats, on the left of the pair. */
static sh_status put_twin(GString *s, const vd_twin *t, sh_error *err)
{
    char *label = t->file ? g_strdup_printf(_("Page %d of %s"), t->page, t->file)
                          : g_strdup_printf(_("Page %d"), t->page);
    unsigned w, h;
    sh_status st = open_page_svg(s, t->px, t->w, t->h, label, &w, &h, err);
    if (st == SH_OK) {
        g_string_append(s, "<g class=\"marks\">\n");
        mark_areas(s, t, false, w, h);
        g_string_append(s, "</g></svg></div>");
        g_string_append(s, "<span class=\"twin-label\">");
        put_text(s, label);
        g_string_append(s, "</span>");
    }
    g_free(label);
    return st;
}

static sh_status put_thumb(GString *s, const vd_thumb *t, sh_error *err)
{
    bool pair = t->twin.page > 0;
    char *label = g_strdup_printf(_("Page %d"), t->page);
    g_string_append(s, pair ? "<figure class=\"thumb pair\"><div class=\"twins\"><div>"
                            : "<figure class=\"thumb\">");
    sh_status st = pair ? put_twin(s, &t->twin, err) : SH_OK;
    if (pair && st == SH_OK)
        g_string_append(s, "</div><div>");
    unsigned w = 0, h = 0;
    if (st == SH_OK)
        st = open_page_svg(s, t->px, t->w, t->h, label, &w, &h, err);
    if (st != SH_OK) {
        g_free(label);
        return st;
    }
    g_string_append(s, "<g class=\"marks\">\n");
    if (t->cropped_edges)
        mark_cropped_edges(s, t, w, h);
    if (t->corner >= VD_CORNER_TOP_LEFT && t->corner <= VD_CORNER_BOTTOM_LEFT)
        mark_corner(s, t->corner, w, h);
    if (t->skewed)
        mark_skew(s, t->skew_deg, w, h);
    int rotate = ((t->rotate % 360) + 360) % 360;
    if (rotate)
        mark_rotation(s, rotate, w, h);
    if (pair)
        mark_areas(s, &t->twin, true, w, h);
    g_string_append(s, "</g></svg>");
    put_badges(s, t);
    g_string_append(s, "</div>");
    if (pair) {
        g_string_append(s, "<span class=\"twin-label\">");
        put_text(s, label);
        g_string_append(s, "</span></div></div><figcaption>");
        if (t->twin.confident && t->twin.file)
            put_textf(s, _("Page %d is page %d of %s scanned again: the same sheet"), t->page,
                      t->twin.page, t->twin.file);
        else if (t->twin.confident)
            put_textf(s, _("Page %d is page %d scanned again: the same sheet"), t->page,
                      t->twin.page);
        else if (t->twin.file)
            put_textf(s, _("Page %d looks like page %d of %s: compare them where marked"), t->page,
                      t->twin.page, t->twin.file);
        else
            put_textf(s, _("Page %d looks like page %d: compare them where marked"), t->page,
                      t->twin.page);
    } else {
        g_string_append(s, "<figcaption>");
        put_text(s, label);
    }
    g_string_append(s, "</figcaption></figure>\n");
    g_free(label);
    return SH_OK;
}

/* What is in s goes to the scratch file, and s is emptied. */
static sh_status flush_to_scratch(vd_html *h, GString *s, sh_error *err)
{
    bool written = fwrite(s->str, 1, s->len, h->entries) == s->len;
    g_string_truncate(s, 0);
    return written ? SH_OK : sh_fail_errno(err, SH_INTERNAL, errno, _("cannot write %s"), h->path);
}

/* One entry, written a thumbnail at a time: a document with hundreds of flagged pages does not
 * sit in memory whole. */
static sh_status render_entry(vd_html *h, GString *s, const vd_file_report *r, sh_error *err)
{
    put_entry_heading(s, r);
    if (r->n_findings) {
        g_string_append(s, "<ul class=\"findings\">\n");
        for (size_t i = 0; i < r->n_findings; i++)
            put_finding(s, &r->findings[i]);
        g_string_append(s, "</ul>\n");
    }
    if (r->n_thumbs)
        g_string_append(s, "<div class=\"thumbs\">\n");
    for (size_t i = 0; i < r->n_thumbs; i++) {
        sh_status st = put_thumb(s, &r->thumbs[i], err);
        if (st == SH_OK)
            st = flush_to_scratch(h, s, err);
        if (st != SH_OK)
            return st;
    }
    if (r->n_thumbs)
        g_string_append(s, "</div>\n");
    g_string_append(s, "</section>\n");
    return flush_to_scratch(h, s, err);
}

/* Cut the scratch file back to `length`, dropping an entry that failed half-way, so that the
 * page stays well-formed if the run goes on. */
static void drop_entries_after(vd_html *h, off_t length)
{
    if (fflush(h->entries) == 0 && ftruncate(fileno(h->entries), length) == 0)
        fseeko(h->entries, length, SEEK_SET);
}

/* ---- The page around the entries ----------------------------------------------------------- */

static const char PAGE_STYLE[] =
    ":root{--pass:" COLOUR_PASS ";--fail:" COLOUR_FAIL ";--err:#b3261e;--warn:#8a5a00;"
    "--mark:" COLOUR_MARK ";--ink:#1f2328;--muted:#59636e;--line:#d5dbe1}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    "body{margin:0 auto;max-width:1200px;padding:24px 28px 40px;color:var(--ink);background:#fff;"
    "font:15px/1.5 \"Noto Sans\",\"DejaVu Sans\",\"Liberation Sans\",\"Segoe UI\",Arial,"
    "sans-serif}\n"
    "h1{font-size:26px;margin:0 0 6px}\n"
    "h2{font-size:19px;margin:30px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--line);"
    "break-after:avoid}\n"
    "code,.path,.sha,.org{font-family:\"DejaVu Sans Mono\",\"Liberation Mono\",Consolas,monospace;"
    "font-size:.9em;overflow-wrap:anywhere}\n"
    ".sub{margin:2px 0;color:var(--muted)}\n"
    ".sub .path{color:var(--ink);font-weight:bold}\n"
    ".verdict{margin:18px 0;padding:12px 18px;border-radius:8px;font-size:19px;font-weight:bold}\n"
    ".verdict.ok{background:#e7f4e9;color:#1b5e20;border:2px solid var(--pass)}\n"
    ".verdict.bad{background:#fdf1e7;color:#7a3400;border:2px solid var(--fail)}\n"
    ".verdict.empty{background:#f1f3f5;color:var(--muted);border:2px solid var(--line)}\n"
    ".tiles{display:flex;flex-wrap:wrap;gap:10px;margin:0;padding:0;list-style:none}\n"
    ".tiles li{flex:1 1 120px;border:1px solid var(--line);border-radius:8px;padding:6px 12px;"
    "color:var(--muted)}\n"
    ".tiles b{display:block;font-size:25px;color:var(--ink)}\n"
    ".tiles .passed b{color:var(--pass)}.tiles .failed b{color:var(--fail)}"
    ".tiles .errors b{color:var(--err)}.tiles .warnings b{color:var(--warn)}"
    ".tiles .zero b{color:#aab2bb}\n"
    ".legend{display:flex;gap:18px;margin:0 0 6px;color:var(--muted)}\n"
    ".swatch{display:inline-block;width:14px;height:14px;border-radius:3px;margin-right:6px;"
    "vertical-align:-2px}\n"
    ".chart{width:100%;height:auto;display:block}\n"
    ".chart text{font-family:\"DejaVu Sans\",\"Liberation Sans\",Arial,sans-serif;font-size:14px;"
    "fill:var(--ink)}\n"
    ".chart .org{font-family:\"DejaVu Sans Mono\",\"Liberation Mono\",monospace}\n"
    ".chart .in{fill:#fff;font-weight:bold;text-anchor:middle}\n"
    ".chart .more{fill:var(--muted);font-size:13px}\n"
    "table{border-collapse:collapse;width:100%}\n"
    "th,td{text-align:left;padding:5px 10px;border-bottom:1px solid var(--line);"
    "vertical-align:top}\n"
    "th{background:#f4f6f8}\n"
    "th.n,td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "td.zero{color:#aab2bb}\n"
    "td.orgs{color:var(--muted);font-size:.92em}\n"
    ".note{color:var(--muted);margin:0 0 8px}\n"
    ".entry{border:1px solid var(--line);border-left:6px solid var(--err);border-radius:8px;"
    "padding:12px 16px;margin:14px 0}\n"
    ".entry h3{margin:0;font-size:16px;overflow-wrap:anywhere}\n"
    ".kind{display:inline-block;font-size:12px;font-weight:bold;text-transform:uppercase;"
    "letter-spacing:.04em;color:#fff;background:#59636e;border-radius:4px;padding:1px 7px;"
    "margin-right:6px;vertical-align:2px}\n"
    ".folder .kind{background:#6a4c93}\n"
    ".meta{margin:4px 0 8px;color:var(--muted)}\n"
    ".meta b{color:var(--ink);font-weight:600}\n"
    ".findings{list-style:none;margin:0;padding:0}\n"
    ".findings li{display:grid;grid-template-columns:7em 5.5em 1fr;gap:10px;padding:5px 0;"
    "border-top:1px dashed var(--line);break-inside:avoid}\n"
    ".sev{font-size:12px;font-weight:bold;text-transform:uppercase;border-radius:4px;"
    "padding:2px 6px;text-align:center;align-self:start}\n"
    ".error .sev{background:var(--err);color:#fff}\n"
    ".warning .sev{background:#fff3cd;color:#5c3d00;border:1px solid #d9a400}\n"
    ".where{color:var(--muted);white-space:nowrap}\n"
    ".what code{background:#f1f3f5;border-radius:3px;padding:0 4px;margin-right:4px}\n"
    ".suggestion{display:block;color:var(--muted)}\n"
    ".thumbs{display:flex;flex-wrap:wrap;gap:18px;margin-top:12px}\n"
    "figure{margin:0;text-align:center;break-inside:avoid}\n"
    ".pic{position:relative;display:inline-block;line-height:0;border:1px solid #8c959f;"
    "box-shadow:0 1px 5px rgba(0,0,0,.2);background:#fff}\n"
    ".pic svg{display:block;max-width:100%;height:auto}\n"
    ".marks .edge,.marks .corner,.marks .head{fill:var(--mark);stroke:#fff;stroke-width:2;"
    "paint-order:stroke}\n"
    ".marks .turn{fill:none;stroke:var(--mark);stroke-width:6;stroke-linecap:round}\n"
    ".marks .tilt{stroke:var(--mark);stroke-width:4;stroke-linecap:round}\n"
    ".marks .level{stroke:#1f6feb;stroke-width:2;stroke-dasharray:6 5}\n"
    ".marks .angle{fill:var(--mark);stroke:#fff;stroke-width:4;paint-order:stroke;"
    "font-family:\"DejaVu Sans\",Arial,sans-serif;font-weight:bold;text-anchor:middle}\n"
    ".badges{position:absolute;left:6px;top:6px;display:flex;flex-direction:column;"
    "align-items:flex-start;gap:4px;line-height:1.25}\n"
    ".pair{flex-basis:100%}\n"
    ".twins{display:flex;flex-wrap:wrap;gap:12px;justify-content:center;align-items:flex-start}\n"
    ".twins>div{display:flex;flex-direction:column;align-items:center;gap:4px}\n"
    ".twin-label{font-size:13px;color:var(--muted)}\n"
    ".marks .differs{fill:none;stroke:var(--mark);stroke-width:3}\n"
    ".badge{background:var(--mark);color:#fff;font-size:12px;font-weight:bold;padding:2px 8px;"
    "border-radius:10px;box-shadow:0 0 0 2px #fff}\n"
    "figcaption{margin-top:6px;font-weight:bold}\n"
    "footer{margin-top:32px;color:var(--muted);font-size:13px}\n"
    "@media print{body{max-width:none;padding:0;font-size:10pt}"
    ".entry>h3,.entry>.meta{break-after:avoid}.pic{box-shadow:none}"
    ".pic svg{width:auto;max-height:60mm}.tiles li{flex-basis:80px}}\n";

static void put_head(GString *s, const char *title_path)
{
    g_string_append_printf(
        s,
        "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<title>",
        sh_i18n_lang() == SH_LANG_VI ? "vi" : "en");
    put_text(s, _("Validation report"));
    if (title_path) {
        g_string_append(s, " — ");
        put_text(s, title_path);
    }
    g_string_append(s, "</title>\n<style>\n");
    g_string_append(s, PAGE_STYLE);
    g_string_append(s, "</style>\n</head>\n<body>\n");
}

static void put_heading(GString *s, const char *title_path, const vd_summary *sum)
{
    g_string_append(s, "<header>\n<h1>");
    put_text(s, _("Validation report"));
    g_string_append(s, "</h1>\n");
    if (title_path) {
        /* "." means nothing to whoever opens the page later, elsewhere: show where it was. */
        char *shown = !g_path_is_absolute(title_path) && g_file_test(title_path, G_FILE_TEST_EXISTS)
                          ? g_canonicalize_filename(title_path, NULL)
                          : g_strdup(title_path);
        g_string_append(s, "<p class=\"sub\">");
        put_text(s, _("Checked:"));
        g_string_append(s, " <span class=\"path\">");
        put_text(s, shown);
        g_string_append(s, "</span></p>\n");
        g_free(shown);
    }
    char when[64] = "";
    time_t now = time(NULL);
    struct tm local;
    if (localtime_r(&now, &local))
        /* TRANSLATORS: strftime() format of the report's date and time.
           xgettext:no-c-format */
        strftime(when, sizeof when, _("%Y-%m-%d %H:%M"), &local);
    g_string_append(s, "<p class=\"sub\">");
    if (sum->seconds > 0)
        put_textf(s, _("Made on %s, in %.1f seconds."), when, sum->seconds);
    else
        put_textf(s, _("Made on %s."), when);
    g_string_append(s, "</p>\n</header>\n");
}

static void put_verdict(GString *s, const vd_summary *sum, size_t folders_failed)
{
    if (sum->incomplete) {
        /* Never "all passed" about what could not be read. */
        g_string_append(s, "<p class=\"verdict bad\">✗ ");
        put_textf(s,
                  ngettext("%zu of the paths given could not be checked in full: see the "
                           "messages of the run.",
                           "%zu of the paths given could not be checked in full: see the "
                           "messages of the run.",
                           sum->incomplete),
                  sum->incomplete);
        g_string_append(s, "</p>\n");
    }
    if (sum->files == 0 && folders_failed == 0) {
        g_string_append(s, "<p class=\"verdict empty\">");
        put_text(s, _("No file was validated."));
    } else if (sum->failed == 0 && folders_failed == 0 && !sum->incomplete) {
        g_string_append(s, "<p class=\"verdict ok\">✓ ");
        put_textf(s, ngettext("All %zu file passed.", "All %zu files passed.", sum->files),
                  sum->files);
    } else {
        g_string_append(s, "<p class=\"verdict bad\">✗ ");
        put_textf(s, ngettext("%zu of %zu file failed.", "%zu of %zu files failed.", sum->files),
                  sum->failed, sum->files);
        if (folders_failed) {
            g_string_append_c(s, ' ');
            put_textf(
                s, ngettext("%zu folder has errors.", "%zu folders have errors.", folders_failed),
                folders_failed);
        }
    }
    g_string_append(s, "</p>\n");
}

static void put_tile(GString *s, const char *class, const char *label, uint64_t n)
{
    g_string_append_printf(s, "<li class=\"%s%s\" data-n=\"%llu\"><b>%llu</b>", class,
                           n ? "" : " zero", (unsigned long long)n, (unsigned long long)n);
    put_text(s, label);
    g_string_append(s, "</li>\n");
}

static void put_tiles(GString *s, const vd_summary *sum)
{
    g_string_append(s, "<ul class=\"tiles\">\n");
    put_tile(s, "files", _("files"), sum->files);
    put_tile(s, "passed", _("passed"), sum->passed);
    put_tile(s, "failed", _("failed"), sum->failed);
    put_tile(s, "pages", _("pages"), sum->pages);
    put_tile(s, "dossiers", _("dossiers"), sum->dossiers);
    put_tile(s, "errors", _("errors"), sum->errors);
    put_tile(s, "warnings", _("warnings"), sum->warnings);
    g_string_append(s, "</ul>\n");
}

/* The chart's geometry, in SVG units (the SVG scales to the page's width). */
enum {
    CHART_W = 1000,
    CHART_LABEL_W = 200,
    CHART_BAR_W = 480,
    CHART_ROW_H = 32,
    CHART_BAR_H = 22,
    CHART_LABEL_CHARS = 22,
    CHART_MIN_LABELLED = 28 /* narrower segments carry no count */
};

static void put_bar_segment(GString *s, double x, double width, const char *colour, size_t n, int y)
{
    char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];
    if (width <= 0)
        return;
    g_string_append_printf(s, "<rect x=\"%s\" y=\"%d\" width=\"%s\" height=\"%d\" fill=\"%s\"/>",
                           num(a, x), y, num(b, width), CHART_BAR_H, colour);
    if (width >= CHART_MIN_LABELLED)
        g_string_append_printf(s, "<text class=\"in\" x=\"%s\" y=\"%d\">%zu</text>",
                               num(a, x + width / 2), y + CHART_BAR_H - 6, n);
}

static void put_chart_row(GString *s, const char *org, const org_counts *o, size_t most, int y)
{
    g_string_append(s, "<g class=\"row\" data-org=\"");
    put_text(s, org);
    g_string_append_printf(s, "\" data-passed=\"%zu\" data-failed=\"%zu\"><title>", o->passed,
                           o->failed);
    put_text(s, org_label(org));
    g_string_append(s, "</title>");
    /* Long labels (no organisation, in words) are cut; the title holds them whole. */
    const char *label = org_label(org);
    char *shown = g_utf8_strlen(label, -1) > CHART_LABEL_CHARS
                      ? g_utf8_substring(label, 0, CHART_LABEL_CHARS - 1)
                      : g_strdup(label);
    g_string_append_printf(s, "<text class=\"%s\" x=\"0\" y=\"%d\">", *org ? "org" : "",
                           y + CHART_BAR_H - 6);
    put_text(s, shown);
    if (strcmp(shown, label) != 0)
        g_string_append(s, "…");
    g_free(shown);
    g_string_append_printf(s,
                           "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                           "fill=\"#eef1f4\"/>",
                           CHART_LABEL_W, y, CHART_BAR_W, CHART_BAR_H);
    double unit = (double)CHART_BAR_W / (double)(most ? most : 1);
    put_bar_segment(s, CHART_LABEL_W, unit * (double)o->passed, COLOUR_PASS, o->passed, y);
    put_bar_segment(s, CHART_LABEL_W + unit * (double)o->passed, unit * (double)o->failed,
                    COLOUR_FAIL, o->failed, y);
    g_string_append_printf(s, "<text class=\"more\" x=\"%d\" y=\"%d\">",
                           CHART_LABEL_W + CHART_BAR_W + 12, y + CHART_BAR_H - 6);
    size_t files = o->passed + o->failed;
    put_textf(s, ngettext("%zu file", "%zu files", files), files);
    g_string_append(s, " · ");
    put_textf(s, ngettext("%llu page", "%llu pages", (unsigned long)o->pages),
              (unsigned long long)o->pages);
    if (o->folders_failed) {
        g_string_append(s, " · ");
        put_textf(s,
                  ngettext("%zu folder with errors", "%zu folders with errors", o->folders_failed),
                  o->folders_failed);
    }
    g_string_append(s, "</text></g>\n");
}

static void put_legend(GString *s)
{
    g_string_append(
        s, "<p class=\"legend\"><span><span class=\"swatch\" style=\"background:" COLOUR_PASS
           "\"></span>");
    put_text(s, _("passed"));
    g_string_append(s, "</span><span><span class=\"swatch\" style=\"background:" COLOUR_FAIL
                       "\"></span>");
    put_text(s, _("failed"));
    g_string_append(s, "</span></p>\n");
}

/* A stacked bar of passed and failed files per organisation. */
static void put_org_chart(GString *s, vd_html *h, GList *orgs)
{
    g_string_append(s, "<section class=\"by-org\">\n<h2>");
    put_text(s, _("By organisation"));
    g_string_append(s, "</h2>\n");
    if (!orgs) {
        g_string_append(s, "<p class=\"note\">");
        put_text(s, _("Nothing to show."));
        g_string_append(s, "</p>\n</section>\n");
        return;
    }
    put_legend(s);
    size_t most = 0, rows = g_list_length(orgs);
    for (GList *l = orgs; l; l = l->next) {
        const org_counts *o = g_hash_table_lookup(h->orgs, l->data);
        most = MAX(most, o->passed + o->failed);
    }
    g_string_append_printf(s,
                           "<svg class=\"chart\" viewBox=\"0 0 %d %zu\" role=\"img\" aria-label=\"",
                           CHART_W, rows * CHART_ROW_H);
    put_text(s, _("Files passed and failed, by organisation"));
    g_string_append(s, "\">\n");
    int y = 4;
    for (GList *l = orgs; l; l = l->next, y += CHART_ROW_H)
        put_chart_row(s, l->data, g_hash_table_lookup(h->orgs, l->data), most, y);
    g_string_append(s, "</svg>\n</section>\n");
}

/* "93.000.036.001.015: 3, 93.000.036.001.016: 1" for one code. */
static void put_code_orgs(GString *s, vd_html *h, GList *orgs, const char *code)
{
    bool first = true;
    for (GList *l = orgs; l; l = l->next) {
        const org_counts *o = g_hash_table_lookup(h->orgs, l->data);
        const tally *t = g_hash_table_lookup(o->codes, code);
        if (!t)
            continue;
        if (!first)
            g_string_append(s, ", ");
        first = false;
        g_string_append(s, "<span class=\"org\">");
        put_text(s, org_label(l->data));
        g_string_append_printf(s, "</span>: %zu", t->errors + t->warnings);
    }
}

/* How often each finding code occurred: errors, warnings, and in which organisations. */
static void put_code_table(GString *s, vd_html *h, GList *orgs)
{
    GList *codes = sorted_keys(h->codes, compare_codes);
    if (!codes)
        return;
    g_string_append(s, "<section class=\"by-code\">\n<h2>");
    put_text(s, _("Problems by kind"));
    g_string_append(s, "</h2>\n<table class=\"codes\">\n<thead><tr><th>");
    put_text(s, _("Code"));
    g_string_append(s, "</th><th>");
    put_text(s, _("Meaning"));
    g_string_append(s, "</th><th class=\"n\">");
    put_text(s, _("errors"));
    g_string_append(s, "</th><th class=\"n\">");
    put_text(s, _("warnings"));
    g_string_append(s, "</th><th>");
    put_text(s, _("By organisation"));
    g_string_append(s, "</th></tr></thead>\n<tbody>\n");
    for (GList *l = codes; l; l = l->next) {
        const tally *t = g_hash_table_lookup(h->codes, l->data);
        g_string_append(s, "<tr data-code=\"");
        put_text(s, l->data);
        g_string_append_printf(s, "\" data-errors=\"%zu\" data-warnings=\"%zu\"><td><code>",
                               t->errors, t->warnings);
        put_text(s, l->data);
        g_string_append(s, "</code></td><td>");
        put_text(s, code_meaning(l->data));
        g_string_append_printf(s, "</td><td class=\"n%s\">%zu</td><td class=\"n%s\">%zu</td>",
                               t->errors ? "" : " zero", t->errors, t->warnings ? "" : " zero",
                               t->warnings);
        g_string_append(s, "<td class=\"orgs\">");
        put_code_orgs(s, h, orgs, l->data);
        g_string_append(s, "</td></tr>\n");
    }
    g_string_append(s, "</tbody></table>\n</section>\n");
    g_list_free(codes);
}

static void put_entries_heading(GString *s, size_t shown)
{
    g_string_append(s, "<section class=\"failed\">\n<h2>");
    put_textf(s, _("Documents and folders with errors (%zu)"), shown);
    g_string_append(s, "</h2>\n<p class=\"note\">");
    if (shown)
        put_text(s, _("Each one with its findings and a picture of every flagged page, the "
                      "problem marked in red. Files that passed with warnings are counted above "
                      "but not shown."));
    else
        put_text(s, _("None: every document and folder passed."));
    g_string_append(s, "</p>\n");
}

static void put_tail(GString *s)
{
    g_string_append(s, "</section>\n<footer>");
    put_textf(s, _("Made by sohoa %s."), SOHOA_VERSION);
    g_string_append(s, "</footer>\n</body>\n</html>\n");
}

/* The summary as counted here, for a caller that has none. */
static void summary_from_counts(vd_html *h, vd_summary *sum)
{
    *sum = (vd_summary){0};
    GHashTableIter it;
    void *key, *value;
    g_hash_table_iter_init(&it, h->orgs);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        const org_counts *o = value;
        sum->passed += o->passed;
        sum->failed += o->failed;
        sum->pages += o->pages;
    }
    sum->files = sum->passed + sum->failed;
    g_hash_table_iter_init(&it, h->codes);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        sum->errors += ((const tally *)value)->errors;
        sum->warnings += ((const tally *)value)->warnings;
    }
}

/* ---- Files --------------------------------------------------------------------------------- */

/* The scratch file for the entries, beside the page (same file system, same permissions), and
 * unlinked at once: nothing is left behind whatever happens to the run. */
static sh_status open_scratch_beside(const char *path, FILE **out, sh_error *err)
{
    char *dir = g_path_get_dirname(path);
    char *base = g_path_get_basename(path);
    char *name = g_strdup_printf("%s/.%s.entries-XXXXXX", dir, base);
    sh_status st = SH_OK;
    int fd = mkostemp(name, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        st = sh_fail_errno(err, e == ENOENT || e == ENOTDIR ? SH_USAGE : SH_INPUT, e,
                           _("cannot create a file beside %s"), path);
    } else {
        unlink(name);
        *out = fdopen(fd, "w+");
        if (!*out) {
            st = sh_fail_errno(err, SH_INTERNAL, errno, _("cannot write %s"), path);
            close(fd);
        }
    }
    g_free(name);
    g_free(base);
    g_free(dir);
    return st;
}

static void html_free(vd_html *h)
{
    if (h->entries)
        fclose(h->entries);
    g_hash_table_destroy(h->orgs);
    g_hash_table_destroy(h->codes);
    g_free(h->path);
    g_free(h);
}

sh_status vd_html_begin(const char *path, vd_html **out, sh_error *err)
{
    *out = NULL;
    if (g_file_test(path, G_FILE_TEST_IS_DIR))
        return sh_fail(err, SH_USAGE, _("%s is a folder: give the report a file name"), path);
    FILE *entries = NULL;
    sh_status st = open_scratch_beside(path, &entries, err);
    if (st != SH_OK)
        return st;
    vd_html *h = g_new0(vd_html, 1);
    h->path = g_strdup(path);
    h->entries = entries;
    h->orgs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, org_counts_free);
    h->codes = new_tally_table();
    *out = h;
    return SH_OK;
}

sh_status vd_html_add(vd_html *h, const vd_file_report *r, sh_error *err)
{
    count_entry(h, r);
    bool pair = false; /* a page alike another but for a few places: a warning to look at */
    for (size_t i = 0; i < r->n_thumbs && !pair; i++)
        pair = r->thumbs[i].twin.page > 0;
    if (r->passed && !pair)
        return SH_OK;
    off_t start = ftello(h->entries);
    GString *s = g_string_sized_new(16384);
    sh_status st = render_entry(h, s, r, err);
    g_string_free(s, TRUE);
    if (st == SH_OK)
        h->entries_shown++;
    else if (start >= 0)
        drop_entries_after(h, start);
    return st;
}

/* The rendered entries, from the scratch file into the page, a block at a time. */
static sh_status copy_entries(vd_html *h, sh_atomic_file *page, sh_error *err)
{
    if (fflush(h->entries) != 0 || fseek(h->entries, 0, SEEK_SET) != 0)
        return sh_fail_errno(err, SH_INTERNAL, errno, _("cannot write %s"), h->path);
    char block[65536];
    size_t n;
    while ((n = fread(block, 1, sizeof block, h->entries)) > 0) {
        sh_status st = sh_atomic_write(page, block, n, err);
        if (st != SH_OK)
            return st;
    }
    if (ferror(h->entries))
        return sh_fail_errno(err, SH_INTERNAL, errno, _("cannot write %s"), h->path);
    return SH_OK;
}

static sh_status write_string(sh_atomic_file *page, GString *s, sh_error *err)
{
    sh_status st = sh_atomic_write(page, s->str, s->len, err);
    g_string_truncate(s, 0);
    return st;
}

sh_status vd_html_finish(vd_html *h, const char *title_path, const vd_summary *sum, sh_error *err)
{
    sh_error local; /* the status must not depend on whether the caller wants the message */
    if (!err)
        err = &local;
    vd_summary counted;
    if (!sum) {
        summary_from_counts(h, &counted);
        sum = &counted;
    }
    sh_atomic_file *page = sh_atomic_open(h->path, 0, err);
    if (!page) {
        html_free(h);
        return err->status;
    }
    GList *orgs = sorted_keys(h->orgs, compare_orgs);
    GString *s = g_string_sized_new(65536);
    put_head(s, title_path);
    put_heading(s, title_path, sum);
    put_verdict(s, sum, h->folders_failed);
    put_tiles(s, sum);
    put_org_chart(s, h, orgs);
    put_code_table(s, h, orgs);
    put_entries_heading(s, h->entries_shown);
    g_list_free(orgs);
    sh_status st = write_string(page, s, err);
    if (st == SH_OK)
        st = copy_entries(h, page, err);
    if (st == SH_OK) {
        put_tail(s);
        st = write_string(page, s, err);
    }
    g_string_free(s, TRUE);
    if (st == SH_OK)
        st = sh_atomic_commit(page, err);
    else
        sh_atomic_abort(page);
    html_free(h);
    return st;
}

void vd_html_abort(vd_html *h)
{
    if (h)
        html_free(h);
}
