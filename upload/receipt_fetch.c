/* The receiver's receipt for a package, fetched over the upload's connection settings:
 * GET /receipts/<id> and /receipts/<id>.p7s on the endpoint's scheme, host and port (the hub
 * serves the JSON and the detached CMS signature that `sohoa receive` wrote). The receipt is
 * written only once the receiver has checked the whole package, so a 404 right after the last
 * byte means "not yet": asked again with backoff for a bounded time. Nothing here is trusted:
 * up_receipt_store verifies what comes (upload_impl.h). */
#include "upload_impl.h"

#include <glib.h>
#include <string.h>

typedef struct {
    GByteArray *body;
    bool too_large;
} sink;

static size_t keep_body(char *data, size_t size, size_t n, void *ctx)
{
    sink *s = ctx;
    size_t len = size * n;
    if (s->body->len + len > UP_RECEIPT_FETCH_MAX) {
        s->too_large = true;
        return 0; /* aborts the transfer */
    }
    g_byte_array_append(s->body, (const guint8 *)data, (guint)len);
    return len;
}

/* <scheme>://<host>[:port]/receipts/<package><suffix> from the endpoint. */
static sh_status receipt_url(const char *endpoint, const char *package, const char *suffix,
                             char out[UP_TUS_URL_MAX], sh_error *err)
{
    CURLU *u = curl_url();
    char path[UP_PACKAGE_ID_LEN + 32];
    g_snprintf(path, sizeof path, "/receipts/%s%s", package, suffix);
    char *text = NULL;
    bool ok = u && curl_url_set(u, CURLUPART_URL, endpoint, 0) == CURLUE_OK &&
              curl_url_set(u, CURLUPART_PATH, path, 0) == CURLUE_OK &&
              curl_url_set(u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK &&
              curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_URL, &text, 0) == CURLUE_OK &&
              strlen(text) < UP_TUS_URL_MAX;
    if (ok)
        g_strlcpy(out, text, UP_TUS_URL_MAX);
    curl_free(text);
    curl_url_cleanup(u);
    if (!ok)
        return sh_fail(err, SH_USAGE,
                       _("the upload endpoint %s is not a URL: correct endpoint in the [upload] "
                         "section of sohoa.ini, or --to"),
                       endpoint);
    return up_tus_check_url(out, _("the receipt's URL"), err);
}

static void set_tls(CURL *c, const up_tus_options *tls)
{
    up_tus_set_connection(c, tls);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
}

/* One GET: 200 with the body in *body; else *body NULL and the reason in problem. */
static sh_status get(CURL *c, const char *url, GByteArray **body, char *problem, size_t size,
                     sh_error *err)
{
    sink s = {.body = g_byte_array_new()};
    char msg[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, msg);
    CURLcode cc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    *body = NULL;
    if (s.too_large) {
        g_byte_array_free(s.body, TRUE);
        return sh_fail(err, SH_FINDINGS,
                       _("the receipt served at %s is larger than %u bytes: it is no sohoa "
                         "receipt; ask the receiver's operator"),
                       url, UP_RECEIPT_FETCH_MAX);
    }
    if (cc == CURLE_OK && code == 200) {
        *body = s.body;
        return SH_OK;
    }
    if (cc != CURLE_OK)
        g_strlcpy(problem, msg[0] ? msg : curl_easy_strerror(cc), size);
    else if (code == 404)
        g_snprintf(problem, size, _("the receiver has not issued it yet (HTTP status 404)"));
    else
        g_snprintf(problem, size, _("HTTP status %ld"), code);
    g_byte_array_free(s.body, TRUE);
    return SH_OK;
}

static void take(GByteArray *b, uint8_t **data, size_t *len)
{
    *len = b->len;
    *data = g_byte_array_free(b, FALSE);
}

/* Both halves, or neither (the reason in out->problem). */
static sh_status fetch_once(CURL *c, const char *sig_url, up_fetched_receipt *out, sh_error *err)
{
    GByteArray *json = NULL, *p7s = NULL;
    sh_status st = get(c, out->url, &json, out->problem, sizeof out->problem, err);
    if (st == SH_OK && json)
        st = get(c, sig_url, &p7s, out->problem, sizeof out->problem, err);
    if (st == SH_OK && json && p7s) {
        take(json, &out->json, &out->json_len);
        take(p7s, &out->p7s, &out->p7s_len);
        out->found = true;
        return SH_OK;
    }
    if (json)
        g_byte_array_free(json, TRUE);
    return st;
}

sh_status up_receipt_fetch(const up_tus_options *tls, const char *package, unsigned wait_s,
                           up_fetched_receipt *out, sh_error *err)
{
    memset(out, 0, sizeof *out);
    char sig_url[UP_TUS_URL_MAX];
    sh_status st = receipt_url(tls->endpoint, package, "", out->url, err);
    if (st == SH_OK)
        st = receipt_url(tls->endpoint, package, ".p7s", sig_url, err);
    if (st != SH_OK)
        return st;
    CURL *c = curl_easy_init();
    if (!c)
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    set_tls(c, tls);
    int64_t deadline = g_get_monotonic_time() + (int64_t)wait_s * G_USEC_PER_SEC;
    int64_t pause_ms = 100; /* the receiver checks the package: seconds, usually */
    for (;;) {
        if ((st = fetch_once(c, sig_url, out, err)) != SH_OK || out->found)
            break;
        int64_t left_us = deadline - g_get_monotonic_time();
        if (left_us <= 0)
            break;
        sh_debug("receipt %s: %s; asking again in %lld ms", out->url, out->problem,
                 (long long)pause_ms);
        g_usleep((gulong)MIN(pause_ms * 1000, left_us));
        pause_ms = MIN(pause_ms * 2, 1000);
    }
    curl_easy_cleanup(c);
    return st;
}

void up_fetched_receipt_clear(up_fetched_receipt *r)
{
    g_free(r->json);
    g_free(r->p7s);
    memset(r, 0, sizeof *r);
}
