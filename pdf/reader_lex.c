/* The bounded reader's bottom layer: an arena for parsed objects, the file through a block
 * cache, the PDF lexer (every token kind, with the leniency viewers have) and the object
 * parser. */
#include "reader_impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

robj pdf_rd_null = {.type = RO_NULL};

/* ---- arena ---- */

struct pdf_rd_chunk {
    pdf_rd_chunk *next;
    size_t size, used;
    max_align_t data[];
};

#define RD_CHUNK_MIN (256u << 10)

void *pdf_rd_alloc(pdf_rd_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    if (n > RD_ARENA_MAX)
        return NULL;
    pdf_rd_chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = n > RD_CHUNK_MIN ? n : RD_CHUNK_MIN;
        if (a->total + size > RD_ARENA_MAX)
            return NULL;
        c = g_malloc(sizeof *c + size);
        c->size = size;
        c->used = 0;
        c->next = a->head;
        a->head = c;
        a->total += size;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

void pdf_rd_arena_rewind(pdf_rd_arena *a)
{
    /* keep the oldest chunk: a scratch arena emptied after every operator costs no malloc */
    while (a->head && a->head->next) {
        pdf_rd_chunk *next = a->head->next;
        a->total -= a->head->size;
        g_free(a->head);
        a->head = next;
    }
    if (a->head)
        a->head->used = 0;
}

void pdf_rd_arena_reset(pdf_rd_arena *a)
{
    while (a->head) {
        pdf_rd_chunk *next = a->head->next;
        g_free(a->head);
        a->head = next;
    }
    a->total = 0;
}

/* ---- file ---- */

size_t pdf_rd_file_pread(pdf_rd_file *f, uint64_t pos, void *buf, size_t n)
{
    size_t done = 0;
    while (done < n && pos + done < f->size) {
        ssize_t k = pread(f->fd, (char *)buf + done, n - done, (off_t)(pos + done));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k < 0)
                f->error = errno;
            break;
        }
        done += (size_t)k;
    }
    return done;
}

static pdf_rd_block *block_for(pdf_rd_file *f, uint64_t start)
{
    pdf_rd_block *victim = &f->blocks[0];
    for (int i = 0; i < RD_BLOCKS; i++) {
        pdf_rd_block *b = &f->blocks[i];
        if (b->data && b->start == start) {
            b->used = ++f->tick;
            return b;
        }
        if (!b->data || b->used < victim->used)
            victim = b;
    }
    if (!victim->data)
        victim->data = g_malloc(RD_BLOCK_SIZE);
    victim->start = start;
    victim->len = pdf_rd_file_pread(f, start, victim->data, RD_BLOCK_SIZE);
    victim->used = ++f->tick;
    return victim;
}

size_t pdf_rd_file_read(pdf_rd_file *f, uint64_t pos, void *buf, size_t n)
{
    size_t done = 0;
    while (done < n && pos + done < f->size) {
        uint64_t at = pos + done;
        pdf_rd_block *b = block_for(f, at - at % RD_BLOCK_SIZE);
        size_t off = (size_t)(at - b->start);
        if (off >= b->len)
            break;
        size_t k = b->len - off < n - done ? b->len - off : n - done;
        memcpy((char *)buf + done, b->data + off, k);
        done += k;
    }
    return done;
}

/* ---- objects ---- */

bool pdf_rd_num(const robj *o, double *v)
{
    if (o->type == RO_INT)
        *v = (double)o->i;
    else if (o->type == RO_REAL)
        *v = o->r;
    else
        return false;
    return true;
}

bool pdf_rd_int(const robj *o, int64_t *v)
{
    if (o->type != RO_INT)
        return false;
    *v = o->i;
    return true;
}

const char *pdf_rd_name(const robj *o) { return o->type == RO_NAME ? o->str.s : NULL; }

bool pdf_rd_is_name(const robj *o, const char *name)
{
    return o->type == RO_NAME && strcmp(o->str.s, name) == 0;
}

robj *pdf_rd_dict_find(const robj *dict, const char *key)
{
    if (dict->type == RO_STREAM)
        dict = dict->stream.dict;
    if (dict->type != RO_DICT)
        return &pdf_rd_null;
    for (int i = 0; i < dict->dict.n; i++)
        if (strcmp(dict->dict.items[i].key, key) == 0)
            return dict->dict.items[i].val;
    return &pdf_rd_null;
}

/* ---- lexer ---- */

bool pdf_rd_is_space(int c) { return c == 0 || c == 9 || c == 10 || c == 12 || c == 13 || c == 32; }

bool pdf_rd_is_delim(int c)
{
    return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
           c == '}' || c == '/' || c == '%';
}

static bool is_regular(int c) { return c >= 0 && !pdf_rd_is_space(c) && !pdf_rd_is_delim(c); }

