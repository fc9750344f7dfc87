/* The dashboard (`report --html`): one self-contained page (inline CSS and SVG, no script,
 * nothing fetched) that a supervisor opens offline, on a desk or on a phone. In Vietnamese by
 * default, English with lang "en": the same code, gettext switched for the time of the writing.
 *
 * Colours are never the only cue: every badge carries its words and a sign, every bar its
 * figures in the table below. Counts only, as the report holds nothing else. */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include <glib.h>

#include "progress/progress.h"

/* HD11 III.1đ's colours; the test looks for them in a screenshot. */
#define COLOUR_ON_TIME "#2e7d32"
#define COLOUR_DUE_SOON "#f2a900"
#define COLOUR_OVERDUE "#c62828"
#define COLOUR_NO_PLAN "#6e7781"

/* The cumulative stages drawn in a bar, light to dark: each nested in the one before. */
static const char *const STAGE_COLOUR[PG_PAPER_RETURNED] = {
    "#dfe7f1", "#bccfe6", "#94b3d8", "#6f95c6", "#4c78b0", "#335f99", "#1f4a80", "#0d2f5c"};

/* The progress chart's lines. */
#define COLOUR_SCANNED "#1f6feb"
#define COLOUR_SIGNED "#8250df"
#define COLOUR_ACCEPTED "#0b2f5c"
#define COLOUR_PLANNED "#59636e"

typedef struct {
    GString *s;
    const pg_report *r;
    char thousands; /* '.' in Vietnamese, ',' in English */
    char decimal;
} page;

/* ---- Text and numbers ---------------------------------------------------------------------- */

static void put_text(GString *s, const char *text)
{
    char *escaped = sh_html_escape(text);
    g_string_append(s, escaped);
    g_free(escaped);
}

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

/* n with the language's thousands separator: "12.345" / "12,345". */
static void put_number(page *p, uint64_t n)
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            g_string_append_c(p->s, p->thousands);
        g_string_append_c(p->s, digits[i]);
    }
}

/* A count as shown: "<N" when suppressed (the value is below the report's min_cell). */
static void put_count(page *p, uint64_t n)
{
    if (n == PG_SUPPRESSED)
        g_string_append_printf(p->s, "&lt;%d", p->r->min_cell);
    else
        put_number(p, n);
}

/* A table cell holding a count; data-v holds the exact value ("" when suppressed). */
static void put_count_cell(page *p, const char *key, uint64_t n)
{
    g_string_append_printf(p->s, "<td class=\"n\" data-k=\"%s\" data-v=\"", key);
    if (n != PG_SUPPRESSED)
        g_string_append_printf(p->s, "%llu", (unsigned long long)n);
    g_string_append(p->s, "\">");
    put_count(p, n);
    g_string_append(p->s, "</td>");
}

/* A rate with one decimal and the language's decimal mark; "–" when hidden (not finite). */
static void put_rate_cell(page *p, const char *key, double v)
{
    g_string_append_printf(p->s, "<td class=\"n\" data-k=\"%s\" data-v=\"", key);
    if (!isfinite(v)) {
        g_string_append(p->s, "\">–</td>");
        return;
    }
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(buf, sizeof buf, "%.1f", v);
    g_string_append_printf(p->s, "%s\">", buf);
    char *point = strchr(buf, '.');
    if (point)
        *point = p->decimal;
    g_string_append_printf(p->s, "%s</td>", buf);
}

/* SVG coordinates with one decimal, whatever LC_NUMERIC says. */
static const char *num(char buf[G_ASCII_DTOSTR_BUF_SIZE], double v)
{
    return g_ascii_formatd(buf, G_ASCII_DTOSTR_BUF_SIZE, "%.1f", v);
}

/* A suppressed count counts as nothing in a bar or a line. */
static double value_of(uint64_t n) { return n == PG_SUPPRESSED ? 0.0 : (double)n; }

static const char *org_name(const pg_org_row *row)
{
    return row->level == 0 ? _("All organisations") : row->org;
}

/* The name with a line-break opportunity after each dot of a code ("93.000.036.<wbr>…"), so that
 * a full code wraps in the narrow first column of a phone rather than overflowing it. */
static void put_org_name(GString *s, const pg_org_row *row)
{
    char **parts = g_strsplit(org_name(row), ".", -1);
    for (size_t i = 0; parts[i]; i++) {
        if (i > 0)
            g_string_append(s, ".<wbr>");
        put_text(s, parts[i]);
    }
    g_strfreev(parts);
}

/* "2026-12-06T17:00:00Z" as "2026-12-06 17:00 UTC" for people. */
static void put_time(GString *s, const char *rfc3339)
{
    g_string_append(s, "<time datetime=\"");
    put_text(s, rfc3339);
    g_string_append(s, "\">");
    char shown[32];
    g_strlcpy(shown, rfc3339, sizeof shown);
    if (strlen(shown) >= 16 && shown[10] == 'T') {
        shown[10] = ' ';
        shown[16] = '\0';
        put_text(s, shown);
        if (g_str_has_suffix(rfc3339, "Z"))
            g_string_append(s, " UTC");
    } else {
        put_text(s, rfc3339);
    }
    g_string_append(s, "</time>");
}

