/* The dashboard and the spreadsheet (progress/view_html.c, view_xlsx.c), from a report built by
 * hand with known figures: several prefix levels, suppressed cells, all four timeliness values,
 * ten weeks, two stations one of them stale. Outside judges only: the XLSX read back by openpyxl
 * (Debian's /usr/bin/python3, not a pyenv one), the HTML parsed by Python's html.parser, and
 * drawn by headless Chromium at 1280 and 400 px wide (screenshots judged with PIL, the page's
 * width at 400 px measured by a probe script in a test-only copy). tests/progress_views_check.py
 * holds the Python side; the screenshots stay in the test's scratch folder (paths printed). */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#include "progress/progress.h"

#define PYTHON "/usr/bin/python3"

enum { N_ROWS = 7, N_WEEKS = 10, N_STATIONS = 2, MIN_CELL = 3 };

/* ---- The report ---------------------------------------------------------------------------- */

static const struct {
    const char *org;
    int level;
    pg_timeliness timeliness;
    const char *deadline;
} ROWS[N_ROWS] = {
    {"", 0, PG_OVERDUE, "2026-11-30"},
    {"93", 1, PG_OVERDUE, "2026-11-30"},
    {"93.000", 2, PG_OVERDUE, "2026-11-30"},
    {"93.000.036.001.015", 5, PG_ON_TIME, "2027-06-30"},
    {"93.000.036.001.016", 5, PG_DUE_SOON, "2026-12-10"},
    {"93.000.036.002.001", 5, PG_OVERDUE, "2026-11-30"},
    {"94", 1, PG_NO_PLAN, ""},
};

/* Distinct figures per row and field, so that a value shown in the wrong place is caught. */
static uint64_t figure(size_t row, int field) { return 1000 * (N_ROWS - row) + 37 * field + 5; }

static void fill_row(pg_org_row *o, size_t i)
{
    g_strlcpy(o->org, ROWS[i].org, sizeof o->org);
    o->level = ROWS[i].level;
    for (int s = 0; s < PG_N_STAGES; s++) {
        /* cumulative: each stage below the one before, by a visible step */
        o->stage[s] = figure(i, 0) * (12 - (uint64_t)s) / 12 + (uint64_t)s;
        o->in_period[s] = figure(i, 40 - s) % 500;
    }
    o->unlisted = figure(i, 50);
    o->rejected_dossiers = figure(i, 51);
    o->done = figure(i, 52);
    o->in_progress = figure(i, 53);
    o->not_started = figure(i, 54);
    o->priority1_complete = figure(i, 55);
    o->complete = figure(i, 56);
    o->documents = figure(i, 57) * 9;
    o->pages = figure(i, 58) * 71;
    o->rejected = (pg_rejections){figure(i, 59), figure(i, 60), figure(i, 61)};
    o->per_day = (double)(i + 1) * 2.25;
    o->per_week = (double)(i + 1) * 11.25;
    g_strlcpy(o->deadline, ROWS[i].deadline, sizeof o->deadline);
    o->target = ROWS[i].deadline[0] ? figure(i, 62) : 0;
    o->timeliness = ROWS[i].timeliness;
    if (ROWS[i].deadline[0] && i % 2 == 0) { /* a priority-1 line on some rows */
        g_strlcpy(o->priority1_deadline, "2026-11-30", sizeof o->priority1_deadline);
        o->priority1_target = figure(i, 63);
        o->priority1_timeliness = PG_OVERDUE;
    }
    for (int g = 0; g < 4; g++) {
        o->by_group[g][0] = figure(i, 70 + g);
        o->by_group[g][1] = figure(i, 80 + g) % 300;
    }
}

