/* Matching a title typed by a person ("QĐ kết nạp ĐV", "ly lich dang vein") to catalog types:
 * word-level similarity with a small edit-distance tolerance, after expanding the abbreviations
 * that Party offices write on dossier covers. */
#include "naming/naming.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#define MAX_WORDS 48
/* A title is a few words; more than this is not a title, and would only cost time. */
#define MAX_QUERY_WORDS 40 /* the longest official name has 30 */
#define WORD_MAX 32
#define MIN_TYPE_SCORE 0.45 /* below this a type is not a candidate at all */

static const struct {
    const char *abbr, *words;
} ABBREVIATIONS[] = {
    {"qd", "quyet dinh"},
    {"nq", "nghi quyet"},
    {"dv", "dang vien"},
    {"dvdb", "dang vien du bi"},
    {"cb", "chi bo"},
    {"tb", "thong bao"},
    {"gcn", "giay chung nhan"},
    {"ggt", "giay gioi thieu"},
    {"cv", "cong van"},
    {"bc", "bao cao"},
    {"kl", "ket luan"},
    {"ll", "ly lich"},
    {"hs", "ho so"},
    {"shd", "sinh hoat dang"},
    {"ubkt", "uy ban kiem tra"},
    {"hhd", "huy hieu dang"},
    {"ct", "chinh thuc"},
};

typedef struct {
    char w[MAX_WORDS][WORD_MAX];
    int n;
} word_list;

static void add_word(word_list *l, const char *w, size_t len)
{
    if (l->n < MAX_WORDS && len > 0 && len < WORD_MAX) {
        memcpy(l->w[l->n], w, len);
        l->w[l->n][len] = '\0';
        l->n++;
    }
}

/* Lower-case ASCII words of an already transliterated title, abbreviations expanded. */
static void split_words(const char *ascii_title, bool expand, word_list *out)
{
    out->n = 0;
    char *lower = g_ascii_strdown(ascii_title, -1);
    for (char *p = lower; *p;) {
        while (*p == ' ')
            p++;
        char *end = p;
        while (*end && *end != ' ')
            end++;
        size_t len = (size_t)(end - p);
        const char *expansion = NULL;
        for (size_t i = 0; expand && i < G_N_ELEMENTS(ABBREVIATIONS); i++)
            if (strlen(ABBREVIATIONS[i].abbr) == len && strncmp(ABBREVIATIONS[i].abbr, p, len) == 0)
                expansion = ABBREVIATIONS[i].words;
        if (expansion) {
            word_list tmp;
            split_words(expansion, false, &tmp);
            for (int i = 0; i < tmp.n; i++)
                add_word(out, tmp.w[i], strlen(tmp.w[i]));
        } else {
            add_word(out, p, len);
        }
        p = end;
    }
    g_free(lower);
}

/* Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbouring letters ("vein" for "vien") each cost 1. Words are < WORD_MAX long. */
static int edit_distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    int d[WORD_MAX + 1][WORD_MAX + 1];
    for (int i = 0; i <= la; i++)
        d[i][0] = i;
    for (int j = 0; j <= lb; j++)
        d[0][j] = j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            best = MIN(best, d[i - 1][j] + 1);
            best = MIN(best, d[i][j - 1] + 1);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                best = MIN(best, d[i - 2][j - 2] + 1);
            d[i][j] = best;
        }
    return d[la][lb];
}

/* Typos are tolerated in proportion to the word: none in words of up to 3 letters (where one
 * change makes another word: "nap"/"nay"), one in 4-6 letters, two in longer ones. */
static double word_similarity(const char *q, const char *c)
{
    if (strcmp(q, c) == 0)
        return 1.0;
    size_t lq = strlen(q), lc = strlen(c), longest = lq > lc ? lq : lc;
    int allowed = longest <= 3 ? 0 : longest <= 6 ? 1 : 2;
    size_t shortest = lq < lc ? lq : lc;
    if (longest - shortest > (size_t)allowed)
        return 0.0; /* the distance is at least the difference in length */
    int d = edit_distance(q, c);
    return d <= allowed ? 1.0 - (double)d / (double)longest : 0.0;
}

/* The catalog's words, each distinct word once (about 220 of them for 1,700 word slots): a
 * query word is compared with each distinct word once per title, not once per slot. */
#define MAX_VOCABULARY 1024
#define MAX_NAMES_PER_TYPE 4

typedef struct {
    short word[MAX_WORDS]; /* indexes into the vocabulary */
    int n;
} name_words;

typedef struct {
    name_words names[MAX_NAMES_PER_TYPE];
    int n;
} type_words;

typedef struct {
    char words[MAX_VOCABULARY][WORD_MAX];
    int n_words;
    type_words types[NM_CATALOG_SIZE];
} catalog_index;

static catalog_index *catalog_words;

