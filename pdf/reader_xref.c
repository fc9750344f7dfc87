/* The cross-reference: classic tables, xref streams, hybrids and /Prev chains (the newest
 * section wins), object streams, and, when all that is damaged, a table rebuilt by scanning
 * the file for "N G obj" as viewers do. Objects are fetched from it into the arena. The table
 * holds positions in the file: the offsets the file gives count from its "%PDF-" (r->header),
 * as every reader takes them when bytes come before it. */
#include "reader_impl.h"

#include <stdlib.h>
#include <string.h>

/* ---- the table ---- */

static bool xref_grow(pdf_reader *r, int num)
{
    if (num < 0 || num >= RD_MAX_OBJECTS)
        return false;
    if (num >= r->xref_cap) {
        int cap = r->xref_cap ? r->xref_cap : 1024;
        while (cap <= num)
            cap = cap > RD_MAX_OBJECTS / 2 ? RD_MAX_OBJECTS : cap * 2;
        r->xref = g_realloc_n(r->xref, (size_t)cap, sizeof *r->xref);
        memset(r->xref + r->xref_cap, 0, (size_t)(cap - r->xref_cap) * sizeof *r->xref);
        r->xref_cap = cap;
    }
    if (num >= r->xref_len)
        r->xref_len = num + 1;
    return true;
}

/* Newest wins: sections are read newest first, so an entry already set stays. */
static void xref_set(pdf_reader *r, int num, uint8_t type, uint64_t offset, uint32_t gen)
{
    if (num < 0 || num >= RD_MAX_OBJECTS)
        return;
    if (num < r->xref_len && r->xref[num].type)
        return;
    if (!xref_grow(r, num))
        return;
    r->xref[num] = (pdf_rd_xentry){.offset = offset, .gen = gen, .type = type};
}

void pdf_rd_reset(pdf_reader *r)
{
    g_hash_table_remove_all(r->cache);
    pdf_rd_arena_reset(&r->arena);
}

robj *pdf_rd_resolve(pdf_reader *r, robj *o)
{
    return o && o->type == RO_REF ? pdf_rd_fetch(r, o->ref.num) : o ? o : &pdf_rd_null;
}

robj *pdf_rd_get(pdf_reader *r, const robj *dict, const char *key)
{
    return pdf_rd_resolve(r, pdf_rd_dict_find(dict, key));
}

/* ---- parsing one indirect object ---- */

/* "N G obj" VALUE ["stream" EOL] at pos; NULL when the header is not there. With want >= 0 the
 * number must be want. */
static robj *parse_indirect(pdf_reader *r, pdf_rd_arena *arena, uint64_t pos, int want,
                            int *num_out)
{
    pdf_rd_lex lx;
    pdf_rd_lex_file(&lx, &r->file, pos, r->file.size);
    pdf_rd_parser p = {.lx = &lx, .arena = arena, .refs = true};
    pdf_rd_token n, g, k, t;
    robj *o = NULL;
    if (!pdf_rd_lex_next(&lx, &n) || n.type != RT_INT || !pdf_rd_lex_next(&lx, &g) ||
        g.type != RT_INT || !pdf_rd_lex_next(&lx, &k) || !pdf_rd_tok_is(&k, "obj") ||
        (want >= 0 && n.i != want) || n.i < 0 || n.i >= RD_MAX_OBJECTS)
        goto out;
    if (num_out)
        *num_out = (int)n.i;
    if (!pdf_rd_lex_next(&lx, &t)) {
        o = &pdf_rd_null;
        goto out;
    }
    if (pdf_rd_tok_is(&t, "endobj")) {
        o = &pdf_rd_null;
        goto out;
    }
    o = pdf_rd_parse_value(&p, &t, 0);
    if (!o || o->type == RO_KEYWORD) {
        o = o ? &pdf_rd_null : NULL;
        goto out;
    }
    if (o->type == RO_DICT) {
        uint64_t save = lx.pos;
        if (pdf_rd_lex_next(&lx, &t) && pdf_rd_tok_is(&t, "stream")) {
            /* The data starts after CRLF or LF (a lone CR tolerated; spaces before it too). */
            while (pdf_rd_lex_peek(&lx) == ' ')
                lx.pos++;
            if (pdf_rd_lex_peek(&lx) == '\r')
                lx.pos++;
            if (pdf_rd_lex_peek(&lx) == '\n')
                lx.pos++;
            robj *s = pdf_rd_alloc(arena, sizeof *s);
            if (!s) {
                o = NULL;
                goto out;
            }
            s->type = RO_STREAM;
            s->stream.dict = o;
            s->stream.data = lx.pos;
            s->stream.num = (int)n.i;
            o = s;
        } else {
            lx.pos = save;
        }
    }
out:
    pdf_rd_lex_done(&lx);
    return o;
}