static pg_report *make_report(void)
{
    pg_report *r = g_new0(pg_report, 1);
    g_strlcpy(r->as_of, "2026-12-06T17:00:00Z", sizeof r->as_of);
    g_strlcpy(r->period, "2026-12", sizeof r->period);
    g_strlcpy(r->period_start, "2026-12-01", sizeof r->period_start);
    r->min_cell = MIN_CELL;
    r->n_rows = N_ROWS;
    r->rows = g_new0(pg_org_row, N_ROWS);
    for (size_t i = 0; i < N_ROWS; i++)
        fill_row(&r->rows[i], i);
    /* hidden by min_cell: a stage, a rejection, a group, a week; a rate hidden with them */
    r->rows[4].stage[PG_PAPER_RETURNED] = PG_SUPPRESSED;
    r->rows[4].rejected.rescans = PG_SUPPRESSED;
    r->rows[5].by_group[3][1] = PG_SUPPRESSED;
    r->rows[5].per_week = NAN;
    r->n_weeks = N_WEEKS;
    r->weeks = g_new0(pg_week, N_WEEKS);
    for (size_t w = 0; w < N_WEEKS; w++) {
        pg_week *k = &r->weeks[w];
        GDate *d = g_date_new_dmy(28, G_DATE_SEPTEMBER, 2026); /* a Monday */
        g_date_add_days(d, (guint)(7 * w));
        g_date_strftime(k->week, sizeof k->week, "%Y-%m-%d", d);
        g_date_free(d);
        k->scanned = 300 * w + 40 * w * w / 3;
        k->signed_ = 250 * w + 20 * w * w / 3;
        k->accepted = 180 * w + 11 * w * w / 3;
        k->planned = 520 * (w + 1);
    }
    r->weeks[3].accepted = PG_SUPPRESSED;
    r->n_stations = N_STATIONS;
    r->stations = g_new0(pg_station_row, N_STATIONS);
    g_strlcpy(r->stations[0].station, "HN-XA-01", sizeof r->stations[0].station);
    r->stations[0].seq = 3;
    g_strlcpy(r->stations[0].as_of, "2026-12-06T16:30:00Z", sizeof r->stations[0].as_of);
    g_strlcpy(r->stations[1].station, "HN-XA-02", sizeof r->stations[1].station);
    r->stations[1].seq = 7;
    g_strlcpy(r->stations[1].as_of, "2026-11-20T08:15:00Z", sizeof r->stations[1].as_of);
    r->stations[1].stale = true;
    return r;
}

static void free_report(pg_report *r)
{
    g_free(r->rows);
    g_free(r->weeks);
    g_free(r->stations);
    g_free(r);
}

/* ---- What the judge expects: the report's figures as JSON (null: suppressed) --------------- */

static void put_count(sh_json *j, uint64_t v)
{
    if (v == PG_SUPPRESSED)
        sh_json_null(j);
    else
        sh_json_int(j, (int64_t)v);
}

static void put_counts(sh_json *j, const char *key, const uint64_t *v, size_t n)
{
    sh_json_kv_array(j, key);
    for (size_t i = 0; i < n; i++)
        put_count(j, v[i]);
    sh_json_end_array(j);
}

static void put_rate(sh_json *j, const char *key, double v)
{
    if (isfinite(v))
        sh_json_kv_double(j, key, v);
    else
        sh_json_kv_null(j, key);
}

static void expected_row(sh_json *j, const pg_org_row *o)
{
    sh_json_begin_object(j);
    sh_json_kv_str(j, "org", o->org);
    sh_json_kv_int(j, "level", o->level);
    put_counts(j, "stage", o->stage, PG_N_STAGES);
    const uint64_t middle[] = {o->rejected_dossiers,
                               o->unlisted,
                               o->done,
                               o->in_progress,
                               o->not_started,
                               o->priority1_complete,
                               o->complete,
                               o->documents,
                               o->pages,
                               o->rejected.validation,
                               o->rejected.receipts,
                               o->rejected.rescans};
    put_counts(j, "middle", middle, G_N_ELEMENTS(middle));
    put_counts(j, "in_period", o->in_period, PG_N_STAGES);
    put_rate(j, "per_day", o->per_day);
    put_rate(j, "per_week", o->per_week);
    sh_json_kv_str(j, "deadline", o->deadline);
    sh_json_key(j, "target");
    if (o->deadline[0])
        put_count(j, o->target);
    else
        sh_json_null(j);
    sh_json_kv_int(j, "timeliness", o->timeliness);
    sh_json_kv_str(j, "timeliness_label", pg_timeliness_label(o->timeliness));
    sh_lang was = sh_i18n_switch(SH_LANG_EN); /* the English page's words */
    sh_json_kv_str(j, "timeliness_label_en", pg_timeliness_label(o->timeliness));
    sh_i18n_switch(was);
    put_counts(j, "groups", &o->by_group[0][0], 8);
    sh_json_kv_str(j, "priority1_deadline", o->priority1_deadline);
    sh_json_key(j, "priority1_target");
    if (o->priority1_deadline[0])
        put_count(j, o->priority1_target);
    else
        sh_json_null(j);
    sh_json_kv_str(j, "priority1_timeliness_label", pg_timeliness_label(o->priority1_timeliness));
    sh_json_end_object(j);
}

