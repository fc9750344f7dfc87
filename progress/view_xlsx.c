/* The spreadsheet (`report --xlsx`, libxlsxwriter): one sheet per view — the whole report, every
 * organisation, the weeks, the stations of a merge. Counts are number cells and dates date cells,
 * so that a supervisor can sum, filter and chart them; the one text among the counts is "<N" for
 * a count hidden by min_cell. Headings in the language of the run.
 *
 * libxlsxwriter writes to a file name: it writes the hidden temp file of an sh_atomic_file, and
 * the commit flushes and renames it into place. constant_memory keeps only the current row in
 * memory. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <xlsxwriter.h>

#include "progress/progress.h"

/* What a column of the organisations' sheet holds. */
typedef enum {
    COL_ORG,
    COL_LEVEL,
    COL_COUNT,    /* a uint64_t of pg_org_row at `offset` */
    COL_RATE,     /* a double at `offset` */
    COL_DEADLINE, /* the plan's: offset 0 for the measure complete, 1 for priority-1 */
    COL_TARGET,
    COL_TIMELINESS
} col_kind;

typedef struct {
    col_kind kind;
    size_t offset;
    char *label;
    double width;
} column;

/* The organisations' sheet has 2 + 9 + 12 + 9 + 2 + 3 + 8 + 3 columns. */
enum { MAX_COLUMNS = 48 };

typedef struct {
    lxw_workbook *wb;
    lxw_format *heading, *date, *datetime, *rate, *timely[4];
    int min_cell;
    lxw_error error; /* the first one: the rest are not worth reporting */
    column cols[MAX_COLUMNS];
    size_t n_cols;
} book;

/* ---- Cells --------------------------------------------------------------------------------- */

static void check(book *b, lxw_error e)
{
    if (b->error == LXW_NO_ERROR)
        b->error = e;
}

static void cell_text(book *b, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *text,
                      lxw_format *f)
{
    if (text && *text)
        check(b, worksheet_write_string(ws, r, c, text, f));
}

static void cell_number(book *b, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, double v,
                        lxw_format *f)
{
    check(b, worksheet_write_number(ws, r, c, v, f));
}

/* A count; "<N" (text) when hidden by min_cell. */
static void cell_count(book *b, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, uint64_t n)
{
    if (n != PG_SUPPRESSED) {
        cell_number(b, ws, r, c, (double)n, NULL);
        return;
    }
    char text[16];
    snprintf(text, sizeof text, "<%d", b->min_cell);
    check(b, worksheet_write_string(ws, r, c, text, NULL));
}

/* "YYYY-MM-DD" or RFC 3339 "YYYY-MM-DDTHH:MM:SS…" as a date(-time) cell; empty or unreadable
 * text stays as text (it is never invented). */
static void cell_date(book *b, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *text)
{
    lxw_datetime t = {0};
    int used = 0;
    if (!text || !*text)
        return;
    if (sscanf(text, "%4d-%2d-%2d%n", &t.year, &t.month, &t.day, &used) != 3 || t.month < 1 ||
        t.month > 12 || t.day < 1 || t.day > 31 || t.year < 1900) {
        cell_text(b, ws, r, c, text, NULL);
        return;
    }
    int sec = 0;
    bool with_time =
        text[used] == 'T' && sscanf(text + used, "T%2d:%2d:%2d", &t.hour, &t.min, &sec) == 3;
    t.sec = sec;
    check(b, worksheet_write_datetime(ws, r, c, &t, with_time ? b->datetime : b->date));
}

static lxw_format *timeliness_format(book *b, pg_timeliness t)
{
    return t >= PG_NO_PLAN && t <= PG_OVERDUE ? b->timely[t] : NULL;
}

/* ---- The columns --------------------------------------------------------------------------- */

static void add_column(book *b, col_kind kind, size_t offset, char *label, double width)
{
    if (b->n_cols < MAX_COLUMNS)
        b->cols[b->n_cols++] = (column){kind, offset, label, width};
    else
        g_free(label);
}

static void add_count(book *b, size_t offset, const char *label)
{
    add_column(b, COL_COUNT, offset, g_strdup(label), 12);
}

