/* sohoa name check | name fix: output of the folder walks of naming/check.c and naming/fix.c. */
#include "cli.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>

static void put_summary(sh_json *j, const nm_check_summary *s)
{
    sh_json_key(j, "summary");
    sh_json_begin_object(j);
    sh_json_key(j, "org_folders");
    sh_json_int(j, (int64_t)s->org_folders);
    sh_json_key(j, "dossiers");
    sh_json_int(j, (int64_t)s->dossiers);
    sh_json_key(j, "files");
    sh_json_int(j, (int64_t)s->files);
    sh_json_key(j, "errors");
    sh_json_int(j, (int64_t)s->errors);
    sh_json_key(j, "warnings");
    sh_json_int(j, (int64_t)s->warnings);
    sh_json_end_object(j);
}

static void print_summary(const nm_check_summary *s)
{
    printf(_("Checked: organisation folders %zu, dossiers %zu, files %zu. Errors: %zu, "
             "warnings: %zu.\n"),
           s->org_folders, s->dossiers, s->files, s->errors, s->warnings);
}

int name_check(const cli_globals *g, int npaths, char **paths)
{
    sh_json *j = g->json ? sh_json_new() : NULL;
    if (j) {
        sh_json_begin_object(j);
        sh_json_key(j, "findings");
        sh_json_begin_array(j);
    }
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
            st = nm_check_path(paths[i], &rules, cli_finding_out, j, &sum, &e);
            sh_workspace_close(&ws);
        }
        if (st != SH_OK) {
            /* Say it now, and go on with the other paths: one bad path should not hide the
             * findings of the rest. */
            fprintf(stderr, "sohoa: %s\n", e.msg);
            if (sum.unreadable > 1)
                fprintf(stderr, _("sohoa: %zu folders under %s could not be read\n"),
                        sum.unreadable, paths[i]);
            if (worst == SH_OK || st < worst)
                worst = st; /* a usage error (bad sohoa.ini) before an unreadable input */
        }
        total.org_folders += sum.org_folders;
        total.dossiers += sum.dossiers;
        total.files += sum.files;
        total.errors += sum.errors;
        total.warnings += sum.warnings;
    }
    int status = worst != SH_OK ? worst : total.errors ? SH_FINDINGS : SH_OK;
    if (j) {
        sh_json_end_array(j);
        put_summary(j, &total);
        sh_json_end_object(j);
        status = cli_print_json(j, status);
        sh_json_free(j);
    } else {
        print_summary(&total);
    }
    return status;
}

/* ---- fix ---- */

/* The counts of a fix, in its audit entry and in its JSON summary. */
static void put_counts(sh_json *j, const char *done_key, size_t done, size_t failed,
                       size_t undecided)
{
    sh_json_key(j, done_key);
    sh_json_int(j, (int64_t)done);
    sh_json_key(j, "failed");
    sh_json_int(j, (int64_t)failed);
    sh_json_key(j, "undecided");
    sh_json_int(j, (int64_t)undecided);
}

typedef struct {
    sh_json *json; /* the "renames" array when --json */
} step_out;

static void put_rename(sh_json *j, const char *from, const char *to, const char *status,
                       const char *why)
{
    sh_json_begin_object(j);
    sh_json_key(j, "from");
    sh_json_string(j, from);
    sh_json_key(j, "to");
    sh_json_string(j, to);
    sh_json_key(j, "status");
    sh_json_string(j, status);
    if (why) {
        sh_json_key(j, "why");
        sh_json_string(j, why);
    }
    sh_json_end_object(j);
}

static void print_step(const char *from, const char *to, nm_step_result result, const char *why,
                       void *ctx)
{
    step_out *o = ctx;
    char *shown_from = g_utf8_make_valid(from, -1), *shown_to = g_utf8_make_valid(to, -1);
    static const char *const STATUS[] = {"done", "already", "failed"};
    if (o->json)
        put_rename(o->json, shown_from, shown_to, STATUS[result], why);
    else if (result == NM_STEP_DONE)
        printf(_("renamed %s\n     → %s\n"), shown_from, shown_to);
    else if (result == NM_STEP_ALREADY)
        printf(_("already %s\n"), shown_to);
    else
        printf(_("NOT renamed %s: %s\n"), shown_from, why);
    g_free(shown_from);
    g_free(shown_to);
}

static void print_plan(const nm_fix_plan *plan, sh_json *j, bool apply)
{
    if (apply)
        return; /* the steps are printed as they happen */
    for (size_t i = 0; i < plan->n_renames; i++) {
        char *from = g_utf8_make_valid(plan->renames[i].from, -1);
        char *to = g_utf8_make_valid(plan->renames[i].to, -1);
        if (j)
            put_rename(j, from, to, "planned", NULL);
        else
            printf(_("rename %s\n     → %s\n"), from, to);
        g_free(from);
        g_free(to);
    }
}

