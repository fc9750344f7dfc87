/* URLs and header values of the tus client: everything the server sends is bounded before it is
 * believed, and every URL we are about to use is held to the transport policy (HTTPS, or plain
 * HTTP to this machine only). */
#include "tus_impl.h"

#include <arpa/inet.h>
#include <glib.h>
#include <string.h>

/* Plain HTTP only where nobody else can listen in: the loopback addresses. */
static bool is_loopback(const char *host)
{
    if (g_ascii_strcasecmp(host, "localhost") == 0)
        return true;
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    size_t n = strlen(host);
    if (n > 2 && n < 64 && host[0] == '[' && host[n - 1] == ']') {
        char inner[64];
        memcpy(inner, host + 1, n - 2);
        inner[n - 2] = '\0';
        struct in6_addr a6;
        return inet_pton(AF_INET6, inner, &a6) == 1 &&
               memcmp(&a6, &in6addr_loopback, sizeof a6) == 0;
    }
    return false;
}

static char *url_part(CURLU *u, CURLUPart part)
{
    char *s = NULL;
    if (curl_url_get(u, part, &s, 0) != CURLUE_OK)
        return NULL;
    return s;
}

sh_status up_tus_check_url(const char *url, const char *what, sh_error *err)
{
    if (!url || !*url)
        return sh_fail(err, SH_USAGE,
                       _("%s is empty: give the receiver's tus URL, such as https://host/files/"),
                       what);
    if (strlen(url) >= UP_TUS_URL_MAX)
        return sh_fail(err, SH_USAGE, _("%s is longer than %u bytes: check the receiver's URL"),
                       what, UP_TUS_URL_MAX - 1);
    CURLU *u = curl_url();
    if (!u)
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    sh_status st = SH_OK;
    char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        !(scheme = url_part(u, CURLUPART_SCHEME)) || !(host = url_part(u, CURLUPART_HOST))) {
        st = sh_fail(err, SH_USAGE, _("%s %s is not a URL: write it as https://host/files/"), what,
                     url);
    } else if ((user = url_part(u, CURLUPART_USER)) ||
               (password = url_part(u, CURLUPART_PASSWORD))) {
        /* Credentials in a URL end up in ledgers and logs: TLS client certificates instead. */
        st = sh_fail(err, SH_USAGE,
                     _("%s %s carries a user name or password: remove them, and use a client "
                       "certificate for mutual TLS instead"),
                     what, url);
    } else if (g_ascii_strcasecmp(scheme, "https") != 0 &&
               !(g_ascii_strcasecmp(scheme, "http") == 0 && is_loopback(host))) {
        st = sh_fail(err, SH_USAGE,
                     _("%s %s is not HTTPS: plain HTTP is only allowed to this machine "
                       "(127.0.0.1, ::1, localhost); use https:// and the receiver's CA file"),
                     what, url);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(password);
    curl_url_cleanup(u);
    return st;
}

sh_status up_tus_resolve(const char *base, const char *ref, char out[UP_TUS_URL_MAX], sh_error *err)
{
    const char *what = _("the receiver's upload URL (Location)");
    if (!ref || !*ref || strlen(ref) >= UP_TUS_URL_MAX)
        return sh_fail(err, SH_INPUT,
                       _("the receiver at %s answered the creation without a usable Location: "
                         "check that it is a tus 1.0.0 server"),
                       base);
    CURLU *u = curl_url();
    if (!u)
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    char *full = NULL;
    sh_status st = SH_OK;
    /* Setting a relative URL on a handle holding the base resolves it (RFC 3986). */
    if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_URL, ref, 0) != CURLUE_OK ||
        !(full = url_part(u, CURLUPART_URL)) || strlen(full) >= UP_TUS_URL_MAX) {
        st = sh_fail(err, SH_INPUT,
                     _("the receiver at %s answered with the Location %.200s, which is not a URL: "
                       "check that it is a tus 1.0.0 server"),
                     base, ref);
    } else {
        st = up_tus_check_url(full, what, err);
        if (st == SH_USAGE)
            st = SH_INPUT; /* the server's doing, not the operator's */
        if (st == SH_OK)
            g_strlcpy(out, full, UP_TUS_URL_MAX);
    }
    curl_free(full);
    curl_url_cleanup(u);
    return st;
}

bool up_tus_parse_u64(const char *s, uint64_t max, uint64_t *v)
{
    if (!s || !*s)
        return false;
    uint64_t n = 0;
    size_t i = 0;
    for (; s[i]; i++) {
        if (i >= 20 || s[i] < '0' || s[i] > '9')
            return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (n > (UINT64_MAX - d) / 10)
            return false;
        n = n * 10 + d;
    }
    if (n > max)
        return false;
    *v = n;
    return true;
}

int64_t up_tus_retry_after(const char *value, int64_t now)
{
    if (!value || strlen(value) > 64)
        return -1;
    uint64_t secs;
    /* A day at most: a server asking for more is wrong, and give_up_after bounds it anyway. */
    if (value[0] >= '0' && value[0] <= '9')
        return up_tus_parse_u64(value, 86400, &secs) ? (int64_t)secs : -1;
    time_t t = curl_getdate(value, NULL);
    if (t == (time_t)-1)
        return -1;
    int64_t d = (int64_t)t - now;
    return d < 0 ? 0 : (d > 86400 ? 86400 : d);
}

static void add_pair(GString *s, const char *key, const char *value)
{
    if (!value)
        return;
    gchar *b64 = g_base64_encode((const guchar *)value, strlen(value));
    g_string_append_printf(s, "%s%s %s", s->len ? "," : "", key, b64);
    g_free(b64);
}

sh_status up_tus_metadata_header(const up_tus_metadata *md, char out[UP_TUS_METADATA_MAX],
                                 sh_error *err)
{
    GString *s = g_string_new(NULL);
    char num[16];
    add_pair(s, "package", md->package);
    if (md->volume) {
        g_snprintf(num, sizeof num, "%u", md->volume);
        add_pair(s, "volume", num);
    }
    if (md->volumes) {
        g_snprintf(num, sizeof num, "%u", md->volumes);
        add_pair(s, "volumes", num);
    }
    add_pair(s, "org", md->org);
    add_pair(s, "filename", md->filename);
    add_pair(s, "sha256", md->sha256);
    sh_status st = SH_OK;
    if (s->len >= UP_TUS_METADATA_MAX)
        st = sh_fail(err, SH_USAGE,
                     _("the upload's metadata (package, organisation, file name) is longer than "
                       "%u bytes: shorten the file name"),
                     UP_TUS_METADATA_MAX - 1);
    else
        memcpy(out, s->str, s->len + 1);
    g_string_free(s, TRUE);
    return st;
}
