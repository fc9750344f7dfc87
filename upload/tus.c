/* The tus 1.0.0 client's protocol steps: OPTIONS (once per run), HEAD of a stored upload or POST
 * of a new one, then PATCH chunk after chunk from the server's offset — and what each failure
 * leads to (tus_impl.h). The server's offset is the only truth about what it holds: after any
 * PATCH that did not end in a 2xx, a HEAD asks for it again before the next byte. */
#include "tus_impl.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Creating anew more often than this in one call means the server forgets as fast as we send. */
#define RECREATE_MAX 3
/* A chunk damaged this many times in a row is not bad luck: back off as for other failures. */
#define CHECKSUM_RETRIES 3

/* Whether token is one of the comma-separated items of list ("1.0.0,0.2.2"). */
static bool has_token(const char *list, const char *token)
{
    if (!list)
        return false;
    size_t n = strlen(token);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        const char *last = end;
        while (last > p && last[-1] == ' ')
            last--;
        if ((size_t)(last - p) == n && g_ascii_strncasecmp(p, token, n) == 0)
            return true;
        p = end;
    }
    return false;
}

static sh_status read_caps(up_tus_run *r, up_tus_caps *caps, sh_error *err)
{
    const char *version = up_tus_header(r, "Tus-Version", 256);
    if (!has_token(version, "1.0.0"))
        return sh_fail(err, SH_INPUT,
                       _("the receiver at %s does not say it speaks tus 1.0.0 (Tus-Version: %s): "
                         "check the endpoint"),
                       r->o->endpoint, version ? version : "-");
    const char *ext = up_tus_header(r, "Tus-Extension", 1024);
    caps->creation = has_token(ext, "creation");
    caps->termination = has_token(ext, "termination");
    caps->sha256 = has_token(ext, "checksum") &&
                   has_token(up_tus_header(r, "Tus-Checksum-Algorithm", 1024), "sha256");
    uint64_t max = 0;
    const char *max_size = up_tus_header(r, "Tus-Max-Size", 32);
    caps->max_size = max_size && up_tus_parse_u64(max_size, UINT64_MAX, &max) ? max : 0;
    caps->known = true;
    return SH_OK;
}

static sh_status ask_options(up_tus_run *r, up_tus_caps *caps, sh_error *err)
{
    for (;;) {
        sh_status st = up_tus_perform(r, "OPTIONS", r->o->endpoint, NULL, false, err);
        if (st != SH_OK)
            return st;
        up_tus_outcome out = up_tus_classify(r);
        if (out == UP_TUS_DONE) {
            up_tus_succeeded(r);
            return read_caps(r, caps, err);
        }
        if (out != UP_TUS_WAIT && out != UP_TUS_TRANSIENT)
            return up_tus_fail(r, r->o->endpoint, err);
        if ((st = up_tus_wait(r, out, err)) != SH_OK)
            return st;
    }
}

/* HEAD of r->url: the server's offset into res->offset, or *gone when the server no longer
 * knows the upload or it is not this file's (another length). */
static sh_status head(up_tus_run *r, bool *gone, sh_error *err)
{
    *gone = false;
    for (;;) {
        sh_status st = up_tus_perform(r, "HEAD", r->url, NULL, false, err);
        if (st != SH_OK)
            return st;
        up_tus_outcome out = up_tus_classify(r);
        if (out == UP_TUS_GONE) {
            up_tus_succeeded(r);
            *gone = true;
            return SH_OK;
        }
        if (out == UP_TUS_WAIT || out == UP_TUS_TRANSIENT) {
            if ((st = up_tus_wait(r, out, err)) != SH_OK)
                return st;
            continue;
        }
        if (out != UP_TUS_DONE)
            return up_tus_fail(r, r->url, err);
        up_tus_succeeded(r);
        uint64_t length, offset;
        const char *offset_text = up_tus_header(r, "Upload-Offset", 32);
        if (!up_tus_parse_u64(up_tus_header(r, "Upload-Length", 32), UINT64_MAX, &length) ||
            length != r->length) {
            *gone = true; /* deferred length or another size: another file's upload */
            return SH_OK;
        }
        if (!up_tus_parse_u64(offset_text, length, &offset))
            return sh_fail(err, SH_INPUT,
                           _("the receiver's Upload-Offset for %s (%.40s) is not a number from 0 "
                             "to the file's size: check that %s is a tus 1.0.0 server"),
                           r->url, offset_text ? offset_text : "-", r->o->endpoint);
        r->res->offset = offset;
        return SH_OK;
    }
}

