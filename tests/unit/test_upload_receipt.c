/* up_receipt_store (receipt.c) and the receipt parser (receipt_read.c): a real workspace and
 * ledger holding packages (rows inserted with SQL), receipts made as `sohoa receive` makes them
 * and signed with the receiver's key (receiver.p12 of tests/sign_fixtures.sh; a self-signed
 * rogue key for the untrusted case). A valid accepted receipt is stored byte for byte beside its
 * signature (openssl cms -verify judges the stored copy), with its ledger row, its audit entry
 * and the publication intents of both files; the same receipt again changes nothing; a rejected
 * receipt is replaced by an accepted one and kept aside; every refusal (untrusted signer, a
 * flipped byte, an unknown package, another digest, a missing volume, each key missing,
 * repeated or of the wrong type...) stores nothing and says why. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <sqlite3.h>

#include "receipt_impl.h"
#include "sign/sign.h"
#include "upload/upload.h"

#define P12_PASS "p12-pass"
#define ORG "93.000.036.001.015"
#define ORG2 "01.001.002.003.004"
#define AT "2026-12-06T10:00:00.000Z"

static struct {
    char *dir, *keys;
    sg_signer *receiver, *rogue;
    X509_STORE *trust;
} F;

typedef struct {
    char *tmp, *root;
    sh_ledger *ledger;
    sh_workspace ws;
    sh_actor actor;
    char a[UP_PACKAGE_ID_LEN + 1];      /* two volumes */
    char b[UP_PACKAGE_ID_LEN + 1];      /* one volume, of ORG2 */
    char sha[3][SH_SHA256_HEX_LEN + 1]; /* a's volumes 1, 2; b's */
    int64_t bytes[3];
} fx;

/* ---- fixtures ---- */

static void run_ok(const char *cmd)
{
    bool ok = false;
    char *out = test_run(cmd, &ok);
    if (!ok)
        fail_msg("command failed: %s\n%s", cmd, out);
    g_free(out);
}

static sg_signer *signer(const char *p12)
{
    char *path = test_path(F.keys, p12);
    sg_signer_options o = {.key = {.pkcs12 = path}, .secret = P12_PASS};
    sg_signer *s = NULL;
    sh_error err;
    sh_error_clear(&err);
    if (sg_signer_open(&o, &s, &err) != SH_OK)
        fail_msg("sg_signer_open %s: %s", path, err.msg);
    g_free(path);
    return s;
}

static int group_setup(void **state)
{
    (void)state;
    test_need_tool("openssl");
    F.dir = test_tmpdir("receipt");
    const char *src = getenv("SOHOA_SOURCE");
    char *unit = g_path_get_dirname(__FILE__);
    char *tests = src && *src ? g_build_filename(src, "tests", NULL) : g_path_get_dirname(unit);
    g_free(unit);
    F.keys = test_path(F.dir, "keys");
    char *cmd = g_strdup_printf("bash '%s/sign_fixtures.sh' '%s' 2>&1", tests, F.keys);
    run_ok(cmd);
    g_free(cmd);
    g_free(tests);
    cmd = g_strdup_printf(
        "cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=Rogue -days 2 "
        "-keyout rogue.key -out rogue.pem 2>&1 && openssl pkcs12 -export -inkey rogue.key -in "
        "rogue.pem -keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256 -passout pass:" P12_PASS
        " -out rogue.p12 2>&1",
        F.keys);
    run_ok(cmd);
    g_free(cmd);
    F.receiver = signer("receiver.p12");
    F.rogue = signer("rogue.p12");
    char *ca = test_path(F.keys, "ca.pem");
    sh_error err;
    sh_error_clear(&err);
    if (sg_trust_load(ca, &F.trust, &err) != SH_OK)
        fail_msg("sg_trust_load: %s", err.msg);
    g_free(ca);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    sg_signer_close(F.receiver);
    sg_signer_close(F.rogue);
    X509_STORE_free(F.trust);
    test_rmtree(F.dir);
    g_free(F.dir);
    g_free(F.keys);
    return 0;
}