void pdf_rd_lex_mem(pdf_rd_lex *lx, const uint8_t *data, size_t len)
{
    memset(lx, 0, offsetof(pdf_rd_lex, win));
    lx->mem = data;
    lx->end = len;
    lx->win_len = 0;
    lx->buf = NULL;
    lx->buf_len = lx->buf_cap = 0;
}

void pdf_rd_lex_file(pdf_rd_lex *lx, pdf_rd_file *f, uint64_t pos, uint64_t end)
{
    memset(lx, 0, offsetof(pdf_rd_lex, win));
    lx->file = f;
    lx->pos = pos;
    lx->end = end < f->size ? end : f->size;
    lx->win_start = 0;
    lx->win_len = 0;
    lx->buf = NULL;
    lx->buf_len = lx->buf_cap = 0;
}

void pdf_rd_lex_done(pdf_rd_lex *lx)
{
    g_free(lx->buf);
    lx->buf = NULL;
}

int pdf_rd_lex_peek(pdf_rd_lex *lx)
{
    if (lx->pos >= lx->end)
        return -1;
    if (lx->mem)
        return lx->mem[lx->pos];
    if (lx->pos < lx->win_start || lx->pos >= lx->win_start + lx->win_len) {
        uint64_t want = lx->end - lx->pos;
        lx->win_start = lx->pos;
        lx->win_len = pdf_rd_file_read(lx->file, lx->pos, lx->win,
                                       want < sizeof lx->win ? (size_t)want : sizeof lx->win);
        if (lx->win_len == 0)
            return -1;
    }
    return lx->win[lx->pos - lx->win_start];
}

static int lex_get(pdf_rd_lex *lx)
{
    int c = pdf_rd_lex_peek(lx);
    if (c >= 0)
        lx->pos++;
    return c;
}

static bool buf_put(pdf_rd_lex *lx, int c)
{
    if (lx->buf_len + 1 >= lx->buf_cap) {
        if (lx->buf_cap >= RD_MAX_STRING)
            return false;
        lx->buf_cap = lx->buf_cap ? lx->buf_cap * 2 : 256;
        lx->buf = g_realloc(lx->buf, lx->buf_cap);
    }
    lx->buf[lx->buf_len++] = (uint8_t)c;
    return true;
}

int pdf_rd_hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void skip_space_and_comments(pdf_rd_lex *lx)
{
    for (;;) {
        int c = pdf_rd_lex_peek(lx);
        if (c == '%') {
            while (c >= 0 && c != '\n' && c != '\r')
                c = lex_get(lx);
        } else if (c >= 0 && pdf_rd_is_space(c)) {
            lx->pos++;
        } else {
            return;
        }
    }
}

/* ( … ) with nesting and escapes; the opening parenthesis is read. */
static bool lex_literal(pdf_rd_lex *lx)
{
    int nest = 1;
    for (;;) {
        int c = lex_get(lx);
        if (c < 0)
            return true; /* unterminated: what there is, as viewers do */
        if (c == '(')
            nest++;
        else if (c == ')' && --nest == 0)
            return true;
        else if (c == '\\') {
            c = lex_get(lx);
            switch (c) {
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            case 't':
                c = '\t';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case '\r':
                if (pdf_rd_lex_peek(lx) == '\n')
                    lx->pos++;
                continue;
            case '\n':
                continue;
            case -1:
                return true;
            default:
                if (c >= '0' && c <= '7') {
                    int v = c - '0';
                    for (int k = 0; k < 2; k++) {
                        int d = pdf_rd_lex_peek(lx);
                        if (d < '0' || d > '7')
                            break;
                        v = v * 8 + d - '0';
                        lx->pos++;
                    }
                    c = v & 0xff;
                }
            }
        }
        if (!buf_put(lx, c))
            return false;
    }
}

/* < … > ; the opening bracket is read. */
static bool lex_hex(pdf_rd_lex *lx)
{
    int hi = -1;
    for (;;) {
        int c = lex_get(lx);
        if (c < 0 || c == '>')
            break;
        int v = pdf_rd_hex_value(c);
        if (v < 0)
            continue; /* whitespace, or junk viewers skip */
        if (hi < 0) {
            hi = v;
        } else {
            if (!buf_put(lx, hi << 4 | v))
                return false;
            hi = -1;
        }
    }
    return hi < 0 || buf_put(lx, hi << 4);
}

