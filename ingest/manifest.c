/* Batch sheets: the CSV an operator fills in Excel, one row per document to ingest.
 *
 * One pass over the text, one cell at a time, so time and memory stay linear in its size.
 * Whole-sheet faults (encoding, header, bounds, an unclosed quote) refuse the sheet; a bad cell
 * only marks its row, so one typo does not hold back a batch of hundreds. */
#include <string.h>

#include <glib.h>

#include "ingest/ingest.h"

#define CELL_MAX (64 * 1024) /* bytes: no real cell comes near; bounds a crafted one */
#define HEADER_MAX_COLUMNS 256
#define SHOWN_MAX 60 /* characters of a cell quoted back in a message */

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

/* Headings are compared after transliteration, lower case and without spaces or punctuation,
 * so "Mã tổ chức", "MA TO CHUC" and "ma_to_chuc" are one heading. "STT" is the type number, as
 * Phụ lục 1 of Công văn 1361 calls it; the document's own number is "Số thứ tự" (seq). */
static const struct {
    const char *key; /* the English heading, as the docs name the column */
    const char *vi;  /* the usual Vietnamese heading, shown when the column is missing */
    bool required;
    const char *aliases[7];
} columns[N_COLS] = {
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

/* The heading's ASCII letters (lower case) and digits. Bytes of letters nm_ascii leaves as they
 * are (not Vietnamese) are kept, so such a heading matches nothing rather than something by
 * accident. g_free() it. */
static char *heading_key(const char *utf8)
{
    char *ascii = nm_ascii(utf8);
    if (!ascii)
        return g_strdup("");
    char *w = ascii;
    for (const char *p = ascii; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (g_ascii_isalnum(c))
            *w++ = g_ascii_tolower(c);
        else if (c >= 0x80)
            *w++ = (char)c;
    }
    *w = '\0';
    return ascii;
}

static int column_of_heading(const char *heading)
{
    char *key = heading_key(heading);
    int found = -1;
    for (int c = 0; c < N_COLS && found < 0; c++) {
        for (int a = 0; columns[c].aliases[a] && found < 0; a++) {
            char *alias = heading_key(columns[c].aliases[a]);
            if (strcmp(key, alias) == 0)
                found = c;
            g_free(alias);
        }
    }
    g_free(key);
    return found;
}

/* ---- reading cells ---- */

typedef struct {
    const char *s;
    size_t len, pos;
    int line; /* physical line of s[pos], 1-based */
    char sep;
} csv_reader;

typedef enum { CELL_OK, CELL_TOO_LONG, CELL_UNCLOSED } cell_result;

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* One line break at s[pos] (CRLF, LF, or the lone CR of old Mac exports): its length, or 0. */
static size_t line_break_at(const csv_reader *r, size_t pos)
{
    if (r->s[pos] == '\n')
        return 1;
    if (r->s[pos] == '\r')
        return pos + 1 < r->len && r->s[pos + 1] == '\n' ? 2 : 1;
    return 0;
}

/* Read the cell at r->pos into out, raw (not trimmed); *last tells whether it ended its record.
 * Line breaks inside quotes become '\n'. */
static cell_result read_cell(csv_reader *r, GString *out, bool *last)
{
    g_string_truncate(out, 0);
    const char *s = r->s;
    size_t p = r->pos;
    int start_line = r->line; /* errors name the line where the cell starts */
    size_t q = p;
    while (q < r->len && is_blank(s[q]))
        q++;
    /* Quoted, also after stray spaces (hand edits): `a, "b;c"` keeps b;c in one cell. */
    if (q < r->len && s[q] == '"') {
        p = q + 1;
        for (;;) {
            if (p >= r->len) {
                r->line = start_line;
                return CELL_UNCLOSED;
            }
            size_t run = p;
            while (run < r->len && s[run] != '"' && s[run] != '\r' && s[run] != '\n')
                run++;
            g_string_append_len(out, s + p, (gssize)(run - p));
            p = run;
            if (p >= r->len)
                continue;
            if (s[p] == '"') {
                if (p + 1 < r->len && s[p + 1] == '"') {
                    g_string_append_c(out, '"');
                    p += 2;
                } else {
                    p++;
                    break;
                }
            } else {
                p += line_break_at(r, p);
                r->line++;
                g_string_append_c(out, '\n');
            }
            if (out->len > CELL_MAX) {
                r->line = start_line;
                return CELL_TOO_LONG;
            }
        }
    }
    /* Unquoted, or what follows a closing quote (`"ab"cd` reads as abcd, as Excel does). */
    size_t run = p;
    while (run < r->len && s[run] != r->sep && s[run] != '\r' && s[run] != '\n')
        run++;
    g_string_append_len(out, s + p, (gssize)(run - p));
    if (out->len > CELL_MAX) {
        r->line = start_line;
        return CELL_TOO_LONG;
    }
    p = run;
    if (p >= r->len) {
        *last = true;
    } else if (s[p] == r->sep) {
        p++;
        *last = false;
    } else {
        p += line_break_at(r, p);
        r->line++;
        *last = true;
    }
    r->pos = p;
    return CELL_OK;
}

/* The separator is whichever of ',' and ';' the header line holds more of outside quotes. */
static char detect_separator(const char *s, size_t len, size_t pos)
{
    size_t commas = 0, semicolons = 0;
    bool quoted = false;
    for (; pos < len; pos++) {
        char c = s[pos];
        if (c == '"')
            quoted = !quoted;
        else if (!quoted && (c == '\n' || c == '\r'))
            break;
        else if (!quoted && c == ',')
            commas++;
        else if (!quoted && c == ';')
            semicolons++;
    }
    return semicolons > commas ? ';' : ',';
}

/* ---- cells to values ---- */

/* The cell without the blanks at its ends: [*a, *b). Line breaks count as blanks there, since
 * an Alt+Enter left at the end of a cell is invisible in Excel. */
static void trim_bounds(const GString *cell, size_t *a, size_t *b)
{
    *a = 0;
    *b = cell->len;
    while (*a < *b && (is_blank(cell->str[*a]) || cell->str[*a] == '\n'))
        (*a)++;
    while (*b > *a && (is_blank(cell->str[*b - 1]) || cell->str[*b - 1] == '\n'))
        (*b)--;
}

/* A cell as quoted back to the operator: one line, not too long. g_free() it. */
static char *shown(const char *s)
{
    char *copy = g_strdup(s);
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    if (g_utf8_strlen(copy, -1) > SHOWN_MAX) {
        char *cut = g_utf8_offset_to_pointer(copy, SHOWN_MAX);
        *cut = '\0';
        char *longer = g_strconcat(copy, "…", NULL);
        g_free(copy);
        copy = longer;
    }
    return copy;
}

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

typedef struct {
    int index[N_COLS]; /* cell index of each column, -1 when absent */
    char **heading;    /* as written, trimmed, per cell index */
    size_t n_cells;    /* cells of the header line */
} header;

static void add_problem(GString *problems, char *msg)
{
    if (problems->len)
        g_string_append(problems, "; ");
    g_string_append(problems, msg);
    g_free(msg);
}

/* A column's cell of the record, or "" when the column or the cell is absent. */
static const char *cell_of(const header *h, char **cells, size_t n, int col)
{
    int i = h->index[col];
    return i >= 0 && (size_t)i < n ? cells[i] : "";
}

static const char *heading_of(const header *h, int col)
{
    return h->index[col] >= 0 ? h->heading[h->index[col]] : columns[col].key;
}

static void optional_number(const header *h, char **cells, size_t n, int col, int lo, int hi,
                            int *out, GString *problems)
{
    const char *v = cell_of(h, cells, n, col);
    *out = 0;
    if (*v && !parse_number(v, lo, hi, out)) {
        *out = 0;
        char *sv = shown(v);
        add_problem(problems, g_strdup_printf(_("column \"%s\": \"%s\" is not a number from %d "
                                                "to %d"),
                                              heading_of(h, col), sv, lo, hi));
        g_free(sv);
    }
}

static void required_text(const header *h, char **cells, size_t n, int col, char **out,
                          GString *problems)
{
    const char *v = cell_of(h, cells, n, col);
    *out = g_strdup(v);
    if (!*v)
        add_problem(problems, g_strdup_printf(_("column \"%s\" is empty"), heading_of(h, col)));
}

/* The files cell: one path per piece between ';', '|' or line breaks. */
static bool split_sources(const header *h, const char *v, in_manifest_row *row, GString *problems)
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
        add_problem(problems, g_strdup_printf(_("column \"%s\": more than %d files; name their "
                                                "folder instead"),
                                              heading_of(h, COL_FILES), IN_MANIFEST_MAX_SOURCES));
    }
    row->n_sources = out->len;
    g_ptr_array_add(out, NULL);
    row->sources = (char **)g_ptr_array_free(out, FALSE);
    return too_many;
}