/* The same order as the JSON's keys (docs/progress.md). */
static void build_columns(book *b)
{
    add_column(b, COL_ORG, 0, g_strdup(_("Organisation code")), 22);
    add_column(b, COL_LEVEL, 0, g_strdup(_("level")), 7);
    for (int s = 0; s < PG_N_STAGES; s++)
        add_count(b, offsetof(pg_org_row, stage) + (size_t)s * sizeof(uint64_t),
                  pg_stage_label((pg_stage)s));
    add_count(b, offsetof(pg_org_row, rejected_dossiers), _("dossiers rejected"));
    add_count(b, offsetof(pg_org_row, unlisted), _("not on the inventory"));
    add_count(b, offsetof(pg_org_row, done), _("Done"));
    add_count(b, offsetof(pg_org_row, in_progress), _("In progress"));
    add_count(b, offsetof(pg_org_row, not_started), _("Not started"));
    add_count(b, offsetof(pg_org_row, priority1_complete), _("priority-1 documents complete"));
    add_count(b, offsetof(pg_org_row, complete), _("complete"));
    add_count(b, offsetof(pg_org_row, documents), _("documents"));
    add_count(b, offsetof(pg_org_row, pages), _("pages"));
    add_count(b, offsetof(pg_org_row, rejected.validation), _("validation failures"));
    add_count(b, offsetof(pg_org_row, rejected.receipts), _("packages rejected"));
    add_count(b, offsetof(pg_org_row, rejected.rescans), _("rescans"));
    for (int s = 0; s < PG_N_STAGES; s++)
        add_column(b, COL_COUNT, offsetof(pg_org_row, in_period) + (size_t)s * sizeof(uint64_t),
                   g_strdup_printf(_("%s (in the period)"), pg_stage_label((pg_stage)s)), 14);
    add_column(b, COL_RATE, offsetof(pg_org_row, per_day), g_strdup(_("scanned per working day")),
               12);
    add_column(b, COL_RATE, offsetof(pg_org_row, per_week), g_strdup(_("scanned per week")), 12);
    add_column(b, COL_DEADLINE, 0, g_strdup(_("deadline")), 12);
    add_column(b, COL_TARGET, 0, g_strdup(_("target")), 10);
    add_column(b, COL_TIMELINESS, 0, g_strdup(_("timeliness")), 16);
    for (int g = 0; g < 4; g++) {
        size_t at = offsetof(pg_org_row, by_group) + (size_t)g * 2 * sizeof(uint64_t);
        add_column(b, COL_COUNT, at, g_strdup_printf(_("group %d: inventoried"), g + 1), 12);
        add_column(b, COL_COUNT, at + sizeof(uint64_t),
                   g_strdup_printf(_("group %d: accepted"), g + 1), 12);
    }
    /* last, so that the columns before keep their places */
    add_column(b, COL_DEADLINE, 1, g_strdup(_("priority-1 deadline")), 12);
    add_column(b, COL_TARGET, 1, g_strdup(_("priority-1 target")), 10);
    add_column(b, COL_TIMELINESS, 1, g_strdup(_("priority-1 timeliness")), 16);
}

static uint64_t count_at(const pg_org_row *row, size_t offset)
{
    uint64_t v;
    memcpy(&v, (const char *)row + offset, sizeof v);
    return v;
}

static double rate_at(const pg_org_row *row, size_t offset)
{
    double v;
    memcpy(&v, (const char *)row + offset, sizeof v);
    return v;
}

/* The plan's deadline, target or timeliness of one measure. */
static void plan_cell(book *b, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const column *col,
                      const pg_org_row *row)
{
    bool p1 = col->offset == 1;
    const char *deadline = p1 ? row->priority1_deadline : row->deadline;
    pg_timeliness t = p1 ? row->priority1_timeliness : row->timeliness;
    if (col->kind == COL_DEADLINE)
        cell_date(b, ws, r, c, deadline);
    else if (col->kind == COL_TARGET && deadline[0])
        cell_count(b, ws, r, c, p1 ? row->priority1_target : row->target);
    else if (col->kind == COL_TIMELINESS)
        cell_text(b, ws, r, c, pg_timeliness_label(t), timeliness_format(b, t));
}

/* One column's value of a row, at (r, c). */
static void cell_of(book *b, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const column *col,
                    const pg_org_row *row)
{
    switch (col->kind) {
    case COL_ORG:
        cell_text(b, ws, r, c, row->level == 0 ? _("All organisations") : row->org, NULL);
        break;
    case COL_LEVEL:
        cell_number(b, ws, r, c, row->level, NULL);
        break;
    case COL_COUNT:
        cell_count(b, ws, r, c, count_at(row, col->offset));
        break;
    case COL_RATE:
        if (isfinite(rate_at(row, col->offset)))
            cell_number(b, ws, r, c, rate_at(row, col->offset), b->rate);
        break;
    case COL_DEADLINE:
    case COL_TARGET:
    case COL_TIMELINESS:
        plan_cell(b, ws, r, c, col, row);
        break;
    }
}