/* ---- Timeliness ---------------------------------------------------------------------------- */

static const char *timeliness_class(pg_timeliness t)
{
    switch (t) {
    case PG_ON_TIME:
        return "on-time";
    case PG_DUE_SOON:
        return "due-soon";
    case PG_OVERDUE:
        return "overdue";
    default:
        return "no-plan";
    }
}

/* A sign beside the words, for whoever cannot tell the colours apart. */
static const char *timeliness_sign(pg_timeliness t)
{
    switch (t) {
    case PG_ON_TIME:
        return "✓";
    case PG_DUE_SOON:
        return "!";
    case PG_OVERDUE:
        return "✗";
    default:
        return "–";
    }
}

static void put_timeliness(page *p, pg_timeliness t, const char *measure)
{
    g_string_append_printf(p->s,
                           "<span class=\"badge %s\" data-timeliness=\"%d\" "
                           "data-measure=\"%s\">",
                           timeliness_class(t), (int)t, measure);
    g_string_append_printf(p->s, "<span aria-hidden=\"true\">%s</span> ", timeliness_sign(t));
    put_text(p->s, pg_timeliness_label(t));
    g_string_append(p->s, "</span>");
}

static void put_badge(page *p, const pg_org_row *row)
{
    put_timeliness(p, row->timeliness, "complete");
}

/* The priority-1 plan line's badge and deadline, when the plan has one for the row. */
static void put_priority1(page *p, const pg_org_row *row, bool target)
{
    if (!row->priority1_deadline[0])
        return;
    put_text(p->s, _("priority-1 documents:"));
    g_string_append(p->s, " ");
    put_timeliness(p, row->priority1_timeliness, "priority1");
    g_string_append(p->s, " ");
    put_textf(p->s, _("deadline %s"), row->priority1_deadline);
    if (!target)
        return;
    g_string_append(p->s, " · ");
    put_text(p->s, _("target"));
    g_string_append(p->s, " ");
    put_count(p, row->priority1_target);
}

/* ---- Head and heading ---------------------------------------------------------------------- */