static sh_status created(up_tus_run *r, bool replaced, sh_error *err)
{
    sh_status st =
        up_tus_resolve(r->o->endpoint, up_tus_header(r, "Location", UP_TUS_URL_MAX), r->url, err);
    if (st != SH_OK)
        return st;
    g_strlcpy(r->res->url, r->url, sizeof r->res->url);
    r->res->offset = 0;
    r->res->created = true;
    /* Stored before the first byte: a crash from here on resumes this upload. */
    return r->o->stored(r->o->stored_ctx, r->url, replaced, err);
}

/* The answer to a POST for a volume the receiver holds already (the hub keeps one upload per
 * package volume, and never truncates it): 303, its receipt exists, nothing is to be sent; 409
 * with the held upload's Location, adopted (stored by the caller) and asked for its offset.
 * *done: the answer was one of these (else the POST failed as any other request). *again: the
 * adopted upload was gone by the time of the HEAD: POST once more. */
static sh_status held(up_tus_run *r, bool replaced, bool *done, bool *again, sh_error *err)
{
    *done = *again = false;
    const char *location = up_tus_header(r, "Location", UP_TUS_URL_MAX);
    if (r->code == 303) {
        *done = true;
        up_tus_succeeded(r);
        r->res->receipt_ready = r->res->already_complete = true;
        r->res->offset = r->length;
        return SH_OK;
    }
    if (r->code != 409 || !location)
        return SH_OK;
    *done = true;
    up_tus_succeeded(r);
    sh_status st = up_tus_resolve(r->o->endpoint, location, r->url, err);
    if (st != SH_OK)
        return st;
    g_strlcpy(r->res->url, r->url, sizeof r->res->url);
    r->res->adopted = true;
    /* Stored before the HEAD and the first byte, as a created upload's. */
    if ((st = r->o->stored(r->o->stored_ctx, r->url, replaced, err)) != SH_OK)
        return st;
    bool gone;
    if ((st = head(r, &gone, err)) != SH_OK)
        return st;
    if (gone) {
        *again = true;
        return up_tus_wait(r, UP_TUS_TRANSIENT, err);
    }
    r->res->already_complete = r->res->offset == r->length;
    return SH_OK;
}

/* POST to the endpoint: a new upload of the file's length, its URL stored by the caller. */
static sh_status create(up_tus_run *r, const up_tus_caps *caps, const char *metadata, bool replaced,
                        sh_error *err)
{
    if (!caps->creation)
        return sh_fail(err, SH_INPUT,
                       _("the receiver at %s does not offer the tus creation extension: check the "
                         "endpoint"),
                       r->o->endpoint);
    if (caps->max_size && r->length > caps->max_size)
        return sh_fail(err, SH_INPUT,
                       _("%s has %llu bytes, more than the %llu the receiver at %s takes: pack it "
                         "again with smaller volumes"),
                       r->path, (unsigned long long)r->length, (unsigned long long)caps->max_size,
                       r->o->endpoint);
    char length[48], meta[UP_TUS_METADATA_MAX + 32];
    g_snprintf(length, sizeof length, "Upload-Length: %llu", (unsigned long long)r->length);
    g_snprintf(meta, sizeof meta, "Upload-Metadata: %s", metadata);
    struct curl_slist *h = curl_slist_append(NULL, length);
    struct curl_slist *t = h ? curl_slist_append(h, meta) : NULL;
    t = t ? curl_slist_append(h, "Content-Type:") : NULL; /* an empty body has no type */
    sh_status st = t ? SH_OK : sh_fail(err, SH_INTERNAL, _("out of memory"));
    while (st == SH_OK) {
        if ((st = up_tus_perform(r, "POST", r->o->endpoint, h, false, err)) != SH_OK)
            break;
        up_tus_outcome out = up_tus_classify(r);
        if (out == UP_TUS_DONE) {
            up_tus_succeeded(r);
            st = created(r, replaced, err);
            break;
        }
        bool done, again;
        if ((st = held(r, replaced, &done, &again, err)) != SH_OK || (done && !again))
            break;
        if (again)
            continue;
        if (out != UP_TUS_WAIT && out != UP_TUS_TRANSIENT) {
            st = up_tus_fail(r, r->o->endpoint, err);
            break;
        }
        st = up_tus_wait(r, out, err);
    }
    curl_slist_free_all(h);
    return st;
}

