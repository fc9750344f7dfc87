/* The tus client's requests: one libcurl handle per call (the connection is reused from one
 * request to the next), the chunk sent from memory, and the judgement of each response — which
 * failures are worth another attempt, how long to wait before it, and when to give up. */
#include "tus_impl.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A response body is never needed (tus speaks in headers): it is dropped, and one longer than
 * this is not a tus server's. */
#define BODY_MAX (1u << 20)

static size_t drop_body(char *data, size_t size, size_t n, void *ctx)
{
    (void)data;
    uint64_t *seen = ctx;
    *seen += (uint64_t)size * n;
    return *seen > BODY_MAX ? 0 : size * n; /* 0 aborts the transfer */
}

static size_t read_chunk(char *buf, size_t size, size_t n, void *ctx)
{
    up_tus_run *r = ctx;
    size_t left = r->chunk_len - r->chunk_pos;
    size_t cap = size * n < left ? size * n : left;
    memcpy(buf, r->chunk + r->chunk_pos, cap);
    r->chunk_pos += cap;
    return cap;
}

/* libcurl rewinds the body when it must send it again on the same request. */
static int seek_chunk(void *ctx, curl_off_t offset, int origin)
{
    up_tus_run *r = ctx;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > r->chunk_len)
        return CURL_SEEKFUNC_FAIL;
    r->chunk_pos = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

/* libcurl's own low-speed check averages over its last five seconds, so a stall after a burst
 * is noticed up to five seconds late; this one counts from the last byte that moved. */
static bool stall_over(up_tus_run *r, curl_off_t moved)
{
    int64_t now = g_get_monotonic_time();
    if (moved != r->moved || r->moved_at == 0) {
        r->moved = moved;
        r->moved_at = now;
        return false;
    }
    unsigned stall = r->o->stall_seconds ? r->o->stall_seconds : UP_TUS_STALL_DEFAULT;
    r->stalled = now - r->moved_at >= (int64_t)stall * G_USEC_PER_SEC;
    return r->stalled;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)ultotal;
    up_tus_run *r = ctx;
    if (stall_over(r, dlnow + ulnow))
        return 1; /* aborts the request: CURLE_ABORTED_BY_CALLBACK, resumed like a drop */
    if (r->chunk_pos > 0 && r->o->progress && ulnow > 0) {
        uint64_t sent = (uint64_t)ulnow < r->chunk_len ? (uint64_t)ulnow : r->chunk_len;
        r->o->progress(r->o->progress_ctx, r->chunk_offset + sent, r->length);
    }
    return 0;
}

/* A file named in the options must be readable now, not at the first TLS handshake. */
static sh_status check_file(const char *path, const char *what, sh_error *err)
{
    if (path && access(path, R_OK) != 0)
        return sh_fail_errno(err, SH_USAGE, errno,
                             _("cannot read %s %s: check the [upload] section of sohoa.ini"), what,
                             path);
    return SH_OK;
}

void up_tus_set_connection(CURL *c, const up_tus_options *o)
{
    long stall = o->stall_seconds ? (long)o->stall_seconds : (long)UP_TUS_STALL_DEFAULT;
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* a redirect could leave HTTPS */
    curl_easy_setopt(c, CURLOPT_USERAGENT, "sohoa/" SOHOA_VERSION);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, stall);
    /* A stall: less than one byte a second, either way, for stall seconds. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, stall);
    if (o->ca_file) {
        /* The receiver's CA only: a public CA's certificate for the host is not enough. */
        curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
        curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
    }
    if (o->client_cert)
        curl_easy_setopt(c, CURLOPT_SSLCERT, o->client_cert);
    if (o->client_key)
        curl_easy_setopt(c, CURLOPT_SSLKEY, o->client_key);
}