/* ---- The sheets ---------------------------------------------------------------------------- */

/* Bold headings in row 0, kept in view, and the columns' widths. */
static lxw_worksheet *new_sheet(book *b, const char *name, const char *const *headings,
                                const double *widths, size_t n)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, name);
    if (!ws) {
        check(b, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return NULL;
    }
    for (size_t c = 0; c < n; c++)
        check(b, worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, widths[c], NULL));
    worksheet_freeze_panes(ws, 1, 0);
    for (size_t c = 0; c < n; c++)
        cell_text(b, ws, 0, (lxw_col_t)c, headings[c], b->heading);
    return ws;
}

static void add_filter(book *b, lxw_worksheet *ws, size_t rows, size_t cols)
{
    if (cols > 0)
        check(b, worksheet_autofilter(ws, 0, 0, (lxw_row_t)rows, (lxw_col_t)(cols - 1)));
}

/* The whole report: what it covers, then the total row's columns, one a row. */
static void summary_sheet(book *b, const pg_report *r)
{
    const char *headings[] = {_("Measure"), _("Value")};
    const double widths[] = {36, 22};
    lxw_worksheet *ws = new_sheet(b, _("Summary"), headings, widths, 2);
    if (!ws || r->n_rows == 0)
        return;
    const char *meta[] = {_("figures as of (UTC)"), _("period"), _("period from"), _("station"),
                          _("counts below this are not shown")};
    /* constant_memory: each row is written whole before the next */
    cell_text(b, ws, 1, 0, meta[0], NULL);
    cell_date(b, ws, 1, 1, r->as_of);
    cell_text(b, ws, 2, 0, meta[1], NULL);
    cell_text(b, ws, 2, 1, r->period, NULL);
    cell_text(b, ws, 3, 0, meta[2], NULL);
    cell_date(b, ws, 3, 1, r->period_start);
    cell_text(b, ws, 4, 0, meta[3], NULL);
    cell_text(b, ws, 4, 1, r->station, NULL);
    cell_text(b, ws, 5, 0, meta[4], NULL);
    cell_number(b, ws, 5, 1, r->min_cell, NULL);
    lxw_row_t at = G_N_ELEMENTS(meta) + 1;
    for (size_t c = 2; c < b->n_cols; c++, at++) { /* org and level say nothing of the total */
        cell_text(b, ws, at, 0, b->cols[c].label, NULL);
        cell_of(b, ws, at, 1, &b->cols[c], &r->rows[0]);
    }
}

static void organisations_sheet(book *b, const pg_report *r)
{
    const char *headings[MAX_COLUMNS];
    double widths[MAX_COLUMNS];
    for (size_t c = 0; c < b->n_cols; c++) {
        headings[c] = b->cols[c].label;
        widths[c] = b->cols[c].width;
    }
    lxw_worksheet *ws = new_sheet(b, _("Organisations"), headings, widths, b->n_cols);
    if (!ws)
        return;
    add_filter(b, ws, r->n_rows, b->n_cols);
    /* The codes are text ("93.000" is not 93): no "number stored as text" marks on them. */
    char range[32];
    g_snprintf(range, sizeof range, "A2:A%zu", r->n_rows + 1);
    if (r->n_rows > 0)
        check(b, worksheet_ignore_errors(ws, LXW_IGNORE_NUMBER_STORED_AS_TEXT, range));
    for (size_t i = 0; i < r->n_rows; i++)
        for (size_t c = 0; c < b->n_cols; c++)
            cell_of(b, ws, (lxw_row_t)(i + 1), (lxw_col_t)c, &b->cols[c], &r->rows[i]);
}

static void weeks_sheet(book *b, const pg_report *r)
{
    const char *headings[] = {_("week from"), pg_stage_label(PG_SCANNED), pg_stage_label(PG_SIGNED),
                              pg_stage_label(PG_ACCEPTED), _("planned")};
    const double widths[] = {12, 12, 12, 12, 12};
    lxw_worksheet *ws = new_sheet(b, _("Weeks"), headings, widths, G_N_ELEMENTS(headings));
    if (!ws)
        return;
    add_filter(b, ws, r->n_weeks, G_N_ELEMENTS(headings));
    for (size_t i = 0; i < r->n_weeks; i++) {
        const pg_week *w = &r->weeks[i];
        lxw_row_t at = (lxw_row_t)(i + 1);
        cell_date(b, ws, at, 0, w->week);
        cell_count(b, ws, at, 1, w->scanned);
        cell_count(b, ws, at, 2, w->signed_);
        cell_count(b, ws, at, 3, w->accepted);
        cell_count(b, ws, at, 4, w->planned);
    }
}