static const char PAGE_STYLE[] =
    ":root{--on-time:" COLOUR_ON_TIME ";--due-soon:" COLOUR_DUE_SOON ";--overdue:" COLOUR_OVERDUE
    ";--no-plan:" COLOUR_NO_PLAN ";--ink:#1f2328;--muted:#59636e;--line:#d5dbe1}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    "body{margin:0 auto;max-width:1200px;padding:24px 28px 40px;color:var(--ink);background:#fff;"
    "font:15px/1.5 \"Noto Sans\",\"DejaVu Sans\",\"Liberation Sans\",\"Segoe UI\",Arial,"
    "sans-serif;overflow-wrap:anywhere}\n"
    "h1{font-size:26px;margin:0 0 6px}\n"
    "h2{font-size:19px;margin:30px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--line);"
    "break-after:avoid}\n"
    ".org{font-family:\"DejaVu Sans Mono\",\"Liberation Mono\",Consolas,monospace;"
    "font-size:.92em}\n"
    ".sub,.note{margin:2px 0;color:var(--muted)}\n"
    ".sub b{color:var(--ink)}\n"
    ".stations{margin:6px 0 0;padding-left:1.2em}\n"
    ".stations .stale{color:#8a1c12;font-weight:bold}\n"
    ".tiles{display:flex;flex-wrap:wrap;gap:10px;margin:0;padding:0;list-style:none}\n"
    ".tiles li{flex:1 1 140px;border:1px solid var(--line);border-radius:8px;padding:6px 12px;"
    "color:var(--muted);min-width:0}\n"
    ".tiles b{display:block;font-size:24px;color:var(--ink)}\n"
    ".tiles .result{border-left:5px solid #4c78b0}\n"
    ".tiles .rejections{border-left:5px solid #8a5a00}\n"
    ".timely{margin:12px 0 0}\n"
    ".badge{display:inline-block;white-space:nowrap;border-radius:12px;padding:2px 10px;"
    "font-size:13px;font-weight:bold;color:#fff;border:1px solid transparent}\n"
    ".badge.on-time{background:var(--on-time)}\n"
    ".badge.due-soon{background:var(--due-soon);color:#2b1d00}\n"
    ".badge.overdue{background:var(--overdue)}\n"
    ".badge.no-plan{background:#eef1f4;color:var(--no-plan);border-color:var(--no-plan)}\n"
    ".legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:0 0 10px;padding:0;list-style:none;"
    "color:var(--muted);font-size:13px}\n"
    ".swatch{display:inline-block;width:14px;height:14px;border-radius:3px;margin-right:5px;"
    "vertical-align:-2px;border:1px solid rgba(0,0,0,.15)}\n"
    ".line{display:inline-block;width:24px;margin-right:5px;vertical-align:4px;"
    "border-top:3px solid}\n"
    ".line.dashed{border-top-style:dashed}\n"
    ".orgs{list-style:none;margin:0;padding:0}\n"
    ".orgs li{display:grid;grid-template-columns:minmax(9em,15em) minmax(0,1fr) 10em;"
    "gap:4px 14px;align-items:center;padding:7px 0;border-bottom:1px solid var(--line)}\n"
    ".orgs .name small{display:block;color:var(--muted)}\n"
    ".orgs .bar{display:block;width:100%;height:22px;border-radius:4px}\n"
    ".orgs .result{grid-column:2;font-size:13px;color:var(--muted)}\n"
    ".orgs .result b{color:var(--ink)}\n"
    ".orgs .when{grid-column:3;grid-row:1/span 2;text-align:right;font-size:13px;"
    "color:var(--muted)}\n"
    ".chart{display:block;width:100%;height:auto;max-width:900px}\n"
    ".chart text{font-family:\"DejaVu Sans\",\"Liberation Sans\",Arial,sans-serif;font-size:15px;"
    "fill:var(--muted)}\n"
    ".chart .grid{stroke:#e4e8ec}\n"
    ".scroll{max-width:100%;overflow-x:auto;border:1px solid var(--line);border-radius:6px}\n"
    "table{border-collapse:separate;border-spacing:0;width:100%}\n"
    "th,td{padding:5px 9px;border-bottom:1px solid var(--line);vertical-align:top;"
    "text-align:left;background:#fff}\n"
    "thead th{background:#f4f6f8;font-size:13px;vertical-align:bottom}\n"
    ".n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "#all-rows th[scope=row]{position:sticky;left:0;z-index:1;min-width:9em;"
    "box-shadow:1px 0 0 var(--line);overflow-wrap:normal;white-space:nowrap}\n"
    "#all-rows thead th:first-child{position:sticky;left:0;z-index:2}\n"
    "#all-rows td,#all-rows thead th{white-space:nowrap}\n"
    ".lvl small{display:block;font-weight:normal;color:var(--muted);font-size:12px}\n"
    ".lvl1{padding-left:14px}.lvl2{padding-left:24px}.lvl3{padding-left:34px}"
    ".lvl4{padding-left:44px}.lvl5{padding-left:54px}\n"
    "tr.total th,tr.total td{font-weight:bold;background:#f7f9fb}\n"
    "details{margin-top:10px}summary{cursor:pointer;color:var(--muted)}\n"
    "footer{margin-top:32px;color:var(--muted);font-size:13px}\n"
    "@media (max-width:640px){body{padding:14px 12px 28px;font-size:14px}h1{font-size:21px}"
    ".tiles li{flex-basis:40%}.tiles b{font-size:20px}"
    ".orgs li{grid-template-columns:minmax(0,1fr)}"
    ".orgs .result,.orgs .when{grid-column:1;grid-row:auto;text-align:left}"
    "#all-rows th[scope=row]{min-width:7em;max-width:9.5em;white-space:normal}"
    ".lvl2{padding-left:14px}.lvl3{padding-left:18px}.lvl4{padding-left:22px}"
    ".lvl5{padding-left:26px}}\n"
    "@media print{body{max-width:none;padding:0;font-size:10pt}.scroll{overflow:visible}}\n";

static void put_head(page *p, const char *lang)
{
    g_string_append_printf(p->s,
                           "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                           "<meta name=\"viewport\" content=\"width=device-width, "
                           "initial-scale=1\">\n<title>",
                           lang);
    put_text(p->s, _("Digitisation progress"));
    g_string_append(p->s, " — ");
    put_text(p->s, p->r->as_of);
    g_string_append(p->s, "</title>\n<style>\n");
    g_string_append(p->s, PAGE_STYLE);
    g_string_append(p->s, "</style>\n</head>\n<body>\n");
}

/* The stations a merge summed, the stale ones marked in words. */
static void put_stations(page *p)
{
    const pg_report *r = p->r;
    size_t stale = 0;
    for (size_t i = 0; i < r->n_stations; i++)
        stale += r->stations[i].stale;
    g_string_append(p->s, "<p class=\"sub\">");
    put_textf(p->s,
              ngettext("Sum of %zu station", "Sum of %zu stations", (unsigned long)r->n_stations),
              r->n_stations);
    if (stale) {
        g_string_append(p->s, " · <b>");
        put_textf(p->s,
                  ngettext("%zu with old figures", "%zu with old figures", (unsigned long)stale),
                  stale);
        g_string_append(p->s, "</b>");
    }
    g_string_append(p->s, "</p>\n<ul class=\"stations\">\n");
    for (size_t i = 0; i < r->n_stations; i++) {
        const pg_station_row *st = &r->stations[i];
        g_string_append_printf(p->s, "<li%s data-station=\"", st->stale ? " class=\"stale\"" : "");
        put_text(p->s, st->station);
        g_string_append(p->s, "\"><span class=\"org\">");
        put_text(p->s, st->station);
        g_string_append(p->s, "</span>: ");
        put_textf(p->s, _("snapshot %lld, figures as of"), (long long)st->seq);
        g_string_append_c(p->s, ' ');
        put_time(p->s, st->as_of);
        if (st->stale) {
            g_string_append(p->s, " — ⚠ ");
            put_text(p->s, _("old: no newer snapshot from this station"));
        }
        g_string_append(p->s, "</li>\n");
    }
    g_string_append(p->s, "</ul>\n");
}

static void put_heading(page *p)
{
    const pg_report *r = p->r;
    g_string_append(p->s, "<header>\n<h1>");
    put_text(p->s, _("Digitisation progress"));
    g_string_append(p->s, "</h1>\n<p class=\"sub\">");
    put_text(p->s, _("Figures as of"));
    g_string_append(p->s, " <b>");
    put_time(p->s, r->as_of);
    g_string_append(p->s, "</b> · ");
    put_text(p->s, _("period"));
    g_string_append(p->s, " <b>");
    put_text(p->s, r->period);
    g_string_append(p->s, "</b>");
    if (r->period_start[0]) {
        g_string_append(p->s, " (");
        put_textf(p->s, _("from %s"), r->period_start);
        g_string_append(p->s, ")");
    }
    if (r->station[0]) {
        g_string_append(p->s, " · ");
        put_text(p->s, _("station"));
        g_string_append(p->s, " <b class=\"org\">");
        put_text(p->s, r->station);
        g_string_append(p->s, "</b>");
    }
    g_string_append(p->s, "</p>\n");
    if (r->stations)
        put_stations(p);
    if (r->min_cell > 0) {
        g_string_append(p->s, "<p class=\"note\">");
        put_textf(p->s, _("Counts below %d are not shown: \"<%d\" stands for them."), r->min_cell,
                  r->min_cell);
        g_string_append(p->s, "</p>\n");
    }
    g_string_append(p->s, "</header>\n<main>\n");
}

/* ---- Summary tiles ------------------------------------------------------------------------- */

static void put_tile(page *p, const char *class, const char *key, const char *label, uint64_t n)
{
    g_string_append_printf(p->s, "<li class=\"%s\" data-k=\"%s\"><b>", class, key);
    put_count(p, n);
    g_string_append(p->s, "</b>");
    put_text(p->s, label);
    g_string_append(p->s, "</li>\n");
}

/* The sum of a row's rejections, or suppressed when any part is. */
static uint64_t rejections_of(const pg_org_row *row)
{
    const pg_rejections *j = &row->rejected;
    if (j->validation == PG_SUPPRESSED || j->receipts == PG_SUPPRESSED ||
        j->rescans == PG_SUPPRESSED)
        return PG_SUPPRESSED;
    return j->validation + j->receipts + j->rescans;
}

static void put_deadline(page *p, const pg_org_row *row)
{
    if (!row->deadline[0])
        return;
    g_string_append(p->s, " ");
    put_textf(p->s, _("deadline %s"), row->deadline);
    g_string_append(p->s, " · ");
    put_text(p->s, _("target"));
    g_string_append(p->s, " ");
    put_count(p, row->target);
}

static void put_tiles(page *p)
{
    const pg_org_row *t = &p->r->rows[0];
    g_string_append(p->s, "<section aria-labelledby=\"h-summary\">\n<h2 id=\"h-summary\">");
    put_text(p->s, _("Summary"));
    g_string_append(p->s, "</h2>\n<ul class=\"tiles\">\n");
    static const pg_stage shown[] = {PG_INVENTORIED, PG_PAPER_RECEIVED, PG_SCANNED, PG_SIGNED,
                                     PG_ACCEPTED};
    for (size_t i = 0; i < G_N_ELEMENTS(shown); i++) {
        char key[16];
        snprintf(key, sizeof key, "s%d", (int)shown[i]);
        put_tile(p, "stage", key, pg_stage_label(shown[i]), t->stage[shown[i]]);
    }
    put_tile(p, "result", "done", _("Done"), t->done);
    put_tile(p, "result", "in_progress", _("In progress"), t->in_progress);
    put_tile(p, "result", "not_started", _("Not started"), t->not_started);
    put_tile(p, "result", "priority1_complete", _("priority-1 documents complete"),
             t->priority1_complete);
    put_tile(p, "result", "complete", _("complete"), t->complete);
    put_tile(p, "rejections", "rejections", _("rejections"), rejections_of(t));
    g_string_append(p->s, "</ul>\n<p class=\"timely\">");
    put_badge(p, t);
    put_deadline(p, t);
    g_string_append(p->s, "</p>\n");
    if (t->priority1_deadline[0]) {
        g_string_append(p->s, "<p class=\"timely\">");
        put_priority1(p, t, true);
        g_string_append(p->s, "</p>\n");
    }
    g_string_append(p->s, "</section>\n");
}

/* ---- Per organisation: the stage bars ------------------------------------------------------ */

static void put_stage_legend(page *p)
{
    g_string_append(p->s, "<ul class=\"legend\">");
    for (int s = PG_INVENTORIED; s < PG_PAPER_RETURNED; s++) {
        g_string_append_printf(p->s, "<li><span class=\"swatch\" style=\"background:%s\"></span>",
                               STAGE_COLOUR[s]);
        put_text(p->s, pg_stage_label((pg_stage)s));
        g_string_append(p->s, "</li>");
    }
    g_string_append(p->s, "</ul>\n");
}

/* "inventoried 50, paper received 40, …": the bar in words, for its label and tooltip. */
static char *bar_words(page *p, const pg_org_row *row)
{
    GString *keep = p->s;
    p->s = g_string_new(org_name(row));
    g_string_append(p->s, ": ");
    for (int s = PG_INVENTORIED; s < PG_PAPER_RETURNED; s++) {
        if (s > PG_INVENTORIED)
            g_string_append(p->s, ", ");
        g_string_append(p->s, pg_stage_label((pg_stage)s));
        g_string_append_c(p->s, ' ');
        if (row->stage[s] == PG_SUPPRESSED)
            g_string_append_printf(p->s, "<%d", p->r->min_cell);
        else
            put_number(p, row->stage[s]);
    }
    char *words = g_string_free(p->s, FALSE);
    p->s = keep;
    return words;
}

/* Nested rectangles from the left, one per stage: a dossier is in every stage up to its own, so
 * each stage's rectangle lies inside the one before. */
static void put_bar(page *p, const pg_org_row *row)
{
    double whole = 0;
    for (int s = PG_INVENTORIED; s < PG_PAPER_RETURNED; s++)
        whole = fmax(whole, value_of(row->stage[s]));
    char *words = bar_words(p, row);
    g_string_append(p->s, "<svg class=\"bar\" viewBox=\"0 0 1000 22\" preserveAspectRatio=\"none\" "
                          "role=\"img\" aria-label=\"");
    put_text(p->s, words);
    g_string_append(p->s, "\"><title>");
    put_text(p->s, words);
    g_string_append(p->s, "</title><rect width=\"1000\" height=\"22\" fill=\"#f4f6f8\"/>");
    char a[G_ASCII_DTOSTR_BUF_SIZE];
    for (int s = PG_INVENTORIED; s < PG_PAPER_RETURNED && whole > 0; s++) {
        double w = 1000.0 * value_of(row->stage[s]) / whole;
        if (w > 0)
            g_string_append_printf(p->s, "<rect width=\"%s\" height=\"22\" fill=\"%s\"/>",
                                   num(a, w), STAGE_COLOUR[s]);
    }
    g_string_append(p->s, "</svg>");
    g_free(words);
}

static void put_result_words(page *p, const pg_org_row *row)
{
    g_string_append(p->s, "<span class=\"result\">");
    put_text(p->s, _("Done"));
    g_string_append(p->s, " <b>");
    put_count(p, row->done);
    g_string_append(p->s, "</b> · ");
    put_text(p->s, _("In progress"));
    g_string_append(p->s, " <b>");
    put_count(p, row->in_progress);
    g_string_append(p->s, "</b> · ");
    put_text(p->s, _("Not started"));
    g_string_append(p->s, " <b>");
    put_count(p, row->not_started);
    g_string_append(p->s, "</b></span>");
}

static void put_level_label(page *p, int level)
{
    g_string_append(p->s, "<small>");
    if (level == 0)
        put_text(p->s, _("total"));
    else
        put_textf(p->s, _("level %d"), level);
    g_string_append(p->s, "</small>");
}

static void put_org_bars(page *p)
{
    g_string_append(p->s, "<section aria-labelledby=\"h-orgs\">\n<h2 id=\"h-orgs\">");
    put_text(p->s, _("Per organisation"));
    g_string_append(p->s, "</h2>\n");
    put_stage_legend(p);
    g_string_append(p->s, "<ul class=\"orgs\">\n");
    for (size_t i = 0; i < p->r->n_rows; i++) {
        const pg_org_row *row = &p->r->rows[i];
        g_string_append(p->s, "<li data-org=\"");
        put_text(p->s, row->org);
        g_string_append(p->s, "\"><span class=\"name\"><span class=\"org\">");
        put_org_name(p->s, row);
        g_string_append(p->s, "</span>");
        put_level_label(p, row->level);
        g_string_append(p->s, "</span>");
        put_bar(p, row);
        g_string_append(p->s, "<span class=\"when\">");
        put_badge(p, row);
        if (row->deadline[0]) {
            g_string_append(p->s, "<br>");
            put_textf(p->s, _("deadline %s"), row->deadline);
        }
        if (row->priority1_deadline[0]) {
            g_string_append(p->s, "<br>");
            put_priority1(p, row, false);
        }
        g_string_append(p->s, "</span>");
        put_result_words(p, row);
        g_string_append(p->s, "</li>\n");
    }
    g_string_append(p->s, "</ul>\n</section>\n");
}

/* ---- Progress against the plan over time --------------------------------------------------- */

enum { CH_W = 900, CH_H = 320, CH_LEFT = 64, CH_RIGHT = 16, CH_TOP = 16, CH_BOTTOM = 44 };

typedef enum { LINE_PLANNED, LINE_SCANNED, LINE_SIGNED, LINE_ACCEPTED, N_LINES } chart_line;

static const char *const LINE_COLOUR[N_LINES] = {COLOUR_PLANNED, COLOUR_SCANNED, COLOUR_SIGNED,
                                                 COLOUR_ACCEPTED};
static const char *const LINE_KEY[N_LINES] = {"planned", "scanned", "signed", "accepted"};

static uint64_t week_value(const pg_week *w, chart_line l)
{
    switch (l) {
    case LINE_PLANNED:
        return w->planned;
    case LINE_SCANNED:
        return w->scanned;
    case LINE_SIGNED:
        return w->signed_;
    default:
        return w->accepted;
    }
}

static double chart_x(size_t i, size_t n)
{
    double span = CH_W - CH_LEFT - CH_RIGHT;
    return n > 1 ? CH_LEFT + span * (double)i / (double)(n - 1) : CH_LEFT + span / 2;
}

static double chart_y(double v, double top)
{
    return CH_H - CH_BOTTOM - (CH_H - CH_TOP - CH_BOTTOM) * v / top;
}

/* A line through the weeks; a suppressed week breaks it rather than drawing a false zero. */
static void put_chart_line(page *p, chart_line l, double top)
{
    char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append_printf(p->s, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"3\"%s d=\"",
                           LINE_COLOUR[l], l == LINE_PLANNED ? " stroke-dasharray=\"8 6\"" : "");
    bool pen_down = false;
    for (size_t i = 0; i < p->r->n_weeks; i++) {
        uint64_t v = week_value(&p->r->weeks[i], l);
        if (v == PG_SUPPRESSED) {
            pen_down = false;
            continue;
        }
        g_string_append_printf(p->s, "%s%s %s ", pen_down ? "L" : "M",
                               num(a, chart_x(i, p->r->n_weeks)), num(b, chart_y((double)v, top)));
        pen_down = true;
    }
    g_string_append(p->s, "\"/>\n");
}

static void put_chart_axes(page *p, double top)
{
    char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];
    for (int k = 0; k <= 4; k++) {
        double v = top * k / 4.0, y = chart_y(v, top);
        g_string_append_printf(p->s,
                               "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%s\" y2=\"%s\"/>"
                               "<text x=\"%d\" y=\"%s\" text-anchor=\"end\">",
                               CH_LEFT, CH_W - CH_RIGHT, num(a, y), num(a, y), CH_LEFT - 8,
                               num(b, y + 4));
        put_number(p, (uint64_t)llround(v));
        g_string_append(p->s, "</text>\n");
    }
    size_t n = p->r->n_weeks;
    size_t marks[] = {0, n / 2, n - 1};
    for (size_t k = 0; k < G_N_ELEMENTS(marks); k++) {
        if (k > 0 && marks[k] == marks[k - 1])
            continue;
        g_string_append_printf(p->s, "<text x=\"%s\" y=\"%d\" text-anchor=\"%s\">",
                               num(a, chart_x(marks[k], n)), CH_H - CH_BOTTOM + 22,
                               k == 0   ? "start"
                               : k == 2 ? "end"
                                        : "middle");
        put_text(p->s, p->r->weeks[marks[k]].week);
        g_string_append(p->s, "</text>\n");
    }
}

