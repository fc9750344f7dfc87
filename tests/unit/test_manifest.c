/* Batch sheets (in_manifest_parse): CSV as Excel writes it — comma or semicolon, BOM or not,
 * CRLF, LF or CR, quoted cells with "" and line breaks (row numbers count those lines) —
 * English or Vietnamese headings in any order; whole-sheet faults (not UTF-8, no header, an
 * unknown, missing or doubled column, an unclosed quote, over the bounds) refuse the sheet and
 * return nothing; a bad cell only marks its row with a problem naming the column and the value. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ingest/ingest.h"

#define NAME "batch.csv"

typedef struct {
    in_manifest_row *rows;
    size_t n;
} sheet;

/* Parse text that must be accepted. */
static sheet parse_ok_len(const char *text, size_t len)
{
    sheet s = {NULL, 0};
    sh_error err;
    sh_error_clear(&err);
    sh_status st = in_manifest_parse(text, len, NAME, &s.rows, &s.n, &err);
    if (st != SH_OK)
        fail_msg("expected the sheet to be read, got %d: %s", st, err.msg);
    return s;
}

static sheet parse_ok(const char *text) { return parse_ok_len(text, strlen(text)); }

static void sheet_free(sheet *s)
{
    in_manifest_free(s->rows, s->n);
    s->rows = NULL;
    s->n = 0;
}

/* Parse text that must be refused with SH_INPUT, nothing returned, and a message naming the
 * file and holding needle. */
static void expect_refused_len(const char *text, size_t len, const char *needle)
{
    in_manifest_row *rows = (in_manifest_row *)(void *)&rows; /* not NULL: must be reset */
    size_t n = 12345;
    sh_error err;
    sh_error_clear(&err);
    sh_status st = in_manifest_parse(text, len, NAME, &rows, &n, &err);
    if (st != SH_INPUT)
        fail_msg("expected SH_INPUT (\"%s\"), got %d", needle, st);
    assert_null(rows);
    assert_int_equal(n, 0);
    assert_int_equal(err.status, SH_INPUT);
    test_assert_contains(err.msg, NAME);
    test_assert_contains(err.msg, needle);
}

static void expect_refused(const char *text, const char *needle)
{
    expect_refused_len(text, strlen(text), needle);
}

static void assert_sources(const in_manifest_row *r, const char *const *want, size_t n)
{
    assert_int_equal(r->n_sources, n);
    assert_non_null(r->sources);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(r->sources[i], want[i]);
    assert_null(r->sources[n]); /* NULL-terminated, for g_strfreev and g_strv_length */
}

static void assert_no_problem(const in_manifest_row *r)
{
    if (r->problem)
        fail_msg("row %d: unexpected problem: %s", r->row, r->problem);
}

/* ---- the format ---- */

static void comma_sheet_reads_every_column(void **state)
{
    (void)state;
    sheet s = parse_ok("org,cccd,name,type,seq,expected_pages,dpi,files\n"
                       "93.000.036.001.015,012345678901,Nguyễn Văn A,2,3,12,300,scan/a.tif\n"
                       "93.000.036.001.016,001234567890,Trần Thị B,104,,,,b.pdf\n");
    assert_int_equal(s.n, 2);
    const in_manifest_row *r = &s.rows[0];
    assert_int_equal(r->row, 2);
    assert_string_equal(r->org_code, "93.000.036.001.015");
    assert_string_equal(r->cccd, "012345678901");
    assert_string_equal(r->person_name, "Nguyễn Văn A");
    assert_int_equal(r->type_stt, 2);
    assert_int_equal(r->seq, 3);
    assert_int_equal(r->expected_pages, 12);
    assert_int_equal(r->dpi, 300);
    assert_sources(r, (const char *[]){"scan/a.tif"}, 1);
    assert_no_problem(r);
    r = &s.rows[1];
    assert_int_equal(r->row, 3);
    assert_string_equal(r->cccd, "001234567890");
    assert_int_equal(r->type_stt, 104);
    assert_int_equal(r->seq, 0);
    assert_int_equal(r->expected_pages, 0);
    assert_int_equal(r->dpi, 0);
    assert_sources(r, (const char *[]){"b.pdf"}, 1);
    assert_no_problem(r);
    sheet_free(&s);
}

static void bom_is_skipped(void **state)
{
    (void)state;
    sheet s = parse_ok("\xEF\xBB\xBForg,cccd,name,type,files\n1,2,A B,5,a.tif\n");
    assert_int_equal(s.n, 1);
    assert_string_equal(s.rows[0].org_code, "1"); /* the first heading was found despite BOM */
    assert_int_equal(s.rows[0].type_stt, 5);
    assert_int_equal(s.rows[0].row, 2);
    assert_no_problem(&s.rows[0]);
    sheet_free(&s);
    /* A BOM alone on an otherwise empty sheet is still no header. */
    expect_refused("\xEF\xBB\xBF", "no header");
}