static bool lex_name(pdf_rd_lex *lx)
{
    for (;;) {
        int c = pdf_rd_lex_peek(lx);
        if (!is_regular(c))
            return true;
        lx->pos++;
        if (c == '#') {
            int h = pdf_rd_hex_value(pdf_rd_lex_peek(lx));
            if (h >= 0) {
                uint64_t save = lx->pos++;
                int l = pdf_rd_hex_value(pdf_rd_lex_peek(lx));
                if (l >= 0 && (h | l)) {
                    lx->pos++;
                    c = h << 4 | l;
                } else {
                    lx->pos = save;
                }
            }
        }
        if (lx->buf_len >= 4096 || !buf_put(lx, c))
            return false;
    }
}

/* Numbers as viewers read them: several leading signs, a leading or trailing point. */
static void lex_number(pdf_rd_lex *lx, int first, pdf_rd_token *t)
{
    bool neg = false, point = false, overflow = false;
    int64_t iv = 0;
    double dv = 0, scale = 1;
    int c = first;
    if (c == '-' || c == '+') {
        for (;;) {
            neg ^= c == '-';
            c = pdf_rd_lex_peek(lx);
            if (c != '-' && c != '+')
                break;
            lx->pos++;
        }
        if ((c >= '0' && c <= '9') || c == '.')
            lx->pos++;
        else
            c = -1; /* a lone sign: 0 */
    }
    for (; c >= 0; c = lex_get(lx)) {
        if (c == '.') {
            point = true;
        } else if (point) {
            if (scale > 1e-30) {
                scale /= 10;
                dv += (c - '0') * scale;
            }
        } else {
            if (iv > (INT64_MAX - 9) / 10)
                overflow = true;
            else
                iv = iv * 10 + (c - '0');
            if (dv < 1e30)
                dv = dv * 10 + (c - '0');
        }
        int next = pdf_rd_lex_peek(lx);
        if (!((next >= '0' && next <= '9') || (next == '.' && !point)))
            break;
    }
    if (point || overflow) {
        t->type = RT_REAL;
        t->r = neg ? -dv : dv;
    } else {
        t->type = RT_INT;
        t->i = neg ? -iv : iv;
    }
}

bool pdf_rd_lex_next(pdf_rd_lex *lx, pdf_rd_token *t)
{
    skip_space_and_comments(lx);
    memset(t, 0, sizeof *t);
    t->pos = lx->pos;
    lx->buf_len = 0;
    int c = lex_get(lx);
    switch (c) {
    case -1:
        t->type = RT_EOF;
        return false;
    case '[':
        t->type = RT_ARRAY_OPEN;
        return true;
    case ']':
        t->type = RT_ARRAY_CLOSE;
        return true;
    case '(':
        t->type = lex_literal(lx) ? RT_STRING : RT_ERROR;
        break;
    case '<':
        if (pdf_rd_lex_peek(lx) == '<') {
            lx->pos++;
            t->type = RT_DICT_OPEN;
            return true;
        }
        t->type = lex_hex(lx) ? RT_STRING : RT_ERROR;
        break;
    case '>':
        if (pdf_rd_lex_peek(lx) == '>') {
            lx->pos++;
            t->type = RT_DICT_CLOSE;
            return true;
        }
        buf_put(lx, c);
        t->type = RT_KEYWORD;
        break;
    case '/':
        t->type = lex_name(lx) ? RT_NAME : RT_ERROR;
        break;
    case ')':
    case '{':
    case '}':
        buf_put(lx, c);
        t->type = RT_KEYWORD;
        break;
    default:
        if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') {
            lex_number(lx, c, t);
            return true;
        }
        t->type = RT_KEYWORD;
        buf_put(lx, c);
        while (is_regular(pdf_rd_lex_peek(lx)) && lx->buf_len < 256)
            buf_put(lx, lex_get(lx));
        break;
    }
    if (t->type == RT_ERROR)
        return false;
    if (lx->buf)
        lx->buf[lx->buf_len] = 0; /* a terminator, not counted: buf_put leaves room for it */
    t->s = lx->buf ? lx->buf : (const uint8_t *)"";
    t->len = lx->buf_len;
    return true;
}

bool pdf_rd_tok_is(const pdf_rd_token *t, const char *keyword)
{
    return t->type == RT_KEYWORD && t->len == strlen(keyword) && memcmp(t->s, keyword, t->len) == 0;
}

/* ---- parser ---- */

static robj *new_obj(pdf_rd_parser *p, ro_type type)
{
    robj *o = pdf_rd_alloc(p->arena, sizeof *o);
    if (o)
        o->type = type;
    return o;
}

static robj *new_text(pdf_rd_parser *p, ro_type type, const pdf_rd_token *t)
{
    robj *o = new_obj(p, type);
    char *s = o ? pdf_rd_alloc(p->arena, t->len + 1) : NULL;
    if (!s)
        return NULL;
    memcpy(s, t->s, t->len);
    o->str.s = s;
    o->str.len = t->len;
    return o;
}