static void sql(fx *f, const char *text)
{
    char *msg = NULL;
    if (sqlite3_exec(sh_ledger_db(f->ledger), text, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", text, msg);
}

static int64_t sql_int(fx *f, const char *text)
{
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(sh_ledger_db(f->ledger), text, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

/* The first column of the first row, as text (g_free), or NULL without a row. */
static char *sql_text(fx *f, const char *text)
{
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(sh_ledger_db(f->ledger), text, -1, &q, NULL), SQLITE_OK);
    char *out = NULL;
    if (sqlite3_step(q) == SQLITE_ROW)
        out = g_strdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    return out;
}

static void hex_of(const char *label, char out[SH_SHA256_HEX_LEN + 1])
{
    uint8_t d[SH_SHA256_LEN];
    sh_sha256_buf(label, strlen(label), d);
    sh_hex(d, sizeof d, out);
}

/* A package as pack records it: its row and its volumes' (the files need not exist). */
static void package(fx *f, char id[UP_PACKAGE_ID_LEN + 1], int64_t ms, const char *org, int n,
                    int first)
{
    sh_error err;
    sh_error_clear(&err);
    if (up_package_id_new(ms, id, &err) != SH_OK)
        fail_msg("id: %s", err.msg);
    char *q = sqlite3_mprintf("INSERT INTO packages (id, org_code, volumes, basis, corrects, "
                              "created_at) VALUES (%Q, %Q, %d, 'CV 1', '[]', '" AT "')",
                              id, org, n);
    sql(f, q);
    sqlite3_free(q);
    for (int k = 1; k <= n; k++) {
        int i = first + k - 1;
        char label[64];
        snprintf(label, sizeof label, "volume %s %d", id, k);
        hex_of(label, f->sha[i]);
        f->bytes[i] = 1000 * (i + 1) + 7;
        q = sqlite3_mprintf("INSERT INTO package_volumes (package_id, volume, path, sha256, bytes, "
                            "dossiers, documents) VALUES (%Q, %d, 'packages/%s/%s.part%d-of-%d"
                            ".zip.p7m', %Q, %lld, 1, 2)",
                            id, k, org, id, k, n, f->sha[i], (long long)f->bytes[i]);
        sql(f, q);
        sqlite3_free(q);
    }
}

static int setup(void **state)
{
    fx *f = g_new0(fx, 1);
    f->tmp = test_tmpdir("receipt-ws");
    char *ws = g_build_filename(f->tmp, "ws", NULL);
    sh_error err;
    sh_error_clear(&err);
    if (sh_workspace_create(ws, "T-01", "Nguyễn Văn A", &err) != SH_OK)
        fail_msg("workspace: %s", err.msg);
    f->root = realpath(ws, NULL);
    g_free(ws);
    char *db = g_build_filename(f->root, ".sohoa", "ledger.db", NULL);
    if (sh_ledger_open(db, false, &f->ledger, &err) != SH_OK)
        fail_msg("ledger: %s", err.msg);
    g_free(db);
    f->ws.root = f->root;
    f->actor = (sh_actor){.station = "T-01", .operator_name = "Nguyễn Văn A"};
    package(f, f->a, INT64_C(1790000000000), ORG, 2, 0);
    package(f, f->b, INT64_C(1790000001000), ORG2, 1, 2);
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
    g_free(f);
    return 0;
}

/* ---- receipts ---- */

/* A receipt's members in the receiver's order, as text: each may be dropped, doubled or have
 * its value replaced. */
enum {
    K_SCHEMA,
    K_PACKAGE,
    K_ORG,
    K_VERDICT,
    K_VOLUMES,
    K_DOSSIERS,
    K_DOCUMENTS,
    K_FINDINGS,
    K_RECEIVED,
    K_RECEIVER,
    K_N
};
static const char *const KEYS[K_N] = {"schema",      "package",  "organisation", "verdict",
                                      "volumes",     "dossiers", "documents",    "findings",
                                      "received_at", "receiver"};

typedef struct {
    char *value[K_N];
    int drop, twice; /* a key to leave out, or to give twice; -1: none */
} members;

static char *volume_text(const char *id, int k, int n, const char *sha, int64_t bytes)
{
    return g_strdup_printf("{\"file\":\"%s.part%d-of-%d.zip.p7m\",\"volume\":%d,\"of\":%d,"
                           "\"bytes\":%lld,\"sha256\":\"%s\"}",
                           id, k, n, k, n, (long long)bytes, sha);
}

/* The receipt of package a (both volumes as packed), accepted, signed by s. */
static void members_of(const fx *f, members *m, sg_signer *s)
{
    memset(m, 0, sizeof *m);
    m->drop = m->twice = -1;
    char *v1 = volume_text(f->a, 1, 2, f->sha[0], f->bytes[0]);
    char *v2 = volume_text(f->a, 2, 2, f->sha[1], f->bytes[1]);
    m->value[K_SCHEMA] = g_strdup("\"sohoa-receipt/1\"");
    m->value[K_PACKAGE] = g_strdup_printf("\"%s\"", f->a);
    m->value[K_ORG] = g_strdup("\"" ORG "\"");
    m->value[K_VERDICT] = g_strdup("\"accepted\"");
    m->value[K_VOLUMES] = g_strdup_printf("[%s,%s]", v1, v2);
    m->value[K_DOSSIERS] = g_strdup("2");
    m->value[K_DOCUMENTS] = g_strdup("4");
    m->value[K_FINDINGS] = g_strdup("[]");
    m->value[K_RECEIVED] = g_strdup("\"" AT "\"");
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "cn", sg_signer_cn(s));
    sh_json_kv_str(j, "organisation", sg_signer_organisation(s));
    sh_json_kv_str(j, "cert_sha256", sg_signer_cert_sha256(s));
    sh_json_end_object(j);
    m->value[K_RECEIVER] = g_strdup(sh_json_finish(j, NULL));
    sh_json_free(j);
    g_free(v1);
    g_free(v2);
}

static void set(members *m, int k, char *value)
{
    g_free(m->value[k]);
    m->value[k] = value;
}

static void members_clear(members *m)
{
    for (int k = 0; k < K_N; k++)
        g_free(m->value[k]);
}

static char *text_of(const members *m)
{
    GString *s = g_string_new("{");
    bool first = true;
    for (int k = 0; k < K_N; k++)
        for (int t = 0; t < (k == m->drop ? 0 : k == m->twice ? 2 : 1); t++) {
            g_string_append_printf(s, "%s\"%s\":%s", first ? "" : ",", KEYS[k], m->value[k]);
            first = false;
        }
    g_string_append(s, "}\n");
    return g_string_free(s, FALSE);
}

typedef struct {
    char *json;
    uint8_t *p7s;
    size_t p7s_len;
} signed_receipt;

static signed_receipt sign_text(char *json, sg_signer *s)
{
    signed_receipt r = {.json = json};
    sh_error err;
    sh_error_clear(&err);
    if (sg_signer_sign_detached(s, json, strlen(json), 1790000000, &r.p7s, &r.p7s_len, &err) !=
        SH_OK)
        fail_msg("sign: %s", err.msg);
    return r;
}

static signed_receipt sign_members(const members *m, sg_signer *s)
{
    return sign_text(text_of(m), s);
}

static void receipt_free(signed_receipt *r)
{
    g_free(r->json);
    g_free(r->p7s);
}

static sh_status store(fx *f, const signed_receipt *sr, up_receipt_report *r, sh_error *err)
{
    up_receipt_options o = {
        .ws = &f->ws, .ledger = f->ledger, .actor = &f->actor, .trust = F.trust};
    sh_error_clear(err);
    return up_receipt_store(&o, "medium/R.json", (const uint8_t *)sr->json, strlen(sr->json),
                            sr->p7s, sr->p7s_len, r, err);
}

static char *receipts_path(const fx *f, const char *name)
{
    return g_build_filename(f->root, ".sohoa", "receipts", name, NULL);
}

static int by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in .sohoa/receipts, sorted, space-separated ("" when none or no folder). */
static char *receipts_listing(const fx *f)
{
    char *dir = receipts_path(f, "");
    GDir *d = g_dir_open(dir, 0, NULL);
    g_free(dir);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    for (const char *n; d && (n = g_dir_read_name(d)) != NULL;)
        g_ptr_array_add(names, g_strdup(n));
    if (d)
        g_dir_close(d);
    g_ptr_array_sort(names, by_name);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(s, "%s%s", i ? " " : "", (char *)g_ptr_array_index(names, i));
    g_ptr_array_free(names, TRUE);
    return g_string_free(s, FALSE);
}

static void assert_file_is(const char *path, const void *data, size_t len)
{
    size_t got_len = 0;
    char *got = test_slurp(path, &got_len);
    if (got_len != len || memcmp(got, data, len) != 0)
        fail_msg("%s is not the bytes given (%zu, not %zu bytes)", path, got_len, len);
    g_free(got);
}

/* A refusal: SH_FINDINGS with needle in the message, and nothing stored. */
static void assert_refused(fx *f, const signed_receipt *sr, const char *needle)
{
    up_receipt_report r;
    sh_error err;
    sh_status st = store(f, sr, &r, &err);
    if (st != SH_FINDINGS)
        fail_msg("status %d, not refused (%s)\n%s", st, err.msg, sr->json);
    test_assert_contains(err.msg, needle);
    test_assert_contains(err.msg, "medium/R.json");
    assert_int_equal(sql_int(f, "SELECT count(*) FROM receipts"), 0);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE action = 'receipt.store'"), 0);
    char *listing = receipts_listing(f);
    assert_string_equal(listing, "");
    g_free(listing);
}

/* ---- stored ---- */

static void accepted_receipt_is_stored(void **state)
{
    fx *f = *state;
    members m;
    members_of(f, &m, F.receiver);
    signed_receipt sr = sign_members(&m, F.receiver);
    up_receipt_report r;
    sh_error err;
    if (store(f, &sr, &r, &err) != SH_OK)
        fail_msg("store: %s", err.msg);
    assert_true(r.stored_now);
    assert_true(r.accepted);
    assert_string_equal(r.package, f->a);
    assert_string_equal(r.org, ORG);
    assert_string_equal(r.receiver, sg_signer_cn(F.receiver));
    assert_non_null(r.findings);
    assert_null(r.findings[0]);
    char sha[SH_SHA256_HEX_LEN + 1];
    uint8_t d[SH_SHA256_LEN];
    sh_sha256_buf(sr.json, strlen(sr.json), d);
    sh_hex(d, sizeof d, sha);
    assert_string_equal(r.sha256, sha);
    char *name = g_strdup_printf("%s.json", f->a);
    char *json = receipts_path(f, name);
    char *p7s = g_strconcat(json, ".p7s", NULL);
    assert_string_equal(r.path, json);
    /* the bytes as received, beside their signature; nothing else in the folder */
    assert_file_is(json, sr.json, strlen(sr.json));
    assert_file_is(p7s, sr.p7s, sr.p7s_len);
    char *listing = receipts_listing(f), *want = g_strdup_printf("%s %s.p7s", name, name);
    assert_string_equal(listing, want);
    /* the outside judge */
    char *cmd = g_strdup_printf("openssl cms -verify -binary -inform DER -in '%s' -content '%s' "
                                "-CAfile '%s/ca.pem' -purpose any -out /dev/null 2>&1",
                                p7s, json, F.keys);
    run_ok(cmd);
    /* the ledger row */
    char *q = g_strdup_printf("SELECT verdict || '|' || findings || '|' || received_at || '|' || "
                              "receiver || '|' || path || '|' || sha256 FROM receipts WHERE "
                              "package_id = '%s'",
                              f->a);
    char *row = sql_text(f, q);
    char *want_row = g_strdup_printf("accepted|[]|" AT "|%s|.sohoa/receipts/%s|%s",
                                     sg_signer_cn(F.receiver), name, sha);
    assert_non_null(row);
    assert_string_equal(row, want_row);
    /* its audit entry */
    char *audit = sql_text(f, "SELECT a.subject || '|' || a.details FROM audit a JOIN receipts r "
                              "ON r.audit_id = a.id WHERE a.action = 'receipt.store'");
    assert_non_null(audit);
    test_assert_contains(audit, ORG "|");
    test_assert_contains(audit, f->a);
    test_assert_contains(audit, sha);
    test_assert_contains(audit, "\"source\":\"medium/R.json\"");
    test_assert_contains(audit, "\"verdict\":\"accepted\"");
    /* both files went through the publish-and-record protocol: their intents (closed lazily) */
    char *pq = g_strdup_printf("SELECT count(*) FROM publications WHERE path IN "
                               "('.sohoa/receipts/%s', '.sohoa/receipts/%s.p7s')",
                               name, name);
    assert_int_equal(sql_int(f, pq), 2);
    g_free(pq);
    g_free(audit);
    g_free(row);
    g_free(want_row);
    g_free(q);
    g_free(cmd);
    g_free(listing);
    g_free(want);
    g_free(json);
    g_free(p7s);
    g_free(name);
    receipt_free(&sr);
    members_clear(&m);
}

static void same_receipt_again_changes_nothing(void **state)
{
    fx *f = *state;
    members m;
    members_of(f, &m, F.receiver);
    signed_receipt sr = sign_members(&m, F.receiver);
    up_receipt_report r;
    sh_error err;
    assert_int_equal(store(f, &sr, &r, &err), SH_OK);
    assert_true(r.stored_now);
    char *path = g_strdup(r.path);
    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);
    /* the same bytes, and the same JSON signed again (another signature, the same receipt) */
    for (int round = 0; round < 2; round++) {
        signed_receipt again = round ? sign_text(g_strdup(sr.json), F.receiver) : sr;
        if (store(f, &again, &r, &err) != SH_OK)
            fail_msg("again: %s", err.msg);
        assert_false(r.stored_now);
        assert_true(r.accepted);
        assert_string_equal(r.path, path);
        if (round)
            receipt_free(&again);
    }
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE action = 'receipt.store'"), 1);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM receipts"), 1);
    char *p7s = g_strconcat(path, ".p7s", NULL);
    assert_file_is(p7s, sr.p7s, sr.p7s_len);
    g_free(p7s);
    g_free(path);
    receipt_free(&sr);
    members_clear(&m);
}