static void print_undecided(const nm_fix_plan *plan, sh_json *j)
{
    if (j) {
        sh_json_key(j, "undecided");
        sh_json_begin_array(j);
    } else if (plan->n_undecided) {
        printf(_("For a person to decide (not renamed):\n"));
    }
    for (size_t i = 0; i < plan->n_undecided; i++) {
        const nm_undecided *u = &plan->undecided[i];
        char *path = g_utf8_make_valid(u->path, -1);
        sh_finding f = {.code = u->code,
                        .severity = SH_ERROR,
                        .path = path,
                        .message = u->message,
                        .suggestion = u->suggestion};
        cli_finding_out(&f, j);
        g_free(path);
    }
    if (j)
        sh_json_end_array(j);
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

/* The audit entry of a fix or an undo; subject is made absolute. */
static sh_status record(change_ctx *c, const char *action, const char *subject, sh_json *details,
                        sh_error *err)
{
    const char *text = sh_json_finish(details, err);
    if (!text)
        return SH_INTERNAL;
    char *abs = g_canonicalize_filename(subject, NULL);
    sh_status st = sh_audit_record(c->ledger, &c->actor, action, abs, text, NULL, err);
    g_free(abs);
    return st;
}

/* "restored" and "failed" of an undo, in its audit entry and its JSON summary. */
static void put_undo_counts(sh_json *j, size_t done, size_t failed)
{
    sh_json_key(j, "restored");
    sh_json_int(j, (int64_t)done);
    sh_json_key(j, "failed");
    sh_json_int(j, (int64_t)failed);
}

static int undo(const cli_globals *g, const char *journal, sh_error *err)
{
    change_ctx c;
    if (change_open(g, journal, &c, err) != SH_OK)
        return err->status;
    sh_json *j = g->json ? sh_json_new() : NULL;
    if (j) {
        sh_json_begin_object(j);
        sh_json_key(j, "renames");
        sh_json_begin_array(j);
    }
    step_out o = {j};
    size_t done = 0, failed = 0;
    sh_status st = nm_fix_undo(journal, print_step, &o, &done, &failed, err);
    if (st == SH_OK && done > 0) {
        sh_json *d = sh_json_new();
        sh_json_begin_object(d);
        put_undo_counts(d, done, failed);
        sh_json_end_object(d);
        st = record(&c, "name.fix.undo", journal, d, err);
        sh_json_free(d);
    }
    int status = st != SH_OK ? (int)st : failed ? SH_FINDINGS : SH_OK;
    if (st != SH_OK) {
        sh_json_free(j);
        change_close(&c);
        return status; /* reported by the caller */
    }
    if (j) {
        sh_json_end_array(j);
        sh_json_key(j, "summary");
        sh_json_begin_object(j);
        put_undo_counts(j, done, failed);
        sh_json_end_object(j);
        sh_json_end_object(j);
        status = cli_print_json(j, status);
    } else {
        printf(_("%zu names given back, %zu could not be.\n"), done, failed);
    }
    sh_json_free(j);
    change_close(&c);
    return status;
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
    if (apply)
        nm_rules_from_config(&rules, &c.ws.config);

    nm_fix_plan plan;
    sh_status st = nm_fix_plan_make(path, &rules, &plan, err);
    if (st != SH_OK && plan.summary.unreadable == 0) {
        change_close(&c);
        return st; /* reported by the caller */
    }
    if (st != SH_OK) /* a folder could not be read: say so, plan the rest */
        fprintf(stderr, "sohoa: %s\n", err->msg);
    sh_json *j = g->json ? sh_json_new() : NULL;
    if (j) {
        sh_json_begin_object(j);
        sh_json_key(j, "renames");
        sh_json_begin_array(j);
    }
    print_plan(&plan, j, apply);
    char *journal = NULL;
    size_t done = 0, failed = 0;
    sh_status apply_st = SH_OK;
    if (apply && plan.n_renames > 0) {
        step_out o = {j};
        journal = new_journal_path(&c.ws, err);
        apply_st = journal ? nm_fix_apply(&plan, journal, print_step, &o, &done, &failed, err)
                           : err->status;
        if (apply_st == SH_OK) {
            sh_json *d = sh_json_new();
            sh_json_begin_object(d);
            sh_json_key(d, "journal");
            sh_json_string(d, journal);
            put_counts(d, "renamed", done, failed, plan.n_undecided);
            sh_json_end_object(d);
            apply_st = record(&c, "name.fix", path, d, err);
            sh_json_free(d);
        }
    }
    if (j)
        sh_json_end_array(j);
    print_undecided(&plan, j);
    int status = st != SH_OK ? SH_INPUT : failed || plan.n_undecided ? SH_FINDINGS : SH_OK;
    if (apply_st != SH_OK) {
        status = apply_st; /* reported by the caller; the steps done are printed above */
    } else if (j) {
        sh_json_key(j, "journal");
        sh_json_string(j, journal);
        sh_json_key(j, "summary");
        sh_json_begin_object(j);
        sh_json_key(j, "renames");
        sh_json_int(j, (int64_t)plan.n_renames);
        put_counts(j, "done", done, failed, plan.n_undecided);
        sh_json_end_object(j);
        sh_json_end_object(j);
        status = cli_print_json(j, status);
    } else if (!apply) {
        printf(_("Plan: %zu renames, %zu names for a person to decide. Nothing was renamed; "
                 "add --apply to rename.\n"),
               plan.n_renames, plan.n_undecided);
    } else {
        printf(_("%zu renamed, %zu not renamed, %zu names for a person to decide.\n"), done, failed,
               plan.n_undecided);
        if (journal)
            printf(_("Journal: %s\nTo give the old names back: sohoa name fix --undo %s\n"),
                   journal, journal);
    }
    sh_json_free(j);
    g_free(journal);
    nm_fix_plan_free(&plan);
    change_close(&c);
    if (apply_st == SH_OK)
        sh_error_clear(err);
    return status;
}
