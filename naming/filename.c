/* Document file names: the strict grammar of Phụ lục 2 (the fast path every correct file takes)
 * and a lenient reading of near misses that says what is wrong and what was meant. */
#include "naming/naming.h"

#include <limits.h>
#include <string.h>
#include <time.h>

#include <glib.h>

char *nm_canonical_file_name(const nm_file_id *id, const nm_rules *r)
{
    if (r->spaces == NM_SPACES_ALLOW)
        return nm_file_name(id->type, id->seq, id->is_signed ? r->signed_suffix : NULL);
    nm_doc_type spaceless = *id->type;
    char *name = nm_spaceless(id->type->name_ascii);
    spaceless.name_ascii = name;
    char *file = nm_file_name(&spaceless, id->seq, id->is_signed ? r->signed_suffix : NULL);
    g_free(name);
    return file;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* The name part between "NN." and ".Seq": printable ASCII, single spaces between words, none
 * under the strict profile, and one of the type's names. */
static bool name_part_ok(const char *p, size_t len, const nm_doc_type *t, const nm_rules *r)
{
    char buf[NAME_MAX + 1];
    if (len == 0 || len > NAME_MAX || p[0] == ' ' || p[len - 1] == ' ')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < 0x20 || p[i] > 0x7e || (p[i] == ' ' && p[i + 1] == ' '))
            return false;
        if (p[i] == ' ' && r->spaces == NM_SPACES_FORBID)
            return false;
    }
    memcpy(buf, p, len);
    buf[len] = '\0';
    return nm_type_has_name(t, buf);
}

bool nm_parse_file_name(const char *name, const nm_rules *r, nm_file_id *id)
{
    size_t len = strnlen(name, NAME_MAX + 1);
    if (len > NAME_MAX || !ends_with(name, len, ".pdf"))
        return false;
    size_t end = len - 4;
    bool is_signed = ends_with(name, end, r->signed_suffix);
    if (is_signed)
        end -= strlen(r->signed_suffix);

    int stt = 0;
    size_t digits = 0;
    while (digits < end && g_ascii_isdigit(name[digits]) && digits < 3)
        stt = stt * 10 + (name[digits++] - '0');
    const nm_doc_type *t = nm_catalog_find(stt);
    if (!t || digits != (stt >= 100 ? 3u : 2u) || name[digits] != '.')
        return false;

    const char *part = name + digits + 1;
    const char *stop = name + end;
    if (part >= stop)
        return false; /* "07.pdf": no name */
    const char *dot = memchr(part, '.', (size_t)(stop - part));
    int seq = 0;
    if (dot) {
        const char *s = dot + 1;
        if (s == stop || *s == '0')
            return false;
        for (; s < stop; s++) {
            if (!g_ascii_isdigit(*s) || seq > NM_SEQ_MAX / 10)
                return false;
            seq = seq * 10 + (*s - '0');
        }
        if (seq > NM_SEQ_MAX)
            return false;
    }
    if (!name_part_ok(part, (size_t)((dot ? dot : stop) - part), t, r))
        return false;
    id->type = t;
    id->seq = seq;
    id->is_signed = is_signed;
    return true;
}

/* ---- the lenient reading ---- */

static const char *const SIGNED_FORMS[] = {"_signed", ".signed", " signed", "-signed"};

/* Trim spaces at both ends of s[*from..*to); true when any were there. */
static bool trim(const char *s, size_t *from, size_t *to)
{
    size_t a = *from, b = *to;
    while (a < b && s[a] == ' ')
        a++;
    while (b > a && s[b - 1] == ' ')
        b--;
    bool trimmed = a != *from || b != *to;
    *from = a;
    *to = b;
    return trimmed;
}

/* "LyLichDangVien" → "Ly Lich Dang Vien", so the title matcher sees words. */
static char *split_camel_case(const char *s)
{
    GString *out = g_string_sized_new(strlen(s) + 8);
    for (const char *p = s; *p; p++) {
        if (p > s && g_ascii_isupper(*p) && g_ascii_islower(p[-1]))
            g_string_append_c(out, ' ');
        g_string_append_c(out, *p);
    }
    return g_string_free(out, FALSE);
}

