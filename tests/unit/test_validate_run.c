/* vd_validate_path, the whole run, as `sohoa validate` calls it: a small workspace whose dossier
 * holds two documents made by ingest from synthetic scans (samples/make_scans.py): 02 of two
 * good pages passes, 03 of a good page and a blank one fails. The summary's counts, the entries
 * delivered to the callback (files and the dossier folder) with their findings, the verdicts in
 * the ledger; and a file with a bad name outside any workspace. */
#include "testutil.h"

#include "audit_fixture.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ingest/ingest.h"
#include "naming/naming.h"
#include "validate/validate.h"

#define ORG "93.000.036.001.015"
#define CCCD "001085012345"
#define DOSSIER ORG "/" CCCD "_NguyenVanAn"
#define LYLICH "02.Ly lich dang vien.pdf"
#define PHIEU "03.Phieu dang vien.pdf"

typedef struct {
    char *tmp, *root, *src;
    sh_ledger *ledger;
    sh_actor actor;
    nm_rules rules;
} fixture;

/* One entry as the callback saw it: the file's name, and its findings as "code:page ...". */
typedef struct {
    vd_entry_kind kind;
    char *name;
    bool passed;
    int pages;
    char codes[512];
} seen_entry;

static void seen_entry_clear(void *p)
{
    seen_entry *e = p;
    g_free(e->name);
}

static void collect_entry(const vd_file_report *r, void *ctx)
{
    GArray *seen = ctx;
    seen_entry e = {.kind = r->kind, .passed = r->passed, .pages = r->pages};
    e.name = g_path_get_basename(r->path);
    for (size_t i = 0; i < r->n_findings; i++) {
        char one[64];
        snprintf(one, sizeof one, "%s:%d ", r->findings[i].code, r->findings[i].page);
        g_strlcat(e.codes, one, sizeof e.codes);
    }
    g_array_append_val(seen, e);
}

static const seen_entry *entry_named(GArray *seen, const char *name)
{
    for (guint i = 0; i < seen->len; i++)
        if (strcmp(g_array_index(seen, seen_entry, i).name, name) == 0)
            return &g_array_index(seen, seen_entry, i);
    fail_msg("no entry for %s was delivered", name);
    return NULL;
}