static const char *chart_line_label(chart_line l)
{
    switch (l) {
    case LINE_PLANNED:
        return _("planned");
    case LINE_SCANNED:
        return pg_stage_label(PG_SCANNED);
    case LINE_SIGNED:
        return pg_stage_label(PG_SIGNED);
    default:
        return pg_stage_label(PG_ACCEPTED);
    }
}

static void put_chart_legend(page *p)
{
    g_string_append(p->s, "<ul class=\"legend\">");
    for (chart_line l = 0; l < N_LINES; l++) {
        g_string_append_printf(p->s, "<li><span class=\"line%s\" style=\"border-color:%s\"></span>",
                               l == LINE_PLANNED ? " dashed" : "", LINE_COLOUR[l]);
        put_text(p->s, chart_line_label(l));
        g_string_append(p->s, "</li>");
    }
    g_string_append(p->s, "</ul>\n");
}

/* The weeks' figures as a table too: the chart's words, folded away. */
static void put_week_table(page *p)
{
    g_string_append(p->s, "<details><summary>");
    put_text(p->s, _("Figures by week"));
    g_string_append(p->s, "</summary>\n<div class=\"scroll\"><table id=\"weeks\">\n<thead><tr>"
                          "<th scope=\"col\">");
    put_text(p->s, _("week from"));
    g_string_append(p->s, "</th>");
    for (chart_line l = 0; l < N_LINES; l++) {
        g_string_append(p->s, "<th scope=\"col\" class=\"n\">");
        put_text(p->s, chart_line_label(l));
        g_string_append(p->s, "</th>");
    }
    g_string_append(p->s, "</tr></thead>\n<tbody>\n");
    for (size_t w = 0; w < p->r->n_weeks; w++) {
        g_string_append(p->s, "<tr><th scope=\"row\">");
        put_text(p->s, p->r->weeks[w].week);
        g_string_append(p->s, "</th>");
        for (chart_line l = 0; l < N_LINES; l++)
            put_count_cell(p, LINE_KEY[l], week_value(&p->r->weeks[w], l));
        g_string_append(p->s, "</tr>\n");
    }
    g_string_append(p->s, "</tbody></table></div></details>\n");
}