/* ---- object streams ---- */

static void objstm_free(pdf_rd_objstm *s)
{
    g_free(s->data);
    g_free(s->nums);
    g_free(s->offs);
    memset(s, 0, sizeof *s);
}

static pdf_rd_objstm *objstm_load(pdf_reader *r, int num)
{
    for (int i = 0; i < RD_OBJSTM_CACHE; i++)
        if (r->objstm[i].data && r->objstm[i].num == num)
            return &r->objstm[i];
    robj *s = pdf_rd_fetch(r, num);
    int64_t n, first;
    if (s->type != RO_STREAM || !pdf_rd_int(pdf_rd_get(r, s, "N"), &n) ||
        !pdf_rd_int(pdf_rd_get(r, s, "First"), &first) || n < 0 || n > RD_MAX_ITEMS || first < 0)
        return NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    if (!pdf_rd_stream_decode_all(r, s, RD_MAX_OBJSTM, &data, &len) || (uint64_t)first > len) {
        g_free(data);
        return NULL;
    }
    pdf_rd_objstm *o = &r->objstm[r->objstm_next];
    r->objstm_next = (r->objstm_next + 1) % RD_OBJSTM_CACHE;
    objstm_free(o);
    o->num = num;
    o->data = data;
    o->len = len;
    o->nums = g_new(int, n ? n : 1);
    o->offs = g_new(size_t, n ? n : 1);
    pdf_rd_lex lx;
    pdf_rd_lex_mem(&lx, data, (size_t)first);
    pdf_rd_token a, b;
    for (o->n = 0; o->n < n; o->n++) {
        if (!pdf_rd_lex_next(&lx, &a) || !pdf_rd_lex_next(&lx, &b) || a.type != RT_INT ||
            b.type != RT_INT || b.i < 0 || (uint64_t)b.i > len - (uint64_t)first)
            break;
        o->nums[o->n] = (int)(a.i >= 0 && a.i < RD_MAX_OBJECTS ? a.i : -1);
        o->offs[o->n] = (size_t)first + (size_t)b.i;
    }
    pdf_rd_lex_done(&lx);
    return o;
}

static robj *fetch_from_objstm(pdf_reader *r, int num, int stm, uint32_t idx)
{
    pdf_rd_objstm *s = objstm_load(r, stm);
    if (!s)
        return NULL;
    int i = idx < (uint32_t)s->n && s->nums[idx] == num ? (int)idx : -1;
    for (int k = 0; i < 0 && k < s->n; k++)
        if (s->nums[k] == num)
            i = k;
    if (i < 0)
        return NULL;
    pdf_rd_lex lx;
    pdf_rd_lex_mem(&lx, s->data, s->len);
    lx.pos = s->offs[i];
    pdf_rd_parser p = {.lx = &lx, .arena = &r->arena, .refs = true};
    pdf_rd_token t;
    robj *o = pdf_rd_lex_next(&lx, &t) ? pdf_rd_parse_value(&p, &t, 0) : NULL;
    pdf_rd_lex_done(&lx);
    if (o && (o->type == RO_KEYWORD || o->type == RO_STREAM))
        o = &pdf_rd_null;
    return o;
}

/* ---- fetching ---- */

static robj *fetch_uncached(pdf_reader *r, int num)
{
    if (num <= 0 || num >= r->xref_len)
        return NULL;
    pdf_rd_xentry e = r->xref[num];
    if (e.type == 1)
        return parse_indirect(r, &r->arena, e.offset, num, NULL);
    if (e.type == 2 && e.offset < (uint64_t)RD_MAX_OBJECTS && (int)e.offset != num)
        return fetch_from_objstm(r, num, (int)e.offset, e.gen);
    return NULL;
}

