/* Writing the BagIt tag files (RFC 8493): bagit.txt, bag-info.txt, the payload manifests and the
 * tag manifest. Deterministic: the same entries give the same bytes. */
#include "bag_impl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <openssl/evp.h>

#include "upload/upload.h"

static void finish(GString *s, char **out, size_t *len)
{
    *len = s->len;
    *out = g_string_free(s, FALSE);
}

sh_status up_bag_write_bagit(char **out, size_t *len, sh_error *err)
{
    (void)err;
    GString *s = g_string_new("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
    finish(s, out, len);
    return SH_OK;
}

/* One "Label: value" line; the value must be one non-empty line (no folding: values are short). */
static sh_status add_field(GString *s, const char *label, const char *value, sh_error *err)
{
    if (!value || !*value || strpbrk(value, "\r\n"))
        return sh_fail(err, SH_INTERNAL, "bag-info.txt: %s is empty or holds a line break", label);
    g_string_append_printf(s, "%s: %s\n", label, value);
    return SH_OK;
}

static bool valid_date(const char *d)
{
    if (!d || strlen(d) != 10 || d[4] != '-' || d[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return false;
    return true;
}

static sh_status check_info(const up_bag_info *info, sh_error *err)
{
    if (!up_package_id_valid(info->external_identifier))
        return sh_fail(err, SH_INTERNAL, "bag-info.txt: External-Identifier is not a package ID");
    if (!valid_date(info->bagging_date))
        return sh_fail(err, SH_INTERNAL, "bag-info.txt: Bagging-Date is not YYYY-MM-DD");
    bool split = info->bag_total > 1;
    if (split && (info->bag_count < 1 || info->bag_count > info->bag_total))
        return sh_fail(err, SH_INTERNAL, "bag-info.txt: Bag-Count %u of %u", info->bag_count,
                       info->bag_total);
    if (!split && (info->bag_count > 1 || info->bag_group_identifier))
        return sh_fail(err, SH_INTERNAL, "bag-info.txt: a bag group without volumes");
    return SH_OK;
}

sh_status up_bag_write_info(const up_bag_info *info, const up_bag_entry *entries, size_t n,
                            char **out, size_t *len, sh_error *err)
{
    sh_status st = check_info(info, err);
    if (st != SH_OK)
        return st;
    uint64_t octets = 0;
    for (size_t i = 0; i < n; i++)
        octets += entries[i].size;
    GString *s = g_string_new(NULL);
    st = add_field(s, "Source-Organization", info->source_organization, err);
    if (st == SH_OK)
        st = add_field(s, "External-Identifier", info->external_identifier, err);
    if (st == SH_OK)
        st = add_field(s, "Bagging-Date", info->bagging_date, err);
    if (st == SH_OK)
        g_string_append_printf(s, "Payload-Oxum: %" PRIu64 ".%zu\n", octets, n);
    if (st == SH_OK && info->bag_total > 1) {
        st = add_field(s, "Bag-Group-Identifier", info->bag_group_identifier, err);
        g_string_append_printf(s, "Bag-Count: %u of %u\n", info->bag_count, info->bag_total);
    }
    if (st == SH_OK)
        st = add_field(s, "Internal-Sender-Identifier", info->internal_sender_identifier, err);
    if (st == SH_OK)
        st = add_field(s, "Sohoa-Basis", info->basis, err);
    if (st != SH_OK) {
        g_string_free(s, TRUE);
        return st;
    }
    finish(s, out, len);
    return SH_OK;
}

static int by_path(const void *a, const void *b)
{
    const up_bag_entry *const *x = a, *const *y = b;
    return strcmp((*x)->path, (*y)->path);
}

static bool lower_hex(const char *h, size_t want)
{
    if (strlen(h) != want)
        return false;
    for (; *h; h++)
        if (!((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f')))
            return false;
    return true;
}

/* RFC 8493 §2.1.3: CR, LF and % in a manifest path are written %0D, %0A and %25. */
static void append_path(GString *s, const char *path)
{
    for (const char *p = path; *p; p++) {
        if (*p == '\r')
            g_string_append(s, "%0D");
        else if (*p == '\n')
            g_string_append(s, "%0A");
        else if (*p == '%')
            g_string_append(s, "%25");
        else
            g_string_append_c(s, *p);
    }
}

static sh_status manifest_lines(up_bag_alg alg, const up_bag_entry **sorted, size_t n, GString *s,
                                sh_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const up_bag_entry *e = sorted[i];
        const char *hex = alg == UP_BAG_SHA256 ? e->sha256 : e->sha512;
        if (!lower_hex(hex, alg == UP_BAG_SHA256 ? UP_BAG_SHA256_HEX : UP_BAG_SHA512_HEX))
            return sh_fail(err, SH_INTERNAL, "manifest: bad digest for %s", e->path);
        if (strncmp(e->path, "data/", 5) != 0 || !e->path[5])
            return sh_fail(err, SH_INTERNAL, "manifest: %s is not under data/", e->path);
        if (i > 0 && strcmp(sorted[i - 1]->path, e->path) == 0)
            return sh_fail(err, SH_INTERNAL, "manifest: %s is listed twice", e->path);
        g_string_append_printf(s, "%s  ", hex);
        append_path(s, e->path);
        g_string_append_c(s, '\n');
    }
    return SH_OK;
}

sh_status up_bag_write_manifest(up_bag_alg alg, const up_bag_entry *entries, size_t n, char **out,
                                size_t *len, sh_error *err)
{
    const up_bag_entry **sorted = g_try_new(const up_bag_entry *, n ? n : 1);
    if (!sorted)
        return sh_fail(err, SH_INTERNAL, "manifest: out of memory");
    for (size_t i = 0; i < n; i++)
        sorted[i] = &entries[i];
    qsort(sorted, n, sizeof *sorted, by_path); // NOLINT(bugprone-sizeof-expression): pointers
    GString *s = g_string_new(NULL);
    sh_status st = manifest_lines(alg, sorted, n, s, err);
    g_free(sorted);
    if (st != SH_OK) {
        g_string_free(s, TRUE);
        return st;
    }
    finish(s, out, len);
    return SH_OK;
}

static int by_name(const void *a, const void *b)
{
    const up_bag_tag *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

static void sha512_hex(const void *data, size_t len, char hex[UP_BAG_SHA512_HEX + 1])
{
    unsigned char md[64];
    unsigned int md_len = 0;
    if (EVP_Digest(data, len, md, &md_len, EVP_sha512(), NULL) != 1 || md_len != 64)
        memset(md, 0, sizeof md); /* never matches a real digest */
    for (int i = 0; i < 64; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

sh_status up_bag_write_tagmanifest(const up_bag_tag *tags, size_t n, char **out, size_t *len,
                                   sh_error *err)
{
    const up_bag_tag **sorted = g_try_new(const up_bag_tag *, n ? n : 1);
    if (!sorted)
        return sh_fail(err, SH_INTERNAL, "tag manifest: out of memory");
    for (size_t i = 0; i < n; i++)
        sorted[i] = &tags[i];
    qsort(sorted, n, sizeof *sorted, by_name); // NOLINT(bugprone-sizeof-expression): pointers
    GString *s = g_string_new(NULL);
    sh_status st = SH_OK;
    for (size_t i = 0; i < n && st == SH_OK; i++) {
        const up_bag_tag *t = sorted[i];
        if (strchr(t->name, '/') || strcmp(t->name, "tagmanifest-sha512.txt") == 0 ||
            (i > 0 && strcmp(sorted[i - 1]->name, t->name) == 0)) {
            st = sh_fail(err, SH_INTERNAL, "tag manifest: cannot list %s", t->name);
            break;
        }
        char hex[UP_BAG_SHA512_HEX + 1];
        sha512_hex(t->data, t->len, hex);
        g_string_append_printf(s, "%s  ", hex);
        append_path(s, t->name);
        g_string_append_c(s, '\n');
    }
    g_free(sorted);
    if (st != SH_OK) {
        g_string_free(s, TRUE);
        return st;
    }
    finish(s, out, len);
    return SH_OK;
}

void up_bag_sha512_hex(const void *data, size_t len, char hex[UP_BAG_SHA512_HEX + 1])
{
    sha512_hex(data, len, hex);
}