/* Which type does the name part name, given the STT written before it (NULL when none)? */
static void resolve_type(const char *name_part, const nm_doc_type *stt_type, bool stt_present,
                         nm_file_diagnosis *d)
{
    if (stt_type && nm_type_has_name(stt_type, name_part)) {
        d->guess.type = stt_type;
        d->sure = true;
        return;
    }
    char *words = strchr(name_part, ' ') ? g_strdup(name_part) : split_camel_case(name_part);
    nm_match m[8];
    size_t n = nm_match_title(words, m, G_N_ELEMENTS(m));
    g_free(words);
    bool clear = nm_match_is_clear(m, n);
    if (stt_type) {
        double own = 0, other = 0;
        for (size_t i = 0; i < n; i++) {
            if (m[i].type == stt_type)
                own = m[i].score;
            else if (m[i].score > other)
                other = m[i].score;
        }
        d->guess.type = stt_type;
        /* The STT settles a title that could be one of several neighbours ("Ly lich"). */
        if (own >= 0.5 && own >= other - 0.1 && !(other >= 1.0 && own < 1.0)) {
            d->problems |= NM_NAME_APPROX;
            d->sure = true;
        } else if (clear) {
            d->problems |= NM_NAME_OTHER_TYPE;
            d->named_type = m[0].type;
        } else {
            d->problems |= NM_NAME_UNKNOWN;
        }
        return;
    }
    if (!clear) {
        d->problems |= NM_NAME_UNKNOWN;
        return;
    }
    d->guess.type = m[0].type;
    if (m[0].score < 1.0)
        d->problems |= NM_NAME_APPROX;
    /* Without a number, only a name that is plainly the type's is certain; a wrong number
     * means the person meant something we cannot know. */
    d->sure = !stt_present && m[0].score >= 0.9;
}

/* Bound, repair and transliterate the raw name; notes bad UTF-8 and diacritics. Tabs read as
 * spaces. */
static char *ascii_name(const char *raw, nm_file_diagnosis *d)
{
    char *bounded = g_strndup(raw, NAME_MAX);
    char *as_given = g_strdup(bounded);
    if (!g_utf8_validate(bounded, -1, NULL)) {
        d->problems |= NM_BAD_UTF8;
        char *valid = g_utf8_make_valid(bounded, -1);
        g_free(bounded);
        bounded = valid;
    }
    char *s = nm_ascii(bounded);
    g_free(bounded);
    if (strcmp(s, as_given) != 0 && !(d->problems & NM_BAD_UTF8))
        d->problems |= NM_DIACRITICS;
    g_free(as_given);
    for (char *p = s; *p; p++)
        if (*p == '\t')
            *p = ' ';
    return s;
}

/* Trim s[*from..*to), noting stray spaces. */
static void trim_noted(const char *s, size_t *from, size_t *to, nm_file_diagnosis *d)
{
    if (trim(s, from, to))
        d->problems |= NM_STRAY_SPACES;
}

/* The ".pdf" extension, in any case: false (NM_NOT_PDF) without it; else *to ends the stem. */
static bool strip_extension(const char *s, size_t *from, size_t *to, nm_file_diagnosis *d)
{
    trim_noted(s, from, to, d);
    const char *dot = g_strrstr_len(s + *from, (gssize)(*to - *from), ".");
    if (!dot) {
        d->problems |= NM_NOT_PDF;
        return false;
    }
    size_t ext = (size_t)(dot - s) + 1;
    size_t ext_from = ext, ext_to = *to;
    trim_noted(s, &ext_from, &ext_to, d);
    if (ext_to - ext_from != 3 || g_ascii_strncasecmp(s + ext_from, "pdf", 3) != 0) {
        d->problems |= NM_NOT_PDF;
        return false;
    }
    if (memcmp(s + ext_from, "pdf", 3) != 0)
        d->problems |= NM_EXT_CASE;
    *to = ext - 1;
    trim_noted(s, from, to, d);
    return true;
}

/* The signed suffix, in any of the forms people write. */
static void strip_signed_suffix(const char *s, size_t *from, size_t *to, const nm_rules *r,
                                nm_file_diagnosis *d)
{
    for (size_t i = 0; i < G_N_ELEMENTS(SIGNED_FORMS); i++) {
        size_t n = strlen(SIGNED_FORMS[i]);
        if (*to - *from > n && g_ascii_strncasecmp(s + *to - n, SIGNED_FORMS[i], n) == 0) {
            d->guess.is_signed = true;
            if (strncmp(s + *to - n, r->signed_suffix, n) != 0)
                d->problems |= NM_SUFFIX_FORM;
            *to -= n;
            trim_noted(s, from, to, d);
            return;
        }
    }
}

/* What separates the STT at s[from..] from the name; returns where the name starts. */
static size_t skip_separator(const char *s, size_t from, size_t to, nm_file_diagnosis *d)
{
    size_t sep = from;
    bool spaces = false, other = false;
    int dots = 0;
    for (; sep < to && strchr(" ._-", s[sep]); sep++) {
        spaces |= s[sep] == ' ';
        dots += s[sep] == '.';
        other |= s[sep] == '_' || s[sep] == '-';
    }
    if (sep == to)
        ; /* "07.pdf": nothing after the number, reported as the missing name */
    else if (dots != 1 || other)
        d->problems |= NM_SEPARATOR;
    else if (spaces)
        d->problems |= NM_STRAY_SPACES;
    return sep;
}