/* A rejected receipt, then an accepted one (the package received whole later): replaced, the
 * rejected one kept aside; then a rejected one again is refused, and another accepted one
 * leaves the stored one. */
static void rejected_then_accepted_replaces(void **state)
{
    fx *f = *state;
    members m;
    members_of(f, &m, F.receiver);
    set(&m, K_VERDICT, g_strdup("\"rejected\""));
    set(&m, K_FINDINGS, g_strdup("[\"receive.pdf.invalid\",\"receive.volumes.missing\"]"));
    signed_receipt rej = sign_members(&m, F.receiver);
    up_receipt_report r;
    sh_error err;
    if (store(f, &rej, &r, &err) != SH_OK)
        fail_msg("rejected: %s", err.msg);
    assert_true(r.stored_now);
    assert_false(r.accepted);
    assert_string_equal(r.findings[0], "receive.pdf.invalid");
    assert_string_equal(r.findings[1], "receive.volumes.missing");
    assert_null(r.findings[2]);
    char rej_sha[SH_SHA256_HEX_LEN + 1];
    g_strlcpy(rej_sha, r.sha256, sizeof rej_sha);
    char *q =
        g_strdup_printf("SELECT verdict || findings FROM receipts WHERE package_id = '%s'", f->a);
    char *row = sql_text(f, q);
    assert_string_equal(row, "rejected[\"receive.pdf.invalid\",\"receive.volumes.missing\"]");
    g_free(row);

    members_clear(&m);
    members_of(f, &m, F.receiver);
    set(&m, K_RECEIVED, g_strdup("\"2026-12-07T08:00:00.000Z\""));
    signed_receipt acc = sign_members(&m, F.receiver);
    if (store(f, &acc, &r, &err) != SH_OK)
        fail_msg("accepted: %s", err.msg);
    assert_true(r.stored_now);
    assert_true(r.accepted);
    row = sql_text(f, q);
    assert_string_equal(row, "accepted[]");
    g_free(row);
    char *name = g_strdup_printf("%s.json", f->a);
    char *json = receipts_path(f, name);
    char *p7s = g_strconcat(json, ".p7s", NULL);
    assert_file_is(json, acc.json, strlen(acc.json));
    assert_file_is(p7s, acc.p7s, acc.p7s_len);
    char *kept_name = g_strdup_printf("%s.rejected-%.12s.json", f->a, rej_sha);
    char *kept = receipts_path(f, kept_name);
    char *kept_p7s = g_strconcat(kept, ".p7s", NULL);
    assert_file_is(kept, rej.json, strlen(rej.json));
    assert_file_is(kept_p7s, rej.p7s, rej.p7s_len);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE action = 'receipt.store'"), 2);
    char *details = sql_text(f, "SELECT details FROM audit WHERE action = 'receipt.store' "
                                "ORDER BY id DESC LIMIT 1");
    test_assert_contains(details, "\"replaces\"");
    test_assert_contains(details, rej_sha);
    test_assert_contains(details, kept_name);
    g_free(details);

    /* the receiver contradicting itself: refused, the accepted receipt stays */
    assert_int_equal(store(f, &rej, &r, &err), SH_FINDINGS);
    test_assert_contains(err.msg, "accepted it before");
    /* another accepted receipt (written again by the receiver): the stored one stays */
    members_clear(&m);
    members_of(f, &m, F.receiver);
    set(&m, K_RECEIVED, g_strdup("\"2026-12-08T08:00:00.000Z\""));
    signed_receipt acc2 = sign_members(&m, F.receiver);
    assert_int_equal(store(f, &acc2, &r, &err), SH_OK);
    assert_false(r.stored_now);
    assert_string_equal(r.path, json);
    assert_file_is(json, acc.json, strlen(acc.json));
    assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE action = 'receipt.store'"), 2);

    receipt_free(&acc2);
    g_free(kept_name);
    g_free(kept);
    g_free(kept_p7s);
    g_free(name);
    g_free(json);
    g_free(p7s);
    g_free(q);
    receipt_free(&rej);
    receipt_free(&acc);
    members_clear(&m);
}