robj *pdf_rd_fetch(pdf_reader *r, int num)
{
    gpointer hit = g_hash_table_lookup(r->cache, GINT_TO_POINTER(num));
    if (hit)
        return hit;
    if (r->fetch_depth >= RD_MAX_FETCH_DEPTH)
        return &pdf_rd_null;
    r->fetch_depth++;
    robj *o = fetch_uncached(r, num);
    /* An entry that does not lead to its object: the table lies; rebuild it once, as viewers
     * do, and try again. */
    if (!o && !r->reconstructed && num > 0 &&
        (num >= r->xref_len || r->xref[num].type == 0 || r->xref[num].type == 1)) {
        /* Ignored: false only says no catalog was found; the table holds whatever objects the
         * scan found, and the fetch below tells whether this one is among them. */
        SH_IGNORE_RESULT(pdf_rd_xref_reconstruct(r));
        o = fetch_uncached(r, num);
    }
    r->fetch_depth--;
    if (!o)
        o = &pdf_rd_null;
    g_hash_table_insert(r->cache, GINT_TO_POINTER(num), o);
    return o;
}

/* ---- reading the chain from startxref ---- */

/* The last "startxref" of the file: the offset it gives (from the header) as a position in the
 * file, and where the keyword is. */
static bool find_startxref(pdf_reader *r, uint64_t *offset)
{
    uint8_t tail[2048];
    uint64_t size = r->file.size;
    uint64_t from = size > sizeof tail ? size - sizeof tail : 0;
    size_t n = pdf_rd_file_read(&r->file, from, tail, (size_t)(size - from));
    for (size_t i = n >= 9 ? n - 9 : 0;; i--) {
        if (n >= 9 && memcmp(tail + i, "startxref", 9) == 0) {
            pdf_rd_lex lx;
            pdf_rd_lex_mem(&lx, tail + i + 9, n - i - 9);
            pdf_rd_token t;
            bool ok = pdf_rd_lex_next(&lx, &t) && t.type == RT_INT && t.i >= 0 &&
                      (uint64_t)t.i < size - r->header;
            pdf_rd_lex_done(&lx);
            *offset = ok ? (uint64_t)t.i + r->header : 0;
            r->startxref_at = from + i;
            return ok;
        }
        if (i == 0)
            return false;
    }
}

/* A trailer dictionary: the newest one naming a root wins; any /Encrypt means encryption (an
 * update cannot remove it from the objects before it). */
static void take_trailer(pdf_reader *r, const robj *trailer, bool is_stream)
{
    if (pdf_rd_dict_find(trailer, "Encrypt")->type != RO_NULL)
        r->encrypted = true;
    robj *root = pdf_rd_dict_find(trailer, "Root");
    if (!r->root && root->type == RO_REF)
        r->root = root->ref.num;
    if (r->newest.seen)
        return;
    r->newest.seen = true;
    r->newest.is_stream = is_stream;
    pdf_rd_int(pdf_rd_dict_find(trailer, "Size"), &r->newest.size);
    robj *info = pdf_rd_dict_find(trailer, "Info");
    if (info->type == RO_REF) {
        r->newest.info = info->ref.num;
        r->newest.info_gen = info->ref.gen;
    }
    robj *id = pdf_rd_dict_find(trailer, "ID");
    if (id->type == RO_ARRAY && id->arr.n >= 1 && id->arr.items[0]->type == RO_STRING &&
        id->arr.items[0]->str.len <= 64)
        sh_hex((const uint8_t *)id->arr.items[0]->str.s, id->arr.items[0]->str.len, r->newest.id0);
}

typedef struct {
    int num;
    uint32_t gen;
    uint64_t offset;
    bool used;
} table_entry;

/* "xref" was read: subsections of "offset gen n|f" (token by token, so a wrong line ending does
 * not matter), then "trailer" and its dictionary. */