/* Turn one data record into a row; the cells stay the caller's. */
static void make_row(const header *h, char **cells, size_t n, size_t extra_cells, const char *stray,
                     int line, char sep, in_manifest_row *row)
{
    GString *problems = g_string_new(NULL);
    memset(row, 0, sizeof *row);
    row->row = line;
    required_text(h, cells, n, COL_ORG, &row->org_code, problems);
    required_text(h, cells, n, COL_CCCD, &row->cccd, problems);
    required_text(h, cells, n, COL_NAME, &row->person_name, problems);

    const char *type = cell_of(h, cells, n, COL_TYPE);
    if (!*type) {
        add_problem(problems,
                    g_strdup_printf(_("column \"%s\" is empty"), heading_of(h, COL_TYPE)));
    } else if (!parse_number(type, 1, NM_CATALOG_SIZE, &row->type_stt)) {
        row->type_stt = 0;
        char *sv = shown(type);
        add_problem(problems, g_strdup_printf(_("column \"%s\": \"%s\" is not a document type "
                                                "number (1 to %d)"),
                                              heading_of(h, COL_TYPE), sv, NM_CATALOG_SIZE));
        g_free(sv);
    }
    optional_number(h, cells, n, COL_SEQ, 1, NM_SEQ_MAX, &row->seq, problems);
    optional_number(h, cells, n, COL_PAGES, 1, 100000, &row->expected_pages, problems);
    optional_number(h, cells, n, COL_DPI, 50, 4800, &row->dpi, problems);

    const char *files = cell_of(h, cells, n, COL_FILES);
    bool too_many = split_sources(h, files, row, problems);
    if (!too_many && row->n_sources == 0)
        add_problem(problems, g_strdup_printf(*files ? _("column \"%s\" names no file")
                                                     : _("column \"%s\" is empty"),
                                              heading_of(h, COL_FILES)));

    const char *reason = cell_of(h, cells, n, COL_REPLACE);
    row->replace_reason = *reason ? g_strdup(reason) : NULL;

    if (stray) {
        char *sv = shown(stray);
        add_problem(problems,
                    g_strdup_printf(_("\"%s\" stands in a column without a heading"), sv));
        g_free(sv);
    }
    /* Most often a name or path holding the separator without quotes: the cells after it have
     * all moved one column to the right. */
    if (extra_cells)
        add_problem(problems, g_strdup_printf(_("the row has %zu cells but the header only %zu; "
                                                "a cell that holds \"%c\" must be in quotes"),
                                              n + extra_cells, h->n_cells, sep));
    if (problems->len)
        row->problem = g_string_free(problems, FALSE);
    else
        g_string_free(problems, TRUE);
}

