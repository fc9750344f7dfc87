/* The hash-chained audit log.
 *  - Appending: ids from 1, the chain verifies, the head is the last entry; the canonical form
 *    is the compact JSON array [id,"time","station","operator","action","subject","details"]
 *    and hash = SHA-256(prev_hash hex ‖ canonical), recomputed here independently.
 *  - Tampering through SQL is found at the right entry: edited fields, deleted entries,
 *    swapped entries, a forged entry with a correct hash of its own, invalid UTF-8.
 *  - Refusals: outside a transaction, without an operator, details that are not JSON.
 *  - sh_audit_each filters (since, action exact and prefix) and sh_time_filter_valid.
 *  - Processes: two writers appending at once, and writers killed with SIGKILL mid-append,
 *    leave an intact chain with ids 1..N. */
#include "testutil.h"

#include "audit_fixture.h"

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char GENESIS[] = "0000000000000000000000000000000000000000000000000000000000000000";
static const sh_actor ACTOR = {"HN-01", "Nguyễn Văn A"};

typedef struct {
    char *dir;
    char *path; /* dir/ledger.db */
    sh_ledger *l;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = test_tmpdir("audit");
    f->path = test_path(f->dir, "ledger.db");
    sh_error err = {0};
    if (sh_ledger_open(f->path, true, &f->l, &err) != SH_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sh_ledger_close(f->l);
    test_rmtree(f->dir);
    g_free(f->path);
    g_free(f->dir);
    free(f);
    return 0;
}

static int64_t count_entries(fixture *f)
{
    return fx_int(sh_ledger_db(f->l), "SELECT count(*) FROM audit");
}

/* Append n entries with varied subjects and details; checks the ids handed out. */
static void append_n(fixture *f, int n)
{
    /* Speed only: durability is not what these tests are about. */
    fx_exec(sh_ledger_db(f->l), "PRAGMA synchronous = OFF");
    int64_t first = count_entries(f) + 1;
    for (int i = 0; i < n; i++) {
        char subject[64], details[96];
        snprintf(subject, sizeof subject, "HS-%03d/tệp %d.pdf", i, i);
        snprintf(details, sizeof details, "{\"n\":%d,\"note\":\"dòng \\\"%d\\\"\"}", i, i);
        int64_t id = 0;
        sh_error err = {0};
        if (sh_audit_record(f->l, &ACTOR, i % 2 ? "audit.note" : "document.add", subject, details,
                            &id, &err) != SH_OK)
            fail_msg("append %d: %s", i, err.msg);
        assert_int_equal(id, first + i);
    }
    fx_exec(sh_ledger_db(f->l), "PRAGMA synchronous = FULL");
}

static sh_audit_verdict verify_anchored(fixture *f, const sh_audit_anchor *anchor)
{
    sh_audit_verdict v;
    sh_error err = {0};
    if (sh_audit_verify(f->l, anchor, &v, &err) != SH_OK)
        fail_msg("sh_audit_verify: %s", err.msg);
    return v;
}

static sh_audit_verdict verify(fixture *f) { return verify_anchored(f, NULL); }

static void assert_intact(fixture *f, int64_t entries)
{
    sh_audit_verdict v = verify(f);
    if (!v.intact)
        fail_msg("chain broken at %lld: %s", (long long)v.first_bad_id, v.reason);
    assert_int_equal(v.entries, entries);
    assert_int_equal(v.head_id, entries);
}

/* Apply `sql` inside a transaction, check that verification finds entry `bad` first, then
 * roll the damage back. Returns the reason given. */
static char *tamper_expect(fixture *f, const char *sql, int64_t bad)
{
    sqlite3 *db = sh_ledger_db(f->l);
    fx_exec(db, "BEGIN");
    fx_exec(db, sql);
    sh_audit_verdict v = verify(f);
    fx_exec(db, "ROLLBACK");
    if (v.intact)
        fail_msg("not detected: %s", sql);
    if (v.first_bad_id != bad)
        fail_msg("%s: first bad entry %lld, expected %lld (%s)", sql, (long long)v.first_bad_id,
                 (long long)bad, v.reason);
    assert_true(strlen(v.reason) > 0);
    return g_strdup(v.reason);
}

/* ---- appending and verifying ---- */

static void fresh_ledger_has_an_empty_intact_chain(void **state)
{
    fixture *f = *state;
    sh_audit_verdict v = verify(f);
    assert_true(v.intact);
    assert_int_equal(v.entries, 0);
    assert_int_equal(v.head_id, 0);
    assert_string_equal(v.head_hash, GENESIS);
}

static void forty_appends_verify_intact_with_head_at_the_last(void **state)
{
    fixture *f = *state;
    append_n(f, 40);
    sh_audit_verdict v = verify(f);
    assert_true(v.intact);
    assert_int_equal(v.entries, 40);
    assert_int_equal(v.head_id, 40);
    char *last = fx_text(sh_ledger_db(f->l), "SELECT hash FROM audit WHERE id = 40");
    assert_string_equal(v.head_hash, last);
    g_free(last);
    assert_int_equal(fx_int(sh_ledger_db(f->l), "SELECT min(id) FROM audit"), 1);
}

static void canonical_form_is_the_documented_json_array(void **state)
{
    (void)state;
    sh_audit_entry e = {0};
    e.id = 7;
    g_strlcpy(e.time, "2026-11-21T13:01:15.123Z", sizeof e.time);
    e.station = "HN-01";
    e.operator_name = "Nguyễn Văn A";
    e.action = "document.add";
    e.subject = "HS-001/a\"b\\c.pdf";
    e.details = "{\"pages\":3,\"note\":\"x\\ny\"}";
    memset(e.prev_hash, 'a', SH_SHA256_HEX_LEN);
    for (int i = 1; i < SH_SHA256_HEX_LEN; i += 2)
        e.prev_hash[i] = 'b';
    char *canonical = sh_audit_canonical(&e);
    assert_string_equal(canonical, "[7,\"2026-11-21T13:01:15.123Z\",\"HN-01\",\"Nguyễn Văn A\","
                                   "\"document.add\",\"HS-001/a\\\"b\\\\c.pdf\","
                                   "\"{\\\"pages\\\":3,\\\"note\\\":\\\"x\\\\ny\\\"}\"]");
    g_free(canonical);
    /* SHA-256("abab…ab" ‖ canonical), computed with Python's hashlib. */
    char hash[SH_SHA256_HEX_LEN + 1];
    sh_audit_compute_hash(&e, hash);
    assert_string_equal(hash, "993a8dac7dade77f6ff92430322c39253f823afd3be06846b19ab4b137d40746");
}

static void stored_hashes_are_sha256_of_prev_hash_and_canonical(void **state)
{
    fixture *f = *state;
    append_n(f, 3);
    fx_entries all = fx_each(f->l, NULL);
    assert_int_equal(all.n, 3);
    const char *prev = GENESIS;
    for (size_t i = 0; i < all.n; i++) {
        sh_audit_entry *e = &all.items[i];
        assert_int_equal(e->id, (int64_t)i + 1);
        assert_string_equal(e->prev_hash, prev);
        assert_int_equal(strlen(e->time), 24);
        assert_true(sh_time_filter_valid(e->time));
        /* The canonical text, written out by hand from the stored fields. */
        char *subject_json = g_strdup_printf("HS-%03zu/tệp %zu.pdf", i, i);
        char *expected = g_strdup_printf(
            "[%zu,\"%s\",\"HN-01\",\"Nguyễn Văn A\",\"%s\",\"%s\","
            "\"{\\\"n\\\":%zu,\\\"note\\\":\\\"dòng \\\\\\\"%zu\\\\\\\"\\\"}\"]",
            i + 1, e->time, i % 2 ? "audit.note" : "document.add", subject_json, i, i);
        char *canonical = sh_audit_canonical(e);
        assert_string_equal(canonical, expected);
        /* hash = SHA-256(prev_hash hex ‖ canonical) */
        char *input = g_strconcat(e->prev_hash, expected, NULL);
        uint8_t digest[SH_SHA256_LEN];
        sh_sha256_buf(input, strlen(input), digest);
        char hex[SH_SHA256_HEX_LEN + 1];
        sh_hex(digest, sizeof digest, hex);
        assert_string_equal(e->hash, hex);
        prev = e->hash;
        g_free(input);
        g_free(canonical);
        g_free(expected);
        g_free(subject_json);
    }
    fx_entries_free(&all);
}

static void null_details_are_stored_as_an_empty_object(void **state)
{
    fixture *f = *state;
    sh_error err = {0};
    assert_int_equal(sh_audit_record(f->l, &ACTOR, "audit.note", NULL, NULL, NULL, &err), SH_OK);
    fx_entries all = fx_each(f->l, NULL);
    assert_int_equal(all.n, 1);
    assert_string_equal(all.items[0].details, "{}");
    assert_string_equal(all.items[0].subject, "");
    fx_entries_free(&all);
    assert_intact(f, 1);
}

/* ---- tampering ---- */

static void edited_fields_are_found_at_their_entry(void **state)
{
    fixture *f = *state;
    append_n(f, 40);
    const char *edits[] = {
        "UPDATE audit SET operator = 'Trần Thị B' WHERE id = 20",
        "UPDATE audit SET details = '{\"n\":999}' WHERE id = 20",
        "UPDATE audit SET time = '2020-01-01T00:00:00.000Z' WHERE id = 20",
        "UPDATE audit SET station = 'QN-02' WHERE id = 20",
        "UPDATE audit SET action = 'document.remove' WHERE id = 20",
        "UPDATE audit SET subject = 'HS-999' WHERE id = 20",
        "UPDATE audit SET hash = (SELECT hash FROM audit WHERE id = 19) WHERE id = 20",
        "UPDATE audit SET prev_hash = (SELECT hash FROM audit WHERE id = 18) WHERE id = 20",
    };
    for (size_t i = 0; i < sizeof edits / sizeof *edits; i++)
        g_free(tamper_expect(f, edits[i], 20));
    /* Each change was rolled back: the chain is whole again. */
    assert_intact(f, 40);
}

static void deleted_entries_are_reported_missing(void **state)
{
    fixture *f = *state;
    append_n(f, 40);
    char *reason = tamper_expect(f, "DELETE FROM audit WHERE id = 20", 20);
    test_assert_contains(reason, "20");
    test_assert_contains(reason, "missing");
    g_free(reason);
    reason = tamper_expect(f, "DELETE FROM audit WHERE id BETWEEN 20 AND 22", 20);
    test_assert_contains(reason, "20");
    test_assert_contains(reason, "missing");
    g_free(reason);
    reason = tamper_expect(f, "DELETE FROM audit WHERE id = 1", 1);
    test_assert_contains(reason, "missing");
    g_free(reason);
    assert_intact(f, 40);
}

static void swapped_entries_are_found_at_the_first(void **state)
{
    fixture *f = *state;
    append_n(f, 40);
    g_free(tamper_expect(f,
                         "UPDATE audit SET id = -10 WHERE id = 10;"
                         "UPDATE audit SET id = 10 WHERE id = 11;"
                         "UPDATE audit SET id = 11 WHERE id = -10;",
                         10));
    assert_intact(f, 40);
}

static void forged_entry_with_its_own_correct_hash_breaks_the_next_link(void **state)
{
    fixture *f = *state;
    append_n(f, 40);
    fx_entries all = fx_each(f->l, NULL);
    sh_audit_entry *e = &all.items[19];
    assert_int_equal(e->id, 20);
    g_free(e->operator_name);
    e->operator_name = g_strdup("Kẻ Giả Mạo");
    char *canonical = sh_audit_canonical(e);
    char *input = g_strconcat(e->prev_hash, canonical, NULL);
    uint8_t digest[SH_SHA256_LEN];
    sh_sha256_buf(input, strlen(input), digest);
    char hex[SH_SHA256_HEX_LEN + 1];
    sh_hex(digest, sizeof digest, hex);
    char *sql =
        g_strdup_printf("UPDATE audit SET operator = 'Kẻ Giả Mạo', hash = '%s' WHERE id = 20", hex);
    char *reason = tamper_expect(f, sql, 21);
    test_assert_contains(reason, "21");
    g_free(reason);
    g_free(sql);
    g_free(input);
    g_free(canonical);
    fx_entries_free(&all);
}

/* Rewrite entries 30..40 with a correct chain of hashes from entry 30 on. */
static void forge_tail(fixture *f)
{
    fx_entries all = fx_each(f->l, NULL);
    sqlite3 *db = sh_ledger_db(f->l);
    for (size_t i = 29; i < all.n; i++) {
        sh_audit_entry *e = &all.items[i];
        g_free(e->details);
        e->details = g_strdup("{\"forged\":true}");
        g_strlcpy(e->prev_hash, all.items[i - 1].hash, sizeof e->prev_hash);
        sh_audit_compute_hash(e, e->hash);
        char *sql = g_strdup_printf("UPDATE audit SET details = '%s', prev_hash = '%s', "
                                    "hash = '%s' WHERE id = %lld",
                                    e->details, e->prev_hash, e->hash, (long long)e->id);
        fx_exec(db, sql);
        g_free(sql);
    }
    fx_entries_free(&all);
}

static void anchor_exposes_a_rewritten_or_cut_back_tail(void **state)
{
    /* The last entries have no successor to betray them; a head written down earlier does. */
    fixture *f = *state;
    append_n(f, 40);
    sh_audit_verdict before = verify(f);
    sh_audit_anchor head = {.id = before.head_id};
    g_strlcpy(head.hash, before.head_hash, sizeof head.hash);
    sh_audit_anchor middle = {.id = 35};
    char *h35 = fx_text(sh_ledger_db(f->l), "SELECT hash FROM audit WHERE id = 35");
    g_strlcpy(middle.hash, h35, sizeof middle.hash);
    g_free(h35);
    assert_true(verify_anchored(f, &head).intact);
    assert_true(verify_anchored(f, &middle).intact);

    sqlite3 *db = sh_ledger_db(f->l);
    fx_exec(db, "BEGIN");
    forge_tail(f);
    sh_audit_verdict plain = verify(f), at_head = verify_anchored(f, &head),
                     at_middle = verify_anchored(f, &middle);
    fx_exec(db, "ROLLBACK");
    assert_true(plain.intact); /* consistent on its own */
    assert_string_not_equal(plain.head_hash, before.head_hash);
    assert_false(at_head.intact);
    assert_int_equal(at_head.first_bad_id, 40);
    assert_false(at_middle.intact);
    assert_int_equal(at_middle.first_bad_id, 35);

    fx_exec(db, "BEGIN");
    fx_exec(db, "DELETE FROM audit WHERE id > 37");
    plain = verify(f);
    at_head = verify_anchored(f, &head);
    at_middle = verify_anchored(f, &middle);
    fx_exec(db, "ROLLBACK");
    assert_true(plain.intact);
    assert_int_equal(plain.head_id, 37);
    assert_false(at_head.intact);
    assert_int_equal(at_head.first_bad_id, 38);
    test_assert_contains(at_head.reason, "38");
    assert_true(at_middle.intact); /* what was written down is still there */
}

static void anchor_parse_table(void **state)
{
    (void)state;
    const char *hex = "993a8dac7dade77f6ff92430322c39253f823afd3be06846b19ab4b137d40746";
    char *ok = g_strdup_printf("40:%s", hex);
    char *upper = g_ascii_strup(ok, -1);
    char *short_hash = g_strndup(ok, strlen(ok) - 1);
    char *long_hash = g_strconcat(ok, "0", NULL);
    char *zero = g_strdup_printf("0:%s", hex);
    char *negative = g_strdup_printf("-1:%s", hex);
    char *no_id = g_strdup_printf(":%s", hex);
    char *not_hex = g_strdup(ok);
    not_hex[10] = 'g';
    sh_audit_anchor a;
    assert_true(sh_audit_anchor_parse(ok, &a));
    assert_int_equal(a.id, 40);
    assert_string_equal(a.hash, hex);
    memset(&a, 0, sizeof a);
    assert_true(sh_audit_anchor_parse(upper, &a)); /* hex digits in either case */
    assert_string_equal(a.hash, hex);
    const char *bad[] = {short_hash, long_hash, zero, negative, no_id, not_hex, hex, "", "40:"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (sh_audit_anchor_parse(bad[i], &a))
            fail_msg("anchor \"%s\" was accepted", bad[i]);
    g_free(not_hex);
    g_free(no_id);
    g_free(negative);
    g_free(zero);
    g_free(long_hash);
    g_free(short_hash);
    g_free(upper);
    g_free(ok);
}

static void invalid_utf8_in_a_column_is_detected(void **state)
{
    fixture *f = *state;
    append_n(f, 10);
    g_free(tamper_expect(f, "UPDATE audit SET operator = CAST(x'4e67ff' AS TEXT) WHERE id = 5", 5));
    g_free(tamper_expect(f, "UPDATE audit SET subject = CAST(x'c328' AS TEXT) WHERE id = 7", 7));
    g_free(tamper_expect(f, "UPDATE audit SET details = CAST(x'7bff7d' AS TEXT) WHERE id = 3", 3));
    assert_intact(f, 10);
}

static void entry_added_by_hand_at_the_end_is_found(void **state)
{
    fixture *f = *state;
    append_n(f, 5);
    g_free(tamper_expect(f,
                         "INSERT INTO audit (id, time, station, operator, action, subject, "
                         "details, prev_hash, hash) SELECT 6, time, station, operator, action, "
                         "subject, details, hash, hash FROM audit WHERE id = 5",
                         6));
}

/* ---- refusals ---- */

static void append_outside_a_transaction_is_refused(void **state)
{
    fixture *f = *state;
    sh_error err = {0};
    assert_int_not_equal(sh_audit_append(f->l, &ACTOR, "audit.note", "", NULL, NULL, &err), SH_OK);
    assert_true(strlen(err.msg) > 0);
    assert_int_equal(count_entries(f), 0);
}

static void append_without_operator_is_refused(void **state)
{
    fixture *f = *state;
    const sh_actor actors[] = {{"HN-01", NULL},
                               {"HN-01", ""},
                               {NULL, "Nguyễn Văn A"},
                               {"", "Nguyễn Văn A"},
                               {"HN-01", " Nguyễn"}};
    for (size_t i = 0; i < sizeof actors / sizeof *actors; i++) {
        sh_error err = {0};
        int64_t id = -1;
        assert_int_equal(sh_audit_record(f->l, &actors[i], "audit.note", "", NULL, &id, &err),
                         SH_USAGE);
        assert_true(strlen(err.msg) > 0);
        assert_int_equal(id, -1);
        /* Inside the caller's transaction as well. */
        assert_int_equal(sh_ledger_begin(f->l, &err), SH_OK);
        assert_int_equal(sh_audit_append(f->l, &actors[i], "audit.note", "", NULL, NULL, &err),
                         SH_USAGE);
        assert_int_equal(sh_ledger_commit(f->l, &err), SH_OK);
    }
    assert_int_equal(count_entries(f), 0);
    /* The message tells how to name one. */
    sh_error err = {0};
    const sh_actor nobody = {"HN-01", NULL};
    assert_int_equal(sh_audit_record(f->l, &nobody, "audit.note", "", NULL, NULL, &err), SH_USAGE);
    test_assert_contains(err.msg, "--operator");
}

static void details_that_are_not_json_are_refused(void **state)
{
    fixture *f = *state;
    const char *bad[] = {"not json", "{", "{\"a\":}", "{\"a\":1} x", "", "{'a':1}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sh_error err = {0};
        if (sh_audit_record(f->l, &ACTOR, "audit.note", "", bad[i], NULL, &err) == SH_OK)
            fail_msg("details \"%s\" were accepted", bad[i]);
    }
    assert_int_equal(count_entries(f), 0);
}

static void bad_action_or_subject_is_refused(void **state)
{
    fixture *f = *state;
    const char *actions[] = {"", "Audit.Note", "audit note", "audit-note", NULL};
    for (size_t i = 0; i < sizeof actions / sizeof *actions; i++) {
        sh_error err = {0};
        assert_int_not_equal(sh_audit_record(f->l, &ACTOR, actions[i], "", NULL, NULL, &err),
                             SH_OK);
    }
    sh_error err = {0};
    assert_int_equal(sh_audit_record(f->l, &ACTOR, "audit.note", "HS\xff", NULL, NULL, &err),
                     SH_USAGE);
    assert_int_equal(count_entries(f), 0);
}

/* ---- reading with filters ---- */

static void set_times_and_actions(fixture *f)
{
    static const char *const rows[][2] = {
        {"2026-10-31T23:59:59.999Z", "workspace.init"}, {"2026-11-01T00:00:00.000Z", "audit.note"},
        {"2026-11-01T08:29:59.999Z", "audit.export"},   {"2026-11-01T08:30:00.000Z", "auditx.y"},
        {"2026-11-01T08:30:15.123Z", "audit.note"},     {"2026-11-01T08:30:15.124Z", "audit.notes"},
        {"2026-11-02T00:00:00.000Z", "audit"},
    };
    sh_error err = {0};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        assert_int_equal(sh_audit_record(f->l, &ACTOR, rows[i][1], "", NULL, NULL, &err), SH_OK);
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char *sql =
            g_strdup_printf("UPDATE audit SET time = '%s' WHERE id = %zu", rows[i][0], i + 1);
        fx_exec(sh_ledger_db(f->l), sql);
        g_free(sql);
    }
}

/* The ids that match, as "1,2,3". */
static char *matching(fixture *f, const char *since, const char *action)
{
    sh_audit_filter filter = {since, action};
    fx_entries got = fx_each(f->l, &filter);
    GString *ids = g_string_new(NULL);
    for (size_t i = 0; i < got.n; i++)
        g_string_append_printf(ids, "%s%lld", i ? "," : "", (long long)got.items[i].id);
    fx_entries_free(&got);
    return g_string_free(ids, FALSE);
}

static void each_filters_by_since_and_action(void **state)
{
    fixture *f = *state;
    set_times_and_actions(f);
    static const struct {
        const char *since, *action, *ids;
    } cases[] = {
        {NULL, NULL, "1,2,3,4,5,6,7"},
        {"2026-11-01", NULL, "2,3,4,5,6,7"},
        {"2026-11-02", NULL, "7"},
        {"2026-11-03", NULL, ""},
        {"2026-11-01T08:30", NULL, "4,5,6,7"},
        {"2026-11-01T08:30Z", NULL, "4,5,6,7"},
        {"2026-11-01T08:30:15Z", NULL, "5,6,7"},
        {"2026-11-01T08:30:15.123Z", NULL, "5,6,7"},
        {"2026-11-01T08:30:15.124", NULL, "6,7"},
        {NULL, "audit.note", "2,5"},
        {NULL, "audit", "2,3,5,6,7"},
        {NULL, "auditx", "4"},
        {NULL, "workspace.init", "1"},
        {NULL, "audit.not", ""},
        {NULL, "", "1,2,3,4,5,6,7"},
        {"2026-11-01T08:00Z", "audit", "3,5,6,7"},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *ids = matching(f, cases[i].since, cases[i].action);
        if (strcmp(ids, cases[i].ids) != 0) {
            print_error("since %s, action %s: got [%s], expected [%s]\n",
                        cases[i].since ? cases[i].since : "-",
                        cases[i].action ? cases[i].action : "-", ids, cases[i].ids);
            bad++;
        }
        g_free(ids);
    }
    assert_int_equal(bad, 0);
}

static sh_status stop_after_three(const sh_audit_entry *e, void *ctx, sh_error *err)
{
    (void)e;
    int *seen = ctx;
    if (++*seen == 3)
        return sh_fail(err, SH_FINDINGS, "enough");
    return SH_OK;
}

static void each_stops_when_the_visitor_fails(void **state)
{
    fixture *f = *state;
    append_n(f, 10);
    int seen = 0;
    sh_error err = {0};
    assert_int_equal(sh_audit_each(f->l, NULL, stop_after_three, &seen, &err), SH_FINDINGS);
    assert_int_equal(seen, 3);
    assert_string_equal(err.msg, "enough");
}

static void time_filter_validity_table(void **state)
{
    (void)state;
    static const struct {
        const char *t;
        bool ok;
    } cases[] = {
        {"2026-11-01", true},
        {"2026-11-01Z", true},
        {"2026-11-01T08:30", true},
        {"2026-11-01T08:30Z", true},
        {"2026-11-01T08:30:15", true},
        {"2026-11-01T08:30:15Z", true},
        {"2026-11-01T08:30:15.123", true},
        {"2026-11-01T08:30:15.123Z", true},
        {"2026-12-31", true},
        {"2026-13-01", false},
        {"2026-00-10", false},
        {"2026-11-00", false},
        {"2026-11-32", false},
        {"2026-11-01T8:30", false},
        {"2026-11-01T08", false},
        {"2026-11-01T08:", false},
        {"2026-11-01T08:3", false},
        {"2026-11-01T08:30:1", false},
        {"2026-11-01T08:30:15.1", false},
        {"2026-11-01T08:30:15.1234", false},
        {"2026-11-01 08:30", false},
        {"2026-11-1", false},
        {"26-11-01", false},
        {"2026/11/01", false},
        {"2026-11-01T", false},
        {"", false},
        {"Z", false},
        {"yesterday", false},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        if (sh_time_filter_valid(cases[i].t) != cases[i].ok) {
            print_error("\"%s\": expected %s\n", cases[i].t, cases[i].ok ? "valid" : "invalid");
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* ---- several processes ---- */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* In a child: open the ledger and append `n` entries (forever when n < 0). Never returns. */
static void child_append(const char *path, const char *station, int n)
{
    sh_ledger *l = NULL;
    sh_error err = {0};
    if (sh_ledger_open(path, false, &l, &err) != SH_OK)
        _exit(10);
    const sh_actor actor = {station, "Nguyễn Văn A"};
    for (int i = 0; n < 0 || i < n; i++) {
        if (sh_audit_record(l, &actor, "audit.note", "", "{\"child\":true}", NULL, &err) != SH_OK)
            _exit(11);
    }
    sh_ledger_close(l);
    _exit(0);
}

/* Wait for a child for up to `seconds`; kill it if it is still running. Returns the status. */
static int wait_child(pid_t pid, int seconds)
{
    int status = 0;
    for (int i = 0; i < seconds * 100; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        assert_int_equal(r, 0);
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    fail_msg("child %d did not finish in %d s", (int)pid, seconds);
    return status;
}

static void two_processes_appending_at_once_keep_the_chain(void **state)
{
    fixture *f = *state;
    enum { PER_CHILD = 150 };
    sh_ledger_close(f->l); /* no connection is carried across fork */
    f->l = NULL;
    fflush(NULL);
    pid_t kids[2];
    const char *stations[2] = {"HN-01", "HN-02"};
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0)
            child_append(f->path, stations[k], PER_CHILD);
    }
    for (int k = 0; k < 2; k++) {
        int status = wait_child(kids[k], 25);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    sh_error err = {0};
    assert_int_equal(sh_ledger_open(f->path, false, &f->l, &err), SH_OK);
    assert_intact(f, 2 * PER_CHILD);
    sqlite3 *db = sh_ledger_db(f->l);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM audit WHERE station = 'HN-01'"), PER_CHILD);
    assert_int_equal(fx_int(db, "SELECT count(*) FROM audit WHERE station = 'HN-02'"), PER_CHILD);
}

static void writers_killed_mid_append_leave_an_intact_chain(void **state)
{
    fixture *f = *state;
    append_n(f, 5);
    sh_ledger_close(f->l);
    f->l = NULL;
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    srand(seed);
    int64_t previous = 5;
    /* Ten rounds of 1-30 ms, then one long enough that the writer surely got going. */
    for (int round = 0; round < 11; round++) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            child_append(f->path, "HN-01", -1);
        sleep_ms(round < 10 ? 1 + rand() % 30 : 150);
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status = wait_child(pid, 10);
        /* Killed while appending, not stopped by an error of its own. */
        if (!WIFSIGNALED(status))
            fail_msg("round %d (seed %u): the writer exited with %d", round, seed,
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);

        sh_error err = {0};
        assert_int_equal(sh_ledger_open(f->path, false, &f->l, &err), SH_OK);
        sh_audit_verdict v = verify(f);
        if (!v.intact)
            fail_msg("round %d (seed %u): broken at %lld: %s", round, seed,
                     (long long)v.first_bad_id, v.reason);
        /* Ids 1..N with no gap, and nothing committed was lost. */
        assert_int_equal(v.entries, v.head_id);
        assert_int_equal(fx_int(sh_ledger_db(f->l), "SELECT count(*) FROM audit"), v.entries);
        assert_true(v.entries >= previous);
        previous = v.entries;
        sh_ledger_close(f->l);
        f->l = NULL;
    }
    print_message("    %lld entries appended by killed writers\n", (long long)(previous - 5));
    assert_true(previous > 5);
    sh_error err = {0};
    assert_int_equal(sh_ledger_open(f->path, false, &f->l, &err), SH_OK);
    /* Still writable after all that. */
    int64_t id = 0;
    assert_int_equal(sh_audit_record(f->l, &ACTOR, "audit.note", "", NULL, &id, &err), SH_OK);
    assert_int_equal(id, previous + 1);
    assert_intact(f, previous + 1);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(fresh_ledger_has_an_empty_intact_chain),
        T(forty_appends_verify_intact_with_head_at_the_last),
        cmocka_unit_test(canonical_form_is_the_documented_json_array),
        T(stored_hashes_are_sha256_of_prev_hash_and_canonical),
        T(null_details_are_stored_as_an_empty_object),
        T(edited_fields_are_found_at_their_entry),
        T(deleted_entries_are_reported_missing),
        T(swapped_entries_are_found_at_the_first),
        T(forged_entry_with_its_own_correct_hash_breaks_the_next_link),
        T(anchor_exposes_a_rewritten_or_cut_back_tail),
        cmocka_unit_test(anchor_parse_table),
        T(invalid_utf8_in_a_column_is_detected),
        T(entry_added_by_hand_at_the_end_is_found),
        T(append_outside_a_transaction_is_refused),
        T(append_without_operator_is_refused),
        T(details_that_are_not_json_are_refused),
        T(bad_action_or_subject_is_refused),
        T(each_filters_by_since_and_action),
        T(each_stops_when_the_visitor_fails),
        cmocka_unit_test(time_filter_validity_table),
        T(two_processes_appending_at_once_keep_the_chain),
        T(writers_killed_mid_append_leave_an_intact_chain),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
