/* Changing a file's structure through an incremental update: what the update continues from
 * (the newest trailer), and hooking a new form field into page and AcroForm. The objects that
 * change are read with the reader, edited as parsed objects, and written again whole with their
 * own number and generation; everything else of the file stays where it is. */
#include "reader_impl.h"

#include <stdio.h>
#include <string.h>

/* ---- writing parsed objects back ---- */

/* A name's bytes, with "#XX" for delimiters, white space, '#' and bytes outside 33..126. */
static void emit_name(GString *w, const char *s, size_t len)
{
    GString *out = w;
    g_string_append_c(out, '/');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 33 || c > 126 || c == '#' || pdf_rd_is_delim(c))
            g_string_append_printf(out, "#%02X", c);
        else
            g_string_append_c(out, (char)c);
    }
}

/* Strings as hex: any bytes survive, no escaping to get wrong. */
static void emit_string(GString *w, const char *s, size_t len)
{
    char *hex = g_malloc(2 * len + 1);
    sh_hex((const uint8_t *)s, len, hex);
    g_string_append_printf(w, "<%s>", hex);
    g_free(hex);
}

/* A real as it was: the fewest decimals that give the same double back, never an exponent. */
static bool emit_real(GString *w, double v)
{
    if (!(v > -1e15 && v < 1e15))
        return false;
    char s[64];
    for (int prec = 1; prec <= 20; prec++) {
        snprintf(s, sizeof s, "%.*f", prec, v);
        if (g_ascii_strtod(s, NULL) == v)
            break;
    }
    char *end = s + strlen(s) - 1;
    while (*end == '0')
        *end-- = '\0';
    if (*end == '.')
        *end = '\0';
    g_string_append(w, strcmp(s, "-0") == 0 ? "0" : s);
    return true;
}

static bool emit(GString *w, const robj *o, int depth)
{
    if (depth > RD_MAX_DEPTH)
        return false;
    switch (o->type) {
    case RO_NULL:
        g_string_append(w, "null");
        return true;
    case RO_BOOL:
        g_string_append(w, o->b ? "true" : "false");
        return true;
    case RO_INT:
        g_string_append_printf(w, "%lld", (long long)o->i);
        return true;
    case RO_REAL:
        return emit_real(w, o->r);
    case RO_NAME:
        emit_name(w, o->str.s, o->str.len);
        return true;
    case RO_STRING:
        emit_string(w, o->str.s, o->str.len);
        return true;
    case RO_REF:
        g_string_append_printf(w, "%d %d R", o->ref.num, o->ref.gen);
        return true;
    case RO_ARRAY:
        g_string_append(w, "[");
        for (int i = 0; i < o->arr.n; i++) {
            g_string_append(w, i ? " " : "");
            if (!emit(w, o->arr.items[i], depth + 1))
                return false;
        }
        g_string_append(w, "]");
        return true;
    case RO_DICT:
        g_string_append(w, "<<");
        for (int i = 0; i < o->dict.n; i++) {
            emit_name(w, o->dict.items[i].key, strlen(o->dict.items[i].key));
            g_string_append(w, " ");
            if (!emit(w, o->dict.items[i].val, depth + 1))
                return false;
        }
        g_string_append(w, ">>");
        return true;
    case RO_STREAM: /* streams are indirect: never inside what we write again */
    case RO_KEYWORD:
        return false;
    }
    return false;
}

/* ---- building edited objects in the reader's arena ---- */

static robj *new_obj(pdf_reader *r, ro_type type)
{
    robj *o = pdf_rd_alloc(&r->arena, sizeof *o);
    if (o)
        o->type = type;
    return o;
}

static robj *new_ref(pdf_reader *r, int num)
{
    robj *o = new_obj(r, RO_REF);
    if (o)
        o->ref.num = num;
    return o;
}

/* arr (an array, or NULL for none) with item appended. */
static robj *array_plus(pdf_reader *r, const robj *arr, robj *item)
{
    int n = arr && arr->type == RO_ARRAY ? arr->arr.n : 0;
    robj *o = new_obj(r, RO_ARRAY);
    robj **items = o && item ? pdf_rd_alloc(&r->arena, sizeof(robj *) * (size_t)(n + 1)) : NULL;
    if (!items)
        return NULL;
    if (n)
        memcpy(items, arr->arr.items, sizeof(robj *) * (size_t)n);
    items[n] = item;
    o->arr.items = items;
    o->arr.n = n + 1;
    return o;
}

