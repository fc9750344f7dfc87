/* The page images of a PDF, read without Poppler: opening (header, cross-reference, or its
 * reconstruction, and the page tree with its inherited attributes), pages, and the streamed
 * data of images. The layers below are reader_lex.c (tokens, objects), reader_xref.c (the
 * cross-reference), reader_filter.c (stream decoders) and reader_content.c (content). */
#include "reader_impl.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Decoded bytes of an image given to a codec (JPEG, CCITT…) when the caller sets no limit:
 * far above any real scan, low enough to stop a decompression bomb. */
#define RD_MAX_CODEC_BYTES (4ull << 30)

static const double letter[4] = {0, 0, 612, 792};

/* Plain comparisons: the library needs no libm. */
static double min2(double a, double b) { return a < b ? a : b; }
static double max2(double a, double b) { return a > b ? a : b; }

/* ---- the page tree ---- */

typedef struct {
    int res;
    double media[4];
    bool has_media;
    double crop[4];
    bool has_crop;
    int rotate;
} inherited;

/* A rectangle [x0 y0 x1 y1] of finite numbers, put in order. */
static bool read_box(pdf_reader *r, robj *o, double box[4])
{
    o = pdf_rd_resolve(r, o);
    if (o->type != RO_ARRAY || o->arr.n != 4)
        return false;
    double v[4];
    for (int i = 0; i < 4; i++)
        if (!pdf_rd_num(pdf_rd_resolve(r, o->arr.items[i]), &v[i]) || !(v[i] > -1e9 && v[i] < 1e9))
            return false;
    box[0] = min2(v[0], v[2]);
    box[1] = min2(v[1], v[3]);
    box[2] = max2(v[0], v[2]);
    box[3] = max2(v[1], v[3]);
    return true;
}

static void add_page(pdf_reader *r, int num, const inherited *in)
{
    if (r->n_pages == r->pages_cap) {
        r->pages_cap = r->pages_cap ? r->pages_cap * 2 : 64;
        r->pages = g_realloc_n(r->pages, (size_t)r->pages_cap, sizeof *r->pages);
    }
    pdf_rd_page *p = &r->pages[r->n_pages++];
    p->num = num;
    p->res_holder = in->res;
    memcpy(p->media, in->has_media ? in->media : letter, sizeof p->media);
    memcpy(p->crop, in->crop, sizeof p->crop);
    p->has_crop = in->has_crop;
    p->rotate = in->rotate;
}

/* Walk the tree below node; NULL, or why it cannot be read (translated). /Count is not used:
 * the kids are. */
static const char *walk(pdf_reader *r, int num, inherited in, int depth, GHashTable *seen)
{
    if (g_hash_table_contains(seen, GINT_TO_POINTER(num)))
        return _("its page tree loops back on itself");
    g_hash_table_add(seen, GINT_TO_POINTER(num));
    robj *node = pdf_rd_fetch(r, num);
    if (node->type != RO_DICT)
        return NULL; /* a missing kid: skipped, as viewers do */
    if (pdf_rd_dict_find(node, "Resources")->type != RO_NULL)
        in.res = num;
    if (read_box(r, pdf_rd_dict_find(node, "MediaBox"), in.media))
        in.has_media = true;
    if (read_box(r, pdf_rd_dict_find(node, "CropBox"), in.crop))
        in.has_crop = true;
    int64_t rot;
    if (pdf_rd_int(pdf_rd_get(r, node, "Rotate"), &rot))
        in.rotate = rot % 90 ? 0 : (int)(((rot % 360) + 360) % 360);
    robj *kids = pdf_rd_get(r, node, "Kids");
    robj *type = pdf_rd_get(r, node, "Type");
    if (pdf_rd_is_name(type, "Page") ||
        (!pdf_rd_is_name(type, "Pages") && kids->type != RO_ARRAY)) {
        if (r->n_pages >= RD_MAX_PAGES)
            return _("it has too many pages");
        add_page(r, num, &in);
        return NULL;
    }
    if (depth >= RD_MAX_TREE_DEPTH)
        return _("its page tree is too deep");
    for (int i = 0; kids->type == RO_ARRAY && i < kids->arr.n; i++) {
        robj *kid = kids->arr.items[i];
        if (kid->type != RO_REF)
            continue;
        const char *why = walk(r, kid->ref.num, in, depth + 1, seen);
        if (why)
            return why;
    }
    return NULL;
}

