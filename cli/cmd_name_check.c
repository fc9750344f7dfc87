/* sohoa name check | name fix: output of the folder walks of naming/check.c and naming/fix.c. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

static void put_summary(sh_json *j, const nm_check_summary *s)
{
    sh_json_kv_object(j, "summary");
    sh_json_kv_int(j, "org_folders", (int64_t)s->org_folders);
    sh_json_kv_int(j, "dossiers", (int64_t)s->dossiers);
    sh_json_kv_int(j, "files", (int64_t)s->files);
    sh_json_kv_int(j, "errors", (int64_t)s->errors);
    sh_json_kv_int(j, "warnings", (int64_t)s->warnings);
    sh_json_end_object(j);
}

static void print_summary(const cli_out *o, const nm_check_summary *s)
{
    cli_say(o, CLI_NOTE,
            _("Checked: organisation folders %zu, dossiers %zu, files %zu. Errors: %zu, "
              "warnings: %zu.\n"),
            s->org_folders, s->dossiers, s->files, s->errors, s->warnings);
}

/* -q: the errors only. */
static void error_out(const sh_finding *f, void *ctx)
{
    if (f->severity == SH_ERROR)
        cli_finding_out(f, ctx);
}

static bool quiet(void) { return sh_log_get_level() == SH_LOG_QUIET; }

int name_check(const cli_globals *g, int npaths, char **paths)
{
    cli_out o;
    cli_out_open(&o, g);
    if (o.json)
        sh_json_kv_array(o.json, "findings");
    nm_check_summary total = {0};
    sh_status worst = SH_OK;
    for (int i = 0; i < npaths; i++) {
        /* Each PATH under the rules of its own workspace (or --workspace / --config). */
        sh_workspace ws;
        nm_rules rules;
        nm_check_summary sum = {0};
        sh_error e;
        sh_error_clear(&e);
        sh_status st = cli_naming_rules(g, paths[i], &ws, &rules, &e);
        if (st == SH_OK) {
            st = nm_check_path(paths[i], &rules, quiet() && !o.json ? error_out : cli_finding_out,
                               &o, &sum, &e);
            sh_debug("%s: %zu organisation folders, %zu dossiers, %zu files looked at", paths[i],
                     sum.org_folders, sum.dossiers, sum.files);
            sh_workspace_close(&ws);
        }
        if (st != SH_OK) {
            /* Say it now, and go on with the other paths: one bad path should not hide the
             * findings of the rest. */
            cli_report(&e);
            if (sum.unreadable > 1)
                cli_say_err(_("sohoa: %zu folders under %s could not be read\n"), sum.unreadable,
                            paths[i]);
            if (worst == SH_OK || st < worst)
                worst = st; /* a usage error (bad sohoa.ini) before an unreadable input */
        }
        total.org_folders += sum.org_folders;
        total.dossiers += sum.dossiers;
        total.files += sum.files;
        total.errors += sum.errors;
        total.warnings += sum.warnings;
    }
    if (o.json) {
        sh_json_end_array(o.json);
        put_summary(o.json, &total);
    } else {
        print_summary(&o, &total);
    }
    return cli_out_close(&o, worst != SH_OK ? worst : total.errors ? SH_FINDINGS : SH_OK);
}

/* ---- fix ---- */

/* The counts of a fix, in its audit entry and in its JSON summary. */
static void put_counts(sh_json *j, const char *done_key, size_t done, size_t failed,
                       size_t undecided)
{
    sh_json_kv_int(j, done_key, (int64_t)done);
    sh_json_kv_int(j, "failed", (int64_t)failed);
    sh_json_kv_int(j, "undecided", (int64_t)undecided);
}

static void put_rename(sh_json *j, const char *from, const char *to, const char *status,
                       const char *why)
{
    sh_json_begin_object(j);
    sh_json_kv_str(j, "from", from);
    sh_json_kv_str(j, "to", to);
    sh_json_kv_str(j, "status", status);
    if (why)
        sh_json_kv_str(j, "why", why);
    sh_json_end_object(j);
}

/* ctx: the cli_out, its "renames" array open with --json. -q: the renames that failed only;
 * the journal holds the rest. */
