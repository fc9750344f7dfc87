/* The handover record (biên bản giao nhận, CV1361 IV.6 last paragraph): the paper dossiers
 * handed over on one day, in Vietnamese, as an A4 PDF made by our writer with the stamp's font
 * machinery (sign.h, "text in a PDF"). One table per direction, its header repeated on every
 * page it runs onto, totals, and the places where both parties sign. It names the members: it
 * is for the two parties, never for a report. */
#include "progress/progress.h"

#include <math.h>
#include <string.h>

#include <glib.h>
#include <sqlite3.h>

#include "pdf/pdf.h"

#define PAGE_W 595.276 /* A4, points */
#define PAGE_H 841.89
#define MARGIN 50.0
#define BOTTOM 62.0 /* the lowest a row may reach: the page number sits below */
#define PAD 3.0     /* inside a cell */
#define SIZE 9.0    /* table text */
#define LEADING 11.0
#define CELL_LINES 6     /* a longer name or note is cut with an ellipsis */
#define ROWS_MAX 100000  /* handovers of one day: far beyond a station's work */
#define SIGN_BLOCK 110.0 /* the height the signature places need */
#define N_COLS 6

/* ---- the day's handovers ---- */

typedef struct {
    bool is_return;
    char *org, *key, *name, *note;
    int pages; /* 0: not counted */
} ho_row;

typedef struct {
    ho_row *rows;
    size_t n;
    char head[96]; /* the audit chain's last entry, "ID:HASH" */
} ho_day;

static void day_clear(ho_day *d)
{
    for (size_t i = 0; i < d->n; i++) {
        g_free(d->rows[i].org);
        g_free(d->rows[i].key);
        g_free(d->rows[i].name);
        g_free(d->rows[i].note);
    }
    g_free(d->rows);
}

static char *col_text(sqlite3_stmt *q, int i)
{
    const char *t = (const char *)sqlite3_column_text(q, i);
    return g_strdup(t ? t : "");
}

/* The note as printed: what the parties noted, and the reason a rule was set aside. */
static char *row_note(sqlite3_stmt *q)
{
    const char *note = (const char *)sqlite3_column_text(q, 4);
    const char *forced = (const char *)sqlite3_column_text(q, 5);
    if (!forced)
        return g_strdup(note ? note : "");
    return g_strdup_printf("%s%sNgoại lệ: %s", note ? note : "", note ? "; " : "", forced);
}

static void read_row(sqlite3_stmt *q, ho_row *r)
{
    r->is_return = strcmp((const char *)sqlite3_column_text(q, 0), "return") == 0;
    r->org = col_text(q, 1);
    r->key = col_text(q, 2);
    r->pages = sqlite3_column_int(q, 3);
    r->note = row_note(q);
    r->name = col_text(q, 6);
}

/* The name from the inventory, else from the dossier the ledger knows (its folder starts with
 * ORG/CCCD_, a range of the folder index). Receipts first, each direction in the order
 * recorded. */
static const char DAY_SQL[] =
    "SELECT h.direction, h.org_code, h.member_key, coalesce(h.pages, 0), h.note, "
    "h.forced_reason, coalesce((SELECT i.person_name FROM inventory i WHERE i.org_code = "
    "h.org_code AND i.member_key = h.member_key), (SELECT d.person_name FROM dossiers d WHERE "
    "d.folder >= h.org_code || '/' || h.member_key || '_' AND d.folder < h.org_code || '/' || "
    "h.member_key || '`' LIMIT 1), '') FROM handovers h WHERE h.at >= ? AND h.at < ? ORDER BY "
    "h.direction = 'return', h.id";

static sh_status read_rows(sh_ledger *l, const char *from, const char *to, ho_day *d, sh_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(l), DAY_SQL, -1, &q, NULL) != SQLITE_OK)
        return sh_ledger_fail(l, err, N_("read the handovers"));
    sqlite3_bind_text(q, 1, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, to, -1, SQLITE_STATIC);
    size_t cap = 0;
    sh_status st = SH_OK;
    int rc;
    while (st == SH_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (d->n == ROWS_MAX) {
            st = sh_fail(err, SH_USAGE,
                         _("more than %d handovers on one day: too many for one "
                           "record"),
                         ROWS_MAX);
            break;
        }
        if (d->n == cap) {
            cap = cap ? cap * 2 : 64;
            d->rows = g_renew(ho_row, d->rows, cap);
        }
        read_row(q, &d->rows[d->n++]);
    }
    if (st == SH_OK && rc != SQLITE_DONE)
        st = sh_ledger_fail(l, err, N_("read the handovers"));
    sqlite3_finalize(q);
    return st;
}