static double chart_top(const pg_report *r)
{
    double top = 0;
    for (size_t w = 0; w < r->n_weeks; w++)
        for (chart_line l = 0; l < N_LINES; l++)
            top = fmax(top, value_of(week_value(&r->weeks[w], l)));
    /* a round top for the grid's four steps */
    double step = top > 0 ? pow(10, floor(log10(top / 4))) : 1;
    return fmax(4, ceil(top / 4 / step) * step * 4);
}

static void put_chart(page *p)
{
    g_string_append(p->s, "<section aria-labelledby=\"h-chart\">\n<h2 id=\"h-chart\">");
    put_text(p->s, _("Progress against the plan"));
    g_string_append(p->s, "</h2>\n");
    if (p->r->n_weeks == 0) {
        g_string_append(p->s, "<p class=\"note\">");
        put_text(p->s, _("No weekly figures yet."));
        g_string_append(p->s, "</p>\n</section>\n");
        return;
    }
    put_chart_legend(p);
    const pg_week *last = &p->r->weeks[p->r->n_weeks - 1];
    g_string_append_printf(p->s,
                           "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
                           "aria-labelledby=\"chart-title\"><title id=\"chart-title\">",
                           CH_W, CH_H);
    put_textf(p->s,
              _("Dossiers scanned, signed and accepted to date against the plan, week by "
                "week, up to the week from %s"),
              last->week);
    g_string_append(p->s, "</title>\n");
    double top = chart_top(p->r);
    put_chart_axes(p, top);
    for (chart_line l = 0; l < N_LINES; l++)
        put_chart_line(p, l, top);
    g_string_append(p->s, "</svg>\n");
    put_week_table(p);
    g_string_append(p->s, "</section>\n");
}

