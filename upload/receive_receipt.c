/* The receipt of a package (docs/package.md, "The receipt"): JSON sohoa-receipt/1 and its
 * detached CMS signature by the receiver's key, each written atomically in DIR/receipts/. */
#include "receive_impl.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void volumes_json(sh_json *j, const up_rx_package *pkg)
{
    sh_json_kv_array(j, "volumes");
    for (guint i = 0; i < pkg->volumes->len; i++) {
        const up_rx_volume *v = &g_array_index(pkg->volumes, up_rx_volume, i);
        char *name = g_path_get_basename(v->file);
        char *base = up_rx_printable(name); /* a file name that is not UTF-8 */
        g_free(name);
        sh_json_begin_object(j);
        sh_json_kv_str(j, "file", base);
        sh_json_kv_int_or_null(j, "volume", v->volume, v->volume > 0);
        sh_json_kv_int_or_null(j, "of", v->volumes, v->volumes > 0);
        sh_json_kv_int(j, "bytes", (int64_t)v->bytes);
        sh_json_kv_str(j, "sha256", v->sha256[0] ? v->sha256 : NULL);
        sh_json_end_object(j);
        g_free(base);
    }
    sh_json_end_array(j);
}

/* The codes of the errors, each once, in the order found. */
static void codes_json(sh_json *j, const up_rx_package *pkg)
{
    sh_json_kv_array(j, "findings");
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < pkg->findings->len; i++) {
        const sh_finding *f = &g_array_index(pkg->findings, sh_finding, i);
        if (f->severity == SH_ERROR && g_hash_table_add(seen, (gpointer)f->code))
            sh_json_string(j, f->code);
    }
    g_hash_table_destroy(seen);
    sh_json_end_array(j);
}

static char *receipt_text(const up_rx *rx, const up_rx_package *pkg, sh_error *err)
{
    int dossiers = 0, documents = 0;
    const char *org = NULL;
    for (guint i = 0; i < pkg->volumes->len; i++) {
        const up_rx_volume *v = &g_array_index(pkg->volumes, up_rx_volume, i);
        dossiers += v->dossiers;
        documents += v->documents;
        org = org ? org : v->org;
    }
    char now[32];
    sh_utc_now(now);
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "schema", "sohoa-receipt/1");
    sh_json_kv_str(j, "package", pkg->id);
    sh_json_kv_str(j, "organisation", org);
    sh_json_kv_str(j, "verdict", pkg->errors ? "rejected" : "accepted");
    volumes_json(j, pkg);
    sh_json_kv_int(j, "dossiers", dossiers);
    sh_json_kv_int(j, "documents", documents);
    codes_json(j, pkg);
    sh_json_kv_str(j, "received_at", now);
    sh_json_kv_object(j, "receiver");
    sh_json_kv_str(j, "cn", sg_signer_cn(rx->o->signer));
    sh_json_kv_str(j, "organisation", sg_signer_organisation(rx->o->signer));
    sh_json_kv_str(j, "cert_sha256", sg_signer_cert_sha256(rx->o->signer));
    sh_json_end_object(j);
    sh_json_end_object(j);
    const char *text = sh_json_finish(j, err);
    char *out = text ? g_strconcat(text, "\n", NULL) : NULL;
    sh_json_free(j);
    return out;
}

sh_status up_rx_write_receipt(up_rx *rx, up_rx_package *pkg, sh_error *err)
{
    char *dir = g_build_filename(rx->o->into, "receipts", NULL);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        sh_status st = sh_fail_errno(err, SH_INTERNAL, errno, _("cannot make the folder %s"), dir);
        g_free(dir);
        return st;
    }
    char *text = receipt_text(rx, pkg, err);
    uint8_t *der = NULL;
    size_t der_len = 0;
    sh_status st = text ? sg_signer_sign_detached(rx->o->signer, text, strlen(text),
                                                  (int64_t)time(NULL), &der, &der_len, err)
                        : SH_INTERNAL;
    char *json = g_strdup_printf("%s/%s.json", dir, pkg->id);
    char *p7s = g_strconcat(json, ".p7s", NULL);
    /* The signature first: a reader that finds the new receipt finds its signature. */
    if (st == SH_OK)
        st = sh_write_file_atomic(p7s, der, der_len, 0, err);
    if (st == SH_OK)
        st = sh_write_file_atomic(json, text, strlen(text), 0, err);
    if (st == SH_OK) {
        pkg->receipt = json;
        json = NULL;
    }
    g_free(json);
    g_free(p7s);
    g_free(der);
    g_free(text);
    g_free(dir);
    return st;
}