static void print_step(const char *from, const char *to, nm_step_result result, const char *why,
                       void *ctx)
{
    const cli_out *o = ctx;
    char *shown_from = g_utf8_make_valid(from, -1), *shown_to = g_utf8_make_valid(to, -1);
    static const char *const STATUS[] = {"done", "already", "failed"};
    if (o->json)
        put_rename(o->json, shown_from, shown_to, STATUS[result], why);
    else if (result == NM_STEP_DONE)
        cli_say(o, CLI_NOTE, _("renamed %s\n     → %s\n"), shown_from, shown_to);
    else if (result == NM_STEP_ALREADY)
        cli_say(o, CLI_NOTE, _("already %s\n"), shown_to);
    else
        cli_say(o, CLI_RESULT, _("NOT renamed %s: %s\n"), shown_from, why);
    g_free(shown_from);
    g_free(shown_to);
}

static void print_plan(const nm_fix_plan *plan, const cli_out *o, bool apply)
{
    if (apply)
        return; /* the steps are printed as they happen */
    for (size_t i = 0; i < plan->n_renames; i++) {
        char *from = g_utf8_make_valid(plan->renames[i].from, -1);
        char *to = g_utf8_make_valid(plan->renames[i].to, -1);
        if (o->json)
            put_rename(o->json, from, to, "planned", NULL);
        else
            cli_say(o, CLI_RESULT, _("rename %s\n     → %s\n"), from, to);
        g_free(from);
        g_free(to);
    }
}

static void print_undecided(const nm_fix_plan *plan, cli_out *o)
{
    if (o->json)
        sh_json_kv_array(o->json, "undecided");
    else if (plan->n_undecided)
        cli_say(o, CLI_RESULT, _("For a person to decide (not renamed):\n"));
    for (size_t i = 0; i < plan->n_undecided; i++) {
        const nm_undecided *u = &plan->undecided[i];
        char *path = g_utf8_make_valid(u->path, -1);
        sh_finding f = {.code = u->code,
                        .severity = SH_ERROR,
                        .path = path,
                        .message = u->message,
                        .suggestion = u->suggestion};
        cli_finding_out(&f, o);
        g_free(path);
    }
    if (o->json)
        sh_json_end_array(o->json);
}

/* .sohoa/journals/name-fix-20261121T101500.123Z.txt */
static char *new_journal_path(const sh_workspace *ws, sh_error *err)
{
    char *dir = g_build_filename(ws->root, SH_WORKSPACE_STATE_DIR, "journals", NULL);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        sh_fail_errno(err, SH_INPUT, errno, _("cannot create folder %s"), dir);
        g_free(dir);
        return NULL;
    }
    char now[32];
    sh_utc_now(now);
    for (char *p = now; *p; p++)
        if (*p == ':')
            *p = '-'; /* colons are not allowed on Windows file systems */
    char *path = g_strdup_printf("%s/name-fix-%s.txt", dir, now);
    g_free(dir);
    return path;
}

/* What --apply and --undo need before touching a file: the workspace, its ledger and a named
 * operator. Opened once; the audit entry of the run goes through it. */
typedef struct {
    sh_workspace ws;
    sh_ledger *ledger;
    sh_actor actor;
} change_ctx;

static sh_status change_open(const cli_globals *g, const char *start, change_ctx *c, sh_error *err)
{
    sh_status st = cli_open_workspace(g, start, &c->ws, &c->ledger, err);
    if (st != SH_OK)
        return st;
    st = cli_actor(g, &c->ws, &c->actor, err);
    if (st != SH_OK) {
        sh_ledger_close(c->ledger);
        sh_workspace_close(&c->ws);
    }
    return st;
}

static void change_close(change_ctx *c)
{
    sh_ledger_close(c->ledger);
    sh_workspace_close(&c->ws);
}

/* The audit entry of a fix or an undo; subject is made absolute. Its id in *id when not NULL. */
static sh_status record(change_ctx *c, const char *action, const char *subject, sh_json *details,
                        int64_t *id, sh_error *err)
{
    const char *text = sh_json_finish(details, err);
    if (!text)
        return SH_INTERNAL;
    char *abs = g_canonicalize_filename(subject, NULL);
    sh_status st = sh_audit_record(c->ledger, &c->actor, action, abs, text, id, err);
    g_free(abs);
    return st;
}

/* A journal's path as the audit chain names it: absolute, symbolic links resolved (the
 * workspace root is a realpath). g_free(). */
static char *journal_key(const char *journal)
{
    char *real = realpath(journal, NULL);
    char *key = real ? g_strdup(real) : g_canonicalize_filename(journal, NULL);
    free(real);
    return key;
}

