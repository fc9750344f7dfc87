/* Batch sheets: the CSV an operator fills in Excel, one row per document to ingest.
 *
 * Read with core's CSV reader (sh_csv_*: Excel's dialects, headings in either language, bounds).
 * Whole-sheet faults (encoding, header, bounds, an unclosed quote) refuse the sheet; a bad cell
 * only marks its row, so one typo does not hold back a batch of hundreds. */
#include <string.h>

#include <glib.h>

#include "ingest/ingest.h"

/* ---- the columns ---- */

enum {
    COL_ORG,
    COL_CCCD,
    COL_NAME,
    COL_TYPE,
    COL_SEQ,
    COL_PAGES,
    COL_DPI,
    COL_FILES,
    COL_REPLACE,
    N_COLS
};

/* Headings are compared after transliteration, lower case and without spaces or punctuation
 * (sh_csv_key), so "Mã tổ chức", "MA TO CHUC" and "ma_to_chuc" are one heading. "STT" is the type
 * number, as Phụ lục 1 of Công văn 1361 calls it; the document's own number is "Số thứ tự" (seq).
 */
static const sh_csv_column columns[N_COLS] = {
    [COL_ORG] = {"org",
                 "Mã tổ chức",
                 true,
                 {"org", "org_code", "ma to chuc", "to chuc", "ma chi bo", NULL}},
    [COL_CCCD] = {"cccd", "Số CCCD", true, {"cccd", "so cccd", "id", NULL}},
    [COL_NAME] = {"name", "Họ và tên", true, {"name", "ho va ten", "ho ten", NULL}},
    [COL_TYPE] = {"type",
                  "Loại tài liệu",
                  true,
                  {"type", "loai", "loai tai lieu", "ma loai", "stt loai", NULL}},
    [COL_SEQ] = {"seq", "Số thứ tự", false, {"seq", "so thu tu", "sothutu", NULL}},
    [COL_PAGES] = {"expected_pages",
                   "Số trang",
                   false,
                   {"expected_pages", "pages", "so trang", NULL}},
    [COL_DPI] = {"dpi", "Độ phân giải", false, {"dpi", "ppi", "do phan giai", NULL}},
    [COL_FILES] = {"files",
                   "Tệp nguồn",
                   true,
                   {"files", "sources", "tep", "tep nguon", "nguon", "thu muc", NULL}},
    /* Filled in: the row is a rescan of a document already there (in_document.replace_reason). */
    [COL_REPLACE] = {"replace_reason",
                     "Lý do quét lại",
                     false,
                     {"replace_reason", "replace", "ly do quet lai", "quet lai", "ly do thay the",
                      NULL}},
};

/* ---- cells to values ---- */