static void write_expected(const pg_report *r, const char *path)
{
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_int(j, "min_cell", r->min_cell);
    sh_json_kv_str(j, "as_of", r->as_of);
    sh_json_kv_str(j, "period", r->period);
    sh_json_kv_str(j, "period_start", r->period_start);
    sh_json_kv_array(j, "rows");
    for (size_t i = 0; i < r->n_rows; i++)
        expected_row(j, &r->rows[i]);
    sh_json_end_array(j);
    sh_json_kv_array(j, "weeks");
    for (size_t w = 0; w < r->n_weeks; w++) {
        const pg_week *k = &r->weeks[w];
        sh_json_begin_object(j);
        sh_json_kv_str(j, "week", k->week);
        const uint64_t v[] = {k->scanned, k->signed_, k->accepted, k->planned};
        put_counts(j, "values", v, 4);
        sh_json_end_object(j);
    }
    sh_json_end_array(j);
    sh_json_kv_array(j, "stations");
    for (size_t i = 0; i < r->n_stations; i++) {
        sh_json_begin_object(j);
        sh_json_kv_str(j, "station", r->stations[i].station);
        sh_json_kv_int(j, "seq", r->stations[i].seq);
        sh_json_kv_str(j, "as_of", r->stations[i].as_of);
        sh_json_kv_bool(j, "stale", r->stations[i].stale);
        sh_json_end_object(j);
    }
    sh_json_end_array(j);
    sh_json_end_object(j);
    sh_error err;
    const char *text = sh_json_finish(j, &err);
    assert_non_null(text);
    test_write(path, text, strlen(text));
    sh_json_free(j);
}

/* ---- The judges ---------------------------------------------------------------------------- */

/* tests/progress_views_check.py MODE ARGS...; fails the test with its words unless it passes. */
static void judge(const char *mode, const char *args)
{
    char *src = g_path_get_dirname(__FILE__);
    char *cmd =
        g_strdup_printf(PYTHON " '%s/../progress_views_check.py' %s %s 2>&1", src, mode, args);
    bool ok = false;
    char *out = test_run(cmd, &ok);
    print_message("%s", out);
    if (!ok)
        fail_msg("the judge refused (%s): %s", mode, out);
    g_free(out);
    g_free(cmd);
    g_free(src);
}

typedef struct {
    char *dir, *expected, *vi, *en, *xlsx;
    pg_report *r;
} fixture;

static fixture *written(void **state)
{
    static fixture f;
    if (f.r)
        return &f;
    f.dir = g_strdup(*state);
    f.expected = test_path(f.dir, "expected.json");
    f.vi = test_path(f.dir, "dashboard.html");
    f.en = test_path(f.dir, "dashboard-en.html");
    f.xlsx = test_path(f.dir, "report.xlsx");
    f.r = make_report();
    write_expected(f.r, f.expected);
    sh_error err;
    if (pg_report_write_html(f.r, f.vi, NULL, &err) != SH_OK ||
        pg_report_write_html(f.r, f.en, "en", &err) != SH_OK ||
        pg_report_write_xlsx(f.r, f.xlsx, &err) != SH_OK)
        fail_msg("%s", err.msg);
    return &f;
}

static void xlsx_read_back_by_openpyxl(void **state)
{
    fixture *f = written(state);
    char *args = g_strdup_printf("'%s' '%s'", f->expected, f->xlsx);
    judge("xlsx", args);
    g_free(args);
}

static void html_parses_stands_alone_and_holds_the_figures(void **state)
{
    fixture *f = written(state);
    char *args = g_strdup_printf("'%s' '%s' vi", f->expected, f->vi);
    judge("html", args);
    g_free(args);
    args = g_strdup_printf("'%s' '%s' en", f->expected, f->en);
    judge("html", args);
    g_free(args);
}

/* Vietnamese by default, English on request, from the same code; the run's language unchanged. */
static void languages(void **state)
{
    fixture *f = written(state);
    size_t len;
    char *vi = test_slurp(f->vi, &len), *en = test_slurp(f->en, &len);
    test_assert_contains(vi, "<html lang=\"vi\">");
    test_assert_contains(vi, "Tiến độ số hóa");
    test_assert_contains(en, "<html lang=\"en\">");
    test_assert_contains(en, "Digitisation progress");
    assert_null(strstr(en, "Tiến độ số hóa"));
    assert_int_equal(sh_i18n_lang(), SH_LANG_VI);
    assert_string_equal(_("Digitisation progress"), "Tiến độ số hóa");
    g_free(vi);
    g_free(en);
}