static const char *load_pages(pdf_reader *r)
{
    r->n_pages = 0;
    robj *catalog = r->root ? pdf_rd_fetch(r, r->root) : &pdf_rd_null;
    robj *pages = pdf_rd_dict_find(catalog, "Pages");
    if (pages->type != RO_REF)
        return _("its page tree is missing");
    GHashTable *seen = g_hash_table_new(NULL, NULL);
    inherited in = {0};
    const char *why = walk(r, pages->ref.num, in, 0, seen);
    g_hash_table_destroy(seen);
    if (!why && r->n_pages == 0)
        why = _("it has no pages");
    return why;
}

/* ---- opening ---- */

/* "%PDF-" in the first 1024 bytes, where readers look for it (qpdf, Poppler and Acrobat alike):
 * r->header is its offset. */
static bool has_header(pdf_reader *r)
{
    uint8_t head[1024];
    size_t n = pdf_rd_file_read(&r->file, 0, head, sizeof head);
    const uint8_t *at = memmem(head, n, "%PDF-", 5);
    r->header = at ? (uint64_t)(at - head) : 0;
    return at != NULL;
}

static sh_status refuse(pdf_reader *r, sh_error *err, const char *why)
{
    sh_status st;
    if (r->encrypted)
        st = sh_fail(err, SH_INPUT,
                     _("%s is protected by a password; export it from the scanner software "
                       "without protection"),
                     r->path);
    else
        st = sh_fail(err, SH_INPUT,
                     _("%s: the PDF file cannot be opened (%s); copy it again, or scan again"),
                     r->path, why);
    pdf_reader_close(r);
    return st;
}

sh_status pdf_reader_open(const char *path, pdf_reader **out, sh_error *err)
{
    *out = NULL;
    sh_error oerr;
    int fd = sh_open_regular(path, &oerr);
    if (fd < 0) {
        if (err)
            *err = oerr;
        return oerr.status;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return sh_fail_errno(err, SH_INPUT, e, _("cannot read %s"), path);
    }
    pdf_reader *r = g_new0(pdf_reader, 1);
    r->path = g_strdup(path);
    r->file.fd = fd;
    r->file.size = (uint64_t)st.st_size;
    r->cache = g_hash_table_new(NULL, NULL);
    r->palettes = g_ptr_array_new_with_free_func(g_free);
    if (!has_header(r))
        return refuse(r, err, _("it is not a PDF file"));
    const char *why = NULL;
    if (pdf_rd_xref_read(r) && !r->encrypted)
        why = load_pages(r);
    else
        why = _("its cross-reference table is damaged");
    if (why && !r->encrypted && !r->reconstructed) {
        /* As viewers do: find the objects by scanning the file. */
        pdf_rd_reset(r);
        r->root = 0;
        why = pdf_rd_xref_reconstruct(r) ? load_pages(r) : _("no page tree was found in it");
    }
    if (r->file.error && why)
        why = g_strerror(r->file.error);
    if (why || r->encrypted)
        return refuse(r, err, why);
    pdf_rd_reset(r);
    *out = r;
    return SH_OK;
}

int pdf_reader_pages(const pdf_reader *r) { return r->n_pages; }

uint64_t pdf_reader_header(const pdf_reader *r) { return r->header; }

void pdf_reader_close(pdf_reader *r)
{
    if (!r)
        return;
    if (r->file.fd >= 0)
        close(r->file.fd);
    for (int i = 0; i < RD_BLOCKS; i++)
        g_free(r->file.blocks[i].data);
    for (int i = 0; i < RD_OBJSTM_CACHE; i++) {
        g_free(r->objstm[i].data);
        g_free(r->objstm[i].nums);
        g_free(r->objstm[i].offs);
    }
    pdf_rd_arena_reset(&r->arena);
    g_hash_table_destroy(r->cache);
    g_ptr_array_free(r->palettes, true);
    g_free(r->xref);
    g_free(r->pages);
    g_free(r->path);
    g_free(r);
}