/* Before --apply plans: what killed runs left. Their temp files in the journals folder go, a
 * journal recorded but not yet in place is put there; each apply begun and never ended is
 * closed in the audit chain with what it renamed (a rename left halfway given its old name
 * back first, so that the plan sees it). */
static sh_status settle_interrupted(change_ctx *c, sh_error *err)
{
    char *dir = g_build_filename(c->ws.root, SH_WORKSPACE_STATE_DIR, "journals", NULL);
    sh_temp_sweep_dir(c->ledger, c->ws.root, dir);
    g_free(dir);
    sh_publish_recovery rec;
    sh_status st = sh_publish_recover(c->ledger, c->ws.root, &c->actor, &rec, err);
    size_t closed = 0;
    return st == SH_OK ? nm_fix_recover(c->ledger, c->ws.root, &c->actor, &closed, err) : st;
}

/* The journal written (hidden), then in one transaction its intent in the audit chain (with its
 * SHA-256) and the intent to publish it, then the journal put in place, held locked while the
 * renames run, then the end naming the intent: a kill anywhere leaves renames the audit chain
 * announced, and a journal that is recorded or none. */
static sh_status apply_recorded(change_ctx *c, const nm_fix_plan *plan, const char *path,
                                const char *journal, const cli_out *o, size_t *done, size_t *failed,
                                sh_error *err)
{
    *done = *failed = 0;
    char sha[SH_SHA256_HEX_LEN + 1];
    sh_atomic_file *f = nm_fix_journal_open(plan, journal, sha, err);
    if (!f)
        return err->status;
    char *abs_path = g_canonicalize_filename(path, NULL);
    sh_json *d = sh_json_new();
    sh_json_begin_object(d);
    sh_json_kv_str(d, "path", abs_path);
    sh_json_kv_str(d, "journal_sha256", sha);
    sh_json_kv_int(d, "renames", (int64_t)plan->n_renames);
    sh_json_end_object(d);
    const char *text = sh_json_finish(d, err);
    int64_t begin = 0, intent = 0;
    sh_status st = text ? sh_ledger_begin(c->ledger, err) : SH_INTERNAL;
    if (st == SH_OK) {
        st = sh_audit_append(c->ledger, &c->actor, NM_FIX_BEGIN, journal, text, &begin, err);
        if (st == SH_OK)
            st = sh_publish_intend(c->ledger, c->ws.root, f, sha, &intent, err);
        st = st == SH_OK ? sh_ledger_commit(c->ledger, err) : (sh_ledger_rollback(c->ledger), st);
    }
    sh_json_free(d);
    g_free(abs_path);
    if (st != SH_OK) {
        sh_atomic_abort(f); /* nothing recorded, nothing renamed: no journal either */
        return st;
    }
    int lock = -1;
    if ((st = sh_publish_finish_locked(c->ledger, f, intent, &lock, err)) != SH_OK)
        return st; /* recorded, kept for recovery; nothing renamed */
    nm_fix_apply_renames(plan, print_step, (void *)o, done, failed);
    d = sh_json_new();
    sh_json_begin_object(d);
    sh_json_kv_str(d, "journal", journal);
    sh_json_kv_str(d, "journal_sha256", sha);
    sh_json_kv_int(d, "begin", begin);
    put_counts(d, "renamed", *done, *failed, plan->n_undecided);
    sh_json_end_object(d);
    st = record(c, "name.fix", path, d, NULL, err);
    sh_json_free(d);
    close(lock);
    return st;
}

/* "restored" and "failed" of an undo, in its audit entry and its JSON summary. */
static void put_undo_counts(sh_json *j, size_t done, size_t failed)
{
    sh_json_kv_int(j, "restored", (int64_t)done);
    sh_json_kv_int(j, "failed", (int64_t)failed);
}