/* A replacement killed after the rejected receipt was renamed aside, before its commit: the
 * ledger still names the rejected one under its own name. The same rejected receipt again puts
 * it back; the accepted one replaces it as if nothing had happened. */
static void killed_replacement_is_healed(void **state)
{
    fx *f = *state;
    members m;
    members_of(f, &m, F.receiver);
    set(&m, K_VERDICT, g_strdup("\"rejected\""));
    set(&m, K_FINDINGS, g_strdup("[\"receive.pdf.invalid\"]"));
    signed_receipt rej = sign_members(&m, F.receiver);
    up_receipt_report r;
    sh_error err;
    assert_int_equal(store(f, &rej, &r, &err), SH_OK);
    char *json = g_strdup(r.path), *p7s = g_strconcat(json, ".p7s", NULL);
    char *kept =
        g_strdup_printf("%s/.sohoa/receipts/%s.rejected-%.12s.json", f->root, f->a, r.sha256);
    char *kept_p7s = g_strconcat(kept, ".p7s", NULL);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(rename(json, kept), 0);
        assert_int_equal(rename(p7s, kept_p7s), 0);
        if (round == 0) {
            assert_int_equal(store(f, &rej, &r, &err), SH_OK);
            assert_false(r.stored_now);
            assert_file_is(json, rej.json, strlen(rej.json));
            assert_file_is(p7s, rej.p7s, rej.p7s_len);
            assert_false(g_file_test(kept, G_FILE_TEST_EXISTS));
        }
    }
    members_clear(&m);
    members_of(f, &m, F.receiver);
    signed_receipt acc = sign_members(&m, F.receiver);
    if (store(f, &acc, &r, &err) != SH_OK)
        fail_msg("accepted: %s", err.msg);
    assert_true(r.stored_now);
    assert_file_is(json, acc.json, strlen(acc.json));
    assert_file_is(kept, rej.json, strlen(rej.json));
    assert_file_is(kept_p7s, rej.p7s, rej.p7s_len);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE action = 'receipt.store'"), 2);
    g_free(json);
    g_free(p7s);
    g_free(kept);
    g_free(kept_p7s);
    receipt_free(&rej);
    receipt_free(&acc);
    members_clear(&m);
}