/* ---- pages ---- */

/* The visible area: the CropBox within the MediaBox. */
static void visible_box(const pdf_rd_page *pg, double box[4])
{
    memcpy(box, pg->media, sizeof pg->media);
    if (pg->has_crop) {
        double b[4] = {max2(pg->crop[0], pg->media[0]), max2(pg->crop[1], pg->media[1]),
                       min2(pg->crop[2], pg->media[2]), min2(pg->crop[3], pg->media[3])};
        if (b[0] < b[2] && b[1] < b[3]) /* an empty intersection: the MediaBox, as viewers do */
            memcpy(box, b, sizeof b);
    }
}

sh_status pdf_rd_no_page(pdf_reader *r, int index, sh_error *err)
{
    return sh_fail(err, SH_USAGE, _("%s has no page %d (it has %d)"), r->path, index + 1,
                   r->n_pages);
}

sh_status pdf_reader_page_geometry(pdf_reader *r, int index, double box[4], int *rotate, int *num,
                                   int *gen, sh_error *err)
{
    if (index < 0 || index >= r->n_pages)
        return pdf_rd_no_page(r, index, err);
    const pdf_rd_page *pg = &r->pages[index];
    visible_box(pg, box);
    *rotate = pg->rotate;
    if (num)
        *num = pg->num;
    if (gen)
        *gen = pg->num < r->xref_len && r->xref[pg->num].type == 1 ? (int)r->xref[pg->num].gen : 0;
    return SH_OK;
}

sh_status pdf_reader_page(pdf_reader *r, int index, pdf_page_info *info, sh_error *err)
{
    memset(info, 0, sizeof *info);
    if (index < 0 || index >= r->n_pages)
        return pdf_rd_no_page(r, index, err);
    pdf_rd_reset(r);
    const pdf_rd_page *pg = &r->pages[index];
    visible_box(pg, info->box);
    info->rotate = pg->rotate;
    robj *page = pdf_rd_fetch(r, pg->num);
    if (page->type != RO_DICT) {
        info->content_ok = false;
        return SH_OK;
    }
    pdf_rd_scan_page(r, pg, page, info);
    return SH_OK;
}

/* ---- image data ---- */

struct pdf_stream {
    pdf_reader *r;
    pdf_rd_dec *dec;
    int object;
    uint64_t produced;
    uint64_t limit; /* more than this is an error */
    uint64_t end;   /* the samples an image needs: the stream ends there */
    bool failed;
    sh_error error;
};

static sh_status damaged(pdf_reader *r, int object, const char *why, sh_error *err)
{
    return sh_fail(err, SH_INPUT,
                   _("%s: the data of the image in object %d is damaged (%s); export the PDF "
                     "again from the scanning software, or scan again"),
                   r->path, object, why ? _(why) : "?");
}

