/* sohoa name fix: renames from the certain suggestions of a check, with a journal that lets
 * them be undone. A rename never replaces anything; whatever is not certain is left to a
 * person. The journal is written before the first rename, so an interrupted run can be undone
 * too: undo looks at what is on disk, rename by rename. */
#include "naming/naming.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#define JOURNAL_HEADER "sohoa-name-fix 1\n"
#define JOURNAL_MAX_BYTES (256u << 20)
#define JOURNAL_MAX_RENAMES 4000000

/* ---- planning ---- */

typedef struct {
    char *path;
    const char *code;
    char *message;
    char *suggestion;
    bool fixable;
    bool error;
    size_t order; /* arrival, so that sorting by path keeps each path's findings in order */
} held_finding;

static void hold(const sh_finding *f, void *ctx)
{
    GArray *all = ctx;
    held_finding h = {
        .path = g_strdup(f->path ? f->path : ""),
        .code = f->code,
        .message = g_strdup(f->message),
        .suggestion = g_strdup(f->suggestion),
        .fixable = f->fixable,
        .error = f->severity == SH_ERROR,
        .order = all->len,
    };
    g_array_append_val(all, h);
}

static void add_undecided(GArray *out, const char *path, const char *code, const char *message,
                          const char *suggestion)
{
    nm_undecided u = {g_strdup(path), code, g_strdup(message), g_strdup(suggestion)};
    g_array_append_val(out, u);
}

static int depth(const char *path)
{
    int n = 0;
    for (; *path; path++)
        n += *path == '/';
    return n;
}

static bool same_file(const char *a, const char *b)
{
    struct stat x, y;
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static int by_path(const void *a, const void *b)
{
    const held_finding *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    return c ? c : x->order < y->order ? -1 : 1;
}

/* Is `to` taken by another file, also under another letter case (exFAT and NTFS disks, where
 * 02.Ly.pdf and 02.ly.pdf are one name)? names_by_dir caches lower-cased folder listings. */
/* A path with its base name lower-cased: equal keys are one name on case-insensitive disks. */
static char *fold_key(const char *path)
{
    char *dir = g_path_get_dirname(path), *base = g_path_get_basename(path);
    char *lower = g_ascii_strdown(base, -1);
    char *key = g_strconcat(dir, "/", lower, NULL);
    g_free(dir);
    g_free(base);
    g_free(lower);
    return key;
}

/* Is `to` taken by another file, also under another letter case (exFAT and NTFS disks, where
 * 02.Ly.pdf and 02.ly.pdf are one name)? A name that another rename of the plan moves away
 * (`leaving`, by fold_key) is free: 55.X.2 → 55.X.1 frees 55.X.2 for 55.X.3. names_by_dir
 * caches lower-cased folder listings. */
static bool name_taken(GHashTable *names_by_dir, GHashTable *leaving, const char *from,
                       const char *to)
{
    char *key = fold_key(to), *from_key = fold_key(from);
    bool taken = false;
    if (strcmp(key, from_key) == 0) {
        struct stat st; /* a case-only rename: taken only by a different file */
        taken = lstat(to, &st) == 0 && !same_file(from, to);
    } else if (!g_hash_table_contains(leaving, key)) {
        char *dir = g_path_get_dirname(to);
        GHashTable *names = g_hash_table_lookup(names_by_dir, dir);
        if (!names) {
            names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
            GDir *d = g_dir_open(dir, 0, NULL);
            for (const char *n; d && (n = g_dir_read_name(d));)
                g_hash_table_add(names, g_ascii_strdown(n, -1));
            if (d)
                g_dir_close(d);
            g_hash_table_insert(names_by_dir, g_strdup(dir), names);
        }
        struct stat st;
        char *base = g_path_get_basename(to), *lower = g_ascii_strdown(base, -1);
        taken = lstat(to, &st) == 0 || g_hash_table_contains(names, lower);
        g_free(base);
        g_free(lower);
        g_free(dir);
    }
    g_free(key);
    g_free(from_key);
    return taken;
}

/* Drop from `renames` (into undecided) every rename onto a taken name or onto the target of
 * another; repeat until stable, since a dropped rename no longer frees its name. */
static void drop_clashes(GArray *renames, GArray *undecided)
{
    GHashTable *names_by_dir = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                     (GDestroyNotify)g_hash_table_destroy);
    for (bool changed = true; changed;) {
        changed = false;
        GHashTable *targets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        GHashTable *leaving = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        for (guint i = 0; i < renames->len; i++) {
            nm_rename *rn = &g_array_index(renames, nm_rename, i);
            char *key = fold_key(rn->to);
            gpointer count = g_hash_table_lookup(targets, key);
            g_hash_table_insert(targets, key, GINT_TO_POINTER(GPOINTER_TO_INT(count) + 1));
            g_hash_table_add(leaving, fold_key(rn->from));
        }
        guint kept = 0;
        for (guint i = 0; i < renames->len; i++) {
            nm_rename rn = g_array_index(renames, nm_rename, i);
            char *key = fold_key(rn.to);
            bool twice = GPOINTER_TO_INT(g_hash_table_lookup(targets, key)) > 1;
            bool taken = !twice && name_taken(names_by_dir, leaving, rn.from, rn.to);
            g_free(key);
            if (!taken && !twice) {
                g_array_index(renames, nm_rename, kept++) = rn;
                continue;
            }
            char *base = g_path_get_basename(rn.to);
            char *why = g_strdup_printf(taken ? _("would be renamed to %s, but that name is "
                                                  "taken: compare the two and keep one")
                                              : _("would be renamed to %s, like another file: "
                                                  "the same document twice?"),
                                        base);
            add_undecided(undecided, rn.from, "name.duplicate", why, base);
            g_free(why);
            g_free(base);
            g_free(rn.from);
            g_free(rn.to);
            changed = true;
        }
        g_array_set_size(renames, kept);
        g_hash_table_destroy(targets);
        g_hash_table_destroy(leaving);
    }
    g_hash_table_destroy(names_by_dir);
}