static void semicolon_is_detected_from_the_header(void **state)
{
    (void)state;
    /* Vietnamese-locale Excel: ';' between cells, commas are plain text inside them. */
    sheet s = parse_ok("org;cccd;name;type;files\n"
                       "1;2;Nguyễn, Văn A;7;\"a.tif;b.tif\"\n"
                       "3;4;B C;8;c.tif|d.tif\n");
    assert_int_equal(s.n, 2);
    assert_string_equal(s.rows[0].person_name, "Nguyễn, Văn A");
    assert_int_equal(s.rows[0].type_stt, 7);
    assert_sources(&s.rows[0], (const char *[]){"a.tif", "b.tif"}, 2);
    assert_no_problem(&s.rows[0]);
    assert_string_equal(s.rows[1].org_code, "3");
    assert_sources(&s.rows[1], (const char *[]){"c.tif", "d.tif"}, 2);
    sheet_free(&s);

    /* A comma sheet whose files cell holds ';' unquoted: the header decides, not the rows. */
    s = parse_ok("org,cccd,name,type,files\n1,2,A B,7,a.tif;b.tif;c.tif\n");
    assert_int_equal(s.n, 1);
    assert_sources(&s.rows[0], (const char *[]){"a.tif", "b.tif", "c.tif"}, 3);
    sheet_free(&s);

    /* A quoted heading holding the other character does not count. */
    s = parse_ok("\"org, code\";cccd;name;type;files\n1;2;A B;7;a.tif\n");
    assert_int_equal(s.n, 1);
    assert_string_equal(s.rows[0].org_code, "1");
    sheet_free(&s);
}

static void crlf_and_cr_line_ends(void **state)
{
    (void)state;
    sheet s = parse_ok("org,cccd,name,type,files\r\n1,2,A B,3,a.tif\r\n4,5,C D,6,b.tif\r\n");
    assert_int_equal(s.n, 2);
    assert_string_equal(s.rows[0].person_name, "A B");
    assert_sources(&s.rows[0], (const char *[]){"a.tif"}, 1); /* no stray \r kept */
    assert_int_equal(s.rows[1].row, 3);
    assert_sources(&s.rows[1], (const char *[]){"b.tif"}, 1);
    sheet_free(&s);

    /* The lone CR of old Mac exports, and no line end at the very end. */
    s = parse_ok("org,cccd,name,type,files\r1,2,A B,3,a.tif\r4,5,C D,6,b.tif");
    assert_int_equal(s.n, 2);
    assert_int_equal(s.rows[1].row, 3);
    assert_sources(&s.rows[1], (const char *[]){"b.tif"}, 1);
    sheet_free(&s);
}

static void quoted_cells_with_escaped_quotes_and_line_breaks(void **state)
{
    (void)state;
    sheet s = parse_ok("org,cccd,name,type,files\n"                     /* line 1 */
                       "1,2,\"Trần \"\"Bé\"\" Ba\",3,\"a,b.tif\"\n"     /* line 2 */
                       "1,2,\"Nguyễn\r\nVăn A\",4,\"x.tif\ny.tif\n\"\n" /* lines 3-6 */
                       "1,2,C D,\"\"\"5\"\"\",z.tif\n"                  /* line 7 */
                       "1,2,\"ab\"cd, \"q.tif\" ,\"\"\n");              /* line 8 */
    assert_int_equal(s.n, 4);
    assert_int_equal(s.rows[0].row, 2);
    assert_string_equal(s.rows[0].person_name, "Trần \"Bé\" Ba");
    assert_sources(&s.rows[0], (const char *[]){"a,b.tif"}, 1);
    assert_no_problem(&s.rows[0]);
    /* The record spans four lines; the next one starts on line 7. */
    assert_int_equal(s.rows[1].row, 3);
    assert_string_equal(s.rows[1].person_name, "Nguyễn\nVăn A");
    assert_sources(&s.rows[1], (const char *[]){"x.tif", "y.tif"}, 2);
    assert_int_equal(s.rows[2].row, 7);
    assert_int_equal(s.rows[2].type_stt, 0); /* "5" with quotes is not a number */
    assert_non_null(s.rows[2].problem);
    test_assert_contains(s.rows[2].problem, "\"\"5\"\"");
    assert_int_equal(s.rows[3].row, 8);
    assert_string_equal(s.rows[3].person_name, "abcd");
    assert_int_equal(s.rows[3].type_stt, 0);
    /* ` "q.tif" ` landed in the type column: spaces before a quote still open a quoted cell. */
    test_assert_contains(s.rows[3].problem, "\"q.tif\"");
    test_assert_contains(s.rows[3].problem, "column \"files\" is empty");
    sheet_free(&s);
}

