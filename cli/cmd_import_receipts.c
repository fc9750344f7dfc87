/* sohoa import-receipts: the receiver's receipts brought back over the air gap on a medium,
 * verified and stored as upload stores the ones it fetches (up_import_receipts does it all).
 * Here: the trust anchors (--trust, else [upload] receiver_trust) and what the operator sees. */
#include "cli.h"

#include <glib.h>
#include <string.h>

#include "sign/sign.h"
#include "upload/upload.h"

enum { O_TRUST, O_JSON };

static const cli_option OPTIONS[] = {
    [O_TRUST] = {"trust", 0, CLI_FILE, N_("CA.pem"),
                 N_("the CA certificates (PEM) of the receiver's receipt-signing key (default: "
                    "receiver_trust in [upload] of sohoa.ini)")},
    [O_JSON] = {"json", 0, CLI_FLAG, NULL, N_("print the results as one JSON document"),
                .flags = CLI_GLOBAL},
    {0},
};

static const cli_item ARGUMENTS[] = {
    {NULL, N_("DIR"),
     N_("the folder the receipts were copied into: <package-id>.json with <package-id>.json.p7s "
        "beside it, or the same in DIR/receipts/ (as sohoa receive --into DIR leaves them)")},
    {0},
};

static int run_import_receipts(const cli_globals *g, const cli_value *opt, int nargs, char **args);

const cli_command cli_cmd_import_receipts = {
    .name = "import-receipts",
    .summary = N_("verify and store the receiver's receipts brought back on a medium"),
    .usage = N_("sohoa import-receipts DIR [--trust CA.pem] [--json]"),
    .description =
        N_("For the air gap: the receipts the receiver signed for packages taken to it with sohoa "
           "export, brought back on the medium. Each receipt is checked as sohoa upload checks "
           "the ones it fetches: its signature must verify against the receiver's CA, it must "
           "name a package this workspace packed and list every volume of it with the SHA-256 it "
           "was packed with. It is then stored as .sohoa/receipts/<package-id>.json with its "
           "signature beside it, in the ledger and the audit log. A receipt stored before is left "
           "as it is; a package rejected before and accepted now gets the new receipt."),
    .arguments = ARGUMENTS,
    .options = OPTIONS,
    .exit_status = N_("Exit status: 0 every receipt is stored (now or before), 1 some were "
                      "refused, 2 bad arguments or no receiver_trust, 3 DIR cannot be read or "
                      "holds no receipt, or the CA file cannot be read, 4 the ledger or the "
                      "disk failed."),
    .run = run_import_receipts,
};

/* ---- output */

typedef struct {
    cli_out out;
    int stored, already, refused;
} import_out;

static void receipt_json(sh_json *j, const up_receipt_report *r)
{
    char *source = nm_shown(r->source);
    sh_json_begin_object(j);
    sh_json_kv_str(j, "source", source);
    sh_json_kv_str(j, "outcome", r->refused ? "refused" : r->stored_now ? "stored" : "already");
    sh_json_kv_str(j, "package", r->package);
    sh_json_kv_str(j, "org", r->org);
    sh_json_kv_str(j, "verdict", r->refused ? NULL : r->accepted ? "accepted" : "rejected");
    sh_json_kv_array(j, "findings");
    for (const char *const *c = r->findings; c && *c; c++)
        sh_json_string(j, *c);
    sh_json_end_array(j);
    sh_json_kv_str(j, "receiver", r->receiver);
    sh_json_kv_str(j, "path", r->path);
    sh_json_kv_str(j, "sha256", r->refused ? NULL : r->sha256);
    sh_json_kv_str(j, "error", r->refused);
    sh_json_end_object(j);
    g_free(source);
}

static void receipt_text(const cli_out *o, const up_receipt_report *r)
{
    char *source = nm_shown(r->source);
    if (r->refused) {
        cli_say(o, CLI_RESULT, _("%s: refused: %s\n"), source, r->refused);
    } else {
        const char *verdict = r->accepted ? _("accepted") : _("REJECTED");
        char *codes = r->findings && r->findings[0] ? g_strjoinv(", ", (char **)r->findings) : NULL;
        if (r->stored_now)
            cli_say(o, CLI_RESULT, _("%s: stored: package %s (%s) %s by %s → %s\n"), source,
                    r->package, r->org, verdict, r->receiver, r->path);
        else
            cli_say(o, CLI_RESULT, _("%s: already stored: package %s (%s) %s → %s\n"), source,
                    r->package, r->org, verdict, r->path);
        if (codes)
            cli_say(o, CLI_RESULT, _("  the receiver's findings: %s\n"), codes);
        g_free(codes);
    }
    g_free(source);
}

