/* CSV as Excel writes it, for the sheets operators fill in (batch sheets, the inventory, the
 * plan). One pass over the text, one cell at a time, so time and memory stay linear in its size;
 * every cell, the header's width and the rows are bounded. */
#include "core/core.h"

#include <string.h>

#include <glib.h>

#define SHOWN_MAX 60 /* characters of a cell quoted back in a message */

struct sh_csv_reader {
    const char *s;
    size_t len, pos;
    int line; /* physical line of s[pos], 1-based */
    char sep;
    const char *name;
    size_t max_rows, rows;
    bool have_header;
    size_t width;     /* cells kept per record: the header's */
    GString *cell;    /* the cell being read */
    GPtrArray *cells; /* the record's cells, trimmed */
};

typedef enum { CELL_OK, CELL_TOO_LONG, CELL_UNCLOSED } cell_result;

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* One line break at s[pos] (CRLF, LF, or the lone CR of old Mac exports): its length, or 0. */
static size_t line_break_at(const sh_csv_reader *r, size_t pos)
{
    if (r->s[pos] == '\n')
        return 1;
    if (r->s[pos] == '\r')
        return pos + 1 < r->len && r->s[pos + 1] == '\n' ? 2 : 1;
    return 0;
}

/* The quoted part of a cell from s[*p] (after the opening quote) up to its closing quote.
 * Line breaks inside become '\n'. */
static cell_result read_quoted(sh_csv_reader *r, size_t *p, GString *out)
{
    const char *s = r->s;
    for (;;) {
        if (*p >= r->len)
            return CELL_UNCLOSED;
        size_t run = *p;
        while (run < r->len && s[run] != '"' && s[run] != '\r' && s[run] != '\n')
            run++;
        g_string_append_len(out, s + *p, (gssize)(run - *p));
        *p = run;
        if (*p >= r->len)
            continue;
        if (s[*p] == '"') {
            if (*p + 1 < r->len && s[*p + 1] == '"') {
                g_string_append_c(out, '"');
                *p += 2;
            } else {
                (*p)++;
                return CELL_OK;
            }
        } else {
            *p += line_break_at(r, *p);
            r->line++;
            g_string_append_c(out, '\n');
        }
        if (out->len > SH_CSV_CELL_MAX)
            return CELL_TOO_LONG;
    }
}

/* Read the cell at r->pos into r->cell, raw (not trimmed); *last tells whether it ended its
 * record. On an error r->line is the line where the cell starts. */