static void header_clear(header *h)
{
    g_strfreev(h->heading);
    h->heading = NULL;
}

/* "org (Mã tổ chức), cccd (Số CCCD), …": what an unknown heading could have been. */
static char *accepted_headings(void)
{
    GString *s = g_string_new(NULL);
    for (int c = 0; c < N_COLS; c++)
        g_string_append_printf(s, "%s%s (%s)", c ? ", " : "", columns[c].key, columns[c].vi);
    return g_string_free(s, FALSE);
}

static sh_status read_header(header *h, GPtrArray *cells, const char *name, sh_error *err)
{
    for (int c = 0; c < N_COLS; c++)
        h->index[c] = -1;
    h->n_cells = cells->len;
    h->heading = g_new0(char *, cells->len + 1);
    for (size_t i = 0; i < cells->len; i++) {
        const char *text = g_ptr_array_index(cells, i);
        h->heading[i] = shown(text);
        /* An empty heading: Excel writes one for a column that was only formatted. */
        if (!*text)
            continue;
        int c = column_of_heading(text);
        if (c < 0) {
            char *all = accepted_headings();
            sh_status st =
                sh_fail(err, SH_INPUT, _("%s: unknown column \"%s\"; the columns are: %s"), name,
                        h->heading[i], all);
            g_free(all);
            return st;
        }
        if (h->index[c] >= 0)
            return sh_fail(
                err, SH_INPUT,
                _("%s: the headings \"%s\" and \"%s\" both name the column \"%s\"; keep one"), name,
                h->heading[h->index[c]], h->heading[i], columns[c].key);
        h->index[c] = (int)i;
    }
    for (int c = 0; c < N_COLS; c++)
        if (columns[c].required && h->index[c] < 0)
            return sh_fail(err, SH_INPUT,
                           _("%s: the column \"%s\" (in Vietnamese \"%s\") is missing; it is "
                             "required"),
                           name, columns[c].key, columns[c].vi);
    return SH_OK;
}

