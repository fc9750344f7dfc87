/* sohoa audit note|verify|show|export */
#include "cli.h"

#include <string.h>

#include <glib.h>

#define NOTE_MAX_BYTES 4000

enum { O_SUBJECT, O_ANCHOR, O_SINCE, O_ACTION };

static const cli_option OPTIONS[] = {
    [O_SUBJECT] = {"subject", 0, CLI_STRING, N_("S"),
                   N_("with note: what the note is about, for example a dossier folder")},
    [O_ANCHOR] = {"anchor", 0, CLI_STRING, N_("ID:HASH"),
                  N_("with verify: also check that entry ID still has the HASH written down "
                     "earlier (on a handover record): finds a chain cut back")},
    [O_SINCE] = {"since", 0, CLI_STRING, N_("TIME"),
                 N_("with show: the entries from this date or time (UTC) on, 2026-11-01 or "
                    "2026-11-01T08:00")},
    [O_ACTION] = {"action", 0, CLI_STRING, N_("A"),
                  N_("with show: the entries of this action, audit.note, or audit for every "
                     "audit.* action")},
    {0},
};

static const cli_item VERBS[] = {
    {"note", N_("TEXT"),
     N_("record an event, such as the handover or return of a paper dossier (biên bản giao "
        "nhận)")},
    {"verify", NULL, N_("recompute the chain; exit 1 naming the first bad entry")},
    {"show", NULL, N_("list entries, filtered by --since and --action")},
    {"export", N_("FILE"),
     N_("write the log as JSON Lines with the head hash, for inspectors; FILE must not exist "
        "yet")},
    {0},
};

static int run_audit(const cli_globals *g, const cli_value *opt, int nargs, char **args);

const cli_command cli_cmd_audit = {
    .name = "audit",
    .summary = N_("the audit log: note, verify, show, export"),
    .usage = N_("sohoa audit note TEXT [--subject S]\n"
                "sohoa audit verify [--anchor ID:HASH]\n"
                "sohoa audit show [--since TIME] [--action A]\n"
                "sohoa audit export FILE"),
    .description = N_("The audit log records every action: who, when, on which station, on what. "
                      "Each entry is chained to the one before by SHA-256, so an edited, deleted, "
                      "inserted or reordered entry is found by \"audit verify\"."),
    .verbs = VERBS,
    .options = OPTIONS,
    .run = run_audit,
};

typedef struct {
    const cli_globals *g;
    sh_workspace ws;
    sh_ledger *ledger;
    sh_error err;
} audit_ctx;

static int do_note(audit_ctx *c, int nargs, char **args, const char *subject)
{
    if (nargs != 1)
        return sh_fail(&c->err, SH_USAGE,
                       _("audit note: give the text as one argument, in quotes"));
    const char *text = args[0];
    size_t len = strlen(text);
    if (len == 0 || len > NOTE_MAX_BYTES || !sh_utf8_valid(text, len))
        return sh_fail(&c->err, SH_USAGE, _("audit note: the text must be UTF-8, 1 to %d bytes"),
                       NOTE_MAX_BYTES);
    sh_actor actor;
    if (cli_actor(c->g, &c->ws, &actor, &c->err) != SH_OK)
        return c->err.status;
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "text", text);
    sh_json_end_object(j);
    const char *details = sh_json_finish(j, &c->err);
    int64_t id = 0;
    sh_status st =
        details ? sh_audit_record(c->ledger, &actor, "audit.note", subject, details, &id, &c->err)
                : SH_INTERNAL;
    sh_json_free(j);
    if (st != SH_OK)
        return st;
    cli_out o;
    cli_out_open(&o, c->g);
    if (o.json)
        sh_json_kv_int(o.json, "id", id);
    else
        sh_info(_("Recorded audit entry %lld."), (long long)id);
    return cli_out_close(&o, SH_OK);
}