static robj *read_xref_table(pdf_reader *r, pdf_rd_lex *lx, GArray *entries)
{
    pdf_rd_token t, a, b, k;
    for (;;) {
        if (!pdf_rd_lex_next(lx, &t))
            return NULL;
        if (pdf_rd_tok_is(&t, "trailer"))
            break;
        if (t.type != RT_INT || !pdf_rd_lex_next(lx, &a) || a.type != RT_INT || t.i < 0 ||
            a.i < 0 || t.i + a.i > RD_MAX_OBJECTS)
            return NULL;
        int64_t start = t.i;
        for (int64_t i = 0; i < a.i; i++) {
            if (!pdf_rd_lex_next(lx, &t) || !pdf_rd_lex_next(lx, &b) || !pdf_rd_lex_next(lx, &k) ||
                t.type != RT_INT || b.type != RT_INT || k.type != RT_KEYWORD || t.i < 0)
                return NULL;
            table_entry e = {.num = (int)(start + i),
                             .gen = (uint32_t)(b.i & 0xffff),
                             .offset = (uint64_t)t.i,
                             .used = k.s[0] == 'n'};
            g_array_append_val(entries, e);
        }
    }
    if (!pdf_rd_lex_next(lx, &t) || t.type != RT_DICT_OPEN)
        return NULL;
    pdf_rd_parser p = {.lx = lx, .arena = &r->arena, .refs = true};
    robj *d = pdf_rd_parse_value(&p, &t, 0);
    return d && d->type == RO_DICT ? d : NULL;
}

/* Big-endian field of w bytes; the default when w is 0. */
static uint64_t field(const uint8_t *p, int w, uint64_t dflt)
{
    if (w == 0)
        return dflt;
    uint64_t v = 0;
    for (int i = 0; i < w; i++)
        v = v << 8 | p[i];
    return v;
}

/* A /Type /XRef stream: rows of /W fields for the numbers its /Index lists, read row by row. */
static bool read_xref_stream(pdf_reader *r, robj *s)
{
    robj *wa = pdf_rd_get(r, s, "W");
    int64_t size, w[3];
    if (wa->type != RO_ARRAY || wa->arr.n < 3 || !pdf_rd_int(pdf_rd_get(r, s, "Size"), &size) ||
        size < 0 || size > RD_MAX_OBJECTS)
        return false;
    for (int i = 0; i < 3; i++)
        if (!pdf_rd_int(pdf_rd_resolve(r, wa->arr.items[i]), &w[i]) || w[i] < 0 || w[i] > 8)
            return false;
    int row = (int)(w[0] + w[1] + w[2]);
    if (row == 0)
        return false;
    robj *index = pdf_rd_get(r, s, "Index");
    int64_t ranges[2 * 64];
    int n_ranges = 0;
    if (index->type == RO_ARRAY) {
        for (int i = 0; i + 1 < index->arr.n && n_ranges < 64; i += 2, n_ranges++)
            if (!pdf_rd_int(index->arr.items[i], &ranges[2 * n_ranges]) ||
                !pdf_rd_int(index->arr.items[i + 1], &ranges[2 * n_ranges + 1]) ||
                ranges[2 * n_ranges] < 0 || ranges[2 * n_ranges + 1] < 0 ||
                ranges[2 * n_ranges] + ranges[2 * n_ranges + 1] > RD_MAX_OBJECTS)
                return false;
    } else {
        ranges[0] = 0;
        ranges[1] = size;
        n_ranges = 1;
    }
    pdf_rd_filter filters[RD_MAX_FILTERS];
    int nf = pdf_rd_stream_filters(r, s, filters);
    if (nf < 0)
        return false;
    pdf_rd_dec *d = pdf_rd_decoder_open(r, s, filters, nf);
    if (!d)
        return false;
    uint8_t buf[24];
    bool ok = true;
    for (int k = 0; k < n_ranges && ok; k++) {
        for (int64_t i = 0; i < ranges[2 * k + 1]; i++) {
            size_t got = 0;
            while (got < (size_t)row) {
                ptrdiff_t n = pdf_rd_dec_read(d, buf + got, (size_t)row - got);
                if (n <= 0)
                    break;
                got += (size_t)n;
            }
            if (got < (size_t)row) {
                ok = i > 0 || k > 0; /* a short stream: keep the rows that came */
                break;
            }
            uint64_t type = field(buf, (int)w[0], 1);
            uint64_t f2 = field(buf + w[0], (int)w[1], 0);
            uint64_t f3 = field(buf + w[0] + w[1], (int)w[2], 0);
            int num = (int)(ranges[2 * k] + i);
            if (type == 0)
                xref_set(r, num, 3, 0, 0);
            else if (type == 1)
                xref_set(r, num, 1, f2 + r->header, (uint32_t)(f3 & 0xffff));
            else if (type == 2)
                xref_set(r, num, 2, f2, (uint32_t)(f3 > UINT32_MAX ? UINT32_MAX : f3));
        }
    }
    pdf_rd_dec_free(d);
    return ok;
}

