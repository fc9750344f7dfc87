/* The signatures of a file, as a verifier must see them: each signature field's dictionary,
 * and — read straight from the file at the object's offset, not from the parsed value — where
 * its /Contents string lies, so that a /ByteRange can be checked to leave out exactly that string
 * and nothing else (signature wrapping and universal signature forgery hide in the difference). */
#include "reader_impl.h"

#include <string.h>

#define MAX_SIG_FIELDS 4096
#define MAX_FIELD_DEPTH 32
#define MAX_FIELDS_VISITED 100000
#define MAX_CONTENTS_TOTAL (64u << 20) /* signature bytes copied for one file, all fields */

/* A text string (/T) as UTF-8: UTF-16BE with its byte-order mark, else PDFDocEncoding, read as
 * Latin-1 (the same for every letter a field name uses). */
char *pdf_rd_text_utf8(const robj *s)
{
    if (s->type != RO_STRING)
        return g_strdup("");
    const char *p = s->str.s;
    size_t n = s->str.len;
    char *out = NULL;
    if (n >= 2 && (uint8_t)p[0] == 0xFE && (uint8_t)p[1] == 0xFF)
        out = g_convert(p + 2, (gssize)(n - 2), "UTF-8", "UTF-16BE", NULL, NULL, NULL);
    else
        out = g_convert(p, (gssize)n, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
    return out ? out : g_strdup("?");
}

static char *name_dup(const robj *o) { return o->type == RO_NAME ? g_strdup(o->str.s) : NULL; }

/* A /P of modification permissions as the signer wrote it: 1, 2 or 3; another value reads as 1
 * (what cannot be understood is taken as the strictest). */
static int permission_p(pdf_reader *r, const robj *params, int dflt)
{
    int64_t p;
    robj *o = pdf_rd_get(r, params, "P");
    if (o->type == RO_NULL)
        return dflt;
    return pdf_rd_int(o, &p) && p >= 1 && p <= 3 ? (int)p : 1;
}

/* The strictest P of the transforms in a signature dictionary's /Reference: DocMDP (a
 * certification; P defaults to 2) and, since PDF 2.0, FieldMDP with a /P (a lock on the whole
 * document); 0 when none. */
static int reference_p(pdf_reader *r, const robj *sig)
{
    robj *refs = pdf_rd_get(r, sig, "Reference");
    int p = 0;
    for (int i = 0; refs->type == RO_ARRAY && i < refs->arr.n && i < 64; i++) {
        robj *ref = pdf_rd_resolve(r, refs->arr.items[i]);
        robj *params = pdf_rd_get(r, ref, "TransformParams");
        int q = 0;
        if (pdf_rd_is_name(pdf_rd_get(r, ref, "TransformMethod"), "DocMDP"))
            q = permission_p(r, params, 2);
        else if (pdf_rd_is_name(pdf_rd_get(r, ref, "TransformMethod"), "FieldMDP"))
            q = permission_p(r, params, 0);
        if (q && (!p || q < p))
            p = q;
    }
    return p;
}

/* Read the signature dictionary at its place in the file: which keys it has, and the extent of
 * its /Contents token. */
static void locate_contents(pdf_reader *r, int num, pdf_signature *sig)
{
    const pdf_rd_xentry *x = &r->xref[num];
    pdf_rd_lex lx;
    pdf_rd_lex_file(&lx, &r->file, x->offset, r->file.size);
    pdf_rd_parser p = {.lx = &lx, .arena = &r->arena, .refs = true};
    pdf_rd_token t, g, k;
    int contents = 0, ranges = 0;
    if (!pdf_rd_lex_next(&lx, &t) || t.type != RT_INT || t.i != num || !pdf_rd_lex_next(&lx, &g) ||
        g.type != RT_INT || !pdf_rd_lex_next(&lx, &k) || !pdf_rd_tok_is(&k, "obj") ||
        !pdf_rd_lex_next(&lx, &t) || t.type != RT_DICT_OPEN)
        goto done;
    for (int items = 0; items < RD_MAX_ITEMS; items++) {
        if (!pdf_rd_lex_next(&lx, &t) || t.type != RT_NAME)
            break; /* ">>", or damage: what was found stands */
        char key[16] = "";
        if (t.len < sizeof key)
            memcpy(key, t.s, t.len);
        pdf_rd_token v;
        if (!pdf_rd_lex_next(&lx, &v))
            break;
        uint64_t start = v.pos;
        bool is_string = v.type == RT_STRING;
        if (!pdf_rd_parse_value(&p, &v, 1))
            break;
        if (strcmp(key, "Contents") == 0) {
            contents++;
            uint8_t first = 0;
            /* a failed read leaves file.error, which pdf_reader_signatures reports */
            sig->contents_hex =
                is_string && pdf_rd_file_read(&r->file, start, &first, 1) == 1 && first == '<';
            sig->contents_start = start;
            sig->contents_end = lx.pos;
        } else if (strcmp(key, "ByteRange") == 0) {
            ranges++;
        }
    }
    sig->in_file = contents == 1;
done:
    sig->duplicate_keys = contents > 1 || ranges > 1;
    pdf_rd_lex_done(&lx);
}

/* False when its /Contents is past what is left of the budget (then not copied). */
static bool read_signature(pdf_reader *r, robj *value, const char *field, const robj *docmdp,
                           pdf_signature *sig, size_t *contents_left)
{
    memset(sig, 0, sizeof *sig);
    sig->field = g_strdup(field);
    if (value->type == RO_REF) {
        sig->object = value->ref.num;
        if (sig->object > 0 && sig->object < r->xref_len && r->xref[sig->object].type == 1)
            locate_contents(r, sig->object, sig);
    }
    robj *d = pdf_rd_resolve(r, value);
    robj *br = pdf_rd_dict_find(d, "ByteRange");
    sig->n_byte_range = -1;
    if (br->type == RO_ARRAY && br->arr.n <= 8) {
        sig->n_byte_range = br->arr.n;
        for (int i = 0; i < br->arr.n; i++)
            if (br->arr.items[i]->type != RO_INT)
                sig->n_byte_range = -1;
            else
                sig->byte_range[i] = br->arr.items[i]->i;
    }
    robj *c = pdf_rd_dict_find(d, "Contents");
    bool kept = c->type != RO_STRING || c->str.len <= *contents_left;
    if (c->type == RO_STRING && kept) {
        *contents_left -= c->str.len;
        sig->contents = g_memdup2(c->str.s, c->str.len);
        sig->contents_len = c->str.len;
    } else {
        sig->contents_hex = false;
    }
    sig->filter = name_dup(pdf_rd_dict_find(d, "Filter"));
    sig->subfilter = name_dup(pdf_rd_dict_find(d, "SubFilter"));
    robj *m = pdf_rd_dict_find(d, "M");
    if (m->type == RO_STRING)
        sig->m = g_strndup(m->str.s, m->str.len);
    robj *name = pdf_rd_dict_find(d, "Name");
    if (name->type == RO_STRING)
        sig->name = pdf_rd_text_utf8(name);
    sig->certifies = d->type == RO_DICT && d == docmdp;
    sig->mdp = reference_p(r, d);
    if (sig->certifies && !sig->mdp)
        sig->mdp = 2; /* a certification without its DocMDP transform: the default */
    return kept;
}

typedef struct {
    pdf_reader *r;
    robj *docmdp; /* the catalog's /Perms /DocMDP, resolved */
    GArray *sigs;
    int budget;
    GHashTable *seen; /* field dictionaries visited: a field listed twice is listed once */
    size_t contents_left;
    const char *incomplete; /* N_(): the first limit that left signatures unread, or NULL */
} walk_ctx;

/* The fields of arr and their kids; /FT inherited, names joined with ".". */
static void walk_fields(walk_ctx *c, robj *arr, const char *parent, bool parent_sig, int depth)
{
    arr = pdf_rd_resolve(c->r, arr);
    if (arr->type != RO_ARRAY)
        return;
    /* A field past a limit could be a signature: the caller must learn the list is short. */
    if (depth > MAX_FIELD_DEPTH) {
        c->incomplete = N_("form fields nested too deep");
        return;
    }
    for (int i = 0; i < arr->arr.n; i++) {
        if (c->budget-- <= 0) {
            c->incomplete = N_("too many form fields");
            return;
        }
        robj *f = pdf_rd_resolve(c->r, arr->arr.items[i]);
        if (f->type != RO_DICT || g_hash_table_contains(c->seen, f))
            continue;
        g_hash_table_add(c->seen, f);
        robj *ft = pdf_rd_get(c->r, f, "FT");
        bool is_sig = ft->type == RO_NAME ? pdf_rd_is_name(ft, "Sig") : parent_sig;
        robj *t = pdf_rd_get(c->r, f, "T");
        char *own = t->type == RO_STRING ? pdf_rd_text_utf8(t) : NULL;
        char *name = own ? (parent[0] ? g_strdup_printf("%s.%s", parent, own) : g_strdup(own))
                         : g_strdup(parent);
        robj *v = pdf_rd_dict_find(f, "V");
        if (is_sig && v->type != RO_NULL && c->sigs->len >= MAX_SIG_FIELDS) {
            c->incomplete = N_("too many signatures");
        } else if (is_sig && v->type != RO_NULL) {
            pdf_signature sig;
            if (!read_signature(c->r, v, name, c->docmdp, &sig, &c->contents_left))
                c->incomplete = N_("signature values too large");
            /* PDF 2.0: the field's lock dictionary may restrict the whole document too */
            int lock = permission_p(c->r, pdf_rd_get(c->r, f, "Lock"), 0);
            if (lock && (!sig.mdp || lock < sig.mdp))
                sig.mdp = lock;
            g_array_append_val(c->sigs, sig);
        }
        walk_fields(c, pdf_rd_dict_find(f, "Kids"), name, is_sig, depth + 1);
        g_free(own);
        g_free(name);
    }
}

sh_status pdf_reader_signatures(pdf_reader *r, pdf_signature **sigs, int *n, sh_error *err)
{
    *sigs = NULL;
    *n = 0;
    pdf_rd_reset(r);
    r->file.error = 0; /* an earlier read's failure is not this walk's */
    robj *catalog = pdf_rd_fetch(r, r->root);
    walk_ctx c = {r,
                  pdf_rd_get(r, pdf_rd_get(r, catalog, "Perms"), "DocMDP"),
                  g_array_new(FALSE, TRUE, sizeof(pdf_signature)),
                  MAX_FIELDS_VISITED,
                  g_hash_table_new(NULL, NULL),
                  MAX_CONTENTS_TOTAL,
                  NULL};
    robj *form = pdf_rd_get(r, catalog, "AcroForm");
    walk_fields(&c, pdf_rd_dict_find(form, "Fields"), "", false, 0);
    g_hash_table_destroy(c.seen);
    pdf_rd_reset(r);
    int found = (int)c.sigs->len;
    pdf_signature *list = (pdf_signature *)(void *)g_array_free(c.sigs, FALSE);
    /* A list that may be short would let a signature go unchecked: all or nothing. */
    sh_status st = SH_OK;
    if (r->file.error)
        st = sh_fail_errno(err, SH_INPUT, r->file.error, _("cannot read %s"), r->path);
    else if (c.incomplete)
        st = sh_fail(err, SH_INPUT, _("%s: its signatures cannot all be read (%s)"), r->path,
                     _(c.incomplete));
    if (st != SH_OK) {
        pdf_signatures_free(list, found);
        return st;
    }
    *n = found;
    *sigs = list;
    return SH_OK;
}

void pdf_signatures_free(pdf_signature *sigs, int n)
{
    for (int i = 0; sigs && i < n; i++) {
        g_free(sigs[i].field);
        g_free(sigs[i].contents);
        g_free(sigs[i].filter);
        g_free(sigs[i].subfilter);
        g_free(sigs[i].m);
        g_free(sigs[i].name);
    }
    g_free(sigs);
}

int pdf_reader_permissions(pdf_reader *r, const pdf_signature *sigs, int n, int *which)
{
    int p = 0;
    *which = -1;
    for (int i = 0; i < n; i++) {
        if (sigs[i].mdp && (!p || sigs[i].mdp < p)) {
            p = sigs[i].mdp;
            *which = i;
        }
    }
    /* A certification that no field holds (or that the field walk did not reach) still
     * binds. */
    pdf_rd_reset(r);
    robj *docmdp = pdf_rd_get(r, pdf_rd_get(r, pdf_rd_fetch(r, r->root), "Perms"), "DocMDP");
    int cert = docmdp->type == RO_DICT ? reference_p(r, docmdp) : 0;
    if (docmdp->type == RO_DICT && !cert)
        cert = 2;
    pdf_rd_reset(r);
    if (cert && (!p || cert < p)) {
        p = cert;
        *which = -1;
        for (int i = 0; i < n; i++)
            if (sigs[i].certifies)
                *which = i;
    }
    return p;
}

int pdf_reader_revisions(pdf_reader *r, uint64_t *ends, int max)
{
    static const char marker[] = "%%EOF";
    enum { M = sizeof marker - 1, CHUNK = 1 << 20 };
    uint8_t *buf = g_malloc(CHUNK + M);
    int count = 0;
    size_t keep = 0; /* bytes carried over from the previous chunk */
    for (uint64_t pos = 0; pos < r->file.size && count < max;) {
        size_t got = pdf_rd_file_pread(&r->file, pos, buf + keep, CHUNK);
        if (got == 0)
            break;
        size_t len = keep + got;
        for (size_t i = 0; i + M <= len && count < max; i++)
            if (buf[i] == '%' && memcmp(buf + i, marker, M) == 0)
                ends[count++] = pos - keep + i + M;
        keep = len < M - 1 ? len : M - 1;
        memmove(buf, buf + len - keep, keep);
        pos += got;
    }
    g_free(buf);
    return count;
}