/* "intact", "entries" and "head": what verify prints and what an export ends with. */
static void put_chain_state(sh_json *j, const sh_audit_verdict *v)
{
    sh_json_kv_bool(j, "intact", v->intact);
    sh_json_kv_int(j, "entries", v->entries);
    sh_json_kv_object(j, "head");
    sh_json_kv_int(j, "id", v->head_id);
    sh_json_kv_str(j, "hash", v->head_hash);
    sh_json_end_object(j);
}

static int do_verify(audit_ctx *c, const char *anchor_text)
{
    sh_audit_anchor anchor;
    if (anchor_text && !sh_audit_anchor_parse(anchor_text, &anchor))
        return sh_fail(&c->err, SH_USAGE,
                       _("audit verify: --anchor %s: expected ID:HASH as printed by an earlier "
                         "\"audit verify\", for example 41:3f9a…(64 hex digits)"),
                       anchor_text);
    sh_audit_verdict v;
    if (sh_audit_verify(c->ledger, anchor_text ? &anchor : NULL, &v, &c->err) != SH_OK)
        return c->err.status;
    cli_out o;
    cli_out_open(&o, c->g);
    if (o.json) {
        put_chain_state(o.json, &v);
        if (!v.intact) {
            sh_json_kv_object(o.json, "first_bad");
            sh_json_kv_int(o.json, "id", v.first_bad_id);
            sh_json_kv_str(o.json, "reason", v.reason);
            sh_json_end_object(o.json);
        }
    } else if (v.intact) { /* -q: the exit status says it */
        cli_say(&o, CLI_NOTE,
                ngettext("Audit chain intact: %lld entry; latest entry %lld, hash %s\n",
                         "Audit chain intact: %lld entries; latest entry %lld, hash %s\n",
                         (unsigned long)v.entries),
                (long long)v.entries, (long long)v.head_id, v.head_hash);
    } else {
        cli_say(&o, CLI_RESULT, _("Audit chain BROKEN at entry %lld: %s\n"),
                (long long)v.first_bad_id, v.reason);
        cli_say(&o, CLI_RESULT,
                _("Keep this ledger as evidence and report it to the person responsible for "
                  "the station.\n"));
    }
    return cli_out_close(&o, v.intact ? SH_OK : SH_FINDINGS);
}

/* ---- show ---- */

typedef struct {
    cli_out *out; /* --json: the "entries" array is open in it */
    int64_t count;
} show_state;

static sh_status show_one(const sh_audit_entry *e, void *ctx, sh_error *err)
{
    (void)err;
    show_state *s = ctx;
    s->count++;
    if (s->out->json) {
        sh_audit_entry_json(s->out->json, e);
        cli_out_flush(s->out); /* the whole chain may be millions of entries */
        return SH_OK;
    }
    bool subject = e->subject && *e->subject;
    cli_say(s->out, CLI_RESULT, "%6lld  %s  %s@%s  %s%s%s%s  %s\n", (long long)e->id, e->time,
            e->operator_name, e->station, e->action, subject ? "  [" : "",
            subject ? e->subject : "", subject ? "]" : "", e->details);
    return SH_OK;
}

static int do_show(audit_ctx *c, const char *since, const char *action)
{
    if (since && !sh_time_filter_valid(since))
        return sh_fail(&c->err, SH_USAGE,
                       _("audit show: --since %s: expected a UTC date or time such as 2026-11-01 "
                         "or 2026-11-01T08:30"),
                       since);
    cli_out o;
    cli_out_open(&o, c->g);
    show_state s = {&o, 0};
    sh_audit_filter filter = {since, action};
    if (o.json)
        sh_json_kv_array(o.json, "entries");
    sh_status st = sh_audit_each(c->ledger, &filter, show_one, &s, &c->err);
    if (st != SH_OK) {
        cli_out_drop(&o); /* the error is reported by cmd_audit */
        return st;
    }
    if (o.json) {
        sh_json_end_array(o.json);
        sh_json_kv_int(o.json, "count", s.count);
    } else {
        sh_info(ngettext("%lld entry.", "%lld entries.", (unsigned long)s.count),
                (long long)s.count);
    }
    return cli_out_close(&o, SH_OK);
}