sh_status up_tus_open(up_tus_run *r, sh_error *err)
{
    const up_tus_options *o = r->o;
    sh_status st = check_file(o->ca_file, _("the receiver's CA file"), err);
    if (st == SH_OK)
        st = check_file(o->client_cert, _("the client certificate"), err);
    if (st == SH_OK)
        st = check_file(o->client_key, _("the client key"), err);
    if (st != SH_OK)
        return st;
    CURL *c = r->curl = curl_easy_init();
    if (!c)
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    up_tus_set_connection(c, o);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->curl_msg);
    if (o->rate_limit)
        curl_easy_setopt(c, CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t)o->rate_limit);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, drop_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body_seen);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_chunk);
    curl_easy_setopt(c, CURLOPT_READDATA, r);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_chunk);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, r);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, r);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    return SH_OK;
}

static void set_method(CURL *c, const char *method, bool with_body, curl_off_t body_len)
{
    /* A POST's empty POSTFIELDS would stay set, and libcurl would then not rewind a PATCH body
     * it retries on a new connection: headers sent, no body, a stall. */
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L); /* back to a plain request, then this one's */
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (with_body) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, body_len);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
    } else {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
}

sh_status up_tus_perform(up_tus_run *r, const char *method, const char *url,
                         struct curl_slist *extra, bool with_body, sh_error *err)
{
    /* Expect: off — a 100-continue round trip per chunk buys nothing, and some servers never
     * answer it. */
    struct curl_slist *headers = curl_slist_append(NULL, "Tus-Resumable: 1.0.0");
    struct curl_slist *h = headers ? curl_slist_append(headers, "Expect:") : NULL;
    for (const struct curl_slist *e = extra; e && h; e = e->next)
        h = curl_slist_append(headers, e->data);
    if (!h) {
        curl_slist_free_all(headers);
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    }
    CURL *c = r->curl;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    set_method(c, method, with_body, (curl_off_t)r->chunk_len);
    r->chunk_pos = 0;
    r->curl_msg[0] = '\0';
    r->body_seen = 0;
    r->moved = 0;
    r->moved_at = 0;
    r->stalled = false;
    r->cc = curl_easy_perform(c);
    r->code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
    if (with_body) {
        curl_off_t up = 0;
        if (curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK && up > 0)
            r->res->bytes_sent += (uint64_t)up;
    }
    r->chunk_pos = 0; /* no progress reports outside a PATCH */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    return SH_OK;
}

/* Failures of the configuration or of TLS trust: another attempt would fail the same way. */
static bool curl_broken(CURLcode cc)
{
    switch (cc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_OUT_OF_MEMORY:
        return true;
    default:
        return false;
    }
}

up_tus_outcome up_tus_classify(up_tus_run *r)
{
    if (r->cc == CURLE_ABORTED_BY_CALLBACK && r->stalled) {
        g_snprintf(r->problem, sizeof r->problem, _("no data moved for %u s"),
                   r->o->stall_seconds ? r->o->stall_seconds : UP_TUS_STALL_DEFAULT);
        return UP_TUS_TRANSIENT;
    }
    if (r->cc != CURLE_OK) {
        g_strlcpy(r->problem, r->curl_msg[0] ? r->curl_msg : curl_easy_strerror(r->cc),
                  sizeof r->problem);
        return curl_broken(r->cc) ? UP_TUS_BROKEN : UP_TUS_TRANSIENT;
    }
    g_snprintf(r->problem, sizeof r->problem, _("HTTP status %ld"), r->code);
    if (r->code >= 200 && r->code < 300)
        return UP_TUS_DONE;
    switch (r->code) {
    case 429:
    case 503:
        return UP_TUS_WAIT;
    case 409:
        return UP_TUS_CONFLICT;
    case 460:
        return UP_TUS_CHECKSUM;
    case 404:
    case 410:
        return UP_TUS_GONE;
    case 408: /* request timeout */
    case 423: /* locked: another request on the same upload is still running */
        return UP_TUS_TRANSIENT;
    default:
        return r->code >= 500 && r->code < 600 ? UP_TUS_TRANSIENT : UP_TUS_REFUSED;
    }
}