static cell_result read_cell(sh_csv_reader *r, bool *last)
{
    GString *out = r->cell;
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
        cell_result cr = read_quoted(r, &p, out);
        if (cr != CELL_OK) {
            r->line = start_line;
            return cr;
        }
    }
    /* Unquoted, or what follows a closing quote (`"ab"cd` reads as abcd, as Excel does). */
    size_t run = p;
    while (run < r->len && s[run] != r->sep && s[run] != '\r' && s[run] != '\n')
        run++;
    g_string_append_len(out, s + p, (gssize)(run - p));
    if (out->len > SH_CSV_CELL_MAX) {
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

sh_status sh_csv_open(const char *text, size_t len, const char *name, size_t max_bytes,
                      size_t max_rows, sh_csv_reader **out, sh_error *err)
{
    *out = NULL;
    if (!name)
        name = "-";
    if (!text) {
        text = "";
        len = 0;
    }
    if (len > max_bytes)
        return sh_fail(err, SH_INPUT, _("%s is too large (at most %zu bytes expected)"), name,
                       max_bytes);
    size_t start = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    if (!sh_utf8_valid(text + start, len - start))
        return sh_fail(err, SH_INPUT,
                       _("%s is not UTF-8 text; open it in Excel and save it as \"CSV UTF-8\""),
                       name);
    sh_csv_reader *r = g_new0(sh_csv_reader, 1);
    r->s = text;
    r->len = len;
    r->pos = start;
    r->line = 1;
    r->sep = detect_separator(text, len, first_text_line(text, len, start));
    r->name = name;
    r->max_rows = max_rows;
    r->width = SH_CSV_HEADER_MAX;
    r->cell = g_string_new(NULL);
    r->cells = g_ptr_array_new_with_free_func(g_free);
    *out = r;
    return SH_OK;
}

/* The cell without the blanks at its ends. Line breaks count as blanks there, since an
 * Alt+Enter left at the end of a cell is invisible in Excel. */
static char *trimmed(const GString *cell, bool *blank)
{
    size_t a = 0, b = cell->len;
    while (a < b && (is_blank(cell->str[a]) || cell->str[a] == '\n'))
        a++;
    while (b > a && (is_blank(cell->str[b - 1]) || cell->str[b - 1] == '\n'))
        b--;
    *blank = a == b;
    return g_strndup(cell->str + a, b - a);
}

/* One record into r->cells; *blank when no cell holds text. */
static sh_status read_record(sh_csv_reader *r, sh_csv_row *row, bool *blank, sh_error *err)
{
    g_ptr_array_set_size(r->cells, 0);
    row->extra = 0;
    row->line = r->line;
    *blank = true;
    bool last = false;
    while (!last) {
        cell_result cr = read_cell(r, &last);
        if (cr == CELL_UNCLOSED)
            return sh_fail(err, SH_INPUT,
                           _("%s:%d: a quoted cell is never closed (a \" is missing)"), r->name,
                           r->line);
        if (cr == CELL_TOO_LONG)
            return sh_fail(err, SH_INPUT, _("%s:%d: a cell is longer than %d KiB"), r->name,
                           r->line, SH_CSV_CELL_MAX / 1024);
        bool empty;
        char *cell = trimmed(r->cell, &empty);
        *blank = *blank && empty;
        if (r->cells->len < r->width) {
            g_ptr_array_add(r->cells, cell);
        } else {
            g_free(cell);
            row->extra++;
        }
    }
    row->cells = (char **)r->cells->pdata;
    row->n_cells = r->cells->len;
    return SH_OK;
}

sh_status sh_csv_next(sh_csv_reader *r, sh_csv_row *row, bool *got, sh_error *err)
{
    memset(row, 0, sizeof *row);
    *got = false;
    while (r->pos < r->len) {
        bool blank;
        sh_status st = read_record(r, row, &blank, err);
        if (st != SH_OK)
            return st;
        if (!r->have_header && row->extra) /* a blank line too, as one cell at a time did */
            return sh_fail(err, SH_INPUT, _("%s: the header has more than %d columns"), r->name,
                           SH_CSV_HEADER_MAX);
        if (blank)
            continue;
        if (!r->have_header) {
            r->have_header = true;
            r->width = row->n_cells;
        } else if (++r->rows > r->max_rows) {
            return sh_fail(err, SH_INPUT, _("%s: more than %d rows; split the sheet into several"),
                           r->name, (int)r->max_rows);
        }
        *got = true;
        return SH_OK;
    }
    return SH_OK;
}

char sh_csv_separator(const sh_csv_reader *r) { return r->sep; }

void sh_csv_free(sh_csv_reader *r)
{
    if (!r)
        return;
    g_string_free(r->cell, TRUE);
    g_ptr_array_free(r->cells, TRUE);
    g_free(r);
}

/* ---- headings ---- */

static bool is_combining_mark(gunichar c)
{
    GUnicodeType t = g_unichar_type(c);
    return t == G_UNICODE_NON_SPACING_MARK || t == G_UNICODE_SPACING_MARK ||
           t == G_UNICODE_ENCLOSING_MARK;
}

/* As naming's transliteration does it (NFD, marks dropped, đ/Đ/Ð → d), then only ASCII letters
 * (lower case) and digits. Bytes of letters left as they are (not Vietnamese) are kept, so such
 * a heading matches nothing rather than something by accident. */
char *sh_csv_key(const char *utf8)
{
    if (!utf8 || !g_utf8_validate(utf8, -1, NULL))
        return g_strdup("");
    char *nfd = g_utf8_normalize(utf8, -1, G_NORMALIZE_NFD);
    if (!nfd)
        return g_strdup("");
    GString *out = g_string_sized_new(strlen(nfd));
    for (const char *p = nfd; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c == 0x0111 || c == 0x0110 || c == 0x00D0) /* đ, Đ, and the look-alike Ð */
            g_string_append_c(out, 'd');
        else if (c < 0x80 && g_ascii_isalnum((char)c))
            g_string_append_c(out, g_ascii_tolower((char)c));
        else if (c >= 0x80 && !is_combining_mark(c))
            g_string_append_unichar(out, c);
    }
    g_free(nfd);
    return g_string_free(out, FALSE);
}

char *sh_csv_shown(const char *s)
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