/* Order renames so that nothing is renamed onto a name before that name is moved away: deeper
 * paths first (a folder's files while it keeps its name), and within that, a rename after the
 * one that frees its target. A cycle (A → B, B → A) cannot be done one by one: undecided. */
static void order_renames(GArray *renames, GArray *undecided);

/* Deeper paths first: a dossier's files are renamed while their folder still has its old name. */
static int deeper_first(const void *a, const void *b)
{
    const nm_rename *x = a, *y = b;
    int dx = depth(x->from), dy = depth(y->from);
    return dx != dy ? dy - dx : strcmp(x->from, y->from);
}

static void order_renames(GArray *renames, GArray *undecided)
{
    g_array_sort(renames, deeper_first);
    GArray *ordered = g_array_sized_new(FALSE, FALSE, sizeof(nm_rename), renames->len);
    GHashTable *pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < renames->len; i++)
        g_hash_table_add(pending, fold_key(g_array_index(renames, nm_rename, i).from));
    bool *done = g_new0(bool, renames->len);
    /* Depth by depth (renames only wait for siblings), passes until nothing more can go. */
    for (guint start = 0; start < renames->len;) {
        guint end = start;
        int d = depth(g_array_index(renames, nm_rename, start).from);
        while (end < renames->len && depth(g_array_index(renames, nm_rename, end).from) == d)
            end++;
        for (bool progress = true; progress;) {
            progress = false;
            for (guint i = start; i < end; i++) {
                nm_rename *rn = &g_array_index(renames, nm_rename, i);
                if (done[i])
                    continue;
                char *to = fold_key(rn->to), *from = fold_key(rn->from);
                if (strcmp(to, from) == 0 || !g_hash_table_contains(pending, to)) {
                    g_array_append_val(ordered, *rn);
                    g_hash_table_remove(pending, from);
                    done[i] = progress = true;
                }
                g_free(to);
                g_free(from);
            }
        }
        start = end;
    }
    for (guint i = 0; i < renames->len; i++) {
        nm_rename *rn = &g_array_index(renames, nm_rename, i);
        if (done[i])
            continue;
        char *base = g_path_get_basename(rn->to);
        char *why = g_strdup_printf(_("would be renamed to %s, which another file is to take "
                                      "in turn: rename these by hand"),
                                    base);
        add_undecided(undecided, rn->from, "name.duplicate", why, base);
        g_free(why);
        g_free(base);
        g_free(rn->from);
        g_free(rn->to);
    }
    g_free(done);
    g_hash_table_destroy(pending);
    g_array_set_size(renames, 0);
    g_array_append_vals(renames, ordered->data, ordered->len);
    g_array_free(ordered, TRUE);
}