static char *chromium(const char *dir, const char *tag, const char *what, const char *uri,
                      int width)
{
    char *profile = g_strdup_printf("%s/chromium-%s", dir, tag);
    char *q_profile = g_shell_quote(profile), *q_uri = g_shell_quote(uri);
    char *cmd = g_strdup_printf("timeout 90 chromium --headless --no-sandbox --disable-gpu "
                                "--hide-scrollbars --no-first-run --no-default-browser-check "
                                "--user-data-dir=%s --window-size=%d,2000 %s %s",
                                q_profile, width, what, q_uri);
    bool ok = false;
    char *out = test_run(cmd, &ok);
    if (!ok)
        fail_msg("chromium failed: %s", cmd);
    g_free(cmd);
    g_free(q_uri);
    g_free(q_profile);
    g_free(profile);
    return out;
}

/* Headless Chromium's window is never narrower than 500 px: the page is shown at 400 px in an
 * iframe of that width, from a wrapper page (srcdoc: the same origin, so that a probe script in
 * the wrapper may measure the page; the dashboard itself has none). */
static char *narrow_wrapper(const fixture *f, const char *name, bool probe)
{
    size_t len;
    char *page = test_slurp(f->vi, &len);
    GString *w = g_string_new("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>-</title>"
                              "</head><body style=\"margin:0\"><iframe id=\"f\" width=\"400\" "
                              "height=\"2000\" style=\"border:0;display:block\" srcdoc=\"");
    for (const char *c = page; *c; c++)
        if (*c == '&')
            g_string_append(w, "&amp;");
        else if (*c == '"')
            g_string_append(w, "&quot;");
        else
            g_string_append_c(w, *c);
    g_string_append(w, "\"></iframe>");
    if (probe)
        g_string_append(
            w, "<script>function m(){var d=document.getElementById('f').contentDocument,"
               "e=d.documentElement,w=e.clientWidth,worst='';"
               "d.querySelectorAll('body *').forEach(function(x){var r=x.getBoundingClientRect();"
               "if(r.right>w+1&&!x.closest('.scroll'))worst=worst||x.tagName+'.'+x.getAttribute('"
               "class');});"
               "document.title='W='+e.scrollWidth+' C='+w+' E='+worst+';';}"
               "var f=document.getElementById('f');"
               "if(f.contentDocument&&f.contentDocument.readyState==='complete'&&"
               "f.contentDocument.body&&f.contentDocument.body.firstChild)m();"
               "else f.onload=m;</script>");
    g_string_append(w, "</body></html>\n");
    char *path = test_path(f->dir, name);
    test_write(path, w->str, w->len);
    g_string_free(w, TRUE);
    g_free(page);
    return path;
}

static void screenshot(const fixture *f, int width)
{
    char *shot = g_strdup_printf("%s/screenshot-%d.png", f->dir, width);
    char *tag = g_strdup_printf("shot-%d", width);
    char *what = g_strdup_printf("--screenshot=%s", shot);
    char *shown = width >= 500 ? g_strdup(f->vi) : narrow_wrapper(f, "narrow.html", false);
    char *uri = g_filename_to_uri(shown, NULL, NULL);
    g_free(chromium(f->dir, tag, what, uri, width));
    if (!g_file_test(shot, G_FILE_TEST_IS_REGULAR))
        fail_msg("chromium made no screenshot %s", shot);
    print_message("screenshot: %s\n", shot);
    char *args = g_strdup_printf("'%s' %d %s", shot, width, width >= 1000 ? "badges" : "");
    judge("png", args);
    g_free(args);
    g_free(uri);
    g_free(shown);
    g_free(what);
    g_free(tag);
    g_free(shot);
}

static void chromium_draws_it_at_1280_and_400(void **state)
{
    fixture *f = written(state);
    test_need_tool("chromium");
    screenshot(f, 1280);
    screenshot(f, 400);
}

/* At 400 px the page itself never scrolls sideways (only the table, inside its box): the probe
 * writes the page's scroll width and the first element past the edge into the title. */
static void no_sideways_scrolling_at_400(void **state)
{
    fixture *f = written(state);
    test_need_tool("chromium");
    char *probe = narrow_wrapper(f, "narrow-probe.html", true);
    char *uri = g_filename_to_uri(probe, NULL, NULL);
    char *dom = chromium(f->dir, "probe", "--virtual-time-budget=5000 --dump-dom", uri, 1280);
    int scroll = 0, client = 0;
    const char *t = strstr(dom, "<title>W=");
    char seen[160] = "";
    const char *t_end = t ? strstr(t, "</title>") : NULL;
    if (t_end)
        g_strlcpy(seen, t, MIN(sizeof seen, (size_t)(t_end - t) + 1));
    g_free(dom);
    g_free(uri);
    g_free(probe);
    if (!t_end || sscanf(seen, "<title>W=%d C=%d", &scroll, &client) != 2)
        fail_msg("the probe reported nothing");
    print_message("at 400 px: %s\n", seen);
    assert_true(client > 300 && client <= 400);
    if (scroll > client || !strstr(seen, "E=;"))
        fail_msg("the page scrolls sideways at 400 px: %s", seen);
}