static void read_head(sh_ledger *l, ho_day *d)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(sh_ledger_db(l), "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
                           -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        g_snprintf(d->head, sizeof d->head, "%lld:%s", (long long)sqlite3_column_int64(q, 0),
                   (const char *)sqlite3_column_text(q, 1));
    sqlite3_finalize(q);
}

/* YYYY-MM-DD, digits where digits go. */
static bool day_shaped(const char *day)
{
    if (!day || strlen(day) != 10)
        return false;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? day[i] != '-' : !g_ascii_isdigit(day[i]))
            return false;
    return true;
}

/* The station's local day as the UTC bounds the ledger's times compare with. */
static sh_status day_bounds(const char *day, char from[32], char to[32], sh_error *err)
{
    int y = 0, m = 0, dd = 0;
    char tail = 0;
    GDateTime *start = NULL;
    if (day_shaped(day) && sscanf(day, "%4d-%2d-%2d%c", &y, &m, &dd, &tail) == 3)
        start = g_date_time_new_local(y, m, dd, 0, 0, 0);
    if (!start)
        return sh_fail(err, SH_USAGE, _("the day \"%s\" is not a date: give YYYY-MM-DD"),
                       day ? day : "");
    GDateTime *end = g_date_time_add_days(start, 1);
    GDateTime *a = g_date_time_to_utc(start), *b = g_date_time_to_utc(end);
    char *fa = g_date_time_format(a, "%Y-%m-%dT%H:%M:%S"),
         *fb = g_date_time_format(b, "%Y-%m-%dT%H:%M:%S");
    g_strlcpy(from, fa, 32);
    g_strlcpy(to, fb, 32);
    g_free(fa);
    g_free(fb);
    g_date_time_unref(a);
    g_date_time_unref(b);
    g_date_time_unref(start);
    g_date_time_unref(end);
    return SH_OK;
}

/* ---- the words of the record ---- */

static const char TITLE[] = "BIÊN BẢN GIAO NHẬN HỒ SƠ ĐẢNG VIÊN";
static const char PARTY[] = "ĐẢNG CỘNG SẢN VIỆT NAM";
static const char INTRO[] =
    "Theo Hướng dẫn số 40-HD/VPTW ngày 07/11/2018 của Văn phòng Trung ương Đảng, hai bên giao "
    "nhận hồ sơ giấy của đảng viên bảo đảm đầy đủ, nguyên trạng, đúng thành phần hồ sơ, như sau:";
static const char *const HEADINGS[N_COLS] = {"STT",       "Mã tổ chức", "Số CCCD",
                                             "Họ và tên", "Số trang",   "Ghi chú"};
static const double WIDTHS[N_COLS] = {26, 102, 76, 118, 40, 133};
static const char SECTION_RECEIVE[] = "I. HỒ SƠ TỔ CHỨC ĐẢNG GIAO CHO TỔ SỐ HÓA";
static const char SECTION_RETURN[] = "II. HỒ SƠ TỔ SỐ HÓA HOÀN TRẢ TỔ CHỨC ĐẢNG";
static const char PARTY_ORG[] = "(Tổ chức đảng quản lý hồ sơ)";
static const char PARTY_TEAM[] = "(Tổ số hóa)";
static const char GIVER[] = "BÊN GIAO";
static const char TAKER[] = "BÊN NHẬN";
static const char SIGN_HINT[] = "(Ký, ghi rõ họ tên)";
static const char NONE[] = "Không có hồ sơ.";
static const char ELLIPSIS[] = "…";
/* Every other character the layout writes: numbers, dates, totals, page numbers. */
static const char EXTRA[] = "0123456789/:;.,-() Ngày tháng năm Trạm số hóa Cộng hồ sơ trang Trang "
                            "Nhật ký kiểm tra đến mục abcdef";