sh_status nm_fix_plan_make(const char *path, const nm_rules *r, nm_fix_plan *plan, sh_error *err)
{
    memset(plan, 0, sizeof *plan);
    GArray *all = g_array_new(FALSE, FALSE, sizeof(held_finding));
    sh_status st = nm_check_path(path, r, hold, all, &plan->summary, err);
    if (st != SH_OK && plan->summary.unreadable == 0) {
        g_array_free(all, TRUE);
        return st;
    }
    g_array_sort(all, by_path);
    GArray *renames = g_array_new(FALSE, FALSE, sizeof(nm_rename));
    GArray *undecided = g_array_new(FALSE, FALSE, sizeof(nm_undecided));
    /* Findings arrive path by path; the last certain suggestion of a path wins (a seq
     * renumbering is built on the corrected name), and one uncertain error blocks it. */
    for (guint i = 0; i < all->len;) {
        held_finding *h = &g_array_index(all, held_finding, i);
        guint j = i;
        const char *suggestion = NULL;
        bool blocked = false;
        for (; j < all->len && strcmp(g_array_index(all, held_finding, j).path, h->path) == 0;
             j++) {
            held_finding *k = &g_array_index(all, held_finding, j);
            if (strcmp(k->code, "name.cccd_duplicate") == 0)
                continue; /* one CCCD in two folders: no rename settles it (name check says it) */
            if (k->error && !k->fixable) {
                blocked = true;
                add_undecided(undecided, k->path, k->code, k->message, k->suggestion);
            } else if (k->fixable) {
                suggestion = k->suggestion;
            }
        }
        char *base = g_path_get_basename(h->path);
        if (!blocked && suggestion && strcmp(base, suggestion) != 0) {
            char *dir = g_path_get_dirname(h->path);
            nm_rename rn = {g_strdup(h->path), g_build_filename(dir, suggestion, NULL)};
            g_array_append_val(renames, rn);
            g_free(dir);
        }
        g_free(base);
        i = j;
    }
    drop_clashes(renames, undecided);
    order_renames(renames, undecided);

    for (guint i = 0; i < all->len; i++) {
        held_finding *h = &g_array_index(all, held_finding, i);
        g_free(h->path);
        g_free(h->message);
        g_free(h->suggestion);
    }
    g_array_free(all, TRUE);
    plan->n_renames = renames->len;
    plan->renames = (nm_rename *)g_array_free(renames, FALSE);
    plan->n_undecided = undecided->len;
    plan->undecided = (nm_undecided *)g_array_free(undecided, FALSE);
    return st;
}

void nm_renames_free(nm_rename *renames, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        g_free(renames[i].from);
        g_free(renames[i].to);
    }
    g_free(renames);
}