/* ---- export ---- */

typedef struct {
    sh_atomic_file *file;
    int64_t count;
} export_state;

static sh_status export_one(const sh_audit_entry *e, void *ctx, sh_error *err)
{
    export_state *s = ctx;
    sh_json *j = sh_json_new();
    sh_audit_entry_json(j, e);
    const char *text = sh_json_finish(j, err);
    sh_status st = text ? sh_atomic_write(s->file, text, strlen(text), err) : SH_INTERNAL;
    if (st == SH_OK)
        st = sh_atomic_write(s->file, "\n", 1, err);
    sh_json_free(j);
    s->count++;
    return st;
}

/* The export's last line: what was exported, by whom, and the chain's state. */
static sh_status write_trailer(audit_ctx *c, sh_atomic_file *file, const sh_actor *actor,
                               const sh_audit_verdict *v)
{
    char now[32];
    sh_utc_now(now);
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "format", "sohoa-audit-export/1");
    sh_json_kv_str(j, "exported_at", now);
    sh_json_kv_str(j, "station", actor->station);
    sh_json_kv_str(j, "operator", actor->operator_name);
    put_chain_state(j, v);
    sh_json_end_object(j);
    const char *trailer = sh_json_finish(j, &c->err);
    sh_status st = trailer ? sh_atomic_write(file, trailer, strlen(trailer), &c->err) : SH_INTERNAL;
    if (st == SH_OK)
        st = sh_atomic_write(file, "\n", 1, &c->err);
    sh_json_free(j);
    return st;
}

static sh_status record_export(audit_ctx *c, const sh_actor *actor, const char *path,
                               const sh_audit_verdict *v)
{
    char *abs = g_canonicalize_filename(path, NULL);
    sh_json *j = sh_json_new();
    sh_json_begin_object(j);
    sh_json_kv_str(j, "file", abs);
    sh_json_kv_int(j, "entries", v->entries);
    sh_json_kv_str(j, "head_hash", v->head_hash);
    sh_json_end_object(j);
    const char *details = sh_json_finish(j, &c->err);
    sh_status st =
        details ? sh_audit_record(c->ledger, actor, "audit.export", abs, details, NULL, &c->err)
                : SH_INTERNAL;
    sh_json_free(j);
    g_free(abs);
    return st;
}

static int do_export(audit_ctx *c, int nargs, char **args)
{
    if (nargs != 1)
        return sh_fail(&c->err, SH_USAGE, _("audit export: give one output FILE"));
    const char *path = args[0];
    sh_actor actor;
    if (cli_actor(c->g, &c->ws, &actor, &c->err) != SH_OK)
        return c->err.status;
    sh_audit_verdict v;
    export_state s = {sh_atomic_open(path, SH_ATOMIC_NO_REPLACE, &c->err), 0};
    if (!s.file)
        return c->err.status;
    /* One read transaction: the entries and the head written below are the same snapshot,
     * whatever other processes append meanwhile. */
    sh_status st = sh_ledger_begin_read(c->ledger, &c->err);
    if (st == SH_OK) {
        st = sh_audit_verify(c->ledger, NULL, &v, &c->err);
        if (st == SH_OK)
            st = sh_audit_each(c->ledger, NULL, export_one, &s, &c->err);
        sh_ledger_rollback(c->ledger);
    }
    /* The trailer only after a whole read: on a failed one v was never filled in. */
    if (st == SH_OK)
        st = write_trailer(c, s.file, &actor, &v);
    if (st != SH_OK) {
        sh_atomic_abort(s.file);
        return st;
    }
    if ((st = sh_atomic_commit(s.file, &c->err)) != SH_OK)
        return st;

    if (sh_ledger_is_readonly(c->ledger))
        sh_warn(
            _("the export is not recorded in the audit chain: the ledger %s cannot be "
              "written here (read-only media, or no permission); note the handover on the paper "
              "record"),
            c->ws.ledger_path);
    else
        st = record_export(c, &actor, path, &v);
    if (st != SH_OK)
        return st;
    sh_info(ngettext("Exported %lld entry to %s; latest entry %lld, hash %s.",
                     "Exported %lld entries to %s; latest entry %lld, hash %s.",
                     (unsigned long)v.entries),
            (long long)v.entries, path, (long long)v.head_id, v.head_hash);
    if (!v.intact) {
        sh_warn(_("the chain is broken at entry %lld: %s"), (long long)v.first_bad_id, v.reason);
        return SH_FINDINGS;
    }
    return SH_OK;
}