/* ---- layout: content streams, one per page ---- */

typedef struct {
    const sg_text_font *font;
    GPtrArray *pages; /* GString * */
    GString *c;       /* the current page */
    double y;         /* the top of what comes next */
} layout;

static void put_num(GString *s, double v)
{
    char buf[32];
    g_ascii_formatd(buf, sizeof buf, "%.2f", fabs(v) < 1e6 ? v : 0);
    g_string_append(s, buf);
    g_string_append_c(s, ' ');
}

static void put_rect(GString *s, double x, double y, double w, double h, const char *before,
                     const char *op)
{
    g_string_append_printf(s, "%s%s", before, *before ? " " : "");
    put_num(s, x);
    put_num(s, y);
    put_num(s, w);
    put_num(s, h);
    g_string_append_printf(s, "%s\n", op);
}

/* One line of text with its baseline at (x, y). */
static void put_text(layout *l, double x, double y, double size, const char *text)
{
    char *hex = sg_text_font_encode(l->font, text);
    if (!hex)
        return;
    g_string_append(l->c, "BT /F1 ");
    put_num(l->c, size);
    g_string_append(l->c, "Tf 1 0 0 1 ");
    put_num(l->c, x);
    put_num(l->c, y);
    g_string_append_printf(l->c, "Tm %s Tj ET\n", hex);
    g_free(hex);
}

static void put_centred(layout *l, double x0, double width, double y, double size, const char *text)
{
    put_text(l, x0 + (width - sg_text_font_width(l->font, text, size)) / 2, y, size, text);
}

static void new_page(layout *l)
{
    l->c = g_string_new("0 g 0 G 0.5 w\n");
    g_ptr_array_add(l->pages, l->c);
    l->y = PAGE_H - MARGIN;
}

/* Room for h more points on this page, else a new page; true when one was begun. */
static bool need(layout *l, double h)
{
    if (l->y - h >= BOTTOM)
        return false;
    new_page(l);
    return true;
}

/* ---- wrapping ---- */

/* The longest prefix of s (ending at a character) at most width wide; at least one char. */
static const char *fit_chars(const sg_text_font *f, const char *s, double width, double size)
{
    const char *end = g_utf8_next_char(s);
    while (*end) {
        const char *next = g_utf8_next_char(end);
        char *part = g_strndup(s, (gsize)(next - s));
        bool fits = sg_text_font_width(f, part, size) <= width;
        g_free(part);
        if (!fits)
            break;
        end = next;
    }
    return end;
}

/* Where the line starting at s ends: after the last word that fits, or cut inside a word too
 * long for a line. */
static const char *line_end(const sg_text_font *f, const char *s, double width, double size)
{
    const char *end = NULL;
    for (const char *p = s;; p++) {
        if (*p == ' ' || *p == '\0') {
            char *part = g_strndup(s, (gsize)(p - s));
            bool fits = sg_text_font_width(f, part, size) <= width;
            g_free(part);
            if (!fits)
                break;
            end = p;
        }
        if (*p == '\0')
            break;
    }
    return end && end > s ? end : fit_chars(f, s, width, size);
}

/* The last line of a cell cut short: as much as fits before an ellipsis. */
static char *with_ellipsis(const sg_text_font *f, const char *s, double width, double size)
{
    double room = width - sg_text_font_width(f, ELLIPSIS, size);
    const char *end = room > 0 ? fit_chars(f, s, room, size) : s;
    char *head = g_strndup(s, (gsize)(end - s));
    char *out = g_strconcat(head, ELLIPSIS, NULL);
    g_free(head);
    return out;
}

/* text at size wrapped into at most CELL_LINES lines of width (a GPtrArray of g_strdup'ed
 * lines). */
static GPtrArray *wrap(const sg_text_font *f, const char *text, double width, double size)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    const char *s = text;
    while (*s == ' ')
        s++;
    while (*s) {
        const char *end = line_end(f, s, width, size);
        if (lines->len == CELL_LINES - 1 && *end) {
            g_ptr_array_add(lines, with_ellipsis(f, s, width, size));
            break;
        }
        g_ptr_array_add(lines, g_strndup(s, (gsize)(end - s)));
        for (s = end; *s == ' ';)
            s++;
    }
    return lines;
}

