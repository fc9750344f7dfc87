/* The BagIt tag files (upload/bag.c, bag_check.c): a bag written by sohoa is valid for an outside
 * judge (tests/bagit_check.py, written from RFC 8493; sha256sum -c and sha512sum -c for the
 * manifests) and for sohoa's own checker; each damaged bag gives its documented code, in one pass,
 * and the outside judge agrees that it is damaged. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <openssl/evp.h>

#include "bag_impl.h"

#define MAX_FILES 8
#define N_TAGS 6
#define PKG_ID "01KBQ3V8J5T6X8Z9A0B1C2D3E4"

enum { T_BAGIT, T_INFO, T_M256, T_M512, T_PACKAGE, T_TAGM };
static const char *const TAG_NAME[N_TAGS] = {"bagit.txt",           "bag-info.txt",
                                             "manifest-sha256.txt", "manifest-sha512.txt",
                                             "package.json",        "tagmanifest-sha512.txt"};

typedef struct {
    char *dir;
    size_t n;
    up_bag_entry e[MAX_FILES];
    char *path[MAX_FILES];
    char *content[MAX_FILES];
    size_t clen[MAX_FILES];
    up_bag_tag tag[N_TAGS];
    char *tagdata[N_TAGS];
} bag;

static void hex(const EVP_MD *md, const char *data, size_t len, char *out)
{
    unsigned char d[64];
    unsigned n = 0;
    assert_int_equal(EVP_Digest(data, len, d, &n, md, NULL), 1);
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* The receiver's view of payload file i: its digests computed from its bytes. */
static void set_file(bag *b, size_t i, const char *path, const char *content)
{
    char *old_path = b->path[i], *old_content = b->content[i];
    b->path[i] = g_strdup(path); /* path may be old_path */
    b->content[i] = g_strdup(content);
    g_free(old_path);
    g_free(old_content);
    b->clen[i] = strlen(content);
    b->e[i].path = b->path[i];
    b->e[i].size = b->clen[i];
    hex(EVP_sha256(), content, b->clen[i], b->e[i].sha256);
    hex(EVP_sha512(), content, b->clen[i], b->e[i].sha512);
}

static void add_file(bag *b, const char *path, const char *content)
{
    assert_true(b->n < MAX_FILES);
    set_file(b, b->n++, path, content);
}

static void set_tag(bag *b, int t, char *data, size_t len)
{
    g_free(b->tagdata[t]);
    b->tagdata[t] = data;
    b->tag[t] = (up_bag_tag){TAG_NAME[t], data, len};
}

static const up_bag_info INFO = {.source_organization = "Đảng bộ Khối Cơ quan tỉnh",
                                 .external_identifier = PKG_ID,
                                 .bagging_date = "2026-12-06",
                                 .internal_sender_identifier = "TRAM-01",
                                 .basis = "Công văn 123/CV-BTC ngày 01/12/2026"};

/* (Re)writes the tag manifest over the other tag files, as they are now. */
static void reseal(bag *b)
{
    char *out;
    size_t len;
    sh_error err;
    assert_int_equal(up_bag_write_tagmanifest(b->tag, T_TAGM, &out, &len, &err), SH_OK);
    set_tag(b, T_TAGM, out, len);
}

static void write_tags(bag *b, const up_bag_info *info)
{
    char *out;
    size_t len;
    sh_error err;
    assert_int_equal(up_bag_write_bagit(&out, &len, &err), SH_OK);
    set_tag(b, T_BAGIT, out, len);
    assert_int_equal(up_bag_write_info(info, b->e, b->n, &out, &len, &err), SH_OK);
    set_tag(b, T_INFO, out, len);
    assert_int_equal(up_bag_write_manifest(UP_BAG_SHA256, b->e, b->n, &out, &len, &err), SH_OK);
    set_tag(b, T_M256, out, len);
    assert_int_equal(up_bag_write_manifest(UP_BAG_SHA512, b->e, b->n, &out, &len, &err), SH_OK);
    set_tag(b, T_M512, out, len);
    const char *json = "{\"schema\": \"sohoa-package/1\"}\n";
    set_tag(b, T_PACKAGE, g_strdup(json), strlen(json));
    reseal(b);
}