static void unclosed_quote_is_refused_at_its_line(void **state)
{
    (void)state;
    expect_refused("org,cccd,name,type,files\n1,2,A B,3,a.tif\n1,2,\"A B,3,a.tif\n\n\n",
                   NAME ":3:");
    expect_refused("org,cccd,name,type,files\n1,2,A B,3,\"", NAME ":2:");
    expect_refused("\"org,cccd,name,type,files\n", NAME ":1:");
}

/* ---- headings ---- */

static void vietnamese_headings_with_and_without_diacritics(void **state)
{
    (void)state;
    const char *nfc = "Mã tổ chức;Số CCCD;Họ và tên;Loại;Số thứ tự;Số trang;Tệp nguồn\n"
                      "93.000.036.001.015;012345678901;Lê Văn Đức;02;1;4;\"a.tif;b.tif\"\n";
    char *nfd = g_utf8_normalize(nfc, -1, G_NORMALIZE_NFD);
    assert_true(strcmp(nfd, nfc) != 0);
    const char *ascii = "MA TO CHUC,so_cccd,Ho ten,LOAI TAI LIEU,sothutu,So Trang,Thu muc,"
                        "Do phan giai\n"
                        "93.000.036.001.015,012345678901,Lê Văn Đức,02,1,4,a.tif;b.tif,600\n";
    const char *texts[] = {nfc, nfd, ascii};
    for (size_t i = 0; i < 3; i++) {
        sheet s = parse_ok(texts[i]);
        assert_int_equal(s.n, 1);
        const in_manifest_row *r = &s.rows[0];
        assert_string_equal(r->org_code, "93.000.036.001.015");
        assert_string_equal(r->cccd, "012345678901");
        test_assert_contains(r->person_name, "L");
        assert_int_equal(r->type_stt, 2);
        assert_int_equal(r->seq, 1);
        assert_int_equal(r->expected_pages, 4);
        assert_int_equal(r->dpi, i == 2 ? 600 : 0);
        assert_sources(r, (const char *[]){"a.tif", "b.tif"}, 2);
        assert_no_problem(r);
        sheet_free(&s);
    }
    g_free(nfd);
}

/* Each alias of the brief, put in place of its column's English heading. */
static void every_alias_names_its_column(void **state)
{
    (void)state;
    static const struct {
        int col; /* index in the header below */
        const char *alias;
    } cases[] = {
        {0, "org"},     {0, "org_code"}, {0, "Mã tổ chức"}, {0, "Tổ chức"},   {0, "Mã chi bộ"},
        {1, "cccd"},    {1, "Số CCCD"},  {1, "ID"},         {2, "name"},      {2, "Họ và tên"},
        {2, "Họ tên"},  {3, "type"},     {3, "STT loại"},   {3, "Loại"},      {3, "Loại tài liệu"},
        {3, "Mã loại"}, {4, "seq"},      {4, "Số thứ tự"},  {4, "SoThuTu"},   {5, "expected_pages"},
        {5, "pages"},   {5, "Số trang"}, {6, "dpi"},        {6, "PPI"},       {6, "Độ phân giải"},
        {7, "files"},   {7, "sources"},  {7, "Tệp"},        {7, "Tệp nguồn"}, {7, "Nguồn"},
        {7, "Thư mục"},
    };
    const char *keys[] = {"org", "cccd", "name", "type", "seq", "expected_pages", "dpi", "files"};
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        GString *t = g_string_new(NULL);
        for (int c = 0; c < 8; c++)
            g_string_append_printf(t, "%s%s", c ? ";" : "",
                                   c == cases[i].col ? cases[i].alias : keys[c]);
        g_string_append(t, "\nO;C;N;9;8;7;600;f.tif\n");
        in_manifest_row *rows = NULL;
        size_t n = 0;
        sh_error err;
        sh_status st = in_manifest_parse(t->str, t->len, NAME, &rows, &n, &err);
        bool ok = st == SH_OK && n == 1 && !rows[0].problem && strcmp(rows[0].org_code, "O") == 0 &&
                  strcmp(rows[0].cccd, "C") == 0 && strcmp(rows[0].person_name, "N") == 0 &&
                  rows[0].type_stt == 9 && rows[0].seq == 8 && rows[0].expected_pages == 7 &&
                  rows[0].dpi == 600 && rows[0].n_sources == 1 &&
                  strcmp(rows[0].sources[0], "f.tif") == 0;
        if (!ok) {
            print_error("alias \"%s\": %s\n", cases[i].alias, st ? err.msg : "wrong values");
            bad++;
        }
        in_manifest_free(rows, n);
        g_string_free(t, TRUE);
    }
    assert_int_equal(bad, 0);
}