/* A decimal number, leading zeros allowed ("02"), no sign, no fraction. */
static bool parse_number(const char *s, int lo, int hi, int *out)
{
    if (!*s)
        return false;
    long v = 0;
    for (const char *p = s; *p; p++) {
        if (!g_ascii_isdigit(*p))
            return false;
        if (v <= hi) /* saturate: anything past hi is out of range anyway */
            v = v * 10 + (*p - '0');
    }
    if (v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

static void add_problem(GString *problems, char *msg)
{
    if (problems->len)
        g_string_append(problems, "; ");
    g_string_append(problems, msg);
    g_free(msg);
}

static void optional_number(const sh_csv_header *h, const sh_csv_row *r, int col, int lo, int hi,
                            int *out, GString *problems)
{
    const char *v = sh_csv_cell(h, r, col);
    *out = 0;
    if (*v && !parse_number(v, lo, hi, out)) {
        *out = 0;
        char *sv = sh_csv_shown(v);
        add_problem(problems, g_strdup_printf(_("column \"%s\": \"%s\" is not a number from %d "
                                                "to %d"),
                                              sh_csv_heading(h, col), sv, lo, hi));
        g_free(sv);
    }
}

static void required_text(const sh_csv_header *h, const sh_csv_row *r, int col, char **out,
                          GString *problems)
{
    const char *v = sh_csv_cell(h, r, col);
    *out = g_strdup(v);
    if (!*v)
        add_problem(problems, g_strdup_printf(_("column \"%s\" is empty"), sh_csv_heading(h, col)));
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* The files cell: one path per piece between ';', '|' or line breaks. */
static bool split_sources(const sh_csv_header *h, const char *v, in_manifest_row *row,
                          GString *problems)
{
    GPtrArray *out = g_ptr_array_new();
    bool too_many = false;
    const char *p = v;
    while (*p && !too_many) {
        size_t span = strcspn(p, ";|\n");
        const char *a = p, *b = p + span;
        while (a < b && is_blank(*a))
            a++;
        while (b > a && is_blank(b[-1]))
            b--;
        if (b > a) {
            if (out->len >= IN_MANIFEST_MAX_SOURCES)
                too_many = true;
            else
                g_ptr_array_add(out, g_strndup(a, (size_t)(b - a)));
        }
        p += span + (p[span] ? 1 : 0);
    }
    if (too_many) {
        g_ptr_array_set_free_func(out, g_free);
        g_ptr_array_set_size(out, 0);
        add_problem(problems,
                    g_strdup_printf(_("column \"%s\": more than %d files; name their "
                                      "folder instead"),
                                    sh_csv_heading(h, COL_FILES), IN_MANIFEST_MAX_SOURCES));
    }
    row->n_sources = out->len;
    g_ptr_array_add(out, NULL);
    row->sources = (char **)g_ptr_array_free(out, FALSE);
    return too_many;
}

static void type_number(const sh_csv_header *h, const sh_csv_row *r, in_manifest_row *row,
                        GString *problems)
{
    const char *type = sh_csv_cell(h, r, COL_TYPE);
    if (!*type) {
        add_problem(problems,
                    g_strdup_printf(_("column \"%s\" is empty"), sh_csv_heading(h, COL_TYPE)));
    } else if (!parse_number(type, 1, NM_CATALOG_SIZE, &row->type_stt)) {
        row->type_stt = 0;
        char *sv = sh_csv_shown(type);
        add_problem(problems, g_strdup_printf(_("column \"%s\": \"%s\" is not a document type "
                                                "number (1 to %d)"),
                                              sh_csv_heading(h, COL_TYPE), sv, NM_CATALOG_SIZE));
        g_free(sv);
    }
}

/* Turn one data record into a row; the cells stay the reader's. */
static void make_row(const sh_csv_header *h, const sh_csv_row *r, char sep, in_manifest_row *row)
{
    GString *problems = g_string_new(NULL);
    memset(row, 0, sizeof *row);
    row->row = r->line;
    required_text(h, r, COL_ORG, &row->org_code, problems);
    required_text(h, r, COL_CCCD, &row->cccd, problems);
    required_text(h, r, COL_NAME, &row->person_name, problems);
    type_number(h, r, row, problems);
    optional_number(h, r, COL_SEQ, 1, NM_SEQ_MAX, &row->seq, problems);
    optional_number(h, r, COL_PAGES, 1, 100000, &row->expected_pages, problems);
    optional_number(h, r, COL_DPI, 50, 4800, &row->dpi, problems);

    const char *files = sh_csv_cell(h, r, COL_FILES);
    bool too_many = split_sources(h, files, row, problems);
    if (!too_many && row->n_sources == 0)
        add_problem(problems, g_strdup_printf(*files ? _("column \"%s\" names no file")
                                                     : _("column \"%s\" is empty"),
                                              sh_csv_heading(h, COL_FILES)));

    const char *reason = sh_csv_cell(h, r, COL_REPLACE);
    row->replace_reason = *reason ? g_strdup(reason) : NULL;

    char *shape = sh_csv_shape_problem(h, r, sep);
    if (shape)
        add_problem(problems, shape);
    if (problems->len)
        row->problem = g_string_free(problems, FALSE);
    else
        g_string_free(problems, TRUE);
}

/* Every row after the header, into out. */
static sh_status read_rows(sh_csv_reader *r, const char *name, GArray *out, sh_error *err)
{
    sh_csv_header h = {0};
    bool have_header = false;
    sh_status st = SH_OK;
    for (;;) {
        sh_csv_row rec;
        bool got = false;
        st = sh_csv_next(r, &rec, &got, err);
        if (st != SH_OK || !got)
            break;
        if (!have_header) {
            have_header = true;
            st = sh_csv_header_read(&h, columns, N_COLS, &rec, name, err);
            if (st != SH_OK)
                break;
            continue;
        }
        in_manifest_row row;
        make_row(&h, &rec, sh_csv_separator(r), &row);
        g_array_append_val(out, row);
    }
    if (st == SH_OK && !have_header)
        st = sh_fail(err, SH_INPUT, _("%s: no header line naming the columns"), name);
    sh_csv_header_clear(&h);
    return st;
}

sh_status in_manifest_parse(const char *text, size_t len, const char *name, in_manifest_row **rows,
                            size_t *n_rows, sh_error *err)
{
    *rows = NULL;
    *n_rows = 0;
    if (!name)
        name = "-";
    sh_csv_reader *r = NULL;
    sh_status st =
        sh_csv_open(text, len, name, IN_MANIFEST_MAX_BYTES, IN_MANIFEST_MAX_ROWS, &r, err);
    if (st != SH_OK)
        return st;
    GArray *out = g_array_new(FALSE, TRUE, sizeof(in_manifest_row));
    st = read_rows(r, name, out, err);
    sh_csv_free(r);
    if (st != SH_OK || out->len == 0) {
        in_manifest_free((in_manifest_row *)(void *)out->data, out->len);
        g_array_free(out, FALSE);
        return st;
    }
    *n_rows = out->len;
    *rows = (in_manifest_row *)(void *)g_array_free(out, FALSE);
    return SH_OK;
}

void in_manifest_free(in_manifest_row *rows, size_t n_rows)
{
    if (!rows)
        return;
    for (size_t i = 0; i < n_rows; i++) {
        g_free(rows[i].org_code);
        g_free(rows[i].cccd);
        g_free(rows[i].person_name);
        g_strfreev(rows[i].sources);
        g_free(rows[i].replace_reason);
        g_free(rows[i].problem);
    }
    g_free(rows);
}