/* Three signed files, one with a Vietnamese (NFC) folder name, one with % in its name. */
static void make_bag(bag *b, const char *tag)
{
    memset(b, 0, sizeof *b);
    b->dir = test_tmpdir(tag);
    add_file(b, "data/DB01/001099012345_Nguyễn Thị Ánh/01.SoYeuLyLich_signed.pdf", "%PDF-1 a\n");
    add_file(b, "data/DB01/001099012345_Nguyễn Thị Ánh/02.QuyetDinh_signed.pdf", "%PDF-1 bb\n");
    add_file(b, "data/DB01/038088000111_Tran_Van_B/01.Don 100%_signed.pdf", "%PDF-1 ccc\n");
    write_tags(b, &INFO);
}

static void free_bag(bag *b)
{
    for (size_t i = 0; i < MAX_FILES; i++) {
        g_free(b->path[i]);
        g_free(b->content[i]);
    }
    for (int t = 0; t < N_TAGS; t++)
        g_free(b->tagdata[t]);
    test_rmtree(b->dir);
    g_free(b->dir);
}

/* The bag as a folder, for the outside judge: payload files and the tag files. */
static void save(const bag *b)
{
    for (size_t i = 0; i < b->n; i++) {
        char *full = test_path(b->dir, b->path[i]);
        char *parent = g_path_get_dirname(full);
        assert_int_equal(g_mkdir_with_parents(parent, 0755), 0);
        test_write(full, b->content[i], b->clen[i]);
        g_free(parent);
        g_free(full);
    }
    for (int t = 0; t < N_TAGS; t++)
        if (b->tag[t].name) {
            char *full = test_path(b->dir, b->tag[t].name);
            test_write(full, b->tag[t].data, b->tag[t].len);
            g_free(full);
        }
}

/* tests/bagit_check.py on the saved bag: true when it says valid. */
static bool judge(const bag *b)
{
    char *src = g_path_get_dirname(__FILE__);
    char *cmd = g_strdup_printf("python3 '%s/../bagit_check.py' '%s'", src, b->dir);
    bool ok = false;
    char *out = test_run(cmd, &ok);
    if (!ok)
        print_message("bagit_check.py: %s", out);
    g_free(out);
    g_free(cmd);
    g_free(src);
    return ok;
}

static void collect(const sh_finding *f, void *ctx)
{
    g_string_append_printf(ctx, "%s ", f->code);
    assert_non_null(f->message);
}

/* sohoa's checker: the codes of its findings in the order reported, each followed by a space. */
static char *codes(const bag *b)
{
    GString *s = g_string_new(NULL);
    size_t n = 99;
    sh_error err;
    sh_status st = up_bag_check(b->tag, N_TAGS, b->e, b->n, collect, s, &n, &err);
    assert_int_equal(st, s->len ? SH_FINDINGS : SH_OK);
    if (s->len)
        print_message("findings: %s\n", s->str);
    return g_string_free(s, FALSE);
}

static void assert_codes(const bag *b, const char *want)
{
    char *got = codes(b);
    assert_string_equal(got, want);
    g_free(got);
}

static void a_written_bag_is_valid_for_both_judges(void **state)
{
    (void)state;
    bag b;
    make_bag(&b, "bag-good");
    save(&b);
    assert_true(judge(&b));
    assert_codes(&b, "");
    /* The judge reads the bag from a ZIP as well (one top folder, as in a package). */
    char *src = g_path_get_dirname(__FILE__);
    char *base = g_path_get_basename(b.dir);
    char *zip = g_strdup_printf("cd '%s/..' && python3 -m zipfile -c '%s.zip' '%s' && "
                                "python3 '%s/../bagit_check.py' '%s.zip' && rm '%s.zip'",
                                b.dir, base, base, src, base, base);
    g_free(base);
    bool zip_ok = false;
    g_free(test_run(zip, &zip_ok));
    assert_true(zip_ok);
    g_free(zip);
    g_free(src);
    /* The manifests are in the format of sha256sum and sha512sum (which know no percent-encoding:
     * the file with '%' in its name left out). */
    b.n = 2;
    write_tags(&b, &INFO);
    save(&b);
    char *cmd = g_strdup_printf("cd '%s' && sha256sum --quiet -c manifest-sha256.txt && "
                                "sha512sum --quiet -c manifest-sha512.txt",
                                b.dir);
    bool ok = false;
    g_free(test_run(cmd, &ok));
    g_free(cmd);
    assert_true(ok);
    free_bag(&b);
}