/* ---- refused ---- */

static void untrusted_signer_is_refused(void **state)
{
    fx *f = *state;
    members m;
    members_of(f, &m, F.rogue);
    signed_receipt sr = sign_members(&m, F.rogue);
    assert_refused(f, &sr, "receiver_trust");
    test_assert_contains(sr.json, "Rogue");
    receipt_free(&sr);
    members_clear(&m);
}

static void flipped_byte_is_refused(void **state)
{
    fx *f = *state;
    members m;
    members_of(f, &m, F.receiver);
    signed_receipt sr = sign_members(&m, F.receiver);
    /* still a well-formed receipt: "dossiers":2 becomes 3 */
    char *at = strstr(sr.json, "\"dossiers\":2");
    assert_non_null(at);
    at[11] = '3';
    assert_refused(f, &sr, "does not match its signature");
    at[11] = '2';
    /* the signature damaged instead */
    sr.p7s[sr.p7s_len - 5] ^= 0x01; /* in the signature value, the last field */
    assert_refused(f, &sr, "does not match its signature");
    /* a signature of something else */
    signed_receipt other = sign_text(g_strdup("{}"), F.receiver);
    signed_receipt mixed = {sr.json, other.p7s, other.p7s_len};
    assert_refused(f, &mixed, "does not match its signature");
    /* no signature at all */
    signed_receipt none = {sr.json, (uint8_t *)"", 0};
    assert_refused(f, &none, "does not match its signature");
    receipt_free(&other);
    receipt_free(&sr);
    members_clear(&m);
}

