/* sohoa name check: walk a tree of organisation and dossier folders and report every name that
 * breaks Phụ lục 2, with the name it should have. Correct names take the strict parser only;
 * the lenient reading and the title matcher run for the names that fail it. */
#include "naming/naming.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

/* A folder with more entries than this is not a dossier tree; the bound keeps memory bounded. */
#define MAX_ENTRIES 1000000
/* Workspace roots inside a folder of workspaces inside … : deep enough for any real layout. */
#define MAX_CONTAINER_DEPTH 4

typedef enum { ENTRY_FILE, ENTRY_DIR, ENTRY_OTHER } entry_kind;

typedef struct {
    char *name;
    entry_kind kind;
} entry;

/* Every dossier folder of the walk's scope by its member key (see build_id_index): one id_entry
 * per dossier, 16 bytes, plus its folder name once in `names`. */
typedef struct {
    uint64_t cccd; /* the key as key_code makes it: a CCCD, CMND or passport number */
    uint32_t org;  /* index in orgs */
    uint32_t name; /* offset of the folder name in names */
} id_entry;

typedef struct {
    GArray *entries;    /* id_entry, sorted by CCCD once built */
    GPtrArray *orgs;    /* the organisation folders' paths, as the walk names them */
    GHashTable *org_of; /* path (in orgs) → index + 1 */
    GString *names;     /* the dossier folder names, each ending in NUL */
    bool full;          /* ID_INDEX_MAX reached: the rest is not indexed */
} id_index;

typedef struct {
    const nm_rules *rules;
    sh_finding_sink sink;
    void *ctx;
    nm_check_summary *sum;
    const char *only_path;   /* when a single file was given: report findings about it only */
    const nm_visitor *visit; /* validate's view of the walk, or NULL */
    /* File name → nm_file_diagnosis. The same misspelling recurs across dossiers (a name copied
     * from one to the next), and reading one costs a title match, ~1 ms; bounded. */
    GHashTable *diagnoses;
    id_index *ids;    /* the scope's dossiers by CCCD, or NULL (a single file, no scope) */
    uint32_t cur_org; /* index in ids->orgs of the organisation folder being walked */
    sh_error first_unreadable;
} checker;

