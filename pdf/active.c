/* Harmful content in a PDF (docs/package.md, "Harmful content"): JavaScript, launch actions,
 * embedded files, XFA forms, rich media, go-tos into embedded files, data import and form
 * submission, and opening or automatic actions that are anything but a plain go-to.
 *
 * Every object is looked at, whatever refers to it: every "N G obj" of the file in file order
 * (so the objects of every revision, those an update replaced included), the members of every
 * object stream, and every object the cross-reference names that the scan did not meet. Names
 * are compared as the lexer decodes them (#xx escapes undone). Bounded: the bytes lexed and
 * decoded have a budget proportional to the file; a file that needs more, or an object (or an
 * object stream) that cannot be read, is reported as not checkable, never as clean. */
#include "reader_impl.h"

#include <string.h>

#define ACT_LISTED 16            /* findings named in the message; more are counted */
#define ACT_FINDINGS 4096        /* findings told apart: past them the check stops */
#define ACT_MIN_COST 256         /* charged per object read, however short */
#define ACT_CHUNK (1u << 20)     /* bytes scanned at a time for "obj" */
#define ACT_BACK 48              /* bytes looked at before "obj" for its "N G" */
#define ACT_RESET (64u << 20)    /* the arena is emptied between objects past this */
#define ACT_BUDGET (64ull << 20) /* bytes lexed and decoded, beyond 16 × the file's size */

typedef enum {
    ACT_JS,
    ACT_LAUNCH,
    ACT_EMBEDDED,
    ACT_XFA,
    ACT_RICHMEDIA,
    ACT_GOTOE,
    ACT_IMPORT,
    ACT_SUBMIT,
    ACT_OPEN,
    ACT_AUTO,
    ACT_KINDS,
} act_kind;

static const char *const act_names[ACT_KINDS] = {
    [ACT_JS] = N_("JavaScript"),
    [ACT_LAUNCH] = N_("a launch action (starts a program)"),
    [ACT_EMBEDDED] = N_("an embedded file"),
    [ACT_XFA] = N_("an XFA form"),
    [ACT_RICHMEDIA] = N_("rich media (Flash, video, 3D)"),
    [ACT_GOTOE] = N_("a go-to into an embedded file"),
    [ACT_IMPORT] = N_("a data import action"),
    [ACT_SUBMIT] = N_("a form submission action (sends data out)"),
    [ACT_OPEN] = N_("an opening action other than a go-to"),
    [ACT_AUTO] = N_("an automatic action other than a go-to"),
};

typedef struct {
    pdf_reader *r;
    GHashTable *seen;   /* kind × object number + 1: reported once */
    GHashTable *stms;   /* data offsets of object streams already read */
    GHashTable *parsed; /* offsets the cross-reference gives of objects the scan read */
    uint8_t *members;   /* bit per object number: found in the object stream the xref names */
    GString *list;
    int listed, more;
    bool stop;    /* failed, or too many findings to tell apart */
    char *failed; /* why the file cannot be checked (translated); NULL */
    uint64_t budget;
} act_scan;

/* ---- findings ---- */

static void found(act_scan *a, act_kind kind, int num)
{
    uint64_t key = (uint64_t)kind * (uint64_t)RD_MAX_OBJECTS + (uint64_t)num + 1;
    if (g_hash_table_contains(a->seen, GSIZE_TO_POINTER(key)))
        return;
    g_hash_table_add(a->seen, GSIZE_TO_POINTER(key));
    if (g_hash_table_size(a->seen) >= ACT_FINDINGS)
        a->stop = true; /* refused anyway: the rest need not be read */
    if (a->listed >= ACT_LISTED) {
        a->more++;
        return;
    }
    if (a->listed++)
        g_string_append(a->list, ", ");
    /* TRANSLATORS: one finding of the harmful-content check: "JavaScript (object 12)". */
    g_string_append_printf(a->list, _("%s (object %d)"), _(act_names[kind]), num);
}

static void fail(act_scan *a, char *why)
{
    a->stop = true;
    if (!a->failed)
        a->failed = why;
    else
        g_free(why);
}

static bool spend(act_scan *a, uint64_t n)
{
    if (n < ACT_MIN_COST)
        n = ACT_MIN_COST;
    if (n > a->budget) {
        a->budget = 0;
        fail(a, g_strdup(_("it holds more than can be checked")));
        return false;
    }
    a->budget -= n;
    return true;
}

/* ---- what an object holds ---- */

/* An action that only goes to a place of this document: a destination (an array, a named one),
 * or a /GoTo action with no /Next. */