void nm_fix_plan_free(nm_fix_plan *plan)
{
    nm_renames_free(plan->renames, plan->n_renames);
    for (size_t i = 0; i < plan->n_undecided; i++) {
        g_free(plan->undecided[i].path);
        g_free(plan->undecided[i].message);
        g_free(plan->undecided[i].suggestion);
    }
    g_free(plan->undecided);
    memset(plan, 0, sizeof *plan);
}

/* ---- the journal: a header line, then "R<TAB>from<TAB>to" per rename, absolute paths with
 * %, TAB, LF and CR written as %25, %09, %0A, %0D ---- */

static void put_escaped(GString *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '%' || *s == '\t' || *s == '\n' || *s == '\r')
            g_string_append_printf(out, "%%%02X", (unsigned char)*s);
        else
            g_string_append_c(out, *s);
    }
}

static char *unescape(const char *s, size_t len)
{
    GString *out = g_string_sized_new(len);
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            g_string_append_c(out, s[i]);
            continue;
        }
        if (i + 2 >= len) {
            g_string_free(out, TRUE);
            return NULL;
        }
        int hi = g_ascii_xdigit_value(s[i + 1]), lo = g_ascii_xdigit_value(s[i + 2]);
        int c = hi * 16 + lo;
        if (hi < 0 || lo < 0 || (c != '%' && c != '\t' && c != '\n' && c != '\r')) {
            g_string_free(out, TRUE);
            return NULL;
        }
        g_string_append_c(out, (char)c);
        i += 2;
    }
    return g_string_free(out, FALSE);
}

sh_status nm_journal_parse(const char *text, size_t len, nm_rename **renames, size_t *n,
                           sh_error *err)
{
    *renames = NULL;
    *n = 0;
    size_t hlen = strlen(JOURNAL_HEADER);
    if (len < hlen || memcmp(text, JOURNAL_HEADER, hlen) != 0)
        return sh_fail(err, SH_INPUT, _("not a journal of \"sohoa name fix\""));
    GArray *out = g_array_new(FALSE, FALSE, sizeof(nm_rename));
    size_t line_no = 1;
    for (size_t pos = hlen; pos < len;) {
        line_no++;
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - line) : len - pos;
        pos += line_len + (nl ? 1 : 0);
        const char *tab1 = line_len > 2 ? memchr(line + 2, '\t', line_len - 2) : NULL;
        char *from = NULL, *to = NULL;
        if (line_len > 2 && line[0] == 'R' && line[1] == '\t' && tab1 && nl &&
            !memchr(line, '\0', line_len) && out->len < JOURNAL_MAX_RENAMES) {
            from = unescape(line + 2, (size_t)(tab1 - line - 2));
            to = unescape(tab1 + 1, (size_t)(line + line_len - tab1 - 1));
        }
        if (!from || !to || from[0] != '/' || to[0] != '/' || strchr(to, '\t')) {
            g_free(from);
            g_free(to);
            nm_rename *r = (nm_rename *)out->data;
            nm_renames_free(r, out->len);
            g_array_free(out, FALSE);
            return sh_fail(err, SH_INPUT, _("journal line %zu is damaged"), line_no);
        }
        nm_rename rn = {from, to};
        g_array_append_val(out, rn);
    }
    *n = out->len;
    *renames = (nm_rename *)g_array_free(out, FALSE);
    return SH_OK;
}

/* ---- applying and undoing ---- */

/* The file a case-only rename of `from` parks under while it happens (sh_rename_noreplace):
 * DIR/.NAME.sohoa-rename. g_free(). */
static char *halfway_name(const char *from)
{
    char *dir = g_path_get_dirname(from), *base = g_path_get_basename(from);
    char *tmp = g_strdup_printf("%s/.%s.sohoa-rename", dir, base);
    g_free(dir);
    g_free(base);
    return tmp;
}

/* A rename from → to (or back) killed halfway leaves the file under the parking name of either
 * end: give it the name `back` (what the journal says it had). True when one was found and
 * renamed. Never deleted: these are the operator's files. */