static void unknown_package_is_refused(void **state)
{
    fx *f = *state;
    members m;
    members_of(f, &m, F.receiver);
    char other[UP_PACKAGE_ID_LEN + 1];
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(up_package_id_new(INT64_C(1790000005000), other, &err), SH_OK);
    set(&m, K_PACKAGE, g_strdup_printf("\"%s\"", other));
    signed_receipt sr = sign_members(&m, F.receiver);
    assert_refused(f, &sr, "never packed");
    assert_refused(f, &sr, other);
    receipt_free(&sr);
    /* package b is of another organisation */
    members_clear(&m);
    members_of(f, &m, F.receiver);
    set(&m, K_PACKAGE, g_strdup_printf("\"%s\"", f->b));
    char *v = volume_text(f->b, 1, 1, f->sha[2], f->bytes[2]);
    set(&m, K_VOLUMES, g_strdup_printf("[%s]", v));
    g_free(v);
    sr = sign_members(&m, F.receiver);
    assert_refused(f, &sr, "packed for " ORG2);
    receipt_free(&sr);
    members_clear(&m);
}

/* upload asks /receipts/<id> for one package: a valid receipt of another is not stored. */
static void receipt_of_another_package_than_asked_is_refused(void **state)
{
    fx *f = *state;
    members m;
    members_of(f, &m, F.receiver);
    signed_receipt sr = sign_members(&m, F.receiver);
    up_receipt_options o = {.ws = &f->ws,
                            .ledger = f->ledger,
                            .actor = &f->actor,
                            .trust = F.trust,
                            .expect_package = f->b};
    up_receipt_report r;
    sh_error err;
    sh_error_clear(&err);
    assert_int_equal(up_receipt_store(&o, "medium/R.json", (const uint8_t *)sr.json,
                                      strlen(sr.json), sr.p7s, sr.p7s_len, &r, &err),
                     SH_FINDINGS);
    test_assert_contains(err.msg, f->b);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM receipts"), 0);
    o.expect_package = f->a; /* the one asked for: stored */
    assert_int_equal(up_receipt_store(&o, "medium/R.json", (const uint8_t *)sr.json,
                                      strlen(sr.json), sr.p7s, sr.p7s_len, &r, &err),
                     SH_OK);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM receipts"), 1);
    receipt_free(&sr);
    members_clear(&m);
}

static void other_digest_is_refused(void **state)
{
    fx *f = *state;
    members m;
    members_of(f, &m, F.receiver);
    char other[SH_SHA256_HEX_LEN + 1];
    hex_of("other bytes", other);
    char *v1 = volume_text(f->a, 1, 2, f->sha[0], f->bytes[0]);
    char *v2 = volume_text(f->a, 2, 2, other, f->bytes[1]);
    set(&m, K_VOLUMES, g_strdup_printf("[%s,%s]", v1, v2));
    signed_receipt sr = sign_members(&m, F.receiver);
    assert_refused(f, &sr, "volume 2 of package");
    assert_refused(f, &sr, "other bytes");
    assert_refused(f, &sr, other);
    assert_refused(f, &sr, f->sha[1]);
    assert_refused(f, &sr, "Send the volume again");
    receipt_free(&sr);
    /* the right digest, another size */
    g_free(v2);
    v2 = volume_text(f->a, 2, 2, f->sha[1], f->bytes[1] + 1);
    set(&m, K_VOLUMES, g_strdup_printf("[%s,%s]", v1, v2));
    sr = sign_members(&m, F.receiver);
    assert_refused(f, &sr, "other bytes");
    receipt_free(&sr);
    g_free(v2);
    v2 = volume_text(f->a, 2, 2, f->sha[1], f->bytes[1]);
    /* volume 2 missing, volume 1 twice, a volume of 3, a volume the receiver could not read */
    static const char *const cases[][2] = {
        {"[@1]", "does not list volume 2 of 2"},
        {"[@1,@1,@2]", "twice"},
        {"[@1,@3]", "which has 2 volumes here"},
        {"[@1,@2,{\"file\":\"x.zip.p7m\",\"volume\":null,\"of\":null,\"bytes\":5,\"sha256\":null}]",
         "could not read the file x.zip.p7m"},
        {"[@1,{\"file\":\"y.zip.p7m\",\"volume\":null,\"of\":null,\"bytes\":5,\"sha256\":"
         "\"0000000000000000000000000000000000000000000000000000000000000000\"}]",
         "the file y.zip.p7m with SHA-256 0000"},
        {"[]", "does not list volume 1 of 2"},
    };
    char *v3 = volume_text(f->a, 3, 3, f->sha[1], f->bytes[1]);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        GString *s = g_string_new(cases[i][0]);
        g_string_replace(s, "@1", v1, 0);
        g_string_replace(s, "@2", v2, 0);
        g_string_replace(s, "@3", v3, 0);
        set(&m, K_VOLUMES, g_string_free(s, FALSE));
        sr = sign_members(&m, F.receiver);
        assert_refused(f, &sr, cases[i][1]);
        receipt_free(&sr);
    }
    g_free(v1);
    g_free(v2);
    g_free(v3);
    members_clear(&m);
}