static bool plain_goto(pdf_reader *r, robj *v)
{
    v = pdf_rd_resolve(r, v);
    switch (v->type) {
    case RO_NULL:
    case RO_ARRAY:
    case RO_NAME:
    case RO_STRING:
        return true;
    case RO_DICT:
        return pdf_rd_is_name(pdf_rd_get(r, v, "S"), "GoTo") &&
               pdf_rd_dict_find(v, "Next")->type == RO_NULL;
    default:
        return false;
    }
}

static void check_auto(act_scan *a, robj *aa, int num)
{
    aa = pdf_rd_resolve(a->r, aa);
    if (aa->type != RO_DICT)
        return;
    for (int i = 0; i < aa->dict.n; i++)
        if (!plain_goto(a->r, aa->dict.items[i].val))
            found(a, ACT_AUTO, num);
}

static void check_kind_name(act_scan *a, const char *name, int num)
{
    static const struct {
        const char *name;
        act_kind kind;
    } kinds[] = {
        {"JavaScript", ACT_JS},
        {"Launch", ACT_LAUNCH},
        {"GoToE", ACT_GOTOE},
        {"ImportData", ACT_IMPORT},
        {"SubmitForm", ACT_SUBMIT},
        {"FileAttachment", ACT_EMBEDDED},
        {"EmbeddedFile", ACT_EMBEDDED},
        {"RichMedia", ACT_RICHMEDIA},
        {"RichMediaExecute", ACT_RICHMEDIA},
    };
    for (size_t i = 0; name && i < G_N_ELEMENTS(kinds); i++)
        if (strcmp(name, kinds[i].name) == 0)
            found(a, kinds[i].kind, num);
}