/* The chunk at the server's offset into memory: what is hashed is what is sent. */
static sh_status load_chunk(up_tus_run *r, size_t chunk_size, sh_error *err)
{
    uint64_t left = r->length - r->res->offset;
    size_t len = left < chunk_size ? (size_t)left : chunk_size;
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(r->fd, r->chunk + got, len - got, (off_t)(r->res->offset + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sh_fail_errno(err, SH_INPUT, errno, _("cannot read %s"), r->path);
        if (n == 0)
            return sh_fail(err, SH_INPUT,
                           _("%s became shorter while it was being uploaded: make the package "
                             "again"),
                           r->path);
        got += (size_t)n;
    }
    r->chunk_len = len;
    r->chunk_offset = r->res->offset;
    return SH_OK;
}

/* One PATCH of the chunk in memory. */
static sh_status patch(up_tus_run *r, bool sha256, up_tus_outcome *out, sh_error *err)
{
    char offset[48], checksum[96];
    g_snprintf(offset, sizeof offset, "Upload-Offset: %llu", (unsigned long long)r->chunk_offset);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/offset+octet-stream");
    struct curl_slist *t = h ? curl_slist_append(h, offset) : NULL;
    if (t && sha256) {
        uint8_t digest[SH_SHA256_LEN];
        sh_sha256_buf(r->chunk, r->chunk_len, digest);
        gchar *b64 = g_base64_encode(digest, sizeof digest);
        g_snprintf(checksum, sizeof checksum, "Upload-Checksum: sha256 %s", b64);
        g_free(b64);
        t = curl_slist_append(h, checksum);
    }
    sh_status st = t ? up_tus_perform(r, "PATCH", r->url, h, true, err)
                     : sh_fail(err, SH_INTERNAL, _("out of memory"));
    curl_slist_free_all(h);
    if (st == SH_OK)
        *out = up_tus_classify(r);
    return st;
}

/* A 2xx to a PATCH: the new offset must lie within what was sent (a server may keep less). */
static sh_status accepted(up_tus_run *r, sh_error *err)
{
    const char *text = up_tus_header(r, "Upload-Offset", 32);
    uint64_t offset;
    if (!up_tus_parse_u64(text, r->chunk_offset + r->chunk_len, &offset) ||
        offset < r->chunk_offset)
        return sh_fail(err, SH_INPUT,
                       _("the receiver answered a chunk of %s with the Upload-Offset %.40s, "
                         "outside the chunk: check that %s is a tus 1.0.0 server"),
                       r->url, text ? text : "-", r->o->endpoint);
    up_tus_succeeded(r);
    r->res->offset = offset;
    if (r->o->progress)
        r->o->progress(r->o->progress_ctx, offset, r->length);
    return SH_OK;
}

typedef struct {
    const up_tus_caps *caps;
    const char *metadata;
    unsigned recreated;     /* uploads created anew in this call */
    unsigned bad_checksums; /* 460s in a row */
} sending;

/* After a PATCH failed: HEAD for the server's offset, creating anew if it forgot the upload. */
static sh_status resync(up_tus_run *r, sending *s, sh_error *err)
{
    bool gone;
    sh_status st = head(r, &gone, err);
    if (st != SH_OK || !gone)
        return st;
    if (++s->recreated > RECREATE_MAX)
        return sh_fail(err, SH_INPUT,
                       _("the receiver at %s forgot the upload of %s %u times during one run: ask "
                         "the receiver's operator about its expiry and storage"),
                       r->o->endpoint, r->path, RECREATE_MAX);
    return create(r, s->caps, s->metadata, true, err);
}

static sh_status after_patch(up_tus_run *r, sending *s, up_tus_outcome out, sh_error *err)
{
    sh_status st;
    switch (out) {
    case UP_TUS_DONE:
        s->bad_checksums = 0;
        return accepted(r, err);
    case UP_TUS_CHECKSUM:
        /* Damaged on the way: the same bytes again, at once the first few times. */
        if (++s->bad_checksums <= CHECKSUM_RETRIES)
            return SH_OK;
        if ((st = up_tus_wait(r, UP_TUS_TRANSIENT, err)) != SH_OK)
            return st;
        return resync(r, s, err);
    case UP_TUS_CONFLICT:
        return resync(r, s, err); /* 409: the server's offset is not ours */
    case UP_TUS_GONE:
        up_tus_succeeded(r);
        return resync(r, s, err); /* HEAD says 404 or 410 again, then creates */
    case UP_TUS_WAIT:
    case UP_TUS_TRANSIENT:
        if ((st = up_tus_wait(r, out, err)) != SH_OK)
            return st;
        return resync(r, s, err); /* part of the chunk may have arrived */
    default:
        return up_tus_fail(r, r->url, err);
    }
}

static sh_status send_all(up_tus_run *r, sending *s, size_t chunk_size, sh_error *err)
{
    r->chunk = g_try_malloc(chunk_size);
    if (!r->chunk)
        return sh_fail(err, SH_INTERNAL, _("out of memory"));
    sh_status st = SH_OK;
    while (st == SH_OK && r->res->offset < r->length) {
        up_tus_outcome out = UP_TUS_DONE;
        if ((st = load_chunk(r, chunk_size, err)) == SH_OK &&
            (st = patch(r, s->caps->sha256, &out, err)) == SH_OK)
            st = after_patch(r, s, out, err);
    }
    return st;
}

static sh_status check_options(const up_tus_options *o, size_t *chunk_size, sh_error *err)
{
    sh_status st = up_tus_check_url(o->endpoint, _("the upload endpoint"), err);
    if (st != SH_OK)
        return st;
    *chunk_size = o->chunk_size ? o->chunk_size : UP_TUS_CHUNK_DEFAULT;
    if (*chunk_size > UP_TUS_CHUNK_MAX)
        return sh_fail(err, SH_USAGE,
                       _("the upload chunk size %zu is more than %u bytes: lower chunk_size in the "
                         "[upload] section of sohoa.ini"),
                       *chunk_size, UP_TUS_CHUNK_MAX);
    if (!o->stored)
        return sh_fail(err, SH_INTERNAL, _("the tus client needs a callback to store the URL"));
    return SH_OK;
}

/* The upload's URL and the server's offset: the stored upload if the server still holds it
 * for this file, else a new one. */
static sh_status start(up_tus_run *r, sending *s, const char *stored_url, sh_error *err)
{
    if (!stored_url || !*stored_url)
        return create(r, s->caps, s->metadata, false, err);
    sh_status st = up_tus_check_url(stored_url, _("the stored upload URL"), err);
    if (st != SH_OK)
        return st;
    g_strlcpy(r->url, stored_url, sizeof r->url);
    g_strlcpy(r->res->url, stored_url, sizeof r->res->url);
    bool gone;
    if ((st = head(r, &gone, err)) != SH_OK)
        return st;
    if (gone)
        return create(r, s->caps, s->metadata, true, err);
    r->res->already_complete = r->res->offset == r->length;
    return SH_OK;
}

static sh_status upload_file(up_tus_run *r, const up_tus_metadata *md, const char *stored_url,
                             size_t chunk_size, sh_error *err)
{
    char metadata[UP_TUS_METADATA_MAX];
    sh_status st = up_tus_metadata_header(md, metadata, err);
    if (st != SH_OK || (st = up_tus_open(r, err)) != SH_OK)
        return st;
    up_tus_caps local = {0};
    up_tus_caps *caps = r->o->caps ? r->o->caps : &local;
    if (!caps->known && (st = ask_options(r, caps, err)) != SH_OK)
        return st;
    sending s = {.caps = caps, .metadata = metadata};
    if ((st = start(r, &s, stored_url, err)) != SH_OK)
        return st;
    return send_all(r, &s, chunk_size, err);
}

sh_status up_tus_upload(const up_tus_options *o, const char *path, const up_tus_metadata *md,
                        const char *stored_url, up_tus_result *res, sh_error *err)
{
    memset(res, 0, sizeof *res);
    size_t chunk_size;
    sh_status st = check_options(o, &chunk_size, err);
    if (st != SH_OK)
        return st;
    int fd = sh_open_regular(path, err);
    if (fd < 0)
        return err->status;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        st = sh_fail_errno(err, SH_INPUT, errno, _("cannot read %s"), path);
        close(fd);
        return st;
    }
    up_tus_run r = {.o = o, .path = path, .fd = fd, .length = (uint64_t)sb.st_size, .res = res};
    res->length = r.length;
    st = upload_file(&r, md, stored_url, chunk_size, err);
    g_strlcpy(res->url, r.url, sizeof res->url);
    g_free(r.chunk);
    if (r.curl)
        curl_easy_cleanup(r.curl);
    close(fd);
    return st;
}

sh_status up_tus_terminate(const up_tus_options *o, const char *url, sh_error *err)
{
    up_tus_result res = {0};
    up_tus_run r = {.o = o, .path = url, .fd = -1, .res = &res};
    sh_status st = up_tus_check_url(url, _("the upload URL to terminate"), err);
    if (st == SH_OK) {
        g_strlcpy(r.url, url, sizeof r.url);
        st = up_tus_open(&r, err);
    }
    while (st == SH_OK) {
        if ((st = up_tus_perform(&r, "DELETE", url, NULL, false, err)) != SH_OK)
            break;
        up_tus_outcome out = up_tus_classify(&r);
        if (out == UP_TUS_DONE || out == UP_TUS_GONE)
            break; /* gone already: as good as terminated */
        if (out != UP_TUS_WAIT && out != UP_TUS_TRANSIENT) {
            st = up_tus_fail(&r, url, err);
            break;
        }
        st = up_tus_wait(&r, out, err);
    }
    if (r.curl)
        curl_easy_cleanup(r.curl);
    return st;
}