/* Written whole or not at all; a folder that does not exist is named. */
static void failures_leave_nothing(void **state)
{
    fixture *f = written(state);
    char *missing = test_path(f->dir, "no-such-folder/d.html");
    char *missing_x = test_path(f->dir, "no-such-folder/d.xlsx");
    sh_error err;
    assert_int_not_equal(pg_report_write_html(f->r, missing, "vi", &err), SH_OK);
    test_assert_contains(err.msg, "no-such-folder");
    assert_int_not_equal(pg_report_write_xlsx(f->r, missing_x, &err), SH_OK);
    test_assert_contains(err.msg, "no-such-folder");
    /* no temp file left beside the views written */
    GDir *d = g_dir_open(f->dir, 0, NULL);
    assert_non_null(d);
    for (const char *name; (name = g_dir_read_name(d));)
        if (strstr(name, ".tmp-"))
            fail_msg("a temp file was left behind: %s", name);
    g_dir_close(d);
    g_free(missing_x);
    g_free(missing);
}

/* The views and screenshots are the test's artifacts: they stay in $SOHOA_TEST_TMP/
 * progress-views until the next run; only Chromium's profiles go. */
static int setup(void **state)
{
    const char *base = g_getenv("SOHOA_TEST_TMP");
    char *dir = g_build_filename(base && *base ? base : g_get_tmp_dir(), "progress-views", NULL);
    test_rmtree(dir);
    g_mkdir_with_parents(dir, 0755);
    *state = dir;
    return 0;
}

/* A report with nothing counted yet (a new workspace) still gives a page and a workbook. */
static void empty_report(void **state)
{
    fixture *f = written(state);
    pg_report empty = {.as_of = "2026-12-06T17:00:00Z", .period = "2026-12"};
    char *html = test_path(f->dir, "empty.html"), *xlsx = test_path(f->dir, "empty.xlsx");
    sh_error err;
    if (pg_report_write_html(&empty, html, "vi", &err) != SH_OK ||
        pg_report_write_xlsx(&empty, xlsx, &err) != SH_OK)
        fail_msg("%s", err.msg);
    size_t len;
    char *page = test_slurp(html, &len);
    test_assert_contains(page, "Không có gì để hiển thị");
    test_assert_contains(page, "</html>");
    char *cmd =
        g_strdup_printf(PYTHON " -c \"import openpyxl,sys; "
                               "print(openpyxl.load_workbook(sys.argv[1]).sheetnames)\" '%s'",
                        xlsx);
    bool ok = false;
    char *out = test_run(cmd, &ok);
    assert_true(ok);
    test_assert_contains(out, "Tổng hợp");
    assert_null(strstr(out, "Trạm")); /* no stations: not a merge */
    g_free(out);
    g_free(cmd);
    g_free(page);
    g_free(xlsx);
    g_free(html);
}

static int teardown(void **state)
{
    fixture *f = written(state);
    free_report(f->r);
    GDir *d = g_dir_open(f->dir, 0, NULL);
    for (const char *name; d && (name = g_dir_read_name(d));)
        if (g_str_has_prefix(name, "chromium-")) {
            char *profile = test_path(f->dir, name);
            test_rmtree(profile);
            g_free(profile);
        }
    if (d)
        g_dir_close(d);
    g_free(f->dir);
    g_free(f->expected);
    g_free(f->vi);
    g_free(f->en);
    g_free(f->xlsx);
    g_free(*state);
    return 0;
}

int main(void)
{
    sh_error err;
    if (sh_i18n_init("vi", &err) != SH_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(xlsx_read_back_by_openpyxl),
        cmocka_unit_test(html_parses_stands_alone_and_holds_the_figures),
        cmocka_unit_test(languages),
        cmocka_unit_test(chromium_draws_it_at_1280_and_400),
        cmocka_unit_test(no_sideways_scrolling_at_400),
        cmocka_unit_test(failures_leave_nothing),
        cmocka_unit_test(empty_report),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