/* dict (a dictionary, or NULL for an empty one) with key set to val (replaced or added). */
static robj *dict_with(pdf_reader *r, const robj *dict, const char *key, robj *val)
{
    int n = dict && dict->type == RO_DICT ? dict->dict.n : 0;
    robj *o = new_obj(r, RO_DICT);
    pdf_rd_item *items = o && val ? pdf_rd_alloc(&r->arena, sizeof *items * (size_t)(n + 1)) : NULL;
    if (!items)
        return NULL;
    int m = 0;
    bool set = false;
    for (int i = 0; i < n; i++) {
        items[m] = dict->dict.items[i];
        if (strcmp(items[m].key, key) == 0) {
            if (set)
                continue; /* a repeated key: one value only */
            items[m].val = val;
            set = true;
        }
        m++;
    }
    if (!set)
        items[m++] = (pdf_rd_item){key, val};
    o->dict.items = items;
    o->dict.n = m;
    return o;
}

static robj *new_int(pdf_reader *r, int64_t v)
{
    robj *o = new_obj(r, RO_INT);
    if (o)
        o->i = v;
    return o;
}

/* The generation of object num as the cross-reference gives it (0 in an object stream). */
static int generation(const pdf_reader *r, int num)
{
    return num > 0 && num < r->xref_len && r->xref[num].type == 1 ? (int)r->xref[num].gen : 0;
}

/* Write object num again with content o. */
static bool rewrite(pdf_reader *r, pdf_writer *w, int num, const robj *o)
{
    if (!o)
        return false;
    GString *text = g_string_new(NULL);
    bool ok = emit(text, o, 0);
    if (ok) {
        pdf_object_replace(w, num, generation(r, num));
        pdf_printf(w, "%s", text->str);
        pdf_object_end(w);
    }
    g_string_free(text, TRUE);
    return ok;
}

/* ---- public ---- */

static sh_status damaged(pdf_reader *r, sh_error *err)
{
    return sh_fail(err, SH_INPUT,
                   _("%s: its cross-reference table is damaged, so nothing can be added to it "
                     "safely; make the PDF again (ingest the scans again)"),
                   r->path);
}

sh_status pdf_reader_update_base(pdf_reader *r, pdf_update_base *base, sh_error *err)
{
    memset(base, 0, sizeof *base);
    if (r->reconstructed || !r->newest.seen || r->root <= 0)
        return damaged(r, err);
    base->startxref = r->startxref - r->header; /* as the file gives it */
    base->header = r->header;
    base->xref_stream = r->newest.is_stream;
    int64_t size = r->newest.size > r->xref_len ? r->newest.size : r->xref_len;
    if (size >= PDF_MAX_OBJECTS || r->newest.open)
        return damaged(r, err);
    base->size = size < 1 ? 1 : (int)size;
    base->root = r->root;
    base->root_gen = generation(r, r->root);
    base->info = r->newest.info;
    base->info_gen = r->newest.info_gen;
    memcpy(base->id0, r->newest.id0, sizeof base->id0);
    return SH_OK;
}

#define MAX_FIELDS 100000
#define MAX_FIELD_DEPTH 32

/* Does a field named `name` exist among the (kids of the) fields in arr? */
static bool field_named(pdf_reader *r, robj *arr, const char *name, int depth, int *budget)
{
    arr = pdf_rd_resolve(r, arr);
    if (arr->type != RO_ARRAY || depth > MAX_FIELD_DEPTH)
        return false;
    for (int i = 0; i < arr->arr.n && --*budget > 0; i++) {
        robj *f = pdf_rd_resolve(r, arr->arr.items[i]);
        if (f->type != RO_DICT)
            continue;
        robj *t = pdf_rd_get(r, f, "T");
        if (t->type == RO_STRING) {
            char *own = pdf_rd_text_utf8(t);
            bool same = strcmp(own, name) == 0;
            g_free(own);
            if (same)
                return true;
        }
        if (field_named(r, pdf_rd_dict_find(f, "Kids"), name, depth + 1, budget))
            return true;
    }
    return false;
}

void pdf_reader_new_field_name(pdf_reader *r, const char *stem, char *out, size_t n)
{
    pdf_rd_reset(r);
    robj *catalog = pdf_rd_fetch(r, r->root);
    robj *form = pdf_rd_get(r, catalog, "AcroForm");
    robj *fields = pdf_rd_dict_find(form, "Fields");
    for (int k = 1;; k++) {
        snprintf(out, n, "%s%d", stem, k);
        int budget = MAX_FIELDS;
        if (k >= 1000 || !field_named(r, fields, out, 0, &budget))
            return;
    }
}