/* ---- the table ---- */

typedef enum { LEFT, CENTRE } align;
static const align ALIGN[N_COLS] = {CENTRE, LEFT, LEFT, LEFT, CENTRE, LEFT};

/* One row of cells: its frame and text; begins a page (and repeats the header) when it does not
 * fit. */
static void put_cells(layout *l, const char *const cells[N_COLS], bool header);

static void put_header(layout *l) { put_cells(l, HEADINGS, true); }

static void draw_cells(layout *l, GPtrArray *const lines[N_COLS], double h, bool header)
{
    double x = MARGIN, top = l->y;
    if (header)
        put_rect(l->c, MARGIN, top - h, PAGE_W - 2 * MARGIN, h, "0.9 g", "re f 0 g");
    for (int c = 0; c < N_COLS; c++) {
        put_rect(l->c, x, top - h, WIDTHS[c], h, "", "re S");
        double y = top - PAD - SIZE * 0.8;
        for (guint i = 0; i < lines[c]->len; i++, y -= LEADING) {
            const char *t = g_ptr_array_index(lines[c], i);
            if (ALIGN[c] == CENTRE || header)
                put_centred(l, x, WIDTHS[c], y, SIZE, t);
            else
                put_text(l, x + PAD, y, SIZE, t);
        }
        x += WIDTHS[c];
    }
    l->y -= h;
}

static void put_cells(layout *l, const char *const cells[N_COLS], bool header)
{
    GPtrArray *lines[N_COLS];
    guint most = 1;
    for (int c = 0; c < N_COLS; c++) {
        lines[c] = wrap(l->font, cells[c], WIDTHS[c] - 2 * PAD, SIZE);
        most = MAX(most, lines[c]->len);
    }
    double h = most * LEADING + 2 * PAD;
    if (need(l, h) && !header)
        put_header(l);
    draw_cells(l, lines, h, header);
    for (int c = 0; c < N_COLS; c++)
        g_ptr_array_free(lines[c], TRUE);
}

static void put_row(layout *l, const ho_row *r, size_t stt)
{
    char n[24], pages[24] = ""; /* pages not counted: an empty cell */
    g_snprintf(n, sizeof n, "%zu", stt);
    if (r->pages > 0)
        g_snprintf(pages, sizeof pages, "%d", r->pages);
    const char *cells[N_COLS] = {n, r->org, r->key, r->name, pages, r->note};
    put_cells(l, cells, false);
}

/* ---- the parts of the record ---- */

static void put_paragraph(layout *l, const char *text, double size)
{
    GPtrArray *lines = wrap(l->font, text, PAGE_W - 2 * MARGIN, size);
    for (guint i = 0; i < lines->len; i++) {
        need(l, size * 1.3);
        l->y -= size * 1.3;
        put_text(l, MARGIN, l->y, size, g_ptr_array_index(lines, i));
    }
    g_ptr_array_free(lines, TRUE);
}

static void put_heading(layout *l, const char *day_vi, const char *date_line, const char *station)
{
    put_text(l, MARGIN, l->y - 10, 10, station);
    put_centred(l, PAGE_W / 2, PAGE_W / 2 - MARGIN, l->y - 10, 10, PARTY);
    put_centred(l, PAGE_W / 2, PAGE_W / 2 - MARGIN, l->y - 26, 9, date_line);
    l->y -= 60;
    put_centred(l, MARGIN, PAGE_W - 2 * MARGIN, l->y, 14, TITLE);
    l->y -= 18;
    put_centred(l, MARGIN, PAGE_W - 2 * MARGIN, l->y, 10, day_vi);
    l->y -= 8;
    put_paragraph(l, INTRO, 10);
}