/* ---- Every row, as a table ----------------------------------------------------------------- */

static void put_th(page *p, const char *label)
{
    g_string_append(p->s, "<th scope=\"col\" class=\"n\">");
    put_text(p->s, label);
    g_string_append(p->s, "</th>");
}

static void put_in_period_th(page *p, pg_stage s)
{
    g_string_append(p->s, "<th scope=\"col\" class=\"n\">");
    put_text(p->s, pg_stage_label(s));
    g_string_append(p->s, " (");
    put_text(p->s, _("in the period"));
    g_string_append(p->s, ")</th>");
}

static void put_table_head(page *p)
{
    g_string_append(p->s, "<thead><tr><th scope=\"col\">");
    put_text(p->s, _("Organisation code"));
    g_string_append(p->s, "</th>");
    for (int s = PG_INVENTORIED; s < PG_N_STAGES; s++)
        put_th(p, pg_stage_label((pg_stage)s));
    const char *labels[] = {_("dossiers rejected"),
                            _("not on the inventory"),
                            _("Done"),
                            _("In progress"),
                            _("Not started"),
                            _("priority-1 documents complete"),
                            _("complete"),
                            _("documents"),
                            _("pages"),
                            _("validation failures"),
                            _("packages rejected"),
                            _("rescans")};
    for (size_t i = 0; i < G_N_ELEMENTS(labels); i++)
        put_th(p, labels[i]);
    put_in_period_th(p, PG_SCANNED);
    put_in_period_th(p, PG_SIGNED);
    put_in_period_th(p, PG_ACCEPTED);
    put_th(p, _("scanned per working day"));
    put_th(p, _("scanned per week"));
    g_string_append(p->s, "<th scope=\"col\">");
    put_text(p->s, _("deadline"));
    g_string_append(p->s, "</th>");
    put_th(p, _("target"));
    g_string_append(p->s, "<th scope=\"col\">");
    put_text(p->s, _("timeliness"));
    g_string_append(p->s, "</th></tr></thead>\n");
}