const char *up_tus_header(up_tus_run *r, const char *name, size_t max)
{
    struct curl_header *h = NULL;
    if (curl_easy_header(r->curl, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h)
        return NULL;
    if (h->amount > 1 && curl_easy_header(r->curl, name, h->amount - 1, CURLH_HEADER, -1, &h) !=
                             CURLHE_OK) /* a repeated header: the last one counts */
        return NULL;
    if (!h->value || strnlen(h->value, max + 1) > max)
        return NULL;
    return h->value;
}

void up_tus_succeeded(up_tus_run *r)
{
    r->failing_since = 0;
    r->failures = 0;
}

/* Exponential backoff with jitter: base, 2 base, 4 base... up to the cap, each drawn at random
 * from its upper half so that many stations cut off together do not come back together. */
static int64_t backoff_ms(const up_tus_run *r)
{
    int64_t base = r->o->backoff_ms ? (int64_t)r->o->backoff_ms : 1000;
    unsigned shift = r->failures > 1 ? r->failures - 1 : 0;
    int64_t d = base << (shift > 16 ? 16 : shift);
    if (d > UP_TUS_BACKOFF_CAP_MS)
        d = UP_TUS_BACKOFF_CAP_MS;
    return d / 2 + (int64_t)g_random_int_range(0, (gint32)(d / 2 + 1));
}

sh_status up_tus_wait(up_tus_run *r, up_tus_outcome outcome, sh_error *err)
{
    int64_t now = g_get_monotonic_time();
    if (!r->failing_since)
        r->failing_since = now;
    r->failures++;
    r->res->retries++;
    int64_t wait = -1;
    if (outcome == UP_TUS_WAIT) {
        const char *ra = up_tus_header(r, "Retry-After", 64);
        int64_t s = ra ? up_tus_retry_after(ra, (int64_t)time(NULL)) : -1;
        wait = s > 0 ? s * 1000 : (s == 0 ? 100 : -1); /* "0" is no licence to hammer */
    }
    if (wait < 0)
        wait = backoff_ms(r);
    unsigned give_up = r->o->give_up_after ? r->o->give_up_after : UP_TUS_GIVE_UP_DEFAULT;
    if (now - r->failing_since + wait * 1000 > (int64_t)give_up * G_USEC_PER_SEC) {
        r->res->retryable = true;
        return sh_fail(err, SH_INTERNAL,
                       _("the upload of %s to %s has been failing for %u seconds (last: %s); the "
                         "receiver keeps what it has: run the upload again later to resume"),
                       r->path, r->url[0] ? r->url : r->o->endpoint, give_up, r->problem);
    }
    sh_debug("tus: %s; waiting %lld ms", r->problem, (long long)wait);
    g_usleep((gulong)(wait * 1000));
    return SH_OK;
}

sh_status up_tus_fail(up_tus_run *r, const char *url, sh_error *err)
{
    if (r->cc == CURLE_PEER_FAILED_VERIFICATION && r->o->ca_file)
        return sh_fail(err, SH_USAGE,
                       _("cannot use the receiver at %s: %s; its certificate is not issued by "
                         "the CA in %s (ca_file in the [upload] section of sohoa.ini): check the "
                         "endpoint, or ask the receiver's operator for their CA certificate"),
                       url, r->problem, r->o->ca_file);
    if (r->cc != CURLE_OK)
        return sh_fail(err, curl_broken(r->cc) ? SH_USAGE : SH_INPUT,
                       _("cannot use the receiver at %s: %s; check the endpoint, the CA file and "
                         "the client certificate in the [upload] section of sohoa.ini"),
                       url, r->problem);
    if (r->code == 413)
        return sh_fail(err, SH_INPUT,
                       _("the receiver at %s refuses %s as too large (HTTP status 413): pack it "
                         "again with smaller volumes"),
                       url, r->path);
    if (r->code == 412)
        return sh_fail(err, SH_INPUT,
                       _("the receiver at %s does not speak tus 1.0.0 (HTTP status 412): check "
                         "the endpoint"),
                       url);
    return sh_fail(err, SH_INPUT,
                   _("the receiver at %s refused %s with HTTP status %ld; sending again would "
                     "not help: check the endpoint and the client certificate, and ask the "
                     "receiver's operator"),
                   url, r->path, r->code);
}
