/* core's CSV reader (sh_csv_*): the dialects Excel writes (comma or semicolon, BOM, CRLF/LF/CR,
 * quotes with "" and line breaks), the line each record starts on, blank records skipped, cells
 * trimmed, every bound refused with the file's name and line, and the headings matched in
 * English or Vietnamese whatever the case and diacritics. */
#include "testutil.h"

#include <string.h>

#include <glib.h>

#define NAME "sheet.csv"

typedef struct {
    sh_csv_reader *r;
    sh_csv_row row;
} reading;

static void open_ok(reading *rd, const char *text, size_t max_rows)
{
    sh_error err;
    sh_error_clear(&err);
    if (sh_csv_open(text, strlen(text), NAME, 1 << 20, max_rows, &rd->r, &err) != SH_OK)
        fail_msg("sh_csv_open: %s", err.msg);
}

/* The next record, which must be there. */
static const sh_csv_row *next_ok(reading *rd)
{
    sh_error err;
    sh_error_clear(&err);
    bool got = false;
    if (sh_csv_next(rd->r, &rd->row, &got, &err) != SH_OK)
        fail_msg("sh_csv_next: %s", err.msg);
    assert_true(got);
    return &rd->row;
}

static void expect_end(reading *rd)
{
    sh_error err;
    bool got = true;
    assert_int_equal(sh_csv_next(rd->r, &rd->row, &got, &err), SH_OK);
    assert_false(got);
}

/* Reading text to its end must fail with SH_INPUT and a message holding NAME and needle. */
static void expect_refused(const char *text, size_t max_rows, const char *needle)
{
    sh_error err;
    sh_error_clear(&err);
    sh_csv_reader *r = NULL;
    sh_status st = sh_csv_open(text, strlen(text), NAME, 1 << 20, max_rows, &r, &err);
    bool got = true;
    while (st == SH_OK && got) {
        sh_csv_row row;
        st = sh_csv_next(r, &row, &got, &err);
    }
    sh_csv_free(r);
    if (st != SH_INPUT)
        fail_msg("expected SH_INPUT (%s), got %d", needle, st);
    test_assert_contains(err.msg, NAME);
    test_assert_contains(err.msg, needle);
}

static void excel_semicolons_bom_quotes(void **state)
{
    (void)state;
    reading rd = {0};
    /* A BOM, CRLF, a blank line, a quoted cell holding the separator, "" and a line break. */
    open_ok(&rd,
            "\xEF\xBB\xBF"
            "Mã tổ chức; Số CCCD ;Họ và tên\r\n"
            "\r\n"
            "93.000.036.001.015;012345678901;\"Nguyễn; \"\"A\"\"\r\nVăn\"\r\n"
            " 93.1 ;  ;last\r\n",
            10);
    assert_int_equal(sh_csv_separator(rd.r), ';');
    const sh_csv_row *h = next_ok(&rd);
    assert_int_equal(h->line, 1);
    assert_int_equal(h->n_cells, 3);
    assert_string_equal(h->cells[1], "Số CCCD"); /* trimmed */
    const sh_csv_row *r = next_ok(&rd);
    assert_int_equal(r->line, 3);
    assert_string_equal(r->cells[2], "Nguyễn; \"A\"\nVăn");
    r = next_ok(&rd);
    assert_int_equal(r->line, 5); /* the line break inside quotes counts */
    assert_string_equal(r->cells[0], "93.1");
    assert_string_equal(r->cells[1], "");
    assert_int_equal(r->extra, 0);
    expect_end(&rd);
    sh_csv_free(rd.r);
}

static void commas_lf_and_extra_cells(void **state)
{
    (void)state;
    reading rd = {0};
    open_ok(&rd, "a,b;c\nx,Nguyen, Van A\n\n\ny,z", 10);
    assert_int_equal(sh_csv_separator(rd.r), ',');
    assert_int_equal(next_ok(&rd)->n_cells, 2);
    const sh_csv_row *r = next_ok(&rd);
    assert_int_equal(r->n_cells, 2); /* the header's width kept */
    assert_int_equal(r->extra, 1);   /* the unquoted comma */
    r = next_ok(&rd);
    assert_int_equal(r->line, 5);
    assert_string_equal(r->cells[1], "z");
    expect_end(&rd);
    sh_csv_free(rd.r);
}

static void bounds_refused(void **state)
{
    (void)state;
    expect_refused("a,b\n1,\"open\n2,3\n", 10, ":2:");
    expect_refused("a\n1\n2\n3\n", 2, "more than 2 rows");
    GString *wide = g_string_new(NULL);
    for (int i = 0; i <= SH_CSV_HEADER_MAX; i++)
        g_string_append_printf(wide, "h%d,", i);
    expect_refused(wide->str, 10, "more than 256 columns");
    g_string_free(wide, TRUE);
    GString *big = g_string_new("a\n");
    for (int i = 0; i <= SH_CSV_CELL_MAX; i++)
        g_string_append_c(big, 'x');
    expect_refused(big->str, 10, ":2: a cell is longer than 64 KiB");
    g_string_free(big, TRUE);
    expect_refused("a\n\xff\xfe\n", 10, "not UTF-8");

    sh_error err;
    sh_csv_reader *r = NULL;
    assert_int_equal(sh_csv_open("abc", 3, NAME, 2, 10, &r, &err), SH_INPUT);
    assert_null(r);
    test_assert_contains(err.msg, "too large");
}