/* The rescan column: a reason makes the row a rescan (in_document.replace_reason); an empty
 * cell, or no such column, an ordinary row. Its headings in English and Vietnamese. */
static void replace_reason_column(void **state)
{
    (void)state;
    static const char *const headings[] = {"replace_reason", "Lý do quét lại", "LY DO QUET LAI",
                                           "Quét lại",       "Lý do thay thế", "replace"};
    for (size_t i = 0; i < sizeof headings / sizeof *headings; i++) {
        char *t = g_strdup_printf("org;cccd;name;type;files;%s\n"
                                  "O;C;N;2;a.tif;  thiếu trang 3  \n"
                                  "O;C;N;3;b.tif;\n",
                                  headings[i]);
        sheet s = parse_ok(t);
        assert_int_equal(s.n, 2);
        assert_no_problem(&s.rows[0]);
        assert_no_problem(&s.rows[1]);
        assert_non_null(s.rows[0].replace_reason);
        assert_string_equal(s.rows[0].replace_reason, "thiếu trang 3");
        assert_null(s.rows[1].replace_reason);
        sheet_free(&s);
        g_free(t);
    }
    sheet s = parse_ok("org,cccd,name,type,files\nO,C,N,2,a.tif\n");
    assert_null(s.rows[0].replace_reason);
    sheet_free(&s);
    /* Named twice: refused like any other column. */
    expect_refused("org,cccd,name,type,files,replace_reason,Lý do quét lại\n", "replace_reason");
}

/* "STT" is the row-number column of most Vietnamese sheets: read as the type it would turn
 * row numbers 1, 2, 3 into document types without a word, so it is an unknown column. */
static void stt_alone_is_not_the_type(void **state)
{
    (void)state;
    const char *t = "STT;org;cccd;name;files\n1;O;C;N;f.tif\n";
    in_manifest_row *rows = NULL;
    size_t n = 0;
    sh_error err;
    assert_int_equal(in_manifest_parse(t, strlen(t), NAME, &rows, &n, &err), SH_INPUT);
    test_assert_contains(err.msg, "STT");
    assert_null(rows);
}

static void columns_in_any_order(void **state)
{
    (void)state;
    sheet s = parse_ok("files,dpi,type,name,seq,cccd,expected_pages,org\n"
                       "a.tif|b.tif,200,11,A B,2,012345678901,9,93.000.036.001.015\n");
    assert_int_equal(s.n, 1);
    const in_manifest_row *r = &s.rows[0];
    assert_string_equal(r->org_code, "93.000.036.001.015");
    assert_string_equal(r->cccd, "012345678901");
    assert_string_equal(r->person_name, "A B");
    assert_int_equal(r->type_stt, 11);
    assert_int_equal(r->seq, 2);
    assert_int_equal(r->expected_pages, 9);
    assert_int_equal(r->dpi, 200);
    assert_sources(r, (const char *[]){"a.tif", "b.tif"}, 2);
    assert_no_problem(r);
    sheet_free(&s);
}

static void unknown_column_is_refused_by_name(void **state)
{
    (void)state;
    expect_refused("org,cccd,name,type,fles\n1,2,A B,3,a.tif\n", "unknown column \"fles\"");
    expect_refused("org,cccd,name,type,files,Ghi chú\n", "\"Ghi chú\"");
    /* The message lists what is accepted. */
    expect_refused("org,cccd,name,type,files,note\n", "expected_pages");
}

static void missing_required_column_is_refused_by_name(void **state)
{
    (void)state;
    const char *keys[] = {"org", "cccd", "name", "type", "files"};
    for (size_t drop = 0; drop < 5; drop++) {
        GString *t = g_string_new(NULL);
        for (size_t c = 0; c < 5; c++)
            if (c != drop)
                g_string_append_printf(t, "%s%s", t->len ? "," : "", keys[c]);
        g_string_append(t, ",seq\n1,2,3,4,5\n");
        char *needle = g_strdup_printf("column \"%s\"", keys[drop]);
        expect_refused(t->str, needle);
        g_free(needle);
        g_string_free(t, TRUE);
    }
    /* The optional columns may all be left out (the other tests do). */
}

static void duplicate_column_is_refused(void **state)
{
    (void)state;
    expect_refused("org,cccd,name,type,files,Tệp nguồn\n", "\"Tệp nguồn\"");
    expect_refused("org,cccd,name,type,files,Tệp nguồn\n", "\"files\"");
    expect_refused("org,cccd,name,type,files,ORG\n", "\"ORG\"");
}