static void receipt_out(const up_receipt_report *r, void *ctx)
{
    import_out *io = ctx;
    if (r->refused)
        io->refused++;
    else if (r->stored_now)
        io->stored++;
    else
        io->already++;
    if (io->out.json)
        receipt_json(io->out.json, r);
    else
        receipt_text(&io->out, r);
}

static int finish(import_out *io, sh_status st, const sh_error *err)
{
    if (st != SH_OK && st != SH_FINDINGS)
        return cli_out_fail(&io->out, err);
    if (io->out.json) {
        sh_json_end_array(io->out.json);
        sh_json_kv_int(io->out.json, "stored", io->stored);
        sh_json_kv_int(io->out.json, "already", io->already);
        sh_json_kv_int(io->out.json, "refused", io->refused);
    } else {
        cli_say(&io->out, CLI_NOTE, _("Receipts: %d stored, %d already stored, %d refused.\n"),
                io->stored, io->already, io->refused);
        if (io->refused)
            cli_say(&io->out, CLI_RESULT,
                    _("Refused receipts were not stored: do what each reason says, then run "
                      "sohoa import-receipts again.\n"));
    }
    return cli_out_close(&io->out, (int)st);
}

/* ---- the command */

/* --trust, else receiver_trust (relative to the root); *path g_free'd by the caller. */
static sh_status trust_path(const cli_value *opt, const sh_workspace *ws, char **path,
                            sh_error *err)
{
    const up_config *c = up_config_get(&ws->config);
    if (opt[O_TRUST].text)
        *path = g_strdup(opt[O_TRUST].text);
    else if (c && c->receiver_trust && *c->receiver_trust)
        *path = g_path_is_absolute(c->receiver_trust)
                    ? g_strdup(c->receiver_trust)
                    : g_build_filename(ws->root, c->receiver_trust, NULL);
    else
        return cli_usage(err, "import-receipts",
                         _("say which CA signs the receiver's receipts: set receiver_trust in "
                           "[upload] of sohoa.ini, or give --trust CA.pem"));
    return SH_OK;
}

static int import(const cli_globals *g, const char *dir, sh_workspace *ws, sh_ledger *ledger,
                  X509_STORE *trust)
{
    sh_error err;
    sh_error_clear(&err);
    sh_actor actor;
    sh_status st = cli_actor(g, ws, &actor, &err);
    if (st != SH_OK)
        return cli_report(&err);
    import_out io = {0};
    cli_out_open(&io.out, g);
    if (io.out.json)
        sh_json_kv_array(io.out.json, "receipts");
    up_receipt_options o = {.ws = ws, .ledger = ledger, .actor = &actor, .trust = trust};
    int stored = 0;
    st = up_import_receipts(dir, &o, receipt_out, &io, &stored, &err);
    return finish(&io, st, &err);
}

static int run_import_receipts(const cli_globals *g, const cli_value *opt, int nargs, char **args)
{
    sh_error err;
    sh_error_clear(&err);
    sh_status st = SH_OK;
    if (nargs != 1)
        st = cli_usage(&err, "import-receipts",
                       _("name one folder: the one the receipts were copied into"));
    sh_workspace ws = {0};
    sh_ledger *ledger = NULL;
    if (st == SH_OK)
        st = cli_open_workspace(g, NULL, &ws, &ledger, &err);
    char *trust_file = NULL;
    if (st == SH_OK)
        st = trust_path(opt, &ws, &trust_file, &err);
    X509_STORE *trust = NULL;
    if (st == SH_OK)
        st = sg_trust_load(trust_file, &trust, &err);
    int status = st == SH_OK ? import(g, args[0], &ws, ledger, trust) : cli_report(&err);
    X509_STORE_free(trust);
    g_free(trust_file);
    sh_ledger_close(ledger);
    sh_workspace_close(&ws); /* the defaults' values too, outside a workspace */
    g_free(args);
    return status;
}