/* One section at offset, a table or a stream; its /Prev through prev (0 when none). */
static bool read_section(pdf_reader *r, uint64_t offset, uint64_t *prev)
{
    pdf_rd_lex lx;
    pdf_rd_lex_file(&lx, &r->file, offset, r->file.size);
    pdf_rd_token t;
    bool ok = false;
    robj *trailer = NULL;
    *prev = 0;
    if (!pdf_rd_lex_next(&lx, &t)) {
        pdf_rd_lex_done(&lx);
        return false;
    }
    if (pdf_rd_tok_is(&t, "xref")) {
        GArray *entries = g_array_new(false, false, sizeof(table_entry));
        trailer = read_xref_table(r, &lx, entries);
        if (trailer) {
            /* The newest trailer must end before the last "startxref": one that runs on to the
             * end of the file (an unterminated string) would take in what an update appends.
             * Comments, NULs or stray words between the two are nobody's business. */
            if (!r->newest.seen && lx.pos > r->startxref_at)
                r->newest.open = true;
            take_trailer(r, trailer, false);
            /* PDF 32000-1 7.5.8.4: an object is looked up in the table first, then in the
             * stream its /XRefStm names, then in the /Prev section. The table's free entries
             * are no answer (qpdf's reading: in hybrid files they stand for the objects the
             * stream puts in object streams), so they come after the stream's. */
            for (guint i = 0; i < entries->len; i++) {
                table_entry *e = &g_array_index(entries, table_entry, i);
                if (e->num != 0 && e->used && e->offset > 0)
                    xref_set(r, e->num, 1, e->offset + r->header, e->gen);
            }
            int64_t stm;
            if (pdf_rd_int(pdf_rd_dict_find(trailer, "XRefStm"), &stm) && stm > 0 &&
                (uint64_t)stm < r->file.size - r->header) {
                robj *s = parse_indirect(r, &r->arena, (uint64_t)stm + r->header, -1, NULL);
                if (s && s->type == RO_STREAM)
                    read_xref_stream(r, s);
            }
            for (guint i = 0; i < entries->len; i++) {
                table_entry *e = &g_array_index(entries, table_entry, i);
                if (e->num != 0 && !(e->used && e->offset > 0))
                    xref_set(r, e->num, 3, 0, 0);
            }
            ok = true;
        }
        g_array_free(entries, true);
    } else if (t.type == RT_INT) {
        robj *s = parse_indirect(r, &r->arena, offset, -1, NULL);
        if (s && s->type == RO_STREAM && pdf_rd_is_name(pdf_rd_dict_find(s, "Type"), "XRef")) {
            trailer = s->stream.dict;
            take_trailer(r, trailer, true);
            ok = read_xref_stream(r, s);
        }
    }
    pdf_rd_lex_done(&lx);
    int64_t p;
    if (ok && pdf_rd_int(pdf_rd_dict_find(trailer, "Prev"), &p) && p > 0 &&
        (uint64_t)p < r->file.size - r->header)
        *prev = (uint64_t)p + r->header;
    return ok;
}

bool pdf_rd_xref_read(pdf_reader *r)
{
    uint64_t offset, seen[RD_MAX_XREF_SECTIONS];
    if (!find_startxref(r, &offset))
        return false;
    r->startxref = offset;
    for (int n = 0; n < RD_MAX_XREF_SECTIONS; n++) {
        for (int i = 0; i < n; i++)
            if (seen[i] == offset)
                return r->root > 0; /* a /Prev loop: what was read stands */
        seen[n] = offset;
        uint64_t prev;
        if (!read_section(r, offset, &prev))
            return n > 0 && r->root > 0; /* a damaged older section: newer ones stand */
        if (!prev)
            break;
        offset = prev;
    }
    return r->root > 0;
}

/* ---- reconstruction ---- */

