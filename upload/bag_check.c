/* Checking a received bag (RFC 8493): its tag files, read from memory with bounds, against the
 * payload files the receiver saw in the package. Every problem is reported, none stops the pass.
 * Codes: docs/package.md, "BagIt tag files". */
#include "bag_impl.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "upload/upload.h"

typedef struct {
    sh_finding_sink sink;
    void *ctx;
    size_t n;
} reporter;

/* Text from the bag, fit to show: valid UTF-8 (U+FFFD for bad bytes), control characters '?'.
 * Takes s (g_free) and returns the text to show (g_free). */
static char *printable(char *s)
{
    char *valid = g_utf8_make_valid(s, -1);
    g_free(s);
    for (char *p = valid; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return valid;
}

static void report(reporter *r, const char *code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void report(reporter *r, const char *code, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *message = printable(g_strdup_vprintf(fmt, ap));
    va_end(ap);
    char *shown = path ? printable(g_strdup(path)) : NULL;
    sh_finding f = {.code = code, .severity = SH_ERROR, .path = shown, .message = message};
    if (r->sink)
        r->sink(&f, r->ctx);
    r->n++;
    g_free(message);
    g_free(shown);
}

/* ---- lines: LF, CRLF or CR end a line (RFC 8493 §2); the last one may have no end. */
typedef struct {
    const char *p, *end;
    size_t number;
} lines;

static bool next_line(lines *l, const char **start, size_t *len)
{
    if (l->p >= l->end)
        return false;
    const char *s = l->p;
    const char *e = s;
    while (e < l->end && *e != '\n' && *e != '\r')
        e++;
    *start = s;
    *len = (size_t)(e - s);
    if (e < l->end && *e == '\r' && e + 1 < l->end && e[1] == '\n')
        e++;
    l->p = e < l->end ? e + 1 : e;
    l->number++;
    return true;
}

static const up_bag_tag *find_tag(const up_bag_tag *tags, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (tags[i].name && strcmp(tags[i].name, name) == 0)
            return &tags[i];
    return NULL;
}

/* The checks every tag file gets: size, no BOM, UTF-8, no NUL, line length. False when it is
 * unusable (too large); otherwise *body and *len skip a BOM already reported. */
static bool usable_text(reporter *r, const up_bag_tag *t, const char **body, size_t *len)
{
    *body = t->data ? t->data : "";
    *len = t->data ? t->len : 0;
    if (*len > UP_BAG_MAX_TAG_BYTES) {
        report(r, "receive.bag.syntax", t->name, _("%s is larger than %zu MiB."), t->name,
               UP_BAG_MAX_TAG_BYTES >> 20);
        return false;
    }
    if (*len >= 3 && memcmp(*body, "\xEF\xBB\xBF", 3) == 0) {
        report(r, "receive.bag.syntax", t->name,
               _("%s starts with a byte-order mark, which BagIt forbids."), t->name);
        *body += 3;
        *len -= 3;
    }
    if (!g_utf8_validate_len(*body, *len, NULL) || memchr(*body, '\0', *len))
        report(r, "receive.bag.syntax", t->name, _("%s is not UTF-8 text."), t->name);
    lines l = {*body, *body + *len, 0};
    const char *s;
    size_t n;
    while (next_line(&l, &s, &n))
        if (n > UP_BAG_MAX_LINE) {
            report(r, "receive.bag.syntax", t->name, _("%s: line %zu is longer than %d bytes."),
                   t->name, l.number, UP_BAG_MAX_LINE);
            return false;
        }
    return true;
}

/* ---- "Label: value" files (bagit.txt, bag-info.txt). */
typedef void (*field_fn)(const char *label, const char *value, size_t line, void *ctx);

static char *trimmed(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return g_strndup(s, n);
}

/* Calls fn for each field, folded continuation lines (starting with blanks) joined by a space. */
static void each_field(reporter *r, const char *name, const char *text, size_t len, field_fn fn,
                       void *ctx)
{
    lines l = {text, text + len, 0};
    const char *s;
    size_t n;
    char *label = NULL;
    GString *value = g_string_new(NULL);
    size_t at = 0;
    while (next_line(&l, &s, &n)) {
        if (n && (*s == ' ' || *s == '\t') && label) {
            char *more = trimmed(s, n);
            g_string_append_printf(value, " %s", more);
            g_free(more);
            continue;
        }
        if (label)
            fn(label, value->str, at, ctx);
        g_free(label);
        label = NULL;
        const char *colon = n ? memchr(s, ':', n) : NULL;
        if (!colon || colon == s) {
            if (n)
                report(r, "receive.bag.syntax", name, _("%s: line %zu is not \"Label: value\"."),
                       name, l.number);
            continue;
        }
        label = trimmed(s, (size_t)(colon - s));
        char *v = trimmed(colon + 1, n - (size_t)(colon + 1 - s));
        g_string_assign(value, v);
        g_free(v);
        at = l.number;
    }
    if (label)
        fn(label, value->str, at, ctx);
    g_free(label);
    g_string_free(value, TRUE);
}

/* ---- bagit.txt */
typedef struct {
    char *version, *encoding;
} bagit_fields;

static void bagit_field(const char *label, const char *value, size_t line, void *ctx)
{
    (void)line;
    bagit_fields *b = ctx;
    if (strcmp(label, "BagIt-Version") == 0 && !b->version)
        b->version = g_strdup(value);
    else if (strcmp(label, "Tag-File-Character-Encoding") == 0 && !b->encoding)
        b->encoding = g_strdup(value);
}

static void check_bagit(reporter *r, const up_bag_tag *tags, size_t n_tags)
{
    const up_bag_tag *t = find_tag(tags, n_tags, "bagit.txt");
    if (!t) {
        report(r, "receive.bag.version", "bagit.txt", _("The bag has no bagit.txt."));
        return;
    }
    const char *body;
    size_t len;
    if (!usable_text(r, t, &body, &len))
        return;
    bagit_fields b = {NULL, NULL};
    each_field(r, t->name, body, len, bagit_field, &b);
    if (!b.version || strcmp(b.version, "1.0") != 0)
        report(r, "receive.bag.version", t->name, _("bagit.txt: BagIt-Version is %s, not 1.0."),
               b.version ? b.version : _("missing"));
    if (!b.encoding || g_ascii_strcasecmp(b.encoding, "UTF-8") != 0)
        report(r, "receive.bag.version", t->name,
               _("bagit.txt: Tag-File-Character-Encoding is %s, not UTF-8."),
               b.encoding ? b.encoding : _("missing"));
    g_free(b.version);
    g_free(b.encoding);
}

/* ---- one value of a "Label: value" file, for the receiver's own checks */
typedef struct {
    const char *label;
    char *value;
} one_field;

static void take_field(const char *label, const char *value, size_t line, void *ctx)
{
    (void)line;
    one_field *f = ctx;
    if (!f->value && g_ascii_strcasecmp(label, f->label) == 0)
        f->value = g_strdup(value);
}

char *up_bag_field_value(const char *text, size_t len, const char *label)
{
    reporter quiet = {NULL, NULL, 0};
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        text += 3, len -= 3;
    one_field f = {label, NULL};
    each_field(&quiet, "", text, len, take_field, &f);
    return f.value;
}

/* ---- bag-info.txt */
enum { F_ORG, F_ID, F_DATE, F_OXUM, F_GROUP, F_COUNT, F_SENDER, F_BASIS, N_FIELDS };
static const char *const FIELD[N_FIELDS] = {"Source-Organization",
                                            "External-Identifier",
                                            "Bagging-Date",
                                            "Payload-Oxum",
                                            "Bag-Group-Identifier",
                                            "Bag-Count",
                                            "Internal-Sender-Identifier",
                                            "Sohoa-Basis"};

typedef struct {
    reporter *r;
    char *value[N_FIELDS];
} info_fields;

static void info_field(const char *label, const char *value, size_t line, void *ctx)
{
    info_fields *f = ctx;
    for (int i = 0; i < N_FIELDS; i++) {
        if (g_ascii_strcasecmp(label, FIELD[i]) != 0)
            continue;
        if (f->value[i])
            report(f->r, "receive.bag.info_field", "bag-info.txt",
                   _("bag-info.txt: line %zu repeats %s."), line, FIELD[i]);
        else
            f->value[i] = g_strdup(value);
    }
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0 || n > 19)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* "<a><sep><b>", both decimal numbers; false when the text is not that. */
static bool two_numbers(const char *text, const char *sep, uint64_t *a, uint64_t *b)
{
    const char *mid = strstr(text, sep);
    if (!mid || !all_digits(text, (size_t)(mid - text)))
        return false;
    const char *second = mid + strlen(sep);
    if (!all_digits(second, strlen(second)))
        return false;
    *a = strtoull(text, NULL, 10);
    *b = strtoull(second, NULL, 10);
    return true;
}

static bool valid_date(const char *d)
{
    if (strlen(d) != 10 || d[4] != '-' || d[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return false;
    int month = atoi(d + 5), day = atoi(d + 8);
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

static void bad_field(reporter *r, int i, const char *value)
{
    report(r, "receive.bag.info_field", "bag-info.txt", _("bag-info.txt: %s is not valid: %s."),
           FIELD[i], value);
}

static void check_oxum(reporter *r, const char *oxum, const up_bag_entry *payload, size_t n)
{
    uint64_t octets = 0, streams = 0, have = 0;
    if (!two_numbers(oxum, ".", &octets, &streams)) {
        bad_field(r, F_OXUM, oxum);
        return;
    }
    for (size_t i = 0; i < n; i++)
        have += payload[i].size;
    if (octets != have || streams != n)
        report(r, "receive.bag.oxum", "bag-info.txt",
               _("Payload-Oxum says %s, the payload is %llu.%zu: files are missing, extra or "
                 "truncated."),
               oxum, (unsigned long long)have, n);
}

static void check_info_values(reporter *r, char *const *v, const up_bag_entry *payload, size_t n)
{
    for (int i = 0; i < N_FIELDS; i++)
        if (!v[i] && i != F_GROUP && i != F_COUNT)
            report(r, "receive.bag.info_field", "bag-info.txt",
                   _("bag-info.txt: the field %s is missing."), FIELD[i]);
    for (int i = 0; i < N_FIELDS; i++)
        if (v[i] && !*v[i])
            bad_field(r, i, v[i]);
    if (v[F_ID] && *v[F_ID] && !up_package_id_valid(v[F_ID]))
        bad_field(r, F_ID, v[F_ID]);
    if (v[F_DATE] && *v[F_DATE] && !valid_date(v[F_DATE]))
        bad_field(r, F_DATE, v[F_DATE]);
    if (v[F_OXUM])
        check_oxum(r, v[F_OXUM], payload, n);
    uint64_t k = 0, total = 0;
    if (v[F_COUNT] && (!two_numbers(v[F_COUNT], " of ", &k, &total) || k < 1 || k > total))
        bad_field(r, F_COUNT, v[F_COUNT]);
    if (!v[F_COUNT] != !v[F_GROUP])
        report(r, "receive.bag.info_field", "bag-info.txt",
               _("bag-info.txt: Bag-Group-Identifier and Bag-Count go together."));
}

static void check_info(reporter *r, const up_bag_tag *tags, size_t n_tags,
                       const up_bag_entry *payload, size_t n_payload)
{
    const up_bag_tag *t = find_tag(tags, n_tags, "bag-info.txt");
    if (!t) {
        report(r, "receive.bag.info_field", "bag-info.txt", _("The bag has no bag-info.txt."));
        return;
    }
    const char *body;
    size_t len;
    if (!usable_text(r, t, &body, &len))
        return;
    info_fields f = {.r = r};
    each_field(r, t->name, body, len, info_field, &f);
    check_info_values(r, f.value, payload, n_payload);
    for (int i = 0; i < N_FIELDS; i++)
        g_free(f.value[i]);
}

/* ---- manifests: "<hex> <blanks> <path>" lines. */
typedef struct {
    char *path;
    char hex[UP_BAG_SHA512_HEX + 1];
} mentry;

typedef struct {
    mentry *e;
    size_t n, cap;
} mlist;

static void mlist_free(mlist *m)
{
    for (size_t i = 0; i < m->n; i++)
        g_free(m->e[i].path);
    g_free(m->e);
}

/* RFC 8493 §2.1.3: %0D, %0A and %25 (either case) stand for CR, LF and %; nothing else. */
static char *decode_path(const char *s, size_t n)
{
    GString *out = g_string_sized_new(n);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n) {
            char c1 = s[i + 1], c2 = (char)g_ascii_toupper(s[i + 2]);
            if (c1 == '0' && (c2 == 'D' || c2 == 'A')) {
                g_string_append_c(out, c2 == 'D' ? '\r' : '\n');
                i += 2;
                continue;
            }
            if (c1 == '2' && c2 == '5') {
                g_string_append_c(out, '%');
                i += 2;
                continue;
            }
        }
        g_string_append_c(out, s[i]);
    }
    return g_string_free(out, FALSE);
}

/* Parses one line into *e; false (reported) when it is not a manifest line. */
static bool parse_mline(reporter *r, const char *name, size_t number, const char *s, size_t n,
                        size_t hexlen, mentry *e)
{
    size_t h = 0;
    while (h < n && g_ascii_isxdigit(s[h]))
        h++;
    size_t p = h;
    while (p < n && (s[p] == ' ' || s[p] == '\t'))
        p++;
    if (h != hexlen || p == h || p == n) {
        report(r, "receive.bag.syntax", name,
               _("%s: line %zu is not \"<checksum> <path>\" with a %zu-digit checksum."), name,
               number, hexlen);
        return false;
    }
    for (size_t i = 0; i < h; i++)
        e->hex[i] = (char)g_ascii_tolower(s[i]);
    e->hex[h] = '\0';
    e->path = decode_path(s + p, n - p);
    return true;
}

static int mentry_cmp(const void *a, const void *b)
{
    return strcmp(((const mentry *)a)->path, ((const mentry *)b)->path);
}

/* Reads a manifest into *m, sorted by path, duplicates reported and dropped. False when the file
 * is unusable (too large, too many entries). */
static bool read_manifest(reporter *r, const up_bag_tag *t, size_t hexlen, mlist *m)
{
    const char *body;
    size_t len;
    if (!usable_text(r, t, &body, &len))
        return false;
    lines l = {body, body + len, 0};
    const char *s;
    size_t n;
    while (next_line(&l, &s, &n)) {
        if (n == 0)
            continue;
        if (m->n == UP_BAG_MAX_ENTRIES) {
            report(r, "receive.bag.syntax", t->name, _("%s lists more than %d files."), t->name,
                   UP_BAG_MAX_ENTRIES);
            return false;
        }
        if (m->n == m->cap) {
            m->cap = m->cap ? 2 * m->cap : 64;
            m->e = g_renew(mentry, m->e, m->cap);
        }
        if (parse_mline(r, t->name, l.number, s, n, hexlen, &m->e[m->n]))
            m->n++;
    }
    if (m->n)
        qsort(m->e, m->n, sizeof *m->e, mentry_cmp);
    size_t kept = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (kept && strcmp(m->e[kept - 1].path, m->e[i].path) == 0) {
            report(r, "receive.bag.syntax", t->name, _("%s lists %s more than once."), t->name,
                   m->e[i].path);
            g_free(m->e[i].path);
            continue;
        }
        m->e[kept++] = m->e[i];
    }
    m->n = kept;
    return true;
}

/* A path that stays inside the bag: relative, no empty, "." or ".." parts, no backslash. */
static bool safe_path(const char *p)
{
    if (!*p || strchr(p, '\\'))
        return false;
    for (const char *part = p;;) {
        const char *slash = strchr(part, '/');
        size_t n = slash ? (size_t)(slash - part) : strlen(part);
        if (n == 0 || (n == 1 && part[0] == '.') || (n == 2 && part[0] == '.' && part[1] == '.'))
            return false;
        if (!slash)
            return true;
        part = slash + 1;
    }
}

/* UTF-8 in NFC; ASCII is (the common case, checked without normalising). */
static bool nfc(const char *p)
{
    const char *q = p;
    while (*q && (unsigned char)*q < 0x80)
        q++;
    if (!*q)
        return true;
    if (!g_utf8_validate(p, -1, NULL))
        return false;
    char *n = g_utf8_normalize(p, -1, G_NORMALIZE_NFC);
    bool same = n && strcmp(n, p) == 0;
    g_free(n);
    return same;
}

static void check_path(reporter *r, const char *where, const char *path)
{
    if (!safe_path(path) || strncmp(path, "data/", 5) != 0)
        report(r, "receive.bag.path", path,
               _("%s: %s is not a safe path under data/ inside the bag."), where, path);
    else if (!nfc(path))
        report(r, "receive.bag.path", path,
               _("%s: %s is not UTF-8 in Unicode normal form C (NFC)."), where, path);
}

static int entry_ptr_cmp(const void *a, const void *b)
{
    return strcmp((*(const up_bag_entry *const *)a)->path, (*(const up_bag_entry *const *)b)->path);
}

/* Walks the sorted manifest and the sorted payload side by side. */
static void compare_manifest(reporter *r, const char *name, up_bag_alg alg, const mlist *m,
                             const up_bag_entry *const *pay, size_t n_pay)
{
    size_t i = 0, j = 0;
    while (i < m->n || j < n_pay) {
        int c = i == m->n ? 1 : j == n_pay ? -1 : strcmp(m->e[i].path, pay[j]->path);
        if (c < 0) {
            check_path(r, name, m->e[i].path);
            report(r, "receive.bag.manifest_missing_entry", m->e[i].path,
                   _("%s lists %s, which is not in the package."), name, m->e[i].path);
            i++;
        } else if (c > 0) {
            report(r, "receive.bag.unlisted_file", pay[j]->path,
                   _("%s is in the package but not listed in %s."), pay[j]->path, name);
            j++;
        } else {
            const char *have = alg == UP_BAG_SHA256 ? pay[j]->sha256 : pay[j]->sha512;
            if (g_ascii_strcasecmp(have, m->e[i].hex) != 0)
                report(r, "receive.bag.digest_mismatch", pay[j]->path,
                       _("%s: the checksum in %s does not match the file: it was changed or "
                         "damaged."),
                       pay[j]->path, name);
            i++, j++;
        }
    }
}

static void check_manifest(reporter *r, const up_bag_tag *tags, size_t n_tags, up_bag_alg alg,
                           const up_bag_entry *const *pay, size_t n_pay)
{
    const char *name = alg == UP_BAG_SHA256 ? "manifest-sha256.txt" : "manifest-sha512.txt";
    const up_bag_tag *t = find_tag(tags, n_tags, name);
    if (!t) {
        report(r, "receive.bag.manifest_missing", name, _("The bag has no %s."), name);
        return;
    }
    mlist m = {NULL, 0, 0};
    size_t hexlen = alg == UP_BAG_SHA256 ? UP_BAG_SHA256_HEX : UP_BAG_SHA512_HEX;
    if (read_manifest(r, t, hexlen, &m))
        compare_manifest(r, name, alg, &m, pay, n_pay);
    mlist_free(&m);
}

/* ---- the tag manifest */
static bool is_tagmanifest(const char *name) { return strncmp(name, "tagmanifest-", 12) == 0; }

static void tag_entries(reporter *r, const mlist *m, const up_bag_tag *tags, size_t n_tags)
{
    for (size_t i = 0; i < m->n; i++) {
        const mentry *e = &m->e[i];
        const up_bag_tag *t = find_tag(tags, n_tags, e->path);
        if (!t || strncmp(e->path, "data/", 5) == 0 || !safe_path(e->path)) {
            report(r, "receive.bag.tagmanifest", e->path,
                   _("tagmanifest-sha512.txt lists %s, which is not a tag file of the bag."),
                   e->path);
            continue;
        }
        char hex[UP_BAG_SHA512_HEX + 1];
        up_bag_sha512_hex(t->data ? t->data : "", t->data ? t->len : 0, hex);
        if (strcmp(hex, e->hex) != 0)
            report(r, "receive.bag.tagmanifest", e->path,
                   _("%s does not match its checksum in tagmanifest-sha512.txt: it was changed "
                     "after the bag was made."),
                   e->path);
    }
}

static bool listed(const mlist *m, const char *name)
{
    mentry key = {.path = (char *)name};
    return m->n && bsearch(&key, m->e, m->n, sizeof *m->e, mentry_cmp);
}

static void check_tagmanifest(reporter *r, const up_bag_tag *tags, size_t n_tags)
{
    const up_bag_tag *t = find_tag(tags, n_tags, "tagmanifest-sha512.txt");
    if (!t) {
        report(r, "receive.bag.tagmanifest", "tagmanifest-sha512.txt",
               _("The bag has no tagmanifest-sha512.txt."));
        return;
    }
    mlist m = {NULL, 0, 0};
    if (read_manifest(r, t, UP_BAG_SHA512_HEX, &m)) {
        tag_entries(r, &m, tags, n_tags);
        for (size_t i = 0; i < n_tags; i++)
            if (tags[i].name && !is_tagmanifest(tags[i].name) && !listed(&m, tags[i].name))
                report(r, "receive.bag.tagmanifest", tags[i].name,
                       _("The tag file %s is not covered by tagmanifest-sha512.txt."),
                       tags[i].name);
    }
    mlist_free(&m);
}

/* ---- the payload as seen, sorted; duplicate names (a ZIP may hold two) and unsafe paths. */
static const up_bag_entry **sorted_payload(reporter *r, const up_bag_entry *payload, size_t n)
{
    const up_bag_entry **pay = g_try_new(const up_bag_entry *, n ? n : 1);
    if (!pay)
        return NULL;
    for (size_t i = 0; i < n; i++)
        pay[i] = &payload[i];
    if (n)
        qsort(pay, n, sizeof *pay, entry_ptr_cmp); // NOLINT(bugprone-sizeof-expression)
    for (size_t i = 0; i < n; i++) {
        check_path(r, _("the package"), pay[i]->path);
        if (i && strcmp(pay[i - 1]->path, pay[i]->path) == 0)
            report(r, "receive.bag.path", pay[i]->path, _("%s is in the package more than once."),
                   pay[i]->path);
    }
    return pay;
}

/* A manifest of another algorithm would go unchecked: sohoa bags carry only these three. */
static void check_algorithms(reporter *r, const up_bag_tag *tags, size_t n_tags)
{
    for (size_t i = 0; i < n_tags; i++) {
        const char *name = tags[i].name;
        if (!name || (strncmp(name, "manifest-", 9) != 0 && !is_tagmanifest(name)))
            continue;
        if (strcmp(name, "manifest-sha256.txt") != 0 && strcmp(name, "manifest-sha512.txt") != 0 &&
            strcmp(name, "tagmanifest-sha512.txt") != 0)
            report(r, "receive.bag.algorithm", name,
                   _("%s: sohoa bags carry manifest-sha256.txt, manifest-sha512.txt and "
                     "tagmanifest-sha512.txt only."),
                   name);
    }
}

sh_status up_bag_check(const up_bag_tag *tags, size_t n_tags, const up_bag_entry *payload,
                       size_t n_payload, sh_finding_sink sink, void *ctx, size_t *n_errors,
                       sh_error *err)
{
    reporter r = {sink, ctx, 0};
    const up_bag_entry **pay = sorted_payload(&r, payload, n_payload);
    if (!pay)
        return sh_fail(err, SH_INTERNAL, "bag check: out of memory");
    check_bagit(&r, tags, n_tags);
    check_info(&r, tags, n_tags, payload, n_payload);
    check_manifest(&r, tags, n_tags, UP_BAG_SHA256, pay, n_payload);
    check_manifest(&r, tags, n_tags, UP_BAG_SHA512, pay, n_payload);
    check_tagmanifest(&r, tags, n_tags);
    check_algorithms(&r, tags, n_tags);
    g_free(pay);
    if (n_errors)
        *n_errors = r.n;
    return r.n ? SH_FINDINGS : SH_OK;
}