static bool restore_halfway(const char *from, const char *to, const char *back)
{
    const char *ends[] = {from, to};
    for (size_t i = 0; i < 2; i++) {
        char *tmp = halfway_name(ends[i]);
        struct stat sb;
        bool found = lstat(tmp, &sb) == 0;
        sh_error e;
        bool restored = found && sh_rename_noreplace(tmp, back, &e) == SH_OK;
        g_free(tmp);
        if (found)
            return restored;
    }
    return false;
}

sh_atomic_file *nm_fix_journal_open(const nm_fix_plan *plan, const char *journal,
                                    char sha256_hex[SH_SHA256_HEX_LEN + 1], sh_error *err)
{
    GString *text = g_string_new(JOURNAL_HEADER);
    for (size_t i = 0; i < plan->n_renames; i++) {
        char *from = g_canonicalize_filename(plan->renames[i].from, NULL);
        char *to = g_canonicalize_filename(plan->renames[i].to, NULL);
        g_string_append(text, "R\t");
        put_escaped(text, from);
        g_string_append_c(text, '\t');
        put_escaped(text, to);
        g_string_append_c(text, '\n');
        g_free(from);
        g_free(to);
    }
    uint8_t digest[SH_SHA256_LEN];
    sh_sha256_buf(text->str, text->len, digest);
    sh_hex(digest, sizeof digest, sha256_hex);
    sh_atomic_file *f = sh_atomic_open(journal, SH_ATOMIC_NO_REPLACE, err);
    sh_status st = f ? sh_atomic_write(f, text->str, text->len, err) : SH_INTERNAL;
    if (st == SH_OK)
        st = sh_atomic_seal(f, err);
    g_string_free(text, TRUE);
    if (st != SH_OK) {
        sh_atomic_abort(f);
        return NULL;
    }
    return f;
}

void nm_fix_apply_renames(const nm_fix_plan *plan, nm_step_fn fn, void *ctx, size_t *done,
                          size_t *failed)
{
    *done = *failed = 0;
    for (size_t i = 0; i < plan->n_renames; i++) {
        const nm_rename *rn = &plan->renames[i];
        sh_error e;
        if (sh_rename_noreplace(rn->from, rn->to, &e) == SH_OK) {
            (*done)++;
            fn(rn->from, rn->to, NM_STEP_DONE, NULL, ctx);
        } else {
            (*failed)++;
            fn(rn->from, rn->to, NM_STEP_FAILED, e.msg, ctx);
        }
    }
}

sh_status nm_fix_apply(const nm_fix_plan *plan, const char *journal, nm_step_fn fn, void *ctx,
                       size_t *done, size_t *failed, sh_error *err)
{
    *done = *failed = 0;
    char sha[SH_SHA256_HEX_LEN + 1];
    sh_atomic_file *f = nm_fix_journal_open(plan, journal, sha, err);
    if (!f)
        return err ? err->status : SH_INTERNAL;
    sh_status st = sh_atomic_commit(f, err);
    if (st != SH_OK)
        return st;
    nm_fix_apply_renames(plan, fn, ctx, done, failed);
    return SH_OK;
}

/* A journal read and parsed, with the SHA-256 of its bytes. */
static sh_status read_journal(const char *journal, nm_rename **renames, size_t *n,
                              char sha256_hex[SH_SHA256_HEX_LEN + 1], sh_error *err)
{
    char *text = NULL;
    size_t len = 0;
    sh_status st = sh_read_file(journal, JOURNAL_MAX_BYTES, &text, &len, err);
    if (st != SH_OK)
        return st;
    uint8_t digest[SH_SHA256_LEN];
    sh_sha256_buf(text, len, digest);
    sh_hex(digest, sizeof digest, sha256_hex);
    st = nm_journal_parse(text, len, renames, n, err);
    free(text);
    if (st != SH_OK) {
        char msg[SH_ERROR_MAX];
        g_strlcpy(msg, err ? err->msg : "", sizeof msg);
        return sh_fail(err, st, "%s: %s", journal, msg);
    }
    return SH_OK;
}