static void put_row_counts(page *p, const pg_org_row *row)
{
    for (int s = PG_INVENTORIED; s < PG_N_STAGES; s++) {
        char key[8];
        snprintf(key, sizeof key, "s%d", s);
        put_count_cell(p, key, row->stage[s]);
    }
    put_count_cell(p, "rejected_dossiers", row->rejected_dossiers);
    put_count_cell(p, "unlisted", row->unlisted);
    put_count_cell(p, "done", row->done);
    put_count_cell(p, "in_progress", row->in_progress);
    put_count_cell(p, "not_started", row->not_started);
    put_count_cell(p, "priority1_complete", row->priority1_complete);
    put_count_cell(p, "complete", row->complete);
    put_count_cell(p, "documents", row->documents);
    put_count_cell(p, "pages", row->pages);
    put_count_cell(p, "validation", row->rejected.validation);
    put_count_cell(p, "receipts", row->rejected.receipts);
    put_count_cell(p, "rescans", row->rejected.rescans);
    put_count_cell(p, "p2", row->in_period[PG_SCANNED]);
    put_count_cell(p, "p4", row->in_period[PG_SIGNED]);
    put_count_cell(p, "p7", row->in_period[PG_ACCEPTED]);
    put_rate_cell(p, "per_day", row->per_day);
    put_rate_cell(p, "per_week", row->per_week);
}

