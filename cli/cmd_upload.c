/* sohoa upload: package volumes delivered to the receiver over tus, resumed across runs, and the
 * receiver's signed receipts fetched, verified and stored (up_upload does it; issue 16).
 *
 *   sohoa upload [FILE...] [--to URL] [--receipt-wait SECONDS] [--json]
 *   sohoa upload --status [--json]
 *
 * FILEs: volumes (.zip.p7m) pack wrote in this workspace; none: every volume of every package
 * without a receipt. --to: the creation URL (default [upload] endpoint). --receipt-wait: how
 * long to wait for the receiver's receipt once a package is whole (default 60). --status lists
 * every package with its stage. [station] airgapped = true refuses at once (exit 2). Exit: 0
 * delivered and receipts stored, 1 a receipt refused, rejected or not there yet, or the network
 * failed for give_up_after seconds (run again: it resumes), 2 usage/configuration, 3 a file that
 * is no volume of the ledger or a refusal by the receiver, 4 internal. */
#include "cli.h"

#include <glib.h>
#include <string.h>

#include "upload/upload.h"

enum { O_TO, O_STATUS, O_RECEIPT_WAIT, O_JSON };

static const cli_option OPTIONS[] = {
    [O_TO] = {"to", 0, CLI_STRING, N_("URL"),
              N_("the receiver's tus creation URL, https://host/files/ (default: endpoint in the "
                 "[upload] section of sohoa.ini); plain http only to this machine")},
    [O_STATUS] = {"status", 0, CLI_FLAG, NULL,
                  N_("send nothing: list every package with its stage (pending, sending, "
                     "received, accepted, rejected), the bytes the receiver holds and the last "
                     "error")},
    [O_RECEIPT_WAIT] = {"receipt-wait", 0, CLI_INT, N_("SECONDS"),
                        N_("once this run has sent a package whole, wait this long at most for "
                           "the receiver's receipt (default 60; 0: ask once); a package that was "
                           "whole before is asked once; a later run asks again"),
                        0, 86400},
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

static int run_upload(const cli_globals *g, const cli_value *opt, int nargs, char **args);

const cli_command cli_cmd_upload = {
    .name = "upload",
    .summary = N_("send packages to the receiver (resumable) and fetch its signed receipts"),
    .usage = N_("sohoa upload [FILE...] [--to URL] [--receipt-wait SECONDS] [--json]\n"
                "sohoa upload --status [--json]"),
    .description =
        N_("Send package volumes to the receiver over the tus 1.0.0 resumable-upload protocol, "
           "each with its organisation, package, volume and SHA-256. The upload's address is kept "
           "in the ledger from its first byte, so a run that is stopped, killed or cut off resumes "
           "where the receiver's server stands (it is asked), losing at most one chunk; a volume "
           "the server holds whole is never sent again. Rate limits (429, 503 with Retry-After), "
           "dropped and stalled connections are waited out with backoff, up to give_up_after "
           "seconds. Once every volume of a package is on the server, the receiver's signed "
           "receipt is fetched, verified against receiver_trust, and stored as "
           ".sohoa/receipts/<package-id>.json with its signature .json.p7s. Every attempt is in "
           "the ledger's transfer log, with an audit entry. With [station] airgapped = true, "
           "upload refuses: use sohoa export and sohoa import-receipts."),
    .arguments = ARGUMENTS,
    .options = OPTIONS,
    .exit_status =
        N_("Exit status: 0 every volume delivered and its receipt stored (or nothing left to "
           "send), 1 a receipt refused, a package rejected, a receipt not there yet, or the "
           "network failing for give_up_after seconds (run sohoa upload again: it resumes), 2 "
           "bad arguments or configuration (also on an air-gapped station), 3 a file that is no "
           "package volume of this workspace, or the receiver refused a volume, 4 an internal "
           "error (the ledger, the disk)."),
    .run = run_upload,
};

/* ---- output ---- */

typedef struct {
    cli_out out;
    sh_progress *bar; /* made at the first bytes, when shown at all */
    bool bar_off;
    uint64_t shown;                /* bytes counted in the bar */
    GPtrArray *volumes, *receipts; /* JSON texts, with --json */
} upload_out;

static void volume_json(sh_json *j, const up_delivery_report *r)
{
    sh_json_begin_object(j);
    sh_json_kv_str(j, "package", r->package);
    sh_json_kv_str(j, "org", r->org);
    sh_json_kv_int(j, "volume", r->volume);
    sh_json_kv_int(j, "volumes", r->volumes);
    sh_json_kv_str(j, "path", r->path);
    sh_json_kv_int(j, "bytes", (int64_t)r->bytes);
    sh_json_kv_int(j, "sent", (int64_t)r->sent);
    sh_json_kv_bool(j, "resumed", r->resumed);
    sh_json_kv_bool(j, "already", r->already);
    sh_json_kv_str(j, "stage", up_stage_word(r->stage));
    sh_json_kv_str(j, "error", r->error);
    sh_json_end_object(j);
}

static void add_json(GPtrArray *to, sh_json *j)
{
    const char *text = sh_json_finish(j, NULL);
    if (text)
        g_ptr_array_add(to, g_strdup(text));
    sh_json_free(j);
}

static void volume_out(const up_delivery_report *r, void *ctx)
{
    upload_out *u = ctx;
    if (u->out.json) {
        sh_json *j = sh_json_new();
        volume_json(j, r);
        add_json(u->volumes, j);
        return;
    }
    char *sent = g_format_size(r->sent);
    if (r->error)
        cli_say(&u->out, CLI_NOTE, _("%s volume %d of %d: FAILED after %s sent\n"), r->package,
                r->volume, r->volumes, sent);
    else if (r->already)
        cli_say(&u->out, CLI_NOTE, _("%s volume %d of %d: already on the server\n"), r->package,
                r->volume, r->volumes);
    else if (r->resumed)
        cli_say(&u->out, CLI_NOTE, _("%s volume %d of %d: resumed, %s sent\n"), r->package,
                r->volume, r->volumes, sent);
    else
        cli_say(&u->out, CLI_NOTE, _("%s volume %d of %d: sent, %s\n"), r->package, r->volume,
                r->volumes, sent);
    g_free(sent);
}

static void receipt_out(const up_receipt_report *r, void *ctx)
{
    upload_out *u = ctx;
    if (u->out.json) {
        sh_json *j = sh_json_new();
        sh_json_begin_object(j);
        sh_json_kv_str(j, "package", r->package);
        sh_json_kv_str(j, "org", r->org);
        sh_json_kv_str(j, "verdict", r->accepted ? "accepted" : "rejected");
        sh_json_kv_array(j, "findings");
        for (const char *const *f = r->findings; f && *f; f++)
            sh_json_string(j, *f);
        sh_json_end_array(j);
        sh_json_kv_str(j, "receiver", r->receiver);
        sh_json_kv_str(j, "path", r->path);
        sh_json_kv_str(j, "sha256", r->sha256);
        sh_json_kv_bool(j, "stored_now", r->stored_now);
        sh_json_end_object(j);
        add_json(u->receipts, j);
        return;
    }
    if (r->accepted)
        cli_say(&u->out, CLI_RESULT, _("%s: ACCEPTED by %s; receipt %s\n"), r->package,
                r->receiver ? r->receiver : "?", r->path);
    else
        cli_say(&u->out, CLI_RESULT, _("%s: REJECTED by %s; receipt %s\n"), r->package,
                r->receiver ? r->receiver : "?", r->path);
}

static void bytes_out(uint64_t done, uint64_t total, void *ctx)
{
    upload_out *u = ctx;
    if (u->bar_off)
        return;
    if (!u->bar) {
        u->bar = sh_progress_new(_("Uploading"), total);
        if (!sh_progress_shown(u->bar)) {
            sh_progress_done(u->bar);
            u->bar = NULL;
            u->bar_off = true;
            return;
        }
        sh_progress_set_bytes(u->bar);
    }
    if (done > u->shown) {
        sh_progress_add(u->bar, done - u->shown);
        u->shown = done;
    }
}

static void summary_out(upload_out *u, const up_delivery_summary *s)
{
    if (u->out.json) {
        sh_json *j = u->out.json;
        sh_json_kv_array(j, "volumes");
        for (guint i = 0; i < u->volumes->len; i++)
            sh_json_raw(j, g_ptr_array_index(u->volumes, i));
        sh_json_end_array(j);
        sh_json_kv_array(j, "receipts");
        for (guint i = 0; i < u->receipts->len; i++)
            sh_json_raw(j, g_ptr_array_index(u->receipts, i));
        sh_json_end_array(j);
        sh_json_kv_object(j, "summary");
        sh_json_kv_int(j, "packages", s->packages);
        sh_json_kv_int(j, "volumes", s->volumes);
        sh_json_kv_int(j, "sent_volumes", s->sent_volumes);
        sh_json_kv_int(j, "already", s->already);
        sh_json_kv_int(j, "failed", s->failed);
        sh_json_kv_int(j, "receipts", s->receipts);
        sh_json_kv_int(j, "awaiting_receipts", s->awaiting);
        sh_json_kv_int(j, "bytes_sent", (int64_t)s->bytes_sent);
        sh_json_kv_bool(j, "resumable", s->resumable);
        sh_json_end_object(j);
        return;
    }
    if (!s->volumes) {
        cli_say(&u->out, CLI_NOTE, _("Nothing to upload: every package has its receipt.\n"));
        return;
    }
    char *size = g_format_size(s->bytes_sent);
    cli_say(&u->out, CLI_RESULT,
            _("Uploaded: %d packages, %d volumes: %d sent, %d already there, %d failed; %s sent; "
              "%d receipts stored, %d awaited.\n"),
            s->packages, s->volumes, s->sent_volumes, s->already, s->failed, size, s->receipts,
            s->awaiting);
    g_free(size);
}

/* ---- --status ---- */

static void status_out(const up_package_status *p, void *ctx)
{
    cli_out *o = ctx;
    if (o->json) {
        sh_json *j = o->json;
        sh_json_begin_object(j);
        sh_json_kv_str(j, "id", p->id);
        sh_json_kv_str(j, "org", p->org);
        sh_json_kv_str(j, "stage", up_stage_word(p->stage));
        sh_json_kv_int(j, "volumes", p->volumes);
        sh_json_kv_int(j, "bytes", (int64_t)p->bytes);
        sh_json_kv_int(j, "bytes_sent", (int64_t)p->bytes_sent);
        sh_json_kv_str(j, "error", p->error);
        sh_json_kv_str(j, "created_at", p->created_at);
        sh_json_end_object(j);
        return;
    }
    char *sent = g_format_size(p->bytes_sent), *size = g_format_size(p->bytes);
    cli_say(o, CLI_RESULT, "%s  %s  %-8s  %3d  %10s / %-10s %s\n", p->id, p->org,
            up_stage_word(p->stage), p->volumes, sent, size, p->error ? p->error : "");
    g_free(sent);
    g_free(size);
}

static int status(const cli_globals *g)
{
    sh_error err;
    sh_error_clear(&err);
    sh_workspace ws = {0};
    sh_ledger *ledger = NULL;
    sh_status st = cli_open_workspace_readonly(g, NULL, &ws, &ledger, &err);
    if (st != SH_OK)
        return cli_report(&err);
    cli_out out;
    cli_out_open(&out, g);
    if (out.json)
        sh_json_kv_array(out.json, "packages");
    else
        cli_say(&out, CLI_NOTE, "%-26s  %-18s  %-8s  %3s  %s\n", _("PACKAGE"), _("ORGANISATION"),
                _("STAGE"), _("VOL"), _("SENT / SIZE, LAST ERROR"));
    st = up_upload_status(ledger, status_out, &out, &err);
    int code;
    if (st != SH_OK) {
        code = cli_out_fail(&out, &err);
    } else {
        if (out.json)
            sh_json_end_array(out.json);
        code = cli_out_close(&out, SH_OK);
    }
    sh_ledger_close(ledger);
    sh_workspace_close(&ws);
    return code;
}

/* ---- the settings ---- */

typedef struct {
    up_config cfg;  /* [upload], its paths absolute */
    char *owned[5]; /* those paths */
    char *endpoint;
    X509_STORE *trust;
} upload_settings;

static char *absolute(const char *root, const char *path)
{
    if (!path || !*path)
        return NULL;
    return g_path_is_absolute(path) ? g_strdup(path) : g_build_filename(root, path, NULL);
}

static sh_status settings(const sh_workspace *ws, const cli_value *opt, upload_settings *s,
                          sh_error *err)
{
    const up_config *c = up_config_get(&ws->config);
    s->cfg = *c;
    s->cfg.ca_file = s->owned[0] = absolute(ws->root, c->ca_file);
    s->cfg.client_cert = s->owned[1] = absolute(ws->root, c->client_cert);
    s->cfg.client_key = s->owned[2] = absolute(ws->root, c->client_key);
    s->cfg.receiver_trust = s->owned[3] = absolute(ws->root, c->receiver_trust);
    const char *to = opt[O_TO].text ? opt[O_TO].text : c->endpoint;
    s->endpoint = to && *to ? g_strdup(to) : NULL;
    if (!s->endpoint)
        return cli_usage(err, "upload",
                         _("say where to send: set endpoint in the [upload] section of sohoa.ini, "
                           "or give --to URL"));
    if (s->cfg.receiver_trust)
        return sg_trust_load(s->cfg.receiver_trust, &s->trust, err);
    return SH_OK;
}

static void settings_clear(upload_settings *s)
{
    for (size_t i = 0; i < G_N_ELEMENTS(s->owned); i++)
        g_free(s->owned[i]);
    g_free(s->endpoint);
    X509_STORE_free(s->trust);
}

/* ---- the run ---- */

/* The exit status, and what the operator is told besides the results. */
static int finish(upload_out *u, sh_status st, const up_delivery_summary *sum, const sh_error *err)
{
    sh_progress_done(u->bar);
    u->bar = NULL;
    bool stopped = st != SH_OK && st != SH_FINDINGS && !(st == SH_INPUT && sum->volumes > 0);
    if (stopped && !sum->resumable)
        return cli_out_fail(&u->out, err);
    summary_out(u, sum);
    if (st != SH_OK && err->msg[0])
        cli_say_err("sohoa: %s\n", err->msg);
    if (sum->resumable) {
        cli_say_err(_("sohoa: run sohoa upload again: it resumes where this run stopped\n"));
        st = SH_FINDINGS;
    }
    return cli_out_close(&u->out, (int)st);
}

static int upload_run(const cli_globals *g, const cli_value *opt, int nargs, char **args,
                      sh_workspace *ws, sh_ledger *ledger, sh_error *err)
{
    sh_actor actor;
    upload_settings set = {0};
    sh_status st = cli_actor(g, ws, &actor, err);
    if (st == SH_OK)
        st = settings(ws, opt, &set, err);
    if (st != SH_OK) {
        settings_clear(&set);
        return cli_report(err);
    }
    if (!set.trust)
        sh_warn(_("receiver_trust is not set in the [upload] section of sohoa.ini: the "
                  "receiver's receipts cannot be verified, so none will be stored"));
    upload_out u = {.volumes = g_ptr_array_new_with_free_func(g_free),
                    .receipts = g_ptr_array_new_with_free_func(g_free)};
    cli_out_open(&u.out, g);
    u.bar_off = u.out.json != NULL;
    up_upload_options o = {.ws = ws,
                           .ledger = ledger,
                           .actor = &actor,
                           .cfg = &set.cfg,
                           .endpoint = set.endpoint,
                           .trust = set.trust,
                           .receipt_wait =
                               opt[O_RECEIPT_WAIT].text ? (int)opt[O_RECEIPT_WAIT].num : -1,
                           .volume = volume_out,
                           .receipt = receipt_out,
                           .bytes = bytes_out,
                           .ctx = &u};
    up_delivery_summary sum;
    st = up_upload(nargs ? args : NULL, nargs, &o, &sum, err);
    int code = finish(&u, st, &sum, err);
    g_ptr_array_free(u.volumes, TRUE);
    g_ptr_array_free(u.receipts, TRUE);
    settings_clear(&set);
    return code;
}

static int run_upload(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    sh_error err;
    sh_error_clear(&err);
    int code;
    if (opt[O_STATUS].count) {
        code = nargs || opt[O_TO].text || opt[O_RECEIPT_WAIT].text
                   ? cli_report((cli_usage(&err, "upload",
                                           _("--status lists packages: it takes no FILE, --to or "
                                             "--receipt-wait")),
                                 &err))
                   : status(g);
        g_free(args);
        return code;
    }
    sh_workspace ws = {0};
    sh_ledger *ledger = NULL;
    sh_status st = cli_open_workspace(g, NULL, &ws, &ledger, &err);
    if (st == SH_OK && ws.config.airgapped)
        st = cli_usage(&err, "upload",
                       _("this station is air-gapped ([station] airgapped = true in sohoa.ini): "
                         "nothing goes over the network from here; copy the packages onto a "
                         "registered medium with sohoa export --to DIR, and bring the receipts "
                         "back with sohoa import-receipts DIR"));
    code = st == SH_OK ? upload_run(g, opt, nargs, args, &ws, ledger, &err) : cli_report(&err);
    sh_ledger_close(ledger);
    sh_workspace_close(&ws); /* the defaults' values too, outside a workspace */
    g_free(args);
    return code;
}