sh_status nm_journal_sha256(const char *journal, char sha256_hex[SH_SHA256_HEX_LEN + 1],
                            sh_error *err)
{
    nm_rename *renames = NULL;
    size_t n = 0;
    sh_status st = read_journal(journal, &renames, &n, sha256_hex, err);
    nm_renames_free(renames, n);
    return st;
}

sh_status nm_fix_settle(const char *journal, nm_fix_settlement *out, sh_error *err)
{
    memset(out, 0, sizeof *out);
    nm_rename *renames = NULL;
    size_t n = 0;
    sh_status st = read_journal(journal, &renames, &n, out->sha256, err);
    if (st != SH_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        const char *from = renames[i].from, *to = renames[i].to;
        struct stat sb;
        bool at_from = lstat(from, &sb) == 0, at_to = lstat(to, &sb) == 0;
        if (!at_from && !at_to && restore_halfway(from, to, from)) {
            out->restored++;
            out->not_renamed++;
        } else if (at_to && (!at_from || same_file(from, to)))
            out->renamed++;
        else
            out->not_renamed++;
    }
    nm_renames_free(renames, n);
    return SH_OK;
}

sh_status nm_fix_undo(const char *journal, nm_step_fn fn, void *ctx, size_t *done, size_t *failed,
                      sh_error *err)
{
    *done = *failed = 0;
    nm_rename *renames = NULL;
    size_t n = 0;
    char sha[SH_SHA256_HEX_LEN + 1];
    sh_status st = read_journal(journal, &renames, &n, sha, err);
    if (st != SH_OK)
        return st;
    for (size_t i = n; i-- > 0;) {
        const char *now = renames[i].to, *before = renames[i].from;
        struct stat st_now, st_before;
        bool at_now = lstat(now, &st_now) == 0;
        bool at_before = lstat(before, &st_before) == 0;
        /* A case-only rename (either way) killed halfway: the file is under its parking name. */
        if (!at_now && !at_before && restore_halfway(before, now, before)) {
            (*done)++;
            fn(now, before, NM_STEP_DONE, NULL, ctx);
            continue;
        }
        /* Both names lead to one file on a case-insensitive disk after a case-only rename. */
        bool one_file = at_now && at_before && same_file(now, before);
        if (at_before && !at_now) {
            fn(now, before, NM_STEP_ALREADY, NULL, ctx);
            continue;
        }
        sh_error e;
        const char *why = NULL;
        if (!at_now)
            why = _("neither the old nor the new name exists any more");
        else if (at_before && !one_file)
            why = _("both the old and the new name exist; compare the two files");
        else if (sh_rename_noreplace(now, before, &e) != SH_OK)
            why = e.msg;
        if (why) {
            (*failed)++;
            fn(now, before, NM_STEP_FAILED, why, ctx);
        } else {
            (*done)++;
            fn(now, before, NM_STEP_DONE, NULL, ctx);
        }
    }
    nm_renames_free(renames, n);
    return SH_OK;
}

/* ---- the audit trail of applies: begun, ended, interrupted ---- */

/* The audit id a closing entry's details name as "begin", or 0. */
static int64_t begin_named(const char *details)
{
    const char *p = details ? strstr(details, "\"begin\":") : NULL;
    return p ? g_ascii_strtoll(p + 8, NULL, 10) : 0;
}

typedef struct {
    GArray *begins;      /* fix_begin */
    GHashTable *closed;  /* int64 ids of begins that an entry closes */
    const char *journal; /* nm_fix_begin_of: the journal looked for */
    int64_t found;
} fix_scan;

typedef struct {
    int64_t id;
    char *journal;
} fix_begin;