static void put_table_row(page *p, const pg_org_row *row)
{
    int level = row->level < 0 ? 0 : row->level > 5 ? 5 : row->level;
    g_string_append_printf(p->s, "<tr%s data-org=\"", level == 0 ? " class=\"total\"" : "");
    put_text(p->s, row->org);
    g_string_append_printf(p->s, "\" data-level=\"%d\"><th scope=\"row\" class=\"lvl lvl%d\">",
                           level, level);
    g_string_append(p->s, "<span class=\"org\">");
    put_org_name(p->s, row);
    g_string_append(p->s, "</span>");
    put_level_label(p, level);
    g_string_append(p->s, "</th>");
    put_row_counts(p, row);
    g_string_append(p->s, "<td data-k=\"deadline\">");
    put_text(p->s, row->deadline);
    g_string_append(p->s, "</td>");
    if (row->deadline[0])
        put_count_cell(p, "target", row->target);
    else
        g_string_append(p->s, "<td class=\"n\" data-k=\"target\" data-v=\"\"></td>");
    g_string_append(p->s, "<td>");
    put_badge(p, row);
    g_string_append(p->s, "</td></tr>\n");
}

static void put_table(page *p)
{
    g_string_append(p->s, "<section aria-labelledby=\"h-table\">\n<h2 id=\"h-table\">");
    put_text(p->s, _("Every organisation's figures"));
    g_string_append(p->s, "</h2>\n<p class=\"note\">");
    put_text(p->s, _("Counts of dossiers; each stage counts the dossiers that reached it or went "
                     "further. The table scrolls sideways on a narrow screen."));
    g_string_append(p->s, "</p>\n<div class=\"scroll\" role=\"region\" tabindex=\"0\" "
                          "aria-labelledby=\"h-table\">\n<table id=\"all-rows\">\n");
    put_table_head(p);
    g_string_append(p->s, "<tbody>\n");
    for (size_t i = 0; i < p->r->n_rows; i++)
        put_table_row(p, &p->r->rows[i]);
    g_string_append(p->s, "</tbody></table></div>\n</section>\n");
}

static void put_tail(page *p)
{
    g_string_append(p->s, "</main>\n<footer>");
    put_text(p->s, _("Counts only: this page holds no names and no citizen ID numbers."));
    g_string_append(p->s, " ");
    put_textf(p->s, _("Made by sohoa %s."), SOHOA_VERSION);
    g_string_append(p->s, "</footer>\n</body>\n</html>\n");
}

/* ---- The page ------------------------------------------------------------------------------ */

static void put_page(page *p, const char *lang)
{
    put_head(p, lang);
    put_heading(p);
    if (p->r->n_rows == 0) {
        g_string_append(p->s, "<p class=\"note\">");
        put_text(p->s, _("Nothing to show: no organisation is counted."));
        g_string_append(p->s, "</p>\n");
    } else {
        put_tiles(p);
        put_org_bars(p);
        put_chart(p);
        put_table(p);
    }
    put_tail(p);
}

sh_status pg_report_write_html(const pg_report *r, const char *path, const char *lang,
                               sh_error *err)
{
    bool english = lang && strcmp(lang, "en") == 0;
    sh_lang before = sh_i18n_switch(english ? SH_LANG_EN : SH_LANG_VI);
    page p = {.s = g_string_sized_new(65536),
              .r = r,
              .thousands = english ? ',' : '.',
              .decimal = english ? '.' : ','};
    put_page(&p, english ? "en" : "vi");
    sh_i18n_switch(before);
    sh_status st = sh_write_file_atomic(path, p.s->str, p.s->len, 0, err);
    g_string_free(p.s, TRUE);
    return st;
}