/* Which options each verb takes: a misplaced option is a usage error, not silently ignored. */
static bool options_fit(const char *verb, const char *subject, const char *anchor,
                        const char *since, const char *action)
{
    return (!subject || strcmp(verb, "note") == 0) && (!anchor || strcmp(verb, "verify") == 0) &&
           (!(since || action) || strcmp(verb, "show") == 0);
}

static int run_verb(audit_ctx *c, const char *verb, int nargs, char **args, const char *subject,
                    const char *anchor, const char *since, const char *action)
{
    if (strcmp(verb, "note") == 0)
        return do_note(c, nargs, args, subject);
    if (strcmp(verb, "export") == 0)
        return do_export(c, nargs, args);
    if (nargs != 0)
        return sh_fail(&c->err, SH_USAGE, _("audit %s takes only options, no other arguments"),
                       verb);
    return strcmp(verb, "verify") == 0 ? do_verify(c, anchor) : do_show(c, since, action);
}

/* verify and show only look: the ledger is opened read-only, so they work on a mounted backup
 * or an inspector's read-only copy. export reads the same way and records its audit entry
 * when the ledger can be written (on read-only media it says it could not). */
static int open_for(audit_ctx *c, const char *verb)
{
    if (strcmp(verb, "note") == 0)
        return cli_open_workspace(c->g, NULL, &c->ws, &c->ledger, &c->err);
    if (strcmp(verb, "export") == 0) {
        sh_status st = sh_workspace_open(c->g->workspace, NULL, c->g->config, &c->ws, &c->err);
        if (st != SH_OK)
            return st;
        st = sh_ledger_writable(c->ws.ledger_path)
                 ? sh_ledger_open(c->ws.ledger_path, false, &c->ledger, &c->err)
                 : sh_ledger_open_readonly(c->ws.ledger_path, &c->ledger, &c->err);
        if (st != SH_OK)
            sh_workspace_close(&c->ws);
        return st;
    }
    return cli_open_workspace_readonly(c->g, NULL, &c->ws, &c->ledger, &c->err);
}

static int run_audit(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    audit_ctx c = {.g = g};
    sh_error_clear(&c.err);
    const char *subject = opt[O_SUBJECT].text, *since = opt[O_SINCE].text,
               *action = opt[O_ACTION].text, *anchor = opt[O_ANCHOR].text;
    const char *verb = nargs > 0 ? args[0] : "";
    int status = SH_OK;
    if (strcmp(verb, "note") != 0 && strcmp(verb, "verify") != 0 && strcmp(verb, "show") != 0 &&
        strcmp(verb, "export") != 0) {
        status = cli_usage(&c.err, "audit",
                           _("expected note, verify, show or export; see \"sohoa help audit\""));
    } else if (!options_fit(verb, subject, anchor, since, action)) {
        status = cli_usage(&c.err, "audit",
                           _("--subject goes with note, --anchor with verify, --since and "
                             "--action with show"));
    } else if ((status = open_for(&c, verb)) == SH_OK) {
        status = run_verb(&c, verb, nargs - 1, args + 1, subject, anchor, since, action);
        sh_ledger_close(c.ledger);
        sh_workspace_close(&c.ws);
    }
    if (c.err.status != SH_OK && c.err.status != SH_FINDINGS)
        status = cli_report(&c.err);
    g_free(args);
    return status;
}