static sh_status scan_entry(const sh_audit_entry *e, void *ctx, sh_error *err)
{
    (void)err;
    fix_scan *s = ctx;
    if (strcmp(e->action, NM_FIX_BEGIN) == 0) {
        if (s->journal && strcmp(e->subject, s->journal) == 0)
            s->found = e->id;
        if (s->begins) {
            fix_begin b = {e->id, g_strdup(e->subject)};
            g_array_append_val(s->begins, b);
        }
    } else if (s->closed) {
        int64_t id = begin_named(e->details);
        if (id > 0)
            g_hash_table_add(s->closed, g_memdup2(&id, sizeof id));
    }
    return SH_OK;
}

sh_status nm_fix_begin_of(sh_ledger *l, const char *journal, int64_t *id, bool *open, sh_error *err)
{
    fix_scan s = {.journal = journal,
                  .closed = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL)};
    sh_audit_filter f = {NULL, "name.fix"};
    sh_status st = sh_audit_each(l, &f, scan_entry, &s, err);
    *id = s.found;
    *open = s.found > 0 && !g_hash_table_contains(s.closed, &s.found);
    g_hash_table_destroy(s.closed);
    return st;
}

static sh_status record_interrupted(sh_ledger *l, const sh_actor *actor, const fix_begin *b,
                                    const nm_fix_settlement *settled, sh_error *err)
{
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_int(j, "begin", b->id);
    if (settled) {
        sh_json_kv_str(j, "journal_sha256", settled->sha256);
        sh_json_kv_int(j, "renamed", (int64_t)settled->renamed);
        sh_json_kv_int(j, "not_renamed", (int64_t)settled->not_renamed);
        sh_json_kv_int(j, "restored", (int64_t)settled->restored);
    } else {
        sh_json_kv_bool(j, "journal_missing", true);
    }
    sh_json_end_object(j);
    const char *details = sh_json_finish(j, err);
    sh_status st =
        details ? sh_audit_record(l, actor, NM_FIX_INTERRUPTED, b->journal, details, NULL, err)
                : SH_INTERNAL;
    sh_json_free(j);
    return st;
}

sh_status nm_fix_recover(sh_ledger *l, const char *root, const sh_actor *actor, size_t *closed,
                         sh_error *err)
{
    *closed = 0;
    fix_scan s = {.begins = g_array_new(FALSE, FALSE, sizeof(fix_begin)),
                  .closed = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL)};
    sh_audit_filter f = {NULL, "name.fix"};
    sh_status st = sh_audit_each(l, &f, scan_entry, &s, err);
    for (guint i = 0; st == SH_OK && i < s.begins->len; i++) {
        const fix_begin *b = &g_array_index(s.begins, fix_begin, i);
        if (g_hash_table_contains(s.closed, &b->id))
            continue;
        int fd = open(b->journal, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
            close(fd); /* its apply is still running */
            continue;
        }
        if (fd < 0 && sh_publish_pending(l, root, b->journal))
            continue; /* its journal is being put in place by a live apply */
        nm_fix_settlement settled;
        sh_error e;
        bool readable = fd >= 0 && nm_fix_settle(b->journal, &settled, &e) == SH_OK;
        if (fd < 0 || readable) {
            st = record_interrupted(l, actor, b, readable ? &settled : NULL, err);
            if (st == SH_OK) {
                (*closed)++;
                sh_info(_("an earlier \"sohoa name fix --apply\" was interrupted; what it renamed "
                          "is recorded (journal %s)"),
                        b->journal);
            }
        } else {
            sh_warn(_("an interrupted \"sohoa name fix --apply\" left a journal that cannot be "
                      "read: %s"),
                    e.msg);
        }
        if (fd >= 0)
            close(fd);
    }
    for (guint i = 0; i < s.begins->len; i++)
        g_free(g_array_index(s.begins, fix_begin, i).journal);
    g_array_free(s.begins, TRUE);
    g_hash_table_destroy(s.closed);
    return st;
}