/* Where the first line with any text starts: the header line to take the separator from. */
static size_t first_text_line(const char *s, size_t len, size_t pos)
{
    size_t line_start = pos;
    for (; pos < len; pos++) {
        if (s[pos] == '\n' || s[pos] == '\r')
            line_start = pos + 1;
        else if (!is_blank(s[pos]))
            break;
    }
    return line_start;
}

sh_status in_manifest_parse(const char *text, size_t len, const char *name, in_manifest_row **rows,
                            size_t *n_rows, sh_error *err)
{
    *rows = NULL;
    *n_rows = 0;
    if (!name)
        name = "-";
    if (!text) {
        text = "";
        len = 0;
    }
    if (len > IN_MANIFEST_MAX_BYTES)
        return sh_fail(err, SH_INPUT, _("%s is too large (at most %zu bytes expected)"), name,
                       (size_t)IN_MANIFEST_MAX_BYTES);
    size_t start = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    if (!sh_utf8_valid(text + start, len - start))
        return sh_fail(err, SH_INPUT,
                       _("%s is not UTF-8 text; open it in Excel and save it as \"CSV UTF-8\""),
                       name);

    csv_reader r = {text, len, start, 1, ','};
    r.sep = detect_separator(text, len, first_text_line(text, len, start));
    GString *cell = g_string_new(NULL);
    GPtrArray *cells = g_ptr_array_new_with_free_func(g_free);
    GArray *out = g_array_new(FALSE, TRUE, sizeof(in_manifest_row));
    header h = {{0}, NULL, 0};
    bool have_header = false;
    sh_status st = SH_OK;
    while (st == SH_OK && r.pos < r.len) {
        int line = r.line;
        size_t cap = have_header ? h.n_cells : HEADER_MAX_COLUMNS;
        size_t extra = 0;
        bool blank = true, last = false;
        g_ptr_array_set_size(cells, 0);
        while (st == SH_OK && !last) {
            cell_result cr = read_cell(&r, cell, &last);
            if (cr == CELL_UNCLOSED)
                st = sh_fail(err, SH_INPUT,
                             _("%s:%d: a quoted cell is never closed (a \" is missing)"), name,
                             r.line);
            else if (cr == CELL_TOO_LONG)
                st = sh_fail(err, SH_INPUT, _("%s:%d: a cell is longer than %d KiB"), name, r.line,
                             CELL_MAX / 1024);
            if (st != SH_OK)
                break;
            size_t a, b;
            trim_bounds(cell, &a, &b);
            blank = blank && a == b;
            if (cells->len < cap) {
                g_ptr_array_add(cells, g_strndup(cell->str + a, b - a));
                continue;
            }
            if (!have_header)
                st = sh_fail(err, SH_INPUT, _("%s: the header has more than %d columns"), name,
                             HEADER_MAX_COLUMNS);
            extra++;
        }
        if (st != SH_OK || blank)
            continue;
        if (!have_header) {
            st = read_header(&h, cells, name, err);
            have_header = true;
            continue;
        }
        if (out->len >= IN_MANIFEST_MAX_ROWS) {
            st = sh_fail(err, SH_INPUT, _("%s: more than %d rows; split the sheet into several"),
                         name, IN_MANIFEST_MAX_ROWS);
            break;
        }
        const char *stray = NULL;
        for (size_t i = 0; i < cells->len && !stray; i++) {
            const char *v = g_ptr_array_index(cells, i);
            if (!*h.heading[i] && *v)
                stray = v;
        }
        in_manifest_row row;
        make_row(&h, (char **)cells->pdata, cells->len, extra, stray, line, r.sep, &row);
        g_array_append_val(out, row);
    }
    if (st == SH_OK && !have_header)
        st = sh_fail(err, SH_INPUT, _("%s: no header line naming the columns"), name);
    header_clear(&h);
    g_ptr_array_free(cells, TRUE);
    g_string_free(cell, TRUE);
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