static void report(checker *c, const char *code, sh_severity severity, const char *path,
                   const char *suggestion, bool fixable, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
static void report(checker *c, const char *code, sh_severity severity, const char *path,
                   const char *suggestion, bool fixable, const char *fmt, ...)
{
    if (c->only_path && (!path || strcmp(path, c->only_path) != 0))
        return;
    va_list ap;
    va_start(ap, fmt);
    char *formatted = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *message = nm_shown(formatted); /* it may quote a name */
    g_free(formatted);
    /* File names are bytes; findings are UTF-8 text (JSON, terminals). A path that is not
     * UTF-8 is shown with its odd bytes escaped, and no rename is certain: "name fix" could not
     * name the file it would rename. */
    bool text = !path || g_utf8_validate(path, -1, NULL);
    char *shown = path ? nm_shown(path) : NULL;
    sh_finding f = {
        .code = code,
        .severity = severity,
        .path = shown,
        .message = message,
        .suggestion = suggestion,
        .fixable = suggestion && fixable && text,
    };
    if (severity == SH_ERROR)
        c->sum->errors++;
    else
        c->sum->warnings++;
    c->sink(&f, c->ctx);
    g_free(shown);
    g_free(message);
}

char *nm_shown(const char *bytes)
{
    GString *out = g_string_sized_new(strlen(bytes) + 8);
    for (const char *p = bytes; *p;) {
        const char *end;
        bool valid = g_utf8_validate(p, -1, &end);
        g_string_append_len(out, p, end - p);
        if (valid)
            break;
        g_string_append_printf(out, "\\x%02X", (unsigned char)*end);
        p = end + 1;
    }
    return g_string_free(out, FALSE);
}

/* ---- listing folders ---- */

static bool ignored(const char *name, bool container)
{
    return name[0] == '.' || g_ascii_strcasecmp(name, "Thumbs.db") == 0 ||
           g_ascii_strcasecmp(name, "desktop.ini") == 0 ||
           g_ascii_strcasecmp(name, "ehthumbs.db") == 0 ||
           (container && strcmp(name, SH_WORKSPACE_CONFIG) == 0);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

static void free_entries(entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(e[i].name);
    free(e);
}

/* The entries of a folder, sorted by name (stable output), hidden and system files left out.
 * A folder that cannot be read yields no entries, and is counted and remembered in c (NULL for
 * a look ahead, which the check proper repeats). */
static entry *list_folder(checker *c, const char *path, bool container, size_t *count)
{
    *count = 0;
    DIR *d = opendir(path);
    if (!d) {
        if (c && c->sum->unreadable++ == 0)
            sh_fail_errno(&c->first_unreadable, SH_INPUT, errno, _("cannot read folder %s"), path);
        return NULL;
    }
    size_t n = 0, cap = 64;
    entry *e = malloc(cap * sizeof *e);
    struct dirent *de;
    while (e && (de = readdir(d)) != NULL) {
        if (ignored(de->d_name, container))
            continue;
        if (n == MAX_ENTRIES) {
            if (c && c->sum->unreadable++ == 0)
                sh_fail(&c->first_unreadable, SH_INPUT,
                        _("folder %s holds more than %d entries; only the first are checked"), path,
                        MAX_ENTRIES);
            break;
        }
        if (n == cap) {
            cap *= 2;
            entry *bigger = realloc(e, cap * sizeof *e);
            if (!bigger)
                break;
            e = bigger;
        }
        entry_kind kind = de->d_type == DT_REG   ? ENTRY_FILE
                          : de->d_type == DT_DIR ? ENTRY_DIR
                                                 : ENTRY_OTHER;
        if (de->d_type == DT_UNKNOWN || de->d_type == DT_LNK) {
            struct stat st; /* follows links: a linked dossier is checked like any other */
            kind = ENTRY_OTHER;
            if (fstatat(dirfd(d), de->d_name, &st, 0) == 0)
                kind = S_ISREG(st.st_mode)   ? ENTRY_FILE
                       : S_ISDIR(st.st_mode) ? ENTRY_DIR
                                             : ENTRY_OTHER;
        }
        e[n].name = strdup(de->d_name);
        e[n].kind = kind;
        if (e[n].name)
            n++;
    }
    closedir(d);
    if (e)
        qsort(e, n, sizeof *e, by_name);
    *count = n;
    return e;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    if (n == 0)
        return g_strdup(name);
    return g_strdup_printf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

/* ---- one CCCD, one dossier ---- */

/* The index holds at most this many dossiers (about 160 MB at worst); beyond it the rest of the
 * scope is not compared, and the walk says so. */
#define ID_INDEX_MAX 4000000u

static bool is_workspace_root(const char *path);
static bool looks_like_org(const char *name);

/* A member key as one number: its kind in the top byte, so that keys of two kinds never
 * compare equal (CMND 123456789 is not CCCD 000123456789); a passport's letter as 0-25 before
 * its 7 digits. */
#define KEY_KIND_SHIFT 56
#define PASSPORT_DIGITS 10000000u

/* The key a dossier folder's name starts with, read as leniently as check_dossier_name reads
 * it (leading spaces, any separator after): 12 digits (CCCD), 9 digits (CMND) or a capital
 * letter and 7 digits (passport), not followed by another digit. */
static nm_key_kind read_key(const char *name, uint64_t *code)
{
    const char *p = name;
    while (*p == ' ')
        p++;
    bool letter = g_ascii_isupper(*p);
    const char *digits = p + letter;
    uint64_t v = 0;
    int n = 0;
    while (n < 13 && g_ascii_isdigit(digits[n])) {
        v = v * 10 + (uint64_t)(digits[n] - '0');
        n++;
    }
    nm_key_kind kind = NM_KEY_NONE;
    if (letter && n == 7) {
        kind = NM_KEY_PASSPORT;
        v += (uint64_t)(*p - 'A') * PASSPORT_DIGITS;
    } else if (!letter && n == 12) {
        kind = NM_KEY_CCCD;
    } else if (!letter && n == 9) {
        kind = NM_KEY_CMND;
    }
    *code = (uint64_t)kind << KEY_KIND_SHIFT | v;
    return kind;
}

/* The key's text back from its number; its kind. */
static nm_key_kind key_text(uint64_t code, char out[NM_KEY_SIZE])
{
    nm_key_kind kind = (nm_key_kind)(code >> KEY_KIND_SHIFT);
    unsigned long long v = code & ((UINT64_C(1) << KEY_KIND_SHIFT) - 1);
    if (kind == NM_KEY_PASSPORT)
        snprintf(out, NM_KEY_SIZE, "%c%07llu", (char)('A' + v / PASSPORT_DIGITS),
                 v % PASSPORT_DIGITS);
    else
        snprintf(out, NM_KEY_SIZE, kind == NM_KEY_CMND ? "%09llu" : "%012llu", v);
    return kind;
}

static bool cccd_key(const char *name, uint64_t *key) { return read_key(name, key) != NM_KEY_NONE; }

bool nm_dossier_key(const char *folder_name, char key[NM_KEY_SIZE], nm_key_kind *kind)
{
    uint64_t code;
    nm_key_kind k = read_key(folder_name, &code);
    if (kind)
        *kind = k;
    if (k == NM_KEY_NONE)
        return false;
    key_text(code, key);
    return true;
}

bool nm_dossier_cccd(const char *folder_name, char cccd[NM_KEY_SIZE])
{
    nm_key_kind kind;
    return nm_dossier_key(folder_name, cccd, &kind) && kind == NM_KEY_CCCD;
}

/* Is this entry of an open folder a folder (a link to one counts)? */
static bool is_dir_entry(DIR *d, const struct dirent *de)
{
    if (de->d_type == DT_DIR)
        return true;
    if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
        return false;
    struct stat st;
    return fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

static id_index *id_index_new(void)
{
    id_index *ix = g_new0(id_index, 1);
    ix->entries = g_array_new(FALSE, FALSE, sizeof(id_entry));
    ix->orgs = g_ptr_array_new_with_free_func(g_free);
    ix->org_of = g_hash_table_new(g_str_hash, g_str_equal);
    ix->names = g_string_new(NULL);
    return ix;
}

static void id_index_free(id_index *ix)
{
    if (!ix)
        return;
    g_array_free(ix->entries, TRUE);
    g_hash_table_destroy(ix->org_of);
    g_ptr_array_free(ix->orgs, TRUE);
    g_string_free(ix->names, TRUE);
    g_free(ix);
}

/* The index of an organisation folder (path as the walk names it); UINT32_MAX when unknown. */
static uint32_t id_org(const id_index *ix, const char *path)
{
    gpointer v = ix ? g_hash_table_lookup(ix->org_of, path) : NULL;
    return v ? (uint32_t)GPOINTER_TO_UINT(v) - 1 : UINT32_MAX;
}

/* The dossier folders of one organisation folder: a listing of names, nothing opened. */
static void index_org(id_index *ix, const char *path)
{
    if (id_org(ix, path) != UINT32_MAX)
        return;
    uint32_t org = ix->orgs->len;
    g_ptr_array_add(ix->orgs, g_strdup(path));
    g_hash_table_insert(ix->org_of, g_ptr_array_index(ix->orgs, org), GUINT_TO_POINTER(org + 1));
    DIR *d = opendir(*path ? path : ".");
    if (!d)
        return; /* the walk reports it */
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint64_t key;
        if (ignored(de->d_name, false) || !cccd_key(de->d_name, &key) || !is_dir_entry(d, de))
            continue;
        if (ix->entries->len >= ID_INDEX_MAX) {
            ix->full = true;
            break;
        }
        id_entry e = {key, org, (uint32_t)ix->names->len};
        g_string_append_len(ix->names, de->d_name, (gssize)strlen(de->d_name) + 1);
        g_array_append_val(ix->entries, e);
    }
    closedir(d);
}

/* A folder of organisation folders, and the workspaces inside it, as check_container walks it. */
static void index_container(id_index *ix, const char *path, int depth)
{
    DIR *d = opendir(path);
    if (!d)
        return;
    GPtrArray *orgs = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *nested = g_ptr_array_new_with_free_func(g_free);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (ignored(de->d_name, true) || !is_dir_entry(d, de))
            continue;
        char *child = join(path, de->d_name);
        bool ws = depth < MAX_CONTAINER_DEPTH && !nm_org_code_valid(de->d_name) &&
                  is_workspace_root(child);
        g_ptr_array_add(ws ? nested : orgs, child);
    }
    closedir(d);
    for (guint i = 0; i < orgs->len; i++)
        index_org(ix, g_ptr_array_index(orgs, i));
    for (guint i = 0; i < nested->len; i++)
        index_container(ix, g_ptr_array_index(nested, i), depth + 1);
    g_ptr_array_free(orgs, TRUE);
    g_ptr_array_free(nested, TRUE);
}

/* The folder that holds `path`, written so that names joined to it read like the walk's paths:
 * "ws/93.000.036.001.015" → "ws", "x/." → "x/..", a name alone → "" (the current folder). */
static char *parent_path(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    const char *slash = g_strrstr_len(path, (gssize)n, "/");
    const char *last = slash ? slash + 1 : path;
    size_t last_len = (size_t)(path + n - last);
    if (last_len == 1 && last[0] == '.')
        return g_strdup_printf("%.*s.", (int)n, path);
    if (last_len == 2 && last[0] == '.' && last[1] == '.')
        return g_strdup_printf("%.*s/..", (int)n, path);
    if (n == 0)
        return g_strdup("..");
    if (!slash)
        return g_strdup("");
    return g_strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* The organisation folders beside `org` (in the folder that holds it) whose names look like
 * organisation codes: a dossier or an organisation checked on its own is still compared with
 * the rest of its workspace. One listing of that folder, one of each such organisation. */
static void index_siblings(id_index *ix, const char *org)
{
    char *abs = g_canonicalize_filename(*org ? org : ".", NULL);
    char *own = g_path_get_basename(abs);
    char *parent = parent_path(org);
    DIR *d = opendir(*parent ? parent : ".");
    if (d) {
        GPtrArray *orgs = g_ptr_array_new_with_free_func(g_free);
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (!ignored(de->d_name, true) && strcmp(de->d_name, own) != 0 &&
                looks_like_org(de->d_name) && is_dir_entry(d, de))
                g_ptr_array_add(orgs, join(parent, de->d_name));
        closedir(d);
        for (guint i = 0; i < orgs->len; i++)
            index_org(ix, g_ptr_array_index(orgs, i));
        g_ptr_array_free(orgs, TRUE);
    }
    g_free(parent);
    g_free(own);
    g_free(abs);
}

char *nm_other_dossier_of(const char *root, const char *member_key, const char *folder_rel)
{
    uint64_t want;
    if (!cccd_key(member_key, &want))
        return NULL;
    DIR *top = opendir(root);
    if (!top)
        return NULL;
    char *found = NULL; /* the first by name, whatever order the folders are listed in */
    struct dirent *oe;
    while ((oe = readdir(top)) != NULL) {
        if (ignored(oe->d_name, true) || !is_dir_entry(top, oe))
            continue;
        char *org = join(root, oe->d_name);
        DIR *d = opendir(org);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            uint64_t key;
            if (ignored(de->d_name, false) || !cccd_key(de->d_name, &key) || key != want ||
                !is_dir_entry(d, de))
                continue;
            char *rel = g_strdup_printf("%s/%s", oe->d_name, de->d_name);
            if (strcmp(rel, folder_rel) != 0 && (!found || strcmp(rel, found) < 0)) {
                g_free(found);
                found = rel;
            } else {
                g_free(rel);
            }
        }
        if (d)
            closedir(d);
        g_free(org);
    }
    closedir(top);
    return found;
}

static int by_cccd(const void *a, const void *b)
{
    const id_entry *x = a, *y = b;
    return x->cccd < y->cccd ? -1 : x->cccd > y->cccd;
}

/* By CCCD, then by path, so that messages do not depend on the order folders are listed in. */
static int by_cccd_then_path(gconstpointer a, gconstpointer b, gpointer data)
{
    const id_entry *x = a, *y = b;
    const id_index *ix = data;
    int c = by_cccd(a, b);
    if (c == 0 && x->org != y->org)
        c = strcmp(g_ptr_array_index(ix->orgs, x->org), g_ptr_array_index(ix->orgs, y->org));
    if (c == 0)
        c = strcmp(ix->names->str + x->name, ix->names->str + y->name);
    return c;
}

/* name.cccd_duplicate on a dossier folder whose member key is also another dossier folder's in
 * the scope, naming the others (a few; the count of the rest). */
static void check_cccd_unique(checker *c, const char *path, const char *name)
{
    uint64_t key;
    id_index *ix = c->ids;
    if (!ix || ix->entries->len == 0 || c->cur_org == UINT32_MAX || !cccd_key(name, &key))
        return;
    id_entry probe = {.cccd = key};
    const id_entry *all = (const id_entry *)(void *)ix->entries->data;
    const id_entry *hit = bsearch(&probe, all, ix->entries->len, sizeof *all, by_cccd);
    if (!hit)
        return;
    while (hit > all && hit[-1].cccd == key)
        hit--;
    const id_entry *end = hit;
    while (end < all + ix->entries->len && end->cccd == key)
        end++;
    GString *others = g_string_new(NULL);
    size_t n_others = 0;
    for (const id_entry *e = hit; e < end; e++) {
        const char *other = ix->names->str + e->name;
        if (e->org == c->cur_org && strcmp(other, name) == 0)
            continue; /* this folder */
        if (++n_others <= 3) {
            char *p = join(g_ptr_array_index(ix->orgs, e->org), other);
            g_string_append_printf(others, "%s%s", others->len ? ", " : "", p);
            g_free(p);
        }
    }
    if (n_others > 3)
        g_string_append_printf(others, _(" and %zu more"), n_others - 3);
    char cccd[NM_KEY_SIZE];
    nm_key_kind kind = key_text(key, cccd);
    if (n_others && kind != NM_KEY_CCCD)
        report(c, "name.cccd_duplicate", SH_ERROR, path, NULL, false,
               ngettext("%s %s is also the key of the dossier %s: one person has one dossier. "
                        "Check the number on the document; then keep one folder and move the "
                        "documents of the other into it",
                        "%s %s is also the key of the dossiers %s: one person has one dossier. "
                        "Check the number on the document; then keep one folder and move the "
                        "documents of the others into it",
                        n_others),
               nm_key_kind_label(kind), cccd, others->str);
    else if (n_others)
        report(c, "name.cccd_duplicate", SH_ERROR, path, NULL, false,
               ngettext("CCCD %s is also the CCCD of the dossier %s: one person has one dossier. "
                        "Check the number on the card; then keep one folder and move the "
                        "documents of the other into it",
                        "CCCD %s is also the CCCD of the dossiers %s: one person has one dossier. "
                        "Check the number on the card; then keep one folder and move the "
                        "documents of the others into it",
                        n_others),
               cccd, others->str);
    g_string_free(others, TRUE);
}

/* The dossiers the walk of `path` (of this kind) compares CCCDs across: those it walks, and for
 * an organisation or dossier folder given on its own the dossiers of the organisation folders
 * beside it. A single file has no index (its dossier's findings are not shown). */
static id_index *build_id_index(const char *path, bool container, bool org_folder)
{
    id_index *ix = id_index_new();
    if (container) {
        index_container(ix, path, 0);
    } else if (org_folder) {
        index_org(ix, path);
        index_siblings(ix, path);
    } else {
        char *org = parent_path(path);
        char *abs = g_canonicalize_filename(*org ? org : ".", NULL);
        char *org_name = g_path_get_basename(abs);
        index_org(ix, org);
        if (looks_like_org(org_name))
            index_siblings(ix, org);
        g_free(org_name);
        g_free(abs);
        g_free(org);
    }
    g_array_sort_with_data(ix->entries, by_cccd_then_path, ix);
    return ix;
}

/* ---- folder names ---- */

/* "93-0-36-1-15", "93 000 036 001 015" → "93.000.036.001.015"; NULL unless five digit groups
 * that fit the widths. */
static char *suggest_org_code(const char *name)
{
    static const int widths[] = {2, 3, 3, 3, 3};
    GString *out = g_string_new(NULL);
    const char *p = name;
    for (int g = 0; g < 5; g++) {
        while (*p && strchr(" ._-", *p))
            p++;
        const char *start = p;
        while (g_ascii_isdigit(*p))
            p++;
        int len = (int)(p - start);
        if (len == 0 || len > widths[g]) {
            g_string_free(out, TRUE);
            return NULL;
        }
        g_string_append_printf(out, "%s%0*d", g ? "." : "", widths[g], atoi(start));
    }
    while (*p && strchr(" ._-", *p))
        p++;
    if (*p) {
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE);
}

/* A folder name in bytes that are not UTF-8 (typed in an old Windows code page): its own finding,
 * since the other findings of the name can only guess at those bytes. */
static void check_folder_text(checker *c, const char *path, const char *name)
{
    if (!g_utf8_validate(name, -1, NULL))
        report(c, "name.folder", SH_ERROR, path, NULL, false,
               _("the folder name is not Unicode text (typed in an old code page?): rename it "
                 "to the name it should have"));
}

static bool check_org_name(checker *c, const char *path, const char *name)
{
    if (nm_org_code_valid(name))
        return true;
    check_folder_text(c, path, name);
    char *suggestion = suggest_org_code(name);
    report(c, "name.folder", SH_ERROR, path, suggestion, true,
           _("an organisation folder is named by its code M1.M2.M3.M4.M5, five groups of 2, 3, "
             "3, 3 and 3 digits (000 where a level does not exist), like 93.000.036.001.015"));
    g_free(suggestion);
    return false;
}

/* The CCCD part, shared with "sohoa name folder": false on an error (a warning is not one). */
static bool check_cccd(checker *c, const char *path, const char *cccd)
{
    int year = 0;
    switch (nm_cccd_check(cccd, c->rules->current_year, &year)) {
    case NM_CCCD_OK:
        return true;
    case NM_CCCD_FORMAT:
        report(c, "name.cccd", SH_ERROR, path, NULL, false,
               _("CCCD \"%s\" must be exactly 12 digits"), cccd);
        return false;
    case NM_CCCD_PROVINCE:
        report(c, "name.cccd", SH_ERROR, path, NULL, false,
               _("CCCD %s: its first three digits %.3s are not a provincial code (001 Hà Nội "
                 "… 096 Cà Mau); check the number on the card"),
               cccd, cccd);
        return false;
    case NM_CCCD_IMPLAUSIBLE_AGE:
        report(c, "name.cccd", SH_WARNING, path, NULL, false,
               _("CCCD %s: digits 4-6 give the year of birth %d, unlikely for a Party member; "
                 "check the number on the card"),
               cccd, year);
        return true;
    }
    return false;
}

static void key_format(checker *c, const char *path, const char *key)
{
    report(c, "name.cccd", SH_ERROR, path, NULL, false,
           _("member key \"%s\" must be a CCCD of exactly 12 digits, or for a member without one "
             "a CMND of 9 digits or a passport number (a capital letter and 7 digits, like "
             "C1234567)"),
           key);
}

/* Any member key (nm_check_key): false on an error. */
static bool check_key(checker *c, const char *path, const char *key)
{
    nm_key_kind kind = nm_key_kind_of(key);
    if (kind == NM_KEY_CMND || kind == NM_KEY_PASSPORT) {
        report(c, "name.temporary_key", SH_WARNING, path, NULL, false,
               _("%s %s: the member has no CCCD, so this temporary key names the dossier "
                 "(QĐ-KN Đ17.2) and the central side links the dossier by it until a CCCD is "
                 "known; once the member has a CCCD, rename the folder to it"),
               nm_key_kind_label(kind), key);
        return true;
    }
    if (strlen(key) == 12)
        return check_cccd(c, path, key);
    key_format(c, path, key);
    return false;
}

bool nm_check_org_code(const char *code, const char *path, const nm_rules *r, sh_finding_sink sink,
                       void *ctx)
{
    nm_check_summary sum = {0};
    checker c = {.rules = r, .sink = sink, .ctx = ctx, .sum = &sum};
    return check_org_name(&c, path, code);
}

bool nm_check_cccd(const char *cccd, const char *path, const nm_rules *r, sh_finding_sink sink,
                   void *ctx)
{
    nm_check_summary sum = {0};
    checker c = {.rules = r, .sink = sink, .ctx = ctx, .sum = &sum};
    return check_cccd(&c, path, cccd);
}

bool nm_check_key(const char *key, const char *path, const nm_rules *r, sh_finding_sink sink,
                  void *ctx)
{
    nm_check_summary sum = {0};
    checker c = {.rules = r, .sink = sink, .ctx = ctx, .sum = &sum};
    return check_key(&c, path, key);
}

char *nm_dossier_folder(const char *org, const char *key, const char *person_utf8,
                        const nm_rules *r, sh_finding_sink sink, void *ctx)
{
    bool ok = nm_check_org_code(org, NULL, r, sink, ctx);
    ok &= nm_check_key(key, NULL, r, sink, ctx);
    char *ascii_name = nm_person_name(person_utf8);
    char text[512] = "";
    if (!ascii_name)
        snprintf(text, sizeof text,
                 _("name \"%s\" must be letters and spaces only (a person's full name)"),
                 person_utf8);
    else if (!nm_person_part_valid(ascii_name))
        snprintf(text, sizeof text,
                 _("name \"%s\" must be the full name, at least two words (Họ và tên)"),
                 person_utf8);
    if (text[0]) {
        sh_finding f = {.code = "name.person", .severity = SH_ERROR, .message = text};
        sink(&f, ctx);
        ok = false;
    }
    char *path = ok ? g_strdup_printf("%s/%s_%s", org, key, ascii_name) : NULL;
    g_free(ascii_name);
    return path;
}

/* The name part of a dossier folder as it should be: "Nguyễn Văn A" or "NguyễnVănA" →
 * "NguyenVanA"; NULL when no valid name comes out. */
static char *suggest_person(const char *text)
{
    char *person = NULL;
    if (strpbrk(text, " -'")) {
        person = nm_person_name(text);
    } else {
        person = nm_ascii(text);
        if (person && *person)
            person[0] = g_ascii_toupper(person[0]);
    }
    if (person && !nm_person_part_valid(person)) {
        g_free(person);
        person = NULL;
    }
    return person;
}

/* A key good enough to suggest a folder name with: a CCCD of a province, a CMND, a passport. */
static bool key_suggestable(const checker *c, const char *key)
{
    nm_key_kind kind = nm_key_kind_of(key);
    return (kind == NM_KEY_CCCD &&
            nm_cccd_check(key, c->rules->current_year, NULL) != NM_CCCD_PROVINCE) ||
           kind == NM_KEY_CMND || kind == NM_KEY_PASSPORT;
}

static void check_dossier_name(checker *c, const char *path, const char *raw)
{
    char key[NM_KEY_SIZE];
    const char *person = NULL;
    if (nm_split_dossier_folder(raw, key, &person) && nm_person_part_valid(person)) {
        check_key(c, path, key);
        return;
    }
    check_folder_text(c, path, raw);
    /* Read it leniently: the key (digits, a letter first for a passport), any separator, the
     * name. */
    char *valid = g_utf8_make_valid(raw, -1);
    const char *p = valid;
    while (*p == ' ')
        p++;
    const char *digits = p;
    if (g_ascii_isalpha(*p) && g_ascii_isdigit(p[1]))
        p++;
    while (g_ascii_isdigit(*p))
        p++;
    size_t n_digits = (size_t)(p - digits);
    const char *sep = p;
    while (*p && strchr(" _-", *p))
        p++;
    bool shape_ok = n_digits > 0 && p - sep == 1 && *sep == '_';
    char *number = g_strndup(digits, n_digits);
    char *suggested_person = *p ? suggest_person(p) : NULL;
    char *suggestion = key_suggestable(c, number) && suggested_person
                           ? g_strdup_printf("%s_%s", number, suggested_person)
                           : NULL;
    if (n_digits == 0 || !*p)
        report(c, "name.folder", SH_ERROR, path, NULL, false,
               _("a dossier folder is named CCCD_HoTen, like 012345678901_NguyenVanA (a member "
                 "without a CCCD: CMND_HoTen or passport number_HoTen, like "
                 "C1234567_NguyenVanA)"));
    else {
        check_key(c, path, number);
        if (!shape_ok)
            report(c, "name.folder", SH_ERROR, path, suggestion, true,
                   _("one underscore separates the CCCD from the name: CCCD_HoTen"));
        if (!nm_person_part_valid(p))
            report(c, "name.person", SH_ERROR, path, suggestion, true,
                   _("the name part must be the full name in ASCII letters, each word "
                     "capitalised, without spaces: NguyenVanA"));
    }
    g_free(suggestion);
    g_free(suggested_person);
    g_free(number);
    g_free(valid);
}

/* ---- file names ---- */

/* One sentence per problem, joined: what an operator needs to rename the file by hand. */
static void describe(GString *m, const nm_file_diagnosis *d, const nm_rules *r)
{
#define SAY(...)                                                                                   \
    do {                                                                                           \
        if (m->len)                                                                                \
            g_string_append(m, "; ");                                                              \
        g_string_append_printf(m, __VA_ARGS__);                                                    \
    } while (0)
    unsigned p = d->problems;
    if (p & NM_BAD_UTF8)
        SAY("%s", _("the name is not Unicode text (typed in an old code page?)"));
    if (p & NM_NOT_PDF) {
        SAY("%s", _("not a PDF: a dossier holds PDF documents only; scanned images become PDF "
                    "with \"sohoa ingest\""));
        return;
    }
    if (p & NM_EXT_CASE)
        SAY("%s", _("the extension must be .pdf in lower case"));
    if (p & NM_DIACRITICS)
        SAY("%s", _("letters with diacritics; names use ASCII letters only"));
    if (p & NM_NO_STT)
        SAY("%s", _("the name must start with the STT of the document type (see \"sohoa "
                    "catalog\")"));
    if (p & NM_STT_UNKNOWN)
        SAY(_("%d is not an STT of Phụ lục 1 (1-%d)"), d->stt_written, NM_CATALOG_SIZE);
    if (p & NM_STT_PADDING)
        SAY(_("the STT is written with %d digits"), d->guess.type->stt >= 100 ? 3 : 2);
    if (p & NM_SEPARATOR)
        SAY("%s", _("one dot separates the STT from the document name"));
    if (p & NM_STRAY_SPACES)
        SAY("%s", _("stray spaces"));
    if (p & NM_SPACES_FORBIDDEN)
        SAY("%s", _("spaces in the document name (this workspace sets naming.spaces = forbid)"));
    if (p & NM_NAME_CHARS)
        SAY("%s", _("punctuation in the document name"));
    if (p & NM_NAME_MISSING)
        SAY("%s", _("the document name is missing"));
    if ((p & NM_NAME_OTHER_TYPE) && d->guess.type)
        SAY(_("STT %d is \"%s\" but the name is that of type %d, \"%s\": decide which is "
              "right"),
            d->guess.type->stt, d->guess.type->name_ascii, d->named_type->stt,
            d->named_type->name_ascii);
    if ((p & NM_NAME_UNKNOWN) && d->guess.type)
        SAY(_("the name is not one of type %d's (\"%s\")"), d->guess.type->stt,
            d->guess.type->name_ascii);
    else if (p & NM_NAME_UNKNOWN)
        SAY("%s", _("the name is not that of a document type in the catalog"));
    if ((p & NM_NAME_APPROX) && d->guess.type)
        SAY(_("the name is written differently from the catalog (type %d)"), d->guess.type->stt);
    if (p & NM_SEQ_FORMAT)
        SAY("%s", _("the SoThuTu is written 1, 2, 3 … without leading zeros"));
    if (p & NM_SUFFIX_FORM)
        SAY(_("signed files end in \"%s\" in this workspace (naming.signed_suffix)"),
            r->signed_suffix);
    if (!m->len)
        SAY("%s", _("the name does not follow STT.Ten tai lieu[.SoThuTu].pdf"));
#undef SAY
}

/* A file name with its reading: what the seq rules of the dossier work on. */
typedef struct {
    const char *name;
    char *path;
    nm_file_id id; /* type NULL when the name could not be read */
} doc_file;

#define DIAGNOSIS_CACHE_MAX 20000

static GHashTable *new_diagnosis_cache(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static void diagnose(checker *c, const char *name, nm_file_diagnosis *d)
{
    const nm_file_diagnosis *hit = c->diagnoses ? g_hash_table_lookup(c->diagnoses, name) : NULL;
    if (hit) {
        *d = *hit;
        return;
    }
    nm_diagnose_file_name(name, c->rules, d);
    if (c->diagnoses && g_hash_table_size(c->diagnoses) < DIAGNOSIS_CACHE_MAX)
        g_hash_table_insert(c->diagnoses, g_strdup(name), g_memdup2(d, sizeof *d));
}

/* Check a file's own name; fills f->id with what it says (or most likely means). */
static void check_file_name(checker *c, doc_file *f)
{
    if (nm_parse_file_name(f->name, c->rules, &f->id))
        return;
    nm_file_diagnosis d;
    diagnose(c, f->name, &d);
    const char *code = d.problems & NM_NOT_PDF             ? "name.file"
                       : d.problems & NM_STT_UNKNOWN       ? "name.unknown_type"
                       : d.problems & NM_NAME_OTHER_TYPE   ? "name.type_mismatch"
                       : d.problems & NM_NO_STT && !d.sure ? "name.unknown_type"
                                                           : "name.file";
    GString *m = g_string_new(NULL);
    describe(m, &d, c->rules);
    char *suggestion = d.guess.type ? nm_canonical_file_name(&d.guess, c->rules) : NULL;
    report(c, code, SH_ERROR, f->path, suggestion, d.sure, "%s", m->str);
    g_free(suggestion);
    g_string_free(m, TRUE);
    f->id = d.guess; /* for the seq rules: what the person most likely meant */
}

bool nm_is_pdf_name(const char *name)
{
    size_t len = strlen(name);
    return len > 4 && g_ascii_strcasecmp(name + len - 4, ".pdf") == 0;
}

/* Hand a PDF file to the visitor; with only_path, that file alone. */
static void visit_file(checker *c, const char *path, const char *dossier, const nm_file_id *id)
{
    if (!c->visit || !c->visit->file || !nm_is_pdf_name(path))
        return;
    if (c->only_path && strcmp(path, c->only_path) != 0)
        return;
    c->visit->file(path, dossier, id, c->visit->ctx);
}

static int by_type_then_seq(const void *a, const void *b)
{
    const doc_file *x = a, *y = b;
    if (x->id.type->stt != y->id.type->stt)
        return x->id.type->stt - y->id.type->stt;
    if (x->id.is_signed != y->id.is_signed)
        return x->id.is_signed - y->id.is_signed;
    if (x->id.seq != y->id.seq)
        return x->id.seq - y->id.seq;
    return strcmp(x->name, y->name);
}

/* name.seq with the file renumbered; takes the message (g_free()d here). */
static void report_renumber(checker *c, doc_file *f, int seq, char *message)
{
    nm_file_id id = f->id;
    id.seq = seq;
    char *suggestion = nm_canonical_file_name(&id, c->rules);
    report(c, "name.seq", SH_ERROR, f->path, suggestion, true, "%s", message);
    g_free(suggestion);
    g_free(message);
}

/* SoThuTu within one type (signed and unsigned files apart): none when the type occurs once;
 * 1..n without gaps when more; never the same document twice. */
static void check_group(checker *c, doc_file *g, size_t n)
{
    if (n == 1) {
        if (g[0].id.seq > 0)
            report_renumber(
                c, &g[0], 0,
                g_strdup_printf(_("the only document of type %d in this dossier has no SoThuTu"),
                                g[0].id.type->stt));
        return;
    }
    /* Sorted by seq: unnumbered files come first, equal numbers side by side. Every file of a
     * clash is reported, so that "name fix" leaves them all to a person. */
    bool *dup = g_new0(bool, n);
    bool clash = false;
    for (size_t i = 0; i < n; i++) {
        if (g[i].id.seq == 0)
            dup[i] = true;
        if (i > 0 && g[i].id.seq > 0 && g[i].id.seq == g[i - 1].id.seq)
            dup[i] = dup[i - 1] = true;
    }
    for (size_t i = 0; i < n; i++) {
        if (!dup[i])
            continue;
        clash = true;
        size_t k = i + 1 < n ? i + 1 : i - 1;
        if (g[i].id.seq > 0 && i > 0 && g[i - 1].id.seq == g[i].id.seq)
            k = i - 1;
        const char *other = g[k].name;
        if (g[i].id.seq == 0)
            report(c, "name.duplicate", SH_ERROR, g[i].path, NULL, false,
                   _("the same document as %s? Number the documents of one type 1, 2, 3 … by "
                     "date, or remove the copy"),
                   other);
        else
            report(c, "name.duplicate", SH_ERROR, g[i].path, NULL, false,
                   _("the same SoThuTu as %s: the same document twice? Renumber or remove the "
                     "copy"),
                   other);
    }
    g_free(dup);
    if (clash)
        return;
    for (size_t i = 0; i < n; i++)
        if (g[i].id.seq != (int)i + 1)
            report_renumber(
                c, &g[i], (int)i + 1,
                g_strdup_printf(_("the %zu documents of type %d are numbered 1..%zu without gaps"),
                                n, g[i].id.type->stt, n));
}

static void check_dossier_files(checker *c, const char *path, entry *e, size_t n)
{
    doc_file *files = calloc(n ? n : 1, sizeof *files);
    size_t nf = 0;
    for (size_t i = 0; i < n; i++) {
        char *child = join(path, e[i].name);
        if (e[i].kind == ENTRY_DIR) {
            report(c, "name.folder", SH_ERROR, child, NULL, false,
                   _("a dossier folder holds document files only, not folders; move what is "
                     "inside to the dossier or out of it"));
            g_free(child);
            continue;
        }
        c->sum->files++;
        if (!files) {
            g_free(child);
            continue;
        }
        doc_file *f = &files[nf++];
        f->name = e[i].name;
        f->path = child;
        check_file_name(c, f);
        visit_file(c, f->path, path, &f->id);
    }
    /* The seq rules, for the files whose type is known. */
    size_t known = 0;
    for (size_t i = 0; i < nf; i++)
        if (files[i].id.type) {
            doc_file t = files[known];
            files[known++] = files[i];
            files[i] = t;
        }
    if (known > 1) /* files is NULL in a folder without files, which qsort must not be given */
        qsort(files, known, sizeof *files, by_type_then_seq);
    for (size_t i = 0; i < known;) {
        size_t j = i + 1;
        while (j < known && files[j].id.type == files[i].id.type &&
               files[j].id.is_signed == files[i].id.is_signed)
            j++;
        check_group(c, files + i, j - i);
        i = j;
    }
    for (size_t i = 0; i < nf; i++)
        g_free(files[i].path);
    free(files);
}

static void check_dossier(checker *c, const char *path, const char *name)
{
    c->sum->dossiers++;
    check_dossier_name(c, path, name);
    check_cccd_unique(c, path, name);
    size_t n;
    entry *e = list_folder(c, path, false, &n);
    check_dossier_files(c, path, e, n);
    free_entries(e, n);
    if (c->visit && c->visit->dossier_done)
        c->visit->dossier_done(path, c->visit->ctx);
}

/* Scans and documents outside a dossier would never be validated or uploaded: an error. Other
 * files (a handover sheet, a batch manifest) are not documents: a warning, so they are seen. */
static void report_stray_file(checker *c, const char *path)
{
    static const char *const DOCUMENT_EXTENSIONS[] = {".pdf", ".tif",  ".tiff",
                                                      ".jpg", ".jpeg", ".png"};
    bool document = false;
    size_t len = strlen(path);
    for (size_t i = 0; i < G_N_ELEMENTS(DOCUMENT_EXTENSIONS); i++) {
        size_t n = strlen(DOCUMENT_EXTENSIONS[i]);
        document |= len > n && g_ascii_strcasecmp(path + len - n, DOCUMENT_EXTENSIONS[i]) == 0;
    }
    if (document) {
        report(c, "name.file", SH_ERROR, path, NULL, false,
               _("a document outside a dossier folder: documents belong in "
                 "M1.M2.M3.M4.M5/CCCD_HoTen/"));
        visit_file(c, path, NULL, &(nm_file_id){0});
    } else
        report(c, "name.file", SH_WARNING, path, NULL, false,
               _("not part of any dossier: it will not be validated or uploaded"));
}

static void check_org(checker *c, const char *path, const char *name)
{
    c->sum->org_folders++;
    check_org_name(c, path, name);
    c->cur_org = id_org(c->ids, path);
    size_t n;
    entry *e = list_folder(c, path, false, &n);
    for (size_t i = 0; i < n; i++) {
        char *child = join(path, e[i].name);
        if (e[i].kind == ENTRY_DIR)
            check_dossier(c, child, e[i].name);
        else
            report_stray_file(c, child);
        g_free(child);
    }
    free_entries(e, n);
}

static bool is_workspace_root(const char *path)
{
    char *ini = join(path, SH_WORKSPACE_CONFIG);
    bool yes = access(ini, F_OK) == 0;
    g_free(ini);
    return yes;
}

static void check_container(checker *c, const char *path, int depth);

/* A workspace met inside a folder being checked: its own [naming] settings apply to it. */
static void check_nested_workspace(checker *c, const char *path, int depth)
{
    char *ini = join(path, SH_WORKSPACE_CONFIG);
    sh_config cfg;
    sh_config_defaults(&cfg);
    sh_error e;
    if (sh_config_load(ini, &cfg, &e) != SH_OK) {
        if (c->sum->unreadable++ == 0)
            c->first_unreadable = e;
        sh_config_free(&cfg);
        g_free(ini);
        return;
    }
    nm_rules rules;
    nm_rules_from_config(&rules, &cfg);
    rules.current_year = c->rules->current_year;
    const nm_rules *outer = c->rules;
    GHashTable *outer_cache = c->diagnoses; /* readings depend on the rules */
    c->rules = &rules;
    c->diagnoses = new_diagnosis_cache();
    check_container(c, path, depth);
    g_hash_table_destroy(c->diagnoses);
    c->diagnoses = outer_cache;
    c->rules = outer;
    sh_config_free(&cfg);
    g_free(ini);
}

static void check_container(checker *c, const char *path, int depth)
{
    size_t n;
    entry *e = list_folder(c, path, true, &n);
    for (size_t i = 0; i < n; i++) {
        char *child = join(path, e[i].name);
        if (e[i].kind != ENTRY_DIR)
            report_stray_file(c, child);
        else if (depth < MAX_CONTAINER_DEPTH && !nm_org_code_valid(e[i].name) &&
                 is_workspace_root(child))
            check_nested_workspace(c, child, depth + 1);
        else
            check_org(c, child, e[i].name);
        g_free(child);
    }
    free_entries(e, n);
}

/* ---- what kind of folder the user gave ---- */

static bool looks_like_org(const char *name)
{
    int groups = 0;
    for (const char *p = name; *p;) {
        if (!g_ascii_isdigit(*p))
            return false;
        while (g_ascii_isdigit(*p))
            p++;
        groups++;
        while (*p && strchr(" ._-", *p))
            p++;
    }
    return groups >= 3;
}

static bool looks_like_dossier(const char *name)
{
    int digits = 0;
    while (g_ascii_isdigit(name[digits]))
        digits++;
    if (digits >= 9 && name[digits] && !g_ascii_isdigit(name[digits]))
        return true;
    /* A member without a CCCD: a passport number, a capital letter and 7 digits, then more. */
    uint64_t code;
    return g_ascii_isupper(name[0]) && read_key(name, &code) == NM_KEY_PASSPORT && name[8];
}

typedef enum { KIND_CONTAINER, KIND_ORG, KIND_DOSSIER } folder_kind;

/* A folder whose own name says nothing: judge by what it holds. Organisation folders inside →
 * a container; dossier folders inside → a (misnamed) organisation folder; PDF files → a
 * (misnamed) dossier. */
static folder_kind kind_by_content(const char *path)
{
    if (is_workspace_root(path))
        return KIND_CONTAINER;
    size_t n;
    entry *e = list_folder(NULL, path, false, &n);
    size_t orgs = 0, dossiers = 0, pdfs = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(e[i].name);
        if (e[i].kind == ENTRY_DIR) {
            orgs += looks_like_org(e[i].name);
            dossiers += looks_like_dossier(e[i].name);
        } else if (e[i].kind == ENTRY_FILE && len > 4) {
            pdfs += g_ascii_strcasecmp(e[i].name + len - 4, ".pdf") == 0;
        }
    }
    free_entries(e, n);
    return orgs ? KIND_CONTAINER : dossiers ? KIND_ORG : pdfs ? KIND_DOSSIER : KIND_CONTAINER;
}

static void check_single_file(checker *c, const char *path)
{
    char *dir = g_path_get_dirname(path);
    char *abs = g_canonicalize_filename(dir, NULL);
    char *parent = g_path_get_basename(abs);
    char *grandparent_path = g_path_get_dirname(abs);
    char *grandparent = g_path_get_basename(grandparent_path);
    if (!looks_like_dossier(parent) || !looks_like_org(grandparent)) {
        c->sum->files++;
        report_stray_file(c, path);
    } else {
        /* The dossier's seq rules need the siblings; only this file's findings are shown. */
        size_t n;
        entry *e = list_folder(c, dir, false, &n);
        char *base = g_path_get_basename(path);
        bool listed = false;
        for (size_t i = 0; i < n; i++)
            listed |= strcmp(e[i].name, base) == 0;
        if (listed) {
            size_t before = c->sum->files;
            char *prefix = g_strndup(path, strlen(path) - strlen(base));
            /* Build paths that compare equal to `path` for the filter. */
            size_t plen = strlen(prefix);
            if (plen > 1 && prefix[plen - 1] == '/')
                prefix[plen - 1] = '\0';
            char *rebuilt = join(prefix, base); /* "a//b.pdf" comes back as "a/b.pdf" */
            c->only_path = rebuilt;
            check_dossier_files(c, prefix, e, n);
            c->only_path = NULL;
            c->sum->files = before + 1;
            g_free(rebuilt);
            g_free(prefix);
        } else {
            c->sum->files++;
            doc_file f = {.name = base, .path = (char *)path};
            check_file_name(c, &f);
            visit_file(c, path, dir, &f.id);
        }
        g_free(base);
        free_entries(e, n);
    }
    g_free(grandparent);
    g_free(grandparent_path);
    g_free(parent);
    g_free(abs);
    g_free(dir);
}

sh_status nm_check_path(const char *path, const nm_rules *r, sh_finding_sink sink, void *ctx,
                        nm_check_summary *sum, sh_error *err)
{
    return nm_walk_path(path, r, sink, ctx, NULL, sum, err);
}

sh_status nm_walk_path(const char *path, const nm_rules *r, sh_finding_sink sink, void *ctx,
                       const nm_visitor *visit, nm_check_summary *sum, sh_error *err)
{
    checker c = {.rules = r, .sink = sink, .ctx = ctx, .sum = sum, .visit = visit};
    sh_error_clear(&c.first_unreadable);
    struct stat st;
    if (stat(path, &st) != 0)
        return sh_fail_errno(err, SH_INPUT, errno, _("cannot read %s"), path);
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return sh_fail(err, SH_INPUT, _("%s is neither a file nor a folder"), path);
    c.diagnoses = new_diagnosis_cache();
    if (S_ISREG(st.st_mode)) {
        check_single_file(&c, path);
    } else {
        char *abs = g_canonicalize_filename(path, NULL);
        char *name = g_path_get_basename(abs);
        folder_kind kind = looks_like_org(name)       ? KIND_ORG
                           : looks_like_dossier(name) ? KIND_DOSSIER
                                                      : kind_by_content(path);
        c.ids = build_id_index(path, kind == KIND_CONTAINER, kind == KIND_ORG);
        if (c.ids->full)
            sh_warn(_("more than %u dossier folders: CCCDs are compared among the first %u only"),
                    ID_INDEX_MAX, ID_INDEX_MAX);
        if (kind == KIND_ORG) {
            check_org(&c, path, name);
        } else if (kind == KIND_DOSSIER) {
            char *org = parent_path(path);
            c.cur_org = id_org(c.ids, org);
            g_free(org);
            check_dossier(&c, path, name);
        } else {
            check_container(&c, path, 0);
        }
        id_index_free(c.ids);
        g_free(name);
        g_free(abs);
    }
    g_hash_table_destroy(c.diagnoses);
    if (sum->unreadable) {
        if (err)
            *err = c.first_unreadable;
        return SH_INPUT;
    }
    return SH_OK;
}