static short vocabulary_index(catalog_index *c, const char *w)
{
    for (int i = 0; i < c->n_words; i++)
        if (strcmp(c->words[i], w) == 0)
            return (short)i;
    g_assert(c->n_words < MAX_VOCABULARY); /* the catalog is compiled in: a build-time limit */
    g_strlcpy(c->words[c->n_words], w, WORD_MAX);
    return (short)c->n_words++;
}

static void add_name(catalog_index *c, type_words *t, const char *name)
{
    word_list l;
    split_words(name, false, &l);
    name_words *nw = &t->names[t->n++];
    nw->n = l.n;
    for (int i = 0; i < l.n; i++)
        nw->word[i] = vocabulary_index(c, l.w[i]);
}

static gpointer index_catalog(gpointer unused)
{
    (void)unused;
    catalog_index *c = g_new0(catalog_index, 1);
    for (int i = 0; i < NM_CATALOG_SIZE; i++) {
        const nm_doc_type *t = &nm_catalog()[i];
        add_name(c, &c->types[i], t->name_ascii);
        char **aliases = g_strsplit(t->aliases, "|", -1);
        for (char **a = aliases; *a && c->types[i].n < MAX_NAMES_PER_TYPE; a++)
            if (**a)
                add_name(c, &c->types[i], *a);
        g_strfreev(aliases);
    }
    catalog_words = c; /* kept for the life of the process */
    return c;
}

/* Mostly "how much of what was typed is in the name", a little "how much of the name was typed",
 * so that "Giấy giới thiệu" stays ambiguous between the many kinds of giấy giới thiệu.
 * sim[i * n_words + v]: similarity of query word i and vocabulary word v. */
static double name_score(int n_query, const name_words *c, const double *sim, int n_words)
{
    if (n_query == 0 || c->n == 0)
        return 0.0;
    double sum = 0.0;
    for (int i = 0; i < n_query; i++) {
        double best = 0.0;
        for (int j = 0; j < c->n && best < 1.0; j++) {
            double s = sim[i * n_words + c->word[j]];
            if (s > best)
                best = s;
        }
        sum += best;
    }
    double recall = sum / n_query, precision = sum / c->n;
    double score = 0.7 * recall + 0.3 * (precision > 1.0 ? 1.0 : precision);
    return score > 1.0 ? 1.0 : score;
}

static double type_score(int n_query, int index, const double *sim)
{
    const type_words *t = &catalog_words->types[index];
    double best = 0.0;
    for (int k = 0; k < t->n; k++) {
        double s = name_score(n_query, &t->names[k], sim, catalog_words->n_words);
        if (s > best)
            best = s;
    }
    return best;
}

static int by_score(const void *a, const void *b)
{
    const nm_match *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return x->type->stt - y->type->stt;
}

size_t nm_match_title(const char *title, nm_match *out, size_t max)
{
    if (max == 0 || !title)
        return 0;
    char *stripped = g_strstrip(g_strdup(title));
    char *end;
    long stt = strtol(stripped, &end, 10);
    if (*stripped && *end == '\0') {
        g_free(stripped);
        const nm_doc_type *t = nm_catalog_find((int)stt);
        if (!t)
            return 0;
        out[0] = (nm_match){t, 1.0};
        return 1;
    }
    char *ascii = nm_document_title(stripped);
    g_free(stripped);
    if (!ascii)
        return 0;
    word_list q;
    split_words(ascii, true, &q);
    g_free(ascii);
    if (q.n > MAX_QUERY_WORDS)
        q.n = MAX_QUERY_WORDS;
    static GOnce once = G_ONCE_INIT;
    g_once(&once, index_catalog, NULL);
    int n_words = catalog_words->n_words;
    double *sim = g_new(double, (size_t)(q.n ? q.n : 1) * (size_t)n_words);
    for (int i = 0; i < q.n; i++)
        for (int v = 0; v < n_words; v++)
            sim[i * n_words + v] = word_similarity(q.w[i], catalog_words->words[v]);
    nm_match all[NM_CATALOG_SIZE];
    for (int i = 0; i < NM_CATALOG_SIZE; i++)
        all[i] = (nm_match){&nm_catalog()[i], type_score(q.n, i, sim)};
    g_free(sim);
    qsort(all, NM_CATALOG_SIZE, sizeof *all, by_score);
    size_t n = 0;
    for (; n < max && n < NM_CATALOG_SIZE && all[n].score >= MIN_TYPE_SCORE; n++)
        out[n] = all[n];
    return n;
}

bool nm_match_is_clear(const nm_match *m, size_t n)
{
    if (n == 0 || m[0].score < 0.6)
        return false;
    if (n == 1 || m[0].score - m[1].score >= 0.08)
        return true;
    /* An exact name (score 1) is clear against any partial one: the catalog has neighbours one
     * or two words apart (11/12, 20/21, 24/26, 25/27, 42/49, 92/93, 94/95, 103/104) whose
     * partial scores come within 0.08 of the exact one. A tie stays ambiguous. */
    return m[0].score >= 1.0 - 1e-9 && m[1].score < 1.0 - 1e-9;
}