static void check_key(act_scan *a, const char *key, robj *val, int num)
{
    static const struct {
        const char *key;
        act_kind kind;
    } keys[] = {
        {"JS", ACT_JS},
        {"JavaScript", ACT_JS},
        {"EmbeddedFiles", ACT_EMBEDDED},
        {"EF", ACT_EMBEDDED},
        {"XFA", ACT_XFA},
        {"RichMediaContent", ACT_RICHMEDIA},
        {"RichMediaSettings", ACT_RICHMEDIA},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
        if (strcmp(key, keys[i].key) == 0)
            found(a, keys[i].kind, num);
    if (strcmp(key, "S") == 0 || strcmp(key, "Subtype") == 0 || strcmp(key, "Type") == 0)
        check_kind_name(a, pdf_rd_name(val), num);
    else if (strcmp(key, "OpenAction") == 0 && !plain_goto(a->r, val))
        found(a, ACT_OPEN, num);
    else if (strcmp(key, "AA") == 0)
        check_auto(a, val, num);
}

/* A value and everything written inside it (not what it refers to: every object is checked). */
static void check_value(act_scan *a, robj *o, int num)
{
    if (o->type == RO_STREAM)
        o = o->stream.dict;
    if (o->type == RO_ARRAY) {
        for (int i = 0; i < o->arr.n; i++)
            check_value(a, o->arr.items[i], num);
    } else if (o->type == RO_DICT) {
        for (int i = 0; i < o->dict.n; i++) {
            check_key(a, o->dict.items[i].key, o->dict.items[i].val, num);
            check_value(a, o->dict.items[i].val, num);
        }
    }
}

/* ---- object streams ---- */

static void objstm_fail(act_scan *a, int stm)
{
    fail(a, g_strdup_printf(_("the object stream %d cannot be read"), stm));
}

/* Member i of an object stream: its number and its value, checked. */
static bool objstm_member(act_scan *a, int stm, const uint8_t *data, size_t len, size_t first,
                          pdf_rd_lex *head)
{
    pdf_rd_token n, off, t;
    if (!pdf_rd_lex_next(head, &n) || !pdf_rd_lex_next(head, &off) || n.type != RT_INT ||
        off.type != RT_INT || n.i <= 0 || n.i >= RD_MAX_OBJECTS || off.i < 0 ||
        (uint64_t)off.i >= len - first)
        return false;
    int num = (int)n.i;
    pdf_rd_lex lx;
    pdf_rd_lex_mem(&lx, data, len);
    lx.pos = first + (size_t)off.i;
    pdf_rd_parser p = {.lx = &lx, .arena = &a->r->arena, .refs = true};
    robj *o = pdf_rd_lex_next(&lx, &t) ? pdf_rd_parse_value(&p, &t, 0) : NULL;
    bool ok = o && spend(a, lx.pos - (first + (size_t)off.i));
    pdf_rd_lex_done(&lx);
    if (!ok)
        return false;
    check_value(a, o, num);
    pdf_reader *r = a->r;
    if (num < r->xref_len && r->xref[num].type == 2 && r->xref[num].offset == (uint64_t)stm)
        a->members[num / 8] |= (uint8_t)(1u << (num % 8));
    return true;
}

/* Every member of object stream s (object stm). May empty the arena: s is not used after. */
static void check_objstm(act_scan *a, robj *s, int stm)
{
    if (g_hash_table_contains(a->stms, GSIZE_TO_POINTER(s->stream.data + 1)))
        return;
    g_hash_table_add(a->stms, GSIZE_TO_POINTER(s->stream.data + 1));
    pdf_reader *r = a->r;
    int64_t n, first;
    uint8_t *data = NULL;
    size_t len = 0;
    if (!pdf_rd_int(pdf_rd_get(r, s, "N"), &n) || !pdf_rd_int(pdf_rd_get(r, s, "First"), &first) ||
        n < 0 || n > RD_MAX_ITEMS || first < 0 ||
        !pdf_rd_stream_decode_all(r, s, RD_MAX_OBJSTM, &data, &len) || (uint64_t)first > len ||
        !spend(a, len)) {
        g_free(data);
        objstm_fail(a, stm);
        return;
    }
    pdf_rd_lex head;
    pdf_rd_lex_mem(&head, data, (size_t)first);
    for (int64_t i = 0; i < n && !a->stop; i++) {
        if (r->arena.total > ACT_RESET)
            pdf_rd_reset(r);
        if (!objstm_member(a, stm, data, len, (size_t)first, &head))
            objstm_fail(a, stm);
    }
    pdf_rd_lex_done(&head);
    g_free(data);
}

/* ---- objects of the file ---- */

/* "N G obj" VALUE at pos (want: its number, or -1 for any): checked, and the end of what it
 * spans (past its stream's data) in *end. False when there is no object there. */
static bool check_object_at(act_scan *a, uint64_t pos, int want, uint64_t *end)
{
    pdf_reader *r = a->r;
    pdf_rd_lex lx;
    pdf_rd_lex_file(&lx, &r->file, pos, r->file.size);
    pdf_rd_parser p = {.lx = &lx, .arena = &r->arena, .refs = true};
    pdf_rd_token n, g, k, t;
    robj *o = NULL;
    if (pdf_rd_lex_next(&lx, &n) && n.type == RT_INT && n.i > 0 && n.i < RD_MAX_OBJECTS &&
        (want < 0 || n.i == want) && pdf_rd_lex_next(&lx, &g) && g.type == RT_INT &&
        pdf_rd_lex_next(&lx, &k) && pdf_rd_tok_is(&k, "obj") && pdf_rd_lex_next(&lx, &t))
        o = pdf_rd_parse_value(&p, &t, 0);
    robj *s = NULL;
    if (o && o->type == RO_DICT) {
        uint64_t save = lx.pos;
        if (pdf_rd_lex_next(&lx, &t) && pdf_rd_tok_is(&t, "stream")) {
            while (pdf_rd_lex_peek(&lx) == ' ')
                lx.pos++;
            if (pdf_rd_lex_peek(&lx) == '\r')
                lx.pos++;
            if (pdf_rd_lex_peek(&lx) == '\n')
                lx.pos++;
            s = pdf_rd_alloc(&r->arena, sizeof *s);
            if (s)
                *s = (robj){.type = RO_STREAM,
                            .stream = {.dict = o, .data = lx.pos, .num = (int)n.i}};
        } else {
            lx.pos = save;
        }
    }
    *end = lx.pos;
    pdf_rd_lex_done(&lx);
    if (!o && r->arena.total > RD_ARENA_MAX / 2) /* an object too big to hold, not garbage */
        fail(a, g_strdup(_("it holds more than can be checked")));
    if (!spend(a, *end - pos) || !o)
        return false;
    uint64_t start, stop;
    if (s && pdf_rd_stream_extent(r, s, &start, &stop) && spend(a, stop - start))
        *end = stop;
    check_value(a, o, (int)n.i);
    int num = (int)n.i;
    if (num < r->xref_len && r->xref[num].type == 1 && r->xref[num].offset == pos)
        g_hash_table_add(a->parsed, GSIZE_TO_POINTER(pos + 1));
    if (s && pdf_rd_is_name(pdf_rd_dict_find(o, "Type"), "ObjStm"))
        check_objstm(a, s, (int)n.i);
    return true;
}

/* Where the "N G" before the "obj" at `at` starts; false when they are not there. */
static bool header_start(pdf_reader *r, uint64_t at, uint64_t *start)
{
    uint8_t b[ACT_BACK];
    uint64_t from = at > ACT_BACK ? at - ACT_BACK : 0;
    size_t n = pdf_rd_file_read(&r->file, from, b, (size_t)(at - from));
    size_t j = n;
    for (int part = 0; part < 2; part++) { /* spaces then digits: the generation, the number */
        size_t spaces = j;
        while (j > 0 && pdf_rd_is_space(b[j - 1]))
            j--;
        size_t digits = j;
        while (j > 0 && b[j - 1] >= '0' && b[j - 1] <= '9')
            j--;
        if (j == spaces || j == digits || digits == spaces)
            return false;
    }
    *start = from + j;
    return true;
}

/* Every "N G obj" of the file, in file order, past each object once read. */
static void scan_file(act_scan *a)
{
    pdf_reader *r = a->r;
    uint8_t *buf = g_malloc(ACT_CHUNK);
    uint64_t pos = 0, bstart = 0;
    size_t blen = 0;
    while (pos < r->file.size && !a->stop) {
        if (pos < bstart || pos + 3 > bstart + blen) {
            bstart = pos;
            blen = pdf_rd_file_pread(&r->file, pos, buf, ACT_CHUNK);
            if (blen < 3)
                break;
        }
        const uint8_t *hit = memmem(buf + (pos - bstart), blen - (size_t)(pos - bstart), "obj", 3);
        if (!hit) {
            pos = bstart + blen - 2;
            if (bstart + blen >= r->file.size)
                break;
            continue;
        }
        uint64_t at = bstart + (uint64_t)(hit - buf), start, end = 0;
        pos = at + 3;
        if (r->arena.total > ACT_RESET)
            pdf_rd_reset(r);
        if (header_start(r, at, &start) && check_object_at(a, start, -1, &end) && end > pos)
            pos = end;
    }
    g_free(buf);
}

/* The objects the cross-reference names that the scan did not read, and the members of the
 * object streams it names. */
static void check_xref(act_scan *a)
{
    pdf_reader *r = a->r;
    for (int num = 1; num < r->xref_len && !a->stop; num++) {
        pdf_rd_xentry e = r->xref[num];
        uint64_t end;
        if (r->arena.total > ACT_RESET)
            pdf_rd_reset(r);
        if (e.type == 1 && !g_hash_table_contains(a->parsed, GSIZE_TO_POINTER(e.offset + 1)) &&
            !check_object_at(a, e.offset, num, &end))
            fail(a, g_strdup_printf(_("object %d cannot be read"), num));
        if (e.type != 2 || e.offset >= (uint64_t)RD_MAX_OBJECTS ||
            (a->members[num / 8] & (1u << (num % 8))))
            continue;
        robj *s = pdf_rd_fetch(r, (int)e.offset);
        if (s->type == RO_STREAM)
            check_objstm(a, s, (int)e.offset);
        if (!(a->members[num / 8] & (1u << (num % 8))))
            fail(a, g_strdup_printf(_("object %d cannot be read"), num));
    }
}

sh_status pdf_active_content(const char *path, char **found_out, sh_error *err)
{
    *found_out = NULL;
    pdf_reader *r = NULL;
    sh_error oerr;
    if (pdf_reader_open(path, &r, &oerr) != SH_OK)
        return sh_fail(err, SH_INPUT, _("%s cannot be checked for harmful content: %s"), path,
                       oerr.msg);
    act_scan a = {
        .r = r,
        .seen = g_hash_table_new(NULL, NULL),
        .stms = g_hash_table_new(NULL, NULL),
        .parsed = g_hash_table_new(NULL, NULL),
        .members = g_malloc0((size_t)RD_MAX_OBJECTS / 8),
        .list = g_string_new(NULL),
        .budget = ACT_BUDGET + 16 * r->file.size,
    };
    pdf_rd_reset(r);
    scan_file(&a);
    if (!a.stop)
        check_xref(&a);
    if (!a.failed && r->file.error)
        a.failed = g_strdup(g_strerror(r->file.error));
    sh_status st = SH_OK;
    if (a.failed)
        st = sh_fail(err, SH_INPUT,
                     _("%s cannot be checked for harmful content (%s); the file may be damaged "
                       "or altered, so it is not taken as clean"),
                     path, a.failed);
    else if (a.listed) {
        if (a.stop)
            g_string_append(a.list, _(", and more"));
        else if (a.more)
            g_string_append_printf(a.list, _(", and %d more"), a.more);
        *found_out = g_string_free(a.list, false);
        a.list = NULL;
    }
    if (a.list)
        g_string_free(a.list, true);
    g_free(a.failed);
    g_free(a.members);
    g_hash_table_destroy(a.seen);
    g_hash_table_destroy(a.stms);
    g_hash_table_destroy(a.parsed);
    pdf_reader_close(r);
    return st;
}