/* The STT and its separator: moves *from past them; returns the type it names, if any. */
static const nm_doc_type *read_stt(const char *s, size_t *from, size_t to, nm_file_diagnosis *d)
{
    size_t digits = *from;
    int stt = 0;
    while (digits < to && g_ascii_isdigit(s[digits]) && stt < 100000)
        stt = stt * 10 + (s[digits++] - '0');
    if (digits == *from) {
        d->problems |= NM_NO_STT;
        return NULL;
    }
    d->stt_written = stt;
    const nm_doc_type *stt_type = nm_catalog_find(stt);
    if (!stt_type)
        d->problems |= NM_STT_UNKNOWN;
    else if (digits - *from != (stt >= 100 ? 3u : 2u))
        d->problems |= NM_STT_PADDING;
    *from = skip_separator(s, digits, to, d);
    return stt_type;
}

/* The SoThuTu: digits after the last dot; *to then ends the name part. */
static void strip_seq(const char *s, size_t *from, size_t *to, nm_file_diagnosis *d)
{
    const char *last_dot = g_strrstr_len(s + *from, (gssize)(*to - *from), ".");
    if (!last_dot)
        return;
    size_t a = (size_t)(last_dot - s) + 1, b = *to;
    bool spaced = trim(s, &a, &b);
    bool all_digits = b > a && b - a <= 4;
    for (size_t i = a; i < b && all_digits; i++)
        all_digits = g_ascii_isdigit(s[i]);
    if (!all_digits)
        return;
    int seq = 0;
    for (size_t i = a; i < b; i++)
        seq = seq * 10 + (s[i] - '0');
    if (s[a] == '0')
        d->problems |= NM_SEQ_FORMAT;
    if (spaced)
        d->problems |= NM_STRAY_SPACES;
    d->guess.seq = seq > NM_SEQ_MAX ? 0 : seq;
    *to = (size_t)(last_dot - s);
    trim_noted(s, from, to, d);
}

/* The characters of the name part; true when it has spaces. */
static bool check_name_chars(const char *part, const nm_rules *r, nm_file_diagnosis *d)
{
    bool has_space = false;
    for (const char *p = part; *p; p++) {
        if (*p == ' ') {
            has_space = true;
            if (p[1] == ' ')
                d->problems |= NM_STRAY_SPACES;
        } else if (!g_ascii_isalnum(*p)) {
            d->problems |= NM_NAME_CHARS;
        }
    }
    if (has_space && r->spaces == NM_SPACES_FORBID)
        d->problems |= NM_SPACES_FORBIDDEN;
    return has_space;
}

/* The name part s[from..to) and the type it names. */
static void read_name_part(const char *s, size_t from, size_t to, const nm_doc_type *stt_type,
                           const nm_rules *r, nm_file_diagnosis *d)
{
    trim_noted(s, &from, &to, d);
    char *part = g_strndup(s + from, to - from);
    bool has_space = check_name_chars(part, r, d);
    char *title = nm_document_title(part);
    if (!title || !*title) {
        d->problems |= NM_NAME_MISSING;
        d->guess.type = stt_type;
        d->sure = stt_type != NULL;
    } else {
        /* "LyLichDangVien" keeps its capitals for the camel-case split; titles are lower case. */
        resolve_type((d->problems & NM_NAME_CHARS) || has_space ? title : part, stt_type,
                     d->stt_written >= 0, d);
    }
    g_free(title);
    g_free(part);
}

/* Read from the end inwards: extension, signed suffix, then STT from the front, SoThuTu from the
 * back, and what remains is the name part. */
void nm_diagnose_file_name(const char *raw, const nm_rules *r, nm_file_diagnosis *d)
{
    memset(d, 0, sizeof *d);
    d->stt_written = -1;
    char *s = ascii_name(raw, d);
    size_t from = 0, to = strlen(s);
    if (strip_extension(s, &from, &to, d)) {
        strip_signed_suffix(s, &from, &to, r, d);
        const nm_doc_type *stt_type = read_stt(s, &from, to, d);
        strip_seq(s, &from, &to, d);
        read_name_part(s, from, to, stt_type, r, d);
    }
    g_free(s);
    if (d->problems & NM_NOT_PDF) {
        d->guess.type = NULL;
        d->sure = false;
    }
}