/* ---- fields that rely on the viewer for their looks ---- */

/* Annotation flags that keep a widget off the screen: Hidden (2) and NoView (32). */
#define UNSEEN_FLAGS (2 | 32)

typedef struct {
    pdf_reader *r;
    int budget;
    int missing;     /* visible widgets of fields other than signatures without an /AP /N */
    char first[128]; /* the full name of the first such field */
} looks_ctx;

static bool has_normal_appearance(pdf_reader *r, const robj *widget)
{
    robj *n = pdf_rd_get(r, pdf_rd_get(r, widget, "AP"), "N");
    return n->type == RO_DICT || n->type == RO_STREAM;
}

static bool on_screen(pdf_reader *r, const robj *widget)
{
    int64_t flags = 0;
    if (pdf_rd_int(pdf_rd_get(r, widget, "F"), &flags) && (flags & UNSEEN_FLAGS))
        return false;
    robj *rect = pdf_rd_get(r, widget, "Rect");
    double v[4];
    if (rect->type != RO_ARRAY || rect->arr.n != 4)
        return false;
    for (int i = 0; i < 4; i++)
        if (!pdf_rd_num(pdf_rd_resolve(r, rect->arr.items[i]), &v[i]))
            return false;
    return v[0] != v[2] && v[1] != v[3];
}

/* Count the widgets below the fields in arr that a viewer would draw and that have no appearance
 * of their own (signature fields aside: no viewer draws those). */
static void count_lookless(looks_ctx *c, robj *arr, const char *parent, bool parent_sig, int depth)
{
    arr = pdf_rd_resolve(c->r, arr);
    if (arr->type != RO_ARRAY || depth > MAX_FIELD_DEPTH)
        return;
    for (int i = 0; i < arr->arr.n && --c->budget > 0; i++) {
        robj *f = pdf_rd_resolve(c->r, arr->arr.items[i]);
        if (f->type != RO_DICT)
            continue;
        robj *ft = pdf_rd_get(c->r, f, "FT");
        bool sig = ft->type == RO_NAME ? pdf_rd_is_name(ft, "Sig") : parent_sig;
        robj *t = pdf_rd_get(c->r, f, "T");
        char *own = t->type == RO_STRING ? pdf_rd_text_utf8(t) : NULL;
        char *name = own ? (parent[0] ? g_strdup_printf("%s.%s", parent, own) : g_strdup(own))
                         : g_strdup(parent);
        robj *kids = pdf_rd_get(c->r, f, "Kids");
        bool widget =
            pdf_rd_is_name(pdf_rd_get(c->r, f, "Subtype"), "Widget") || kids->type != RO_ARRAY;
        if (widget && !sig && on_screen(c->r, f) && !has_normal_appearance(c->r, f) &&
            c->missing++ == 0)
            g_strlcpy(c->first, name, sizeof c->first);
        count_lookless(c, kids, name, sig, depth + 1);
        g_free(own);
        g_free(name);
    }
}

/* Add ref to the array at dict[key]: the array object itself is written again when it is
 * indirect (*dict_changed false), else the new dictionary is returned for the caller to write
 * (*dict_changed true). NULL on failure. */
static robj *add_to_array(pdf_reader *r, pdf_writer *w, robj *dict, const char *key, robj *ref,
                          bool *dict_changed, bool *ok)
{
    robj *held = pdf_rd_dict_find(dict, key);
    if (held->type == RO_REF) {
        robj *arr = pdf_rd_fetch(r, held->ref.num);
        if (arr->type == RO_ARRAY) {
            *dict_changed = false;
            *ok = rewrite(r, w, held->ref.num, array_plus(r, arr, ref));
            return dict;
        }
        held = &pdf_rd_null; /* a reference to nothing: a fresh array in place of it */
    }
    *dict_changed = true;
    robj *d = dict_with(r, dict, key, array_plus(r, held->type == RO_ARRAY ? held : NULL, ref));
    *ok = d != NULL;
    return d;
}