static void keys_fold_vietnamese(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"Mã tổ chức", "matochuc"},
        {"MA_TO-CHUC", "matochuc"},
        {"ĐƠN VỊ", "donvi"},
        {"Ðơn vị", "donvi"},                              /* the look-alike Ð of legacy fonts */
        {"Ho\xcc\x80 va\xcc\x80 te\xcc\x82n", "hovaten"}, /* NFD, as a Mac types it */
        {"ưu tiên 1", "uutien1"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *k = sh_csv_key(cases[i][0]);
        assert_string_equal(k, cases[i][1]);
        g_free(k);
    }
    char *k = sh_csv_key("日本"); /* letters naming cannot spell stay, so they match nothing */
    assert_string_equal(k, "日本");
    g_free(k);
    char *s = sh_csv_shown("line\none");
    assert_string_equal(s, "line one");
    g_free(s);
    char *longer = g_strnfill(100, 'a');
    s = sh_csv_shown(longer);
    assert_int_equal(g_utf8_strlen(s, -1), 61);
    g_free(s);
    g_free(longer);
}

enum { C_ORG, C_CCCD, C_NOTE, N_C };
static const sh_csv_column COLS[N_C] = {
    [C_ORG] = {"org", "Mã tổ chức", true, {"org", "ma to chuc", NULL}},
    [C_CCCD] = {"cccd", "Số CCCD", true, {"cccd", "so cccd", NULL}},
    [C_NOTE] = {"note", "Ghi chú", false, {"note", "ghi chu", NULL}},
};

/* The header of text matched against COLS: st, and the message in err. */
static sh_status header_of(const char *text, sh_csv_header *h, reading *rd, sh_error *err)
{
    open_ok(rd, text, 10);
    sh_error_clear(err);
    const sh_csv_row *row = next_ok(rd);
    return sh_csv_header_read(h, COLS, N_C, row, NAME, err);
}

static void expect_header_refused(const char *text, const char *needle)
{
    reading rd = {0};
    sh_csv_header h;
    sh_error err;
    assert_int_equal(header_of(text, &h, &rd, &err), SH_INPUT);
    test_assert_contains(err.msg, needle);
    sh_csv_header_clear(&h);
    sh_csv_free(rd.r);
}

static void headings_matched(void **state)
{
    (void)state;
    reading rd = {0};
    sh_csv_header h;
    sh_error err;
    /* Any order, any case, with diacritics or not, and an empty heading Excel left. */
    assert_int_equal(header_of("SỐ CCCD,,MÃ TỔ CHỨC\n0123,stray,93\n1,,2,3\n", &h, &rd, &err),
                     SH_OK);
    assert_int_equal(h.index[C_ORG], 2);
    assert_int_equal(h.index[C_CCCD], 0);
    assert_int_equal(h.index[C_NOTE], -1);
    const sh_csv_row *r = next_ok(&rd);
    assert_string_equal(sh_csv_cell(&h, r, C_ORG), "93");
    assert_string_equal(sh_csv_cell(&h, r, C_NOTE), "");
    assert_string_equal(sh_csv_heading(&h, C_CCCD), "SỐ CCCD");
    assert_string_equal(sh_csv_heading(&h, C_NOTE), "note");
    char *p = sh_csv_shape_problem(&h, r, ',');
    assert_non_null(p);
    test_assert_contains(p, "\"stray\" stands in a column without a heading");
    g_free(p);
    r = next_ok(&rd);
    p = sh_csv_shape_problem(&h, r, ',');
    assert_non_null(p);
    test_assert_contains(p, "4 cells but the header only 3");
    g_free(p);
    sh_csv_header_clear(&h);
    sh_csv_free(rd.r);

    expect_header_refused("org,cccd,colour\n", "unknown column \"colour\"; the columns are: org "
                                               "(Mã tổ chức), cccd (Số CCCD), note (Ghi chú)");
    expect_header_refused("org,Mã tổ chức,cccd\n", "both name the column \"org\"");
    expect_header_refused("org,note\n", "the column \"cccd\" (in Vietnamese \"Số CCCD\") is "
                                        "missing");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(excel_semicolons_bom_quotes),
        cmocka_unit_test(commas_lf_and_extra_cells),
        cmocka_unit_test(bounds_refused),
        cmocka_unit_test(keys_fold_vietnamese),
        cmocka_unit_test(headings_matched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