static void empty_heading_column_is_ignored_unless_it_holds_a_value(void **state)
{
    (void)state;
    sheet s = parse_ok("org,cccd,name,type,files,,\n1,2,A B,3,a.tif,,\n1,2,A B,3,a.tif,,x\n");
    assert_int_equal(s.n, 2);
    assert_no_problem(&s.rows[0]);
    assert_non_null(s.rows[1].problem);
    test_assert_contains(s.rows[1].problem, "\"x\"");
    sheet_free(&s);
}

static void no_header_is_refused(void **state)
{
    (void)state;
    expect_refused("", "no header");
    expect_refused_len(NULL, 0, "no header");
    expect_refused("\n\r\n  \n", "no header");
    expect_refused(" , ,\t,\n,,\n\n", "no header");
}

static void header_only_gives_no_rows(void **state)
{
    (void)state;
    in_manifest_row *rows = (in_manifest_row *)(void *)&rows;
    size_t n = 99;
    sh_error err;
    const char *text = "org,cccd,name,type,files\n\n,,,,\n";
    assert_int_equal(in_manifest_parse(text, strlen(text), NAME, &rows, &n, &err), SH_OK);
    assert_null(rows);
    assert_int_equal(n, 0);
    in_manifest_free(NULL, 0);
}

/* ---- rows ---- */

static void blank_rows_are_skipped_and_lines_still_counted(void **state)
{
    (void)state;
    sheet s = parse_ok("\n"                         /* 1: blank lines before the header */
                       "org;cccd;name;type;files\n" /* 2 */
                       ";;;;\n"                     /* 3: what Excel writes for an empty row */
                       "1;2;A B;3;a.tif\n"          /* 4 */
                       " ; \t;;\"\";\n"             /* 5: blanks and an empty quoted cell */
                       "\r\n"                       /* 6 */
                       "4;5;C D;6;b.tif\n"          /* 7 */
                       "\n\n;;;;\n\n");
    assert_int_equal(s.n, 2);
    assert_int_equal(s.rows[0].row, 4);
    assert_string_equal(s.rows[0].person_name, "A B");
    assert_int_equal(s.rows[1].row, 7);
    assert_string_equal(s.rows[1].person_name, "C D");
    sheet_free(&s);
}

static void cells_are_trimmed(void **state)
{
    (void)state;
    sheet s = parse_ok(" org , cccd ,name,type,files\n"
                       "  93.000.036.001.015\t, 012345678901 , \"  Lê Thị C \" ,  3 , a b.tif \n");
    assert_int_equal(s.n, 1);
    assert_string_equal(s.rows[0].org_code, "93.000.036.001.015");
    assert_string_equal(s.rows[0].cccd, "012345678901");
    assert_string_equal(s.rows[0].person_name, "Lê Thị C");
    assert_int_equal(s.rows[0].type_stt, 3);
    assert_sources(&s.rows[0], (const char *[]){"a b.tif"}, 1); /* inner spaces stay */
    assert_no_problem(&s.rows[0]);
    sheet_free(&s);
}

static void type_accepts_1_to_104_with_leading_zeros(void **state)
{
    (void)state;
    static const struct {
        const char *cell;
        int stt; /* 0: a problem */
    } cases[] = {
        {"1", 1},     {"02", 2},
        {"002", 2},   {"0000000000104", 104},
        {"104", 104}, {"105", 0},
        {"0", 0},     {"00", 0},
        {"-2", 0},    {"+2", 0},
        {"2.0", 0},   {"2a", 0},
        {"hai", 0},   {"99999999999999999999", 0},
        {"1 2", 0},   {"Lý lịch", 0},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *text = g_strdup_printf("org,cccd,name,type,files\n1,2,A B,%s,a.tif\n"
                                     "3,4,C D,5,b.tif\n",
                                     cases[i].cell);
        sheet s = parse_ok(text);
        g_free(text);
        bool ok = s.n == 2 && s.rows[0].type_stt == cases[i].stt && !s.rows[1].problem &&
                  s.rows[1].type_stt == 5;
        if (ok && cases[i].stt)
            ok = s.rows[0].problem == NULL;
        if (ok && !cases[i].stt) {
            char *want = g_strdup_printf("column \"type\": \"%s\" is not a document type number",
                                         cases[i].cell);
            ok = s.rows[0].problem && strstr(s.rows[0].problem, want);
            g_free(want);
        }
        if (!ok) {
            print_error("type \"%s\": got %d, problem %s\n", cases[i].cell, s.rows[0].type_stt,
                        s.rows[0].problem ? s.rows[0].problem : "(none)");
            bad++;
        }
        sheet_free(&s);
    }
    assert_int_equal(bad, 0);
}