sh_status pdf_update_add_field(pdf_reader *r, pdf_writer *w, int page_index, int field,
                               sh_error *err)
{
    if (page_index < 0 || page_index >= r->n_pages)
        return pdf_rd_no_page(r, page_index, err);
    pdf_rd_reset(r);
    /* Read all first: damage found now (a table rebuilt by scanning) must not reach the update. */
    bool was = r->reconstructed;
    robj *pg = pdf_rd_fetch(r, r->pages[page_index].num);
    pdf_rd_get(r, pg, "Annots");
    robj *cat = pdf_rd_fetch(r, r->root);
    robj *fm = pdf_rd_get(r, cat, "AcroForm");
    pdf_rd_get(r, fm, "Fields");
    pdf_rd_get(r, fm, "SigFlags");
    /* /NeedAppearances true asks viewers to draw every field anew: Poppler and Adobe Reader then
     * draw the signature's widget as an empty box and the stamp is lost. The update sets it to
     * false, which leaves every other field as it looks, provided each has an appearance of
     * its own (LibreOffice writes them). A field without one would then show nothing in those
     * viewers: such a form is refused, not signed with a stamp nobody sees. */
    robj *need = pdf_rd_get(r, fm, "NeedAppearances");
    bool clear_need = need->type == RO_BOOL && need->b;
    looks_ctx looks = {.r = r, .budget = MAX_FIELDS};
    if (clear_need)
        count_lookless(&looks, pdf_rd_dict_find(fm, "Fields"), "", false, 0);
    if (was || r->reconstructed) {
        pdf_rd_reset(r);
        return damaged(r, err);
    }
    if (looks.missing > 0) {
        pdf_rd_reset(r);
        return sh_fail(err, SH_FINDINGS,
                       ngettext("%s: its form asks viewers to draw its fields themselves "
                                "(/NeedAppearances), which hides a signature's stamp, and %d "
                                "field (\"%s\") has no appearance of its own to show instead; "
                                "give the fields their appearances (qpdf --generate-appearances "
                                "FILE NEW.pdf), validate the new file, then sign it",
                                "%s: its form asks viewers to draw its fields themselves "
                                "(/NeedAppearances), which hides a signature's stamp, and %d "
                                "fields (the first \"%s\") have no appearance of their own to "
                                "show instead; give the fields their appearances (qpdf "
                                "--generate-appearances FILE NEW.pdf), validate the new file, "
                                "then sign it",
                                (unsigned long)looks.missing),
                       r->path, looks.missing, looks.first);
    }
    bool ok = true, changed;
    /* The page's /Annots. */
    int page_num = r->pages[page_index].num;
    robj *page = pdf_rd_fetch(r, page_num);
    if (page->type != RO_DICT)
        ok = false;
    if (ok) {
        robj *edited = add_to_array(r, w, page, "Annots", new_ref(r, field), &changed, &ok);
        if (ok && changed)
            ok = rewrite(r, w, page_num, edited);
    }
    /* The AcroForm's /Fields and /SigFlags 3 (signatures exist; append only). */
    robj *catalog = pdf_rd_fetch(r, r->root);
    if (ok && catalog->type != RO_DICT)
        ok = false;
    if (ok) {
        robj *form_ref = pdf_rd_dict_find(catalog, "AcroForm");
        robj *form = pdf_rd_resolve(r, form_ref);
        bool indirect = form_ref->type == RO_REF && form->type == RO_DICT;
        if (form->type != RO_DICT)
            form = NULL;
        robj *edited = add_to_array(r, w, form ? form : new_obj(r, RO_DICT), "Fields",
                                    new_ref(r, field), &changed, &ok);
        int64_t flags = 0;
        if (ok)
            pdf_rd_int(pdf_rd_get(r, edited, "SigFlags"), &flags);
        if (ok && (flags & 3) != 3) {
            edited = dict_with(r, edited, "SigFlags", new_int(r, flags | 3));
            changed = true;
        }
        if (ok && clear_need) {
            robj *no = new_obj(r, RO_BOOL);
            edited = no ? dict_with(r, edited, "NeedAppearances", no) : NULL;
            ok = edited != NULL;
            changed = true;
        }
        if (ok && changed) {
            if (indirect)
                ok = rewrite(r, w, form_ref->ref.num, edited);
            else
                ok = rewrite(r, w, r->root, dict_with(r, catalog, "AcroForm", edited));
        }
    }
    pdf_rd_reset(r);
    if (!ok)
        return sh_fail(err, SH_INPUT,
                       _("%s: its page 1 or its catalog cannot be read or written again, so no "
                         "signature field can be added; make the PDF again (ingest the scans "
                         "again)"),
                       r->path);
    return SH_OK;
}