/* Every key of the receipt missing, given twice, or of the wrong type: refused, naming it. */
static void malformed_receipts_are_refused(void **state)
{
    fx *f = *state;
    static const char *const WRONG[K_N] = {"1",     "1",  "2",  "true", "{}",
                                           "\"2\"", "-1", "{}", "0",    "[]"};
    for (int k = 0; k < K_N; k++) {
        for (int how = 0; how < 3; how++) {
            members m;
            members_of(f, &m, F.receiver);
            if (how == 0)
                m.drop = k;
            else if (how == 1)
                m.twice = k;
            else
                set(&m, k, g_strdup(WRONG[k]));
            signed_receipt sr = sign_members(&m, F.receiver);
            char *needle = how == 0   ? g_strdup_printf("the key \"%s\" is missing", KEYS[k])
                           : how == 1 ? g_strdup_printf("the key \"%s\" is repeated", KEYS[k])
                                      : g_strdup("not a receipt sohoa can read");
            assert_refused(f, &sr, needle);
            g_free(needle);
            receipt_free(&sr);
            members_clear(&m);
        }
    }
}

/* The receiver's and the volumes' objects, and the values' rules. */
static void malformed_values_are_refused(void **state)
{
    fx *f = *state;
    static const char *const cases[][3] = {
        /* member, its value (RC: the receiver's own three, V: a good volume), the message */
        {"receiver", "{\"cn\":\"x\",\"organisation\":null}", "\"cert_sha256\" is missing"},
        {"receiver", "{\"cn\":\"x\",\"cn\":\"y\",\"organisation\":null,\"cert_sha256\":null}",
         "\"cn\" is repeated"},
        {"receiver", "{\"cn\":1,\"organisation\":null,\"cert_sha256\":\"\"}", "\"\"\" expected"},
        {"receiver", "{\"cn\":\"x\",\"organisation\":null,\"cert_sha256\":\"ABC\"}",
         "not a SHA-256"},
        {"receiver",
         "{\"cn\":\"x\",\"organisation\":null,\"cert_sha256\":\""
         "0000000000000000000000000000000000000000000000000000000000000000\","
         "\"extra\":1}",
         "\"extra\" is not in sohoa-receipt/1"},
        {"volumes", "[{\"file\":\"a\",\"volume\":1,\"of\":2,\"bytes\":1}]",
         "\"sha256\" is missing"},
        {"volumes", "[{\"file\":\"a\",\"volume\":1.5,\"of\":2,\"bytes\":1,\"sha256\":null}]",
         "a whole number expected"},
        {"volumes", "[{\"file\":\"a\",\"volume\":0,\"of\":2,\"bytes\":1,\"sha256\":null}]",
         "out of range"},
        {"volumes",
         "[{\"file\":\"a\",\"volume\":1,\"of\":2,\"bytes\":1,\"sha256\":null,"
         "\"file\":\"b\"}]",
         "\"file\" is repeated"},
        {"schema", "\"sohoa-receipt/2\"", "the schema is not sohoa-receipt/1"},
        {"package", "\"not-an-id\"", "\"package\" is not a package ID"},
        {"organisation", "\"93.000\"", "not an organisation code"},
        {"verdict", "\"ACCEPTED\"", "neither \"accepted\" nor \"rejected\""},
        {"findings", "[\"receive.pdf.invalid\"]", "an accepted package with findings"},
        {"findings", "[\"no spaces\"]", "not a finding code"},
        {"findings", "[1]", "\"\"\" expected"},
        {"received_at", "\"yesterday\"", "not a UTC time"},
        {"received_at", "\"2026-12-06 10:00:00Z\"", "not a UTC time"},
        {"dossiers", "02", "a whole number expected"},
        {"documents", "1e3", "a whole number expected"},
        {"schema", "\"sohoa-receipt/1\\u0000\"", "a bad \\u escape"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        members m;
        members_of(f, &m, F.receiver);
        int k = 0;
        while (k < K_N && strcmp(KEYS[k], cases[i][0]) != 0)
            k++;
        assert_true(k < K_N);
        set(&m, k, g_strdup(cases[i][1]));
        signed_receipt sr = sign_members(&m, F.receiver);
        assert_refused(f, &sr, cases[i][2]);
        receipt_free(&sr);
        members_clear(&m);
    }
    /* the text around the object */
    members m;
    members_of(f, &m, F.receiver);
    char *good = text_of(&m);
    static const char *const around[][3] = {
        {"\xEF\xBB\xBF", "", "a byte-order mark"},
        {"", "x", "something follows the object"},
        {"[", "]", "\"{\" expected"},
        {"", "{}", "something follows the object"},
    };
    for (size_t i = 0; i < sizeof around / sizeof *around; i++) {
        signed_receipt sr =
            sign_text(g_strconcat(around[i][0], good, around[i][1], NULL), F.receiver);
        assert_refused(f, &sr, around[i][2]);
        receipt_free(&sr);
    }
    /* cut short at every length: refused, never a crash */
    size_t n = strlen(good);
    for (size_t cut = 0; cut + 2 < n; cut += 7) {
        signed_receipt sr = sign_text(g_strndup(good, cut), F.receiver);
        up_receipt_report r;
        sh_error err;
        assert_int_equal(store(f, &sr, &r, &err), SH_FINDINGS);
        receipt_free(&sr);
    }
    /* over 1 MiB */
    GString *big = g_string_new(good);
    g_string_truncate(big, big->len - 2);
    g_string_append(big, ",\"pad\":\"");
    while (big->len < UP_RECEIPT_JSON_MAX)
        g_string_append(big, "0123456789abcdef");
    g_string_append(big, "\"}");
    signed_receipt sr = sign_text(g_string_free(big, FALSE), F.receiver);
    assert_refused(f, &sr, "larger than 1 MiB");
    receipt_free(&sr);
    g_free(good);
    members_clear(&m);
}

/* A null receiver CN and organisation, as a certificate without them gives, parse. */
static void nulls_where_the_receiver_writes_them_parse(void **state)
{
    fx *f = *state;
    members m;
    members_of(f, &m, F.receiver);
    set(&m, K_ORG, g_strdup("null"));
    set(&m, K_RECEIVER,
        g_strdup("{\"cn\":null,\"organisation\":null,\"cert_sha256\":\""
                 "0000000000000000000000000000000000000000000000000000000000000000"
                 "\"}"));
    char *text = text_of(&m);
    up_receipt rc;
    sh_error err;
    sh_error_clear(&err);
    if (up_receipt_parse(text, strlen(text), "R", &rc, &err) != SH_OK)
        fail_msg("parse: %s", err.msg);
    assert_null(rc.organisation);
    assert_null(rc.receiver_cn);
    assert_true(rc.accepted);
    assert_int_equal(rc.n_volumes, 2);
    assert_int_equal(rc.volumes[1].volume, 2);
    assert_string_equal(rc.volumes[1].sha256, f->sha[1]);
    assert_int_equal(rc.n_findings, 0);
    assert_null(rc.findings[0]);
    up_receipt_clear(&rc);
    g_free(text);
    members_clear(&m);
}

/* The fuzz target's seeds (real receipts of sohoa receive, and variants) all parse. */
static void fuzz_seeds_parse(void **state)
{
    (void)state;
    const char *src = getenv("SOHOA_SOURCE");
    char *unit = g_path_get_dirname(__FILE__);
    char *root = src && *src ? g_strdup(src) : g_build_filename(unit, "..", "..", NULL);
    char *dir = g_build_filename(root, "fuzz", "corpus", "receipt", NULL);
    GDir *d = g_dir_open(dir, 0, NULL);
    assert_non_null(d);
    int n = 0;
    for (const char *name; (name = g_dir_read_name(d)) != NULL; n++) {
        char *path = g_build_filename(dir, name, NULL);
        size_t len = 0;
        char *text = test_slurp(path, &len);
        up_receipt rc;
        sh_error err;
        sh_error_clear(&err);
        if (up_receipt_parse(text, len, path, &rc, &err) != SH_OK)
            fail_msg("%s", err.msg);
        up_receipt_clear(&rc);
        g_free(text);
        g_free(path);
    }
    g_dir_close(d);
    assert_true(n >= 4);
    g_free(dir);
    g_free(root);
    g_free(unit);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(accepted_receipt_is_stored),
        T(same_receipt_again_changes_nothing),
        T(rejected_then_accepted_replaces),
        T(untrusted_signer_is_refused),
        T(flipped_byte_is_refused),
        T(unknown_package_is_refused),
        T(receipt_of_another_package_than_asked_is_refused),
        T(other_digest_is_refused),
        T(malformed_receipts_are_refused),
        T(malformed_values_are_refused),
        T(nulls_where_the_receiver_writes_them_parse),
        T(killed_replacement_is_healed),
        cmocka_unit_test(fuzz_seeds_parse),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