/* Both parties' places, side by side: the giver on the left. */
static void put_signatures(layout *l, const char *giver, const char *taker)
{
    need(l, SIGN_BLOCK);
    double half = (PAGE_W - 2 * MARGIN) / 2, y = l->y - 24;
    put_centred(l, MARGIN, half, y, 10, GIVER);
    put_centred(l, MARGIN + half, half, y, 10, TAKER);
    put_centred(l, MARGIN, half, y - 13, 9, giver);
    put_centred(l, MARGIN + half, half, y - 13, 9, taker);
    put_centred(l, MARGIN, half, y - 26, 9, SIGN_HINT);
    put_centred(l, MARGIN + half, half, y - 26, 9, SIGN_HINT);
    l->y -= SIGN_BLOCK;
}

static void put_section(layout *l, const ho_day *d, bool returns)
{
    need(l, 60);
    l->y -= 22;
    put_text(l, MARGIN, l->y, 11, returns ? SECTION_RETURN : SECTION_RECEIVE);
    l->y -= 8;
    put_header(l);
    size_t count = 0;
    long long pages = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->rows[i].is_return == returns) {
            put_row(l, &d->rows[i], ++count);
            pages += d->rows[i].pages;
        }
    char *total = !count  ? g_strdup(NONE)
                  : pages ? g_strdup_printf("Cộng: %zu hồ sơ, %lld trang", count, pages)
                          : g_strdup_printf("Cộng: %zu hồ sơ", count);
    need(l, 20);
    l->y -= 15;
    put_text(l, MARGIN, l->y, 10, total);
    g_free(total);
    put_signatures(l, returns ? PARTY_TEAM : PARTY_ORG, returns ? PARTY_ORG : PARTY_TEAM);
}

static void put_footers(layout *l, const char *head)
{
    guint n = l->pages->len;
    for (guint i = 0; i < n; i++) {
        l->c = g_ptr_array_index(l->pages, i);
        char *page = g_strdup_printf("Trang %u/%u", i + 1, n);
        put_centred(l, MARGIN, PAGE_W - 2 * MARGIN, 36, 9, page);
        g_free(page);
        if (i + 1 == n && head[0]) {
            char *anchor = g_strdup_printf("Nhật ký kiểm tra đến mục %s", head);
            put_centred(l, MARGIN, PAGE_W - 2 * MARGIN, 24, 6.5, anchor);
            g_free(anchor);
        }
    }
}

typedef struct {
    char date[16];     /* 06/12/2026 */
    char date_vi[64];  /* Ngày 06 tháng 12 năm 2026 */
    char day_line[96]; /* the line under the title */
    char station[96];  /* Trạm số hóa: T-01 */
} ho_words;

static void make_words(const char *day, const char *station, ho_words *w)
{
    g_snprintf(w->date, sizeof w->date, "%.2s/%.2s/%.4s", day + 8, day + 5, day);
    g_snprintf(w->date_vi, sizeof w->date_vi, "Ngày %.2s tháng %.2s năm %.4s", day + 8, day + 5,
               day);
    g_snprintf(w->day_line, sizeof w->day_line, "Ngày giao nhận: %s", w->date);
    g_snprintf(w->station, sizeof w->station, "Trạm số hóa: %s", station ? station : "");
}

static GPtrArray *lay_out(const sg_text_font *f, const ho_day *d, const ho_words *w)
{
    layout l = {.font = f, .pages = g_ptr_array_new()};
    new_page(&l);
    put_heading(&l, w->day_line, w->date_vi, w->station);
    put_section(&l, d, false);
    put_section(&l, d, true);
    put_footers(&l, d->head);
    return l.pages;
}

/* ---- the font and the file ---- */

static sh_status load_font(const char *font_path, const ho_day *d, const ho_words *w,
                           sg_text_font **font, sh_error *err)
{
    GPtrArray *t = g_ptr_array_new();
    const char *fixed[] = {TITLE,          PARTY,      INTRO,       SECTION_RECEIVE,
                           SECTION_RETURN, PARTY_ORG,  PARTY_TEAM,  GIVER,
                           TAKER,          SIGN_HINT,  NONE,        ELLIPSIS,
                           EXTRA,          w->date_vi, w->day_line, w->station};
    for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++)
        g_ptr_array_add(t, (gpointer)fixed[i]);
    for (int c = 0; c < N_COLS; c++)
        g_ptr_array_add(t, (gpointer)HEADINGS[c]);
    for (size_t i = 0; i < d->n; i++) {
        g_ptr_array_add(t, d->rows[i].org);
        g_ptr_array_add(t, d->rows[i].key);
        g_ptr_array_add(t, d->rows[i].name);
        g_ptr_array_add(t, d->rows[i].note);
    }
    sh_status st = sg_text_font_load(font_path, (const char *const *)t->pdata, t->len, font, err);
    g_ptr_array_free(t, TRUE);
    return st;
}