static void bad_numbers_and_empty_cells_are_row_problems(void **state)
{
    (void)state;
    static const struct {
        const char *row;     /* org,cccd,name,type,seq,expected_pages,dpi,files */
        const char *needle;  /* in the problem; NULL: none */
        int seq, pages, dpi; /* as read */
    } cases[] = {
        {"1,2,A,3,999,100000,4800,a", NULL, 999, 100000, 4800},
        {"1,2,A,3,1,1,50,a", NULL, 1, 1, 50},
        {"1,2,A,3,01,007,0300,a", NULL, 1, 7, 300},
        {"1,2,A,3,x,,,a", "column \"seq\": \"x\" is not a number from 1 to 999", 0, 0, 0},
        {"1,2,A,3,0,,,a", "column \"seq\": \"0\"", 0, 0, 0},
        {"1,2,A,3,1000,,,a", "column \"seq\": \"1000\"", 0, 0, 0},
        {"1,2,A,3,,0,,a", "column \"expected_pages\": \"0\"", 0, 0, 0},
        {"1,2,A,3,,100001,,a", "column \"expected_pages\": \"100001\"", 0, 0, 0},
        {"1,2,A,3,,,49,a", "column \"dpi\": \"49\" is not a number from 50 to 4800", 0, 0, 0},
        {"1,2,A,3,,,4801,a", "column \"dpi\": \"4801\"", 0, 0, 0},
        {"1,2,A,3,,,300dpi,a", "column \"dpi\": \"300dpi\"", 0, 0, 0},
        {",2,A,3,,,,a", "column \"org\" is empty", 0, 0, 0},
        {"1, ,A,3,,,,a", "column \"cccd\" is empty", 0, 0, 0},
        {"1,2,\"\",3,,,,a", "column \"name\" is empty", 0, 0, 0},
        {"1,2,A,,,,,a", "column \"type\" is empty", 0, 0, 0},
        {"1,2,A,3,,,,", "column \"files\" is empty", 0, 0, 0},
        {"1,2,A,3,,,,;| ;", "column \"files\" names no file", 0, 0, 0},
        /* Short rows: the missing cells are empty. */
        {"1,2,A", "column \"type\" is empty; column \"files\" is empty", 0, 0, 0},
        /* Several problems are all told. */
        {"1,2,A,x,y,3,z,a", "\"x\"", 0, 3, 0},
        {"1,2,A,x,y,3,z,a", "\"y\"", 0, 3, 0},
        {"1,2,A,x,y,3,z,a", "\"z\"", 0, 3, 0},
        /* A name holding the separator without quotes: everything moves right. */
        {"1,2,Nguyen, Van A,3,,,,a", "9 cells but the header only 8", 3, 0, 0},
        {"1,2,A,3,,,,a,", "9 cells", 0, 0, 0},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *text = g_strdup_printf("org,cccd,name,type,seq,expected_pages,dpi,files\n"
                                     "9,9,Good Row,4,,,,g.tif\n%s\n9,9,Good Row,4,,,,g.tif\n",
                                     cases[i].row);
        sheet s = parse_ok(text);
        g_free(text);
        bool ok = s.n == 3 && !s.rows[0].problem && !s.rows[2].problem && s.rows[1].row == 3 &&
                  s.rows[2].row == 4;
        const in_manifest_row *r = s.n == 3 ? &s.rows[1] : NULL;
        if (ok)
            ok = r->seq == cases[i].seq && r->expected_pages == cases[i].pages &&
                 r->dpi == cases[i].dpi;
        if (ok)
            ok = cases[i].needle ? r->problem && strstr(r->problem, cases[i].needle)
                                 : r->problem == NULL;
        if (!ok) {
            print_error("row \"%s\": problem %s\n", cases[i].row,
                        r && r->problem ? r->problem : "(none)");
            bad++;
        }
        sheet_free(&s);
    }
    assert_int_equal(bad, 0);
}

static void problem_quotes_long_or_multiline_cells_shortly(void **state)
{
    (void)state;
    GString *t = g_string_new("org,cccd,name,type,files\n1,2,A,\"bad\n");
    for (int i = 0; i < 500; i++)
        g_string_append(t, "ồ");
    g_string_append(t, "\",a.tif\n");
    sheet s = parse_ok(t->str);
    assert_int_equal(s.n, 1);
    assert_non_null(s.rows[0].problem);
    test_assert_contains(s.rows[0].problem, "\"bad ồồ");
    test_assert_contains(s.rows[0].problem, "…");
    assert_null(strchr(s.rows[0].problem, '\n'));
    assert_true(strlen(s.rows[0].problem) < 400);
    assert_true(g_utf8_validate(s.rows[0].problem, -1, NULL));
    sheet_free(&s);
    g_string_free(t, TRUE);
}