/* After an integer: "G R" makes it a reference; otherwise the lexer goes back. */
static robj *number_or_ref(pdf_rd_parser *p, const pdf_rd_token *t)
{
    if (p->refs && t->i >= 0 && t->i < RD_MAX_OBJECTS) {
        uint64_t save = p->lx->pos;
        pdf_rd_token g, r;
        if (pdf_rd_lex_next(p->lx, &g) && g.type == RT_INT && g.i >= 0 && g.i <= 65535 &&
            pdf_rd_lex_next(p->lx, &r) && pdf_rd_tok_is(&r, "R")) {
            robj *o = new_obj(p, RO_REF);
            if (o) {
                o->ref.num = (int)t->i;
                o->ref.gen = (int)g.i;
            }
            return o;
        }
        p->lx->pos = save;
    }
    robj *o = new_obj(p, RO_INT);
    if (o)
        o->i = t->i;
    return o;
}

static robj *parse_array(pdf_rd_parser *p, int depth)
{
    GPtrArray *items = g_ptr_array_new();
    robj *o = NULL;
    pdf_rd_token t;
    for (;;) {
        if (!pdf_rd_lex_next(p->lx, &t))
            break; /* unterminated: keep what was read */
        if (t.type == RT_ARRAY_CLOSE)
            break;
        robj *v = pdf_rd_parse_value(p, &t, depth + 1);
        if (!v || items->len >= RD_MAX_ITEMS)
            goto out;
        if (v->type == RO_KEYWORD && p->refs)
            goto out; /* "endobj" inside an array: broken */
        g_ptr_array_add(items, v);
    }
    o = new_obj(p, RO_ARRAY);
    if (o) {
        o->arr.items = pdf_rd_alloc(p->arena, items->len * sizeof(robj *));
        if (!o->arr.items)
            o = NULL;
        else {
            if (items->len)
                memcpy(o->arr.items, items->pdata, items->len * sizeof(robj *));
            o->arr.n = (int)items->len;
        }
    }
out:
    g_ptr_array_free(items, true);
    return o;
}

static robj *parse_dict(pdf_rd_parser *p, int depth)
{
    GArray *items = g_array_new(false, false, sizeof(pdf_rd_item));
    robj *o = NULL;
    pdf_rd_token t;
    for (;;) {
        if (!pdf_rd_lex_next(p->lx, &t))
            break;
        if (t.type == RT_DICT_CLOSE)
            break;
        if (t.type != RT_NAME) {
            if (t.type == RT_KEYWORD && p->refs)
                break; /* "stream"/"endobj" without ">>": end the dictionary here */
            robj *junk = pdf_rd_parse_value(p, &t, depth + 1); /* a value without a key */
            if (!junk)
                goto out;
            continue;
        }
        robj *key = new_text(p, RO_NAME, &t);
        if (!key || !pdf_rd_lex_next(p->lx, &t) || items->len >= RD_MAX_ITEMS)
            goto out;
        if (t.type == RT_DICT_CLOSE)
            break;
        robj *v = pdf_rd_parse_value(p, &t, depth + 1);
        if (!v)
            goto out;
        pdf_rd_item it = {key->str.s, v};
        g_array_append_val(items, it);
    }
    o = new_obj(p, RO_DICT);
    if (o) {
        o->dict.items = pdf_rd_alloc(p->arena, items->len * sizeof(pdf_rd_item));
        if (!o->dict.items)
            o = NULL;
        else {
            if (items->len)
                memcpy(o->dict.items, items->data, items->len * sizeof(pdf_rd_item));
            o->dict.n = (int)items->len;
        }
    }
out:
    g_array_free(items, true);
    return o;
}

robj *pdf_rd_parse_value(pdf_rd_parser *p, const pdf_rd_token *t, int depth)
{
    if (depth > RD_MAX_DEPTH)
        return NULL;
    robj *o;
    switch (t->type) {
    case RT_INT:
        return number_or_ref(p, t);
    case RT_REAL:
        o = new_obj(p, RO_REAL);
        if (o)
            o->r = isfinite(t->r) ? t->r : 0;
        return o;
    case RT_NAME:
        return new_text(p, RO_NAME, t);
    case RT_STRING:
        return new_text(p, RO_STRING, t);
    case RT_ARRAY_OPEN:
        return parse_array(p, depth);
    case RT_DICT_OPEN:
        return parse_dict(p, depth);
    case RT_KEYWORD:
        if (pdf_rd_tok_is(t, "true") || pdf_rd_tok_is(t, "false")) {
            o = new_obj(p, RO_BOOL);
            if (o)
                o->b = t->s[0] == 't';
            return o;
        }
        if (pdf_rd_tok_is(t, "null"))
            return &pdf_rd_null;
        return new_text(p, RO_KEYWORD, t);
    default:
        return NULL;
    }
}
