/* JBIG2 (JBIG2Decode) through jbig2dec, in its embedded-stream mode (no file header: PDF keeps
 * the segments, and the shared symbols in /JBIG2Globals). jbig2dec builds the whole bilevel
 * page, so its every allocation goes through an allocator that counts them against the memory
 * limit and refuses past it: a page claiming 35000 × 35000 pixels (153 MB) fails cleanly under
 * a smaller limit. The page's own size wins over /Width /Height. JBIG2's 1 is black; PDF's
 * filter gives it as 0, black in the image's space unless /Decode [1 0]. */
#include <glib.h>
#include <stdint.h> /* before jbig2.h, which uses it without including it */
#include <stdlib.h>
#include <string.h>

#include <jbig2.h>

#include "page_image_reduce_impl.h"

#define JB_CHUNK (64 * 1024)
#define JB_HEAD 16 /* each block's size, before it; keeps malloc's alignment */

typedef struct {
    Jbig2Allocator alloc; /* first: jbig2dec hands it back to us */
    uint64_t used, limit;
    bool refused;
    char msg[256]; /* jbig2dec's first fatal error */
} jb_state;

static void *jb_malloc(Jbig2Allocator *a, size_t size)
{
    jb_state *s = (jb_state *)a;
    if (size > s->limit - s->used || s->limit - s->used - size < JB_HEAD) {
        s->refused = true;
        return NULL;
    }
    uint8_t *p = malloc(size + JB_HEAD);
    if (!p) {
        s->refused = true;
        return NULL;
    }
    memcpy(p, &size, sizeof size);
    s->used += size + JB_HEAD;
    return p + JB_HEAD;
}

static void jb_free(Jbig2Allocator *a, void *p)
{
    if (!p)
        return;
    jb_state *s = (jb_state *)a;
    uint8_t *base = (uint8_t *)p - JB_HEAD;
    size_t size;
    memcpy(&size, base, sizeof size);
    s->used -= size + JB_HEAD;
    free(base);
}

static void *jb_realloc(Jbig2Allocator *a, void *p, size_t size)
{
    if (!p)
        return jb_malloc(a, size);
    jb_state *s = (jb_state *)a;
    uint8_t *base = (uint8_t *)p - JB_HEAD;
    size_t old;
    memcpy(&old, base, sizeof old);
    if (size > old && (size - old > s->limit - s->used || size > SIZE_MAX - JB_HEAD)) {
        s->refused = true;
        return NULL; /* the old block stays the caller's */
    }
    uint8_t *q = realloc(base, size + JB_HEAD);
    if (!q) {
        s->refused = true;
        return NULL;
    }
    memcpy(q, &size, sizeof size);
    s->used = s->used - old + size;
    return q + JB_HEAD;
}

static void jb_error(void *data, const char *msg, Jbig2Severity severity, uint32_t seg_idx)
{
    (void)seg_idx;
    jb_state *s = data;
    if (severity == JBIG2_SEVERITY_FATAL && !s->msg[0] && msg)
        g_strlcpy(s->msg, msg, sizeof s->msg);
}

static sh_status damaged(const jb_state *s, const vd_job *job, sh_error *err)
{
    if (s->refused)
        return vd_too_big(_("the page's JBIG2 image"), s->limit + 1, job->mem_limit, err);
    return sh_fail(err, SH_INPUT,
                   _("the page's JBIG2 image is damaged (%s); scan the page again, or export "
                     "the PDF again from the scanner's software"),
                   s->msg[0] ? s->msg : "?");
}

/* The shared segments, decoded once into a global context. */
static Jbig2GlobalCtx *load_globals(jb_state *s, const uint8_t *globals, size_t len)
{
    Jbig2Ctx *g = jbig2_ctx_new(&s->alloc, JBIG2_OPTIONS_EMBEDDED, NULL, jb_error, s);
    if (!g)
        return NULL;
    if (jbig2_data_in(g, globals, len) < 0) {
        jbig2_ctx_free(g);
        return NULL;
    }
    return jbig2_make_global_ctx(g);
}

/* Feed the stream to ctx; -1 with err set when reading failed, 0 when decoding did, 1. */
static int feed(const vd_job *job, Jbig2Ctx *ctx, sh_error *err)
{
    uint8_t *buf = g_malloc(JB_CHUNK);
    int ok = 1;
    for (;;) {
        ptrdiff_t got = vd_read_full(job, buf, JB_CHUNK, err);
        if (got < 0) {
            ok = -1;
            break;
        }
        if (got > 0 && jbig2_data_in(ctx, buf, (size_t)got) < 0) {
            ok = 0;
            break;
        }
        if (got < JB_CHUNK)
            break;
    }
    g_free(buf);
    return ok;
}

static sh_status reduce_page(const vd_job *job, jb_state *s, const Jbig2Image *page, uint8_t **px,
                             sh_error *err)
{
    vd_box box;
    sh_status st = vd_box_init(&box, page->width, page->height, job->out_w, job->out_h,
                               job->mem_limit - s->used, err);
    if (st != SH_OK)
        return st;
    if (page->stride < (page->width + 7) / 8) {
        vd_box_free(&box);
        return damaged(s, job, err);
    }
    bool one_is_white = job->img->decode_inverted;
    for (uint32_t y = 0; y < page->height; y++)
        vd_box_add_bits(&box, page->data + (size_t)y * page->stride, one_is_white);
    vd_box_finish(&box, px);
    return SH_OK;
}

sh_status vd_decode_jbig2(const vd_job *job, const uint8_t *globals, size_t globals_len,
                          uint8_t **px, sh_error *err)
{
    /* The reduced picture is made after the page: keep room for it at the page's /Width. */
    uint64_t reserve = vd_box_bytes(job->img->width, job->out_w, job->out_h) + JB_CHUNK;
    if (reserve >= job->mem_limit)
        return vd_too_big(_("the page's JBIG2 image"), reserve, job->mem_limit, err);
    jb_state *s = g_new0(jb_state, 1);
    s->alloc = (Jbig2Allocator){jb_malloc, jb_free, jb_realloc};
    s->limit = job->mem_limit - reserve;

    sh_status st = SH_OK;
    Jbig2GlobalCtx *gctx = NULL;
    Jbig2Ctx *ctx = NULL;
    if (globals && globals_len > 0 && !(gctx = load_globals(s, globals, globals_len)))
        st = damaged(s, job, err);
    if (st == SH_OK && !(ctx = jbig2_ctx_new(&s->alloc, JBIG2_OPTIONS_EMBEDDED, gctx, jb_error, s)))
        st = damaged(s, job, err);
    if (st == SH_OK) {
        int fed = feed(job, ctx, err);
        if (fed < 0)
            st = err->status;
        else if (fed == 0 || jbig2_complete_page(ctx) < 0)
            st = damaged(s, job, err);
    }
    if (st == SH_OK) {
        Jbig2Image *page = jbig2_page_out(ctx);
        if (!page) {
            if (!s->msg[0])
                g_strlcpy(s->msg, "no page", sizeof s->msg);
            st = damaged(s, job, err);
        } else {
            st = reduce_page(job, s, page, px, err);
            jbig2_release_page(ctx, page);
        }
    }
    if (ctx)
        jbig2_ctx_free(ctx);
    if (gctx)
        jbig2_global_ctx_free(gctx);
    g_free(s);
    return st;
}