static void sources_are_split_trimmed_and_kept_as_written(void **state)
{
    (void)state;
    sheet s = parse_ok("org;cccd;name;type;files\n"
                       "1;2;A;3;\" scan/a 1.tif ; ; |b.tif|| /abs/c/ \r\nD:\\scan\\d.pdf\n\"\n"
                       "1;2;A;3;../x.tif\n");
    assert_int_equal(s.n, 2);
    assert_sources(&s.rows[0],
                   (const char *[]){"scan/a 1.tif", "b.tif", "/abs/c/", "D:\\scan\\d.pdf"}, 4);
    assert_no_problem(&s.rows[0]);
    assert_int_equal(s.rows[1].row, 5); /* the quoted cell spans lines 2 to 4 */
    assert_sources(&s.rows[1], (const char *[]){"../x.tif"}, 1);
    sheet_free(&s);
}

static void sources_up_to_the_bound(void **state)
{
    (void)state;
    for (int extra = 0; extra <= 1; extra++) {
        GString *t = g_string_new("org,cccd,name,type,files\n1,2,A,3,");
        for (int i = 0; i < IN_MANIFEST_MAX_SOURCES + extra; i++)
            g_string_append(t, i ? ";p" : "p");
        g_string_append(t, "\n1,2,A,3,a.tif\n");
        sheet s = parse_ok(t->str);
        assert_int_equal(s.n, 2);
        if (!extra) {
            assert_no_problem(&s.rows[0]);
            assert_int_equal(s.rows[0].n_sources, IN_MANIFEST_MAX_SOURCES);
            assert_string_equal(s.rows[0].sources[IN_MANIFEST_MAX_SOURCES - 1], "p");
            assert_null(s.rows[0].sources[IN_MANIFEST_MAX_SOURCES]);
        } else {
            assert_non_null(s.rows[0].problem);
            test_assert_contains(s.rows[0].problem, "more than 10000 files");
            assert_int_equal(s.rows[0].n_sources, 0);
            assert_non_null(s.rows[0].sources);
            assert_null(s.rows[0].sources[0]);
        }
        assert_no_problem(&s.rows[1]);
        sheet_free(&s);
        g_string_free(t, TRUE);
    }
}

/* ---- whole-sheet refusals ---- */

static void invalid_utf8_is_refused(void **state)
{
    (void)state;
    /* "Nguyễn" saved by Excel as "CSV (Comma delimited)" in a Vietnamese Windows code page. */
    expect_refused("org,cccd,name,type,files\n1,2,Nguy\xe1n,3,a.tif\n", "CSV UTF-8");
    expect_refused("\xEF\xBB\xBForg,cccd,name,type,files\n1,2,\xc3\x28,3,a\n", "UTF-8");
    /* UTF-16 ("Unicode Text"): a BOM of its own and NUL bytes. */
    static const char utf16[] = "\xFF\xFEo\0r\0g\0,\0";
    expect_refused_len(utf16, sizeof utf16 - 1, "UTF-8");
    /* A NUL byte inside otherwise valid text. */
    static const char nul[] = "org,cccd,name,type,files\n1,2,A\0B,3,a\n";
    expect_refused_len(nul, sizeof nul - 1, "UTF-8");
}

static void size_bound_is_enforced(void **state)
{
    (void)state;
    size_t len = IN_MANIFEST_MAX_BYTES + 1;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, '\n', len);
    const char *head = "org,cccd,name,type,files\n";
    memcpy(big, head, strlen(head));
    expect_refused_len(big, len, "too large");
    /* Exactly at the bound it is read. */
    sheet s = parse_ok_len(big, len - 1);
    assert_int_equal(s.n, 0);
    free(big);
}

static void row_bound_is_enforced(void **state)
{
    (void)state;
    GString *t = g_string_new("org,cccd,name,type,files\n");
    for (int i = 0; i < IN_MANIFEST_MAX_ROWS; i++)
        g_string_append(t, "1,2,A,3,a\n");
    sheet s = parse_ok_len(t->str, t->len);
    assert_int_equal(s.n, IN_MANIFEST_MAX_ROWS);
    assert_int_equal(s.rows[IN_MANIFEST_MAX_ROWS - 1].row, IN_MANIFEST_MAX_ROWS + 1);
    sheet_free(&s);
    /* Blank rows do not count towards the bound. */
    g_string_append(t, ",,,,\n\n");
    s = parse_ok_len(t->str, t->len);
    assert_int_equal(s.n, IN_MANIFEST_MAX_ROWS);
    sheet_free(&s);
    g_string_append(t, "1,2,A,3,a\n");
    expect_refused_len(t->str, t->len, "more than 100000 rows");
    g_string_free(t, TRUE);
}

