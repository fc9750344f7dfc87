/* import-receipts (upload.h, up_import_receipts): the receipts brought back over the air gap on
 * a medium, DIR/<id>.json with DIR/<id>.json.p7s beside it (or DIR/receipts/..., as `sohoa
 * receive --into DIR` leaves them), each verified and stored by up_receipt_store. */
#include "receipt_impl.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

/* "<package-id>.json": the receipts' names; anything else in the folder is not looked at. */
static bool receipt_name(const char *name)
{
    size_t n = strlen(name);
    if (n != UP_PACKAGE_ID_LEN + 5 || strcmp(name + UP_PACKAGE_ID_LEN, ".json") != 0)
        return false;
    char id[UP_PACKAGE_ID_LEN + 1];
    memcpy(id, name, UP_PACKAGE_ID_LEN);
    id[UP_PACKAGE_ID_LEN] = '\0';
    return up_package_id_valid(id);
}

/* The receipts of folder dir appended to out; false (errno set) when dir cannot be read. */
static bool list_dir(const char *dir, GPtrArray *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    errno = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL; errno = 0)
        if (receipt_name(e->d_name))
            g_ptr_array_add(out, g_build_filename(dir, e->d_name, NULL));
    int errnum = errno;
    closedir(d);
    errno = errnum;
    return errnum == 0;
}

static int by_path(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read one receipt and its signature, and store it; a refusal goes to fn with its reason.
 * Returns SH_OK, SH_FINDINGS (refused) or SH_INTERNAL (stop). */
static sh_status import_one(const char *path, const up_receipt_options *o, up_receipt_fn fn,
                            void *ctx, int *stored, sh_error *err)
{
    char *json = NULL, *p7s = NULL;
    size_t json_len = 0, p7s_len = 0;
    char *sig = g_strconcat(path, ".p7s", NULL);
    sh_error e;
    sh_error_clear(&e);
    sh_status st = sh_read_file(path, UP_RECEIPT_JSON_MAX, &json, &json_len, &e);
    if (st == SH_OK && !g_file_test(sig, G_FILE_TEST_EXISTS))
        st = sh_fail(&e, SH_FINDINGS,
                     _("the receipt %s has no signature beside it (%s): copy both files from "
                       "the receiver"),
                     path, sig);
    if (st == SH_OK)
        st = sh_read_file(sig, UP_RECEIPT_P7S_MAX, &p7s, &p7s_len, &e);
    up_receipt_report r = {0};
    if (st == SH_OK)
        st = up_receipt_store(o, path, (const uint8_t *)json, json_len, (const uint8_t *)p7s,
                              p7s_len, &r, &e);
    free(json);
    free(p7s);
    g_free(sig);
    if (st == SH_INTERNAL) {
        *err = e;
        return st;
    }
    r.source = path;
    if (st != SH_OK) {
        memset(&r, 0, sizeof r);
        r.source = path;
        r.refused = e.msg;
        st = SH_FINDINGS;
    } else if (r.stored_now) {
        (*stored)++;
    }
    if (fn)
        fn(&r, ctx);
    return st;
}

sh_status up_import_receipts(const char *dir, const up_receipt_options *o, up_receipt_fn fn,
                             void *ctx, int *stored, sh_error *err)
{
    *stored = 0;
    GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
    sh_status st = SH_OK;
    if (!list_dir(dir, found)) {
        st = sh_fail_errno(err, SH_INPUT, errno,
                           _("cannot read the folder %s: give the folder the receiver's "
                             "receipts were copied into"),
                           dir);
    } else {
        char *sub = g_build_filename(dir, "receipts", NULL);
        if (g_file_test(sub, G_FILE_TEST_IS_DIR))
            SH_IGNORE_RESULT(list_dir(sub, found)); /* unreadable: none found there */
        g_free(sub);
        g_ptr_array_sort(found, by_path);
        if (found->len == 0)
            st = sh_fail(err, SH_INPUT,
                         _("%s holds no receipt (<package-id>.json with its signature "
                           "<package-id>.json.p7s beside it, or the same in %s/receipts): give "
                           "the folder the receiver's receipts were copied into"),
                         dir, dir);
    }
    sh_publish_recovery rec;
    if (st == SH_OK)
        st = sh_publish_recover(o->ledger, o->ws->root, o->actor, &rec, err);
    sh_status worst = SH_OK;
    for (guint i = 0; i < found->len && st == SH_OK; i++) {
        sh_status one = import_one(g_ptr_array_index(found, i), o, fn, ctx, stored, err);
        if (one == SH_FINDINGS)
            worst = SH_FINDINGS;
        else
            st = one;
    }
    g_ptr_array_free(found, TRUE);
    return st != SH_OK ? st : worst;
}