/* Synthetic scans (A5 at 200 ppi keeps the generator and the analysis quick) into src/dir. */
static void scans(fixture *f, const char *dir, const char *args)
{
    test_need_tool("python3");
    char *here = g_path_get_dirname(__FILE__); /* <repo>/tests/unit */
    char *script = g_build_filename(here, "..", "..", "samples", "make_scans.py", NULL);
    char *out = g_build_filename(f->src, dir, NULL);
    const char *py =
        g_file_test("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE) ? "/usr/bin/python3" : "python3";
    char *cmd = g_strdup_printf("%s '%s' '%s' --format tiff-g4 --size A5 --dpi 200 %s 2>&1", py,
                                script, out, args);
    bool ok = false;
    char *said = test_run(cmd, &ok);
    if (!ok)
        fail_msg("%s failed (Pillow is python3-pil):\n%s", cmd, said);
    g_free(said);
    g_free(cmd);
    g_free(out);
    g_free(script);
    g_free(here);
}

/* Ingest the source folders, pages in this order, as document type stt of the dossier. */
static void ingest(fixture *f, int stt, const char *const *dirs, size_t n)
{
    char **sources = g_new0(char *, n + 1);
    for (size_t i = 0; i < n; i++)
        sources[i] = g_build_filename(f->src, dirs[i], NULL);
    in_document d = {.org_code = ORG,
                     .cccd = CCCD,
                     .person_name = "Nguyễn Văn An",
                     .type_stt = stt,
                     .sources = sources,
                     .n_sources = n};
    in_context ctx = {.root = f->root,
                      .rules = &f->rules,
                      .min_dpi = 200,
                      .creation_time = 1795000000,
                      .ledger = f->ledger,
                      .actor = &f->actor};
    in_limits_default(&ctx.limits);
    in_result r = {0};
    sh_error err;
    sh_error_clear(&err);
    if (in_ingest_document(&d, &ctx, &r, &err) != SH_OK)
        fail_msg("ingest of type %d: %s", stt, err.msg);
    in_result_clear(&r);
    g_strfreev(sources);
}

static int setup(void **state)
{
    fixture *f = g_new0(fixture, 1);
    f->tmp = test_tmpdir("validate-run");
    f->root = g_build_filename(f->tmp, "ws", NULL);
    f->src = test_mkdirs(f->tmp, "src");
    f->actor = (sh_actor){"HN-01", "Nguyễn Thị Thu"};
    nm_rules_default(&f->rules);
    sh_error err;
    sh_error_clear(&err);
    if (sh_workspace_create(f->root, f->actor.station, f->actor.operator_name, &err) != SH_OK)
        fail_msg("sh_workspace_create: %s", err.msg);
    char *db = g_build_filename(f->root, SH_WORKSPACE_STATE_DIR, SH_WORKSPACE_LEDGER, NULL);
    if (sh_ledger_open(db, false, &f->ledger, &err) != SH_OK)
        fail_msg("sh_ledger_open %s: %s", db, err.msg);
    g_free(db);
    scans(f, "good", "--pages 2 --seed 11");
    scans(f, "other", "--pages 1 --seed 12");
    scans(f, "blank", "--pages 1 --blank --seed 15");
    ingest(f, 2, (const char *const[]){"good"}, 1);
    ingest(f, 3, (const char *const[]){"other", "blank"}, 2);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (!f) /* the setup failed */
        return 0;
    sh_ledger_close(f->ledger);
    test_rmtree(f->tmp);
    g_free(f->tmp);
    g_free(f->root);
    g_free(f->src);
    g_free(f);
    return 0;
}

/* The options of a run: [validate]'s defaults but one thread; in the workspace when ledger. */
static vd_options options(fixture *f, vd_config *cfg, bool in_workspace, GArray *seen)
{
    *cfg = (vd_config){.min_dpi = 200, .max_skew_deg = 1.0, .n_required_types = 2};
    cfg->required_types[0] = 2;
    cfg->required_types[1] = 3;
    vd_options o = {
        .config = cfg, .rules = f->rules, .jobs = 1, .entry = collect_entry, .ctx = seen};
    if (in_workspace) {
        o.ledger = f->ledger;
        o.root = f->root;
        o.actor = &f->actor;
    }
    return o;
}

static void dossier_counts_verdicts_and_ledger(void **state)
{
    fixture *f = *state;
    GArray *seen = g_array_new(FALSE, TRUE, sizeof(seen_entry));
    g_array_set_clear_func(seen, seen_entry_clear);
    vd_config cfg;
    vd_options o = options(f, &cfg, true, seen);
    vd_summary sum = {0};
    sh_error err;
    sh_error_clear(&err);
    char *dossier = g_build_filename(f->root, DOSSIER, NULL);
    assert_int_equal(vd_validate_path(dossier, &o, &sum, &err), SH_OK);

    assert_int_equal(sum.files, 2);
    assert_int_equal(sum.passed, 1);
    assert_int_equal(sum.failed, 1);
    assert_int_equal(sum.pages, 4);
    assert_int_equal(sum.dossiers, 1);
    assert_true(sum.errors >= 1);
    assert_int_equal(sum.unrecorded, 0);
    assert_int_equal(sum.incomplete, 0);

    /* The two files and the dossier folder, each once. */
    assert_int_equal(seen->len, 3);
    const seen_entry *good = entry_named(seen, LYLICH);
    assert_int_equal(good->kind, VD_ENTRY_FILE);
    assert_true(good->passed);
    assert_int_equal(good->pages, 2);
    assert_string_equal(good->codes, "");
    const seen_entry *bad = entry_named(seen, PHIEU);
    assert_int_equal(bad->kind, VD_ENTRY_FILE);
    assert_false(bad->passed);
    assert_int_equal(bad->pages, 2);
    test_assert_contains(bad->codes, "page.blank:2 ");
    const seen_entry *folder = entry_named(seen, CCCD "_NguyenVanAn");
    assert_int_equal(folder->kind, VD_ENTRY_FOLDER);
    assert_true(folder->passed); /* 02 and 03, the required types, are there */

    /* The verdicts went to the ledger, one per file. */
    sqlite3 *db = sh_ledger_db(f->ledger);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM validations"), 2);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM validations WHERE verdict = 'pass' AND "
                                "path = '" DOSSIER "/" LYLICH "'"),
                     1);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM validations WHERE verdict = 'fail' AND "
                                "path = '" DOSSIER "/" PHIEU "'"),
                     1);
    g_free(dossier);
    g_array_free(seen, TRUE);
}

/* Outside any workspace: a document whose name breaks Phụ lục 2 fails on its name. */
static void bad_name_fails_outside_a_workspace(void **state)
{
    fixture *f = *state;
    char *from = g_build_filename(f->root, DOSSIER, LYLICH, NULL);
    char *dir = test_mkdirs(f->tmp, "loose/" DOSSIER);
    char *to = test_path(dir, "2.Ly lich dang vien.pdf"); /* the STT without its zero */
    size_t len;
    char *bytes = test_slurp(from, &len);
    test_write(to, bytes, len);

    GArray *seen = g_array_new(FALSE, TRUE, sizeof(seen_entry));
    g_array_set_clear_func(seen, seen_entry_clear);
    vd_config cfg;
    vd_options o = options(f, &cfg, false, seen);
    vd_summary sum = {0};
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(vd_validate_path(to, &o, &sum, &err), SH_OK);
    assert_int_equal(sum.files, 1);
    assert_int_equal(sum.passed, 0);
    assert_int_equal(sum.failed, 1);
    assert_int_equal(sum.pages, 2);
    assert_int_equal(sum.unrecorded, 0);
    const seen_entry *e = entry_named(seen, "2.Ly lich dang vien.pdf");
    assert_false(e->passed);
    test_assert_contains(e->codes, "name.");
    g_array_free(seen, TRUE);
    g_free(bytes);
    g_free(to);
    g_free(dir);
    g_free(from);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dossier_counts_verdicts_and_ledger),
        cmocka_unit_test(bad_name_fails_outside_a_workspace),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