static void cell_bound_is_enforced(void **state)
{
    (void)state;
    for (int quoted = 0; quoted <= 1; quoted++) {
        for (int over = 0; over <= 1; over++) {
            GString *t = g_string_new("org,cccd,name,type,files\n1,2,A,3,a\n1,2,");
            if (quoted)
                g_string_append_c(t, '"');
            for (int i = 0; i < 64 * 1024 + over; i++)
                g_string_append_c(t, quoted && i % 100 == 99 ? '\n' : 'x');
            if (quoted)
                g_string_append_c(t, '"');
            g_string_append(t, ",3,a\n");
            if (over) {
                expect_refused_len(t->str, t->len, NAME ":3:");
                expect_refused_len(t->str, t->len, "64 KiB");
            } else {
                sheet s = parse_ok_len(t->str, t->len);
                assert_int_equal(s.n, 2);
                assert_int_equal(strlen(s.rows[1].person_name), 64 * 1024);
                sheet_free(&s);
            }
            g_string_free(t, TRUE);
        }
    }
}

static void header_with_too_many_columns_is_refused(void **state)
{
    (void)state;
    GString *t = g_string_new("org,cccd,name,type,files");
    for (int i = 0; i < 300; i++)
        g_string_append_c(t, ',');
    g_string_append(t, "\n1,2,A,3,a\n");
    expect_refused_len(t->str, t->len, "columns");
    g_string_free(t, TRUE);
}

/* Inputs built to be slow for a careless parser finish at once (and hold little memory). */
static void pathological_sheets_stay_linear(void **state)
{
    (void)state;
    size_t len = IN_MANIFEST_MAX_BYTES;
    char *big = malloc(len);
    assert_non_null(big);
    const char *head = "org,cccd,name,type,files\n1,2,A,3,";
    size_t hl = strlen(head);
    memcpy(big, head, hl);
    /* One record of millions of empty cells beyond the header. */
    memset(big + hl, ',', len - hl);
    gint64 t0 = g_get_monotonic_time();
    sheet s = parse_ok_len(big, len);
    assert_int_equal(s.n, 1);
    test_assert_contains(s.rows[0].problem, "cells but the header only 5");
    sheet_free(&s);
    /* Millions of files separators in one cell, over the cell bound. */
    memset(big + hl, ';', len - hl);
    expect_refused_len(big, len, "KiB");
    /* Millions of quote pairs. */
    memset(big + hl, '"', len - hl);
    expect_refused_len(big, len, NAME ":2:");
    /* Rows of blank cells and line breaks. */
    for (size_t i = hl; i < len; i++)
        big[i] = i % 3 ? ',' : '\n';
    s = parse_ok_len(big, len);
    assert_int_equal(s.n, 1);
    sheet_free(&s);
    free(big);
    /* Generous: even under sanitizers this takes seconds; a quadratic parser takes hours. */
    assert_true(g_get_monotonic_time() - t0 < 120 * G_USEC_PER_SEC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(comma_sheet_reads_every_column),
        cmocka_unit_test(bom_is_skipped),
        cmocka_unit_test(semicolon_is_detected_from_the_header),
        cmocka_unit_test(crlf_and_cr_line_ends),
        cmocka_unit_test(quoted_cells_with_escaped_quotes_and_line_breaks),
        cmocka_unit_test(unclosed_quote_is_refused_at_its_line),
        cmocka_unit_test(vietnamese_headings_with_and_without_diacritics),
        cmocka_unit_test(every_alias_names_its_column),
        cmocka_unit_test(columns_in_any_order),
        cmocka_unit_test(stt_alone_is_not_the_type),
        cmocka_unit_test(replace_reason_column),
        cmocka_unit_test(unknown_column_is_refused_by_name),
        cmocka_unit_test(missing_required_column_is_refused_by_name),
        cmocka_unit_test(duplicate_column_is_refused),
        cmocka_unit_test(empty_heading_column_is_ignored_unless_it_holds_a_value),
        cmocka_unit_test(no_header_is_refused),
        cmocka_unit_test(header_only_gives_no_rows),
        cmocka_unit_test(blank_rows_are_skipped_and_lines_still_counted),
        cmocka_unit_test(cells_are_trimmed),
        cmocka_unit_test(type_accepts_1_to_104_with_leading_zeros),
        cmocka_unit_test(bad_numbers_and_empty_cells_are_row_problems),
        cmocka_unit_test(problem_quotes_long_or_multiline_cells_shortly),
        cmocka_unit_test(sources_are_split_trimmed_and_kept_as_written),
        cmocka_unit_test(sources_up_to_the_bound),
        cmocka_unit_test(invalid_utf8_is_refused),
        cmocka_unit_test(size_bound_is_enforced),
        cmocka_unit_test(row_bound_is_enforced),
        cmocka_unit_test(cell_bound_is_enforced),
        cmocka_unit_test(header_with_too_many_columns_is_refused),
        cmocka_unit_test(pathological_sheets_stay_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