static int write_page(pdf_writer *w, int parent, int font, const GString *c)
{
    int page = pdf_object_reserve(w), content = pdf_object_reserve(w);
    pdf_object_begin(w, page);
    pdf_printf(w,
               "<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595.276 841.89] /Resources << /Font "
               "<< /F1 %d 0 R >> >> /Contents %d 0 R >>",
               parent, font, content);
    pdf_object_end(w);
    pdf_stream_begin(w, content, "", c->len);
    pdf_write(w, c->str, c->len);
    pdf_stream_end(w);
    return page;
}

static sh_status write_pdf(const char *path, const sg_text_font *f, GPtrArray *pages,
                           const ho_words *words, sh_error *err)
{
    pdf_writer *w = pdf_writer_new(path, 7, false, err);
    if (!w)
        return err->status;
    int catalog = pdf_object_reserve(w), tree = pdf_object_reserve(w);
    int info = pdf_object_reserve(w), font = sg_text_font_write(f, w);
    int *kids = g_new(int, pages->len);
    for (guint i = 0; i < pages->len; i++)
        kids[i] = write_page(w, tree, font, g_ptr_array_index(pages, i));
    pdf_object_begin(w, tree);
    pdf_printf(w, "<< /Type /Pages /Count %u /Kids [", pages->len);
    for (guint i = 0; i < pages->len; i++)
        pdf_printf(w, "%s%d 0 R", i ? " " : "", kids[i]);
    g_free(kids);
    pdf_printf(w, "] >>");
    pdf_object_end(w);
    pdf_object_begin(w, catalog);
    pdf_printf(w, "<< /Type /Catalog /Pages %d 0 R /Lang (vi-VN) >>", tree);
    pdf_object_end(w);
    pdf_object_begin(w, info);
    pdf_printf(w, "<< /Title ");
    char *title = g_strdup_printf("%s %s", TITLE, words->date);
    pdf_text_string(w, title);
    g_free(title);
    pdf_printf(w, " /Producer (sohoa %s) /CreationDate ", SOHOA_VERSION);
    pdf_date(w, g_get_real_time() / G_USEC_PER_SEC);
    pdf_printf(w, " >>");
    pdf_object_end(w);
    return pdf_writer_finish(w, catalog, info, NULL, err);
}

sh_status pg_handover_print(sh_ledger *l, const char *day, const char *font_path,
                            const char *station, const char *path, sh_error *err)
{
    char from[32], to[32];
    sh_status st = day_bounds(day, from, to, err);
    ho_day d = {0};
    if (st == SH_OK)
        st = sh_ledger_begin_read(l, err);
    if (st != SH_OK)
        return st;
    st = read_rows(l, from, to, &d, err);
    read_head(l, &d);
    sh_ledger_rollback(l);
    if (st == SH_OK && d.n == 0)
        st = sh_fail(err, SH_USAGE,
                     _("no handover is recorded on %s (the station's local day): there is "
                       "nothing to print; give the day with --day YYYY-MM-DD"),
                     day);
    ho_words words;
    make_words(day, station, &words);
    sg_text_font *font = NULL;
    if (st == SH_OK)
        st = load_font(font_path, &d, &words, &font, err);
    if (st == SH_OK) {
        GPtrArray *pages = lay_out(font, &d, &words);
        st = write_pdf(path, font, pages, &words, err);
        for (guint i = 0; i < pages->len; i++)
            g_string_free(g_ptr_array_index(pages, i), TRUE);
        g_ptr_array_free(pages, TRUE);
    }
    sg_text_font_free(font);
    day_clear(&d);
    return st;
}
