/* sohoa export: package volumes copied onto a mounted medium for the air gap (up_export does
 * it all: the atomic copy, the read-back, the transfer log). Here: the options and what the
 * operator sees. */
#include "cli.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "upload/upload.h"

enum { O_TO, O_JSON };

static const cli_option OPTIONS[] = {
    [O_TO] = {"to", 0, CLI_DIR, N_("DIR"),
              N_("the folder on the mounted medium to copy the volumes into (required; outside "
                 "the workspace)")},
    [O_JSON] = {"json", 0, CLI_FLAG, NULL, N_("print the results as one JSON document"),
                .flags = CLI_GLOBAL},
    {0},
};

static const cli_item ARGUMENTS[] = {
    {NULL, N_("FILE..."),
     N_("package volumes (.zip.p7m) that sohoa pack wrote here (default: every volume of every "
        "package without a receipt)")},
    {0},
};

static int run_export(const cli_globals *g, const cli_value *opt, int nargs, char **args);

const cli_command cli_cmd_export = {
    .name = "export",
    .summary = N_("copy package volumes onto a removable medium, checked and logged"),
    .usage = N_("sohoa export [FILE...] --to DIR [--json]"),
    .description =
        N_("Copy package volumes onto a mounted medium, for a station without a network to the "
           "receiver: each as DIR/<its file name>, written under a hidden temporary name, flushed "
           "to the medium, read back from it and hashed against the SHA-256 the ledger recorded, "
           "and only then given its name, so that a file under its final name is always whole and "
           "right. A volume already on the medium with the right digest is not copied again. "
           "DIR/SHA256SUMS lists every volume exported there (sha256sum -c checks them). Each copy "
           "is logged in the ledger with the medium's identity (its filesystem's type, UUID and "
           "label, device and mount point) and an audit entry; the packages are then \"sending\" "
           "in sohoa upload --status until the receiver's receipts come back (sohoa "
           "import-receipts). Temporary files an interrupted export left on the medium are "
           "removed at the next export there."),
    .arguments = ARGUMENTS,
    .options = OPTIONS,
    .exit_status = N_("Exit status: 0 every volume is on the medium, 2 bad arguments, or DIR is "
                      "missing, not writable or inside the workspace, 3 a file is no package "
                      "volume of this workspace or changed since pack, 4 the medium is full or "
                      "failing, or the ledger failed (the copy in progress is removed)."),
    .run = run_export,
};

/* ---- output ---- */

typedef struct {
    cli_out out;
    sh_progress *bar;
    uint64_t shown; /* bytes the bar has counted */
    char *identity, *dir;
} export_out;

static void medium_out(const up_medium *m, void *ctx)
{
    export_out *e = ctx;
    e->identity = g_strdup(m->identity);
    e->dir = g_strdup(m->dir);
    if (m->workspace_fs)
        sh_warn(_("%s is on the same filesystem as the workspace, not on a removable medium: "
                  "is the medium mounted?"),
                m->dir);
    sh_json *j = e->out.json;
    if (!j)
        return;
    sh_json_kv_object(j, "medium");
    sh_json_kv_str(j, "dir", m->dir);
    sh_json_kv_str(j, "mount", m->mount);
    sh_json_kv_str(j, "device", m->device);
    sh_json_kv_str(j, "fstype", m->fstype);
    sh_json_kv_str(j, "uuid", m->uuid);
    sh_json_kv_str(j, "label", m->label);
    sh_json_kv_str(j, "identity", m->identity);
    sh_json_kv_int(j, "free_bytes", (int64_t)m->free_bytes);
    sh_json_end_object(j);
    sh_json_kv_array(j, "volumes");
}

static const char *result_word(const up_delivery_report *r)
{
    return r->error ? "failed" : r->already ? "already" : "copied";
}

