/* Workspaces. sh_workspace_create: makes sohoa.ini and .sohoa/ledger.db holding one
 * "workspace.init" audit entry under the operator and station; creates missing parents; refuses
 * an existing workspace (leaving it untouched), a folder inside another workspace, and a bad
 * station or operator (creating nothing). sh_workspace_open: finds the root by walking up,
 * insists that --workspace names a workspace, says how to make one when there is none, uses
 * --config instead of sohoa.ini, refuses a workspace whose ledger is gone and a broken ini. */
#include "testutil.h"

#include "audit_fixture.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ingest/ingest.h"
#include "sign/sign.h"
#include "validate/validate.h"

#define OPERATOR "Nguyễn Văn A"
#define STATION "HN-01"

static bool path_exists(const char *dir, const char *name)
{
    char *p = name ? test_path(dir, name) : g_strdup(dir);
    struct stat st;
    bool found = lstat(p, &st) == 0;
    g_free(p);
    return found;
}

static void create_ok(const char *dir)
{
    sh_error err = {0};
    if (sh_workspace_create(dir, STATION, OPERATOR, &err) != SH_OK)
        fail_msg("sh_workspace_create %s: %s", dir, err.msg);
}

static char *read_text(const char *path, size_t *len)
{
    char *text = NULL;
    gsize n = 0;
    assert_true(g_file_get_contents(path, &text, &n, NULL));
    if (len)
        *len = n;
    return text;
}

/* ---- create ---- */