static int undo(const cli_globals *g, const char *journal, sh_error *err)
{
    change_ctx c;
    if (change_open(g, journal, &c, err) != SH_OK)
        return err->status;
    cli_out o;
    cli_out_open(&o, g);
    if (o.json)
        sh_json_kv_array(o.json, "renames");
    size_t done = 0, failed = 0;
    /* The apply it reverses, named in its entry: that closes an apply that was interrupted. */
    char sha[SH_SHA256_HEX_LEN + 1];
    char *key = journal_key(journal);
    int64_t begin = 0;
    bool open = false;
    sh_status st = nm_journal_sha256(journal, sha, err);
    if (st == SH_OK)
        st = nm_fix_begin_of(c.ledger, key, &begin, &open, err);
    if (st == SH_OK)
        st = nm_fix_undo(journal, print_step, &o, &done, &failed, err);
    if (st == SH_OK && (done > 0 || open)) {
        sh_json *d = sh_json_new();
        sh_json_begin_object(d);
        sh_json_kv_str(d, "journal_sha256", sha);
        if (begin > 0)
            sh_json_kv_int(d, "begin", begin);
        put_undo_counts(d, done, failed);
        sh_json_end_object(d);
        st = record(&c, "name.fix.undo", key, d, NULL, err);
        sh_json_free(d);
    }
    g_free(key);
    change_close(&c);
    if (st != SH_OK) {
        cli_out_drop(&o);
        return st; /* reported by the caller */
    }
    if (o.json) {
        sh_json_end_array(o.json);
        sh_json_kv_object(o.json, "summary");
        put_undo_counts(o.json, done, failed);
        sh_json_end_object(o.json);
    } else {
        cli_say(&o, CLI_NOTE, _("%zu names given back, %zu could not be.\n"), done, failed);
    }
    return cli_out_close(&o, failed ? SH_FINDINGS : SH_OK);
}

/* The end of a fix: the journal and the counts, or the closing lines for a person. */
static void fix_summary(const cli_out *o, const nm_fix_plan *plan, const char *journal, size_t done,
                        size_t failed, bool apply)
{
    if (o->json) {
        sh_json_kv_str(o->json, "journal", journal);
        sh_json_kv_object(o->json, "summary");
        sh_json_kv_int(o->json, "renames", (int64_t)plan->n_renames);
        put_counts(o->json, "done", done, failed, plan->n_undecided);
        sh_json_end_object(o->json);
    } else if (!apply) {
        cli_say(o, CLI_NOTE,
                _("Plan: %zu renames, %zu names for a person to decide. Nothing was renamed; "
                  "add --apply to rename.\n"),
                plan->n_renames, plan->n_undecided);
    } else {
        cli_say(o, CLI_NOTE, _("%zu renamed, %zu not renamed, %zu names for a person to decide.\n"),
                done, failed, plan->n_undecided);
        if (journal)
            cli_say(o, CLI_RESULT,
                    _("Journal: %s\nTo give the old names back: sohoa name fix --undo %s\n"),
                    journal, journal);
    }
}

int name_fix(const cli_globals *g, const char *path, bool apply, const char *undo_journal,
             sh_error *err)
{
    if (undo_journal)
        return undo(g, undo_journal, err);
    /* A plan needs only the naming rules; --apply needs the workspace, ledger and operator. */
    change_ctx c = {0};
    nm_rules rules;
    if ((apply ? change_open(g, path, &c, err) : cli_naming_rules(g, path, &c.ws, &rules, err)) !=
        SH_OK)
        return err->status;
    if (apply) {
        nm_rules_from_config(&rules, &c.ws.config);
        if (settle_interrupted(&c, err) != SH_OK) {
            change_close(&c);
            return err->status;
        }
    }

    nm_fix_plan plan;
    sh_status st = nm_fix_plan_make(path, &rules, &plan, err);
    if (st != SH_OK && plan.summary.unreadable == 0) {
        change_close(&c);
        return st; /* reported by the caller */
    }
    if (st != SH_OK) /* a folder could not be read: say so, plan the rest */
        cli_report(err);
    cli_out o;
    cli_out_open(&o, g);
    if (o.json)
        sh_json_kv_array(o.json, "renames");
    print_plan(&plan, &o, apply);
    char *journal = NULL;
    size_t done = 0, failed = 0;
    sh_status apply_st = SH_OK;
    if (apply && plan.n_renames > 0) {
        journal = new_journal_path(&c.ws, err);
        apply_st = journal ? apply_recorded(&c, &plan, path, journal, &o, &done, &failed, err)
                           : err->status;
    }
    if (o.json)
        sh_json_end_array(o.json);
    print_undecided(&plan, &o);
    int status = st != SH_OK ? SH_INPUT : failed || plan.n_undecided ? SH_FINDINGS : SH_OK;
    if (apply_st != SH_OK) {
        cli_out_drop(&o); /* reported by the caller; the steps done are printed above */
        status = apply_st;
    } else {
        fix_summary(&o, &plan, journal, done, failed, apply);
        status = cli_out_close(&o, status);
    }
    g_free(journal);
    nm_fix_plan_free(&plan);
    change_close(&c);
    if (apply_st == SH_OK)
        sh_error_clear(err);
    return status;
}