/* Does "obj" at i of buf (absolute position base + i) end an "N G obj" header? Its start. */
static bool header_before(const uint8_t *buf, size_t i, uint64_t base, uint64_t *start, int *num,
                          int *gen)
{
    size_t j = i;
    int spaces = 0;
    while (j > 0 && pdf_rd_is_space(buf[j - 1]) && buf[j - 1] != 0)
        j--, spaces++;
    if (!spaces && j == i && j > 0)
        return false;
    uint64_t g = 0, mul = 1;
    int digits = 0;
    while (j > 0 && buf[j - 1] >= '0' && buf[j - 1] <= '9' && digits < 6)
        g += (uint64_t)(buf[--j] - '0') * mul, mul *= 10, digits++;
    if (!digits || j == 0 || !pdf_rd_is_space(buf[j - 1]))
        return false;
    while (j > 0 && pdf_rd_is_space(buf[j - 1]) && buf[j - 1] != 0)
        j--;
    uint64_t n = 0;
    mul = 1;
    digits = 0;
    while (j > 0 && buf[j - 1] >= '0' && buf[j - 1] <= '9' && digits < 8)
        n += (uint64_t)(buf[--j] - '0') * mul, mul *= 10, digits++;
    if (!digits || (j > 0 && buf[j - 1] >= '0' && buf[j - 1] <= '9'))
        return false;
    if (n == 0 || n >= RD_MAX_OBJECTS)
        return false;
    *start = base + j;
    *num = (int)n;
    *gen = (int)(g & 0xffff);
    return true;
}

typedef struct {
    uint64_t offset;
    int num;
} found_obj;

#define SCAN_CHUNK (1u << 20)
#define SCAN_OVERLAP 64

/* Every "N G obj" and "trailer" of the file, in file order. */
static void scan_file(pdf_reader *r, GArray *objs, GArray *trailers)
{
    uint8_t *buf = g_malloc(SCAN_CHUNK + SCAN_OVERLAP);
    uint64_t pos = 0;
    size_t keep = 0; /* bytes carried over from the previous chunk */
    while (pos < r->file.size) {
        size_t n = pdf_rd_file_pread(&r->file, pos, buf + keep, SCAN_CHUNK);
        if (n == 0)
            break;
        size_t len = keep + n;
        uint64_t base = pos - keep;
        for (size_t i = 0; i + 3 <= len; i++) {
            if (i + 7 > len && pos + n < r->file.size)
                break; /* too near the end: the next chunk sees it whole */
            if (buf[i] == 'o' && memcmp(buf + i, "obj", 3) == 0 &&
                (i + 3 == len || !(buf[i + 3] >= 'a' && buf[i + 3] <= 'z'))) {
                found_obj f;
                int gen;
                if (header_before(buf, i, base, &f.offset, &f.num, &gen) &&
                    (objs->len == 0 ||
                     g_array_index(objs, found_obj, objs->len - 1).offset < f.offset))
                    g_array_append_val(objs, f);
            } else if (buf[i] == 't' && i + 7 <= len && memcmp(buf + i, "trailer", 7) == 0) {
                uint64_t at = base + i;
                if (trailers->len == 0 || g_array_index(trailers, uint64_t, trailers->len - 1) < at)
                    g_array_append_val(trailers, at);
            }
        }
        keep = len < SCAN_OVERLAP ? len : SCAN_OVERLAP;
        memmove(buf, buf + len - keep, keep);
        pos += n;
        if (objs->len >= RD_MAX_OBJECTS)
            break;
    }
    g_free(buf);
}

/* The members of an object stream become entries unless a newer copy sits later in the file. */
static void add_objstm_members(pdf_reader *r, int stm, uint64_t stm_offset)
{
    pdf_rd_objstm *s = objstm_load(r, stm);
    for (int i = 0; s && i < s->n; i++) {
        int num = s->nums[i];
        if (num <= 0 || !xref_grow(r, num))
            continue;
        pdf_rd_xentry *e = &r->xref[num];
        if (e->type == 1 && e->offset > stm_offset)
            continue;
        *e = (pdf_rd_xentry){.offset = (uint64_t)stm, .gen = (uint32_t)i, .type = 2};
    }
}

