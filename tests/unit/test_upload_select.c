/* upload: pack's selection (pack_select.c, pack_impl.h). Workspaces are made directly: a real
 * workspace and ledger, rows inserted with SQL, files written empty or small. Every dossier whose
 * documents are all signed is selected with every field as the ledger has it, sorted; each reason
 * to hold one back is reported once per dossier, in path order; a dossier packed before and
 * unchanged is counted and left out, one changed since names the packages it corrects; paths
 * restrict the selection, and one outside the workspace is refused. SOHOA_SELECT_BENCH=N times
 * the selection of N dossiers of 5 documents (500 by default). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <sqlite3.h>

#include "pack_impl.h"

#define ORG1 "93.000.036.001.015"
#define ORG2 "01.001.002.003.004"
#define DA ORG1 "/012345678901_NguyenVanA"
#define DB ORG1 "/001085012345_TranThiB"
#define DC ORG2 "/079123456789_LeVanC"
#define LL "02.Ly lich dang vien"
#define GT "55.Giay gioi thieu sinh hoat dang tam thoi.2"

typedef struct {
    char *tmp, *root;
    sh_ledger *ledger;
    sh_workspace ws;
    GPtrArray *held; /* "path|reason", in the order reported */
    int audit_n;
} fx;

static int setup(void **state)
{
    fx *f = g_new0(fx, 1);
    f->tmp = test_tmpdir("select");
    char *ws = g_build_filename(f->tmp, "ws", NULL);
    sh_error err = {0};
    if (sh_workspace_create(ws, "T-01", "Nguyễn Văn A", &err) != SH_OK)
        fail_msg("workspace: %s", err.msg);
    f->root = realpath(ws, NULL);
    g_free(ws);
    char *db = g_build_filename(f->root, ".sohoa", "ledger.db", NULL);
    if (sh_ledger_open(db, false, &f->ledger, &err) != SH_OK)
        fail_msg("ledger: %s", err.msg);
    g_free(db);
    f->ws.root = f->root;
    /* The entries the tests add are numbered after the workspace's own. */
    sqlite3_stmt *q = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(sh_ledger_db(f->ledger), "SELECT max(id) FROM audit", -1, &q, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    f->audit_n = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    f->held = g_ptr_array_new_with_free_func(g_free);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sh_ledger_close(f->ledger);
    test_rmtree(f->tmp);
    g_free(f->tmp);
    free(f->root);
    g_ptr_array_free(f->held, TRUE);
    g_free(f);
    return 0;
}

static void sql(fx *f, const char *text)
{
    char *msg = NULL;
    if (sqlite3_exec(sh_ledger_db(f->ledger), text, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", text, msg);
}

/* A made-up SHA-256 of a label, so that each test knows the digests it recorded. */
static void hex_of(const char *label, char out[SH_SHA256_HEX_LEN + 1])
{
    uint8_t d[SH_SHA256_LEN];
    sh_sha256_buf(label, strlen(label), d);
    sh_hex(d, sizeof d, out);
}

/* An audit entry (the chain is not checked here); its id, and its hash in hash. */
static int64_t audit(fx *f, const char *action, const char *details, char hash[65])
{
    char label[32];
    snprintf(label, sizeof label, "audit %d", ++f->audit_n);
    hex_of(label, hash);
    char *q = sqlite3_mprintf("INSERT INTO audit (time, station, operator, action, details, "
                              "prev_hash, hash) VALUES ('2026-12-01T09:00:00.000Z', 'T-01', 'A', "
                              "%Q, %Q, '', %Q)",
                              action, details, hash);
    sql(f, q);
    sqlite3_free(q);
    return sqlite3_last_insert_rowid(sh_ledger_db(f->ledger));
}

static void put(fx *f, const char *rel, const char *content)
{
    char *dir = g_path_get_dirname(rel);
    g_free(test_mkdirs(f->root, dir));
    g_free(dir);
    char *path = g_build_filename(f->root, rel, NULL);
    test_write(path, content, strlen(content));
    g_free(path);
}

static int64_t validation(fx *f, const char *rel, const char *sha, const char *verdict, int pages)
{
    char hash[65];
    char *details = g_strdup_printf("{\"sha256\":\"%s\",\"verdict\":\"%s\",\"pages\":%d,"
                                    "\"findings\":0}",
                                    sha, verdict, pages);
    int64_t id = audit(f, "document.validate", details, hash);
    g_free(details);
    char *q = sqlite3_mprintf("INSERT INTO validations (path, sha256, verdict, findings, "
                              "validated_at, audit_id) VALUES (%Q, %Q, %Q, '[]', "
                              "'2026-12-01T10:00:00.000Z', %lld)",
                              rel, sha, verdict, (long long)id);
    sql(f, q);
    sqlite3_free(q);
    return id;
}

static int64_t signature(fx *f, const char *rel, const char *out, const char *in_sha,
                         const char *out_sha)
{
    char hash[65], cert[65];
    int64_t id = audit(f, "document.sign", "{}", hash);
    hex_of("cert", cert);
    char *q = sqlite3_mprintf("INSERT INTO signatures (input_path, input_sha256, output_path, "
                              "output_sha256, cert_sha256, signed_at, audit_id) VALUES (%Q, %Q, "
                              "%Q, %Q, %Q, '2026-12-01T11:00:00Z', %lld)",
                              rel, in_sha, out, out_sha, cert, (long long)id);
    sql(f, q);
    sqlite3_free(q);
    return id;
}

static char *orig_of(const char *folder, const char *stem)
{
    return g_strdup_printf("%s/%s.pdf", folder, stem);
}

static char *signed_of(const char *folder, const char *stem)
{
    return g_strdup_printf("%s/%s_signed.pdf", folder, stem);
}

/* folder/stem.pdf validated (pass, pages) and signed, both files on the disk; the digests are
 * hex_of("in:REL") and hex_of("out:REL"). */
static void signed_doc(fx *f, const char *folder, const char *stem, int pages)
{
    char *rel = orig_of(folder, stem), *out = signed_of(folder, stem);
    char *in_label = g_strconcat("in:", rel, NULL), *out_label = g_strconcat("out:", rel, NULL);
    char in_sha[65], out_sha[65];
    hex_of(in_label, in_sha);
    hex_of(out_label, out_sha);
    put(f, rel, "");
    put(f, out, "signed");
    validation(f, rel, in_sha, "pass", pages);
    signature(f, rel, out, in_sha, out_sha);
    g_free(in_label);
    g_free(out_label);
    g_free(rel);
    g_free(out);
}

static void on_held(const char *path, const char *reason, void *ctx)
{
    fx *f = ctx;
    g_ptr_array_add(f->held, g_strdup_printf("%s|%s", path, reason));
}

static sh_status run(fx *f, char *const *paths, int n, up_pack_plan *plan, sh_error *err)
{
    g_ptr_array_set_size(f->held, 0);
    return up_pack_select(&f->ws, f->ledger, "_signed", paths, n, on_held, f, plan, err);
}

static void run_ok(fx *f, char *const *paths, int n, up_pack_plan *plan)
{
    sh_error err = {0};
    if (run(f, paths, n, plan, &err) != SH_OK)
        fail_msg("select: %s", err.msg);
}

static const up_pack_dossier *find(const up_pack_plan *p, const char *folder)
{
    for (int i = 0; i < p->n_orgs; i++)
        for (int j = 0; j < p->orgs[i].n_dossiers; j++)
            if (strcmp(p->orgs[i].dossiers[j].folder, folder) == 0)
                return &p->orgs[i].dossiers[j];
    return NULL;
}

static int count_dossiers(const up_pack_plan *p)
{
    int n = 0;
    for (int i = 0; i < p->n_orgs; i++)
        n += p->orgs[i].n_dossiers;
    return n;
}

/* The reason given for folder (relative to the root); fails when none or several. */
static const char *held_reason(const fx *f, const char *folder)
{
    char *prefix = g_strdup_printf("%s/%s|", f->root, folder);
    const char *found = NULL;
    for (guint i = 0; i < f->held->len; i++) {
        const char *h = g_ptr_array_index(f->held, i);
        if (g_str_has_prefix(h, prefix)) {
            if (found)
                fail_msg("%s held twice", folder);
            found = strchr(h, '|') + 1;
        }
    }
    g_free(prefix);
    if (!found)
        fail_msg("%s not held back", folder);
    return found;
}

static void check_doc(const up_pack_doc *d, const char *folder, const char *stem, int stt, int seq,
                      const char *type, int pages, uint64_t bytes)
{
    char *rel = orig_of(folder, stem), *out = signed_of(folder, stem);
    char *in_label = g_strconcat("in:", rel, NULL), *out_label = g_strconcat("out:", rel, NULL);
    char sha[65];
    assert_string_equal(d->path, out);
    assert_string_equal(d->original, rel);
    assert_int_equal(d->stt, stt);
    assert_int_equal(d->seq, seq);
    assert_string_equal(d->type_name, type);
    assert_int_equal(d->pages, pages);
    assert_int_equal(d->bytes, bytes);
    hex_of(out_label, sha);
    assert_string_equal(d->sha256, sha);
    hex_of(in_label, sha);
    assert_string_equal(d->original_sha256, sha);
    hex_of("cert", sha);
    assert_string_equal(d->cert_sha256, sha);
    assert_string_equal(d->signed_at, "2026-12-01T11:00:00Z");
    assert_string_equal(d->validated_at, "2026-12-01T10:00:00.000Z");
    assert_true(d->validate_audit_id > 0);
    assert_true(d->sign_audit_id > d->validate_audit_id);
    char label[32];
    snprintf(label, sizeof label, "audit %lld", (long long)d->validate_audit_id);
    hex_of(label, sha);
    assert_string_equal(d->validate_audit_hash, sha);
    snprintf(label, sizeof label, "audit %lld", (long long)d->sign_audit_id);
    hex_of(label, sha);
    assert_string_equal(d->sign_audit_hash, sha);
    g_free(in_label);
    g_free(out_label);
    g_free(rel);
    g_free(out);
}

/* ---- the tests ---- */

static void all_signed_selected_sorted_with_every_field(void **state)
{
    fx *f = *state;
    /* Made out of order: the plan sorts. */
    signed_doc(f, DC, LL, 4);
    signed_doc(f, DA, GT, 1);
    signed_doc(f, DA, LL, 3);
    signed_doc(f, DB, LL, 2);
    put(f, DA "/ghi chu.txt", "not a PDF");
    put(f, DA "/." LL ".pdf.tmp-AbC123", "a temp file");
    char sha[65];
    hex_of("in:" DA "/" LL ".pdf", sha);
    char *q = sqlite3_mprintf("INSERT INTO dossiers (org_code, cccd, person_name, folder, "
                              "created_at) VALUES ('" ORG1 "', '012345678901', 'Nguyễn Văn A', "
                              "'" DA "', 'x');"
                              "INSERT INTO documents (dossier_id, path, type_stt, seq, sha256, "
                              "pages, created_at) VALUES (1, '" DA "/" LL ".pdf', 2, NULL, %Q, "
                              "3, 'x')",
                              sha);
    sql(f, q);
    sqlite3_free(q);

    up_pack_plan plan;
    run_ok(f, NULL, 0, &plan);
    assert_int_equal(f->held->len, 0);
    assert_int_equal(plan.unchanged, 0);
    assert_int_equal(plan.n_orgs, 2);
    assert_string_equal(plan.orgs[0].org, ORG2);
    assert_string_equal(plan.orgs[1].org, ORG1);
    assert_int_equal(plan.orgs[0].n_dossiers, 1);
    assert_int_equal(plan.orgs[1].n_dossiers, 2);
    assert_string_equal(plan.orgs[1].dossiers[0].folder, DB);
    const up_pack_dossier *a = &plan.orgs[1].dossiers[1];
    assert_string_equal(a->folder, DA);
    assert_string_equal(a->org, ORG1);
    assert_string_equal(a->key_kind, "cccd");
    assert_string_equal(a->key, "012345678901");
    assert_string_equal(a->name, "Nguyễn Văn A"); /* the ledger's */
    assert_int_equal(a->n_docs, 2);
    check_doc(&a->docs[0], DA, LL, 2, 0, "Lý lịch đảng viên", 3, 6);
    check_doc(&a->docs[1], DA, GT, 55, 2, "Giấy giới thiệu sinh hoạt đảng tạm thời", 1, 6);
    assert_int_equal(a->bytes, 12);
    assert_non_null(a->corrects);
    assert_null(a->corrects[0]);
    const up_pack_dossier *c = &plan.orgs[0].dossiers[0];
    assert_string_equal(c->name, "LeVanC"); /* no dossiers row: the folder's */
    assert_string_equal(c->key, "079123456789");
    check_doc(&c->docs[0], DC, LL, 2, 0, "Lý lịch đảng viên", 4, 6);
    up_pack_plan_clear(&plan);
    assert_null(plan.orgs);
}

/* One dossier per reason, and one that qualifies among them. */
static void each_reason_held_back_once_in_path_order(void **state)
{
    fx *f = *state;
    char sha[65], other[65];
    hex_of("other bytes", other);
#define D(n) ORG1 "/0010850000" #n "_NguyenVanD"
    signed_doc(f, D(10), LL, 3); /* the one that qualifies */
    /* 11: validated, not signed */
    put(f, D(11) "/" LL ".pdf", "");
    validation(f, D(11) "/" LL ".pdf", other, "pass", 3);
    /* 12: never validated */
    put(f, D(12) "/" LL ".pdf", "");
    /* 13: failed validation */
    put(f, D(13) "/" LL ".pdf", "");
    validation(f, D(13) "/" LL ".pdf", other, "fail", 3);
    /* 14: validated again after signing, other bytes: stale */
    signed_doc(f, D(14), LL, 3);
    validation(f, D(14) "/" LL ".pdf", other, "pass", 3);
    /* 15: ingested again since signing: the documents row has other bytes */
    signed_doc(f, D(15), LL, 3);
    sql(f, "INSERT INTO documents (path, type_stt, sha256, pages, created_at) VALUES ('" D(
               15) "/" LL ".pdf', 2, 'ffff', 3, 'x')");
    /* 16: signed without validation (--force) */
    put(f, D(16) "/" LL ".pdf", "");
    put(f, D(16) "/" LL "_signed.pdf", "");
    signature(f, D(16) "/" LL ".pdf", D(16) "/" LL "_signed.pdf", other, other);
    /* 17: signed copy gone */
    signed_doc(f, D(17), LL, 3);
    char *gone = g_build_filename(f->root, D(17) "/" LL "_signed.pdf", NULL);
    assert_int_equal(unlink(gone), 0);
    g_free(gone);
    /* 18: signed copy a symbolic link */
    signed_doc(f, D(18), LL, 3);
    char *link = g_build_filename(f->root, D(18) "/" LL "_signed.pdf", NULL);
    assert_int_equal(unlink(link), 0);
    assert_int_equal(symlink("/etc/hostname", link), 0);
    g_free(link);
    /* 19: a signed copy sohoa did not record */
    put(f, D(19) "/" LL ".pdf", "");
    validation(f, D(19) "/" LL ".pdf", other, "pass", 3);
    put(f, D(19) "/" LL "_signed.pdf", "");
    /* 20: a document the ledger records is gone from the folder */
    signed_doc(f, D(20), LL, 3);
    sql(f, "INSERT INTO documents (path, type_stt, sha256, pages, created_at) VALUES ('" D(
               20) "/" GT ".pdf', 55, 'ffff', 3, 'x')");
    /* 21: a signed copy without its original */
    signed_doc(f, D(21), LL, 3);
    put(f, D(21) "/" GT "_signed.pdf", "");
    /* 22: no PDF at all */
    put(f, D(22) "/ghi chu.txt", "");
    /* 23: a file being published by another run */
    signed_doc(f, D(23), LL, 3);
    sql(f, "INSERT INTO publications (path, temp_path, sha256, started_at) VALUES ('" D(
               23) "/" GT ".pdf', '" D(23) "/." GT ".pdf.tmp-x', 'ff', 'x')");
    /* 24: a rescan in progress */
    signed_doc(f, D(24), LL, 3);
    sql(f, "INSERT INTO supersessions (path, old_sha256, new_sha256, reason, superseded_at, "
           "done) VALUES ('" D(24) "/" LL ".pdf', 'a', 'b', 'r', 'x', 0)");
    /* 25: a name the catalog does not know */
    put(f, D(25) "/Ly lich.pdf", "");
    /* 26: the original a symbolic link */
    signed_doc(f, D(26), LL, 3);
    char *orig = g_build_filename(f->root, D(26) "/" LL ".pdf", NULL);
    assert_int_equal(unlink(orig), 0);
    assert_int_equal(symlink("/etc/hostname", orig), 0);
    g_free(orig);
    /* 27: signed, but the newest validation of those bytes failed */
    signed_doc(f, D(27), LL, 3);
    hex_of("in:" D(27) "/" LL ".pdf", sha);
    validation(f, D(27) "/" LL ".pdf", sha, "fail", 3);
    /* 28: no page count anywhere */
    signed_doc(f, D(28), LL, 0);
    /* a folder that is not a dossier's */
    g_free(test_mkdirs(f->root, ORG1 "/Nguyen Van E"));
    /* a folder at the root that is no organisation's: not looked at */
    g_free(test_mkdirs(f->root, "scans/012345678999_X"));

    up_pack_plan plan;
    run_ok(f, NULL, 0, &plan);
    assert_int_equal(count_dossiers(&plan), 1);
    assert_non_null(find(&plan, D(10)));
    up_pack_plan_clear(&plan);
    assert_int_equal(f->held->len, 19);
    for (guint i = 1; i < f->held->len; i++) /* in path order */
        assert_true(strcmp(g_ptr_array_index(f->held, i - 1), g_ptr_array_index(f->held, i)) < 0);
    test_assert_contains(held_reason(f, D(11)), LL ".pdf: not signed yet; sign it first: sohoa "
                                                   "sign '");
    test_assert_contains(held_reason(f, D(12)), "neither validated nor signed");
    test_assert_contains(held_reason(f, D(13)), "did not pass validation");
    test_assert_contains(held_reason(f, D(14)), "signed copy is stale");
    test_assert_contains(held_reason(f, D(15)), "ingested again since it was signed");
    test_assert_contains(held_reason(f, D(16)), "never passed validation");
    test_assert_contains(held_reason(f, D(17)), "signed copy is missing");
    test_assert_contains(held_reason(f, D(18)), "not a regular file");
    test_assert_contains(held_reason(f, D(19)), "not one sohoa recorded");
    test_assert_contains(held_reason(f, D(20)), GT ".pdf: recorded by the ledger but missing");
    test_assert_contains(held_reason(f, D(21)), GT "_signed.pdf: a signed copy whose original");
    test_assert_contains(held_reason(f, D(22)), "no PDF");
    test_assert_contains(held_reason(f, D(23)), GT ".pdf: being written by another sohoa run");
    test_assert_contains(held_reason(f, D(24)), LL ".pdf: being written by another sohoa run");
    test_assert_contains(held_reason(f, D(25)), "Ly lich.pdf: not named as the catalog says");
    test_assert_contains(held_reason(f, D(26)), "a symbolic link");
    test_assert_contains(held_reason(f, D(27)), "did not pass validation");
    test_assert_contains(held_reason(f, D(28)), "how many pages");
    test_assert_contains(held_reason(f, ORG1 "/Nguyen Van E"), "not a dossier folder");
#undef D
}

/* Several problems in one dossier: one report naming each, grouped by reason. */
static void one_report_per_dossier(void **state)
{
    fx *f = *state;
    char other[65];
    hex_of("other bytes", other);
    put(f, DA "/" LL ".pdf", "");
    put(f, DA "/" GT ".pdf", "");
    put(f, DA "/03.Phieu dang vien.pdf", "");
    validation(f, DA "/03.Phieu dang vien.pdf", other, "fail", 1);
    up_pack_plan plan;
    run_ok(f, NULL, 0, &plan);
    assert_int_equal(plan.n_orgs, 0);
    assert_int_equal(f->held->len, 1);
    const char *r = held_reason(f, DA);
    test_assert_contains(r, LL ".pdf, " GT ".pdf: neither validated nor signed");
    test_assert_contains(r, "; 03.Phieu dang vien.pdf: did not pass validation");
    up_pack_plan_clear(&plan);
}

static void record_package(fx *f, const char *id, const char *created, const char *folder,
                           const char *const *stems, const char *const *shas, int n)
{
    char *q = sqlite3_mprintf("INSERT INTO packages (id, org_code, volumes, basis, corrects, "
                              "created_at) VALUES (%Q, '" ORG1 "', 1, 'b', '[]', %Q)",
                              id, created);
    sql(f, q);
    sqlite3_free(q);
    for (int i = 0; i < n; i++) {
        char *out = signed_of(folder, stems[i]);
        q = sqlite3_mprintf("INSERT INTO package_documents (package_id, volume, dossier, path, "
                            "sha256) VALUES (%Q, 1, %Q, %Q, %Q)",
                            id, folder, out, shas[i]);
        sql(f, q);
        sqlite3_free(q);
        g_free(out);
    }
}

static void packed_unchanged_left_out_changed_corrects(void **state)
{
    fx *f = *state;
    signed_doc(f, DA, LL, 3);
    signed_doc(f, DB, LL, 3);
    const char *stems[] = {LL, GT};
    char sha[65], sha2[65] = "", newer[65];
    hex_of("out:" DA "/" LL ".pdf", sha);
    const char *shas[] = {sha, sha2};
    /* Packed as it is: left out, counted. */
    record_package(f, "01KBZZZZZZZZZZZZZZZZZZZZZ1", "2026-12-02T00:00:00.000Z", DA, stems, shas, 1);
    up_pack_plan plan;
    run_ok(f, NULL, 0, &plan);
    assert_int_equal(plan.unchanged, 1);
    assert_null(find(&plan, DA));
    assert_non_null(find(&plan, DB));
    up_pack_plan_clear(&plan);

    /* Signed again since (another signed sha256): packed again, correcting the first. */
    hex_of("newer", newer);
    char in_sha[65];
    hex_of("in:" DA "/" LL ".pdf", in_sha);
    signature(f, DA "/" LL ".pdf", DA "/" LL "_signed.pdf", in_sha, newer);
    run_ok(f, NULL, 0, &plan);
    assert_int_equal(plan.unchanged, 0);
    const up_pack_dossier *a = find(&plan, DA);
    assert_non_null(a);
    assert_string_equal(a->docs[0].sha256, newer);
    assert_string_equal(a->corrects[0], "01KBZZZZZZZZZZZZZZZZZZZZZ1");
    assert_null(a->corrects[1]);
    up_pack_plan_clear(&plan);

    /* Packed again (the latest package is what counts), then a document added. */
    shas[0] = newer;
    record_package(f, "01KC0000000000000000000002", "2026-12-03T00:00:00.000Z", DA, stems, shas, 1);
    run_ok(f, NULL, 0, &plan);
    assert_int_equal(plan.unchanged, 1);
    assert_null(find(&plan, DA));
    up_pack_plan_clear(&plan);
    signed_doc(f, DA, GT, 1);
    run_ok(f, NULL, 0, &plan);
    a = find(&plan, DA);
    assert_non_null(a);
    assert_int_equal(a->n_docs, 2);
    assert_string_equal(a->corrects[0], "01KBZZZZZZZZZZZZZZZZZZZZZ1");
    assert_string_equal(a->corrects[1], "01KC0000000000000000000002");
    assert_null(a->corrects[2]);
    up_pack_plan_clear(&plan);

    /* The latest package had both; one document fewer now (its files moved away) is a change. */
    hex_of("out:" DA "/" GT ".pdf", sha2);
    record_package(f, "01KC0000000000000000000003", "2026-12-04T00:00:00.000Z", DA, stems, shas, 2);
    run_ok(f, NULL, 0, &plan);
    assert_int_equal(plan.unchanged, 1);
    up_pack_plan_clear(&plan);
    char *p1 = g_build_filename(f->root, DA "/" GT ".pdf", NULL);
    char *p2 = g_build_filename(f->root, DA "/" GT "_signed.pdf", NULL);
    assert_int_equal(unlink(p1), 0);
    assert_int_equal(unlink(p2), 0);
    g_free(p1);
    g_free(p2);
    run_ok(f, NULL, 0, &plan);
    a = find(&plan, DA);
    assert_non_null(a);
    assert_int_equal(a->n_docs, 1);
    assert_string_equal(a->corrects[2], "01KC0000000000000000000003");
    up_pack_plan_clear(&plan);
}

static void paths_restrict_and_outside_refused(void **state)
{
    fx *f = *state;
    signed_doc(f, DA, LL, 3);
    signed_doc(f, DB, LL, 3);
    signed_doc(f, DC, LL, 3);
    up_pack_plan plan;
    char *org2 = g_build_filename(f->root, ORG2, NULL);
    char *da = g_build_filename(f->root, DA, NULL);
    char *file = g_build_filename(f->root, DB "/" LL "_signed.pdf", NULL);
    char *one[] = {org2};
    run_ok(f, one, 1, &plan);
    assert_int_equal(count_dossiers(&plan), 1);
    assert_non_null(find(&plan, DC));
    up_pack_plan_clear(&plan);
    char *two[] = {da, file, da}; /* named twice: once in the plan */
    run_ok(f, two, 3, &plan);
    assert_int_equal(plan.n_orgs, 1);
    assert_int_equal(plan.orgs[0].n_dossiers, 2);
    assert_string_equal(plan.orgs[0].dossiers[0].folder, DB);
    assert_string_equal(plan.orgs[0].dossiers[1].folder, DA);
    up_pack_plan_clear(&plan);
    char *root[] = {f->root};
    run_ok(f, root, 1, &plan);
    assert_int_equal(count_dossiers(&plan), 3);
    up_pack_plan_clear(&plan);

    sh_error err = {0};
    char *outside[] = {f->tmp};
    assert_int_equal(run(f, outside, 1, &plan, &err), SH_USAGE);
    test_assert_contains(err.msg, "outside the workspace");
    assert_int_equal(plan.n_orgs, 0);
    char *missing = g_build_filename(f->root, ORG1 "/999999999999_Nobody", NULL);
    char *bad[] = {missing};
    assert_int_equal(run(f, bad, 1, &plan, &err), SH_USAGE);
    test_assert_contains(err.msg, "does not exist");
    char *scans = test_mkdirs(f->root, "scans");
    char *notorg[] = {scans};
    assert_int_equal(run(f, notorg, 1, &plan, &err), SH_USAGE);
    test_assert_contains(err.msg, "is not the workspace, an organisation folder");
    char *state_dir = g_build_filename(f->root, ".sohoa", NULL);
    char *hidden[] = {state_dir};
    assert_int_equal(run(f, hidden, 1, &plan, &err), SH_USAGE);
    g_free(state_dir);
    g_free(scans);
    g_free(missing);
    g_free(org2);
    g_free(da);
    g_free(file);
}

static double ms_between(const struct timeval *a, const struct timeval *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_usec - a->tv_usec) / 1e3;
}

/* N dossiers of 5 documents, rows inserted directly; the time of the selection is printed. */
static void many_dossiers_timed(void **state)
{
    fx *f = *state;
    const char *env = getenv("SOHOA_SELECT_BENCH");
    int n = env ? atoi(env) : 500;
    const char *stems[] = {LL, "03.Phieu dang vien", "04.Phieu bo sung ho so dang vien",
                           "05.Quyet dinh ket nap dang vien",
                           "07.Quyet dinh cong nhan dang vien chinh thuc"};
    sql(f, "BEGIN");
    sqlite3 *db = sh_ledger_db(f->ledger);
    sqlite3_stmt *v = NULL, *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO validations (path, sha256, verdict, "
                                        "findings, validated_at, audit_id) VALUES (?1, ?2, 'pass', "
                                        "'[]', 't', NULL)",
                                        -1, &v, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO signatures (input_path, input_sha256, "
                                        "output_path, output_sha256, cert_sha256, signed_at) "
                                        "VALUES (?1, ?2, ?3, ?2, 'c', 't')",
                                        -1, &s, NULL),
                     SQLITE_OK);
    char *dir = NULL;
    for (int i = 0; i < n; i++) {
        char folder[64];
        snprintf(folder, sizeof folder, "%s/%012d_NguyenVanA", i % 2 ? ORG1 : ORG2, i);
        g_free(dir);
        dir = test_mkdirs(f->root, folder);
        for (int k = 0; k < 5; k++) {
            char *rel = orig_of(folder, stems[k]), *out = signed_of(folder, stems[k]);
            char *a = g_build_filename(f->root, rel, NULL),
                 *b = g_build_filename(f->root, out, NULL);
            test_write(a, "", 0);
            test_write(b, "", 0);
            sqlite3_bind_text(v, 1, rel, -1, SQLITE_STATIC);
            sqlite3_bind_text(v, 2, "sha", -1, SQLITE_STATIC);
            assert_int_equal(sqlite3_step(v), SQLITE_DONE);
            sqlite3_reset(v);
            sqlite3_bind_text(s, 1, rel, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 2, "sha", -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 3, out, -1, SQLITE_STATIC);
            assert_int_equal(sqlite3_step(s), SQLITE_DONE);
            sqlite3_reset(s);
            g_free(a);
            g_free(b);
            g_free(rel);
            g_free(out);
        }
    }
    g_free(dir);
    sqlite3_finalize(v);
    sqlite3_finalize(s);
    sql(f, "COMMIT");
    /* The validations' page counts: in the documents rows this time. */
    sql(f, "INSERT INTO documents (path, type_stt, sha256, pages, created_at) SELECT path, 2, "
           "'sha', 1, 't' FROM validations");
    up_pack_plan plan;
    struct timespec t0, t1;
    struct rusage r0, r1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    getrusage(RUSAGE_SELF, &r0);
    run_ok(f, NULL, 0, &plan);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    getrusage(RUSAGE_SELF, &r1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    print_message("selection of %d dossiers x 5 documents: %.0f ms (user %.0f ms, system %.0f "
                  "ms)\n",
                  n, ms, ms_between(&r0.ru_utime, &r1.ru_utime),
                  ms_between(&r0.ru_stime, &r1.ru_stime));
    assert_int_equal(count_dossiers(&plan), n);
    assert_int_equal(f->held->len, 0);
    up_pack_plan_clear(&plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(all_signed_selected_sorted_with_every_field, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(each_reason_held_back_once_in_path_order, setup, teardown),
        cmocka_unit_test_setup_teardown(one_report_per_dossier, setup, teardown),
        cmocka_unit_test_setup_teardown(packed_unchanged_left_out_changed_corrects, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(paths_restrict_and_outside_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(many_dossiers_timed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