static void create_makes_config_ledger_and_init_entry(void **state)
{
    const char *dir = *state;
    create_ok(dir);
    char *root = realpath(dir, NULL);
    assert_non_null(root);
    assert_true(path_exists(dir, SH_WORKSPACE_CONFIG));
    char *ledger_path = g_build_filename(dir, SH_WORKSPACE_STATE_DIR, SH_WORKSPACE_LEDGER, NULL);
    assert_true(g_file_test(ledger_path, G_FILE_TEST_IS_REGULAR));

    /* sohoa.ini is the template for this station and operator. */
    char *ini = test_path(dir, SH_WORKSPACE_CONFIG);
    sh_config cfg;
    sh_error err = {0};
    sh_config_defaults(&cfg);
    if (sh_config_load(ini, &cfg, &err) != SH_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(cfg.station_id, STATION);
    assert_string_equal(cfg.operator_name, OPERATOR);
    sh_config_free(&cfg);

    /* The ledger holds exactly one entry: who made the workspace, where. */
    sh_ledger *l = NULL;
    assert_int_equal(sh_ledger_open(ledger_path, false, &l, &err), SH_OK);
    fx_entries all = fx_each(l, NULL);
    assert_int_equal(all.n, 1);
    sh_audit_entry *e = &all.items[0];
    assert_int_equal(e->id, 1);
    assert_string_equal(e->action, "workspace.init");
    assert_string_equal(e->operator_name, OPERATOR);
    assert_string_equal(e->station, STATION);
    assert_string_equal(e->subject, root);
    assert_true(sh_json_valid(e->details, strlen(e->details)));
    char *root_json = g_strdup_printf("\"root\":\"%s\"", root);
    test_assert_contains(e->details, root_json);
    g_free(root_json);
    sh_audit_verdict v;
    assert_int_equal(sh_audit_verify(l, NULL, &v, &err), SH_OK);
    assert_true(v.intact);
    assert_int_equal(v.entries, 1);
    fx_entries_free(&all);
    sh_ledger_close(l);
    g_free(ini);
    g_free(ledger_path);
    free(root);
}

static void create_makes_missing_parent_folders(void **state)
{
    const char *dir = *state;
    char *deep = g_build_filename(dir, "a", "b", "c", NULL);
    create_ok(deep);
    assert_true(path_exists(deep, SH_WORKSPACE_CONFIG));
    assert_true(path_exists(deep, SH_WORKSPACE_STATE_DIR "/" SH_WORKSPACE_LEDGER));
    g_free(deep);
}

static void create_refuses_an_existing_workspace_and_leaves_it_alone(void **state)
{
    const char *dir = *state;
    create_ok(dir);
    char *ini = test_path(dir, SH_WORKSPACE_CONFIG);
    /* The operator has edited it since. */
    size_t len = 0;
    char *before = read_text(ini, &len);
    char *edited = g_strconcat(before, "# edited by hand\n", NULL);
    test_write(ini, edited, strlen(edited));
    g_free(before);
    before = read_text(ini, &len);

    sh_error err = {0};
    assert_int_equal(sh_workspace_create(dir, "QN-02", "Trần Thị B", &err), SH_USAGE);
    assert_true(strlen(err.msg) > 0);
    size_t after_len = 0;
    char *after = read_text(ini, &after_len);
    assert_int_equal(after_len, len);
    assert_memory_equal(after, before, len);

    /* The ledger was not replaced or added to. */
    char *ledger_path = g_build_filename(dir, SH_WORKSPACE_STATE_DIR, SH_WORKSPACE_LEDGER, NULL);
    sh_ledger *l = NULL;
    assert_int_equal(sh_ledger_open(ledger_path, false, &l, &err), SH_OK);
    assert_int_equal(fx_int(sh_ledger_db(l), "SELECT count(*) FROM audit"), 1);
    sh_ledger_close(l);
    g_free(ledger_path);
    g_free(after);
    g_free(before);
    g_free(edited);
    g_free(ini);
}

static void create_refuses_a_folder_with_only_one_workspace_mark(void **state)
{
    const char *dir = *state;
    sh_error err = {0};
    /* Only a sohoa.ini (say, copied in by hand). */
    char *a = test_path(dir, "only-ini");
    g_mkdir(a, 0755);
    char *ini = test_path(a, SH_WORKSPACE_CONFIG);
    test_write(ini, "[station]\nid = X\n", 17);
    assert_int_equal(sh_workspace_create(a, STATION, OPERATOR, &err), SH_USAGE);
    assert_false(path_exists(a, SH_WORKSPACE_STATE_DIR));
    size_t len;
    char *text = read_text(ini, &len);
    assert_string_equal(text, "[station]\nid = X\n");
    g_free(text);
    /* Only a .sohoa folder (sohoa.ini lost). */
    char *b = test_path(dir, "only-state");
    char *state_dir = test_path(b, SH_WORKSPACE_STATE_DIR);
    assert_int_equal(g_mkdir_with_parents(state_dir, 0755), 0);
    assert_int_equal(sh_workspace_create(b, STATION, OPERATOR, &err), SH_USAGE);
    assert_false(path_exists(b, SH_WORKSPACE_CONFIG));
    assert_false(path_exists(state_dir, SH_WORKSPACE_LEDGER));
    g_free(state_dir);
    g_free(b);
    g_free(ini);
    g_free(a);
}

static void create_refuses_a_folder_inside_another_workspace(void **state)
{
    const char *dir = *state;
    create_ok(dir);
    char *inner = g_build_filename(dir, "dossiers", "inner", NULL);
    assert_int_equal(g_mkdir_with_parents(inner, 0755), 0);
    sh_error err = {0};
    assert_int_equal(sh_workspace_create(inner, "QN-02", OPERATOR, &err), SH_USAGE);
    char *root = realpath(dir, NULL);
    test_assert_contains(err.msg, root); /* names the outer workspace */
    assert_false(path_exists(inner, SH_WORKSPACE_CONFIG));
    assert_false(path_exists(inner, SH_WORKSPACE_STATE_DIR));
    free(root);
    g_free(inner);
}

static void refused_nested_create_leaves_no_new_folder(void **state)
{
    /* "On failure nothing is left behind": not even the folder it would have made. */
    const char *dir = *state;
    create_ok(dir);
    char *inner = g_build_filename(dir, "new", "inner", NULL);
    sh_error err = {0};
    sh_status st = sh_workspace_create(inner, "QN-02", OPERATOR, &err);
    char *parent = test_path(dir, "new");
    bool left = path_exists(parent, NULL);
    g_free(parent);
    g_free(inner);
    assert_int_equal(st, SH_USAGE);
    assert_false(left);
}

static void create_refuses_bad_station_or_operator_and_creates_nothing(void **state)
{
    const char *dir = *state;
    static const struct {
        const char *station, *op;
    } cases[] = {
        {"HN 01", OPERATOR},  {"HN/01", OPERATOR}, {"", OPERATOR},
        {NULL, OPERATOR},     {STATION, ""},       {STATION, NULL},
        {STATION, " Nguyễn"}, {STATION, "12345"},  {STATION, "Nguyễn\nVăn"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *ws = g_build_filename(dir, "new", "ws", NULL);
        sh_error err = {0};
        assert_int_equal(sh_workspace_create(ws, cases[i].station, cases[i].op, &err), SH_USAGE);
        assert_true(strlen(err.msg) > 0);
        char *parent = test_path(dir, "new");
        if (path_exists(parent, NULL))
            fail_msg("case %zu created %s", i, parent);
        g_free(parent);
        g_free(ws);
    }
    /* Nor anything in an existing folder. */
    sh_error err = {0};
    assert_int_equal(sh_workspace_create(dir, "HN 01", OPERATOR, &err), SH_USAGE);
    assert_false(path_exists(dir, SH_WORKSPACE_CONFIG));
    assert_false(path_exists(dir, SH_WORKSPACE_STATE_DIR));
}

/* ---- open ---- */

static void open_from_a_deep_subfolder_finds_the_root(void **state)
{
    const char *dir = *state;
    create_ok(dir);
    char *root = realpath(dir, NULL);
    char *deep = g_build_filename(dir, "HS-001", "scans", "p1", NULL);
    assert_int_equal(g_mkdir_with_parents(deep, 0755), 0);
    sh_workspace ws;
    sh_error err = {0};
    if (sh_workspace_open(NULL, deep, NULL, &ws, &err) != SH_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(ws.root, root);
    char *ini = g_build_filename(root, SH_WORKSPACE_CONFIG, NULL);
    char *ledger = g_build_filename(root, SH_WORKSPACE_STATE_DIR, SH_WORKSPACE_LEDGER, NULL);
    assert_string_equal(ws.config_path, ini);
    assert_string_equal(ws.ledger_path, ledger);
    assert_string_equal(ws.config.station_id, STATION);
    assert_string_equal(ws.config.operator_name, OPERATOR);
    sh_workspace_close(&ws);
    /* The same from the current folder when no start is given. */
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(deep), 0);
    sh_status st = sh_workspace_open(NULL, NULL, NULL, &ws, &err);
    assert_int_equal(chdir(cwd), 0);
    if (st != SH_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(ws.root, root);
    sh_workspace_close(&ws);
    g_free(ledger);
    g_free(ini);
    g_free(deep);
    free(root);
}

static void open_with_dir_requires_a_workspace(void **state)
{
    const char *dir = *state;
    create_ok(dir);
    sh_workspace ws;
    sh_error err = {0};
    /* A plain folder, a missing one, and a subfolder of a workspace (not its root). */
    char *plain = test_tmpdir("plain");
    char *missing = test_path(plain, "missing");
    char *sub = test_path(dir, "sub");
    g_mkdir(sub, 0755);
    const char *cases[] = {plain, missing, sub};
    for (size_t i = 0; i < 3; i++) {
        sh_error_clear(&err);
        assert_int_equal(sh_workspace_open(cases[i], NULL, NULL, &ws, &err), SH_USAGE);
        test_assert_contains(err.msg, cases[i]);
        assert_null(ws.root);
    }
    /* dir wins over start. */
    assert_int_equal(sh_workspace_open(plain, dir, NULL, &ws, &err), SH_USAGE);
    assert_int_equal(sh_workspace_open(dir, plain, NULL, &ws, &err), SH_OK);
    sh_workspace_close(&ws);
    test_rmtree(plain);
    g_free(sub);
    g_free(missing);
    g_free(plain);
}

static void open_with_no_workspace_above_says_how_to_make_one(void **state)
{
    const char *dir = *state;
    char *deep = g_build_filename(dir, "x", "y", NULL);
    assert_int_equal(g_mkdir_with_parents(deep, 0755), 0);
    sh_workspace ws;
    sh_error err = {0};
    assert_int_equal(sh_workspace_open(NULL, deep, NULL, &ws, &err), SH_USAGE);
    test_assert_contains(err.msg, "sohoa init");
    test_assert_contains(err.msg, deep);
    /* From the current folder. */
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(deep), 0);
    sh_error_clear(&err);
    sh_status st = sh_workspace_open(NULL, NULL, NULL, &ws, &err);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(st, SH_USAGE);
    test_assert_contains(err.msg, "sohoa init");
    g_free(deep);
}

static void open_uses_the_config_override(void **state)
{
    const char *dir = *state;
    char *ws_dir = test_path(dir, "ws");
    create_ok(ws_dir);
    char *other = test_path(dir, "station-b.ini");
    const char *text = "[station]\nid = QN-02\noperator = Trần Thị B\n[validate]\nmin_dpi = 600\n";
    test_write(other, text, strlen(text));
    sh_workspace ws;
    sh_error err = {0};
    if (sh_workspace_open(ws_dir, NULL, other, &ws, &err) != SH_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(ws.config_path, other);
    assert_string_equal(ws.config.path, other);
    assert_string_equal(ws.config.station_id, "QN-02");
    assert_string_equal(ws.config.operator_name, "Trần Thị B");
    assert_int_equal(vd_config_get(&ws.config)->min_dpi, 600);
    sh_workspace_close(&ws);
    /* A missing override is an input error, not a silent fallback to sohoa.ini. */
    char *missing = test_path(dir, "nope.ini");
    assert_int_equal(sh_workspace_open(ws_dir, NULL, missing, &ws, &err), SH_INPUT);
    test_assert_contains(err.msg, missing);
    g_free(missing);
    g_free(other);
    g_free(ws_dir);
}

static void open_refuses_a_workspace_whose_ledger_is_missing(void **state)
{
    const char *dir = *state;
    create_ok(dir);
    char *state_dir = test_path(dir, SH_WORKSPACE_STATE_DIR);
    test_rmtree(state_dir);
    assert_false(path_exists(state_dir, NULL));
    sh_workspace ws;
    sh_error err = {0};
    assert_int_equal(sh_workspace_open(dir, NULL, NULL, &ws, &err), SH_INPUT);
    test_assert_contains(err.msg, "missing");
    test_assert_contains(err.msg, SH_WORKSPACE_LEDGER);
    /* Nothing was recreated behind the operator's back. */
    assert_false(path_exists(state_dir, NULL));
    g_free(state_dir);
}

/* A ledger truncated to 0 bytes: refused, left at 0 bytes, never opened as a new database. */
static void open_refuses_a_workspace_whose_ledger_is_empty(void **state)
{
    const char *dir = *state;
    create_ok(dir);
    char *ledger = g_build_filename(dir, SH_WORKSPACE_STATE_DIR, SH_WORKSPACE_LEDGER, NULL);
    test_write(ledger, "", 0);
    sh_workspace ws;
    sh_error err = {0};
    assert_int_equal(sh_workspace_open(dir, NULL, NULL, &ws, &err), SH_INPUT);
    test_assert_contains(err.msg, "empty");
    test_assert_contains(err.msg, "backup");
    struct stat sb;
    assert_int_equal(stat(ledger, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    g_free(ledger);
}

static void open_refuses_a_broken_config_naming_the_line(void **state)
{
    const char *dir = *state;
    create_ok(dir);
    char *ini = test_path(dir, SH_WORKSPACE_CONFIG);
    size_t len;
    char *text = read_text(ini, &len);
    int lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    char *broken = g_strconcat(text, "max_volume_mbb = 5\n", NULL);
    test_write(ini, broken, strlen(broken));
    sh_workspace ws;
    sh_error err = {0};
    assert_int_equal(sh_workspace_open(NULL, dir, NULL, &ws, &err), SH_USAGE);
    char *root = realpath(dir, NULL);
    char *where = g_strdup_printf("%s/%s:%d:", root, SH_WORKSPACE_CONFIG, lines + 1);
    test_assert_contains(err.msg, where);
    test_assert_contains(err.msg, "max_volume_mbb");
    assert_null(ws.root);
    free(root);
    g_free(where);
    g_free(broken);
    g_free(text);
    g_free(ini);
}

int main(void)
{
    /* The modules' sections, as a program would list them ([validate] is read above). */
    static const sh_config_section *const sections[] = {
        &nm_config_section, &in_config_section, &vd_config_section, &sg_config_section, NULL};
    sh_config_use_sections(sections);
#define T(name) cmocka_unit_test_setup_teardown(name, test_setup_tmpdir, test_teardown_tmpdir)
    const struct CMUnitTest tests[] = {
        T(create_makes_config_ledger_and_init_entry),
        T(create_makes_missing_parent_folders),
        T(create_refuses_an_existing_workspace_and_leaves_it_alone),
        T(create_refuses_a_folder_with_only_one_workspace_mark),
        T(create_refuses_a_folder_inside_another_workspace),
        T(refused_nested_create_leaves_no_new_folder),
        T(create_refuses_bad_station_or_operator_and_creates_nothing),
        T(open_from_a_deep_subfolder_finds_the_root),
        T(open_with_dir_requires_a_workspace),
        T(open_with_no_workspace_above_says_how_to_make_one),
        T(open_uses_the_config_override),
        T(open_refuses_a_workspace_whose_ledger_is_missing),
        T(open_refuses_a_workspace_whose_ledger_is_empty),
        T(open_refuses_a_broken_config_naming_the_line),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