static void stations_sheet(book *b, const pg_report *r)
{
    const char *headings[] = {_("station"), _("snapshot"), _("figures as of (UTC)"), _("state")};
    const double widths[] = {24, 10, 18, 14};
    lxw_worksheet *ws = new_sheet(b, _("Stations"), headings, widths, G_N_ELEMENTS(headings));
    if (!ws)
        return;
    add_filter(b, ws, r->n_stations, G_N_ELEMENTS(headings));
    for (size_t i = 0; i < r->n_stations; i++) {
        const pg_station_row *s = &r->stations[i];
        lxw_row_t at = (lxw_row_t)(i + 1);
        cell_text(b, ws, at, 0, s->station, NULL);
        cell_number(b, ws, at, 1, (double)s->seq, NULL);
        cell_date(b, ws, at, 2, s->as_of);
        cell_text(b, ws, at, 3, s->stale ? _("old") : _("current"),
                  s->stale ? b->timely[PG_OVERDUE] : NULL);
    }
}

/* ---- The workbook -------------------------------------------------------------------------- */

static lxw_format *fill_format(lxw_workbook *wb, lxw_color_t fill, lxw_color_t ink)
{
    lxw_format *f = workbook_add_format(wb);
    format_set_bg_color(f, fill);
    format_set_font_color(f, ink);
    format_set_bold(f);
    return f;
}

static void add_formats(book *b)
{
    b->heading = workbook_add_format(b->wb);
    format_set_bold(b->heading);
    format_set_text_wrap(b->heading);
    format_set_align(b->heading, LXW_ALIGN_VERTICAL_TOP);
    b->date = workbook_add_format(b->wb);
    format_set_num_format(b->date, "yyyy-mm-dd");
    b->datetime = workbook_add_format(b->wb);
    format_set_num_format(b->datetime, "yyyy-mm-dd hh:mm");
    b->rate = workbook_add_format(b->wb);
    format_set_num_format(b->rate, "0.0");
    /* HD11 III.1đ's colours, as on the dashboard; the words say the same */
    b->timely[PG_NO_PLAN] = fill_format(b->wb, 0xEEF1F4, 0x59636E);
    b->timely[PG_ON_TIME] = fill_format(b->wb, 0x2E7D32, 0xFFFFFF);
    b->timely[PG_DUE_SOON] = fill_format(b->wb, 0xF2A900, 0x2B1D00);
    b->timely[PG_OVERDUE] = fill_format(b->wb, 0xC62828, 0xFFFFFF);
}

static void free_columns(book *b)
{
    for (size_t c = 0; c < b->n_cols; c++)
        g_free(b->cols[c].label);
}

static sh_status fill_and_close(book *b, const pg_report *r, const char *path, sh_error *err)
{
    add_formats(b);
    build_columns(b);
    summary_sheet(b, r);
    organisations_sheet(b, r);
    weeks_sheet(b, r);
    if (r->stations)
        stations_sheet(b, r);
    free_columns(b);
    lxw_error closed = workbook_close(b->wb); /* frees the workbook whatever happens */
    check(b, closed);
    if (b->error != LXW_NO_ERROR)
        return sh_fail(err, SH_INTERNAL, _("cannot write %s: %s"), path, lxw_strerror(b->error));
    return SH_OK;
}

sh_status pg_report_write_xlsx(const pg_report *r, const char *path, sh_error *err)
{
    sh_error local; /* the status must not depend on whether the caller wants the message */
    if (!err)
        err = &local;
    sh_atomic_file *f = sh_atomic_open(path, 0, err);
    if (!f)
        return err->status;
    lxw_workbook_options options = {.constant_memory = LXW_TRUE};
    book b = {.min_cell = r->min_cell};
    b.wb = workbook_new_opt(sh_atomic_temp_path(f), &options);
    if (!b.wb) {
        sh_atomic_abort(f);
        return sh_fail(err, SH_INTERNAL, _("cannot write %s: %s"), path, _("out of memory"));
    }
    sh_status st = fill_and_close(&b, r, path, err);
    if (st == SH_OK)
        return sh_atomic_commit(f, err);
    sh_atomic_abort(f);
    return st;
}