static int column_of_heading(const sh_csv_column *cols, int n_cols, const char *heading)
{
    char *key = sh_csv_key(heading);
    int found = -1;
    for (int c = 0; c < n_cols && found < 0; c++) {
        for (int a = 0; cols[c].aliases[a] && found < 0; a++) {
            char *alias = sh_csv_key(cols[c].aliases[a]);
            if (strcmp(key, alias) == 0)
                found = c;
            g_free(alias);
        }
    }
    g_free(key);
    return found;
}

/* "org (Mã tổ chức), cccd (Số CCCD), …": what an unknown heading could have been. */
static char *accepted_headings(const sh_csv_column *cols, int n_cols)
{
    GString *s = g_string_new(NULL);
    for (int c = 0; c < n_cols; c++)
        g_string_append_printf(s, "%s%s (%s)", c ? ", " : "", cols[c].key, cols[c].vi);
    return g_string_free(s, FALSE);
}

static sh_status heading_cell(sh_csv_header *h, size_t i, const char *text, const char *name,
                              sh_error *err)
{
    int c = column_of_heading(h->cols, h->n_cols, text);
    if (c < 0) {
        char *all = accepted_headings(h->cols, h->n_cols);
        sh_status st = sh_fail(err, SH_INPUT, _("%s: unknown column \"%s\"; the columns are: %s"),
                               name, h->heading[i], all);
        g_free(all);
        return st;
    }
    if (h->index[c] >= 0)
        return sh_fail(
            err, SH_INPUT,
            _("%s: the headings \"%s\" and \"%s\" both name the column \"%s\"; keep one"), name,
            h->heading[h->index[c]], h->heading[i], h->cols[c].key);
    h->index[c] = (int)i;
    return SH_OK;
}

sh_status sh_csv_header_read(sh_csv_header *h, const sh_csv_column *cols, int n_cols,
                             const sh_csv_row *header, const char *name, sh_error *err)
{
    memset(h, 0, sizeof *h);
    h->cols = cols;
    h->n_cols = n_cols < SH_CSV_COLUMNS_MAX ? n_cols : SH_CSV_COLUMNS_MAX;
    for (int c = 0; c < SH_CSV_COLUMNS_MAX; c++)
        h->index[c] = -1;
    h->n_cells = header->n_cells;
    h->heading = g_new0(char *, header->n_cells + 1);
    for (size_t i = 0; i < header->n_cells; i++) {
        const char *text = header->cells[i];
        h->heading[i] = sh_csv_shown(text);
        /* An empty heading: Excel writes one for a column that was only formatted. */
        if (!*text)
            continue;
        sh_status st = heading_cell(h, i, text, name, err);
        if (st != SH_OK)
            return st;
    }
    for (int c = 0; c < h->n_cols; c++)
        if (cols[c].required && h->index[c] < 0)
            return sh_fail(err, SH_INPUT,
                           _("%s: the column \"%s\" (in Vietnamese \"%s\") is missing; it is "
                             "required"),
                           name, cols[c].key, cols[c].vi);
    return SH_OK;
}

void sh_csv_header_clear(sh_csv_header *h)
{
    g_strfreev(h->heading);
    h->heading = NULL;
}

const char *sh_csv_cell(const sh_csv_header *h, const sh_csv_row *row, int col)
{
    int i = col >= 0 && col < h->n_cols ? h->index[col] : -1;
    return i >= 0 && (size_t)i < row->n_cells ? row->cells[i] : "";
}

const char *sh_csv_heading(const sh_csv_header *h, int col)
{
    return h->index[col] >= 0 ? h->heading[h->index[col]] : h->cols[col].key;
}

char *sh_csv_shape_problem(const sh_csv_header *h, const sh_csv_row *row, char separator)
{
    GString *s = g_string_new(NULL);
    const char *stray = NULL;
    for (size_t i = 0; i < row->n_cells && i < h->n_cells && !stray; i++)
        if (!*h->heading[i] && *row->cells[i])
            stray = row->cells[i];
    if (stray) {
        char *sv = sh_csv_shown(stray);
        g_string_append_printf(s, _("\"%s\" stands in a column without a heading"), sv);
        g_free(sv);
    }
    /* Most often a name or path holding the separator without quotes: the cells after it have
     * all moved one column to the right. */
    if (row->extra) {
        if (s->len)
            g_string_append(s, "; ");
        g_string_append_printf(s,
                               _("the row has %zu cells but the header only %zu; a cell that "
                                 "holds \"%c\" must be in quotes"),
                               row->n_cells + row->extra, h->n_cells, separator);
    }
    return g_string_free(s, s->len == 0);
}