static void volume_out(const up_delivery_report *r, void *ctx)
{
    export_out *e = ctx;
    sh_json *j = e->out.json;
    if (j) {
        sh_json_begin_object(j);
        sh_json_kv_str(j, "package", r->package);
        sh_json_kv_str(j, "org", r->org);
        sh_json_kv_int(j, "volume", r->volume);
        sh_json_kv_int(j, "volumes", r->volumes);
        sh_json_kv_str(j, "path", r->path);
        sh_json_kv_str(j, "copy", r->target);
        sh_json_kv_int(j, "bytes", (int64_t)r->bytes);
        sh_json_kv_int(j, "copied_bytes", (int64_t)r->sent);
        sh_json_kv_str(j, "result", result_word(r));
        sh_json_kv_str(j, "stage", up_stage_word(r->stage));
        sh_json_kv_str(j, "error", r->error);
        sh_json_end_object(j);
        return;
    }
    char *size = g_format_size(r->bytes);
    sh_progress_suspend();
    if (r->error)
        cli_say(&e->out, CLI_RESULT, _("%s, volume %d of %d: FAILED (%s)\n"), r->package, r->volume,
                r->volumes, r->path);
    else if (r->already)
        cli_say(&e->out, CLI_RESULT, _("%s, volume %d of %d: already on the medium, %s\n"),
                r->package, r->volume, r->volumes, r->target);
    else
        cli_say(&e->out, CLI_RESULT, _("%s, volume %d of %d: copied and checked, %s → %s\n"),
                r->package, r->volume, r->volumes, size, r->target);
    fflush(stdout);
    sh_progress_resume();
    g_free(size);
}

static void bytes_out(uint64_t done, uint64_t total, void *ctx)
{
    export_out *e = ctx;
    if (!e->bar) {
        e->bar = sh_progress_new(_("export"), total);
        sh_progress_set_bytes(e->bar);
    }
    if (done > e->shown) {
        sh_progress_add(e->bar, done - e->shown);
        e->shown = done;
    }
}

static void summary_out(export_out *e, const up_delivery_summary *s)
{
    sh_json *j = e->out.json;
    if (j) {
        sh_json_end_array(j);
        sh_json_kv_object(j, "summary");
        sh_json_kv_int(j, "packages", s->packages);
        sh_json_kv_int(j, "volumes", s->volumes);
        sh_json_kv_int(j, "copied", s->sent_volumes);
        sh_json_kv_int(j, "already", s->already);
        sh_json_kv_int(j, "failed", s->failed);
        sh_json_kv_int(j, "bytes_copied", (int64_t)s->bytes_sent);
        sh_json_end_object(j);
        return;
    }
    char *size = g_format_size(s->bytes_sent);
    cli_say(&e->out, CLI_RESULT,
            _("Exported to %s: %d volumes of %d packages; %d copied (%s), %d already there.\n"),
            e->dir ? e->dir : "?", s->volumes, s->packages, s->sent_volumes, size, s->already);
    if (e->identity)
        cli_say(&e->out, CLI_RESULT, _("Medium: %s\n"), e->identity);
    g_free(size);
}

/* ---- the command ---- */

static int export_run(const cli_globals *g, const cli_value *opt, int nargs, char **args,
                      sh_workspace *ws, sh_ledger *ledger, sh_error *err)
{
    sh_actor actor;
    sh_status st = cli_actor(g, ws, &actor, err);
    if (st != SH_OK)
        return cli_report(err);
    export_out e = {0};
    cli_out_open(&e.out, g);
    up_export_options o = {.ws = ws,
                           .ledger = ledger,
                           .actor = &actor,
                           .to = opt[O_TO].text,
                           .medium = medium_out,
                           .volume = volume_out,
                           .bytes = bytes_out,
                           .ctx = &e};
    up_delivery_summary sum;
    st = up_export(nargs ? args : NULL, nargs, &o, &sum, err);
    sh_progress_done(e.bar);
    int status;
    if (st != SH_OK) {
        status = cli_out_fail(&e.out, err);
    } else {
        summary_out(&e, &sum);
        status = cli_out_close(&e.out, st);
    }
    g_free(e.dir);
    g_free(e.identity);
    return status;
}

static int run_export(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    sh_error err;
    sh_error_clear(&err);
    sh_status st = SH_OK;
    if (!opt[O_TO].text)
        st = cli_usage(&err, "export",
                       _("say where to copy the volumes: --to DIR, a folder on the mounted "
                         "medium"));
    sh_workspace ws = {0};
    sh_ledger *ledger = NULL;
    if (st == SH_OK)
        st = cli_open_workspace(g, NULL, &ws, &ledger, &err);
    int status =
        st == SH_OK ? export_run(g, opt, nargs, args, &ws, ledger, &err) : cli_report(&err);
    sh_ledger_close(ledger);
    sh_workspace_close(&ws); /* the defaults' values too, outside a workspace */
    g_free(args);
    return status;
}