static bool catalog_ok(pdf_reader *r, int num)
{
    robj *c = pdf_rd_fetch(r, num);
    return c->type == RO_DICT && pdf_rd_get(r, c, "Pages")->type == RO_DICT;
}

bool pdf_rd_xref_reconstruct(pdf_reader *r)
{
    r->reconstructed = true;
    GArray *objs = g_array_new(false, false, sizeof(found_obj));
    GArray *trailers = g_array_new(false, false, sizeof(uint64_t));
    scan_file(r, objs, trailers);
    if (r->xref)
        memset(r->xref, 0, (size_t)r->xref_cap * sizeof *r->xref);
    r->xref_len = 0;
    for (guint i = 0; i < objs->len; i++) { /* in file order: the last copy wins */
        found_obj *f = &g_array_index(objs, found_obj, i);
        if (xref_grow(r, f->num))
            r->xref[f->num] = (pdf_rd_xentry){.offset = f->offset, .type = 1};
    }
    /* Object streams, xref streams naming the root, catalogs: read each object's dictionary
     * (not its data) in a scratch arena. */
    pdf_rd_arena scratch = {0};
    GArray *stms = g_array_new(false, false, sizeof(found_obj));
    int catalog = 0, xref_root = 0;
    bool xref_encrypt = false;
    for (guint i = 0; i < objs->len; i++) {
        found_obj *f = &g_array_index(objs, found_obj, i);
        if (r->xref[f->num].offset != f->offset)
            continue; /* an older copy */
        robj *o = parse_indirect(r, &scratch, f->offset, f->num, NULL);
        if (o) {
            robj *type = pdf_rd_dict_find(o, "Type");
            if (o->type == RO_STREAM && pdf_rd_is_name(type, "ObjStm"))
                g_array_append_val(stms, *f);
            else if (o->type == RO_STREAM && pdf_rd_is_name(type, "XRef")) {
                robj *root = pdf_rd_dict_find(o, "Root");
                if (root->type == RO_REF) {
                    xref_root = root->ref.num;
                    xref_encrypt = pdf_rd_dict_find(o, "Encrypt")->type != RO_NULL;
                }
            } else if (o->type == RO_DICT && pdf_rd_is_name(type, "Catalog"))
                catalog = f->num;
        }
        if (scratch.total > (64u << 20))
            pdf_rd_arena_reset(&scratch);
    }
    pdf_rd_arena_reset(&scratch);
    g_hash_table_remove_all(r->cache); /* objects read through the old table */
    for (guint i = 0; i < stms->len; i++) {
        found_obj *f = &g_array_index(stms, found_obj, i);
        add_objstm_members(r, f->num, f->offset);
    }
    g_hash_table_remove_all(r->cache);
    /* The root: the last trailer naming a catalog, else the last xref stream's, else the last
     * catalog found. */
    int root = 0;
    bool encrypt = false;
    for (guint i = trailers->len; i-- > 0 && !root;) {
        pdf_rd_lex lx;
        pdf_rd_lex_file(&lx, &r->file, g_array_index(trailers, uint64_t, i) + 7, r->file.size);
        pdf_rd_parser p = {.lx = &lx, .arena = &scratch, .refs = true};
        pdf_rd_token t;
        robj *d = pdf_rd_lex_next(&lx, &t) && t.type == RT_DICT_OPEN ? pdf_rd_parse_value(&p, &t, 0)
                                                                     : NULL;
        robj *ref = d ? pdf_rd_dict_find(d, "Root") : &pdf_rd_null;
        if (ref->type == RO_REF && catalog_ok(r, ref->ref.num)) {
            root = ref->ref.num;
            encrypt = pdf_rd_dict_find(d, "Encrypt")->type != RO_NULL;
        }
        pdf_rd_lex_done(&lx);
    }
    pdf_rd_arena_reset(&scratch);
    if (!root && xref_root && catalog_ok(r, xref_root)) {
        root = xref_root;
        encrypt = xref_encrypt;
    }
    if (!root && catalog && catalog_ok(r, catalog))
        root = catalog;
    if (root) {
        r->root = root;
        r->encrypted = r->encrypted || encrypt;
    }
    g_array_free(stms, true);
    g_array_free(objs, true);
    g_array_free(trailers, true);
    return root > 0;
}