static void tag_files_are_exact_and_deterministic(void **state)
{
    (void)state;
    bag b;
    make_bag(&b, "bag-exact");
    assert_string_equal(b.tagdata[T_BAGIT],
                        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
    assert_string_equal(b.tagdata[T_INFO], "Source-Organization: Đảng bộ Khối Cơ quan tỉnh\n"
                                           "External-Identifier: " PKG_ID "\n"
                                           "Bagging-Date: 2026-12-06\n"
                                           "Payload-Oxum: 30.3\n"
                                           "Internal-Sender-Identifier: TRAM-01\n"
                                           "Sohoa-Basis: Công văn 123/CV-BTC ngày 01/12/2026\n");
    /* Sorted bytewise by path ('0' < 'N'), '%' written %25, two spaces as sha256sum writes. */
    char *want =
        g_strdup_printf("%s  data/DB01/001099012345_Nguyễn Thị Ánh/01.SoYeuLyLich_signed.pdf\n"
                        "%s  data/DB01/001099012345_Nguyễn Thị Ánh/02.QuyetDinh_signed.pdf\n"
                        "%s  data/DB01/038088000111_Tran_Van_B/01.Don 100%%25_signed.pdf\n",
                        b.e[0].sha256, b.e[1].sha256, b.e[2].sha256);
    assert_string_equal(b.tagdata[T_M256], want);
    g_free(want);
    char *first = g_strdup(b.tagdata[T_TAGM]);
    /* The same entries in another order give the same bytes. */
    up_bag_entry swapped = b.e[0];
    b.e[0] = b.e[2];
    b.e[2] = swapped;
    write_tags(&b, &INFO);
    assert_string_equal(b.tagdata[T_TAGM], first);
    assert_non_null(strstr(first, "  bag-info.txt\n"));
    assert_null(strstr(first, "tagmanifest"));
    g_free(first);
    free_bag(&b);
}

static void split_volumes_carry_group_and_count(void **state)
{
    (void)state;
    bag b;
    make_bag(&b, "bag-split");
    up_bag_info info = INFO;
    info.bag_group_identifier = "01KBQ3V8J5T6X8Z9A0B1C2D3E5";
    info.bag_count = 2;
    info.bag_total = 3;
    write_tags(&b, &info);
    assert_non_null(strstr(b.tagdata[T_INFO], "Bag-Group-Identifier: 01KBQ3V8J5T6X8Z9A0B1C2D3E5\n"
                                              "Bag-Count: 2 of 3\n"));
    assert_codes(&b, "");
    free_bag(&b);
}

static void bad_values_are_refused_by_the_writer(void **state)
{
    (void)state;
    up_bag_entry e = {.path = "data/a_signed.pdf", .size = 1};
    memset(e.sha256, 'a', UP_BAG_SHA256_HEX);
    memset(e.sha512, 'b', UP_BAG_SHA512_HEX);
    char *out = NULL;
    size_t len;
    sh_error err;
    up_bag_info info = INFO;
    info.basis = "line one\nFake-Label: injected";
    assert_int_equal(up_bag_write_info(&info, &e, 1, &out, &len, &err), SH_INTERNAL);
    info = INFO;
    info.external_identifier = "not-an-id";
    assert_int_equal(up_bag_write_info(&info, &e, 1, &out, &len, &err), SH_INTERNAL);
    info = INFO;
    info.bag_count = 4;
    info.bag_total = 3;
    info.bag_group_identifier = "g";
    assert_int_equal(up_bag_write_info(&info, &e, 1, &out, &len, &err), SH_INTERNAL);
    up_bag_entry two[2] = {e, e};
    assert_int_equal(up_bag_write_manifest(UP_BAG_SHA256, two, 2, &out, &len, &err), SH_INTERNAL);
    two[1].path = "../etc/passwd";
    assert_int_equal(up_bag_write_manifest(UP_BAG_SHA256, two, 2, &out, &len, &err), SH_INTERNAL);
    assert_null(out);
}

static void a_swapped_file_is_a_digest_mismatch(void **state)
{
    (void)state;
    bag b;
    make_bag(&b, "bag-swap");
    set_file(&b, 1, b.path[1], "%PDF-1 XX\n"); /* same size, other bytes */
    save(&b);
    assert_false(judge(&b));
    assert_codes(&b, "receive.bag.digest_mismatch receive.bag.digest_mismatch ");
    free_bag(&b);
}

static void a_missing_manifest_line_leaves_a_file_unlisted(void **state)
{
    (void)state;
    bag b;
    make_bag(&b, "bag-unlisted");
    char *cut = strchr(b.tagdata[T_M256], '\n') + 1; /* drop the first line */
    char *rest = g_strdup(cut);
    set_tag(&b, T_M256, rest, strlen(rest));
    reseal(&b);
    save(&b);
    assert_false(judge(&b));
    assert_codes(&b, "receive.bag.unlisted_file ");
    free_bag(&b);
}

static void an_extra_file_and_a_missing_file_are_both_reported(void **state)
{
    (void)state;
    bag b;
    make_bag(&b, "bag-extra");
    add_file(&b, "data/DB01/extra_signed.pdf", "%PDF-1 d\n");
    save(&b);
    assert_false(judge(&b));
    /* Oxum first (bag-info), then each manifest. */
    assert_codes(&b, "receive.bag.oxum receive.bag.unlisted_file receive.bag.unlisted_file ");
    b.n = 2; /* the extra file and the third file gone */
    assert_codes(&b, "receive.bag.oxum receive.bag.manifest_missing_entry "
                     "receive.bag.manifest_missing_entry ");
    free_bag(&b);
}

static void a_wrong_oxum_is_reported(void **state)
{
    (void)state;
    bag b;
    make_bag(&b, "bag-oxum");
    char *info = g_strdup(b.tagdata[T_INFO]);
    char *at = strstr(info, "30.3");
    at[1] = '1'; /* 31.3 */
    set_tag(&b, T_INFO, info, strlen(info));
    reseal(&b);
    save(&b);
    assert_false(judge(&b));
    assert_codes(&b, "receive.bag.oxum ");
    free_bag(&b);
}

static void a_changed_bag_info_breaks_the_tag_manifest(void **state)
{
    (void)state;
    bag b;
    make_bag(&b, "bag-tagm");
    char *info = g_strdup_printf("%sContact-Name: someone\n", b.tagdata[T_INFO]);
    set_tag(&b, T_INFO, info, strlen(info));
    save(&b);
    assert_false(judge(&b));
    assert_codes(&b, "receive.bag.tagmanifest ");
    /* A tag file the tag manifest does not cover. */
    reseal(&b);
    b.tag[T_PACKAGE].name = "other.json";
    assert_codes(&b, "receive.bag.tagmanifest receive.bag.tagmanifest ");
    /* A manifest of another algorithm, which sohoa would not check: refused. */
    b.tag[T_PACKAGE].name = "manifest-md5.txt";
    reseal(&b);
    assert_codes(&b, "receive.bag.algorithm ");
    b.tag[T_PACKAGE].name = TAG_NAME[T_PACKAGE];
    free_bag(&b);
}

static char *with_line_ends(const char *text, const char *end)
{
    gchar **parts = g_strsplit(text, "\n", -1);
    char *out = g_strjoinv(end, parts);
    g_strfreev(parts);
    return out;
}

static void crlf_and_cr_line_ends_are_accepted(void **state)
{
    (void)state;
    const char *ends[] = {"\r\n", "\r"};
    for (int k = 0; k < 2; k++) {
        bag b;
        make_bag(&b, "bag-crlf");
        for (int t = T_BAGIT; t <= T_M512; t++) {
            char *text = with_line_ends(b.tagdata[t], ends[k]);
            set_tag(&b, t, text, strlen(text));
        }
        reseal(&b);
        save(&b);
        assert_true(judge(&b));
        assert_codes(&b, "");
        free_bag(&b);
    }
}

static void a_byte_order_mark_is_refused(void **state)
{
    (void)state;
    bag b;
    make_bag(&b, "bag-bom");
    char *text = g_strdup_printf("\xEF\xBB\xBF%s", b.tagdata[T_BAGIT]);
    set_tag(&b, T_BAGIT, text, strlen(text));
    reseal(&b);
    save(&b);
    assert_false(judge(&b));
    assert_codes(&b, "receive.bag.syntax ");
    free_bag(&b);
}

static void names_with_line_breaks_and_percent_round_trip(void **state)
{
    (void)state;
    bag b;
    make_bag(&b, "bag-percent");
    add_file(&b, "data/DB01/odd\nname\r%0A.pdf", "x");
    write_tags(&b, &INFO);
    assert_non_null(strstr(b.tagdata[T_M512], "data/DB01/odd%0Aname%0D%250A.pdf\n"));
    save(&b);
    assert_true(judge(&b));
    assert_codes(&b, "");
    free_bag(&b);
}

static void unsafe_and_non_nfc_paths_are_reported(void **state)
{
    (void)state;
    bag b;
    make_bag(&b, "bag-paths");
    /* "Ánh" decomposed (NFD): A + U+0301. Listed as such, so only the form is wrong. */
    set_file(&b, 0, "data/DB01/001099012345_Nguye\xCC\x82\xCC\x83n/A\xCC\x81nh_signed.pdf", "z");
    write_tags(&b, &INFO);
    assert_codes(&b, "receive.bag.path ");
    set_file(&b, 0, "data/../../etc/cron.d/x", "z"); /* a payload name leaving the bag */
    char *got = codes(&b);
    test_assert_contains(got, "receive.bag.path receive.bag.unlisted_file");
    g_free(got);
    set_file(&b, 0, b.path[1], "%PDF-1 bb\n"); /* the same name twice in the ZIP */
    got = codes(&b);
    test_assert_contains(got, "receive.bag.path");
    g_free(got);
    free_bag(&b);
}

static void replace_in_info(bag *b, const char *from, const char *to)
{
    char *at = strstr(b->tagdata[T_INFO], from);
    assert_non_null(at);
    char *text = g_strdup_printf("%.*s%s%s", (int)(at - b->tagdata[T_INFO]), b->tagdata[T_INFO], to,
                                 at + strlen(from));
    set_tag(b, T_INFO, text, strlen(text));
    reseal(b);
}

static void bag_info_fields_and_version_are_checked(void **state)
{
    (void)state;
    bag b;
    make_bag(&b, "bag-info");
    replace_in_info(&b, "External-Identifier: " PKG_ID, "External-Identifier: ../x");
    replace_in_info(&b, "Bagging-Date: 2026-12-06", "Bagging-Date: 6/12/2026");
    replace_in_info(&b, "Sohoa-Basis:", "Other-Basis:");
    replace_in_info(&b, "Payload-Oxum: 30.3\n",
                    "Payload-Oxum: 30.3\nBag-Group-Identifier: g\nBag-Count: 3 of 2\n");
    char *text = g_strdup("BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n");
    set_tag(&b, T_BAGIT, text, strlen(text));
    reseal(&b);
    /* Every problem in one pass. */
    assert_codes(&b, "receive.bag.version receive.bag.info_field receive.bag.info_field "
                     "receive.bag.info_field receive.bag.info_field ");
    free_bag(&b);
    /* A value folded over two lines (RFC 8493 §2.2.2) is read as one. */
    make_bag(&b, "bag-fold");
    replace_in_info(&b, "Source-Organization: Đảng bộ Khối",
                    "Source-Organization: Đảng bộ\n  Khối");
    save(&b);
    assert_true(judge(&b));
    assert_codes(&b, "");
    free_bag(&b);
}

static void missing_tag_files_are_reported(void **state)
{
    (void)state;
    bag b;
    make_bag(&b, "bag-none");
    size_t n = 0;
    sh_error err;
    GString *s = g_string_new(NULL);
    assert_int_equal(up_bag_check(NULL, 0, b.e, b.n, collect, s, &n, &err), SH_FINDINGS);
    assert_string_equal(s->str, "receive.bag.version receive.bag.info_field "
                                "receive.bag.manifest_missing receive.bag.manifest_missing "
                                "receive.bag.tagmanifest ");
    assert_int_equal(n, 5);
    g_string_free(s, TRUE);
    free_bag(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_written_bag_is_valid_for_both_judges),
        cmocka_unit_test(tag_files_are_exact_and_deterministic),
        cmocka_unit_test(split_volumes_carry_group_and_count),
        cmocka_unit_test(bad_values_are_refused_by_the_writer),
        cmocka_unit_test(a_swapped_file_is_a_digest_mismatch),
        cmocka_unit_test(a_missing_manifest_line_leaves_a_file_unlisted),
        cmocka_unit_test(an_extra_file_and_a_missing_file_are_both_reported),
        cmocka_unit_test(a_wrong_oxum_is_reported),
        cmocka_unit_test(a_changed_bag_info_breaks_the_tag_manifest),
        cmocka_unit_test(crlf_and_cr_line_ends_are_accepted),
        cmocka_unit_test(a_byte_order_mark_is_refused),
        cmocka_unit_test(names_with_line_breaks_and_percent_round_trip),
        cmocka_unit_test(unsafe_and_non_nfc_paths_are_reported),
        cmocka_unit_test(bag_info_fields_and_version_are_checked),
        cmocka_unit_test(missing_tag_files_are_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