sh_status pdf_image_open(pdf_reader *r, const pdf_image *img, uint64_t limit, pdf_stream **out,
                         sh_error *err)
{
    *out = NULL;
    pdf_rd_reset(r);
    robj *x = pdf_rd_fetch(r, img->object);
    pdf_rd_filter filters[RD_MAX_FILTERS];
    int nf = x->type == RO_STREAM ? pdf_rd_stream_filters(r, x, filters) : -1;
    if (nf < 0)
        return damaged(r, img->object, _("not an image stream"), err);
    int undo = nf;
    if (nf > 0 && pdf_rd_filter_codec(filters[nf - 1].kind) != PDF_CODEC_NONE)
        undo = nf - 1;
    for (int i = 0; i < undo; i++)
        if (pdf_rd_filter_codec(filters[i].kind) != PDF_CODEC_NONE)
            return sh_fail(err, SH_INPUT,
                           _("%s: the image in object %d is compressed in a way sohoa cannot "
                             "read; export the PDF again from the scanning software"),
                           r->path, img->object);
    if (nf > 0 && filters[nf - 1].kind == RF_OTHER)
        return sh_fail(err, SH_INPUT,
                       _("%s: the image in object %d is compressed in a way sohoa cannot "
                         "read; export the PDF again from the scanning software"),
                       r->path, img->object);
    pdf_rd_dec *d = pdf_rd_decoder_open(r, x, filters, undo);
    if (!d)
        return damaged(r, img->object, _("bad decoding parameters"), err);
    pdf_stream *s = g_new0(pdf_stream, 1);
    s->r = r;
    s->dec = d;
    s->object = img->object;
    s->limit = limit ? limit : RD_MAX_CODEC_BYTES;
    s->end = UINT64_MAX;
    if (undo == nf) { /* samples: exactly the rows the image has, trailing bytes ignored */
        uint64_t row = ((uint64_t)img->width * (uint64_t)(img->components ? img->components : 1) *
                            (uint64_t)img->bpc +
                        7) /
                       8;
        s->end = row * img->height;
    }
    pdf_rd_reset(r);
    *out = s;
    return SH_OK;
}

static ptrdiff_t stream_fail(pdf_stream *s, sh_error *err)
{
    s->failed = true;
    if (err)
        *err = s->error;
    return -1;
}

ptrdiff_t pdf_stream_read(pdf_stream *s, void *buf, size_t n, sh_error *err)
{
    if (s->failed)
        return stream_fail(s, err);
    if (s->produced >= s->end || n == 0)
        return 0;
    if (n > s->end - s->produced)
        n = (size_t)(s->end - s->produced);
    if (s->produced >= s->limit) {
        uint8_t more;
        ptrdiff_t k = pdf_rd_dec_read(s->dec, &more, 1);
        if (k == 0)
            return 0;
        if (k > 0)
            sh_fail(&s->error, SH_INPUT,
                    _("%s: the image in object %d holds more than %llu bytes of data; the file "
                      "may be damaged: export it again from the scanning software"),
                    s->r->path, s->object, (unsigned long long)s->limit);
        else
            damaged(s->r, s->object, pdf_rd_dec_why(s->dec), &s->error);
        return stream_fail(s, err);
    }
    if (n > s->limit - s->produced)
        n = (size_t)(s->limit - s->produced);
    if (n > PTRDIFF_MAX)
        n = PTRDIFF_MAX;
    ptrdiff_t k = pdf_rd_dec_read(s->dec, buf, n);
    if (k < 0) {
        const char *why = pdf_rd_dec_why(s->dec);
        damaged(s->r, s->object, why, &s->error);
        return stream_fail(s, err);
    }
    s->produced += (uint64_t)k;
    return k;
}

void pdf_stream_close(pdf_stream *s)
{
    if (!s)
        return;
    pdf_rd_dec_free(s->dec);
    g_free(s);
}

sh_status pdf_reader_jbig2_globals(pdf_reader *r, const pdf_image *img, uint8_t **data, size_t *len,
                                   sh_error *err)
{
    *data = NULL;
    *len = 0;
    pdf_rd_reset(r);
    robj *x = pdf_rd_fetch(r, img->object);
    pdf_rd_filter filters[RD_MAX_FILTERS];
    int nf = x->type == RO_STREAM ? pdf_rd_stream_filters(r, x, filters) : -1;
    if (nf <= 0 || filters[nf - 1].kind != RF_JBIG2)
        return SH_OK;
    robj *g = pdf_rd_get(r, filters[nf - 1].parms, "JBIG2Globals");
    if (g->type != RO_STREAM)
        return SH_OK;
    uint8_t *bytes;
    size_t n;
    if (!pdf_rd_stream_decode_all(r, g, RD_MAX_SMALL_STREAM, &bytes, &n)) {
        g_free(bytes);
        pdf_rd_reset(r);
        return damaged(r, img->object, _("its JBIG2 globals cannot be read"), err);
    }
    pdf_rd_reset(r);
    if (n == 0) {
        g_free(bytes);
        return SH_OK;
    }
    *data = bytes;
    *len = n;
    return SH_OK;
}
